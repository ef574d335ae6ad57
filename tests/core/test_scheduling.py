"""The declared schedule: valid crons, real tasks, each firing enqueued once however many schedulers run."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from apscheduler.triggers.cron import CronTrigger
from django.utils.module_loading import import_string
from django_tasks.base import Task

from abonent.config.schedule import SCHEDULE
from abonent.core.models import ScheduledRun
from abonent.core.scheduling import ScheduledJob, claim_run, fire

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("job", SCHEDULE, ids=lambda job: job.name)
def test_every_declared_job_has_a_valid_cron_and_a_real_task(job: ScheduledJob) -> None:
    CronTrigger.from_crontab(job.cron)
    assert isinstance(import_string(job.task), Task)


def test_a_slot_is_claimed_only_once() -> None:
    slot = datetime(2026, 11, 23, 3, 40, tzinfo=UTC)
    assert claim_run(name="x", slot=slot) is not None
    assert claim_run(name="x", slot=slot) is None
    assert claim_run(name="y", slot=slot) is not None


def test_two_schedulers_firing_the_same_minute_enqueue_once() -> None:
    job = next(j for j in SCHEDULE if j.name == "core.prune_scheduled_runs")
    now = datetime(2026, 11, 23, 3, 40, 17, tzinfo=UTC)
    assert fire(job, now=now) is True
    assert fire(job, now=now.replace(second=45)) is False
    run = ScheduledRun.objects.get(name=job.name)
    assert run.slot == now.replace(second=0)
    assert run.task_result_id


def test_pruning_forgets_only_old_runs() -> None:
    from abonent.core.tasks import prune_scheduled_runs_task

    claim_run(name="old", slot=datetime(2020, 1, 1, tzinfo=UTC))
    claim_run(name="new", slot=datetime(2099, 1, 1, tzinfo=UTC))
    prune_scheduled_runs_task.call()
    assert list(ScheduledRun.objects.values_list("name", flat=True)) == ["new"]

"""The declared schedule of periodic work, fired by APScheduler and enqueued through the task API.

APScheduler only decides *when*; the work itself runs in the task workers. Each firing claims a
(job, minute) row first, so running the scheduler on two hosts for availability never doubles a job.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from abonent.core.models import ScheduledRun

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ScheduledJob:
    name: str
    cron: str  # five fields, in the server's TIME_ZONE
    task: str  # dotted path of a django-tasks Task taking no arguments
    description: str


def claim_run(*, name: str, slot: datetime) -> ScheduledRun | None:
    """Record that the job fires for this slot; None when another scheduler already claimed it."""
    try:
        with transaction.atomic():
            return ScheduledRun.objects.create(name=name, slot=slot)
    except IntegrityError:
        return None


def fire(job: ScheduledJob, *, now: datetime | None = None) -> bool:
    """Enqueue the job's task for the current minute unless already done; return whether it was enqueued."""
    slot = (now or timezone.now()).replace(second=0, microsecond=0)
    run = claim_run(name=job.name, slot=slot)
    if run is None:
        logger.info("scheduled job %s for %s already enqueued elsewhere", job.name, slot)
        return False
    result = import_string(job.task).enqueue()
    ScheduledRun.objects.filter(pk=run.pk).update(task_result_id=str(result.id))
    return True

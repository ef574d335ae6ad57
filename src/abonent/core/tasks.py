"""Background entry points of the kernel."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django_tasks import task

from abonent.core.models import ScheduledRun

SCHEDULED_RUNS_KEPT = timedelta(days=30)


@task()
def prune_scheduled_runs_task() -> int:
    deleted, _ = ScheduledRun.objects.filter(slot__lt=timezone.now() - SCHEDULED_RUNS_KEPT).delete()
    return deleted

"""`manage.py scheduler`: fire the declared schedule (abonent.config.schedule) until stopped."""

from __future__ import annotations

from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections

from abonent.config.schedule import SCHEDULE
from abonent.core.scheduling import ScheduledJob, fire


def _fire(job: ScheduledJob) -> None:
    close_old_connections()  # the scheduler lives for days; never reuse a dead connection
    fire(job)


class Command(BaseCommand):
    help = "Run the periodic schedule: each job is enqueued to the task workers at its time."

    def handle(self, *args: object, **options: object) -> None:
        scheduler = BlockingScheduler(timezone=settings.TIME_ZONE)
        for job in SCHEDULE:
            scheduler.add_job(
                _fire,
                CronTrigger.from_crontab(job.cron, timezone=settings.TIME_ZONE),
                args=[job],
                id=job.name,
                name=job.description,
                coalesce=True,
                misfire_grace_time=60,
            )
            self.stdout.write(f"  {job.cron:<14} {job.name}: {job.description}")
        self.stdout.write("Scheduler running (Ctrl-C stops it).")
        try:
            scheduler.start()
        except (KeyboardInterrupt, SystemExit):
            scheduler.shutdown(wait=False)

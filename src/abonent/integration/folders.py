"""Watched folders: a profile with a folder takes each new file in it (once per content).

The scheduler scans every SCAN_INTERVAL (config/schedule.py). A profile with its own cron schedule is
picked up only by the scan whose interval holds one of its fire times — billing that writes its export
at 02:00 is read once, after it wrote it, not while it writes. Either way a file still changing (modified
less than INTEGRATION_FOLDER_SETTLE_SECONDS ago) waits for the next scan.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from abonent.integration.models import ImportProfile, ImportRun

logger = logging.getLogger(__name__)

SCAN_INTERVAL = timedelta(minutes=5)  # the cron of "integration.watched_folders" in config/schedule.py


def scan_watched_folders(now: datetime | None = None) -> list[ImportRun]:
    """Start a run for every settled file in a due watched folder whose content that profile has not had."""
    now = now or timezone.now()
    started = []
    for profile in ImportProfile.objects.filter(is_active=True, source__is_active=True).exclude(
        watch_folder=""
    ):
        folder = Path(profile.watch_folder).resolve()
        if not _under_watch_roots(folder):
            # The builder refuses such a folder; one set in the admin or the database is refused here.
            logger.warning("profile %s watches %s, outside INTEGRATION_WATCH_ROOTS", profile.pk, folder)
            continue
        if folder.is_dir() and is_due(profile.schedule, now):
            started += _start_new_files(profile, folder)
    return started


def _under_watch_roots(folder: Path) -> bool:
    from abonent.integration.profiles import watch_roots

    return any(folder.is_relative_to(root) for root in watch_roots())


def is_due(schedule: str, now: datetime) -> bool:
    """Tell whether the cron schedule fires within the scan interval ending now (always, with none)."""
    if not schedule.strip():
        return True
    from apscheduler.triggers.cron import CronTrigger  # the library the scheduler itself fires with

    trigger = CronTrigger.from_crontab(schedule.strip(), timezone=settings.TIME_ZONE)
    fire = trigger.get_next_fire_time(None, now - SCAN_INTERVAL + timedelta(microseconds=1))
    return fire is not None and fire <= now


def _start_new_files(profile: ImportProfile, folder: Path) -> list[ImportRun]:
    from abonent.integration.services import _sha256, start_import

    settled_before = time.time() - settings.INTEGRATION_FOLDER_SETTLE_SECONDS
    started = []
    for path in sorted(folder.glob(profile.file_pattern or "*")):
        if not path.is_file() or path.stat().st_mtime > settled_before:
            continue
        digest = _sha256(path)
        if ImportRun.objects.filter(profile=profile, file_sha256=digest).exists():
            continue
        with transaction.atomic():
            started.append(start_import(profile=profile, path=path, channel=ImportRun.Channel.FOLDER))
    return started

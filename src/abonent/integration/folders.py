"""Watched folders: a profile with a folder takes each new file in it (once per content)."""

from __future__ import annotations

from pathlib import Path

from django.db import transaction

from abonent.integration.models import ImportProfile, ImportRun


def scan_watched_folders() -> list[ImportRun]:
    """Start a run for every file in a watched folder whose content was not imported by that profile."""
    from abonent.integration.services import _sha256, start_import

    started = []
    for profile in ImportProfile.objects.filter(is_active=True, source__is_active=True).exclude(
        watch_folder=""
    ):
        folder = Path(profile.watch_folder)
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob(profile.file_pattern or "*")):
            if not path.is_file():
                continue
            digest = _sha256(path)
            if ImportRun.objects.filter(profile=profile, file_sha256=digest).exists():
                continue
            with transaction.atomic():
                started.append(start_import(profile=profile, path=path, channel=ImportRun.Channel.FOLDER))
    return started

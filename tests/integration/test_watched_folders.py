"""Watched folders: which files a scan takes, and when a profile with its own schedule is due."""

from __future__ import annotations

import os
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from abonent.integration.fields import FileKind
from abonent.integration.folders import is_due, scan_watched_folders
from abonent.integration.models import ImportRun

pytestmark = pytest.mark.django_db

MOSCOW = ZoneInfo("Europe/Moscow")
EXPORT = "ЛС;ФИО;Телефон\n100200300;Иванов Иван Иванович;89123456789\n"


@pytest.fixture
def inbox(tmp_path: Path, settings) -> Path:  # type: ignore[no-untyped-def]
    settings.INTEGRATION_WATCH_ROOTS = [str(tmp_path)]
    settings.TIME_ZONE = "Europe/Moscow"
    folder = tmp_path / "billing"
    folder.mkdir()
    return folder


def _export(folder: Path, name: str, *, age_s: float = 3600) -> Path:
    path = folder / name
    path.write_text(EXPORT, encoding="utf-8")
    moment = time.time() - age_s
    os.utime(path, (moment, moment))
    return path


@pytest.mark.parametrize(
    ("now", "due"),
    [
        (datetime(2026, 11, 24, 2, 0, tzinfo=MOSCOW), True),  # the fire time itself
        (datetime(2026, 11, 24, 2, 4, 59, tzinfo=MOSCOW), True),  # the scan just after it
        (datetime(2026, 11, 24, 2, 5, 0, 1, tzinfo=MOSCOW), False),  # the next scan: already taken
        (datetime(2026, 11, 24, 1, 59, tzinfo=MOSCOW), False),
    ],
)
def test_a_nightly_schedule_is_due_in_one_scan_only(now: datetime, due: bool, settings) -> None:  # type: ignore[no-untyped-def]
    settings.TIME_ZONE = "Europe/Moscow"
    assert is_due("0 2 * * *", now) is due


def test_no_schedule_is_due_at_every_scan() -> None:
    assert is_due("", datetime(2026, 11, 24, 13, 37, tzinfo=MOSCOW))


def test_a_file_still_being_written_waits_for_the_next_scan(inbox, profile_for, settings) -> None:  # type: ignore[no-untyped-def]
    settings.INTEGRATION_FOLDER_SETTLE_SECONDS = 60
    profile_for(FileKind.ACCOUNTS, watch_folder=str(inbox), file_pattern="*.csv")
    _export(inbox, "fresh.csv", age_s=5)
    settled = _export(inbox, "settled.csv", age_s=120)

    started = scan_watched_folders()

    assert [run.file_name for run in started] == [settled.name]


def test_a_scheduled_profile_takes_its_files_only_when_due(inbox, profile_for) -> None:  # type: ignore[no-untyped-def]
    profile_for(FileKind.ACCOUNTS, watch_folder=str(inbox), file_pattern="*.csv", schedule="0 2 * * *")
    _export(inbox, "nightly.csv")

    assert scan_watched_folders(datetime(2026, 11, 24, 14, 0, tzinfo=MOSCOW)) == []
    assert len(scan_watched_folders(datetime(2026, 11, 25, 2, 0, tzinfo=MOSCOW))) == 1
    assert scan_watched_folders(datetime(2026, 11, 26, 2, 0, tzinfo=MOSCOW)) == []  # same content: once


def test_a_folder_outside_the_watch_roots_is_never_read(tmp_path, profile_for, settings) -> None:  # type: ignore[no-untyped-def]
    settings.INTEGRATION_WATCH_ROOTS = [str(tmp_path / "inbox")]
    elsewhere = tmp_path / "secrets"
    elsewhere.mkdir()
    _export(elsewhere, "keys.csv")
    profile_for(FileKind.ACCOUNTS, watch_folder=str(elsewhere))

    assert scan_watched_folders() == []
    assert not ImportRun.objects.exists()

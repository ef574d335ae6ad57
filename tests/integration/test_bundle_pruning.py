"""Documents bundles pruned: a finished run's files go after the retention, a resumable run's never."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from abonent.integration.bundles import bundle_dir, link_manifest_folder, prune_bundles
from abonent.integration.fields import FileKind
from abonent.integration.models import ImportProfile, ImportRun
from abonent.integration.tasks import prune_import_bundles_task

pytestmark = pytest.mark.django_db


@pytest.fixture
def documents_profile(profile_for) -> ImportProfile:
    return profile_for(FileKind.DOCUMENTS)


def _run_with_bundle(profile: ImportProfile, status: str, days_ago: float | None) -> ImportRun:
    finished_at = timezone.now() - timedelta(days=days_ago) if days_ago is not None else None
    run = ImportRun.objects.create(
        profile=profile, kind=profile.kind, channel="upload", status=status, finished_at=finished_at
    )
    (bundle_dir(run.pk) / "scans").mkdir(parents=True)
    (bundle_dir(run.pk) / "scans" / "bill.pdf").write_bytes(b"%PDF-1.4")
    return run


def test_bundles_of_runs_finished_before_the_retention_go(documents_profile, settings):
    settings.INTEGRATION_BUNDLE_RETENTION_DAYS = 30
    old = _run_with_bundle(documents_profile, ImportRun.Status.FINISHED, 31)
    suspicious = _run_with_bundle(documents_profile, ImportRun.Status.SUSPICIOUS, 40)
    failed = _run_with_bundle(documents_profile, ImportRun.Status.FAILED, 60)
    recent = _run_with_bundle(documents_profile, ImportRun.Status.FINISHED, 29)

    assert prune_import_bundles_task.call() == 3

    assert not any(bundle_dir(run.pk).exists() for run in (old, suspicious, failed))
    assert (bundle_dir(recent.pk) / "scans" / "bill.pdf").is_file()


def test_a_bundle_of_a_run_that_may_be_resumed_is_never_pruned(documents_profile, settings):
    settings.INTEGRATION_BUNDLE_RETENTION_DAYS = 0
    pending = _run_with_bundle(documents_profile, ImportRun.Status.PENDING, None)
    running = _run_with_bundle(documents_profile, ImportRun.Status.RUNNING, None)
    _age(bundle_dir(pending.pk), days=365)
    _age(bundle_dir(running.pk), days=365)

    assert prune_bundles(now=timezone.now() + timedelta(days=365)) == []

    assert bundle_dir(pending.pk).is_dir() and bundle_dir(running.pk).is_dir()


def test_the_retention_comes_from_the_setting(documents_profile, settings):
    run = _run_with_bundle(documents_profile, ImportRun.Status.FINISHED, 8)

    settings.INTEGRATION_BUNDLE_RETENTION_DAYS = 10
    assert prune_bundles() == []
    settings.INTEGRATION_BUNDLE_RETENTION_DAYS = 7
    assert prune_bundles() == [run.pk]


def test_a_linked_folder_loses_only_its_link(documents_profile, settings, tmp_path):
    settings.INTEGRATION_BUNDLE_RETENTION_DAYS = 30
    operators = tmp_path / "operator-export"
    operators.mkdir()
    (operators / "bill.pdf").write_bytes(b"%PDF-1.4")
    run = ImportRun.objects.create(
        profile=documents_profile,
        kind=documents_profile.kind,
        channel="command",
        status=ImportRun.Status.FINISHED,
        finished_at=timezone.now() - timedelta(days=31),
    )
    link_manifest_folder(run, operators)

    assert prune_bundles() == [run.pk]

    assert not os.path.lexists(bundle_dir(run.pk))
    assert (operators / "bill.pdf").is_file()  # the operator's own files stay


def test_a_bundle_without_a_run_goes_only_once_older_than_the_retention(settings):
    settings.INTEGRATION_BUNDLE_RETENTION_DAYS = 30
    stale, fresh = bundle_dir(9001), bundle_dir(9002)  # an upload rolled back, one still unpacking
    stale.mkdir(parents=True)
    fresh.mkdir(parents=True)
    _age(stale, days=31)

    assert prune_bundles() == [9001]

    assert not stale.exists() and fresh.is_dir()


def test_nothing_to_prune_without_a_bundles_folder():
    assert prune_bundles() == []


def _age(path: Path, *, days: float) -> None:
    moment = (timezone.now() - timedelta(days=days)).timestamp()
    os.utime(path, (moment, moment), follow_symlinks=False)

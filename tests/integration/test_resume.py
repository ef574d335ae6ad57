"""A run killed with SIGKILL in the middle resumes to the same final state, with no duplicates."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from abonent.customers.models import Account, Contact, Customer
from abonent.integration.dirty import write_dirty_export
from abonent.integration.models import ImportRun, SourceRecord
from abonent.integration.services import run_import
from tests.integration.helpers import index_names

ROOT = Path(__file__).resolve().parents[2]


def _database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("mode", [[], ["--initial-load"]], ids=["usual", "initial-load"])
def test_a_run_killed_mid_way_resumes_without_duplicates(tmp_path, accounts_profile, mode):
    indexes = index_names()
    out = tmp_path / "export.csv"
    write_dirty_export(rows=3000, out=out, seed=9, encoding="cp1251")
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "DJANGO_SETTINGS_MODULE": "abonent.config.settings",
        "ABONENT_VAR_DIR": str(settings.VAR_DIR),
        "TASK_BACKEND": "immediate",
    }
    command = [
        sys.executable,
        str(ROOT / "manage.py"),
        "run_import",
        str(out),
        "--profile",
        str(accounts_profile.pk),
    ]
    process = subprocess.Popen(  # noqa: S603 - our own manage.py
        [*command, *mode, "--chunk", "200"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    run_id = None
    assert process.stdout is not None
    for line in process.stdout:  # kill once two chunks are committed: the run is mid-way
        if line.startswith("run "):
            run_id = int(line.split()[1])
        if line.startswith("cursor ") and int(line.split()[1]) >= 400:
            process.send_signal(signal.SIGKILL)
            break
    process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL, process.stderr.read() if process.stderr else ""
    run = ImportRun.objects.get(pk=run_id)
    assert run.status == ImportRun.Status.RUNNING and 0 < run.cursor < run.total_rows
    # Killed in the initial-load mode, the run still knows the indexes it owes.
    assert bool(run.deferred_indexes) == bool(mode) == (index_names() < indexes)

    resumed = run_import(run_id=run.pk, chunk_rows=200)

    assert resumed.status in (ImportRun.Status.FINISHED, ImportRun.Status.SUSPICIOUS)
    assert resumed.deferred_indexes == [] and index_names() == indexes
    assert resumed.applied + resumed.updated + resumed.unchanged + resumed.quarantined == resumed.total_rows
    assert sum(len(c.outcomes) for c in resumed.chunks.all()) == resumed.total_rows
    after_kill = (Customer.objects.count(), Account.objects.count(), Contact.objects.count())
    # An uninterrupted import of the same file by another profile-run changes nothing more.
    started = time.monotonic()
    again = subprocess.run(  # noqa: S603 - our own manage.py
        command, env=env, capture_output=True, text=True, timeout=300, check=True
    )
    assert time.monotonic() - started < 300
    assert "applied 0, updated 0" in again.stdout
    assert (Customer.objects.count(), Account.objects.count(), Contact.objects.count()) == after_kill
    keys = SourceRecord.objects.values_list("kind", "key")
    assert len(set(keys)) == len(keys)
    numbers = list(Account.objects.values_list("number", flat=True))
    assert len(numbers) == len(set(numbers)) == resumed.applied

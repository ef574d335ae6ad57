"""The demo utility's integration: a billing source with profiles, one real import of a dirty export.

The import runs through the same code as production (a 300-row export with every kind of dirt), so the
demo's console shows a report with rule counters, rows in quarantine and duplicates to review.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

from django.db import transaction

from abonent.core.models import Branch
from abonent.integration.dirty import write_dirty_export
from abonent.integration.fields import FileKind
from abonent.integration.models import ImportProfile, ImportRun, SourceSystem, SyncSubscription
from abonent.integration.services import run_import, start_import

DEMO_ROWS = 300


def generate_integration(*, report: Callable[[str], None] = print) -> ImportRun | None:
    """Create the demo billing source and import one dirty export through it."""
    branch = Branch.objects.order_by("pk").first()
    if branch is None:
        return None
    source, _created = SourceSystem.objects.get_or_create(
        code="raschet", defaults={"name": "Биллинг «Расчёт»", "branch": branch}
    )
    SyncSubscription.objects.get_or_create(source=source)
    shown = (
        FileKind.ACCOUNTS, FileKind.METERS, FileKind.CHARGES, FileKind.PAYMENTS, FileKind.READINGS,
        FileKind.DOCUMENTS,
    )  # fmt: skip
    profiles = {
        kind: ImportProfile.objects.get_or_create(source=source, name=str(label), kind=kind)[0]
        for kind, label in FileKind.choices
        if kind in shown
    }
    with tempfile.TemporaryDirectory() as folder:
        export = Path(folder) / "raschet-export-demo.csv"
        write_dirty_export(rows=DEMO_ROWS, out=export, seed=9, encoding="cp1251")
        with transaction.atomic():
            run = start_import(
                profile=profiles[FileKind.ACCOUNTS],
                path=export,
                channel=ImportRun.Channel.COMMAND,
                enqueue=False,
            )
        run = run_import(run_id=run.pk)
    report(f"  integration: demo export of {run.total_rows} rows, {run.quarantined} in quarantine")
    return run

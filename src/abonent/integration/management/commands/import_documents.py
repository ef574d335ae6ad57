"""`manage.py import_documents MANIFEST [--report PROBLEMS.csv] [--profile ID]`: legacy PDFs and scans.

The old name of a documents manifest import, kept for the operators' scripts: it is `run_import` with a
documents profile (the same cleaning, quarantine, resume, and a re-run that changes nothing). Without
--profile the built-in legacy-archive profile reads manifests of the old form: `file` (a path relative
to the manifest; it is also the document's id), `title`, and `account` (account number) or `inn` (the
client's INN: one client must have it). MANIFEST may also be a ZIP with the manifest and its files.
Every row not imported is reported with its reasons: to PROBLEMS.csv, or to the output.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from abonent.integration.bundles import start_manifest_import
from abonent.integration.fields import FileKind
from abonent.integration.management.commands._report import write_quarantine_report
from abonent.integration.models import ImportProfile, ImportRun, SourceSystem
from abonent.integration.services import run_import

LEGACY_SOURCE = "legacy-archive"
LEGACY_PROFILE = "Legacy documents manifest"


class Command(BaseCommand):
    help = "Import legacy documents listed in a manifest, bound to clients by account number or INN."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("manifest", type=Path)
        parser.add_argument("--report", type=Path, help="write the rows not imported here (CSV)")
        parser.add_argument("--profile", type=int, help="a documents profile (default: the legacy one)")

    def handle(
        self,
        *args: Any,
        manifest: Path,
        report: Path | None = None,
        profile: int | None = None,
        **options: Any,
    ) -> None:
        if not manifest.is_file():
            raise CommandError(f"No manifest at {manifest}")
        chosen = _documents_profile(profile)
        with transaction.atomic():
            started = start_manifest_import(profile=chosen, path=manifest, channel=ImportRun.Channel.COMMAND)
        done = run_import(run_id=started.pk)
        self.stdout.write(
            f"run {done.pk}: imported {done.applied}, replaced {done.updated}, unchanged {done.unchanged},"
            f" not imported {done.quarantined}"
        )
        if report:
            with report.open("w", encoding="utf-8", newline="") as out:
                write_quarantine_report(done, out)
        elif done.quarantined:
            write_quarantine_report(done, self.stdout)


def _documents_profile(profile_id: int | None) -> ImportProfile:
    if profile_id is not None:
        found = ImportProfile.objects.filter(pk=profile_id, kind=FileKind.DOCUMENTS).first()
        if found is None:
            raise CommandError(f"No documents profile {profile_id}")
        return found
    return legacy_documents_profile()


def legacy_documents_profile() -> ImportProfile:
    """Return the legacy-archive profile, made on first use: the manifest's file path is the document id."""
    source, _created = SourceSystem.objects.get_or_create(
        code=LEGACY_SOURCE, defaults={"name": "Архив документов прежней системы"}
    )
    profile, _created = ImportProfile.objects.get_or_create(
        source=source,
        name=LEGACY_PROFILE,
        defaults={"kind": FileKind.DOCUMENTS, "mapping": {"document_id": "file"}},
    )
    return profile

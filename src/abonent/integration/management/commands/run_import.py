"""`manage.py run_import --profile ID FILE` (start and run in this process) or `--resume RUN_ID`.

`--report PROBLEMS.csv` writes the rows left in quarantine with their reasons.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from abonent.integration.bundles import start_manifest_import
from abonent.integration.fields import FileKind
from abonent.integration.management.commands._report import write_quarantine_report
from abonent.integration.models import ImportProfile, ImportRun
from abonent.integration.services import run_import, start_import


class Command(BaseCommand):
    help = "Import a file with a profile in this process (or resume a run); prints the run's counts."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", nargs="?", type=Path)
        parser.add_argument("--profile", type=int)
        parser.add_argument("--resume", type=int, help="the id of a run to resume")
        parser.add_argument("--report", type=Path, help="write the rows left in quarantine here (CSV)")
        parser.add_argument("--chunk", type=int, default=20_000)
        parser.add_argument(
            "--initial-load",
            action="store_true",
            help="a first import into empty tables: unread indexes are built once at the end",
        )

    def handle(
        self,
        *args: Any,
        file: Path | None,
        profile: int | None,
        resume: int | None,
        chunk: int,
        report: Path | None = None,
        initial_load: bool = False,
        **options: Any,
    ) -> None:
        if resume:
            run_id = resume
        elif file and profile:
            run_id = self._start(file, ImportProfile.objects.get(pk=profile), initial_load)
            self.stdout.write(f"run {run_id}", ending="\n")
            self.stdout.flush()
        else:
            raise CommandError("give FILE with --profile, or --resume RUN_ID")

        def progress(run: ImportRun) -> None:
            self.stdout.write(f"cursor {run.cursor}")
            self.stdout.flush()

        done = run_import(run_id=run_id, chunk_rows=chunk, on_chunk=progress)
        self.stdout.write(
            f"{done.status}: {done.total_rows} rows, applied {done.applied}, updated {done.updated},"
            f" unchanged {done.unchanged}, quarantined {done.quarantined}, {done.rows_per_second:,.0f} rows/s"
        )
        if report:
            with report.open("w", encoding="utf-8", newline="") as out:
                write_quarantine_report(done, out)

    @staticmethod
    def _start(file: Path, profile: ImportProfile, initial_load: bool) -> int:
        """Start the run; a documents manifest brings its files: a ZIP with them, or the folder it lies in."""
        channel = ImportRun.Channel.COMMAND
        with transaction.atomic():
            if profile.kind == FileKind.DOCUMENTS:
                return start_manifest_import(profile=profile, path=file, channel=channel).pk
            run = start_import(
                profile=profile, path=file, channel=channel, enqueue=False, initial_load=initial_load
            )
        return run.pk

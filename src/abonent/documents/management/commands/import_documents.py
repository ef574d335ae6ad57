"""Import legacy PDFs and scans: `manage.py import_documents manifest.csv [--report problems.csv]`.

The manifest is CSV with a header: `file` (path relative to the manifest), `title`, and `account`
(account number) or `inn` (the client's INN). Files go to the client's folder chosen by the folder
rules; every row that cannot be bound or is refused is reported with its reason.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from abonent.documents.attachments import import_legacy, write_report


class Command(BaseCommand):
    help = "Import legacy documents listed in a manifest CSV, binding them to clients by account or INN."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("manifest", type=Path)
        parser.add_argument("--report", type=Path, help="Write the rows not imported here (CSV).")

    def handle(self, *args: object, manifest: Path, report: Path | None = None, **options: object) -> None:
        if not manifest.is_file():
            raise CommandError(f"No manifest at {manifest}")
        with manifest.open(encoding="utf-8-sig", newline="") as source:
            rows = csv.DictReader(source)
            if not rows.fieldnames or "file" not in rows.fieldnames:
                raise CommandError("The manifest needs a header with at least: file, title, account or inn")
            result = import_legacy(manifest=rows, base_dir=manifest.parent)
        self.stdout.write(f"imported: {result.imported}, not bound: {len(result.problems)}")
        if report:
            with report.open("w", encoding="utf-8", newline="") as out:
                write_report(result, out)
        else:
            write_report(result, sys.stdout)

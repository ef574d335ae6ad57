"""`manage.py import_readings FILE`: apply a file of meter readings and write a report of every row."""

from __future__ import annotations

import io
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from abonent.identity.models import User
from abonent.identity.selectors import accounts_for_user
from abonent.metering.bulk_import import decode, import_readings
from abonent.metering.errors import BulkFileError


class Command(BaseCommand):
    help = (
        "Apply meter readings from a CSV file (account, meter, date, t1[, t2, t3]); every row is applied "
        "or rejected with its reason in the report (FILE.report.csv unless --report is given)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="CSV file, comma or semicolon separated, UTF-8 or cp1251")
        parser.add_argument("--report", type=Path, help="where to write the report (CSV)")
        parser.add_argument(
            "--user", help="staff login the readings are recorded under; limits the file to their accounts"
        )

    def handle(
        self, *args: object, file: Path, report: Path | None, user: str | None, **options: object
    ) -> None:
        if not file.is_file():
            raise CommandError(f"No such file: {file}")
        submitter = self._user(user)
        report_path = report or file.with_name(file.name + ".report.csv")
        source = io.StringIO(decode(file.read_bytes()), newline="")
        with report_path.open("w", encoding="utf-8", newline="") as out:
            try:
                summary = import_readings(
                    source=source,
                    report=out,
                    submitted_by=submitter,
                    accounts=accounts_for_user(user=submitter) if submitter else None,
                )
            except BulkFileError as error:
                raise CommandError(error.message) from error
        counts = ", ".join(f"{status} {count}" for status, count in sorted(summary.by_status.items()))
        self.stdout.write(f"{summary.total} rows: {counts or 'none'}. Report: {report_path}")
        if summary.rejected:
            self.stdout.write(self.style.WARNING(f"{summary.rejected} rows rejected; see the report."))

    def _user(self, username: str | None) -> User | None:
        if not username:
            return None
        user = User.objects.filter(username__iexact=username, is_staff=True, is_active=True).first()
        if user is None:
            raise CommandError(f"No active staff login {username!r}")
        return user

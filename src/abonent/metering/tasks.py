"""Background entry points of metering: thin, take paths and ids, safe to retry."""

from __future__ import annotations

import io
from pathlib import Path

from django_tasks import task

from abonent.identity.models import User
from abonent.identity.selectors import accounts_for_user
from abonent.metering.bulk_import import decode, import_readings


@task()
def import_readings_file_task(path: str, report_path: str, user_id: int | None = None) -> dict[str, int]:
    """Apply a readings file in the background and write its report; return the counts by status.

    Safe to run twice: a row applied again supersedes its own earlier copy, and the report is rewritten.
    """
    user = User.objects.filter(pk=user_id, is_active=True).first() if user_id else None
    source = decode(Path(path).read_bytes())
    with Path(report_path).open("w", encoding="utf-8", newline="") as report:
        summary = import_readings(
            source=io.StringIO(source, newline=""),
            report=report,
            submitted_by=user,
            accounts=accounts_for_user(user=user) if user else None,
        )
    return summary.by_status

"""Bulk files: every row applied or rejected with its reason, and a report of each row."""

from __future__ import annotations

import csv
import datetime
import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from abonent.metering.bulk_import import import_readings
from abonent.metering.models import Channel, Reading

pytestmark = pytest.mark.django_db


def report_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_every_row_is_applied_or_rejected_with_its_reason(meter, water_meter, operator) -> None:  # type: ignore[no-untyped-def]
    number = meter.account.number
    source = io.StringIO(
        "account;meter;date;t1;t2\n"
        f"{number};E100;20.11.2026;13400,5;5600\n"  # fine
        f"{number};W200;2026-11-19;350;\n"  # lower than 360 in October
        f"{number};NOPE;20.11.2026;1;\n"  # no such meter
        f"{number};W200;31.02.2026;400;\n"  # no such date
        "\n"  # blank lines are not rows
        f"{number};W200;21.11.2026;12a;\n"  # not a number
        f"{number};W200;21.12.2026;400;\n"  # in the future
    )
    report = io.StringIO()
    summary = import_readings(source=source, report=report, submitted_by=operator)
    rows = report_rows(report.getvalue())
    assert [(r["line"], r["status"], r["codes"]) for r in rows] == [
        ("2", "applied", ""),
        ("3", "rejected", "lower_than_previous"),
        ("4", "rejected", "meter_not_found"),
        ("5", "rejected", "bad_date"),
        ("7", "rejected", "not_a_number"),
        ("8", "rejected", "future_date"),
    ]
    assert "360" in rows[1]["message"] and "NOPE" in rows[2]["message"]
    assert (summary.total, summary.applied, summary.rejected) == (6, 1, 5)
    reading = Reading.objects.get(meter=meter, period=datetime.date(2026, 11, 1))
    assert (reading.channel, reading.submitted_by) == (Channel.BULK_FILE, operator)
    assert reading.submitted_at.date() == datetime.date(2026, 11, 20)


def test_a_file_may_only_touch_the_given_accounts(meter, other_account) -> None:  # type: ignore[no-untyped-def]
    from abonent.customers.models import Account

    source = io.StringIO(f"account,meter,date,t1,t2\n{meter.account.number},E100,20.11.2026,13400,5600\n")
    report = io.StringIO()
    import_readings(source=source, report=report, accounts=Account.objects.filter(pk=other_account.pk))
    assert report_rows(report.getvalue())[0]["codes"] == "meter_not_found"


def test_flagged_and_late_rows_are_named_in_the_report(meter) -> None:  # type: ignore[no-untyped-def]
    number = meter.account.number
    source = io.StringIO(
        "Лицевой счёт,Счётчик,Дата,Т1,Т2\n"
        f"{number},E100,20.11.2026 10:00,13680,5720\n"
        f"{number},E100,19.11.2026 10:00,13670,5710\n"
    )
    report = io.StringIO()
    import_readings(source=source, report=report)
    assert [r["status"] for r in report_rows(report.getvalue())] == ["flagged", "history"]


def test_a_file_without_the_needed_columns_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "readings.csv"
    path.write_text("account,value\n1,2\n", encoding="utf-8")
    with pytest.raises(CommandError, match="meter"):
        call_command("import_readings", str(path))


def test_the_command_writes_the_report_next_to_the_file(meter, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "round.csv"
    content = f"account;meter;date;t1;t2\n{meter.account.number};E100;20.11.2026;13400;5600\n"
    path.write_bytes(content.encode("cp1251"))  # Excel's encoding in Russia
    out = io.StringIO()
    call_command("import_readings", str(path), stdout=out)
    report = (tmp_path / "round.csv.report.csv").read_text(encoding="utf-8")
    assert report_rows(report)[0]["status"] == "applied"
    assert "1 rows" in out.getvalue()


def test_the_command_records_a_staff_login(meter, operator, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "round.csv"
    path.write_text(f"account,meter,date,t1,t2\n{meter.account.number},E100,20.11.2026,13400,5600\n")
    call_command(
        "import_readings",
        str(path),
        "--user",
        "operator",
        "--report",
        str(tmp_path / "r.csv"),
        stdout=io.StringIO(),
    )
    assert Reading.objects.get(period=datetime.date(2026, 11, 1)).submitted_by == operator
    with pytest.raises(CommandError, match="staff"):
        call_command("import_readings", str(path), "--user", "nobody", stdout=io.StringIO())


def test_the_background_task_applies_a_file_and_writes_the_report(meter, operator, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from abonent.metering.tasks import import_readings_file_task

    path, report = tmp_path / "in.csv", tmp_path / "out.csv"
    path.write_text(f"account,meter,date,t1,t2\n{meter.account.number},E100,20.11.2026,13400,5600\n")
    result = import_readings_file_task.enqueue(str(path), str(report), operator.pk)
    assert result.return_value == {"applied": 1}
    assert report_rows(report.read_text())[0]["status"] == "applied"

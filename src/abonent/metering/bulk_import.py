"""Readings from a file (a controller's export, an inspector's round, a billing system): every row is
applied or rejected with its reason, and a CSV report says which — no row is dropped silently.

The file is CSV with a header, separated by commas or semicolons (Excel in Russia writes those),
in UTF-8 or Windows-1251. Columns, in any order (Russian names accepted too):

    account   the account number              (лицевой счёт, лс)
    meter     the meter's serial number       (счётчик, номер счётчика)
    date      DD.MM.YYYY or YYYY-MM-DD, optionally with HH:MM   (дата)
    t1        the reading, or the day zone    (показание, т1)
    t2, t3    night and semi-peak zones, empty for a single-rate meter

Each row goes through the same `submit_readings` as the cabinet, with channel "bulk_file".
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, time
from decimal import Decimal
from itertools import chain, islice
from typing import IO, TextIO

from django.db.models import QuerySet
from django.utils import timezone

from abonent.customers.models import Account
from abonent.identity.models import User
from abonent.metering.errors import (
    BadDate,
    MeterBusy,
    MissingColumns,
    ReadingError,
    ReadingsRejected,
    UnknownMeter,
)
from abonent.metering.models import Channel, Meter, Reading
from abonent.metering.rules import parse_value
from abonent.metering.services import submit_readings

CHUNK_ROWS = 500
REPORT_HEADER = ["line", "account", "meter", "date", "status", "codes", "message"]
_ALIASES = {
    "account": {"account", "account_number", "лицевой счёт", "лицевой счет", "лс", "счёт", "счет"},
    "meter": {"meter", "serial", "serial_number", "счётчик", "счетчик", "номер счётчика", "номер счетчика"},
    "date": {"date", "reading_date", "taken_on", "дата", "дата показаний"},
    "t1": {"t1", "value", "reading", "показание", "показания", "т1"},
    "t2": {"t2", "т2"},
    "t3": {"t3", "т3"},
}
_REQUIRED = ("account", "meter", "date", "t1")
_DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y", "%Y-%m-%d %H:%M", "%d.%m.%Y %H:%M", "%Y-%m-%dT%H:%M", "%d.%m.%y")


class Status:
    APPLIED = "applied"
    FLAGGED = "flagged"  # applied, marked for review as unusually high
    KEPT_AS_HISTORY = "history"  # applied, but a later reading of the same period counts
    REJECTED = "rejected"


@dataclass
class ImportSummary:
    """How many rows were applied and rejected; the report file holds each row's fate."""

    total: int = 0
    by_status: dict[str, int] = field(default_factory=dict)

    def count(self, status: str) -> None:
        self.total += 1
        self.by_status[status] = self.by_status.get(status, 0) + 1

    @property
    def rejected(self) -> int:
        return self.by_status.get(Status.REJECTED, 0)

    @property
    def applied(self) -> int:
        return self.total - self.rejected


@dataclass(frozen=True)
class Row:
    line: int
    account: str
    meter: str
    date: str
    values: dict[str, str]


def decode(raw: bytes) -> str:
    """Return the file's text: UTF-8 (with or without BOM), else Windows-1251."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1251")


def import_readings(
    *,
    source: TextIO,
    report: IO[str],
    submitted_by: User | None = None,
    accounts: QuerySet[Account] | None = None,
) -> ImportSummary:
    """Apply or reject every row of the file and write one report line per row.

    `accounts` limits which accounts the file may touch (a staff member's branch); None means all.
    """
    writer = csv.writer(report)
    writer.writerow(REPORT_HEADER)
    summary = ImportSummary()
    rows = _rows(source)
    while chunk := list(islice(rows, CHUNK_ROWS)):
        meters = _meters_for(chunk, accounts)
        for row in chunk:
            status, codes, message = _apply(row, meters, submitted_by)
            summary.count(status)
            writer.writerow([row.line, row.account, row.meter, row.date, status, codes, message])
    return summary


def _rows(source: TextIO) -> Iterator[Row]:
    first = source.readline()
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(chain([first], source), delimiter=delimiter)
    header = next(reader, [])
    columns = _columns(header)
    for number, cells in enumerate(reader, start=2):
        if not any(cell.strip() for cell in cells):
            continue
        cell = {name: (cells[i].strip() if i < len(cells) else "") for name, i in columns.items()}
        values = {zone.upper(): cell.get(zone, "") for zone in ("t1", "t2", "t3")}
        yield Row(number, cell["account"], cell["meter"], cell["date"], values)


def _columns(header: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, title in enumerate(header):
        name = title.strip().lower().replace("_", " ")
        for column, aliases in _ALIASES.items():
            if name in aliases or name.replace(" ", "_") in aliases:
                found.setdefault(column, index)
    missing = [column for column in _REQUIRED if column not in found]
    if missing:
        raise MissingColumns(missing)
    return found


def _meters_for(chunk: Iterable[Row], accounts: QuerySet[Account] | None) -> dict[tuple[str, str], Meter]:
    rows = list(chunk)
    meters = Meter.objects.filter(serial_number__in={row.meter for row in rows}).select_related(
        "account__branch__organisation"
    )
    if accounts is not None:
        meters = meters.filter(account__in=accounts)
    return {(meter.account.number, meter.serial_number): meter for meter in meters}


def _apply(row: Row, meters: dict[tuple[str, str], Meter], submitted_by: User | None) -> tuple[str, str, str]:
    try:
        meter = meters.get((row.account, row.meter))
        if meter is None:
            raise ReadingsRejected([UnknownMeter(meter=row.meter, account=row.account)])
        reading = submit_readings(
            meter=meter,
            values=_values(row),
            channel=Channel.BULK_FILE,
            submitted_by=submitted_by,
            submitted_at=_moment(row.date, meter),
        )
    except ReadingsRejected as rejection:
        codes = " ".join(error.code for error in rejection.errors)
        return Status.REJECTED, codes, rejection.message
    except MeterBusy as busy:  # reported like a refusal: the row can be sent again
        return Status.REJECTED, busy.code, busy.message
    if not reading.is_current:
        return Status.KEPT_AS_HISTORY, "", ""
    if reading.review == Reading.Review.PENDING:
        return Status.FLAGGED, "", ""
    return Status.APPLIED, "", ""


def _values(row: Row) -> dict[str, Decimal | None]:
    values: dict[str, Decimal | None] = {}
    errors: list[ReadingError] = []
    for zone, text in row.values.items():
        if not text:
            continue
        try:
            values[zone] = parse_value(text, zone=zone)
        except ReadingError as error:
            errors.append(error)
    if errors:
        raise ReadingsRejected(errors)
    return values


def _moment(text: str, meter: Meter) -> datetime:
    """Return the reading's moment: the time given, or noon of the day (never later than now)."""
    tz = meter.account.branch.zone
    for pattern in _DATE_FORMATS:
        try:
            parsed = datetime.strptime(text, pattern)  # the branch's zone is set below
        except ValueError:
            continue
        if "%H" in pattern:
            return parsed.replace(tzinfo=tz)
        noon = datetime.combine(parsed.date(), time(12), tzinfo=tz)
        now = timezone.now()
        # Today's readings arriving in the morning are dated now, not at a noon still to come.
        return now if parsed.date() == timezone.localtime(now, tz).date() and noon > now else noon
    raise ReadingsRejected([BadDate(value=text)])

"""The Russian federal production calendar, kept as data in data/ru_production_calendar.json.

The file lists, year by year, the non-working holidays (Labour Code art. 112), the days off and
working Saturdays moved by the Government's yearly decree on transferring days off, and the
pre-holiday days shortened by an hour (art. 95). Each year names its decree and sources; a year
whose decree is not out yet is marked ``provisional`` with a note.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from django.db import transaction

from abonent.core.models import BusinessCalendar, CalendarDay

DATA_FILE = Path(__file__).resolve().parent / "data" / "ru_production_calendar.json"
FEDERAL_CALENDAR_NAME = "Россия (федеральный)"


@dataclass(frozen=True, kw_only=True, slots=True)
class FederalDay:
    """One dated exception of the federal calendar."""

    date: date
    kind: str
    note: str


@cache
def calendar_data() -> dict[str, Any]:
    """Return the calendar file as parsed JSON."""
    return json.loads(DATA_FILE.read_text(encoding="utf-8"))


def covered_years() -> list[int]:
    """Return the years the data file describes."""
    return [entry["year"] for entry in calendar_data()["years"]]


def federal_days() -> list[FederalDay]:
    """Return every dated exception of the federal calendar, in date order."""
    days = [
        FederalDay(date=date.fromisoformat(day["date"]), kind=day["kind"], note=day["note"])
        for entry in calendar_data()["years"]
        for day in entry["days"]
    ]
    return sorted(days, key=lambda day: day.date)


@transaction.atomic
def load_federal_calendar(*, name: str = FEDERAL_CALENDAR_NAME) -> BusinessCalendar:
    """Create or update the federal calendar from the data file; running it again changes nothing."""
    calendar, _ = BusinessCalendar.objects.get_or_create(name=name)
    days = federal_days()
    CalendarDay.objects.filter(calendar=calendar, date__year__in=covered_years()).exclude(
        date__in=[day.date for day in days]
    ).delete()
    CalendarDay.objects.bulk_create(
        [CalendarDay(calendar=calendar, date=day.date, kind=day.kind, note=day.note) for day in days],
        update_conflicts=True,
        unique_fields=["calendar", "date"],
        update_fields=["kind", "note"],
    )
    return calendar

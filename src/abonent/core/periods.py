"""Billing periods (a calendar month), payment due dates and meter-reading windows."""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime

from django.utils import timezone, translation
from django.utils.dates import MONTHS
from django.utils.translation import gettext

_ISO_PERIOD = re.compile(r"(?P<year>\d{4})-(?P<month>\d{1,2})")
_RU_PERIOD = re.compile(r"(?P<month>\d{1,2})\.(?P<year>\d{4})")
# Month names are common nouns in these languages, written in lower case inside a phrase.
_LOWERCASE_MONTH_LANGUAGES = ("ru",)


@dataclass(frozen=True, order=True, slots=True)
class BillingPeriod:
    """One billing month: BillingPeriod(2026, 11) is November 2026."""

    year: int
    month: int

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12:
            raise ValueError(f"month must be 1..12, got {self.month}")
        if not 1 <= self.year <= 9999:
            raise ValueError(f"year must be 1..9999, got {self.year}")

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and (day.year, day.month) == (self.year, self.month)

    @classmethod
    def from_date(cls, day: date) -> BillingPeriod:
        """Return the period a date falls in."""
        return cls(day.year, day.month)

    @classmethod
    def parse(cls, text: str) -> BillingPeriod:
        """Read a period written as "2026-11" or "11.2026"."""
        match = _ISO_PERIOD.fullmatch(text.strip()) or _RU_PERIOD.fullmatch(text.strip())
        if match is None:
            message = gettext("Not a billing period: %(value)s (expected YYYY-MM)") % {"value": text}
            raise ValueError(message)
        return cls(int(match["year"]), int(match["month"]))

    @property
    def start(self) -> date:
        """Return the first day of the period."""
        return date(self.year, self.month, 1)

    @property
    def end(self) -> date:
        """Return the last day of the period."""
        return date(self.year, self.month, self.days)

    @property
    def days(self) -> int:
        """Return the number of days in the period."""
        return calendar.monthrange(self.year, self.month)[1]

    def next(self) -> BillingPeriod:
        """Return the following period."""
        return self.shift(1)

    def previous(self) -> BillingPeriod:
        """Return the preceding period."""
        return self.shift(-1)

    def shift(self, months: int) -> BillingPeriod:
        """Return the period that many months later (earlier when negative)."""
        index = self.year * 12 + self.month - 1 + months
        return BillingPeriod(index // 12, index % 12 + 1)

    def day(self, number: int) -> date:
        """Return the given day of the period, clamped to its last day (31 → 28 in February)."""
        if number < 1:
            raise ValueError(f"day must be positive, got {number}")
        return date(self.year, self.month, min(number, self.days))

    def label(self, lang: str | None = None) -> str:
        """Return the period for people: "ноябрь 2026" in Russian, "November 2026" in English."""
        with translation.override(lang or translation.get_language()):
            month = str(MONTHS[self.month])
            if (translation.get_language() or "").startswith(_LOWERCASE_MONTH_LANGUAGES):
                month = month.lower()
        return f"{month} {self.year}"


def periods_between(first: BillingPeriod, last: BillingPeriod) -> Iterator[BillingPeriod]:
    """Yield every period from first to last, both included; nothing when last is earlier."""
    period = first
    while period <= last:
        yield period
        period = period.next()


def current_period(today: date | None = None) -> BillingPeriod:
    """Return the period of today (in the active time zone) or of the given day."""
    return BillingPeriod.from_date(today or timezone.localdate())


def due_date(period: BillingPeriod, due_day: int = 15) -> date:
    """Return the payment due date: the due day of the month after the period."""
    return period.next().day(due_day)


@dataclass(frozen=True, slots=True)
class DateWindow:
    """An inclusive range of dates, such as the window for submitting meter readings."""

    start: date
    end: date

    def __contains__(self, day: object) -> bool:
        if isinstance(day, datetime):
            day = day.date()
        return isinstance(day, date) and self.start <= day <= self.end

    @property
    def days(self) -> int:
        """Return the number of days in the window."""
        return (self.end - self.start).days + 1


def readings_window(period: BillingPeriod, start_day: int, end_day: int) -> DateWindow:
    """Return the days of the period when meter readings are accepted (the organisation's setting)."""
    if not 1 <= start_day <= end_day:
        raise ValueError(f"readings window must satisfy 1 <= start <= end, got {start_day}..{end_day}")
    return DateWindow(period.day(start_day), period.day(end_day))

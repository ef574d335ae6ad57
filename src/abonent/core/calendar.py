"""The business calendar in memory: working days and hours for deadlines and SLA clocks.

A ``WorkingCalendar`` is built once from a ``BusinessCalendar`` and its parents (a child's days
override its parent's) and then answers without queries. Day kinds come from ``CalendarDay``;
a date that is not listed is a working day from Monday to Friday and a weekend otherwise.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Case, Count, F, Max, Sum, Value, When
from django.db.models.functions import ExtractDay, ExtractMonth, ExtractYear

from abonent.core.models import Branch, BusinessCalendar, CalendarDay

ONE_DAY = timedelta(days=1)
# Ten years without a single working day means broken calendar data, not a long holiday.
_IDLE_DAYS_LIMIT = 3660
_MAX_PARENTS = 8

Interval = tuple[datetime, datetime]


class DayKind(enum.StrEnum):
    """What a date is in a calendar; the values match ``CalendarDay.Kind`` plus a plain weekend."""

    WORKING = "working"
    SHORTENED = "shortened"
    WEEKEND = "weekend"
    HOLIDAY = "holiday"
    DAY_OFF = "day_off"


WORKING_KINDS = frozenset({DayKind.WORKING, DayKind.SHORTENED})


@dataclass(frozen=True, kw_only=True, eq=False)
class WorkingCalendar:
    """A business calendar held in memory: dated exceptions plus the working-day schedule."""

    days: Mapping[date, DayKind] = field(default_factory=dict)
    work_start: time = time(9)
    work_end: time = time(18)
    lunch_start: time | None = time(13)
    lunch_end: time | None = time(14)
    shortened_by: timedelta = timedelta(hours=1)

    def __post_init__(self) -> None:
        object.__setattr__(self, "days", MappingProxyType(dict(self.days)))

    @classmethod
    def from_model(cls, calendar: BusinessCalendar) -> WorkingCalendar:
        """Build the calendar from the database: its days over its parents' days, in two queries."""
        return _build(_chain(calendar.pk))

    def day_kind(self, day: date) -> DayKind:
        """Return what the date is: working, shortened, weekend, holiday or a transferred day off."""
        listed = self.days.get(day)
        if listed is not None:
            return listed
        return DayKind.WEEKEND if day.weekday() >= 5 else DayKind.WORKING

    def is_working_day(self, day: date) -> bool:
        """Tell whether people work on the date (shortened days included)."""
        return self.day_kind(day) in WORKING_KINDS

    def working_hours(self, day: date, tz: tzinfo | str) -> list[Interval]:
        """Return the working intervals of the date in the time zone, lunch excluded."""
        zone = _zone(tz)
        return [(start.astimezone(zone), end.astimezone(zone)) for start, end in self._utc_hours(day, zone)]

    def add_working_days(self, day: date, n: int) -> date:
        """Return the date n working days after the day (before it when n is negative)."""
        step = ONE_DAY if n >= 0 else -ONE_DAY
        remaining, idle = abs(n), 0
        while remaining:
            day += step
            if self.is_working_day(day):
                remaining, idle = remaining - 1, 0
            else:
                idle = _check_idle(idle + 1)
        return day

    def working_days_between(self, a: date, b: date) -> int:
        """Count the working days after a up to and including b; negative when b is before a."""
        if b < a:
            return -self.working_days_between(b, a)
        return sum(self.is_working_day(day) for day in _dates(a + ONE_DAY, b))

    def add_working_time(self, start: datetime, duration: timedelta, tz: tzinfo | str) -> datetime:
        """Return the moment when the duration of working time has passed since start."""
        if duration < timedelta(0):
            raise ValueError("duration must not be negative")
        zone, cursor = _zone(tz), _utc(start)
        remaining = duration
        for begin, end in self._intervals_from(cursor, zone):
            begin = max(begin, cursor)
            if remaining <= end - begin:
                return (begin + remaining).astimezone(zone)
            remaining -= end - begin
        raise AssertionError("unreachable: _intervals_from() never ends quietly")  # pragma: no cover

    def next_working_moment(self, moment: datetime, tz: tzinfo | str) -> datetime:
        """Return the moment itself when it is working time, else the start of the next working interval."""
        return self.add_working_time(moment, timedelta(0), tz)

    def working_time_between(self, a: datetime, b: datetime, tz: tzinfo | str) -> timedelta:
        """Return how much working time lies between two moments; negative when b is before a."""
        zone, a, b = _zone(tz), _utc(a), _utc(b)
        if b < a:
            return -self.working_time_between(b, a, zone)
        total = timedelta(0)
        for day in _dates(a.astimezone(zone).date(), b.astimezone(zone).date()):
            for begin, end in self._utc_hours(day, zone):
                total += max(min(end, b) - max(begin, a), timedelta(0))
        return total

    def _utc_hours(self, day: date, zone: tzinfo) -> list[Interval]:
        """Return the working intervals of the date as UTC moments (safe to subtract)."""
        kind = self.day_kind(day)
        if kind not in WORKING_KINDS:
            return []
        start, end = _at(day, self.work_start, zone), _at(day, self.work_end, zone)
        if kind is DayKind.SHORTENED:
            end -= self.shortened_by
        pieces = [(start, end)]
        if self.lunch_start is not None and self.lunch_end is not None:
            lunch = (_at(day, self.lunch_start, zone), _at(day, self.lunch_end, zone))
            pieces = [(start, min(end, lunch[0])), (max(start, lunch[1]), end)]
        return [(begin, finish) for begin, finish in pieces if begin < finish]

    def _intervals_from(self, moment: datetime, zone: tzinfo) -> Iterator[Interval]:
        """Yield the working intervals (UTC) that end after the moment, in order, without end."""
        day, idle = moment.astimezone(zone).date(), 0
        while True:
            hours = [(begin, end) for begin, end in self._utc_hours(day, zone) if end > moment]
            idle = 0 if hours else _check_idle(idle + 1)
            yield from hours
            day += ONE_DAY


def _check_idle(idle_days: int) -> int:
    """Stop a search that has walked too far without meeting a working day."""
    if idle_days > _IDLE_DAYS_LIMIT:
        raise ValueError("the business calendar has no working day within ten years")
    return idle_days


def _dates(first: date, last: date) -> Iterator[date]:
    """Yield the dates from first to last, both included."""
    for offset in range((last - first).days + 1):
        yield first + timedelta(days=offset)


def _zone(tz: tzinfo | str) -> tzinfo:
    """Return a time zone given as an object or an IANA name."""
    return ZoneInfo(tz) if isinstance(tz, str) else tz


def _utc(moment: datetime) -> datetime:
    """Return an aware moment in UTC, refusing naive datetimes."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("an aware datetime is required")
    return moment.astimezone(UTC)


def _at(day: date, at: time, zone: tzinfo) -> datetime:
    """Return the UTC moment of a wall-clock time on a date in the zone."""
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


def _time(value: time | str) -> time:
    """Return a time; unsaved model instances still hold their string defaults."""
    return time.fromisoformat(value) if isinstance(value, str) else value


# --- Loading from the database ---------------------------------------------------------------------


def _chain(calendar_id: int) -> list[BusinessCalendar]:
    """Return the calendar and its ancestors, root first, from one query over all calendars."""
    calendars = {c.pk: c for c in BusinessCalendar.objects.all()}
    chain = [calendars[calendar_id]]
    while chain[-1].parent_id in calendars and len(chain) <= _MAX_PARENTS:
        parent = calendars[chain[-1].parent_id]
        if parent in chain:
            break
        chain.append(parent)
    return chain[::-1]


def _build(chain: list[BusinessCalendar]) -> WorkingCalendar:
    """Build a WorkingCalendar whose days come from the chain, later calendars overriding."""
    rank = {calendar.pk: index for index, calendar in enumerate(chain)}
    rows = CalendarDay.objects.filter(calendar_id__in=rank).values_list("calendar_id", "date", "kind")
    ordered = sorted(rows, key=lambda row: rank[row[0]])
    own = chain[-1]
    return WorkingCalendar(
        days={day: DayKind(kind) for _, day, kind in ordered},
        work_start=_time(own.work_start),
        work_end=_time(own.work_end),
        lunch_start=_time(own.lunch_start) if own.lunch_start else None,
        lunch_end=_time(own.lunch_end) if own.lunch_end else None,
        shortened_by=timedelta(minutes=own.shortened_by_minutes),
    )


def _version(chain: list[BusinessCalendar]) -> tuple[Any, ...]:
    """Return a fingerprint of the chain's settings and days that changes with any edit."""
    settings = tuple(
        (c.pk, c.parent_id, c.work_start, c.work_end, c.lunch_start, c.lunch_end, c.shortened_by_minutes)
        for c in chain
    )
    kind_code = Case(*(When(kind=k, then=Value(i + 1)) for i, k in enumerate(DayKind)), default=Value(0))
    date_code = ExtractYear("date") * 372 + ExtractMonth("date") * 31 + ExtractDay("date")
    days = CalendarDay.objects.filter(calendar_id__in=[c.pk for c in chain]).aggregate(
        count=Count("id"), top=Max("id"), kinds=Sum(F("id") * kind_code), dates=Sum(F("id") * date_code)
    )
    return settings, tuple(sorted(days.items()))


_cache: dict[int, tuple[tuple[Any, ...], WorkingCalendar]] = {}


def working_calendar(calendar_id: int) -> WorkingCalendar:
    """Return the calendar with this id, rebuilt only when its settings or days have changed."""
    chain = _chain(calendar_id)
    version = _version(chain)
    cached = _cache.get(calendar_id)
    if cached is not None and cached[0] == version:
        return cached[1]
    built = _build(chain)
    _cache[calendar_id] = (version, built)
    return built


def calendar_for_branch(branch: Branch) -> WorkingCalendar:
    """Return the working calendar of the branch (cached per process, fresh after edits)."""
    return working_calendar(branch.calendar_id)


def clear_calendar_cache() -> None:
    """Forget every cached calendar (tests, or after a bulk load)."""
    _cache.clear()

"""The readings window: which period a reading counts for, and how to tell the customer.

The organisation configures the window's days (Organisation.readings_window_start_day/_end_day,
15th-25th by default). A reading submitted up to the window's last day counts for the current
period (one submitted before the window opens counts too, and a later one inside the window
replaces it); a reading submitted after the window counts for the next period. Days are counted in
the branch's time zone.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime, tzinfo

from django.utils import dateformat, timezone
from django.utils.translation import gettext, ngettext

from abonent.core.models import Organisation
from abonent.core.periods import BillingPeriod, DateWindow, readings_window


class WindowState(enum.StrEnum):
    NOT_YET_OPEN = "not_yet_open"
    OPEN = "open"
    CLOSED = "closed"


def local_day(moment: datetime, tz: tzinfo) -> date:
    return timezone.localtime(moment, tz).date()


def period_for(day: date, *, end_day: int) -> BillingPeriod:
    """Return the period a reading submitted on the day counts for."""
    period = BillingPeriod.from_date(day)
    return period if day <= period.day(end_day) else period.next()


@dataclass(frozen=True)
class WindowStatus:
    """Where today stands against this month's readings window."""

    today: date
    window: DateWindow
    period: BillingPeriod  # the period a reading submitted today counts for

    @property
    def state(self) -> WindowState:
        if self.today < self.window.start:
            return WindowState.NOT_YET_OPEN
        return WindowState.OPEN if self.today <= self.window.end else WindowState.CLOSED

    @property
    def days_left(self) -> int:
        """Return the days left in the window, today included (0 when it is not open)."""
        return (self.window.end - self.today).days + 1 if self.state is WindowState.OPEN else 0

    @property
    def message(self) -> str:
        """Say it the way a customer needs it: "open until 25 November, 2 days left"."""
        end = _day_month(self.window.end)
        if self.state is WindowState.OPEN:
            days = self.days_left
            if days == 1:
                return gettext("Readings are accepted until %(end)s — today is the last day.") % {"end": end}
            return ngettext(
                "Readings are accepted until %(end)s, %(days)d day left.",
                "Readings are accepted until %(end)s, %(days)d days left.",
                days,
            ) % {"end": end, "days": days}
        if self.state is WindowState.NOT_YET_OPEN:
            return gettext(
                "Readings for %(period)s are taken from %(start)s to %(end)s. "
                "You can submit them now; a later submission before %(end)s replaces them."
            ) % {"period": self.period.label(), "start": _day_month(self.window.start), "end": end}
        return gettext(
            "Readings for %(closed)s were accepted until %(end)s. "
            "Readings submitted now count for %(period)s."
        ) % {
            "closed": BillingPeriod.from_date(self.window.end).label(),
            "end": end,
            "period": self.period.label(),
        }


def _day_month(day: date) -> str:
    # "j E": the day and the month in the genitive where the language has one ("25 ноября").
    return dateformat.format(day, "j E")


def window_status(*, organisation: Organisation, today: date) -> WindowStatus:
    """Return the readings window of today's month and the period a reading submitted today counts for."""
    start, end = organisation.readings_window_start_day, organisation.readings_window_end_day
    window = readings_window(BillingPeriod.from_date(today), start, end)
    return WindowStatus(today=today, window=window, period=period_for(today, end_day=end))

"""Penalties (пени) for late payment, Housing Code art. 155 part 14, computed line by line (pure).

The rule, with every number taken from dated data (see billing/data/penalty_rules.json):
- each period's debt runs its own clock from the day after its due date;
- days 1–30 are free, days 31–90 cost 1/300 of the rate per day, from day 91 1/130;
- the rate is the Bank of Russia key rate on the day of payment (for a debt still unpaid: on the
  day of the calculation), capped where a decree says so (min(9.5 %, rate) until 01.01.2027);
- no penalty accrues on moratorium days (the day count goes on, only the accrual stops);
- penalties bear no penalty; a period whose bill reached the customer late bears none.

A debt paid in parts is cut into slices, one per payment: each slice is owed from the due date to
the day it was paid and priced at the rate of that day, which is what "the rate on the day of actual
payment" means for a partial payment. The payment day itself counts (DOMAIN.md's example: 16 days
from 15.07 to 30.07). Each line is rounded to the kopeck; the total is the sum of the lines.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.utils.translation import gettext_lazy

from abonent.billing.errors import KeyRateMissing
from abonent.core.money import ZERO, to_money

GRACE = "grace"
ACCRUAL = "accrual"
MORATORIUM = "moratorium"
LATE_BILL = "late_bill"
LINE_KIND_LABELS = {
    GRACE: gettext_lazy("Days without penalty"),
    ACCRUAL: gettext_lazy("Penalty"),
    MORATORIUM: gettext_lazy("Moratorium: no penalty"),
    LATE_BILL: gettext_lazy("The bill was delivered late: no penalty"),
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Scale:
    """The steps: `free_days` without penalty, then 1/first up to `first_until_day`, then 1/later."""

    valid_from: date
    free_days: int = 30
    first_denominator: int = 300
    first_until_day: int | None = 90
    later_denominator: int = 130


# The Housing Code's steps, used only if the scale table has no row for a debt (never after migrate).
HOUSING_CODE_SCALE = Scale(valid_from=date(1, 1, 1))


@dataclass(frozen=True, slots=True, kw_only=True)
class RateCap:
    valid_from: date
    valid_until: date | None
    cap: Decimal


@dataclass(frozen=True, slots=True, kw_only=True)
class PenaltyTerms:
    """The dated rules for one customer category, loaded once per calculation."""

    key_rates: tuple[tuple[date, Decimal], ...]  # (valid_from, % per year), ascending
    caps: tuple[RateCap, ...] = ()
    moratoria: tuple[tuple[date, date], ...] = ()  # inclusive ranges, ascending
    scales: tuple[Scale, ...] = ()

    def key_rate_on(self, day: date) -> Decimal:
        """Return the key rate in force on the day."""
        index = bisect.bisect_right([start for start, _rate in self.key_rates], day) - 1
        if index < 0:
            raise KeyRateMissing()
        return self.key_rates[index][1]

    def rate_on(self, day: date) -> Decimal:
        """Return the rate used for penalties paid on the day: the key rate, capped by a decree."""
        rate = self.key_rate_on(day)
        for cap in self.caps:
            if cap.valid_from <= day and (cap.valid_until is None or day <= cap.valid_until):
                rate = min(rate, cap.cap)
        return rate

    def scale_for(self, due: date) -> Scale:
        """Return the scale for a debt due on the day (the latest one in force then)."""
        in_force = [scale for scale in self.scales if scale.valid_from <= due]
        return max(in_force, key=lambda s: s.valid_from) if in_force else HOUSING_CODE_SCALE


@dataclass(frozen=True, slots=True, kw_only=True)
class DebtClock:
    """One period's debt for one service: how much was charged, when due and when paid off."""

    service_id: int | None
    period: date
    due_date: date
    amount: Decimal
    settlements: tuple[tuple[date, Decimal], ...] = ()
    bill_late: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class PenaltyLine:
    """One line as the customer sees it: debt × rate × days × fraction = amount."""

    service_id: int | None
    period: date
    debt: Decimal
    date_from: date
    date_to: date
    days: int
    denominator: int | None  # None: no penalty on these days (see kind)
    rate: Decimal
    amount: Decimal
    kind: str

    @property
    def fraction(self) -> str:
        return f"1/{self.denominator}" if self.denominator else "0"

    @property
    def label(self) -> str:
        return str(LINE_KIND_LABELS[self.kind])


@dataclass(frozen=True, slots=True)
class _Segment:
    start: date
    end: date
    denominator: int | None
    kind: str

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def calculate_penalty(*, debt: DebtClock, as_of: date, terms: PenaltyTerms) -> list[PenaltyLine]:
    """Return the penalty lines of one period's debt up to and including the day `as_of`."""
    if as_of <= debt.due_date:
        return []
    if debt.bill_late:
        unpaid = debt.amount - sum((s for d, s in debt.settlements if d <= debt.due_date), ZERO)
        if unpaid <= 0:
            return []
        return [
            _line(debt, unpaid, _Segment(debt.due_date + timedelta(days=1), as_of, None, LATE_BILL), ZERO)
        ]
    lines: list[PenaltyLine] = []
    scale = terms.scale_for(debt.due_date)
    for amount, paid_on in _slices(debt, as_of):
        rate = terms.rate_on(paid_on)
        for segment in _segments(debt.due_date, paid_on, scale, terms.moratoria):
            lines.append(_line(debt, amount, segment, rate))
    return lines


def total(lines: list[PenaltyLine]) -> Decimal:
    """Return the sum of the lines' (already rounded) amounts."""
    return sum((line.amount for line in lines), ZERO)


def _line(debt: DebtClock, amount: Decimal, segment: _Segment, rate: Decimal) -> PenaltyLine:
    value = ZERO
    if segment.denominator:
        value = to_money(amount * rate / 100 * segment.days / segment.denominator)
    return PenaltyLine(
        service_id=debt.service_id,
        period=debt.period,
        debt=amount,
        date_from=segment.start,
        date_to=segment.end,
        days=segment.days,
        denominator=segment.denominator,
        rate=rate,
        amount=value,
        kind=segment.kind,
    )


def _slices(debt: DebtClock, as_of: date) -> list[tuple[Decimal, date]]:
    """Cut the debt into (amount, day it stops being owed) after the due date, unpaid ones at as_of."""
    slices: list[tuple[Decimal, date]] = []
    unpaid = debt.amount
    for paid_on, amount in sorted(debt.settlements):
        if paid_on > as_of:
            continue
        unpaid -= amount
        if paid_on > debt.due_date:
            slices.append((amount, paid_on))
    if unpaid > 0:
        slices.append((unpaid, as_of))
    return slices


def _segments(
    due: date, last_day: date, scale: Scale, moratoria: tuple[tuple[date, date], ...]
) -> list[_Segment]:
    """Return the days after the due date up to last_day, cut by the scale's steps and the moratoria."""
    steps: list[tuple[int, int | None, int | None, str]] = [(1, scale.free_days, None, GRACE)]
    if scale.first_until_day is None:
        steps.append((scale.free_days + 1, None, scale.first_denominator, ACCRUAL))
    else:
        steps.append((scale.free_days + 1, scale.first_until_day, scale.first_denominator, ACCRUAL))
        steps.append((scale.first_until_day + 1, None, scale.later_denominator, ACCRUAL))
    segments: list[_Segment] = []
    for first, last, denominator, kind in steps:
        start = due + timedelta(days=first)
        end = last_day if last is None else min(last_day, due + timedelta(days=last))
        if start <= end:
            segments.extend(_cut_by_moratoria(_Segment(start, end, denominator, kind), moratoria))
    return segments


def _cut_by_moratoria(segment: _Segment, moratoria: tuple[tuple[date, date], ...]) -> list[_Segment]:
    """Split a segment so that its days inside a moratorium carry no penalty."""
    if segment.denominator is None:
        return [segment]  # free days stay free; a moratorium changes nothing there
    pieces: list[_Segment] = []
    cursor = segment.start
    for first, last in moratoria:
        if last < cursor or first > segment.end:
            continue
        if first > cursor:
            pieces.append(_Segment(cursor, first - timedelta(days=1), segment.denominator, segment.kind))
        pieces.append(_Segment(max(first, cursor), min(last, segment.end), None, MORATORIUM))
        cursor = min(last, segment.end) + timedelta(days=1)
    if cursor <= segment.end:
        pieces.append(_Segment(cursor, segment.end, segment.denominator, segment.kind))
    return pieces

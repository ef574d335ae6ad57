"""The plausibility rules for meter readings (DOMAIN.md, "Meter readings"), as pure functions.

Nothing here touches the database: the service gathers the meter and its past readings, these
functions say what is wrong, and the property tests exercise them directly.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from itertools import pairwise

from abonent.core.periods import BillingPeriod
from abonent.metering.errors import (
    BeforeInstallation,
    HigherThanLater,
    LowerThanPrevious,
    MeterDecommissioned,
    MeterFailed,
    MeterRemoved,
    MissingZone,
    NegativeReading,
    NoReadings,
    NotANumber,
    ReadingError,
    TooManyDecimals,
    TooManyDigits,
    UnknownZone,
    VerificationExpired,
)
from abonent.metering.models import ZONE_CODES, Meter

MAX_DECIMALS = 3
_SPACES = re.compile(r"[\s\u00a0\u202f']")
_NUMBER = re.compile(r"\d+(?:[.,]\d*)?|[.,]\d+")


@dataclass(frozen=True)
class PastReading:
    """A reading that counts for its period, reduced to what the rules need."""

    period: BillingPeriod
    values: Mapping[str, Decimal]
    taken_on: date = field(compare=False)


@dataclass(frozen=True)
class MeterFacts:
    """What the rules need to know about a meter."""

    serial: str
    zones: Sequence[str]
    digits: int
    status: str
    installed_on: date
    next_verification_on: date
    removed_on: date | None = None

    @classmethod
    def of(cls, meter: Meter) -> MeterFacts:
        return cls(
            serial=meter.serial_number,
            zones=meter.zone_codes,
            digits=meter.digits,
            status=meter.status,
            installed_on=meter.installed_on,
            next_verification_on=meter.next_verification_on,
            removed_on=meter.removed_on,
        )


def parse_value(text: str, *, zone: str) -> Decimal:
    """Read a value typed by a person: "12 345,6", "12345.6"; raise NotANumber otherwise."""
    compact = _SPACES.sub("", text or "")
    if not _NUMBER.fullmatch(compact):
        raise NotANumber(zone=zone, value=text.strip())
    try:
        return Decimal(compact.replace(",", "."))
    except InvalidOperation as exc:  # pragma: no cover - the pattern admits only decimal numbers
        raise NotANumber(zone=zone, value=text.strip()) from exc


def capacity(digits: int) -> Decimal:
    """Return the first value the meter cannot show: 10^digits."""
    return Decimal(10) ** digits


def decimals_of(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def zone_consumption(old: Decimal, new: Decimal, *, digits: int) -> Decimal:
    """Return what was consumed between two values of one zone, across a rollover if new < old."""
    return new - old if new >= old else new + capacity(digits) - old


def is_rollover(old: Decimal, new: Decimal, *, digits: int, max_share: Decimal) -> bool:
    """Tell whether new < old is the register passing its maximum: new + 10^digits − old is small."""
    return new < old and new + capacity(digits) - old <= max_share * capacity(digits)


def check_value(*, zone: str, value: Decimal, digits: int) -> ReadingError | None:
    """Return what is wrong with a value on its own: sign, digits before and after the point."""
    if value < 0:
        return NegativeReading(zone=zone, value=value)
    if value >= capacity(digits):
        return TooManyDigits(zone=zone, value=value, digits=digits)
    if decimals_of(value) > MAX_DECIMALS:
        return TooManyDecimals(zone=zone, value=value, decimals=MAX_DECIMALS)
    return None


def check_order(
    *,
    zone: str,
    value: Decimal,
    previous: PastReading | None,
    later: PastReading | None,
    digits: int,
    max_share: Decimal,
) -> ReadingError | None:
    """Return an error when the value runs backwards against the readings before or after it."""
    before = previous.values.get(zone) if previous else None
    if previous and before is not None and _runs_backwards(before, value, digits, max_share):
        return LowerThanPrevious(zone=zone, value=value, previous=before, previous_on=previous.taken_on)
    after = later.values.get(zone) if later else None
    if later and after is not None and _runs_backwards(value, after, digits, max_share):
        return HigherThanLater(zone=zone, value=value, later=after, later_on=later.taken_on)
    return None


def _runs_backwards(old: Decimal, new: Decimal, digits: int, max_share: Decimal) -> bool:
    return new < old and not is_rollover(old, new, digits=digits, max_share=max_share)


def check_values(
    *,
    values: Mapping[str, Decimal | None],
    meter: MeterFacts,
    previous: PastReading | None = None,
    later: PastReading | None = None,
    max_share: Decimal = Decimal("0.1"),
) -> list[ReadingError]:
    """Return every zone error of a submission (empty when all zones are plausible)."""
    given = {zone: value for zone, value in values.items() if value is not None}
    if not given:
        return [NoReadings()]
    errors: list[ReadingError] = [UnknownZone(zone=zone) for zone in given if zone not in meter.zones]
    for zone in meter.zones:
        value = given.get(zone)
        if value is None:
            errors.append(MissingZone(zone=zone))
            continue
        problem = check_value(zone=zone, value=value, digits=meter.digits) or check_order(
            zone=zone, value=value, previous=previous, later=later, digits=meter.digits, max_share=max_share
        )
        if problem:
            errors.append(problem)
    return errors


def check_meter(*, meter: MeterFacts, day: date) -> list[ReadingError]:
    """Return why the meter takes no readings on the day: removed, failed, unverified, absent.

    A meter removed on a known day still takes readings dated up to that day (the final reading taken
    at the removal); one decommissioned without a date takes none.
    """
    if meter.removed_on is not None and day > meter.removed_on:
        return [MeterRemoved(serial=meter.serial, removed_on=meter.removed_on)]
    if meter.status == Meter.Status.DECOMMISSIONED and meter.removed_on is None:
        return [MeterDecommissioned(serial=meter.serial)]
    if meter.status == Meter.Status.FAILED:
        return [MeterFailed(serial=meter.serial)]
    if meter.status == Meter.Status.VERIFICATION_EXPIRED or meter.next_verification_on < day:
        return [VerificationExpired(serial=meter.serial, expired_on=meter.next_verification_on)]
    if day < meter.installed_on:
        return [BeforeInstallation(day=day, installed_on=meter.installed_on)]
    return []


def months_between(first: BillingPeriod, last: BillingPeriod) -> int:
    return (last.year - first.year) * 12 + last.month - first.month


def consumption(older: PastReading, newer: PastReading, *, digits: int) -> Decimal:
    """Return the total consumption over all zones between two readings."""
    zones = [zone for zone in ZONE_CODES if zone in older.values and zone in newer.values]
    return sum(
        (zone_consumption(older.values[zone], newer.values[zone], digits=digits) for zone in zones),
        Decimal(0),
    )


def monthly_average(history: Sequence[PastReading], *, digits: int, min_months: int) -> Decimal | None:
    """Return the average monthly consumption over the history (oldest first), None when too short."""
    if len(history) < 2:
        return None
    months = months_between(history[0].period, history[-1].period)
    if months < max(min_months, 1):
        return None
    total = sum((consumption(a, b, digits=digits) for a, b in pairwise(history)), Decimal(0))
    return total / months


def is_outlier(*, per_month: Decimal, average: Decimal | None, factor: Decimal) -> bool:
    """Tell whether the consumption is above factor × the usual (never when there is no usual yet)."""
    return average is not None and average > 0 and per_month > factor * average

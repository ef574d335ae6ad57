"""A service whose meter was removed: billed by days on each side of the removal (Decree 354 p. 59).

`charging.charge_account` hands a service here when the account has a meter of its resource removed
recently enough to matter (`FallbackRules.removals_from`); the usual account never comes here.

- Until the removal, the removed meter bills by its readings: from the last earlier reading to its
  final one (`charging.usable_readings` files a final reading taken after the window under the
  removal's period). Without a final reading, its average (then the norm) for those days.
- From its installation day, a replacement — a meter of the same resource on the account installed
  on or after the removal day — bills its first period by its first reading less its installation
  reading (`charging.first_volume`), and its later periods like any meter.
- The days no meter measured — after the removal until a replacement's installation, or all of them
  without a replacement, or while the replacement installed this period has no reading yet — count
  as a failed meter's (`FallbackRules.removal_counts_as_failure`): the removed meter's average for
  those days, up to the configured number of periods counted from its last reading, then the norm.
  With the rule off, those days are billed by the norm at once.
- The days supplied are cut into three sides in order — until the (latest) removal, the days no
  meter measured, and from the first replacement's installation — each charged for its own days
  the way a service supplied for part of a month is (a block tariff's bounds and the norm shrink in
  proportion). Lines say which side of the removal they bill: `Part.UNTIL_REMOVAL`, or
  `Part.AFTER_REMOVAL` for both later sides (the basis tells the average from the new meter).

Other meters of the resource still in service are billed whole on the first side with days.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal
from functools import partial

from abonent.billing.charging import (
    WHOLE,
    AccountCharge,
    AccountFacts,
    Basis,
    FallbackRules,
    Line,
    MeterFacts,
    MeterVolume,
    Part,
    PriceBook,
    ServiceFacts,
    first_volume,
    lines_by_meters,
    lines_by_norm,
    meter_volume,
    meters_of,
    record_meters,
    usable_readings,
)
from abonent.core.periods import BillingPeriod

_FAILED = "failed"
_DAY = timedelta(days=1)


@dataclass(slots=True)
class _Side:
    """A run of the days supplied billed one way: the meter volumes it bills (with the share of each)."""

    part: str
    first: date
    last: date
    volumes: list[tuple[MeterVolume, Decimal]] = field(default_factory=list)
    norm: bool = False

    @property
    def days(self) -> int:
        return max(0, (self.last - self.first).days + 1)

    def days_of(self, first: date, last: date) -> int:
        """Return how many of the days from `first` to `last` fall on this side."""
        return max(0, (min(self.last, last) - max(self.first, first)).days + 1)


def charge_with_removal(
    *,
    result: AccountCharge,
    account: AccountFacts,
    service: ServiceFacts,
    supplied: tuple[date, date],
    removed: list[MeterFacts],
    period: BillingPeriod,
    book: PriceBook,
    rules: FallbackRules,
) -> bool:
    """Charge the service split at its meter's removal; False when the removal changes nothing here."""
    if not service.metered or not removed:
        return False
    in_service = sorted(
        meters_of(account=account, service=service, period=period), key=lambda m: (m.installed_on, m.id)
    )
    pairs = _replacements(removed, in_service)
    taking_part = [m for m in removed if _takes_part(m, pairs.get(m.id), period, rules)]
    first_readings = {
        m.id: first_volume(meter=m, period=period)
        for m in pairs.values()
        if m is not None and not _has_reading_before(m, period)
    }
    if not taking_part and not first_readings:
        return False
    volume_of = partial(meter_volume, period=period, category=account.category, rules=rules)
    ordinary = [volume_of(meter=m) for m in in_service if m.id not in first_readings]
    if any(v.basis == Basis.NORM for v in ordinary):
        return False  # a meter in service without a usable reading: the whole service by the norm
    taking_over = _taking_over(taking_part, pairs, first_readings)
    sides = _sides(supplied, taking_part or removed, taking_over.values(), period)
    for meter in taking_part:
        _bill_removed(sides, meter, taking_over.get(meter.id), supplied, volume_of, period, rules)
    taken = {v.meter.id for v in taking_over.values()}
    sides[-1].volumes.extend(
        (volume, WHOLE)
        for meter_id, volume in first_readings.items()
        if volume is not None and meter_id not in taken  # its removed meter's time is over
    )
    next(side for side in sides if side.days).volumes.extend((v, WHOLE) for v in ordinary)
    removed_on = max(m.removed_on for m in taking_part or removed if m.removed_on is not None)
    for side in _merged(sides):
        _charge_side(result, account, service, side, removed_on, period, book)
    return True


def _replacements(removed: list[MeterFacts], in_service: list[MeterFacts]) -> dict[int, MeterFacts | None]:
    """Pair each removed meter (earliest removal first) with the first meter installed on or after it."""
    taken: set[int] = set()
    pairs: dict[int, MeterFacts | None] = {}
    for meter in sorted(removed, key=lambda m: (m.removed_on, m.id)):
        pairs[meter.id] = next(
            (
                m
                for m in in_service
                if m.id not in taken and meter.removed_on is not None and m.installed_on >= meter.removed_on
            ),
            None,
        )
        if pairs[meter.id] is not None:
            taken.add(pairs[meter.id].id)  # type: ignore[union-attr]  # checked on the line above
    return pairs


def _takes_part(
    meter: MeterFacts, replacement: MeterFacts | None, period: BillingPeriod, rules: FallbackRules
) -> bool:
    """Tell whether a removed meter bills (part of) the period.

    It does when removed in it, when failed and never replaced, and when its replacement came after
    the period's first day (the days before it came are the removed meter's, as a failed one's).
    """
    assert meter.removed_on is not None  # noqa: S101 - the removed meters only
    if meter.removed_on >= period.start:
        return True
    if replacement is None:
        return rules.removal_counts_as_failure
    return replacement.installed_on > period.start


def _taking_over(
    taking_part: list[MeterFacts],
    pairs: dict[int, MeterFacts | None],
    first_readings: dict[int, MeterVolume | None],
) -> dict[int, MeterVolume]:
    """Return, by removed meter, its replacement's first volume where it bills by readings this period."""
    found = {}
    for meter in taking_part:
        replacement = pairs.get(meter.id)
        volume = first_readings.get(replacement.id) if replacement is not None else None
        if volume is not None:
            found[meter.id] = volume
    return found


def _bill_removed(
    sides: tuple[_Side, _Side, _Side],
    meter: MeterFacts,
    replacement: MeterVolume | None,
    supplied: tuple[date, date],
    volume_of: Callable[..., MeterVolume],
    period: BillingPeriod,
    rules: FallbackRules,
) -> None:
    """Bill a removed meter's readings, its replacement's, and the days no meter measured as failed ones."""
    until, _between, after = sides
    assert meter.removed_on is not None  # noqa: S101 - the removed meters only
    if meter.removed_on >= supplied[0]:  # (removed before the account opened: not its consumption)
        _add(until, volume_of(meter=meter), supplied[0], meter.removed_on, period)
    if replacement is not None:
        after.volumes.append((replacement, WHOLE))
    last = replacement.meter.installed_on - _DAY if replacement is not None else supplied[1]
    failed = partial(volume_of, meter=replace(meter, status=_FAILED))
    _fall_back(sides, (meter.removed_on + _DAY, last), failed, period, rules)


def _has_reading_before(meter: MeterFacts, period: BillingPeriod) -> bool:
    return any(start < period.start for start in usable_readings(meter=meter, period=period))


def _sides(
    supplied: tuple[date, date],
    removals: list[MeterFacts],
    taking_over: Iterable[MeterVolume],
    period: BillingPeriod,
) -> tuple[_Side, _Side, _Side]:
    """Cut the days supplied into the three sides, one after another (a side may have no days).

    Until the latest removal in the period; then the days no meter measured; then from the first
    day a replacement bills by its readings (its installation day) to the end.
    """
    first, last = supplied
    in_period = [m.removed_on for m in removals if m.removed_on is not None and m.removed_on >= period.start]
    split = max(first - _DAY, min(last, max(in_period))) if in_period else first - _DAY
    installed = [v.meter.installed_on for v in taking_over]
    join = min(last + _DAY, max(split + _DAY, min(installed))) if installed else last + _DAY
    return (
        _Side(Part.UNTIL_REMOVAL, first, split),
        _Side(Part.AFTER_REMOVAL, split + _DAY, join - _DAY),
        _Side(Part.AFTER_REMOVAL, join, last),
    )


def _add(side: _Side, volume: MeterVolume, first: date, last: date, period: BillingPeriod) -> None:
    """Bill the meter's volume on the side: readings whole, its average for its days there, or the norm."""
    if volume.basis == Basis.NORM:
        side.norm = True
        side.volumes.append((volume, Decimal(0)))
    elif volume.basis == Basis.AVERAGE:
        side.volumes.append((volume, Decimal(side.days_of(first, last)) / Decimal(period.days)))
    else:
        side.volumes.append((volume, WHOLE))


def _fall_back(
    sides: tuple[_Side, ...],
    days: tuple[date, date],
    failed: Callable[[], MeterVolume],
    period: BillingPeriod,
    rules: FallbackRules,
) -> None:
    """Bill the days on every side they touch as the failed meter's: its average, or the norm."""
    touched = [side for side in sides if side.days_of(*days)]
    if not touched:
        return
    volume = failed() if rules.removal_counts_as_failure else None
    for side in touched:
        if volume is None:
            side.norm = True
        else:
            _add(side, volume, *days, period)


def _merged(sides: tuple[_Side, ...]) -> list[_Side]:
    """Return the sides with days; a side without days hands its readings to the one before (or after).

    A meter removed on the last day supplied leaves no days after it: a replacement's first reading
    then counts before the removal, rather than being lost.
    """
    for index, side in enumerate(sides):
        if side.days or not side.volumes:
            continue
        before = [s for s in sides[:index] if s.days]
        (before[-1] if before else next(s for s in sides[index:] if s.days)).volumes.extend(side.volumes)
    return [side for side in sides if side.days]


def _charge_side(
    result: AccountCharge,
    account: AccountFacts,
    service: ServiceFacts,
    side: _Side,
    removed_on: date,
    period: BillingPeriod,
    book: PriceBook,
) -> None:
    counted = [(v, share) for v, share in side.volumes if v.basis != Basis.NORM]
    if side.norm or not counted:
        lines, prices = lines_by_norm(
            book=book, account=account, service=service, days=side.days, period=period
        )
    else:
        lines, prices = lines_by_meters(
            book=book, account=account, service=service, volumes=counted, days=side.days, period=period
        )
    result.lines.extend(_marked(line, side, removed_on) for line in lines)
    volumes = [v for v, _share in side.volumes]
    record_meters(
        result=result, account=account, service=service, volumes=volumes, prices=prices, period=period
    )


def _marked(line: Line, side: _Side, removed_on: date) -> Line:
    return replace(line, part=side.part, removed_on=removed_on, days=side.days)

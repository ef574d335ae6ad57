"""A service whose meter was removed: billed by days on each side of the removal (Decree 354 p. 59).

`charging.charge_account` hands a service here when the account has a meter of its resource removed
recently enough to matter (`FallbackRules.removals_from`); the usual account never comes here.

- Until the removal, the removed meter bills by its readings: from the last earlier reading to its
  final one (`charging.usable_readings` files a final reading taken after the window under the
  removal's period). Without a final reading, its average (then the norm) for those days.
- After the removal, a replacement — a meter of the same resource on the account installed on or after
  the removal day — bills its first period by its first reading less its installation reading
  (`MeterFacts.initial`), and its later periods like any meter. Without a replacement the removed meter
  counts as failed (`FallbackRules.removal_counts_as_failure`): its average for the days after the
  removal and for the periods after, up to the configured number counted from its last reading, then
  the norm. With the rule off, the days after the removal are billed by the norm at once.
- Each side is charged for its own days, the way a service supplied for part of a month is (a block
  tariff's bounds and the norm shrink in proportion), and its lines say which side they bill.

Other meters of the resource still in service are billed whole on the first side with days. Days
between a removal and a replacement installed later are billed by neither meter.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import partial

from django.utils.translation import gettext

from abonent.billing.charging import (
    _WEAKNESS,
    VOLUME,
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
    _by_tariff_zone,
    _charge_lines,
    _compute,
    _meters_of,
    _norm_lines,
    _recalculations,
    _tariff,
    _used,
    meter_volume,
    usable_readings,
)
from abonent.billing.errors import InvalidConsumption
from abonent.core.periods import BillingPeriod

_FAILED = "failed"


@dataclass(slots=True)
class _Side:
    """One side of the removal: its days and the meter volumes it bills (with the share of a month)."""

    part: str
    days: int
    volumes: list[tuple[MeterVolume, Decimal]] = field(default_factory=list)
    norm: bool = False


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
    in_service = sorted(_meters_of(account, service, period), key=lambda m: (m.installed_on, m.id))
    pairs = _replacements(removed, in_service)
    taking_part = [m for m in removed if _takes_part(m, pairs.get(m.id), period, rules)]
    first_readings = {
        m.id: _first_period_volume(m, period)
        for m in pairs.values()
        if m is not None and not _has_reading_before(m, period)
    }
    if not taking_part and not first_readings:
        return False
    ordinary = [
        meter_volume(meter=m, period=period, category=account.category, rules=rules)
        for m in in_service
        if m.id not in first_readings
    ]
    if any(v.basis == Basis.NORM for v in ordinary):
        return False  # a meter in service without a usable reading: the whole service by the norm
    until, after, removed_on = _sides(supplied, taking_part, removed, period)
    volume_of = partial(meter_volume, period=period, category=account.category, rules=rules)
    for meter in taking_part:
        if meter.removed_on is not None and meter.removed_on >= period.start:
            _add(until, volume_of(meter=meter), period)
        replacement = pairs.get(meter.id)
        volume = first_readings.get(replacement.id) if replacement is not None else None
        if volume is not None:
            after.volumes.append((volume, Decimal(1)))
        elif rules.removal_counts_as_failure:
            _add(after, volume_of(meter=replace(meter, status=_FAILED)), period)
        else:
            after.norm = True
    covered = {m.id for m in (pairs.get(o.id) for o in taking_part) if m is not None}
    after.volumes.extend(
        (volume, Decimal(1))
        for meter_id, volume in first_readings.items()
        if volume is not None and meter_id not in covered  # its removed meter's time is over
    )
    first_side = until if until.days else after
    first_side.volumes.extend((v, Decimal(1)) for v in ordinary)
    if not after.days:  # removed on the last day supplied: a replacement's first days count before it
        until.volumes.extend(after.volumes)
    for side in (until, after):
        if side.days:
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
    """Tell whether a removed meter bills (part of) the period: removed in it, or failed and unreplaced."""
    assert meter.removed_on is not None  # noqa: S101 - the removed meters only
    if meter.removed_on >= period.start:
        return True
    return replacement is None and rules.removal_counts_as_failure


def _has_reading_before(meter: MeterFacts, period: BillingPeriod) -> bool:
    return any(start < period.start for start in usable_readings(meter=meter, period=period))


def _first_period_volume(meter: MeterFacts, period: BillingPeriod) -> MeterVolume | None:
    """Return a replacement's volume in its first period with a reading: that reading less its first one.

    None when it has no reading this period or no installation reading to count from.
    """
    current = usable_readings(meter=meter, period=period).get(period.start)
    start = _by_tariff_zone(meter, meter.initial) if meter.initial is not None else None
    if current is None or start is None:
        return None
    by_zone = {zone: _used(meter, start[zone], current[zone]) for zone in meter.tariff_zones}
    return MeterVolume(meter=meter, basis=Basis.METER, by_zone=by_zone, previous=start, current=dict(current))


def _sides(
    supplied: tuple[date, date],
    taking_part: list[MeterFacts],
    removed: list[MeterFacts],
    period: BillingPeriod,
) -> tuple[_Side, _Side, date]:
    """Return the two sides with their days and the removal day the lines name (the latest one)."""
    first, last = supplied
    removals = [m.removed_on for m in taking_part or removed if m.removed_on is not None]
    in_period = [day for day in removals if day >= period.start]
    if in_period:
        split = max(in_period)
        until_days = max(0, (min(last, split) - first).days + 1)
        after_from = max(first, split + timedelta(days=1))
    else:
        until_days, after_from = 0, first
    after_days = max(0, (last - after_from).days + 1)
    return _Side(Part.UNTIL_REMOVAL, until_days), _Side(Part.AFTER_REMOVAL, after_days), max(removals)


def _add(side: _Side, volume: MeterVolume, period: BillingPeriod) -> None:
    """Bill the meter's volume on the side: readings whole, an average for the side's days, or the norm."""
    if volume.basis == Basis.NORM:
        side.norm = True
        side.volumes.append((volume, Decimal(0)))
    elif volume.basis == Basis.AVERAGE:
        side.volumes.append((volume, Decimal(side.days) / Decimal(period.days)))
    else:
        side.volumes.append((volume, Decimal(1)))


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
        lines, prices = _norm_lines(book, account, service, side.days, period)
    else:
        zones = {v.meter.zones for v, _share in counted}
        if len(zones) > 1:
            raise InvalidConsumption(
                gettext("The meters of %(service)s have different numbers of zones.")
                % {"service": service.name}
            )
        consumption: dict[str, Decimal] = {}
        for v, share in counted:
            for zone, value in v.by_zone.items():
                part = (value * share).quantize(VOLUME, rounding=ROUND_HALF_UP)
                consumption[zone] = consumption.get(zone, Decimal(0)) + part
        basis = max((v.basis for v, _share in counted), key=_WEAKNESS.__getitem__)
        tariff = _tariff(book, account, service, period, meter_zones=zones.pop())
        charge = _compute(tariff, consumption, side.days, period, account)
        lines, prices = _charge_lines(service, charge, basis)
    result.lines.extend(_marked(line, side, removed_on) for line in lines)
    for v, _share in side.volumes:
        result.meters.append((service.id, v, prices))
        # A meter whose final reading closes a gap recalculates the gap's months billed by its average.
        result.recalculations.extend(_recalculations(account, service, v, prices, period))


def _marked(line: Line, side: _Side, removed_on: date) -> Line:
    return replace(line, part=side.part, removed_on=removed_on, days=side.days)

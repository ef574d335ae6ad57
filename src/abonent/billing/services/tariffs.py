"""Tariffs as arithmetic: the customer's category, the charge for a consumption, the volume by norm.

These functions are pure (no database): the monthly charge run, the cabinet's charge preview and
tests call them with a tariff fetched once by `billing.selectors.tariff_for`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import Protocol

from django.utils.translation import gettext

from abonent.billing.errors import InvalidConsumption, InvalidTariff
from abonent.billing.models import ConsumptionNorm, CustomerCategory, Tariff, Zone
from abonent.core.money import ZERO, to_money
from abonent.customers.models import Customer

VOLUME_STEP = Decimal("0.001")
_ZONES = (Zone.T1, Zone.T2, Zone.T3)
# Read once: an enum's `values` is rebuilt on every access, and the charge run asks millions of times.
_ZONE_VALUES = frozenset(Zone.values)


class NormLike(Protocol):
    """What `norm_volume` reads of a norm: a ConsumptionNorm row, or its terms held in memory."""

    @property
    def basis(self) -> str: ...
    @property
    def value(self) -> Decimal: ...
    @property
    def raising_factor(self) -> Decimal: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class RateTerms:
    zone: str
    block_up_to: Decimal | None
    price: Decimal


@dataclass(frozen=True, slots=True, kw_only=True)
class TariffTerms:
    """A tariff's kind and prices, detached from the database."""

    kind: str
    rates: tuple[RateTerms, ...]
    block_basis: str = Tariff.BlockBasis.ACCOUNT

    @classmethod
    def of(cls, tariff: Tariff) -> TariffTerms:
        """Return the terms of a tariff (its prices prefetched by the selector)."""
        rates = tuple(
            RateTerms(zone=r.zone, block_up_to=r.block_up_to, price=r.price) for r in tariff.rates.all()
        )
        return cls(kind=tariff.kind, rates=rates, block_basis=tariff.block_basis)


@dataclass(frozen=True, slots=True, kw_only=True)
class ChargeLine:
    """One line of a charge: a zone or a block, its volume, price and amount."""

    zone: str
    block_from: Decimal | None
    block_to: Decimal | None
    volume: Decimal
    price: Decimal
    amount: Decimal


@dataclass(frozen=True, slots=True)
class Charge:
    lines: tuple[ChargeLine, ...]

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines), ZERO)

    @property
    def volume(self) -> Decimal:
        return sum((line.volume for line in self.lines), Decimal(0))


def category_for(customer: Customer) -> CustomerCategory:
    """Return the tariff category of a customer: people are households, companies and ИП business."""
    if customer.kind == Customer.Kind.INDIVIDUAL:
        return CustomerCategory.HOUSEHOLD
    return CustomerCategory.BUSINESS


def compute_charge(
    *,
    tariff: Tariff | TariffTerms,
    consumption_by_zone: Mapping[str, Decimal],
    days: int | None = None,
    period_days: int | None = None,
    residents: int | None = None,
) -> Charge:
    """Return the charge for a consumption: a line per zone, or per block for a block tariff.

    Block bounds are per month; for part of a month (`days` of `period_days`) they shrink in
    proportion, and for a per-resident tariff they are multiplied by the residents.
    """
    terms = tariff if isinstance(tariff, TariffTerms) else TariffTerms.of(tariff)
    check_terms(terms)
    consumption = _clean_consumption(consumption_by_zone)
    if terms.kind == Tariff.Kind.ZONED:
        return Charge(tuple(_zone_lines(terms, consumption)))
    total = sum(consumption.values(), Decimal(0))
    if terms.kind == Tariff.Kind.SINGLE:
        price = terms.rates[0].price
        return Charge((_line(zone=Zone.SINGLE, lower=None, upper=None, volume=total, price=price),))
    scale = _block_scale(terms, days=days, period_days=period_days, residents=residents)
    return Charge(tuple(_block_lines(terms, total, scale)))


def norm_volume(
    *,
    norm: NormLike,
    residents: int = 0,
    area: Decimal | None = None,
    days: int | None = None,
    period_days: int | None = None,
    raised: bool = False,
) -> Decimal:
    """Return the volume billed by a norm for a month (or part of it), with the raising factor if asked."""
    if norm.basis == ConsumptionNorm.Basis.RESIDENT:
        base = norm.value * residents
    elif norm.basis == ConsumptionNorm.Basis.AREA:
        if area is None:
            raise InvalidConsumption(gettext("This norm is per m²: the premises' area is needed."))
        base = norm.value * area
    else:
        base = norm.value
    if raised:
        base *= norm.raising_factor
    return (base * _month_share(days=days, period_days=period_days)).quantize(
        VOLUME_STEP, rounding=ROUND_HALF_UP
    )


def _clean_consumption(consumption_by_zone: Mapping[str, Decimal]) -> dict[str, Decimal]:
    """Return the consumption per zone as Decimals, refusing floats, negatives and unknown zones."""
    cleaned: dict[str, Decimal] = {}
    for zone, volume in consumption_by_zone.items():
        if zone not in _ZONE_VALUES:
            raise InvalidConsumption(gettext("Unknown tariff zone: %(zone)s") % {"zone": zone})
        if isinstance(volume, float) or not isinstance(volume, Decimal | int):
            raise InvalidConsumption(
                gettext("A volume must be a Decimal, not %(type)s.") % {"type": type(volume).__name__}
            )
        if volume < 0:
            raise InvalidConsumption(gettext("A volume cannot be negative (zone %(zone)s).") % {"zone": zone})
        cleaned[zone] = Decimal(volume)
    if not cleaned:
        raise InvalidConsumption(gettext("No consumption was given."))
    return cleaned


def _zone_lines(terms: TariffTerms, consumption: dict[str, Decimal]) -> list[ChargeLine]:
    prices = {rate.zone: rate.price for rate in terms.rates}
    missing = sorted(set(consumption) - set(prices))
    if missing:
        message = gettext("The tariff has no price for zone %(zones)s; readings by zones are needed.")
        raise InvalidConsumption(message % {"zones": ", ".join(missing)})
    return [
        _line(zone=zone, lower=None, upper=None, volume=consumption[zone], price=prices[zone])
        for zone in _ZONES
        if zone in consumption
    ]


def _block_scale(
    terms: TariffTerms, *, days: int | None, period_days: int | None, residents: int | None
) -> Decimal:
    """Return what a block's monthly bound is multiplied by for this account and these days."""
    scale = _month_share(days=days, period_days=period_days)
    if terms.block_basis == Tariff.BlockBasis.RESIDENT:
        if residents is None or residents < 1:
            raise InvalidConsumption(gettext("This tariff's blocks are per resident: residents are needed."))
        scale *= residents
    return scale


def _block_lines(terms: TariffTerms, total: Decimal, scale: Decimal) -> list[ChargeLine]:
    lines: list[ChargeLine] = []
    lower = Decimal(0)
    for rate in terms.rates:
        upper = None if rate.block_up_to is None else (rate.block_up_to * scale).quantize(VOLUME_STEP)
        volume = max(Decimal(0), (total if upper is None else min(total, upper)) - lower)
        lines.append(_line(zone=Zone.SINGLE, lower=lower, upper=upper, volume=volume, price=rate.price))
        if upper is None or total <= upper:
            break
        lower = upper
    return lines


def _line(
    *, zone: str, lower: Decimal | None, upper: Decimal | None, volume: Decimal, price: Decimal
) -> ChargeLine:
    return ChargeLine(
        zone=zone,
        block_from=lower,
        block_to=upper,
        volume=volume,
        price=price,
        amount=to_money(volume * price),
    )


def _month_share(*, days: int | None, period_days: int | None) -> Decimal:
    """Return the share of the month supplied: 1, or days / period_days."""
    if days is None and period_days is None:
        return Decimal(1)
    if days is None or period_days is None or not 0 <= days <= period_days or period_days < 1:
        raise InvalidConsumption(gettext("Days supplied must be between 0 and the days of the month."))
    return Decimal(days) / Decimal(period_days)


def check_terms(terms: TariffTerms) -> None:
    """Refuse a tariff whose prices do not fit its kind, naming what is wrong."""
    if not _terms_fit(terms):
        raise InvalidTariff(_terms_problem(terms))


@lru_cache(maxsize=1024)
def _terms_fit(terms: TariffTerms) -> bool:
    """Tell whether the prices fit the kind (cached: a charge run asks about few tariffs, many times)."""
    zones = [rate.zone for rate in terms.rates]
    bounds = [rate.block_up_to for rate in terms.rates]
    if terms.kind == Tariff.Kind.SINGLE:
        return zones == [Zone.SINGLE] and bounds == [None]
    if terms.kind == Tariff.Kind.ZONED:
        ok = len(zones) >= 2 and len(set(zones)) == len(zones) and set(zones) <= set(_ZONES)
        return ok and all(bound is None for bound in bounds)
    if terms.kind == Tariff.Kind.BLOCK:
        finite = [bound for bound in bounds if bound is not None]
        ok = len(bounds) >= 2 and set(zones) == {Zone.SINGLE} and bounds[-1] is None
        return ok and len(finite) == len(bounds) - 1 and finite == sorted(set(finite))
    return False


def _terms_problem(terms: TariffTerms) -> str:
    if terms.kind == Tariff.Kind.SINGLE:
        return gettext("A single-rate tariff has exactly one price, for zone T, without a block.")
    if terms.kind == Tariff.Kind.ZONED:
        return gettext("A zoned tariff has one price for each of two or three zones T1, T2, T3.")
    if terms.kind == Tariff.Kind.BLOCK:
        return gettext("A block tariff has rising block bounds and an open last block, all in zone T.")
    return gettext("Unknown tariff kind: %(kind)s") % {"kind": terms.kind}

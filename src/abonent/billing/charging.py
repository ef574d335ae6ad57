"""The monthly charge of one account for one period: a pure function over facts read in bulk.

The charge run reads the facts of a chunk of accounts in a few queries (`services/charge_run.py`),
calls `charge_account` for each, and writes the postings and bills in bulk; the cabinet's charge
preview calls the same function with the readings the customer is typing. Nothing here touches the
database, so a worked example is a unit test.

Per service supplied on the account in the period:

- a metered service with meters in service is billed by the meters: consumption per zone between
  the period's reading and the last earlier one (a gap of several months is spread evenly over it,
  and the months of the gap that were billed by the average are recalculated: `Recalculation`);
- a meter without a reading this period (or failed, or past its verification date) is billed by its
  average monthly consumption over the last readings (up to 6 months, at least 3) for at most 3
  periods in a row (2 for businesses), counted from its last reading — Decree 354 p. 59;
- after that, or without enough history, or for an unmetered service, by the regional norm
  (per resident, per m² or per account), prorated when the service was supplied part of the month;
- a meter removed in the period (`MeterFacts.removed_on`) is billed by its readings up to the
  removal, the days from a replacement's installation by the replacement (its first reading less its
  installation reading), and the days no meter measured like a failed meter's: its average, then the
  norm (`removal.py`, which builds on `meters_of`, `first_volume`, `lines_by_meters`, `lines_by_norm`
  and `record_meters` here).

Benefits (percent or fixed sum) become lines of their own and ledger credits.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

from django.utils.translation import gettext

from abonent.billing.errors import InvalidConsumption, NormNotFound, TariffNotFound
from abonent.billing.models import ConsumptionNorm, CustomerCategory, LedgerEntry, Zone
from abonent.billing.services.tariffs import Charge, TariffTerms, compute_charge, norm_volume
from abonent.core.money import ZERO, to_money
from abonent.core.periods import BillingPeriod

VOLUME = Decimal("0.001")
WHOLE = Decimal(1)  # the share of a volume billed whole (readings), as against a part of an average
PRICE = Decimal("0.0001")
RUN_SOURCE = "charge_run"


class Basis:
    """How a line's volume was found (the bill shows it)."""

    METER = "meter"
    AVERAGE = "average"
    NORM = "norm"


class Part:
    """Which side of a meter's removal a line of a split service bills."""

    UNTIL_REMOVAL = "until_removal"
    AFTER_REMOVAL = "after_removal"


_WEAKNESS = {Basis.METER: 0, Basis.AVERAGE: 1, Basis.NORM: 2}
# The tariff zones of a meter by its number of zones (asked for every reading of every meter).
_TARIFF_ZONES: dict[int, tuple[str, ...]] = {1: (Zone.SINGLE,), 2: ("T1", "T2"), 3: ("T1", "T2", "T3")}


@dataclass(frozen=True, slots=True, kw_only=True)
class FallbackRules:
    """Decree 354's fallback when readings are missing; configuration, since the law keeps changing."""

    average_months_max: int = 6
    average_months_min: int = 3
    average_periods_household: int = 3
    average_periods_business: int = 2
    # A removed meter counts as failed for the days no meter measured — after its removal without a
    # replacement (and the periods after), or until a later replacement's installation: they are
    # billed by its average (then the norm). Off: by the norm at once.
    removal_counts_as_failure: bool = True

    def average_periods(self, category: str) -> int:
        if category == CustomerCategory.BUSINESS:
            return self.average_periods_business
        return self.average_periods_household

    def removals_from(self, period: BillingPeriod) -> date:
        """Return the earliest removal day that still matters to the period's charge.

        A meter removed earlier has outlived every average period, so the period is billed as if it
        had never been there (the charge run reads removed meters from this day only).
        """
        return _removals_from(period, max(self.average_periods_household, self.average_periods_business))


@lru_cache(maxsize=64)
def _removals_from(period: BillingPeriod, periods: int) -> date:
    return period.shift(-periods).start


# --- facts -------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class MeterFacts:
    """A meter and its readings that count, by period (first day) and zone ("T1", "T2", "T3")."""

    id: int
    serial: str
    resource: str
    zones: int
    digits: int
    status: str
    installed_on: date
    next_verification_on: date
    readings: Mapping[date, Mapping[str, Decimal]]
    removed_on: date | None = None
    # The values of the meter's first reading (its installation reading, even when a later reading of
    # that period superseded it); read only for meters that may replace a removed one.
    initial: Mapping[str, Decimal] | None = None

    @property
    def tariff_zones(self) -> tuple[str, ...]:
        """Return the tariff zones of the meter: "T" for a single-rate meter."""
        zones = _TARIFF_ZONES.get(self.zones)
        return zones if zones is not None else tuple(f"T{n}" for n in range(1, self.zones + 1))


@dataclass(frozen=True, slots=True, kw_only=True)
class ServiceFacts:
    id: int
    name: str
    resource: str
    unit: str
    metered: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class SupplyFacts:
    """A service supplied on the account from a day (until a day, inclusive)."""

    service_id: int
    started_on: date
    ended_on: date | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class BenefitFacts:
    id: int
    name: str
    kind: str  # "percent" or "fixed"
    value: Decimal
    service_id: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class AccountFacts:
    """What the charge of one account needs, read in bulk for a chunk."""

    id: int
    category: str
    region: str
    residents: int
    area: Decimal | None
    opened_on: date
    closed_on: date | None
    supplies: Sequence[SupplyFacts]
    meters: Sequence[MeterFacts] = ()
    benefits: Sequence[BenefitFacts] = ()
    # Meter entries of earlier bills, by period: what the average months of a gap were billed at.
    earlier_meter_entries: Mapping[date, Sequence[Mapping[str, object]]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class NormTerms:
    basis: str
    value: Decimal
    raising_factor: Decimal = Decimal("1.00")


TariffLookup = Callable[..., TariffTerms | None]
NormLookup = Callable[..., NormTerms | None]


@dataclass(frozen=True, slots=True)
class PriceBook:
    """Tariffs and norms in force, looked up by service, region, category (and meter zones) and day.

    `answers` remembers what was worked out from this book's prices for one set of inputs — a tariff
    by its question, a service billed by norm by everything its lines depend on — since thousands of
    accounts of a chunk ask the same few questions. It belongs to the book, so other prices never
    see it.
    """

    tariff: TariffLookup
    norm: NormLookup
    answers: dict[tuple[object, ...], object] = field(default_factory=dict, compare=False, repr=False)


# --- results -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class MeterVolume:
    """One meter's contribution to a period: its monthly volume per tariff zone and how it was found."""

    meter: MeterFacts
    basis: str
    by_zone: dict[str, Decimal]
    months_without: int = 0
    previous: dict[str, Decimal] | None = None
    current: dict[str, Decimal] | None = None
    gap_from: date | None = None  # the period of the last earlier reading, when a gap is closed now


@dataclass(frozen=True, slots=True, kw_only=True)
class Line:
    service_id: int
    zone: str
    basis: str
    volume: Decimal
    price: Decimal
    charged: Decimal
    block: tuple[str, str | None] | None = None
    recalculated: Decimal = ZERO
    benefits: Decimal = ZERO
    # A service split by a meter's removal: which side of it the line bills, over how many days.
    part: str = ""  # "", Part.UNTIL_REMOVAL or Part.AFTER_REMOVAL
    removed_on: date | None = None
    days: int | None = None

    @property
    def total(self) -> Decimal:
        return self.charged + self.recalculated - self.benefits


@dataclass(frozen=True, slots=True, kw_only=True)
class Recalculation:
    service_id: int
    zone: str
    meter_id: int
    period: date  # the period recalculated
    volume_before: Decimal
    volume_after: Decimal
    price: Decimal
    amount: Decimal


@dataclass(frozen=True, slots=True, kw_only=True)
class BenefitLine:
    benefit_id: int
    name: str
    service_id: int
    amount: Decimal  # positive: what the benefit takes off


@dataclass(frozen=True, slots=True, kw_only=True)
class Posting:
    """A ledger entry to post: its key makes a repeated run post nothing twice."""

    service_id: int
    kind: str
    amount: Decimal
    key: str
    reason: str = ""


@dataclass(slots=True, kw_only=True)
class AccountCharge:
    account_id: int
    period: BillingPeriod
    lines: list[Line] = field(default_factory=list)
    # (service id, the meter's volume, the price per zone it was billed at)
    meters: list[tuple[int, MeterVolume, dict[str, Decimal]]] = field(default_factory=list)
    recalculations: list[Recalculation] = field(default_factory=list)
    benefit_lines: list[BenefitLine] = field(default_factory=list)
    supply_days: dict[int, int] = field(default_factory=dict)

    @property
    def charged(self) -> Decimal:
        return sum((line.charged for line in self.lines), ZERO)

    @property
    def recalculated(self) -> Decimal:
        return sum((r.amount for r in self.recalculations), ZERO)

    @property
    def benefits(self) -> Decimal:
        return sum((b.amount for b in self.benefit_lines), ZERO)

    @property
    def by_average(self) -> int:
        return sum(1 for _service, volume, _price in self.meters if volume.basis == Basis.AVERAGE)

    @property
    def by_norm(self) -> int:
        return sum(1 for line in self.lines if line.basis == Basis.NORM)

    def postings(self) -> list[Posting]:
        """Return the ledger entries: per service and zone, per recalculated period, per benefit."""
        return [*self._charge_postings(), *self._recalculation_postings(), *self._benefit_postings()]

    def _charge_postings(self) -> list[Posting]:
        label = _period_text(self.period)
        totals: dict[tuple[int, str], Decimal] = {}
        for line in self.lines:
            totals[(line.service_id, line.zone)] = (
                totals.get((line.service_id, line.zone), ZERO) + line.charged
            )
        return [
            Posting(
                service_id=service_id,
                kind=LedgerEntry.Kind.CHARGE,
                amount=amount,
                key=f"charge:{self.account_id}:{service_id}:{label}:{zone}",
            )
            for (service_id, zone), amount in totals.items()
            if amount > 0
        ]

    def _recalculation_postings(self) -> list[Posting]:
        totals: dict[tuple[int, str, date], Decimal] = {}
        for r in self.recalculations:
            key = (r.service_id, r.zone, r.period)
            totals[key] = totals.get(key, ZERO) + r.amount
        if not totals:
            return []
        template = gettext("Readings of %(period)s replaced the average charged for %(earlier)s")
        return [
            Posting(
                service_id=service_id,
                kind=LedgerEntry.Kind.RECALCULATION,
                amount=amount,
                key=f"recalc:{self.account_id}:{service_id}:{self.period}:{zone}:{BillingPeriod.from_date(q)}",
                reason=template
                % {"period": self.period.label(), "earlier": BillingPeriod.from_date(q).label()},
            )
            for (service_id, zone, q), amount in totals.items()
            if amount != 0
        ]

    def _benefit_postings(self) -> list[Posting]:
        totals: dict[tuple[int, int, str], Decimal] = {}
        for b in self.benefit_lines:
            key = (b.service_id, b.benefit_id, b.name)
            totals[key] = totals.get(key, ZERO) + b.amount
        return [
            Posting(
                service_id=service_id,
                kind=LedgerEntry.Kind.BENEFIT,
                amount=-amount,
                key=f"benefit:{self.account_id}:{service_id}:{self.period}:{benefit_id}",
                reason=name[:500],
            )
            for (service_id, benefit_id, name), amount in totals.items()
            if amount > 0
        ]

    def details(self) -> dict[str, object]:
        """Return the calculation as JSON for the bill (money and volumes as strings)."""
        return {
            "period_days": self.period.days,
            "supply_days": {str(k): v for k, v in self.supply_days.items()},
            "lines": [_line_json(line) for line in self.lines],
            "meters": [_meter_json(service_id, v, prices) for service_id, v, prices in self.meters],
            "recalculations": [_recalculation_json(r) for r in self.recalculations],
            "benefits": [
                {"benefit": b.benefit_id, "name": b.name, "service": b.service_id, "amount": str(b.amount)}
                for b in self.benefit_lines
            ],
        }


def _line_json(line: Line) -> dict[str, object]:
    found: dict[str, object] = {
        "service": line.service_id,
        "zone": line.zone,
        "basis": line.basis,
        "volume": str(line.volume),
        "price": str(line.price),
        "block": list(line.block) if line.block else None,
        "charged": str(line.charged),
        "recalculated": str(line.recalculated),
        "benefits": str(line.benefits),
    }
    if line.part:  # only split lines carry these: the usual bill's JSON stays as short as it was
        found["part"] = line.part
        found["removed_on"] = line.removed_on.isoformat() if line.removed_on else None
        found["days"] = line.days
    return found


def _meter_json(service_id: int, volume: MeterVolume, prices: Mapping[str, Decimal]) -> dict[str, object]:
    return {
        "meter": volume.meter.id,
        "serial": volume.meter.serial,
        "service": service_id,
        "basis": volume.basis,
        "months_without": volume.months_without,
        "by_zone": {zone: str(value) for zone, value in volume.by_zone.items()},
        "previous": _values_json(volume.previous),
        "current": _values_json(volume.current),
        "prices": {zone: str(price) for zone, price in prices.items()},
    }


def _values_json(values: Mapping[str, Decimal] | None) -> dict[str, str] | None:
    return {zone: str(value) for zone, value in values.items()} if values is not None else None


def _recalculation_json(r: Recalculation) -> dict[str, object]:
    return {
        "service": r.service_id,
        "zone": r.zone,
        "meter": r.meter_id,
        "period": str(BillingPeriod.from_date(r.period)),
        "volume_before": str(r.volume_before),
        "volume_after": str(r.volume_after),
        "price": str(r.price),
        "amount": str(r.amount),
    }


# --- the charge ----------------------------------------------------------------------------------------


def charge_account(
    *,
    account: AccountFacts,
    period: BillingPeriod,
    services: Mapping[int, ServiceFacts],
    book: PriceBook,
    rules: FallbackRules = FallbackRules(),
) -> AccountCharge:
    """Return the account's charge for the period: lines, meter volumes, recalculations and benefits."""
    result = AccountCharge(account_id=account.id, period=period)
    removals = removals_of(account=account, period=period, rules=rules)
    for supply in sorted(account.supplies, key=lambda s: s.service_id):
        days = supply_days(account=account, supply=supply, period=period)
        if days == 0 or supply.service_id in result.supply_days:
            continue
        result.supply_days[supply.service_id] = days
        service = services[supply.service_id]
        if removals and _removal().charge_with_removal(
            result=result,
            account=account,
            service=service,
            supplied=supply_range(account=account, supply=supply, period=period),
            removed=[m for m in removals if m.resource == service.resource],
            period=period,
            book=book,
            rules=rules,
        ):
            continue
        _charge_service(result, account, service, days, period, book, rules)
    _attach_recalculations(result)
    _apply_benefits(result, account.benefits)
    return result


def supply_days(*, account: AccountFacts, supply: SupplyFacts, period: BillingPeriod) -> int:
    """Return how many days of the period the service was supplied on the open account."""
    start, end, days = _period_facts(period)
    if (
        supply.started_on <= start
        and account.opened_on <= start
        and supply.ended_on is None
        and account.closed_on is None
    ):
        return days  # the usual case, answered without date arithmetic
    first = max(start, supply.started_on, account.opened_on)
    ends = [end, *(day for day in (supply.ended_on, account.closed_on) if day is not None)]
    return max(0, (min(ends) - first).days + 1)


def _removal():  # the module, imported late: it builds on this one
    from abonent.billing import removal

    return removal


def supply_range(*, account: AccountFacts, supply: SupplyFacts, period: BillingPeriod) -> tuple[date, date]:
    """Return the first and last day of the period the service was supplied on the open account."""
    start, end, _days = _period_facts(period)
    first = max(start, supply.started_on, account.opened_on)
    last = min([end, *(day for day in (supply.ended_on, account.closed_on) if day is not None)])
    return first, last


def removals_of(*, account: AccountFacts, period: BillingPeriod, rules: FallbackRules) -> list[MeterFacts]:
    """Return the account's meters removed recently enough to matter to the period (usually none)."""
    if all(m.removed_on is None for m in account.meters):
        return []
    since, end = rules.removals_from(period), _period_facts(period)[1]
    return [
        m
        for m in account.meters
        if m.removed_on is not None and since <= m.removed_on and m.installed_on <= end
    ]


@lru_cache(maxsize=256)
def _period_text(period: BillingPeriod) -> str:
    return str(period)


@lru_cache(maxsize=256)
def _period_facts(period: BillingPeriod) -> tuple[date, date, int]:
    """Return the first day, last day and length of the period (cached: asked for every line)."""
    return period.start, period.end, period.days


def _charge_service(
    result: AccountCharge,
    account: AccountFacts,
    service: ServiceFacts,
    days: int,
    period: BillingPeriod,
    book: PriceBook,
    rules: FallbackRules,
) -> None:
    meters = meters_of(account=account, service=service, period=period)
    volumes = [meter_volume(meter=m, period=period, category=account.category, rules=rules) for m in meters]
    if service.metered and volumes and all(v.basis != Basis.NORM for v in volumes):
        lines, prices = lines_by_meters(
            book=book,
            account=account,
            service=service,
            volumes=[(v, WHOLE) for v in volumes],
            days=days,
            period=period,
        )
        result.lines.extend(lines)
        record_meters(
            result=result, account=account, service=service, volumes=volumes, prices=prices, period=period
        )
        return
    lines, prices = lines_by_norm(book=book, account=account, service=service, days=days, period=period)
    result.lines.extend(lines)
    for v in volumes:
        result.meters.append((service.id, v, prices))


def lines_by_meters(
    *,
    book: PriceBook,
    account: AccountFacts,
    service: ServiceFacts,
    volumes: Sequence[tuple[MeterVolume, Decimal]],
    days: int,
    period: BillingPeriod,
) -> tuple[tuple[Line, ...], dict[str, Decimal]]:
    """Return the lines of a service billed by its meters for the days, and the price per zone.

    Each volume comes with the share of it billed: `WHOLE` for readings, the days' part of a month
    for an average billed over some days only. The weakest basis of the volumes names the lines.
    """
    zones = {v.meter.zones for v, _share in volumes}
    if len(zones) > 1:
        raise InvalidConsumption(
            gettext("The meters of %(service)s have different numbers of zones.") % {"service": service.name}
        )
    consumption: dict[str, Decimal] = {}
    for v, share in volumes:
        for zone, value in v.by_zone.items():
            part = value if share == WHOLE else (value * share).quantize(VOLUME, rounding=ROUND_HALF_UP)
            consumption[zone] = consumption.get(zone, Decimal(0)) + part
    basis = max((v.basis for v, _share in volumes), key=_WEAKNESS.__getitem__)
    tariff = _tariff(book, account, service, period, meter_zones=zones.pop())
    return _charge_lines(service, _compute(tariff, consumption, days, period, account), basis)


def record_meters(
    *,
    result: AccountCharge,
    account: AccountFacts,
    service: ServiceFacts,
    volumes: Sequence[MeterVolume],
    prices: dict[str, Decimal],
    period: BillingPeriod,
) -> None:
    """Record the meters' volumes at the prices billed; a reading that closes a gap recalculates it."""
    for v in volumes:
        result.meters.append((service.id, v, prices))
        result.recalculations.extend(_recalculations(account, service, v, prices, period))


def lines_by_norm(
    *, book: PriceBook, account: AccountFacts, service: ServiceFacts, days: int, period: BillingPeriod
) -> tuple[tuple[Line, ...], dict[str, Decimal]]:
    """Return the lines of a service billed by norm for the days and the price per zone (kept in the book).

    They depend only on the key below: the norm and the tariff are found by the service, the region,
    the category and the period, and the volume by the days, the residents (also a per-resident
    block's bounds) and the area if the norm is per m². Lines are immutable, so accounts with the
    same key share them (a benefit or a recalculation makes a new one).
    """
    norm = _norm(book, account, service, period)
    area = account.area if norm.basis == ConsumptionNorm.Basis.AREA else None
    key = ("norm", service.id, account.region, account.category, account.residents, area, days, period)
    found = book.answers.get(key)
    if found is None:
        volume = _norm_volume_of(norm, account.residents, account.area, days, _period_facts(period)[2])
        tariff = _tariff(book, account, service, period, meter_zones=1)
        charge = _norm_charge(tariff, volume, days, _period_facts(period)[2], account.residents or None)
        found = book.answers[key] = _charge_lines(service, charge, Basis.NORM)
    return found  # type: ignore[return-value]  # stored just above, under this key's shape


@lru_cache(maxsize=4096)
def _norm_charge(
    tariff: TariffTerms, volume: Decimal, days: int, period_days: int, residents: int | None
) -> Charge:
    """Return the charge of a volume by norm (cached: a norm gives the same few volumes to thousands)."""
    partial = days < period_days
    return compute_charge(
        tariff=tariff,
        consumption_by_zone={Zone.SINGLE: volume},
        days=days if partial else None,
        period_days=period_days if partial else None,
        residents=residents,
    )


def meters_of(*, account: AccountFacts, service: ServiceFacts, period: BillingPeriod) -> list[MeterFacts]:
    """Return the account's meters of the service's resource installed by the period's end, not retired."""
    end = _period_facts(period)[1]
    return [
        m
        for m in account.meters
        if m.resource == service.resource and m.status != "decommissioned" and m.installed_on <= end
    ]


def _compute(
    tariff: TariffTerms,
    consumption: dict[str, Decimal],
    days: int,
    period: BillingPeriod,
    account: AccountFacts,
) -> Charge:
    partial = days < period.days
    return compute_charge(
        tariff=tariff,
        consumption_by_zone=consumption,
        days=days if partial else None,
        period_days=period.days if partial else None,
        residents=account.residents or None,
    )


def _charge_lines(
    service: ServiceFacts, charge: Charge, basis: str
) -> tuple[tuple[Line, ...], dict[str, Decimal]]:
    """Return the charge's lines and the effective price per zone (a block tariff's average price)."""
    lines: list[Line] = []
    per_zone: dict[str, tuple[Decimal, Decimal]] = {}
    for c in charge.lines:
        block = (
            (str(c.block_from), None if c.block_to is None else str(c.block_to))
            if c.block_from is not None
            else None
        )
        lines.append(
            Line(
                service_id=service.id,
                zone=c.zone,
                basis=basis,
                volume=c.volume,
                price=c.price,
                charged=c.amount,
                block=block,
            )
        )
        volume, amount = per_zone.get(c.zone, (Decimal(0), ZERO))
        per_zone[c.zone] = (volume + c.volume, amount + c.amount)
    prices = {
        zone: (amount / volume).quantize(PRICE, rounding=ROUND_HALF_UP) if volume else ZERO
        for zone, (volume, amount) in per_zone.items()
    }
    return tuple(lines), prices


def _tariff(
    book: PriceBook, account: AccountFacts, service: ServiceFacts, period: BillingPeriod, *, meter_zones: int
) -> TariffTerms:
    key = ("tariff", service.id, account.region, account.category, meter_zones, period)
    if key in book.answers:
        tariff = book.answers[key]
    else:
        tariff = book.answers[key] = book.tariff(
            service_id=service.id,
            region=account.region,
            category=account.category,
            meter_zones=meter_zones,
            on_date=_period_facts(period)[1],
        )
    if tariff is None:
        message = gettext(
            "No tariff for %(service)s in region %(region)s (%(category)s) on %(day)s;"
            " add it in the billing settings."
        )
        raise TariffNotFound(
            message
            % {
                "service": service.name,
                "region": account.region,
                "category": CustomerCategory(account.category).label,
                "day": f"{period.end:%d.%m.%Y}",
            }
        )
    return tariff  # type: ignore[return-value]  # the book's answer to this question


def _norm(book: PriceBook, account: AccountFacts, service: ServiceFacts, period: BillingPeriod) -> NormTerms:
    key = ("norm terms", service.id, account.region, account.category, period)
    if key in book.answers:
        norm = book.answers[key]
    else:
        norm = book.answers[key] = book.norm(
            service_id=service.id, region=account.region, category=account.category, on_date=period.end
        )
    if norm is None:
        message = gettext(
            "No consumption norm for %(service)s in region %(region)s (%(category)s) on %(day)s;"
            " add it in the billing settings."
        )
        raise NormNotFound(
            message
            % {
                "service": service.name,
                "region": account.region,
                "category": CustomerCategory(account.category).label,
                "day": f"{period.end:%d.%m.%Y}",
            }
        )
    return norm  # type: ignore[return-value]  # the book's answer to this question


@lru_cache(maxsize=8192)
def _norm_volume_of(
    norm: NormTerms, residents: int, area: Decimal | None, days: int, period_days: int
) -> Decimal:
    """Return the volume by norm (cached: residents and areas repeat across thousands of accounts)."""
    partial = days < period_days
    return norm_volume(
        norm=norm,
        residents=residents,
        area=area,
        days=days if partial else None,
        period_days=period_days if partial else None,
    )


# --- one meter -----------------------------------------------------------------------------------------


def meter_volume(
    *, meter: MeterFacts, period: BillingPeriod, category: str, rules: FallbackRules = FallbackRules()
) -> MeterVolume:
    """Return the meter's monthly volume for the period: by its readings, its average, or none (norm)."""
    start = _period_facts(period)[0]
    usable = usable_readings(meter=meter, period=period)
    current = usable.get(start)
    earlier = sorted(p for p in usable if p < start)
    last = earlier[-1] if earlier else None
    if current is not None and last is not None:
        span = months_between(last, start)
        by_zone = {
            zone: (_used(meter, usable[last][zone], current[zone]) / span).quantize(
                VOLUME, rounding=ROUND_HALF_UP
            )
            for zone in meter.tariff_zones
        }
        return MeterVolume(
            meter=meter,
            basis=Basis.METER,
            by_zone=by_zone,
            previous=dict(usable[last]),
            current=dict(current),
            gap_from=last if span > 1 else None,
        )
    months_without = months_between(last, start) if last is not None else 0
    if last is not None and months_without <= rules.average_periods(category):
        average = average_volume(meter=meter, readings=usable, last=last, rules=rules)
        if average is not None:
            return MeterVolume(
                meter=meter,
                basis=Basis.AVERAGE,
                by_zone=average,
                months_without=months_without,
                previous=dict(usable[last]),
            )
    return MeterVolume(meter=meter, basis=Basis.NORM, by_zone={}, months_without=months_without)


def first_volume(*, meter: MeterFacts, period: BillingPeriod) -> MeterVolume | None:
    """Return a new meter's volume in its first period with a reading: that reading less its first one.

    The first one is its installation reading (`MeterFacts.initial`). None when it has no reading
    this period or no installation reading to count from.
    """
    current = usable_readings(meter=meter, period=period).get(period.start)
    start = _by_tariff_zone(meter, meter.initial) if meter.initial is not None else None
    if current is None or start is None:
        return None
    by_zone = {
        zone: _used(meter, start[zone], current[zone]).quantize(VOLUME, rounding=ROUND_HALF_UP)
        for zone in meter.tariff_zones
    }
    return MeterVolume(meter=meter, basis=Basis.METER, by_zone=by_zone, previous=start, current=dict(current))


def usable_readings(*, meter: MeterFacts, period: BillingPeriod) -> dict[date, dict[str, Decimal]]:
    """Return the readings that may be billed by, keyed by the meter's tariff zones.

    A reading after the verification date does not count; a failed meter's reading of this period
    does not count either (its earlier ones still do, for the average).
    """
    usable: dict[date, dict[str, Decimal]] = {}
    broken_now = meter.status in {"failed", "verification_expired"}
    this = _period_facts(period)[0]
    readings = meter.readings if meter.removed_on is None else _until_removal(meter)
    for start, values in readings.items():
        if start > this or (broken_now and start == this):
            continue
        if meter.next_verification_on < _period_end(start):
            continue
        keyed = _by_tariff_zone(meter, values)
        if keyed is not None:
            usable[start] = keyed
    return usable


def _until_removal(meter: MeterFacts) -> dict[date, Mapping[str, Decimal]]:
    """Return a removed meter's readings with the final one counted for the removal's period.

    A final reading taken after the readings window closed, still on or before the removal day, is
    filed under the next period; it is the last word on the period the meter was removed in.
    """
    assert meter.removed_on is not None  # noqa: S101 - called for removed meters only
    removal = BillingPeriod.from_date(meter.removed_on)
    after = removal.next().start
    found = {start: values for start, values in meter.readings.items() if start <= removal.start}
    if after in meter.readings:
        found[removal.start] = meter.readings[after]
    return found


@lru_cache(maxsize=512)
def _period_end(start: date) -> date:
    return BillingPeriod.from_date(start).end


def _by_tariff_zone(meter: MeterFacts, values: Mapping[str, Decimal]) -> dict[str, Decimal] | None:
    if meter.zones == 1:
        return {Zone.SINGLE: values["T1"]} if "T1" in values else None
    try:
        return {zone: values[zone] for zone in meter.tariff_zones}
    except KeyError:  # a zone without its value: the reading does not count
        return None


def _used(meter: MeterFacts, old: Decimal, new: Decimal) -> Decimal:
    """Return the consumption between two values of a register, across one rollover."""
    return new - old if new >= old else new + Decimal(10) ** meter.digits - old


def average_volume(
    *, meter: MeterFacts, readings: Mapping[date, Mapping[str, Decimal]], last: date, rules: FallbackRules
) -> dict[str, Decimal] | None:
    """Return the average monthly volume per zone over up to 6 months of readings ending at `last`.

    None when the readings span less than the minimum (3 months): the norm applies then.
    """
    oldest_allowed = BillingPeriod.from_date(last).shift(-rules.average_months_max).start
    window = sorted(p for p in readings if oldest_allowed <= p <= last)
    if not window:
        return None
    span = months_between(window[0], last)
    if span < rules.average_months_min:
        return None
    first = readings[window[0]]
    end = readings[last]
    return {
        zone: (_used(meter, first[zone], end[zone]) / span).quantize(VOLUME, rounding=ROUND_HALF_UP)
        for zone in meter.tariff_zones
    }


def months_between(first: date, last: date) -> int:
    return (last.year - first.year) * 12 + last.month - first.month


def gap_periods(*, meter: MeterFacts, period: BillingPeriod) -> list[date]:
    """Return the periods between the meter's last earlier reading and this period's, if it has both."""
    usable = usable_readings(meter=meter, period=period)
    if period.start not in usable:
        return []
    earlier = sorted(p for p in usable if p < period.start)
    if not earlier:
        return []
    start = BillingPeriod.from_date(earlier[-1])
    return [start.shift(n).start for n in range(1, months_between(earlier[-1], period.start))]


def _recalculations(
    account: AccountFacts,
    service: ServiceFacts,
    volume: MeterVolume,
    prices: Mapping[str, Decimal],
    period: BillingPeriod,
) -> list[Recalculation]:
    """Recalculate the gap's months billed by the meter's average, now that its readings are known."""
    if volume.gap_from is None:
        return []
    found = []
    for q in gap_periods(meter=volume.meter, period=period):
        for entry in account.earlier_meter_entries.get(q, ()):
            if entry.get("meter") != volume.meter.id or entry.get("basis") != Basis.AVERAGE:
                continue
            before = {zone: Decimal(str(v)) for zone, v in dict(entry.get("by_zone") or {}).items()}  # type: ignore[call-overload]  # JSON object
            prices = dict(entry.get("prices") or {})  # type: ignore[call-overload]  # JSON object
            for zone, after in volume.by_zone.items():
                price = Decimal(str(prices.get(zone, "0")))
                amount = to_money((after - before.get(zone, Decimal(0))) * price)
                if amount != 0:
                    found.append(
                        Recalculation(
                            service_id=service.id,
                            zone=zone,
                            meter_id=volume.meter.id,
                            period=q,
                            volume_before=before.get(zone, Decimal(0)),
                            volume_after=after,
                            price=price,
                            amount=amount,
                        )
                    )
    return found


# --- benefits -------------------------------------------------------------------------------------------


def _apply_benefits(result: AccountCharge, benefits: Sequence[BenefitFacts]) -> None:
    """Take each benefit off the lines it covers: a percent of each, a fixed sum until used up."""
    for benefit in sorted(benefits, key=lambda b: b.id):
        covered = [
            index
            for index, line in enumerate(result.lines)
            if benefit.service_id is None or line.service_id == benefit.service_id
        ]
        left = benefit.value
        for index in covered:
            line = result.lines[index]
            room = line.charged - line.benefits
            if benefit.kind == "percent":
                amount = min(room, to_money(line.charged * benefit.value / 100))
            else:
                amount = min(room, left)
                left -= amount
            if amount <= 0:
                continue
            result.lines[index] = _with_benefit(line, amount)
            result.benefit_lines.append(
                BenefitLine(
                    benefit_id=benefit.id, name=benefit.name, service_id=line.service_id, amount=amount
                )
            )


def _with_benefit(line: Line, amount: Decimal) -> Line:
    return replace(line, benefits=line.benefits + amount)


def _attach_recalculations(result: AccountCharge) -> None:
    """Show each recalculation on the first line of its service and zone."""
    for r in result.recalculations:
        for index, line in enumerate(result.lines):
            if line.service_id == r.service_id and line.zone == r.zone:
                result.lines[index] = replace(line, recalculated=line.recalculated + r.amount)
                break

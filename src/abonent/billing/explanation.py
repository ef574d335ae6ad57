""" "Why is my bill different?": the change against the previous bill and the same month a year ago.

`explain_bill` reads the bill and the two bills it is compared with; `compare_bills` is pure and
splits the change of each service's charge into its causes — the volume (at the earlier price), the
tariff (at the new volume), the way the volume was found (readings, average, norm) — and adds the
recalculations, benefits and penalties of the bill and the length of the month. Each reason carries
its amount in roubles (+ more to pay, − less); `Reason.text` says it as a sentence in the active
language.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext, gettext_lazy

from abonent.billing.models import Bill
from abonent.core.money import ZERO, format_rub, to_money
from abonent.core.periods import BillingPeriod
from abonent.customers.models import Service

VOLUME = "volume"
TARIFF = "tariff"
BASIS = "basis"
NEW_SERVICE = "new_service"
GONE_SERVICE = "gone_service"
RECALCULATION = "recalculation"
BENEFITS = "benefits"
PENALTIES = "penalties"
DAYS = "days"
LAST_YEAR = "last_year"


@dataclass(frozen=True, slots=True)
class ServiceFigures:
    """A service's lines of one bill, summed: volume, charge, the average price and how it was found."""

    volume: Decimal
    charged: Decimal
    basis: str

    @property
    def price(self) -> Decimal:
        return self.charged / self.volume if self.volume else ZERO


@dataclass(frozen=True, slots=True)
class Reason:
    code: str
    amount: Decimal
    service: str = ""
    params: dict[str, object] = field(default_factory=dict)

    def _shown(self) -> dict[str, object]:
        """Return the parameters as text of the active language (money, months, bases)."""
        shown = dict(self.params)
        if self.code in {TARIFF, LAST_YEAR}:
            shown["before"] = format_rub(Decimal(str(self.params["before"])))
            shown["after"] = format_rub(Decimal(str(self.params["after"])))
        if self.code == BASIS:
            shown["before"] = _basis_label(str(self.params["before"]))
            shown["after"] = _basis_label(str(self.params["after"]))
        if "unit" in self.params:
            shown["unit"] = unit_label(str(self.params["unit"]))
        if self.code == LAST_YEAR:
            shown["month"] = BillingPeriod.parse(str(self.params["month"])).label()
        return shown

    @property
    def text(self) -> str:
        """Say the reason as a sentence in the active language."""
        values = {"service": self.service, "amount": format_rub(abs(self.amount)), **self._shown()}
        more = self.amount > 0
        templates = {
            VOLUME: gettext(
                "%(service)s: you used %(before)s → %(after)s %(unit)s, %(amount)s %(direction)s."
            ),
            TARIFF: gettext(
                "%(service)s: the price changed from %(before)s to %(after)s per %(unit)s,"
                " %(amount)s %(direction)s."
            ),
            BASIS: gettext("%(service)s: billed by %(after)s; last month by %(before)s."),
            NEW_SERVICE: gettext("%(service)s: a new charge of %(amount)s."),
            GONE_SERVICE: gettext("%(service)s: no charge this month (%(amount)s last month)."),
            RECALCULATION: gettext("A recalculation of earlier months: %(amount)s %(direction)s."),
            BENEFITS: gettext("Benefits and subsidies: %(amount)s %(direction)s to pay than last month."),
            PENALTIES: gettext("Penalties for late payment: %(amount)s %(direction)s than last month."),
            DAYS: gettext(
                "This month has %(after)s days, the previous one %(before)s:"
                " a charge by norm follows the days."
            ),
            LAST_YEAR: gettext("A year ago, in %(month)s, the charges were %(before)s; now %(after)s."),
        }
        values["direction"] = gettext("more") if more else gettext("less")
        return templates[self.code] % values


@dataclass(frozen=True, slots=True)
class Explanation:
    bill: Bill
    previous: Bill | None
    last_year: Bill | None
    reasons: list[Reason]

    @property
    def change(self) -> Decimal:
        """Return how much more (or less) the charges of this bill are than the previous one's."""
        return self.bill.charged - self.previous.charged if self.previous else ZERO


def explain_bill(*, bill: Bill) -> Explanation:
    """Return why the bill differs from the previous month's and the same month a year earlier."""
    period = BillingPeriod.from_date(bill.period)
    earlier = {
        b.period: b
        for b in Bill.objects.filter(
            account_id=bill.account_id,
            status=Bill.Status.ISSUED,
            period__in=[period.previous().start, period.shift(-12).start],
        )
    }
    previous, last_year = earlier.get(period.previous().start), earlier.get(period.shift(-12).start)
    ids = {int(line["service"]) for b in (bill, previous) if b for line in (b.details or {}).get("lines", [])}
    services = {s.pk: s for s in Service.objects.filter(pk__in=ids)}
    return Explanation(bill, previous, last_year, compare_bills(bill, previous, last_year, services))


def compare_bills(
    bill: Bill, previous: Bill | None, last_year: Bill | None, services: dict[int, Service]
) -> list[Reason]:
    """Return the reasons of the difference, the largest amount first (pure: bills in, reasons out)."""
    reasons: list[Reason] = []
    if previous is not None:
        now, before = figures(bill), figures(previous)
        for service_id in sorted(set(now) | set(before)):
            service = services.get(service_id)
            reasons.extend(_service_reasons(service, now.get(service_id), before.get(service_id)))
        reasons.extend(_money_reasons(bill, previous))
        reasons.extend(_days(bill, previous))
    if last_year is not None:
        reasons.append(
            Reason(
                LAST_YEAR,
                bill.charged - last_year.charged,
                params={
                    "month": str(BillingPeriod.from_date(last_year.period)),
                    "before": last_year.charged,
                    "after": bill.charged,
                },
            )
        )
    return sorted(reasons, key=lambda r: (r.code == LAST_YEAR, -abs(r.amount)))


def figures(bill: Bill) -> dict[int, ServiceFigures]:
    """Return each service's volume, charge and basis on the bill (a service's worst basis counts)."""
    volume: dict[int, Decimal] = defaultdict(Decimal)
    charged: dict[int, Decimal] = defaultdict(Decimal)
    basis: dict[int, str] = {}
    rank = {"meter": 0, "average": 1, "norm": 2}
    for line in (bill.details or {}).get("lines", []):
        service_id = int(line["service"])
        volume[service_id] += Decimal(line["volume"])
        charged[service_id] += Decimal(line["charged"])
        if rank.get(line["basis"], 0) >= rank.get(basis.get(service_id, "meter"), 0):
            basis[service_id] = line["basis"]
    return {s: ServiceFigures(volume[s], charged[s], basis[s]) for s in charged}


def _service_reasons(
    service: Service | None, now: ServiceFigures | None, before: ServiceFigures | None
) -> list[Reason]:
    name = service.name if service else "?"
    unit = service.unit if service else ""
    if now is None and before is not None:
        return [Reason(GONE_SERVICE, -before.charged, name)] if before.charged else []
    if now is None:
        return []
    if before is None:
        return [Reason(NEW_SERVICE, now.charged, name)] if now.charged else []
    reasons = []
    by_volume = to_money((now.volume - before.volume) * before.price)
    if by_volume:
        reasons.append(
            Reason(
                VOLUME,
                by_volume,
                name,
                {"before": _volume(before.volume), "after": _volume(now.volume), "unit": unit},
            )
        )
    by_price = now.charged - before.charged - by_volume
    if (
        abs(by_price) >= Decimal("0.05")
        and before.price
        and abs(now.price - before.price) >= Decimal("0.0001")
    ):
        reasons.append(
            Reason(
                TARIFF,
                by_price,
                name,
                {"before": to_money(before.price), "after": to_money(now.price), "unit": unit},
            )
        )
    if now.basis != before.basis:
        reasons.append(Reason(BASIS, ZERO, name, {"before": before.basis, "after": now.basis}))
    return reasons


def _money_reasons(bill: Bill, previous: Bill) -> list[Reason]:
    reasons = []
    if bill.recalculated:
        reasons.append(Reason(RECALCULATION, bill.recalculated))
    if bill.benefits != previous.benefits:
        reasons.append(Reason(BENEFITS, previous.benefits - bill.benefits))
    if bill.penalties != previous.penalties:
        reasons.append(Reason(PENALTIES, bill.penalties - previous.penalties))
    return reasons


def _days(bill: Bill, previous: Bill) -> list[Reason]:
    now, before = BillingPeriod.from_date(bill.period).days, BillingPeriod.from_date(previous.period).days
    uses_norm = any(line["basis"] == "norm" for line in (bill.details or {}).get("lines", []))
    if now == before or not uses_norm:
        return []
    return [Reason(DAYS, ZERO, params={"before": before, "after": now})]


UNIT_LABELS = {"kWh": gettext_lazy("kWh"), "m3": gettext_lazy("m³"), "Gcal": gettext_lazy("Gcal")}


def unit_label(code: str) -> str:
    """Name a service's unit for people: "kWh" → "кВт·ч", "m3" → "м³"."""
    return str(UNIT_LABELS.get(code, code))


def _volume(value: Decimal) -> str:
    return f"{value.normalize():f}".replace(".", ",") if value else "0"


def _basis_label(basis: str) -> str:
    return {
        "meter": gettext("the meter readings"),
        "average": gettext("the average"),
        "norm": gettext("the norm"),
    }.get(basis, basis)

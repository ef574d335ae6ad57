"""Reads of billing: tariffs and norms in force, balances, debt ageing and the penalty statement."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Container, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TypeVar

from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext

from abonent.billing.ageing import PRINCIPAL, Ageing, EntryFact, age_entries
from abonent.billing.errors import BillNotFound, NormNotFound, TariffNotFound
from abonent.billing.models import (
    Bill,
    BillDelivery,
    ConsumptionNorm,
    KeyRate,
    LedgerEntry,
    PaymentDueRule,
    PenaltyMoratorium,
    PenaltyRateCap,
    PenaltyScale,
    Tariff,
)
from abonent.billing.penalty_calculation import (
    DebtClock,
    PenaltyLine,
    PenaltyTerms,
    RateCap,
    Scale,
    calculate_penalty,
)
from abonent.billing.services.qr import bill_payment_fields, build_payload
from abonent.billing.services.tariffs import category_for
from abonent.core.models import Organisation
from abonent.core.money import ZERO
from abonent.core.periods import BillingPeriod, due_date
from abonent.customers.models import Account, Customer, Service
from abonent.identity.models import User
from abonent.identity.selectors import AccountNotFound, account_for_user

# --- Tariffs and norms ----------------------------------------------------------------------------

_Dated = TypeVar("_Dated", bound=ConsumptionNorm)


def tariff_for(
    *, service: Service, region: str, category: str, on_date: date, meter_zones: int = 0
) -> Tariff:
    """Return the tariff in force on the day (the region's own, else the all-regions one), prices loaded.

    With `meter_zones` (1, 2, 3) the option for meters with that many zones wins over one for any meter.
    """
    candidates = (
        Tariff.objects.in_force(on_date)
        .filter(service=service, category=category, region_code__in=[region, ""])
        .filter(meter_zones__in={0, meter_zones})
        .prefetch_related("rates")
    )
    rows = sorted(
        candidates,
        key=lambda row: (row.region_code == region, row.meter_zones == meter_zones, row.valid_from),
        reverse=True,
    )
    if not rows:
        raise TariffNotFound()
    return rows[0]


def norm_for(
    *, service: Service, region: str, category: str, on_date: date, variant: str = ""
) -> ConsumptionNorm:
    """Return the consumption norm in force on the day for the region (else all regions) and variant."""
    candidates = ConsumptionNorm.objects.in_force(on_date).filter(
        service=service, category=category, variant=variant, region_code__in=[region, ""]
    )
    norm = _most_specific(candidates, region=region)
    if norm is None:
        raise NormNotFound()
    return norm


def _most_specific(candidates: QuerySet[_Dated], *, region: str) -> _Dated | None:
    """Pick the region's own row over the all-regions one, the latest start among equals."""
    rows = sorted(candidates, key=lambda row: (row.region_code == region, row.valid_from), reverse=True)
    return rows[0] if rows else None


# --- Due dates --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DueCalendar:
    """The payment due rules of one organisation (its own over the federal ones), read once."""

    own: tuple[PaymentDueRule, ...]
    federal: tuple[PaymentDueRule, ...]
    fallback_due_day: int

    def rule(self, period: BillingPeriod) -> PaymentDueRule | None:
        """Return the rule in force on the first day of the month after the period."""
        day = period.next().start
        for rules in (self.own, self.federal):
            in_force = [rule for rule in rules if rule.valid_from <= day]
            if in_force:
                return max(in_force, key=lambda rule: rule.valid_from)
        return None

    def due_date(self, period: BillingPeriod) -> date:
        rule = self.rule(period)
        return due_date(period, rule.due_day if rule else self.fallback_due_day)

    def delivery_deadline(self, period: BillingPeriod) -> date:
        rule = self.rule(period)
        return period.next().day(rule.bill_delivery_day if rule else 5)


def due_calendar(*, organisation: Organisation) -> DueCalendar:
    """Return the organisation's due-date rules; without any rule its payment_due_day field decides."""
    rules = list(PaymentDueRule.objects.filter(Q(organisation=organisation) | Q(organisation__isnull=True)))
    return DueCalendar(
        own=tuple(rule for rule in rules if rule.organisation_id is not None),
        federal=tuple(rule for rule in rules if rule.organisation_id is None),
        fallback_due_day=organisation.payment_due_day,
    )


def due_date_for(*, organisation: Organisation, period: BillingPeriod) -> date:
    """Return the day the period's bill must be paid by."""
    return due_calendar(organisation=organisation).due_date(period)


# --- Ledger ----------------------------------------------------------------------------------------


def ledger_entries(*, account: Account) -> QuerySet[LedgerEntry]:
    """Return the account's entries in value-date order with their services."""
    return LedgerEntry.objects.filter(account=account).select_related("service").order_by("occurred_on", "id")


def balance(*, account: Account, service: Service | None = None) -> Decimal:
    """Return what the account owes (negative: an advance): the sum of its entries."""
    entries = LedgerEntry.objects.filter(account=account)
    if service is not None:
        entries = entries.filter(service=service)
    return _sum(entries.values_list("amount", flat=True))


def balances_by_service(*, account: Account) -> dict[int | None, Decimal]:
    """Return the balance per service id (None: advances not assigned to a service)."""
    totals: dict[int | None, Decimal] = defaultdict(lambda: ZERO)
    for service_id, amount in LedgerEntry.objects.filter(account=account).values_list("service", "amount"):
        totals[service_id] += amount
    return dict(sorted(totals.items(), key=lambda item: (item[0] is None, item[0] or 0)))


def _sum(amounts) -> Decimal:
    # Summed here, not with SQL SUM(): SQLite adds decimals as floats (0.01 + 0.99 - 0.94 = 0.0600…01).
    return sum(amounts, ZERO)


def account_ageing(*, account: Account) -> Ageing:
    """Return the account's debt per service and period with the days it was paid off."""
    rows = LedgerEntry.objects.filter(account=account).values_list(
        "id", "service_id", "period", "component", "amount", "occurred_on"
    )
    return age_entries(
        EntryFact(id=i, service_id=s, period=p, component=c, amount=a, occurred_on=o)
        for i, s, p, c, a, o in rows
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class PeriodDebt:
    """A row of debt ageing: what a period charged for a service, what is paid and what is left."""

    service_id: int
    period: date
    component: str
    due_date: date
    charged: Decimal
    paid: Decimal
    outstanding: Decimal
    days_overdue: int


def debt_ageing(*, account: Account, as_of: date | None = None) -> list[PeriodDebt]:
    """Return every period's debt per service (oldest first), with days past its due date."""
    today = as_of or timezone.localdate()
    calendar = due_calendar(organisation=account.branch.organisation)
    rows = []
    for bucket in sorted(account_ageing(account=account).buckets.values(), key=lambda b: (b.period, b.key)):
        due = calendar.due_date(BillingPeriod.from_date(bucket.period))
        rows.append(
            PeriodDebt(
                service_id=bucket.service_id,
                period=bucket.period,
                component=bucket.component,
                due_date=due,
                charged=bucket.debited,
                paid=bucket.paid,
                outstanding=bucket.outstanding,
                days_overdue=max(0, (today - due).days) if bucket.outstanding > 0 else 0,
            )
        )
    return rows


def posted_penalties(*, account: Account) -> dict[int, Decimal]:
    """Return the penalties posted so far per service id."""
    totals: dict[int, Decimal] = defaultdict(lambda: ZERO)
    entries = LedgerEntry.objects.filter(account=account, kind=LedgerEntry.Kind.PENALTY)
    for service_id, amount in entries.values_list("service", "amount"):
        totals[service_id] += amount
    return dict(totals)


# --- Penalties -------------------------------------------------------------------------------------


def penalty_terms(*, category: str) -> PenaltyTerms:
    """Return the key rates, caps, moratoria and scales that apply to the category."""
    moratoria = PenaltyMoratorium.objects.filter(Q(category="") | Q(category=category)).order_by("starts_on")
    return PenaltyTerms(
        key_rates=tuple(KeyRate.objects.order_by("valid_from").values_list("valid_from", "rate")),
        caps=tuple(
            RateCap(valid_from=c.valid_from, valid_until=c.valid_until, cap=c.cap)
            for c in PenaltyRateCap.objects.all()
        ),
        moratoria=tuple(moratoria.values_list("starts_on", "ends_on")),
        scales=tuple(_scales(category)),
    )


def _scales(category: str) -> list[Scale]:
    return [
        Scale(
            valid_from=s.valid_from,
            free_days=s.free_days,
            first_denominator=s.first_denominator,
            first_until_day=s.first_until_day,
            later_denominator=s.later_denominator,
        )
        for s in PenaltyScale.objects.filter(category=category).order_by("valid_from")
    ]


def penalty_statement(*, account: Account, as_of: date) -> list[PenaltyLine]:
    """Return the penalty lines of every period's debt on the account up to the day, oldest first."""
    account = Account.objects.select_related("customer", "branch__organisation").get(pk=account.pk)
    late = set(
        BillDelivery.objects.filter(account=account, delivered_on__gt=F("deadline")).values_list(
            "period", flat=True
        )
    )
    return statement_lines(
        account_ageing(account=account),
        late=late,
        calendar=due_calendar(organisation=account.branch.organisation),
        terms=penalty_terms(category=category_for(account.customer)),
        as_of=as_of,
    )


def statement_lines(
    ageing: Ageing, *, late: Container[date], calendar: DueCalendar, terms: PenaltyTerms, as_of: date
) -> list[PenaltyLine]:
    """Return the penalty lines of an account's aged debt up to the day, oldest period first."""
    lines: list[PenaltyLine] = []
    buckets = [b for b in ageing.buckets.values() if b.component == PRINCIPAL]
    for bucket in sorted(buckets, key=lambda b: (b.period, b.service_id)):
        clock = DebtClock(
            service_id=bucket.service_id,
            period=bucket.period,
            due_date=calendar.due_date(BillingPeriod.from_date(bucket.period)),
            amount=bucket.debited,
            settlements=tuple(bucket.settlements),
            bill_late=bucket.period in late,
        )
        lines.extend(calculate_penalty(debt=clock, as_of=as_of, terms=terms))
    return lines


# --- Bills -----------------------------------------------------------------------------------------

BILL_SCHEMA = 1
_PAYER_KINDS: dict[str, str] = {
    Customer.Kind.INDIVIDUAL: "individual",
    Customer.Kind.SOLE_PROPRIETOR: "sole_proprietor",
    Customer.Kind.LEGAL_ENTITY: "legal",
}
# Debt above this many months of charges gets the warning of Decree 354 p. 117 on the bill.
DEBT_WARNING_MONTHS = 2


def bills_of_account(*, account: Account) -> QuerySet[Bill]:
    """Return the account's issued bills, newest first (the calculation deferred: lists do not need it)."""
    return (
        Bill.objects.filter(account=account, status=Bill.Status.ISSUED).defer("details").order_by("-period")
    )


def bill_for_user(*, user: User, bill_id: int) -> Bill:
    """Return the bill if the user may see its account; a foreign bill is "not found"."""
    bill = Bill.objects.filter(pk=bill_id).first()
    if bill is None:
        raise BillNotFound()
    try:
        bill.account = account_for_user(user=user, account_id=bill.account_id)
    except AccountNotFound as exc:
        raise BillNotFound() from exc
    return bill


def bill_document_data(*, bill: Bill) -> dict[str, object]:
    """Return the bill's canonical data: the contract the documents area renders and archives.

    JSON-serialisable; money as strings with 2 decimals, dates ISO. Totals: due = opening_balance
    + charged + recalculated − benefits − paid + penalties (benefits and paid are positive sums).
    """
    account = Account.objects.select_related("customer", "premises__building", "branch__organisation").get(
        pk=bill.account_id
    )
    services = {s.pk: s for s in Service.objects.filter(pk__in=_service_ids(bill.details or {}))}
    return _document_data(bill, account, services, penalty_statement(account=account, as_of=bill.issued_on))


_DOCUMENT_BATCH = 900  # accounts per IN (...) list: under SQLite's variable limit on every build


def bills_document_data(*, bills: Sequence[Bill]) -> dict[int, dict[str, object]]:
    """Return the canonical data of many bills by bill id, equal to `bill_document_data` of each.

    For a composition chunk: the accounts, services, ledgers, late deliveries, penalty terms and due
    calendars of the whole batch are read in a few queries, not a dozen per bill.
    """
    found: dict[int, dict[str, object]] = {}
    services = Service.objects.in_bulk()
    terms: dict[str, PenaltyTerms] = {}
    calendars: dict[int, DueCalendar] = {}
    for index in range(0, len(bills), _DOCUMENT_BATCH):
        batch = bills[index : index + _DOCUMENT_BATCH]
        ids = sorted({bill.account_id for bill in batch})
        accounts = Account.objects.select_related(
            "customer", "premises__building__district", "branch__organisation"
        ).in_bulk(ids)
        entries: dict[int, list[EntryFact]] = defaultdict(list)
        rows = LedgerEntry.objects.filter(account_id__in=ids).values_list(
            "account_id", "id", "service_id", "period", "component", "amount", "occurred_on"
        )
        for account_id, entry_id, service, period, component, amount, occurred_on in rows:
            entries[account_id].append(EntryFact(entry_id, service, period, component, amount, occurred_on))
        late: dict[int, set[date]] = defaultdict(set)
        deliveries = BillDelivery.objects.filter(account_id__in=ids, delivered_on__gt=F("deadline"))
        for account_id, start in deliveries.values_list("account_id", "period"):
            late[account_id].add(start)
        for bill in batch:
            account = accounts[bill.account_id]
            category = category_for(account.customer)
            if category not in terms:
                terms[category] = penalty_terms(category=category)
            organisation = account.branch.organisation
            if organisation.pk not in calendars:
                calendars[organisation.pk] = due_calendar(organisation=organisation)
            lines = statement_lines(
                age_entries(entries[account.pk]),
                late=late[account.pk],
                calendar=calendars[organisation.pk],
                terms=terms[category],
                as_of=bill.issued_on,
            )
            found[bill.pk] = _document_data(bill, account, services, lines)
    return found


def _document_data(
    bill: Bill, account: Account, services: Mapping[int, Service], penalty_lines: list[PenaltyLine]
) -> dict[str, object]:
    period = BillingPeriod.from_date(bill.period)
    details = bill.details or {}
    return {
        "kind": "bill",
        "schema": BILL_SCHEMA,
        "number": bill.number,
        "period": str(period),
        "issued_on": bill.issued_on.isoformat(),
        "due_date": bill.due_date.isoformat(),
        "supplier": _supplier(account.branch.organisation),
        "payer": {
            "name": account.customer.display_name,
            "account_number": account.number,
            "address": str(account.premises),
            "kind": _PAYER_KINDS.get(account.customer.kind, "individual"),
        },
        "totals": {
            "opening_balance": _money(bill.opening_balance),
            "charged": _money(bill.charged),
            "recalculated": _money(bill.recalculated),
            "benefits": _money(bill.benefits),
            "paid": _money(bill.paid),
            "penalties": _money(bill.penalties),
            "due": _money(bill.total_due),
        },
        "lines": [_document_line(line, services) for line in details.get("lines", [])],
        "readings": _document_readings(details),
        "penalty_lines": _document_penalties(penalty_lines),
        "notices": bill_notices(bill=bill, account=account),
        "qr_payload": bill_qr_payload(bill=bill, account=account).decode("utf-8"),
    }


def _service_ids(details: dict) -> set[int]:
    return {int(line["service"]) for line in details.get("lines", [])} | {
        int(m["service"]) for m in details.get("meters", [])
    }


def _money(amount: Decimal | str) -> str:
    return f"{Decimal(amount):.2f}"


def _supplier(organisation: Organisation) -> dict[str, object]:
    return {
        "name": organisation.name,
        "inn": organisation.inn,
        "kpp": organisation.kpp,
        "address": organisation.legal_address,
        "phone": organisation.phone,
        "bank": {
            "name": organisation.bank_name,
            "bik": organisation.bank_bic,
            "account": organisation.bank_account,
            "correspondent_account": organisation.bank_corr_account,
        },
    }


def _document_line(line: dict, services: Mapping[int, Service]) -> dict[str, object]:
    service = services.get(int(line["service"]))
    charged, recalculated, benefits = (Decimal(line[k]) for k in ("charged", "recalculated", "benefits"))
    return {
        "service": service.name if service else str(line["service"]),
        "unit": service.unit if service else "",
        "zone": line["zone"],
        "volume": line["volume"],
        "tariff": line["price"],
        "charged": _money(charged),
        "recalculated": _money(recalculated),
        "benefits": _money(benefits),
        "total": _money(charged + recalculated - benefits),
        "basis": line["basis"],
        # Only a line of a service split by a meter's removal says which side of it it bills.
        **({"part": line["part"], "removed_on": line["removed_on"]} if line.get("part") else {}),
    }


def _document_readings(details: dict) -> list[dict[str, object]]:
    rows = []
    for meter in details.get("meters", []):
        previous, current = meter.get("previous") or {}, meter.get("current") or {}
        if not current:
            continue
        for zone, value in current.items():
            rows.append(
                {
                    "meter": meter["serial"],
                    "zone": zone,
                    "previous": previous.get(zone),
                    "current": value,
                    "volume": (meter.get("by_zone") or {}).get(zone),
                }
            )
    return rows


def _document_penalties(lines: list[PenaltyLine]) -> list[dict[str, object]]:
    return [
        {
            "period": str(BillingPeriod.from_date(line.period)),
            "debt": _money(line.debt),
            "days": line.days,
            "rate_share": line.fraction,
            "key_rate": f"{line.rate:.2f}",
            "amount": _money(line.amount),
        }
        for line in lines
        if line.denominator
    ]


def bill_notices(*, bill: Bill, account: Account) -> list[str]:
    """Return the notices printed on the bill: the readings window, a debt warning when due."""
    organisation = account.branch.organisation
    window = BillingPeriod.from_date(bill.issued_on)
    notices = [
        gettext(
            "Submit meter readings from %(start)s to %(end)s in the cabinet, by phone or by the voice robot."
        )
        % {
            "start": f"{window.day(organisation.readings_window_start_day):%d.%m.%Y}",
            "end": f"{window.day(organisation.readings_window_end_day):%d.%m.%Y}",
        }
    ]
    if bill.charged > 0 and bill.opening_balance - bill.paid > DEBT_WARNING_MONTHS * bill.charged:
        notices.append(
            gettext(
                "Your debt exceeds two months of charges. Unless it is paid within 20 days of receiving "
                "this bill, the supply may be limited and then suspended (Decree 354, p. 117-119)."
            )
        )
    return notices


def bill_qr_payload(*, bill: Bill, account: Account) -> bytes:
    """Return the GOST R 56042 payload of the bill's amount due (zero when nothing is due)."""
    amount = max(bill.total_due, ZERO)
    fields = bill_payment_fields(
        account=account,
        amount=amount,
        period=BillingPeriod.from_date(bill.period),
        penalty=bill.penalties if bill.penalties > 0 else None,
    )
    fields["QuittId"] = bill.number[:25]
    fields["QuittDate"] = f"{bill.issued_on:%d.%m.%Y}"
    return build_payload(fields)

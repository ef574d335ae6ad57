"""The bulk charge run posts exactly what the per-account logic computes, entry by entry, on a varied demo.

The demo brings single, zoned (T1–T3) and block tariffs, meters without readings (billed by the average,
then by the norm), unmetered services, benefits and debtors with penalties. Three meters are removed mid-
period: one replaced the same day, one ten days later (the days between by its average) and one not (its
days after the removal by its average); a fourth, removed after last period's window, is replaced on the
6th of this one. Before the run, each account's charge is worked out the slow way — its facts read
through the ORM one account at a time, tariffs and norms found by the selectors, `charge_account`, and
the penalty statement — and after the run every ledger entry and bill the bulk path wrote is compared
with it; so is the bills' document data built in bulk with each bill's own.
"""

from __future__ import annotations

import datetime
import json
from collections import defaultdict
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Q, Sum
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from abonent.billing.charging import (
    AccountFacts,
    BenefitFacts,
    MeterFacts,
    NormTerms,
    PriceBook,
    ServiceFacts,
    SupplyFacts,
    charge_account,
)
from abonent.billing.errors import NormNotFound, TariffNotFound
from abonent.billing.models import Benefit, Bill, ChargeRun, LedgerEntry, Tariff
from abonent.billing.selectors import (
    bill_document_data,
    bills_document_data,
    norm_for,
    penalty_statement,
    posted_penalties,
    tariff_for,
)
from abonent.billing.services.charge_run import run_pending_chunks, start_charge_run
from abonent.billing.services.penalty_run import PENALTY_SOURCE
from abonent.billing.services.tariffs import TariffTerms, category_for
from abonent.core.models import Branch
from abonent.core.money import ZERO
from abonent.core.periods import BillingPeriod, current_period
from abonent.customers.models import Account, AccountService, Service
from abonent.metering.models import Meter, Reading
from tests.billing.factories import TariffFactory, TariffRateFactory

pytestmark = pytest.mark.django_db

ACCOUNTS = 240


def _reference_book() -> PriceBook:
    """Tariffs and norms found one question at a time by the selectors (what the console uses)."""
    services = Service.objects.in_bulk()

    def tariff(*, service_id, region, category, meter_zones, on_date):  # type: ignore[no-untyped-def]
        try:
            found = tariff_for(
                service=services[service_id],
                region=region,
                category=category,
                on_date=on_date,
                meter_zones=meter_zones,
            )
        except TariffNotFound:
            return None
        return TariffTerms.of(found)

    def norm(*, service_id, region, category, on_date):  # type: ignore[no-untyped-def]
        try:
            found = norm_for(service=services[service_id], region=region, category=category, on_date=on_date)
        except NormNotFound:
            return None
        return NormTerms(basis=found.basis, value=found.value, raising_factor=found.raising_factor)

    return PriceBook(tariff=tariff, norm=norm)


def _reference_facts(account: Account, period: BillingPeriod) -> AccountFacts:
    """Read one account's facts through the ORM, model by model."""
    supplies = [
        SupplyFacts(service_id=s.service_id, started_on=s.started_on, ended_on=s.ended_on)
        for s in AccountService.objects.filter(account=account, started_on__lte=period.end).filter(
            Q(ended_on__isnull=True) | Q(ended_on__gte=period.start)
        )
    ]
    meters = []
    for meter in Meter.objects.filter(account=account, installed_on__lte=period.end).filter(
        ~Q(status=Meter.Status.DECOMMISSIONED) | Q(removed_on__isnull=False)
    ):
        readings: dict = {}
        for reading in Reading.objects.filter(
            meter=meter,
            superseded_at__isnull=True,
            period__gte=period.shift(-13).start,
            period__lte=period.next().start,
        ):
            values = {"T1": reading.t1}
            values.update({zone: v for zone, v in (("T2", reading.t2), ("T3", reading.t3)) if v is not None})
            readings[reading.period] = values
        meters.append(
            MeterFacts(
                id=meter.pk,
                serial=meter.serial_number,
                resource=meter.resource,
                zones=meter.zones,
                digits=meter.digits,
                status=meter.status,
                installed_on=meter.installed_on,
                next_verification_on=meter.next_verification_on,
                readings=readings,
                removed_on=meter.removed_on,
                initial=_first_values(meter),
            )
        )
    benefits = [
        BenefitFacts(id=b.pk, name=b.name, kind=b.kind, value=b.value, service_id=b.service_id)
        for b in Benefit.objects.in_force(period.end).filter(account=account)
    ]
    earlier = {
        bill.period: list((bill.details or {}).get("meters", []))
        for bill in Bill.objects.filter(account=account, period__lt=period.start)
    }
    premises = account.premises
    return AccountFacts(
        id=account.pk,
        category=category_for(account.customer),
        region=account.branch.region_code,
        residents=premises.residents if premises else 0,
        area=premises.area_m2 if premises else None,
        opened_on=account.opened_on,
        closed_on=account.closed_on,
        supplies=supplies,
        meters=meters,
        benefits=benefits,
        earlier_meter_entries=earlier,
    )


def _first_values(meter: Meter) -> dict | None:
    first = Reading.objects.filter(meter=meter).order_by("submitted_at", "pk").first()
    return first.values if first is not None else None


def _remove_meters(period: BillingPeriod) -> None:
    """Remove four single-rate meters on four accounts: mid-period, one replaced the same day, one not,
    one replaced ten days later; and one after the last period's window, replaced on the 6th of this one.
    """
    billed = Bill.objects.filter(period=period.start).values("account_id")
    candidates = [
        meter
        for meter in Meter.objects.filter(status=Meter.Status.ACTIVE, zones=1, installed_on__lt=period.start)
        .exclude(account_id__in=billed)
        .order_by("-pk")
        if {period.start, period.previous().start}
        <= set(meter.readings.filter(superseded_at__isnull=True).values_list("period", flat=True))
    ]
    candidates = list({meter.account_id: meter for meter in reversed(candidates)}.values())[-4:]
    assert len(candidates) == 4, "four meters with this and last period's readings, on four accounts"
    removals = (
        (period.day(10), period.day(10)),
        (period.day(12), None),
        (period.day(8), period.day(18)),
        (period.previous().day(27), period.day(6)),
    )
    for meter, (removed_on, installed_on) in zip(candidates, removals, strict=True):
        # Nothing taken after the removal day counts: a later period's reading goes.
        meter.readings.filter(period__gt=BillingPeriod.from_date(removed_on).start).delete()
        meter.status, meter.removed_on = Meter.Status.DECOMMISSIONED, removed_on
        meter.save(update_fields=["status", "removed_on"])
        if installed_on is not None:
            _install_replacement(meter, installed_on, period)


def _install_replacement(removed: Meter, installed_on: datetime.date, period: BillingPeriod) -> None:
    """Install a new meter at 0 (its installation reading, superseded by 5.5 within the period)."""
    new = Meter.objects.create(
        account_id=removed.account_id,
        resource=removed.resource,
        serial_number=f"R-{removed.serial_number}",
        zones=1,
        digits=removed.digits,
        installed_on=installed_on,
        next_verification_on=period.start.replace(year=period.year + 6),
    )
    moment = timezone.make_aware(datetime.datetime.combine(installed_on, datetime.time(12)))
    for value, at, superseded in (("0", moment, moment), ("5.5", moment + datetime.timedelta(days=5), None)):
        Reading.objects.create(
            meter=new,
            period=period.start,
            t1=Decimal(value),
            submitted_at=at,
            superseded_at=superseded,
            channel="staff_phone",
        )


def _expected_penalties(account: Account, period: BillingPeriod) -> dict[str, Decimal]:
    """The statement's penalty minus what is posted, per service, for a debtor (as accrue_penalties)."""
    opening = LedgerEntry.objects.filter(account=account, occurred_on__lt=period.start).aggregate(
        total=Sum("amount")
    )["total"]
    if not opening or opening <= 0:
        return {}
    owed: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for line in penalty_statement(account=account, as_of=period.end):
        if line.service_id is not None:
            owed[line.service_id] += line.amount
    posted = posted_penalties(account=account)
    found = {}
    for service_id in sorted(set(owed) | set(posted)):
        difference = owed.get(service_id, ZERO) - posted.get(service_id, ZERO)
        if difference != 0:
            found[f"{account.pk}:{service_id}:{period.end.isoformat()}"] = difference
    return found


def _exact_sum(entries) -> Decimal:  # type: ignore[no-untyped-def]  # a LedgerEntry queryset
    """Sum the entries' amounts in Decimal: SQLite's SUM adds them as floats (9530.24000000001)."""
    return sum(entries.values_list("amount", flat=True), ZERO)


def _add_block_tariff() -> None:
    """Bill household cold water in blocks (6 m³ an account at 40.00, then 55.00) from 2025."""
    tariff = TariffFactory(
        service=Service.objects.get(code="cold-water"),
        region_code="",
        kind=Tariff.Kind.BLOCK,
        block_basis=Tariff.BlockBasis.ACCOUNT,
        valid_from=datetime.date(2025, 1, 1),
    )
    TariffRateFactory(tariff=tariff, block_up_to=Decimal("6.000"), price=Decimal("40.0000"))
    TariffRateFactory(tariff=tariff, block_up_to=None, price=Decimal("55.0000"))


def _open_a_gap(period: BillingPeriod) -> None:
    """Make last month's reading of a meter late, after last month's bill had charged its average."""
    previous = period.previous()
    billed = Bill.objects.filter(period__in=[period.start, previous.start]).values("account_id")
    for meter in (
        Meter.objects.filter(status=Meter.Status.ACTIVE).exclude(account_id__in=billed).order_by("pk")
    ):
        readings = Reading.objects.filter(meter=meter, superseded_at__isnull=True)
        if not {period.start, previous.start, period.shift(-2).start} <= set(
            readings.values_list("period", flat=True)
        ):
            continue
        readings.filter(period=previous.start).update(superseded_at=timezone.now())
        zones = ["T"] if meter.zones == 1 else [f"T{n}" for n in range(1, meter.zones + 1)]
        entry = {
            "meter": meter.pk,
            "basis": "average",
            "by_zone": dict.fromkeys(zones, "1.000"),
            "prices": dict.fromkeys(zones, "10.0000"),
        }
        Bill.objects.create(
            account_id=meter.account_id,
            period=previous.start,
            number=f"gap-{meter.pk}",
            issued_on=period.start,
            due_date=period.day(15),
            **dict.fromkeys(("opening_balance", "charged", "recalculated", "benefits"), ZERO),
            **dict.fromkeys(("paid", "penalties", "total_due"), ZERO),
            details={"meters": [entry]},
        )
        return
    raise AssertionError("no meter with three months of readings")


def test_bulk_run_posts_what_the_per_account_logic_computes() -> None:
    call_command("demo", accounts=ACCOUNTS, verbosity=0)
    period = current_period().previous()
    _add_block_tariff()
    _open_a_gap(period)
    _remove_meters(period)
    services = {
        s.pk: ServiceFacts(id=s.pk, name=s.name, resource=s.resource, unit=s.unit, metered=s.metered)
        for s in Service.objects.all()
    }
    book = _reference_book()
    accounts = list(
        Account.objects.filter(opened_on__lte=period.end)
        .filter(Q(closed_on__isnull=True) | Q(closed_on__gte=period.start))
        .exclude(bills__period=period.start)
        .select_related("premises", "customer", "branch")
        .order_by("pk")
    )
    expected = {}
    for account in accounts:
        charge = charge_account(
            account=_reference_facts(account, period), period=period, services=services, book=book
        )
        expected[account.pk] = (charge, _expected_penalties(account, period))

    # The variety the comparison is worth something for.
    charges = [charge for charge, _penalties in expected.values()]
    bases = {line.basis for charge in charges for line in charge.lines}
    assert bases == {"meter", "average", "norm"}
    zones = {line.zone for charge in charges for line in charge.lines}
    assert {"T", "T1", "T2"} <= zones
    assert any(line.block for charge in charges for line in charge.lines), "a block tariff"
    assert any(charge.benefit_lines for charge in charges), "a benefit"
    assert any(charge.recalculations for charge in charges), "a recalculation"
    assert any(penalties for _charge, penalties in expected.values()), "a penalty"
    removal = {(line.part, line.basis) for charge in charges for line in charge.lines if line.part}
    assert removal == {("until_removal", "meter"), ("after_removal", "meter"), ("after_removal", "average")}
    # The days between a removal and a later replacement: by the average, then the new meter's days.
    between = [
        charge
        for charge in charges
        # (a side's lines are one per block or zone: their order of sides is what tells)
        if list(dict.fromkeys((line.part, line.basis) for line in charge.lines if line.part))[-2:]
        == [("after_removal", "average"), ("after_removal", "meter")]
    ]
    assert len(between) == 2, "replaced ten days later, and in the period after the removal"
    assert any(
        line.removed_on and line.removed_on < period.start for charge in between for line in charge.lines
    )

    for branch_id in sorted({a.branch_id for a in accounts}):
        run = start_charge_run(
            branch=Branch.objects.get(pk=branch_id),
            period=period,
            chunk_accounts=37,
            enqueue=False,
        )
        run_pending_chunks(run=run)
        run.refresh_from_db()
        assert run.status == ChargeRun.Status.DONE

    for account in accounts:
        charge, penalties = expected[account.pk]
        posted = {
            e.idempotency_key: (e.kind, e.service_id, e.amount, e.reason, e.occurred_on)
            for e in LedgerEntry.objects.filter(account=account, source="charge_run")
        }
        assert posted == {
            p.key: (p.kind, p.service_id, p.amount, p.reason, period.end) for p in charge.postings()
        }, account.pk
        accrued = {
            e.idempotency_key: e.amount
            for e in LedgerEntry.objects.filter(
                account=account, source=PENALTY_SOURCE, occurred_on=period.end
            )
        }
        assert accrued == penalties, account.pk
        bill = Bill.objects.get(account=account, period=period.start)
        assert bill.details == json.loads(json.dumps(charge.details())), account.pk
        in_period = LedgerEntry.objects.filter(
            account=account, occurred_on__gte=period.start, occurred_on__lte=period.end
        )
        assert bill.charged == _exact_sum(in_period.filter(kind="charge"))
        assert bill.charged == sum(
            (p.amount for p in charge.postings() if p.kind == "charge"), ZERO
        ) + _exact_sum(in_period.exclude(source="charge_run").filter(kind="charge"))
        balance = _exact_sum(LedgerEntry.objects.filter(account=account, occurred_on__lte=period.end))
        assert bill.total_due == balance, account.pk

    # The documents area's data of the run's bills, built in bulk, is each bill's own.
    bills = list(Bill.objects.filter(period=period.start).order_by("pk"))
    with CaptureQueriesContext(connection) as queries:
        documents = bills_document_data(bills=bills)
    assert len(queries) <= 20, f"{len(queries)} queries for {len(bills)} bills"
    assert any(document["penalty_lines"] for document in documents.values()), "a bill with penalties"
    for bill in bills:
        assert documents[bill.pk] == bill_document_data(bill=bill), bill.pk

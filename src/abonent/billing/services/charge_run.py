"""The monthly charge run of a branch: chunks of accounts charged in bulk, resumable after a crash.

`start_charge_run` creates the run (or finds the one already there: one per branch and period) with
its chunks — ranges of account ids — and queues a task per chunk not yet done. `charge_chunk` does a
chunk in ONE transaction: it claims the chunk with a conditional UPDATE (a second worker waits on the
row and then finds it done), writes the chunk's ledger entries and bills, marks the chunk done and
adds to the run's counters. A crash anywhere rolls the whole chunk back, so starting the run again
redoes exactly the chunks not committed; the ledger's idempotency keys
(`charge:{account}:{service}:{period}:{zone}`) are the net under that: a chunk committed twice would
fail on the unique key instead of charging twice. Accounts that already have the period's bill are
skipped, so a run never bills an account twice either.

A chunk is worked out apart from being written: `prepare_accounts` reads the facts of its accounts
in a fixed number of set-based queries whose rows skip the ORM's per-value converters
(`raw_rows.fetch`), computes each account in Python (`billing.charging`), the debtors' penalties from
the chunk's ledger read once (`penalty_run`), and returns plain rows (`PreparedChunk`); then
`write_prepared` streams them in with core.bulk (COPY on PostgreSQL, executemany on SQLite) and sums
the ledger for the bills in SQL. Inside a worker both happen in the chunk's transaction; on SQLite,
whose one writer would otherwise also do all the reading and arithmetic, `manage.py charge_run
--workers N` has N reader processes prepare chunks (`prepare_chunk`) while the writer writes them.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import partial
from typing import TypeVar

from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from abonent.billing.charging import (
    RUN_SOURCE,
    AccountCharge,
    AccountFacts,
    BenefitFacts,
    FallbackRules,
    MeterFacts,
    NormTerms,
    PriceBook,
    ServiceFacts,
    SupplyFacts,
    charge_account,
    gap_periods,
)
from abonent.billing.models import (
    Benefit,
    Bill,
    ChargeRun,
    ChargeRunChunk,
    ConsumptionNorm,
    CustomerCategory,
    LedgerEntry,
    Tariff,
)
from abonent.billing.selectors import due_calendar
from abonent.billing.services.penalty_run import PENALTY_SOURCE, penalty_postings
from abonent.billing.services.raw_rows import DATE, day, decimal_field, fetch
from abonent.billing.services.tariffs import RateTerms, TariffTerms, category_for
from abonent.core.bulk import insert_rows, table_spec
from abonent.core.freshness import touch_everything
from abonent.core.models import Branch
from abonent.core.money import ZERO, from_kopecks
from abonent.core.periods import BillingPeriod
from abonent.customers.models import Account, AccountService, Customer, Premises, Service
from abonent.identity.models import User
from abonent.metering.models import Meter, Reading

CHUNK_ACCOUNTS = 10_000
_Answer = TypeVar("_Answer")
# The tariff category of each customer kind (billing.services.tariffs.category_for, without a model per row).
_CATEGORIES = {kind: category_for(Customer(kind=kind)) for kind in Customer.Kind.values}
_IN_BATCH = 900  # ids per IN (...) list: under SQLite's variable limit on every build
AREA = decimal_field(Premises, "area_m2")
BENEFIT_VALUE = decimal_field(Benefit, "value")
_READING_VALUE = decimal_field(Reading, "t1")
_READING_COLUMNS = (None, DATE, _READING_VALUE, _READING_VALUE, _READING_VALUE)

LEDGER_SPEC = table_spec(
    LedgerEntry,
    [
        "account_id",
        "service_id",
        "period",
        "kind",
        "component",
        "amount",
        "occurred_on",
        "posted_at",
        "reason",
        "source",
        "idempotency_key",
        "group_key",
    ],
)
BILL_SPEC = table_spec(
    Bill,
    [
        "account_id",
        "period",
        "number",
        "issued_on",
        "due_date",
        "status",
        "opening_balance",
        "charged",
        "recalculated",
        "benefits",
        "paid",
        "penalties",
        "total_due",
        "details",
        "run_id",
        "created_at",
    ],
)


# --- starting and resuming ----------------------------------------------------------------------------


def start_charge_run(
    *,
    branch: Branch,
    period: BillingPeriod,
    started_by: User | None = None,
    chunk_accounts: int = CHUNK_ACCOUNTS,
    enqueue: bool = True,
) -> ChargeRun:
    """Create the branch's run for the period (or resume it) and queue its chunks not yet done."""
    with transaction.atomic():
        run, created = ChargeRun.objects.get_or_create(
            branch=branch, period=period.start, defaults={"started_by": started_by}
        )
        if created:
            _create_chunks(run, chunk_accounts)
        if run.status != ChargeRun.Status.DONE:
            ChargeRun.objects.filter(pk=run.pk).update(
                status=ChargeRun.Status.RUNNING, started_at=run.started_at or timezone.now(), error=""
            )
        ChargeRunChunk.objects.filter(run=run, status=ChargeRunChunk.Status.FAILED).update(
            status=ChargeRunChunk.Status.PENDING
        )
        pending = list(run.chunks.exclude(status=ChargeRunChunk.Status.DONE).values_list("pk", flat=True))
        if enqueue:
            transaction.on_commit(partial(_enqueue_chunks, run.pk, pending))
    if not pending:
        finish_run_if_complete(run_id=run.pk)
    run.refresh_from_db()
    return run


def _enqueue_chunks(run_id: int, chunk_ids: list[int]) -> None:
    from abonent.billing.tasks import charge_chunk_task

    for chunk_id in chunk_ids:
        charge_chunk_task.enqueue(chunk_id)
    finish_run_if_complete(run_id=run_id)


def _create_chunks(run: ChargeRun, size: int) -> None:
    """Cut the branch's accounts open in the period into id ranges of `size` accounts."""
    period = BillingPeriod.from_date(run.period)
    ids = list(_billable_accounts(run.branch_id, period).order_by("pk").values_list("pk", flat=True))
    chunks = [
        ChargeRunChunk(
            run=run,
            first_account_id=ids[i],
            last_account_id=ids[min(i + size, len(ids)) - 1],
            accounts=min(size, len(ids) - i),
        )
        for i in range(0, len(ids), size)
    ]
    ChargeRunChunk.objects.bulk_create(chunks)
    ChargeRun.objects.filter(pk=run.pk).update(accounts_total=len(ids), chunks_total=len(chunks))


def _billable_accounts(branch_id: int, period: BillingPeriod):
    return Account.objects.filter(branch_id=branch_id, opened_on__lte=period.end).filter(
        Q(closed_on__isnull=True) | Q(closed_on__gte=period.start)
    )


def run_pending_chunks(*, run: ChargeRun) -> int:
    """Charge every chunk of the run not yet done, here and now (management command, benchmark)."""
    done = 0
    for chunk_id in run.chunks.exclude(status=ChargeRunChunk.Status.DONE).values_list("pk", flat=True):
        charge_chunk(chunk_id=chunk_id)
        done += 1
    finish_run_if_complete(run_id=run.pk)
    return done


def finish_run_if_complete(*, run_id: int) -> bool:
    """Mark the run done once every chunk is; return whether it is done."""
    updated = (
        ChargeRun.objects.filter(pk=run_id, chunks_done__gte=F("chunks_total"))
        .exclude(status=ChargeRun.Status.DONE)
        .update(status=ChargeRun.Status.DONE, finished_at=timezone.now(), error="")
    )
    return bool(updated) or ChargeRun.objects.filter(pk=run_id, status=ChargeRun.Status.DONE).exists()


# --- one chunk ----------------------------------------------------------------------------------------


@dataclass
class ChunkOutcome:
    accounts: int
    bills: int
    entries: int


def charge_chunk(*, chunk_id: int, prepared: PreparedChunk | None = None) -> ChunkOutcome | None:
    """Charge the chunk's accounts in one transaction; None when another worker already did it.

    `prepared` is the chunk worked out beforehand by `prepare_chunk` in another process (SQLite's
    one writer only writes then); without it the chunk is read and worked out inside the transaction.
    """
    try:
        with transaction.atomic():
            claimed = ChargeRunChunk.objects.filter(pk=chunk_id).exclude(status=ChargeRunChunk.Status.DONE)
            if not claimed.update(status=ChargeRunChunk.Status.RUNNING, claimed_at=timezone.now()):
                return None
            _commit_without_waiting_for_disk()
            chunk = ChargeRunChunk.objects.select_related("run__branch__organisation").get(pk=chunk_id)
            outcome = _charge(chunk, prepared)
            ChargeRunChunk.objects.filter(pk=chunk_id).update(
                status=ChargeRunChunk.Status.DONE, finished_at=timezone.now(), attempts=F("attempts") + 1
            )
    except Exception as exc:  # every failure is recorded on the chunk and the run, then re-raised
        _record_failure(chunk_id, exc)
        raise
    # Thousands of balances changed at once: no cached cabinet page may outlive them.
    touch_everything()
    finish_run_if_complete(run_id=chunk.run_id)
    return outcome


def _commit_without_waiting_for_disk() -> None:
    """Let this chunk's commit return before its WAL reaches the disk (PostgreSQL, this transaction only).

    Safe because the chunk is one transaction that also marks it done: a server crash can lose only
    the last commits whole — the entries, the bills and the "done" together — and PostgreSQL never
    applies half of one, so the lost chunks are pending again and the next start of the run redoes
    them. Nothing outside the database is told of a chunk but the page cache, which only refreshes.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit = off")


def prepare_chunk(chunk_id: int) -> PreparedChunk | None:
    """Work out a chunk's entries and bills without writing (a reader process); None when it is done."""
    chunk = (
        ChargeRunChunk.objects.select_related("run__branch__organisation")
        .exclude(status=ChargeRunChunk.Status.DONE)
        .filter(pk=chunk_id)
        .first()
    )
    if chunk is None:
        return None
    return _prepare(chunk)


def _prepare(chunk: ChargeRunChunk) -> PreparedChunk:
    run = chunk.run
    return prepare_accounts(
        branch=run.branch,
        period=BillingPeriod.from_date(run.period),
        first=chunk.first_account_id,
        last=chunk.last_account_id,
        run_id=run.pk,
    )


def _record_failure(chunk_id: int, exc: Exception) -> None:
    message = getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"
    with transaction.atomic():
        ChargeRunChunk.objects.filter(pk=chunk_id).update(
            status=ChargeRunChunk.Status.FAILED, error=message[:2000], attempts=F("attempts") + 1
        )
        run_ids = ChargeRunChunk.objects.filter(pk=chunk_id).values("run_id")
        ChargeRun.objects.filter(pk__in=run_ids).update(status=ChargeRun.Status.FAILED, error=message[:2000])


def _charge(chunk: ChargeRunChunk, prepared: PreparedChunk | None) -> ChunkOutcome:
    run = chunk.run
    if prepared is None or (prepared.run_id, prepared.first, prepared.last) != (
        run.pk,
        chunk.first_account_id,
        chunk.last_account_id,
    ):
        prepared = _prepare(chunk)
    outcome = write_prepared(prepared)
    ChargeRun.objects.filter(pk=run.pk).update(
        accounts_done=F("accounts_done") + chunk.accounts,
        chunks_done=F("chunks_done") + 1,
        bills=F("bills") + outcome.bills,
        charged=F("charged") + prepared.charged,
        recalculated=F("recalculated") + prepared.recalculated,
        benefits=F("benefits") + prepared.benefits,
        by_average=F("by_average") + prepared.by_average,
        by_norm=F("by_norm") + prepared.by_norm,
    )
    return outcome


@dataclass
class PreparedChunk:
    """A chunk worked out and not yet written: its ledger rows, its bills' parts and the run's sums.

    Plain tuples and numbers, so a reader process can hand it to the writer.
    """

    run_id: int | None
    first: int
    last: int
    period: BillingPeriod
    due_on: date
    ledger: list[tuple[object, ...]]
    bills: list[tuple[int, str, str]]  # account id, bill number, the calculation as JSON
    charged: Decimal = ZERO
    recalculated: Decimal = ZERO
    benefits: Decimal = ZERO
    by_average: int = 0
    by_norm: int = 0


def prepare_accounts(
    *, branch: Branch, period: BillingPeriod, first: int, last: int, run_id: int | None = None
) -> PreparedChunk:
    """Work out the charges, penalties and bills of the branch's accounts first..last not yet billed."""
    facts = ChunkFacts.read(branch_id=branch.pk, period=period, first=first, last=last)
    charges = [
        charge_account(account=account, period=period, services=facts.services, book=facts.book)
        for account in facts.accounts
    ]
    calendar = due_calendar(organisation=branch.organisation)
    categories = {a.id: a.category for a in facts.accounts}
    penalties = penalty_postings(
        first=first, last=last, categories=categories, period=period, calendar=calendar
    )
    return PreparedChunk(
        run_id=run_id,
        first=first,
        last=last,
        period=period,
        due_on=calendar.due_date(period),
        ledger=[*_ledger_rows(charges, period), *_penalty_rows(penalties, period)],
        bills=[
            (
                c.account_id,
                bill_number(facts.numbers[c.account_id], period),
                json.dumps(c.details(), separators=(",", ":"), ensure_ascii=False),
            )
            for c in charges
        ],
        charged=sum((c.charged for c in charges), ZERO),
        recalculated=sum((c.recalculated for c in charges), ZERO),
        benefits=sum((c.benefits for c in charges), ZERO),
        by_average=sum(c.by_average for c in charges),
        by_norm=sum(c.by_norm for c in charges),
    )


def write_prepared(prepared: PreparedChunk) -> ChunkOutcome:
    """Write a prepared chunk's ledger entries, then its bills with the ledger's totals.

    Call inside a transaction: the entries and the bills are written together or not at all.
    """
    entries = insert_rows(LEDGER_SPEC, prepared.ledger)
    totals = _ledger_totals(prepared.first, prepared.last, prepared.period)
    bills = insert_rows(BILL_SPEC, _bill_rows(prepared, totals))
    return ChunkOutcome(accounts=len(prepared.bills), bills=bills, entries=entries)


def charge_accounts(
    *, branch: Branch, period: BillingPeriod, first: int, last: int, run_id: int | None = None
) -> tuple[PreparedChunk, ChunkOutcome]:
    """Charge the branch's accounts with ids first..last not yet billed for the period, and bill them.

    Call inside a transaction: the entries and the bills are written together or not at all.
    """
    prepared = prepare_accounts(branch=branch, period=period, first=first, last=last, run_id=run_id)
    return prepared, write_prepared(prepared)


# --- reading the facts of a chunk ---------------------------------------------------------------------


@dataclass
class ChunkFacts:
    accounts: list[AccountFacts]
    numbers: dict[int, str]
    services: dict[int, ServiceFacts]
    book: PriceBook

    @classmethod
    def read(
        cls, *, branch_id: int, period: BillingPeriod, first: int, last: int, include_billed: bool = False
    ) -> ChunkFacts:
        """Read what the chunk's accounts need in a fixed number of queries (skipping the billed ones)."""
        accounts = _billable_accounts(branch_id, period).filter(pk__gte=first, pk__lte=last)
        if not include_billed:
            billed = Bill.objects.filter(account_id__gte=first, account_id__lte=last, period=period.start)
            accounts = accounts.exclude(pk__in=billed.values("account_id"))
        rows = fetch(
            accounts.values_list(
                "pk",
                "number",
                "customer__kind",
                "branch__region_code",
                "premises__residents",
                "premises__area_m2",
                day("opened_on"),
                day("closed_on"),
            ),
            (None, None, None, None, None, AREA, DATE, DATE),
        )
        wanted = {row[0] for row in rows}
        supplies = _supplies(first, last, period, wanted)
        meters = _meters(first, last, period, wanted)
        benefits = _benefits(first, last, period)
        earlier = _earlier_entries(meters, period)
        accounts = [
            AccountFacts(
                id=pk,
                category=_CATEGORIES.get(kind, CustomerCategory.BUSINESS),
                region=region,
                residents=residents or 0,
                area=area,
                opened_on=opened_on,
                closed_on=closed_on,
                supplies=supplies.get(pk, ()),
                meters=meters.get(pk, ()),
                benefits=benefits.get(pk, ()),
                earlier_meter_entries=earlier.get(pk, {}),
            )
            for pk, _number, kind, region, residents, area, opened_on, closed_on in rows
        ]
        return cls(
            accounts=accounts,
            numbers={row[0]: row[1] for row in rows},
            services=service_facts(),
            book=price_book(),
        )


def service_facts() -> dict[int, ServiceFacts]:
    return {
        pk: ServiceFacts(id=pk, name=name, resource=resource, unit=unit, metered=metered)
        for pk, name, resource, unit, metered in Service.objects.values_list(
            "pk", "name", "resource", "unit", "metered"
        )
    }


def _supplies(first: int, last: int, period: BillingPeriod, wanted: set[int]) -> dict[int, list[SupplyFacts]]:
    found: dict[int, list[SupplyFacts]] = defaultdict(list)
    rows = fetch(
        AccountService.objects.filter(account_id__gte=first, account_id__lte=last, started_on__lte=period.end)
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gte=period.start))
        .values_list("account_id", "service_id", day("started_on"), day("ended_on")),
        (None, None, DATE, DATE),
    )
    for account_id, service_id, started_on, ended_on in rows:
        if account_id in wanted:
            found[account_id].append(
                SupplyFacts(service_id=service_id, started_on=started_on, ended_on=ended_on)
            )
    return found


def _meters(first: int, last: int, period: BillingPeriod, wanted: set[int]) -> dict[int, list[MeterFacts]]:
    """Read the meters with this and the previous period's readings; deeper history only where missing.

    Meters removed lately enough to matter to the period come too (`FallbackRules.removals_from`),
    with their final reading if it was filed under the next period, and so does the first reading of
    each meter that may have replaced one (`MeterFacts.initial`): a few rows a chunk.
    """
    in_service = ~Q(status=Meter.Status.DECOMMISSIONED)
    removed_lately = Q(removed_on__gte=FallbackRules().removals_from(period))
    meters = fetch(
        Meter.objects.filter(account_id__gte=first, account_id__lte=last, installed_on__lte=period.end)
        .filter(in_service | removed_lately)
        .values_list(
            "pk",
            "account_id",
            "serial_number",
            "resource",
            "zones",
            "digits",
            "status",
            day("installed_on"),
            day("next_verification_on"),
            day("removed_on"),
        ),
        (None, None, None, None, None, None, None, DATE, DATE, DATE),
    )
    readings: dict[int, dict[date, dict[str, Decimal]]] = defaultdict(dict)
    recent = Reading.objects.filter(
        meter__account_id__gte=first,
        meter__account_id__lte=last,
        superseded_at__isnull=True,
        period__in=[period.start, period.previous().start],
    )
    _collect(readings, recent)
    # A meter without both readings (or whose readings stop counting: failed, past its verification)
    # needs its history: for the average, or for the start of a gap.
    thin = [
        m[0]
        for m in meters
        if len(readings.get(m[0], {})) < 2 or m[8] < period.end or m[6] != Meter.Status.ACTIVE
    ]
    oldest = period.shift(-13).start
    for batch in _batches(thin):
        history = Reading.objects.filter(
            meter_id__in=batch,
            superseded_at__isnull=True,
            period__gte=oldest,
            period__lt=period.previous().start,
        )
        _collect(readings, history)
    initial = _removals_readings(meters, readings, period)
    found: dict[int, list[MeterFacts]] = defaultdict(list)
    for (
        pk,
        account_id,
        serial,
        resource,
        zones,
        digits,
        status,
        installed_on,
        verify_on,
        removed_on,
    ) in meters:
        if account_id in wanted:
            found[account_id].append(
                MeterFacts(
                    id=pk,
                    serial=serial,
                    resource=resource,
                    zones=zones,
                    digits=digits,
                    status=status,
                    installed_on=installed_on,
                    next_verification_on=verify_on,
                    readings=readings.get(pk, {}),
                    removed_on=removed_on,
                    initial=initial.get(pk),
                )
            )
    return found


def _removals_readings(
    meters: list[tuple], readings: dict[int, dict[date, dict[str, Decimal]]], period: BillingPeriod
) -> dict[int, dict[str, Decimal]]:
    """Add removed meters' final readings filed under the next period; return possible replacements' first.

    A possible replacement is a meter in service installed on or after a removal on the same account.
    """
    removed = [(m[0], m[1], m[9]) for m in meters if m[9] is not None]
    if not removed:
        return {}
    later = Reading.objects.filter(superseded_at__isnull=True, period=period.next().start)
    for batch in _batches([pk for pk, _account, removed_on in removed if removed_on >= period.start]):
        _collect(readings, later.filter(meter_id__in=batch))
    earliest: dict[int, date] = {}
    for _pk, account_id, removed_on in removed:
        earliest[account_id] = min(removed_on, earliest.get(account_id, removed_on))
    candidates = [m[0] for m in meters if m[9] is None and m[1] in earliest and m[7] >= earliest[m[1]]]
    initial: dict[int, dict[str, Decimal]] = {}
    for batch in _batches(candidates):
        rows = fetch(
            Reading.objects.filter(meter_id__in=batch)
            .order_by("meter_id", "submitted_at", "pk")
            .values_list("meter_id", day("period"), "t1", "t2", "t3"),
            _READING_COLUMNS,
        )
        for meter_id, _start, t1, t2, t3 in rows:
            if meter_id not in initial:
                initial[meter_id] = _values(t1, t2, t3)
    return initial


def _collect(readings: dict[int, dict[date, dict[str, Decimal]]], queryset) -> None:
    rows = fetch(queryset.values_list("meter_id", day("period"), "t1", "t2", "t3"), _READING_COLUMNS)
    for meter_id, start, t1, t2, t3 in rows:
        readings[meter_id][start] = _values(t1, t2, t3)


def _values(t1: Decimal, t2: Decimal | None, t3: Decimal | None) -> dict[str, Decimal]:
    values = {"T1": t1}
    if t2 is not None:
        values["T2"] = t2
    if t3 is not None:
        values["T3"] = t3
    return values


def _batches(ids: Sequence[int], size: int = _IN_BATCH) -> Iterator[Sequence[int]]:
    for index in range(0, len(ids), size):
        yield ids[index : index + size]


def _benefits(first: int, last: int, period: BillingPeriod) -> dict[int, list[BenefitFacts]]:
    found: dict[int, list[BenefitFacts]] = defaultdict(list)
    rows = Benefit.objects.in_force(period.end).filter(account_id__gte=first, account_id__lte=last)
    for pk, account_id, service_id, name, kind, value in fetch(
        rows.values_list("pk", "account_id", "service_id", "name", "kind", "value"),
        (None, None, None, None, None, BENEFIT_VALUE),
    ):
        found[account_id].append(
            BenefitFacts(id=pk, name=name, kind=kind, value=value, service_id=service_id)
        )
    return found


def _earlier_entries(
    meters: dict[int, list[MeterFacts]], period: BillingPeriod
) -> dict[int, dict[date, list[dict[str, object]]]]:
    """Read the meter entries of earlier bills for the accounts whose meters close a gap of readings now."""
    previous = period.previous().start
    gaps = {
        account_id: {
            q
            for meter in account_meters
            # The usual meter has both readings and so no gap: skip the closer look.
            if (period.start in meter.readings and previous not in meter.readings) or meter.removed_on
            for q in gap_periods(meter=meter, period=period)
        }
        for account_id, account_meters in meters.items()
    }
    gaps = {account_id: periods for account_id, periods in gaps.items() if periods}
    found: dict[int, dict[date, list[dict[str, object]]]] = defaultdict(dict)
    for batch in _batches(sorted(gaps)):
        wanted = {q for account_id in batch for q in gaps[account_id]}
        bills = Bill.objects.filter(account_id__in=batch, period__in=wanted).values_list(
            "account_id", "period", "details"
        )
        for account_id, start, details in bills:
            found[account_id][start] = list((details or {}).get("meters", []))
    return found


# --- tariffs and norms, read once per chunk -----------------------------------------------------------


def price_book() -> PriceBook:
    """Return every tariff and norm as lookups in memory (the tables are small: regions × services)."""
    tariffs: dict[tuple[int, str, str], list[tuple[Tariff, TariffTerms]]] = defaultdict(list)
    for tariff in Tariff.objects.prefetch_related("rates"):
        rates = tuple(
            RateTerms(zone=r.zone, block_up_to=r.block_up_to, price=r.price)
            for r in sorted(tariff.rates.all(), key=_rate_order)
        )
        terms = TariffTerms(kind=tariff.kind, rates=rates, block_basis=tariff.block_basis)
        tariffs[(tariff.service_id, tariff.region_code, tariff.category)].append((tariff, terms))
    norms: dict[tuple[int, str, str], list[ConsumptionNorm]] = defaultdict(list)
    for norm in ConsumptionNorm.objects.filter(variant=""):
        norms[(norm.service_id, norm.region_code, norm.category)].append(norm)
    return PriceBook(tariff=_memo(partial(_find_tariff, tariffs)), norm=_memo(partial(_find_norm, norms)))


def _memo(find: Callable[..., _Answer]) -> Callable[..., _Answer]:
    """Remember a lookup's answers by its keyword arguments: a chunk asks the same few questions."""
    answers: dict[tuple[object, ...], _Answer] = {}

    def cached(**keys: object) -> _Answer:
        key = tuple(keys.items())  # a call site names its keys in one order: no need to sort them
        if key not in answers:
            answers[key] = find(**keys)
        return answers[key]

    return cached


def _rate_order(rate) -> tuple[str, int, Decimal]:
    return (rate.zone, rate.block_up_to is None, rate.block_up_to or Decimal(0))


def _in_force(row: Tariff | ConsumptionNorm, on_date: date) -> bool:
    return row.valid_from <= on_date and (row.valid_until is None or row.valid_until >= on_date)


def _find_tariff(
    tariffs: dict[tuple[int, str, str], list[tuple[Tariff, TariffTerms]]],
    *,
    service_id: int,
    region: str,
    category: str,
    meter_zones: int,
    on_date: date,
) -> TariffTerms | None:
    """Return the region's own tariff over the all-regions one, the meter's zone option over "any"."""
    candidates = [
        (row.region_code == region, row.meter_zones == meter_zones, row.valid_from, terms)
        for key in ((service_id, region, category), (service_id, "", category))
        for row, terms in tariffs.get(key, ())
        if _in_force(row, on_date) and row.meter_zones in (0, meter_zones)
    ]
    if not candidates:
        return None
    return max(candidates, key=lambda c: c[:3])[3]


def _find_norm(
    norms: dict[tuple[int, str, str], list[ConsumptionNorm]],
    *,
    service_id: int,
    region: str,
    category: str,
    on_date: date,
) -> NormTerms | None:
    candidates = [
        norm
        for key in ((service_id, region, category), (service_id, "", category))
        for norm in norms.get(key, ())
        if _in_force(norm, on_date)
    ]
    if not candidates:
        return None
    norm = max(candidates, key=lambda n: (n.region_code == region, n.valid_from))
    return NormTerms(basis=norm.basis, value=norm.value, raising_factor=norm.raising_factor)


# --- writing --------------------------------------------------------------------------------------------


def _ledger_rows(charges: Iterable[AccountCharge], period: BillingPeriod) -> Iterator[tuple[object, ...]]:
    posted_at = db_moment(timezone.now())
    start, occurred = period.start.isoformat(), period.end.isoformat()
    for charge in charges:
        for posting in charge.postings():
            component = LedgerEntry.Component.PRINCIPAL
            yield (
                charge.account_id,
                posting.service_id,
                start,
                posting.kind,
                component,
                str(posting.amount),
                occurred,
                posted_at,
                posting.reason,
                RUN_SOURCE,
                posting.key,
                "",
            )


def _penalty_rows(
    penalties: list[tuple[int, int, Decimal, str, str]], period: BillingPeriod
) -> Iterator[tuple[object, ...]]:
    posted_at = db_moment(timezone.now())
    for account_id, service_id, amount, key, reason in penalties:
        yield (
            account_id,
            service_id,
            period.start.isoformat(),
            LedgerEntry.Kind.PENALTY,
            LedgerEntry.Component.PENALTY,
            str(amount),
            period.end.isoformat(),
            posted_at,
            reason,
            PENALTY_SOURCE,
            key,
            "",
        )


@dataclass
class LedgerTotals:
    """An account's ledger before the period and in it, in kopecks, by kind."""

    opening: int = 0
    charge: int = 0
    recalculation: int = 0
    benefit: int = 0
    payment: int = 0
    penalty: int = 0
    write_off: int = 0

    @property
    def due(self) -> int:
        return (
            self.opening
            + self.charge
            + self.recalculation
            + self.benefit
            + self.payment
            + self.penalty
            + self.write_off
        )


_KINDS = ("charge", "recalculation", "benefit", "payment", "penalty", "write_off")


def _ledger_totals(first: int, last: int, period: BillingPeriod) -> dict[int, LedgerTotals]:
    """Sum the chunk's ledger in SQL, in whole kopecks (SQLite would add decimals as floats)."""
    kopecks = "CAST(ROUND(amount * 100) AS BIGINT)"
    columns = ", ".join(
        f"SUM(CASE WHEN occurred_on >= %s AND kind = '{kind}' THEN {kopecks} ELSE 0 END)" for kind in _KINDS
    )
    sql = (
        f"SELECT account_id, SUM(CASE WHEN occurred_on < %s THEN {kopecks} ELSE 0 END), {columns}"  # noqa: S608 - constants only
        f" FROM {LedgerEntry._meta.db_table} WHERE account_id BETWEEN %s AND %s AND occurred_on <= %s"
        " GROUP BY account_id"
    )
    start = period.start.isoformat()
    params: list[str | int] = [start, *([start] * len(_KINDS)), first, last, period.end.isoformat()]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {row[0]: LedgerTotals(*(int(v or 0) for v in row[1:])) for row in cursor.fetchall()}


def _bill_rows(prepared: PreparedChunk, totals: dict[int, LedgerTotals]) -> Iterator[tuple[object, ...]]:
    period = prepared.period
    start = period.start.isoformat()
    issued_on = period.next().start.isoformat()
    due_on = prepared.due_on.isoformat()
    created_at = db_moment(timezone.now())
    for account_id, number, details in prepared.bills:
        t = totals.get(account_id, LedgerTotals())
        yield (
            account_id,
            start,
            number,
            issued_on,
            due_on,
            Bill.Status.ISSUED,
            str(from_kopecks(t.opening)),
            str(from_kopecks(t.charge)),
            str(from_kopecks(t.recalculation + t.write_off)),
            str(from_kopecks(-t.benefit)),
            str(from_kopecks(-t.payment)),
            str(from_kopecks(t.penalty)),
            str(from_kopecks(t.due)),
            details,
            prepared.run_id,
            created_at,
        )


def bill_number(account_number: str, period: BillingPeriod) -> str:
    """Return the bill's number: the account number and the period, e.g. 6600123456-202610."""
    return f"{account_number}-{period.year:04d}{period.month:02d}"


def db_moment(moment: datetime) -> str:
    """Write a moment the way the database stores it (SQLite: naive UTC text, as Django does)."""
    if connection.vendor == "sqlite":
        return moment.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")
    return moment.isoformat()


def chunk_error(run: ChargeRun) -> str:
    """Return the first chunk error of a failed run."""
    return (
        run.chunks.filter(status=ChargeRunChunk.Status.FAILED).values_list("error", flat=True).first() or ""
    )

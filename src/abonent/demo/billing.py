"""Billing history of the demo: tariffs and norms, benefits, bills, charges and payments.

- Tariffs and norms for every service (the all-regions rows, with the electricity options for one-,
  two- and three-zone meters and a block tariff for household gas in the Omsk region).
- The demo logins' accounts get 12 months of real history: the charge run's own code bills each of
  the last 12 periods in turn (by their generated readings, averages where a meter's verification
  ran out, norms), and a payment follows each bill on the 12th — except the latest bill, and two
  months the house account left unpaid, so the cabinet shows a debt with penalties.
- The rest of the population gets the two periods before the latest as ledger history written by
  SQL INSERT … SELECT (charges from the readings and norms, payments of all but ~7 % of accounts),
  so that the charge run of the latest period — the benchmark, or a run started in the console —
  meets opening balances and payments as in production. Writing twelve months of entries for a
  million accounts (~80 million rows) would multiply the demo's time; the bills of those periods
  are left out for the same reason (a bill is made by a charge run).
- About 3 % of households have a 50 % heating benefit.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from abonent.billing.models import (
    Benefit,
    Bill,
    ConsumptionNorm,
    CustomerCategory,
    LedgerEntry,
    Tariff,
    TariffRate,
)
from abonent.billing.services.charge_run import charge_accounts, db_moment
from abonent.billing.services.ledger import post_payment
from abonent.core.bulk import bulk_load_session, indexes_deferred
from abonent.core.models import Branch
from abonent.core.periods import BillingPeriod
from abonent.customers.models import Account, Service

PERSONA_PREFIX = "669"
PERSONA_PERIODS = 12
UNPAID_HOUSE_MONTHS = (5, 4)  # months before the latest that the house account left unpaid
MASS_PERIODS = 2
CHUNK_ACCOUNTS = 50_000
CHARGES_TABLE = "demo_period_charges"
DEBTOR_PERCENT = 7
START = date(2024, 1, 1)

# (service code, household price, business price) for single-rate and unmetered options.
PRICES = {
    "electricity": ("5.47", "8.90"),
    "heating": ("2650.00", "2650.00"),
    "hot-water": ("231.40", "231.40"),
    "cold-water": ("45.20", "45.20"),
    "sewage": ("38.10", "38.10"),
    "gas": ("8.20", "9.80"),
    "waste": ("850.00", "850.00"),
}
ZONED = {2: {"T1": "6.29", "T2": "3.12"}, 3: {"T1": "7.10", "T2": "3.12", "T3": "5.47"}}
# (service code, category, basis, units per month)
NORMS = [
    ("electricity", CustomerCategory.HOUSEHOLD, ConsumptionNorm.Basis.RESIDENT, "95"),
    ("heating", CustomerCategory.HOUSEHOLD, ConsumptionNorm.Basis.AREA, "0.0216"),
    ("hot-water", CustomerCategory.HOUSEHOLD, ConsumptionNorm.Basis.RESIDENT, "3.5"),
    ("cold-water", CustomerCategory.HOUSEHOLD, ConsumptionNorm.Basis.RESIDENT, "5.0"),
    ("sewage", CustomerCategory.HOUSEHOLD, ConsumptionNorm.Basis.RESIDENT, "8.5"),
    ("gas", CustomerCategory.HOUSEHOLD, ConsumptionNorm.Basis.RESIDENT, "10"),
    ("waste", CustomerCategory.HOUSEHOLD, ConsumptionNorm.Basis.RESIDENT, "0.18"),
    ("electricity", CustomerCategory.BUSINESS, ConsumptionNorm.Basis.ACCOUNT, "500"),
    ("heating", CustomerCategory.BUSINESS, ConsumptionNorm.Basis.AREA, "0.0216"),
    ("hot-water", CustomerCategory.BUSINESS, ConsumptionNorm.Basis.ACCOUNT, "6"),
    ("cold-water", CustomerCategory.BUSINESS, ConsumptionNorm.Basis.ACCOUNT, "15"),
    ("sewage", CustomerCategory.BUSINESS, ConsumptionNorm.Basis.ACCOUNT, "21"),
    ("gas", CustomerCategory.BUSINESS, ConsumptionNorm.Basis.ACCOUNT, "40"),
    ("waste", CustomerCategory.BUSINESS, ConsumptionNorm.Basis.ACCOUNT, "1.0"),
]


def generate_billing(*, seed: int, report: Callable[[str], None] = print, today: date | None = None) -> None:
    """Create the tariffs, benefits and billing history of the demo (after the readings)."""
    started = time.monotonic()
    latest = BillingPeriod.from_date(today or timezone.localdate()).previous()
    services = {s.code: s for s in Service.objects.all()}
    with transaction.atomic():
        create_tariffs(services)
        _benefits(services)
    persona_history(latest=latest, report=report)
    rows = mass_history(latest=latest, seed=seed)
    report(f"  billing history: {rows:,} ledger entries in {time.monotonic() - started:.1f} s")


# --- reference data -------------------------------------------------------------------------------------


def create_tariffs(services: dict[str, Service]) -> None:
    """Create the demo's tariffs and norms (all regions; household gas in region 55 by blocks)."""
    for code, (household, business) in PRICES.items():
        service = services.get(code)
        if service is None:
            continue
        for category, price in (
            (CustomerCategory.HOUSEHOLD, household),
            (CustomerCategory.BUSINESS, business),
        ):
            _tariff(
                service,
                category,
                Tariff.Kind.SINGLE,
                {"T": price},
                meter_zones=1 if code == "electricity" else 0,
            )
            if code == "electricity":
                factor = Decimal(1) if category == CustomerCategory.HOUSEHOLD else Decimal("1.6")
                for zones, prices in ZONED.items():
                    scaled = {
                        zone: str((Decimal(p) * factor).quantize(Decimal("0.01")))
                        for zone, p in prices.items()
                    }
                    _tariff(service, category, Tariff.Kind.ZONED, scaled, meter_zones=zones)
    if "gas" in services:
        tariff = Tariff.objects.create(
            service=services["gas"],
            region_code="55",
            category=CustomerCategory.HOUSEHOLD,
            kind=Tariff.Kind.BLOCK,
            valid_from=START,
            name="Газ: до 30 м³ и сверх",
        )
        TariffRate.objects.create(tariff=tariff, zone="T", block_up_to=Decimal(30), price=Decimal("7.80"))
        TariffRate.objects.create(tariff=tariff, zone="T", block_up_to=None, price=Decimal("9.50"))
    ConsumptionNorm.objects.bulk_create(
        ConsumptionNorm(
            service=services[code],
            region_code="",
            category=category,
            basis=basis,
            value=Decimal(value),
            valid_from=START,
        )
        for code, category, basis, value in NORMS
        if code in services
    )


def _tariff(service: Service, category: str, kind: str, prices: dict[str, str], *, meter_zones: int) -> None:
    tariff = Tariff.objects.create(
        service=service,
        region_code="",
        category=category,
        kind=kind,
        meter_zones=meter_zones,
        valid_from=START,
        name=f"{service.name}: {Tariff.Kind(kind).label}",
        basis="Постановление РЭК (демо)",
    )
    TariffRate.objects.bulk_create(
        TariffRate(tariff=tariff, zone=zone, price=Decimal(price)) for zone, price in prices.items()
    )


def _benefits(services: dict[str, Service]) -> None:
    """Give about 3 % of households (and the demo flat) a 50 % heating benefit, by SQL."""
    heating = services.get("heating")
    if heating is None:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {Benefit._meta.db_table}
                (account_id, service_id, name, kind, value, valid_from, basis)
            SELECT a.id, s.service_id, %s, 'percent', 50, %s, ''
            FROM customers_account a
            JOIN customers_accountservice s ON s.account_id = a.id AND s.service_id = %s
            JOIN customers_customer c ON c.id = a.customer_id AND c.kind = 'individual'
            WHERE (a.id %% 33 = 0 AND a.number NOT LIKE '{PERSONA_PREFIX}%%') OR a.number = '669000000001'
            """,  # noqa: S608 - our own table names and constants
            ["Ветеран труда: 50 % отопления", START.isoformat(), heating.pk],
        )


# --- the demo logins' twelve months ---------------------------------------------------------------------


def persona_history(*, latest: BillingPeriod, report: Callable[[str], None] = print) -> int:
    """Bill the demo logins' accounts for the last 12 periods with the charge run's code, paying each bill."""
    accounts = list(
        Account.objects.filter(number__startswith=PERSONA_PREFIX).select_related("branch__organisation")
    )
    house = next((a for a in accounts if a.number == "669000000002"), None)
    bills = 0
    for offset in range(PERSONA_PERIODS - 1, -1, -1):
        period = latest.shift(-offset)
        for branch_id in {a.branch_id for a in accounts}:
            ids = [a.pk for a in accounts if a.branch_id == branch_id]
            branch = Branch.objects.select_related("organisation").get(pk=branch_id)
            with transaction.atomic():
                _charges, outcome = charge_accounts(
                    branch=branch, period=period, first=min(ids), last=max(ids)
                )
            bills += outcome.bills
        if offset == 0:
            continue  # the latest bill waits to be paid
        for bill in Bill.objects.filter(account__in=accounts, period=period.start, total_due__gt=0):
            if house is not None and bill.account_id == house.pk and offset in UNPAID_HOUSE_MONTHS:
                continue
            post_payment(
                account=bill.account,
                amount=bill.total_due,
                paid_on=period.next().day(12),
                idempotency_key=f"demo-pay:{bill.number}",
                source="demo",
            )
    report(f"  demo logins: {bills} bills over {PERSONA_PERIODS} months")
    return bills


# --- the population's recent ledger -----------------------------------------------------------------------


def _case(column: str, values: dict[str, str]) -> str:
    branches = " ".join(f"WHEN '{key}' THEN {value}" for key, value in values.items())
    return f"CASE {column} {branches} ELSE 0 END"


def _charges_sql() -> str:
    """Return the INSERT … SELECT of one period's charges of accounts [%s, %s] into the scratch table.

    Metered services by the meters' consumption between the period's reading and the one before
    (a rollover or missing reading falls back to the norm), the rest by norm: volume × price.
    """
    household = _case("sv.code", {code: prices[0] for code, prices in PRICES.items()})
    business = _case("sv.code", {code: prices[1] for code, prices in PRICES.items()})
    norm_person = _case(
        "sv.code",
        {code: value for code, cat, basis, value in NORMS if cat == "household" and basis == "resident"},
    )
    norm_account = _case(
        "sv.code",
        {code: value for code, cat, basis, value in NORMS if cat == "business" and basis == "account"},
    )
    norm = (
        "CASE WHEN sv.code = 'heating' THEN 0.0216 * p.area_m2"
        f" WHEN c.kind = 'individual' THEN ({norm_person}) * p.residents ELSE {norm_account} END"
    )
    price = f"CASE WHEN c.kind = 'individual' THEN {household} ELSE {business} END"
    used = (
        "SELECT me.account_id, me.resource, SUM(cur.t1 + COALESCE(cur.t2, 0) + COALESCE(cur.t3, 0)"
        " - prev.t1 - COALESCE(prev.t2, 0) - COALESCE(prev.t3, 0)) AS used"
        " FROM metering_meter me"
        " JOIN metering_reading cur ON cur.meter_id = me.id AND cur.period = %s AND cur.superseded_at IS NULL"
        " JOIN metering_reading prev"
        " ON prev.meter_id = me.id AND prev.period = %s AND prev.superseded_at IS NULL"
        " WHERE me.account_id BETWEEN %s AND %s GROUP BY me.account_id, me.resource"
    )
    volume = f"CASE WHEN sv.metered AND m.used > 0 THEN m.used ELSE {norm} END"
    return f"""
        INSERT INTO {CHARGES_TABLE} (account_id, service_id, amount)
        SELECT x.account_id, x.service_id, x.amount
        FROM (
            SELECT a.id AS account_id, s.service_id,
                   ROUND(CAST(({volume}) * ({price}) AS NUMERIC), 2) AS amount
            FROM customers_account a
            JOIN customers_accountservice s ON s.account_id = a.id AND s.ended_on IS NULL
            JOIN customers_service sv ON sv.id = s.service_id
            JOIN customers_premises p ON p.id = a.premises_id
            JOIN customers_customer c ON c.id = a.customer_id
            LEFT JOIN ({used}) m ON m.account_id = a.id AND m.resource = sv.resource
            WHERE a.id BETWEEN %s AND %s AND a.number NOT LIKE '{PERSONA_PREFIX}%%'
        ) x
        WHERE x.amount > 0
    """  # noqa: S608 - our own table names and numeric constants only


LEDGER_COLUMNS = (
    "(account_id, service_id, period, kind, component, amount, occurred_on, posted_at, reason, source,"
    " idempotency_key, group_key)"
)


def _ledger_charges_sql() -> str:
    """Return the INSERT … SELECT posting the scratch table's charges to the ledger."""
    return f"""
        INSERT INTO {LedgerEntry._meta.db_table} {LEDGER_COLUMNS}
        SELECT x.account_id, x.service_id, %s, 'charge', 'principal', x.amount, %s, %s, '', 'demo',
               'demo:' || CAST(x.account_id AS VARCHAR(20)) || ':'
               || CAST(x.service_id AS VARCHAR(20)) || ':' || %s, ''
        FROM {CHARGES_TABLE} x
    """  # noqa: S608 - our own table names only


def _payments_sql() -> str:
    """Return the INSERT … SELECT paying each account's charges of the period, but for the debtors."""
    return f"""
        INSERT INTO {LedgerEntry._meta.db_table} {LEDGER_COLUMNS}
        SELECT x.account_id, NULL, %s, 'payment', 'principal',
               -ROUND(CAST(SUM(x.amount) AS NUMERIC), 2), %s, %s,
               '', 'demo', 'demo-pay:' || CAST(x.account_id AS VARCHAR(20)) || ':' || %s, ''
        FROM {CHARGES_TABLE} x
        WHERE (x.account_id * 7919 + %s) %% 100 >= {DEBTOR_PERCENT}
        GROUP BY x.account_id
    """  # noqa: S608 - our own table names and numeric constants only


class MassHistory:
    """The population's charges and payments of the periods before the latest, chunk by chunk.

    A chunk's charges of one period go to a session's scratch table first; the ledger's charges and the
    payments (their sums per account) are both read from there, so the ledger is only written, and its
    secondary indexes can be built once at the end. On PostgreSQL the chunks run on two sessions (one
    per core), as the readings do; SQLite has one writer.
    """

    def __init__(self, *, latest: BillingPeriod, seed: int) -> None:
        self.latest, self.seed = latest, seed
        self.now = db_moment(timezone.now())
        self.rows = 0
        self._lock = threading.Lock()

    def generate(self) -> int:
        bounds = Account.objects.order_by("pk").values_list("pk", flat=True)
        first, top = bounds.first(), bounds.last()
        if first is None or top is None:
            return 0
        chunks = [(low, min(low + CHUNK_ACCOUNTS - 1, top)) for low in range(first, top + 1, CHUNK_ACCOUNTS)]
        sessions = min(os.cpu_count() or 1, 2, len(chunks))
        with indexes_deferred(LedgerEntry):
            if connection.vendor != "postgresql" or connection.in_atomic_block or sessions < 2:
                self._write(chunks)
            else:
                with ThreadPoolExecutor(sessions) as pool:
                    list(pool.map(self._write_in_session, [chunks[i::sessions] for i in range(sessions)]))
        return self.rows

    def _write_in_session(self, chunks: list[tuple[int, int]]) -> None:
        try:
            with bulk_load_session():
                self._write(chunks)
        finally:
            connection.close()

    def _write(self, chunks: list[tuple[int, int]]) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {CHARGES_TABLE}")
            cursor.execute(
                f"CREATE TEMPORARY TABLE {CHARGES_TABLE}"
                " (account_id bigint, service_id bigint, amount numeric(14, 2))"
            )
        try:
            for low, high in chunks:
                with transaction.atomic():
                    written = sum(self._period(low, high, offset) for offset in range(MASS_PERIODS, 0, -1))
                with self._lock:
                    self.rows += written
        finally:
            with connection.cursor() as cursor:
                cursor.execute(f"DROP TABLE IF EXISTS {CHARGES_TABLE}")

    def _period(self, low: int, high: int, offset: int) -> int:
        period = self.latest.shift(-offset)
        start, end = period.start.isoformat(), period.end.isoformat()
        before, label = period.previous().start.isoformat(), str(period)
        with connection.cursor() as cursor:
            cursor.execute(_charges_sql(), [start, before, low, high, low, high])
            cursor.execute(_ledger_charges_sql(), [start, end, self.now, label])
            written = cursor.rowcount
            paid_on = period.next().day(12).isoformat()
            cursor.execute(
                _payments_sql(), [period.next().start.isoformat(), paid_on, self.now, label, self.seed]
            )
            written += cursor.rowcount
            cursor.execute(f"DELETE FROM {CHARGES_TABLE}")  # noqa: S608 - our own scratch table
        return written


def mass_history(*, latest: BillingPeriod, seed: int) -> int:
    """Write the population's charges and payments of the two periods before the latest; return the rows."""
    return MassHistory(latest=latest, seed=seed).generate()

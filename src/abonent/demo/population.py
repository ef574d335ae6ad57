"""Stream a realistic population of customers, premises, accounts, services and meters in bulk.

Rows are built as plain tuples with caller-assigned ids and written with `abonent.core.bulk`,
so that a million accounts load in minutes on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import multiprocessing
import random
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from multiprocessing.pool import AsyncResult, Pool
from typing import TypeVar

import django
from django.db import connection, connections, transaction
from django.utils import timezone

from abonent.core.bulk import insert_rows, next_id, reset_sequences, table_spec
from abonent.core.models import Branch
from abonent.core.validators import inn_check_digits, ogrn_check_digit
from abonent.customers.dedup import match_keys
from abonent.customers.models import (
    Account,
    AccountService,
    Building,
    Contact,
    Customer,
    District,
    Premises,
    Service,
)
from abonent.demo import names
from abonent.metering.models import Meter

CHUNK_ACCOUNTS = 20_000
T = TypeVar("T")
POPULATION_MODELS = (Customer, Contact, Building, Premises, Account, AccountService, Meter)

CUSTOMER_SPEC = table_spec(
    Customer,
    [
        "id",
        "kind",
        "last_name",
        "first_name",
        "middle_name",
        "birth_date",
        "company_name",
        "inn",
        "ogrn",
        "kpp",
        "match_name",
        "match_block",
        "paper_bill",
        "created_at",
        "updated_at",
    ],
)
CONTACT_SPEC = table_spec(
    Contact, ["id", "customer_id", "kind", "value", "is_primary", "verified_at", "note"]
)
BUILDING_SPEC = table_spec(
    Building, ["id", "district_id", "kind", "postal_code", "street", "house", "fias_id"]
)
PREMISES_SPEC = table_spec(Premises, ["id", "building_id", "kind", "number", "area_m2", "residents"])
ACCOUNT_SPEC = table_spec(
    Account,
    [
        "id",
        "number",
        "branch_id",
        "customer_id",
        "premises_id",
        "status",
        "opened_on",
        "closed_on",
        "created_at",
        "updated_at",
    ],
)
ACCOUNT_SERVICE_SPEC = table_spec(
    AccountService, ["id", "account_id", "service_id", "started_on", "ended_on"]
)
METER_SPEC = table_spec(
    Meter,
    [
        "id",
        "account_id",
        "resource",
        "serial_number",
        "model_name",
        "zones",
        "digits",
        "installed_on",
        "next_verification_on",
        "status",
        "location",
    ],
)

# Which services and meters each kind of premises gets: (service code, meter resource or None, share)
FLAT_SERVICES = [
    ("electricity", "electricity", 1.0),
    ("heating", None, 1.0),
    ("hot-water", "hot_water", 0.92),
    ("cold-water", "cold_water", 0.97),
    ("sewage", None, 1.0),
    ("waste", None, 1.0),
]
HOUSE_SERVICES = [
    ("electricity", "electricity", 1.0),
    ("cold-water", "cold_water", 0.7),
    ("gas", "gas", 0.8),
    ("waste", None, 1.0),
]
BUSINESS_SERVICES = [
    ("electricity", "electricity", 1.0),
    ("heating", None, 0.6),
    ("cold-water", "cold_water", 0.8),
    ("sewage", None, 0.8),
    ("waste", None, 0.9),
]

VERIFICATION_YEARS = {"electricity": 16, "cold_water": 6, "hot_water": 4, "gas": 10, "heat": 4}


# Ids a chunk may use per account: one customer, premises and account each, and at most two contacts,
# one building, six services and three meters. Chunks are generated independently (in worker processes
# at scale), so each owns id ranges of that size; ids it does not use are gaps, as deleted rows leave.
ID_ROOM = {
    "customer": 1,
    "contact": 2,
    "building": 1,
    "premises": 1,
    "account": 1,
    "account_service": 6,
    "meter": 3,
}
ID_MODELS = {
    "customer": Customer,
    "contact": Contact,
    "building": Building,
    "premises": Premises,
    "account": Account,
    "account_service": AccountService,
    "meter": Meter,
}

# Weighted draws as pools: pool[int(random() * len(pool))] is several times faster than choices().
ZONES_POOL = (1,) * 55 + (2,) * 38 + (3,) * 7
RESIDENTS_POOL = (0,) * 5 + (1,) * 30 + (2,) * 30 + (3,) * 20 + (4,) * 10 + (5,) * 5
FLATS_PER_BUILDING = (18, 36, 60, 72, 80, 108, 144, 180)
HOUSE_SUFFIXES = ("а", "б", " корп. 2", " стр. 1")

ACTIVE, SUSPENDED = str(Account.Status.ACTIVE.value), str(Account.Status.SUSPENDED.value)
METER_ACTIVE, METER_EXPIRED = str(Meter.Status.ACTIVE.value), str(Meter.Status.VERIFICATION_EXPIRED.value)
APARTMENT, HOUSE, COMMERCIAL = (
    str(Building.Kind.APARTMENT.value),
    str(Building.Kind.HOUSE.value),
    str(Building.Kind.COMMERCIAL.value),
)
FLAT, PRIVATE_HOUSE, NON_RESIDENTIAL = (
    str(Premises.Kind.FLAT.value),
    str(Premises.Kind.HOUSE.value),
    str(Premises.Kind.NON_RESIDENTIAL.value),
)


@dataclass
class Rows:
    customers: list[tuple] = field(default_factory=list)
    contacts: list[tuple] = field(default_factory=list)
    buildings: list[tuple] = field(default_factory=list)
    premises: list[tuple] = field(default_factory=list)
    accounts: list[tuple] = field(default_factory=list)
    account_services: list[tuple] = field(default_factory=list)
    meters: list[tuple] = field(default_factory=list)

    def write(self) -> None:
        for spec, rows in (
            (CUSTOMER_SPEC, self.customers),
            (CONTACT_SPEC, self.contacts),
            (BUILDING_SPEC, self.buildings),
            (PREMISES_SPEC, self.premises),
            (ACCOUNT_SPEC, self.accounts),
            (ACCOUNT_SERVICE_SPEC, self.account_services),
            (METER_SPEC, self.meters),
        ):
            if rows:
                insert_rows(spec, rows)


@dataclass(frozen=True)
class ChunkPlan:
    """Everything one chunk of accounts is generated from: no database access needed."""

    seed: str
    count: int
    branch_id: int
    region_code: str
    districts: tuple[int, ...]
    postal_prefix: str
    first_number: int  # the account number sequence of the chunk's first account
    first_ids: dict[str, int]
    today: int  # date ordinal
    now: str
    service_ids: dict[str, int]


@dataclass
class OpenBuilding:
    """An apartment building being filled with flats."""

    id: int
    flats_left: int
    next_flat: int = 1


def generate_chunk(plan: ChunkPlan) -> Rows:
    """Return the rows of one chunk (a module-level function, so worker processes can run it)."""
    return ChunkGenerator(plan).run()


class ChunkGenerator:
    """Generate one chunk's accounts with their customers, premises, services and meters."""

    def __init__(self, plan: ChunkPlan) -> None:
        self.plan = plan
        self.rows = Rows()
        self.random = random.Random(plan.seed).random
        self.next = dict(plan.first_ids)
        self.open_buildings: dict[int, OpenBuilding] = {}
        self.days: dict[int, str] = {}
        self.emails: dict[tuple[str, str], str] = {}

    def run(self) -> Rows:
        plan = self.plan
        for offset in range(plan.count):
            self._account(plan.first_number + offset, self._pick(plan.districts))
        return self.rows

    # --- draws -----------------------------------------------------------------------------------------
    def _pick(self, seq: Sequence[T]) -> T:
        return seq[int(self.random() * len(seq))]

    def _between(self, low: int, high: int) -> int:
        return low + int(self.random() * (high - low + 1))

    def _digits(self, n: int) -> str:
        return f"{int(self.random() * 10**n):0{n}d}"

    def _day(self, ordinal: int) -> str:
        text = self.days.get(ordinal)
        if text is None:
            text = self.days[ordinal] = date.fromordinal(ordinal).isoformat()
        return text

    def _take(self, table: str) -> int:
        taken = self.next[table]
        self.next[table] = taken + 1
        return taken

    # --- one account -------------------------------------------------------------------------------------
    def _account(self, number: int, district_id: int) -> None:
        plan, roll = self.plan, self.random()
        if roll < 0.88:
            premises_id = self._flat(district_id)
            customer_id, services = self._person(), FLAT_SERVICES
        elif roll < 0.94:
            premises_id = self._standalone(district_id, HOUSE, PRIVATE_HOUSE)
            customer_id, services = self._person(), HOUSE_SERVICES
        else:
            premises_id = self._standalone(district_id, COMMERCIAL, NON_RESIDENTIAL)
            customer_id = self._person(sole=True) if roll < 0.97 else self._company()
            services = BUSINESS_SERVICES
        account_id = self._take("account")
        opened_on = plan.today - self._between(400, 20 * 365)
        self.rows.accounts.append(
            (
                account_id,
                f"{plan.region_code}{number:010d}",
                plan.branch_id,
                customer_id,
                premises_id,
                ACTIVE if self.random() < 0.985 else SUSPENDED,
                self._day(opened_on),
                None,
                plan.now,
                plan.now,
            )
        )
        self._services_and_meters(account_id, opened_on, services)

    def _services_and_meters(self, account_id: int, opened_on: int, services: list) -> None:
        random_, service_ids, opened = self.random, self.plan.service_ids, self._day(opened_on)
        append = self.rows.account_services.append
        for code, meter_resource, share in services:
            if random_() >= share:
                continue
            append((self._take("account_service"), account_id, service_ids[code], opened, None))
            if meter_resource and random_() < 0.96:
                self._meter(account_id, meter_resource, opened_on)

    def _meter(self, account_id: int, resource: str, opened_on: int) -> None:
        random_, today = self.random, self.plan.today
        meter_id = self._take("meter")
        installed_on = max(opened_on, today - self._between(30, 12 * 365))
        interval = VERIFICATION_YEARS[resource] * 365
        # Re-verified meters restart their interval; about 3 % are overdue and some expire soon.
        next_verification = installed_on + interval
        while next_verification < today and random_() < 0.9:
            next_verification += interval
        self.rows.meters.append(
            (
                meter_id,
                account_id,
                resource,
                f"{resource[:2].upper()}{meter_id:09d}",
                self._pick(names.METER_MODELS[resource]),
                self._pick(ZONES_POOL) if resource == "electricity" else 1,
                6 if resource == "electricity" else 5,
                self._day(installed_on),
                self._day(next_verification),
                METER_ACTIVE if next_verification >= today else METER_EXPIRED,
                "",
            )
        )

    # --- premises ----------------------------------------------------------------------------------------
    def _flat(self, district_id: int) -> int:
        building = self.open_buildings.get(district_id)
        if building is None or building.flats_left == 0:
            building = OpenBuilding(id=self._building(district_id, APARTMENT), flats_left=0)
            building.flats_left = self._pick(FLATS_PER_BUILDING)
            self.open_buildings[district_id] = building
        premises_id = self._take("premises")
        area = 18 + 92 * self.random()
        self.rows.premises.append(
            (
                premises_id,
                building.id,
                FLAT,
                str(building.next_flat),
                f"{area:.1f}0",
                self._pick(RESIDENTS_POOL),
            )
        )
        building.next_flat += 1
        building.flats_left -= 1
        return premises_id

    def _standalone(self, district_id: int, building_kind: str, kind: str) -> int:
        building_id = self._building(district_id, building_kind)
        premises_id = self._take("premises")
        area = 40 + 560 * self.random()
        residents = self._between(1, 6) if kind == PRIVATE_HOUSE else 0
        self.rows.premises.append((premises_id, building_id, kind, "", f"{area:.1f}0", residents))
        return premises_id

    def _building(self, district_id: int, kind: str) -> int:
        building_id = self._take("building")
        house = str(self._between(1, 180))
        if self.random() < 0.15:
            house += self._pick(HOUSE_SUFFIXES)
        postal_code = f"{self.plan.postal_prefix}{self._between(0, 150):03d}"
        self.rows.buildings.append(
            (building_id, district_id, kind, postal_code, self._pick(names.STREETS), house, None)
        )
        return building_id

    # --- customers ---------------------------------------------------------------------------------------
    def _person(self, *, sole: bool = False) -> int:
        plan, random_ = self.plan, self.random
        female = 1 if random_() < 0.56 else 0
        last = self._pick(names.SURNAMES)[female]
        first = self._pick(names.FEMALE_FIRST_NAMES if female else names.MALE_FIRST_NAMES)
        middle = self._pick(names.PATRONYMICS)[female]
        birth = plan.today - self._between(18 * 365, 92 * 365)
        inn = self._inn(8) if sole or random_() < 0.3 else ""
        ogrn = self._ogrn("3", 14) if sole else ""
        kind = "sole_proprietor" if sole else "individual"
        customer_id = self._customer(kind, last, first, middle, self._day(birth), "", inn, ogrn, "")
        year = date.fromordinal(birth).year
        self._contacts(customer_id, self._email_name(first, last), year, email_share=0.45)
        return customer_id

    def _company(self) -> int:
        name = f"{self._pick(names.COMPANY_FORMS)} «{self._pick(names.COMPANY_WORDS)}»"
        inn = self._inn(7)
        ogrn = self._ogrn("1", 12)
        customer_id = self._customer("legal_entity", "", "", "", None, name, inn, ogrn, f"{inn[:4]}01001")
        self._contacts(customer_id, f"b.org{customer_id}", 2000, email_share=0.95)
        return customer_id

    def _customer(
        self,
        kind: str,
        last: str,
        first: str,
        middle: str,
        birth: str | None,
        company: str,
        *numbers: str,
    ) -> int:
        customer_id = self._take("customer")
        now = self.plan.now
        paper_bill = self.random() < 0.7
        # The duplicate search (console, integration imports) finds customers by these blocking keys.
        keys = match_keys(
            kind=kind,
            last_name=last,
            first_name=first,
            middle_name=middle,
            birth_date=birth,
            company_name=company,
        )
        self.rows.customers.append(
            (customer_id, kind, last, first, middle, birth, company, *numbers, *keys, paper_bill, now, now)
        )
        return customer_id

    def _email_name(self, first: str, last: str) -> str:
        local = self.emails.get((first, last))
        if local is None:
            initials = f"{first[:1]}.{last}".lower()
            local = "".join(names.LATIN_TRANSLIT.get(ch, ch) for ch in initials)
            self.emails[(first, last)] = local
        return local

    def _contacts(self, customer_id: int, local: str, year: int, *, email_share: float) -> None:
        random_, append, now = self.random, self.rows.contacts.append, self.plan.now
        if random_() < 0.88:
            phone = f"+79{self._digits(9)}"
            append(
                (
                    self._take("contact"),
                    customer_id,
                    "phone",
                    phone,
                    True,
                    now if random_() < 0.5 else None,
                    "",
                )
            )
        if random_() < email_share:
            email = f"{local}{year % 100:02d}{customer_id % 997}@{self._pick(names.EMAIL_DOMAINS)}"
            append((self._take("contact"), customer_id, "email", email, False, None, ""))

    def _inn(self, body_extra: int) -> str:
        body = self.plan.region_code + self._digits(body_extra)
        return body + inn_check_digits(body)

    def _ogrn(self, sign: str, body_length: int) -> str:
        body = sign + f"{self._between(2, 24):02d}" + self.plan.region_code + self._digits(body_length - 5)
        return body + ogrn_check_digit(body)


# --- planning and writing -------------------------------------------------------------------------------


@dataclass(frozen=True)
class BranchShare:
    branch: Branch
    count: int
    postal_prefix: str


class PopulationGenerator:
    """Plan the population in chunks, generate them (in worker processes at scale) and write them."""

    def __init__(self, *, seed: int, services: dict[str, Service], today: date | None = None) -> None:
        self.seed = seed
        self.service_ids = {code: service.pk for code, service in services.items()}
        self.today = today or timezone.localdate()
        self.now = timezone.now().isoformat()

    def plans(self, shares: Sequence[BranchShare]) -> list[ChunkPlan]:
        """Return the chunks of the branches' accounts, each with its own seed and id ranges."""
        first_ids = {table: next_id(model) for table, model in ID_MODELS.items()}
        number = Account.objects.count() + 1
        plans: list[ChunkPlan] = []
        for share in shares:
            districts = tuple(District.objects.filter(branch=share.branch).values_list("id", flat=True))
            for done in range(0, share.count, CHUNK_ACCOUNTS):
                count = min(CHUNK_ACCOUNTS, share.count - done)
                plans.append(
                    ChunkPlan(
                        seed=f"{self.seed}:{len(plans)}",
                        count=count,
                        branch_id=share.branch.pk,
                        region_code=share.branch.region_code,
                        districts=districts,
                        postal_prefix=share.postal_prefix,
                        first_number=number,
                        first_ids=dict(first_ids),
                        today=self.today.toordinal(),
                        now=self.now,
                        service_ids=self.service_ids,
                    )
                )
                number += count
                for table, room in ID_ROOM.items():
                    first_ids[table] += room * count
        return plans


def write_chunks(chunks: Iterable[Rows], progress: Callable[[int], None] | None = None) -> None:
    """Write each chunk's rows in its own transaction, then move the id sequences past them."""
    for rows in chunks:
        with transaction.atomic():
            rows.write()
        if progress:
            progress(len(rows.accounts))
    reset_sequences(*POPULATION_MODELS)


@contextmanager
def generated_chunks(plans: list[ChunkPlan], *, processes: int) -> Iterator[Iterator[Rows]]:
    """Yield an iterator over the chunks' rows, generated in order by `processes` worker processes.

    With fewer than two processes (or one chunk) everything runs in this process. Workers start
    from a fork server before the caller opens its bulk-load session; the caller's database
    connections are closed first all the same. At most `processes + 1` chunks wait in memory at once.
    """
    if processes < 2 or len(plans) < 2:
        yield (generate_chunk(plan) for plan in plans)
        return
    if not connection.in_atomic_block:  # a test's open transaction lives on its connection: keep it
        connections.close_all()
    # Not forked from this process: a fork copies locks other threads hold at that instant (a live
    # server's, a logging handler's) and the child can wait on them forever — seen in the test suite.
    # The fork server starts workers from a clean single-threaded process; each sets Django up once.
    with multiprocessing.get_context("forkserver").Pool(processes, initializer=django.setup) as pool:
        yield _in_order(pool, plans, window=processes + 1)


def _in_order(pool: Pool, plans: list[ChunkPlan], *, window: int) -> Iterator[Rows]:
    pending: deque[AsyncResult[Rows]] = deque()
    for plan in plans:
        pending.append(pool.apply_async(generate_chunk, (plan,)))
        if len(pending) >= window:
            yield pending.popleft().get()
    while pending:
        yield pending.popleft().get()

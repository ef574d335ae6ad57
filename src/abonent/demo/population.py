"""Stream a realistic population of customers, premises, accounts, services and meters in bulk.

Rows are built as plain tuples with caller-assigned ids and written with `abonent.core.bulk`,
so that a million accounts load in minutes on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone

from abonent.core.bulk import insert_rows, next_id, reset_sequences, table_spec
from abonent.core.models import Branch
from abonent.core.validators import inn_check_digits, ogrn_check_digit
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


@dataclass
class Ids:
    """The next free id of each table, advanced as rows are generated."""

    customer: int
    contact: int
    building: int
    premises: int
    account: int
    account_service: int
    meter: int

    @classmethod
    def from_database(cls) -> Ids:
        return cls(
            next_id(Customer),
            next_id(Contact),
            next_id(Building),
            next_id(Premises),
            next_id(Account),
            next_id(AccountService),
            next_id(Meter),
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


@dataclass
class OpenBuilding:
    """An apartment building being filled with flats."""

    id: int
    flats_left: int
    next_flat: int = 1


class PopulationGenerator:
    """Generate accounts for one branch's districts, deterministic for a given seed."""

    def __init__(self, *, seed: int, services: dict[str, Service], today: date | None = None) -> None:
        self.rng = random.Random(seed)
        self.service_ids = {code: service.pk for code, service in services.items()}
        self.today = today or timezone.localdate()
        self.now = timezone.now().isoformat()
        self.ids = Ids.from_database()
        self.account_seq = Account.objects.count() + 1
        self.open_buildings: dict[int, OpenBuilding] = {}

    def generate(
        self, *, branch: Branch, count: int, postal_prefix: str, progress: Callable[[int], None] | None = None
    ) -> None:
        """Generate and write `count` accounts in the branch, in chunked transactions."""
        districts = list(District.objects.filter(branch=branch).values_list("id", flat=True))
        done = 0
        while done < count:
            size = min(CHUNK_ACCOUNTS, count - done)
            rows = Rows()
            for _ in range(size):
                self._account(rows, branch, self.rng.choice(districts), postal_prefix)
            with transaction.atomic():
                rows.write()
            done += size
            if progress:
                progress(size)
        reset_sequences(*POPULATION_MODELS)

    # --- one account ---------------------------------------------------------------------------------
    def _account(self, rows: Rows, branch: Branch, district_id: int, postal_prefix: str) -> None:
        roll = self.rng.random()
        if roll < 0.88:
            premises_id = self._flat(rows, district_id, postal_prefix)
            customer_id, services = self._person(rows, branch), FLAT_SERVICES
        elif roll < 0.94:
            premises_id = self._standalone(
                rows, district_id, postal_prefix, Building.Kind.HOUSE, Premises.Kind.HOUSE
            )
            customer_id, services = self._person(rows, branch), HOUSE_SERVICES
        else:
            premises_id = self._standalone(
                rows, district_id, postal_prefix, Building.Kind.COMMERCIAL, Premises.Kind.NON_RESIDENTIAL
            )
            customer_id, services = self._business(rows, branch, sole=roll < 0.97), BUSINESS_SERVICES
        account_id = self.ids.account
        self.ids.account += 1
        opened_on = self.today - timedelta(days=self.rng.randint(400, 20 * 365))
        status = Account.Status.ACTIVE if self.rng.random() < 0.985 else Account.Status.SUSPENDED
        rows.accounts.append(
            (
                account_id,
                f"{branch.region_code}{self.account_seq:010d}",
                branch.pk,
                customer_id,
                premises_id,
                status,
                opened_on.isoformat(),
                None,
                self.now,
                self.now,
            )
        )
        self.account_seq += 1
        self._services_and_meters(rows, account_id, opened_on, services)

    def _services_and_meters(self, rows: Rows, account_id: int, opened_on: date, services: list) -> None:
        for code, meter_resource, share in services:
            if self.rng.random() >= share:
                continue
            rows.account_services.append(
                (self.ids.account_service, account_id, self.service_ids[code], opened_on.isoformat(), None)
            )
            self.ids.account_service += 1
            if meter_resource and self.rng.random() < 0.96:
                self._meter(rows, account_id, meter_resource, opened_on)

    def _meter(self, rows: Rows, account_id: int, resource: str, opened_on: date) -> None:
        rng = self.rng
        meter_id = self.ids.meter
        self.ids.meter += 1
        installed_on = max(opened_on, self.today - timedelta(days=rng.randint(30, 12 * 365)))
        interval_days = VERIFICATION_YEARS[resource] * 365
        # Re-verified meters restart their interval; about 3 % are overdue and some expire soon.
        next_verification = installed_on + timedelta(days=interval_days)
        while next_verification < self.today and rng.random() < 0.9:
            next_verification += timedelta(days=interval_days)
        status = Meter.Status.ACTIVE if next_verification >= self.today else Meter.Status.VERIFICATION_EXPIRED
        zones = 1
        if resource == "electricity":
            zones = rng.choices((1, 2, 3), weights=(55, 38, 7))[0]
        rows.meters.append(
            (
                meter_id,
                account_id,
                resource,
                f"{resource[:2].upper()}{meter_id:09d}",
                rng.choice(names.METER_MODELS[resource]),
                zones,
                6 if resource == "electricity" else 5,
                installed_on.isoformat(),
                next_verification.isoformat(),
                status,
                "",
            )
        )

    # --- premises ------------------------------------------------------------------------------------
    def _flat(self, rows: Rows, district_id: int, postal_prefix: str) -> int:
        building = self.open_buildings.get(district_id)
        if building is None or building.flats_left == 0:
            building_id = self._building(rows, district_id, postal_prefix, Building.Kind.APARTMENT)
            building = OpenBuilding(
                id=building_id, flats_left=self.rng.choice((18, 36, 60, 72, 80, 108, 144, 180))
            )
            self.open_buildings[district_id] = building
        premises_id = self.ids.premises
        self.ids.premises += 1
        area = round(self.rng.uniform(18, 110), 1)
        rows.premises.append(
            (
                premises_id,
                building.id,
                Premises.Kind.FLAT,
                str(building.next_flat),
                f"{area:.2f}",
                self.rng.choices((0, 1, 2, 3, 4, 5), weights=(5, 30, 30, 20, 10, 5))[0],
            )
        )
        building.next_flat += 1
        building.flats_left -= 1
        return premises_id

    def _standalone(
        self, rows: Rows, district_id: int, postal_prefix: str, building_kind: str, kind: str
    ) -> int:
        building_id = self._building(rows, district_id, postal_prefix, building_kind)
        premises_id = self.ids.premises
        self.ids.premises += 1
        area = round(self.rng.uniform(40, 600), 1)
        residents = self.rng.randint(1, 6) if kind == Premises.Kind.HOUSE else 0
        rows.premises.append((premises_id, building_id, kind, "", f"{area:.2f}", residents))
        return premises_id

    def _building(self, rows: Rows, district_id: int, postal_prefix: str, kind: str) -> int:
        building_id = self.ids.building
        self.ids.building += 1
        house = str(self.rng.randint(1, 180))
        if self.rng.random() < 0.15:
            house += self.rng.choice(("а", "б", " корп. 2", " стр. 1"))
        rows.buildings.append(
            (
                building_id,
                district_id,
                kind,
                f"{postal_prefix}{self.rng.randint(0, 150):03d}",
                self.rng.choice(names.STREETS),
                house,
                None,
            )
        )
        return building_id

    # --- customers -----------------------------------------------------------------------------------
    def _person(self, rows: Rows, branch: Branch, *, sole: bool = False) -> int:
        rng = self.rng
        female = rng.random() < 0.56
        last = rng.choice(names.SURNAMES)[female]
        first = rng.choice(names.FEMALE_FIRST_NAMES if female else names.MALE_FIRST_NAMES)
        middle = rng.choice(names.PATRONYMICS)[female]
        birth = self.today - timedelta(days=rng.randint(18 * 365, 92 * 365))
        inn = self._inn(branch.region_code, 8) if sole or rng.random() < 0.3 else ""
        ogrn = self._ogrn("3", branch.region_code, 14) if sole else ""
        customer_id = self._customer(
            rows,
            "sole_proprietor" if sole else "individual",
            last,
            first,
            middle,
            birth.isoformat(),
            "",
            inn,
            ogrn,
            "",
        )
        self._contacts(rows, customer_id, first, last, birth.year)
        return customer_id

    def _business(self, rows: Rows, branch: Branch, *, sole: bool) -> int:
        if sole:
            return self._person(rows, branch, sole=True)
        name = f"{self.rng.choice(names.COMPANY_FORMS)} «{self.rng.choice(names.COMPANY_WORDS)}»"
        inn = self._inn(branch.region_code, 7)
        customer_id = self._customer(
            rows,
            "legal_entity",
            "",
            "",
            "",
            None,
            name,
            inn,
            self._ogrn("1", branch.region_code, 12),
            f"{inn[:4]}01001",
        )
        self._contacts(rows, customer_id, "buh", f"org{customer_id}", 2000, email_share=0.95)
        return customer_id

    def _customer(
        self,
        rows: Rows,
        kind: str,
        last: str,
        first: str,
        middle: str,
        birth: str | None,
        company: str,
        inn: str,
        ogrn: str,
        kpp: str,
    ) -> int:
        customer_id = self.ids.customer
        self.ids.customer += 1
        paper_bill = self.rng.random() < 0.7
        rows.customers.append(
            (
                customer_id,
                kind,
                last,
                first,
                middle,
                birth,
                company,
                inn,
                ogrn,
                kpp,
                paper_bill,
                self.now,
                self.now,
            )
        )
        return customer_id

    def _contacts(
        self, rows: Rows, customer_id: int, first: str, last: str, year: int, email_share: float = 0.45
    ) -> None:
        rng = self.rng
        if rng.random() < 0.88:
            phone = f"+79{rng.randint(0, 999_999_999):09d}"
            verified = self.now if rng.random() < 0.5 else None
            rows.contacts.append((self.ids.contact, customer_id, "phone", phone, True, verified, ""))
            self.ids.contact += 1
        if rng.random() < email_share:
            local = "".join(names.LATIN_TRANSLIT.get(ch, ch) for ch in f"{first[:1]}.{last}".lower())
            email = f"{local}{year % 100:02d}{customer_id % 997}@{rng.choice(names.EMAIL_DOMAINS)}"
            rows.contacts.append((self.ids.contact, customer_id, "email", email, False, None, ""))
            self.ids.contact += 1

    def _inn(self, region: str, body_extra: int) -> str:
        body = region + "".join(str(self.rng.randint(0, 9)) for _ in range(body_extra))
        return body + inn_check_digits(body)

    def _ogrn(self, sign: str, region: str, body_length: int) -> str:
        year = f"{self.rng.randint(2, 24):02d}"
        rest = "".join(str(self.rng.randint(0, 9)) for _ in range(body_length - 5))
        body = sign + year + region + rest
        return body + ogrn_check_digit(body)

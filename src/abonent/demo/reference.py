"""The demo utility's reference data: the organisation, branches, calendars and services."""

from __future__ import annotations

from dataclasses import dataclass

from abonent.core.models import Branch, BusinessCalendar, Organisation
from abonent.core.production_calendar import load_federal_calendar
from abonent.customers.models import RESOURCE_UNITS, Resource, Service


@dataclass(frozen=True)
class BranchPlan:
    code: str
    city_key: str
    name: str
    region_code: str
    time_zone: str
    address: str
    phone: str
    share: float  # of all accounts


BRANCH_PLANS = [
    BranchPlan(
        "EKB",
        "EKB",
        "Екатеринбургский филиал",
        "66",
        "Asia/Yekaterinburg",
        "620014, г. Екатеринбург, ул. Малышева, д. 36",
        "+7 (343) 300-00-00",
        0.5,
    ),
    BranchPlan(
        "CHEL",
        "CHEL",
        "Челябинский филиал",
        "74",
        "Asia/Yekaterinburg",
        "454091, г. Челябинск, ул. Кирова, д. 110",
        "+7 (351) 200-00-00",
        0.3,
    ),
    BranchPlan(
        "OMSK",
        "OMSK",
        "Омский филиал",
        "55",
        "Asia/Omsk",
        "644024, г. Омск, ул. Ленина, д. 22",
        "+7 (3812) 40-00-00",
        0.2,
    ),
]

# (code, name, resource, metered)
SERVICE_PLANS = [
    ("electricity", "Электроснабжение", Resource.ELECTRICITY, True),
    ("heating", "Отопление", Resource.HEAT, False),
    ("hot-water", "Горячее водоснабжение", Resource.HOT_WATER, True),
    ("cold-water", "Холодное водоснабжение", Resource.COLD_WATER, True),
    ("sewage", "Водоотведение", Resource.SEWAGE, False),
    ("gas", "Газоснабжение", Resource.GAS, True),
    ("waste", "Обращение с ТКО", Resource.WASTE, False),
]


def create_organisation() -> Organisation:
    return Organisation.objects.create(
        name="Акционерное общество «Уральский расчётный центр коммунальных услуг»",
        short_name="АО «УРЦ»",
        kind=Organisation.Kind.ENERGY_SALES,
        inn="6671000000",  # valid check digit
        kpp="667101001",
        ogrn="1026605000003",
        legal_address="620014, г. Екатеринбург, ул. Малышева, д. 36",
        phone="8 800 300-00-00",
        email="info@urc-demo.ru",
        website="https://urc-demo.ru",
        bank_name="ПАО СБЕРБАНК",
        bank_bic="046577674",
        bank_account="40702810716540000001",
        bank_corr_account="30101810500000000674",
    )


def create_branches(organisation: Organisation) -> dict[str, Branch]:
    federal = load_federal_calendar()
    branches = {}
    for plan in BRANCH_PLANS:
        calendar, _ = BusinessCalendar.objects.get_or_create(
            name=f"{plan.name}: рабочий календарь", defaults={"parent": federal}
        )
        branches[plan.code] = Branch.objects.create(
            organisation=organisation,
            code=plan.code,
            name=plan.name,
            region_code=plan.region_code,
            time_zone=plan.time_zone,
            calendar=calendar,
            address=plan.address,
            phone=plan.phone,
            office_hours="Пн–Чт 8:30–17:30, Пт 8:30–16:15",
        )
    return branches


def create_services() -> dict[str, Service]:
    services = {}
    for code, name, resource, metered in SERVICE_PLANS:
        services[code], _ = Service.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "resource": resource,
                "unit": RESOURCE_UNITS[resource],
                "metered": metered,
            },
        )
    return services

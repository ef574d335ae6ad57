"""The demo logins: a household owner, her tenant, a company accountant and each staff role."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.utils import timezone

from abonent.core.models import Branch
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
from abonent.identity.models import AccountAccess, StaffRole
from abonent.identity.services import create_customer_user, create_staff_user, grant_account_access
from abonent.metering.models import Meter

DEMO_PASSWORD = "demo-abonent-2026"  # noqa: S105 - the published demo password


@dataclass(frozen=True)
class DemoLogin:
    role: str
    login: str
    password: str
    description: str


# (username, e-mail, full name, role, works in the Yekaterinburg branch only)
STAFF_PERSONAS = [
    ("operator", "operator@urc-demo.ru", "Ольга Операторова", StaffRole.OPERATOR, True),
    ("specialist", "specialist@urc-demo.ru", "Игорь Специалистов", StaffRole.SPECIALIST, True),
    ("head", "head@urc-demo.ru", "Татьяна Начальникова", StaffRole.HEAD, True),
    ("manager", "manager@urc-demo.ru", "Павел Менеджеров", StaffRole.MANAGER, False),
    ("admin", "admin@urc-demo.ru", "Анна Администраторова", StaffRole.ADMINISTRATOR, False),
]


def demo_logins() -> list[DemoLogin]:
    """Return the demo logins with their passwords, as printed by `make run`."""
    return [
        DemoLogin("customer", "+7 912 000-00-01", DEMO_PASSWORD, "Иванова М. П.: квартира и дом, владелец"),
        DemoLogin("tenant", "+7 912 000-00-02", DEMO_PASSWORD, "Петров С. А.: арендатор квартиры Ивановой"),
        DemoLogin(
            "company", "buh@uraltehsnab.ru", DEMO_PASSWORD, "ООО «Уралтехснаб»: 12 объектов, представитель"
        ),
    ] + [
        DemoLogin(
            role.value, username, DEMO_PASSWORD, f"{full_name}{', филиал Екатеринбург' if ekb_only else ''}"
        )
        for username, _email, full_name, role, ekb_only in STAFF_PERSONAS
    ]


def create_personas(*, branches: dict[str, Branch], services: dict[str, Service]) -> list[DemoLogin]:
    """Create the demo logins with their own accounts and return them."""
    ekb = branches["EKB"]
    _household_personas(ekb, services)
    _company_persona(ekb, services)
    for username, email, full_name, role, ekb_only in STAFF_PERSONAS:
        create_staff_user(
            username=username,
            email=email,
            full_name=full_name,
            role=role,
            password=DEMO_PASSWORD,
            branch_id=ekb.pk if ekb_only else None,
        )
    return demo_logins()


def _household_personas(branch: Branch, services: dict[str, Service]) -> None:
    owner_customer = _person_customer(
        "Иванова",
        "Мария",
        "Петровна",
        date(1956, 3, 14),
        phone="+79120000001",
        email="maria.ivanova@example.ru",
    )
    district = District.objects.filter(branch=branch).order_by("id").first()
    flat = _account(
        branch,
        owner_customer,
        _premises(district, "ул. Малышева", "51", "12", Premises.Kind.FLAT),
        services,
        ["electricity", "heating", "hot-water", "cold-water", "sewage", "waste"],
        "669000000001",
    )
    house = _account(
        branch,
        owner_customer,
        _premises(district, "пер. Садовый", "7", "", Premises.Kind.HOUSE),
        services,
        ["electricity", "gas", "waste"],
        "669000000002",
    )
    owner = create_customer_user(
        phone="+79120000001",
        email="maria.ivanova@example.ru",
        first_name="Мария",
        last_name="Иванова",
        password=DEMO_PASSWORD,
    )
    tenant = create_customer_user(
        phone="+79120000002",
        email="sergey.petrov@example.ru",
        first_name="Сергей",
        last_name="Петров",
        password=DEMO_PASSWORD,
    )
    grant_account_access(account=flat, user=owner, role=AccountAccess.Role.OWNER)
    grant_account_access(account=house, user=owner, role=AccountAccess.Role.OWNER)
    grant_account_access(account=flat, user=tenant, role=AccountAccess.Role.TENANT, granted_by=owner)


def _company_persona(branch: Branch, services: dict[str, Service]) -> None:
    company = Customer.objects.create(
        kind=Customer.Kind.LEGAL_ENTITY,
        company_name="ООО «Уралтехснаб»",
        inn="6658000000",
        kpp="665801001",
        ogrn="1026602000006",
        paper_bill=False,
    )
    Contact.objects.create(
        customer=company, kind=Contact.Kind.EMAIL, value="buh@uraltehsnab.ru", is_primary=True
    )
    accountant = create_customer_user(
        email="buh@uraltehsnab.ru", first_name="Наталья", last_name="Бухгалтерова", password=DEMO_PASSWORD
    )
    districts = list(District.objects.filter(branch=branch).order_by("id"))
    for index in range(12):
        premises = _premises(
            districts[index % len(districts)],
            "ул. Заводская",
            str(10 + index),
            "",
            Premises.Kind.NON_RESIDENTIAL,
        )
        account = _account(
            branch,
            company,
            premises,
            services,
            ["electricity", "heating", "cold-water"],
            f"66900000{100 + index:04d}",
        )
        grant_account_access(account=account, user=accountant, role=AccountAccess.Role.REPRESENTATIVE)


def _person_customer(last: str, first: str, middle: str, birth: date, *, phone: str, email: str) -> Customer:
    customer = Customer.objects.create(
        kind=Customer.Kind.INDIVIDUAL,
        last_name=last,
        first_name=first,
        middle_name=middle,
        birth_date=birth,
        paper_bill=True,
    )
    Contact.objects.create(
        customer=customer, kind=Contact.Kind.PHONE, value=phone, is_primary=True, verified_at=timezone.now()
    )
    Contact.objects.create(customer=customer, kind=Contact.Kind.EMAIL, value=email)
    return customer


def _premises(district: District | None, street: str, house: str, number: str, kind: str) -> Premises:
    assert district is not None, "districts are created before personas"  # noqa: S101 - programming error guard
    building_kind = {
        Premises.Kind.FLAT: Building.Kind.APARTMENT,
        Premises.Kind.HOUSE: Building.Kind.HOUSE,
    }.get(kind, Building.Kind.COMMERCIAL)
    building, _ = Building.objects.get_or_create(
        district=district,
        street=street,
        house=house,
        defaults={"kind": building_kind, "postal_code": "620014"},
    )
    return Premises.objects.create(building=building, kind=kind, number=number, area_m2="54.30", residents=2)


def _account(
    branch: Branch,
    customer: Customer,
    premises: Premises,
    services: dict[str, Service],
    codes: list[str],
    number: str,
) -> Account:
    opened_on = timezone.localdate() - timedelta(days=9 * 365)
    account = Account.objects.create(
        number=number, branch=branch, customer=customer, premises=premises, opened_on=opened_on
    )
    for code in codes:
        service = services[code]
        AccountService.objects.create(account=account, service=service, started_on=opened_on)
        if service.metered:
            Meter.objects.create(
                account=account,
                resource=service.resource,
                serial_number=f"D{account.number[-6:]}{code[:3].upper()}",
                model_name="Меркурий 201.5" if service.resource == "electricity" else "Пульсар Ду15",
                zones=2 if service.resource == "electricity" else 1,
                digits=6 if service.resource == "electricity" else 5,
                installed_on=opened_on,
                next_verification_on=timezone.localdate()
                + timedelta(days=45 if code == "hot-water" else 700),
            )
    return account

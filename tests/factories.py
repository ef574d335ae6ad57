"""factory_boy factories for the shared kernel, customers, metering and identity."""

from __future__ import annotations

import datetime
from decimal import Decimal

import factory
from factory.django import DjangoModelFactory, Password
from factory.random import randgen

from abonent.core.models import Branch, BusinessCalendar, CalendarDay, Organisation
from abonent.core.production_calendar import load_federal_calendar
from abonent.core.validators import inn_check_digits, ogrn_check_digit
from abonent.customers.models import (
    Account,
    AccountService,
    Building,
    Contact,
    Customer,
    District,
    Premises,
    Resource,
    Service,
)
from abonent.identity.models import AccountAccess, StaffRole, User
from abonent.metering.models import Meter

PASSWORD = "correct-horse-battery"


def _digits(count: int) -> str:
    return "".join(randgen.choice("0123456789") for _ in range(count))


def make_inn(*, length: int = 12, region: str = "66") -> str:
    """Return a valid INN: 10 digits for a company, 12 for a person."""
    body = region + _digits(length - len(region) - (1 if length == 10 else 2))
    return body + inn_check_digits(body)


def make_ogrn(*, length: int = 13, region: str = "66") -> str:
    """Return a valid OGRN (13 digits, a company) or OGRNIP (15 digits, a sole proprietor)."""
    sign = "1" if length == 13 else "3"
    body = sign + "02" + region + _digits(length - 6)
    return body + ogrn_check_digit(body)


class OrganisationFactory(DjangoModelFactory):
    class Meta:
        model = Organisation

    name = "Акционерное общество «Уральская энергосбытовая компания»"
    short_name = factory.Sequence(lambda n: f"АО «ЭнергоСбыт-{n}»")
    kind = Organisation.Kind.ENERGY_SALES
    inn = factory.LazyFunction(lambda: make_inn(length=10))
    kpp = "667101001"
    ogrn = factory.LazyFunction(make_ogrn)
    legal_address = "620014, г. Екатеринбург, ул. Мира, д. 1"
    phone = "+73432000000"
    email = factory.Sequence(lambda n: f"info{n}@energosbyt.example")
    bank_name = "ПАО Сбербанк"
    bank_bic = "046577674"
    bank_account = "40702810016020100001"
    bank_corr_account = "30101810500000000674"


class BusinessCalendarFactory(DjangoModelFactory):
    class Meta:
        model = BusinessCalendar
        django_get_or_create = ["name"]

    name = "Производственный календарь РФ"


class CalendarDayFactory(DjangoModelFactory):
    class Meta:
        model = CalendarDay

    calendar = factory.SubFactory(BusinessCalendarFactory)
    # Far from the federal data (2024-2027), so a test day never collides with a loaded one.
    date = factory.Sequence(lambda n: datetime.date(2031, 1, 1) + datetime.timedelta(days=n))
    kind = CalendarDay.Kind.HOLIDAY


class BranchFactory(DjangoModelFactory):
    class Meta:
        model = Branch

    organisation = factory.SubFactory(OrganisationFactory)
    code = factory.Sequence(lambda n: f"BR{n:03d}")
    name = factory.Sequence(lambda n: f"Филиал №{n}")
    region_code = "66"
    time_zone = "Asia/Yekaterinburg"
    # Branches follow the real federal production calendar, so deadlines in tests meet real holidays.
    calendar = factory.LazyFunction(load_federal_calendar)
    address = "620014, г. Екатеринбург, ул. Мира, д. 1"
    phone = "+73432000001"


class DistrictFactory(DjangoModelFactory):
    class Meta:
        model = District

    branch = factory.SubFactory(BranchFactory)
    name = factory.Sequence(lambda n: f"Район {n}")
    settlement = "г. Екатеринбург"


class BuildingFactory(DjangoModelFactory):
    class Meta:
        model = Building

    district = factory.SubFactory(DistrictFactory)
    kind = Building.Kind.APARTMENT
    postal_code = "620014"
    street = factory.Faker("street_name", locale="ru_RU")
    house = factory.Sequence(lambda n: str(n + 1))


class PremisesFactory(DjangoModelFactory):
    class Meta:
        model = Premises

    building = factory.SubFactory(BuildingFactory)
    kind = Premises.Kind.FLAT
    number = factory.Sequence(lambda n: str(n + 1))
    area_m2 = Decimal("54.30")
    residents = 2


class CustomerFactory(DjangoModelFactory):
    """An individual by default; `CustomerFactory(legal=True)` or `(sole_proprietor=True)` for others."""

    class Meta:
        model = Customer

    class Params:
        legal = factory.Trait(
            kind=Customer.Kind.LEGAL_ENTITY,
            last_name="",
            first_name="",
            middle_name="",
            company_name=factory.Faker("company", locale="ru_RU"),
            inn=factory.LazyFunction(lambda: make_inn(length=10)),
            ogrn=factory.LazyFunction(lambda: make_ogrn(length=13)),
            kpp="667101001",
            paper_bill=False,
        )
        sole_proprietor = factory.Trait(
            kind=Customer.Kind.SOLE_PROPRIETOR,
            ogrn=factory.LazyFunction(lambda: make_ogrn(length=15)),
        )

    kind = Customer.Kind.INDIVIDUAL
    last_name = factory.Faker("last_name_male", locale="ru_RU")
    first_name = factory.Faker("first_name_male", locale="ru_RU")
    middle_name = factory.Faker("middle_name_male", locale="ru_RU")
    inn = factory.LazyFunction(make_inn)


class ContactFactory(DjangoModelFactory):
    class Meta:
        model = Contact

    customer = factory.SubFactory(CustomerFactory)
    kind = Contact.Kind.PHONE
    value = factory.Sequence(lambda n: f"+7922{n:07d}")
    is_primary = True


class ServiceFactory(DjangoModelFactory):
    class Meta:
        model = Service

    code = factory.Sequence(lambda n: f"electricity-{n}")
    name = "Электроснабжение"
    resource = Resource.ELECTRICITY
    unit = "kWh"


class AccountFactory(DjangoModelFactory):
    """An account whose premises lie in the account's own branch."""

    class Meta:
        model = Account

    number = factory.Sequence(lambda n: f"{6600000001 + n}")
    branch = factory.SubFactory(BranchFactory)
    customer = factory.SubFactory(CustomerFactory)
    # The district is three levels below the account: "...." climbs back up to the account.
    premises = factory.SubFactory(
        PremisesFactory, building__district__branch=factory.SelfAttribute("....branch")
    )
    opened_on = datetime.date(2020, 1, 1)


class AccountServiceFactory(DjangoModelFactory):
    class Meta:
        model = AccountService

    account = factory.SubFactory(AccountFactory)
    service = factory.SubFactory(ServiceFactory)
    started_on = factory.SelfAttribute("account.opened_on")


class MeterFactory(DjangoModelFactory):
    class Meta:
        model = Meter

    account = factory.SubFactory(AccountFactory)
    resource = Resource.ELECTRICITY
    serial_number = factory.Sequence(lambda n: f"{10000000 + n}")
    model_name = "Меркурий 201.8"
    installed_on = datetime.date(2020, 1, 1)
    next_verification_on = datetime.date(2036, 1, 1)


class UserFactory(DjangoModelFactory):
    """A household login with a phone, an e-mail and the known test password."""

    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.Sequence(lambda n: f"user{n}@example.com")
    phone = factory.Sequence(lambda n: f"+7912{n:07d}")
    first_name = factory.Faker("first_name_female", locale="ru_RU")
    last_name = factory.Faker("last_name_female", locale="ru_RU")
    password = Password(PASSWORD)


class StaffUserFactory(UserFactory):
    """A member of the utility's staff; pass `staff_role` and, for branch staff, `branch`."""

    username = factory.Sequence(lambda n: f"staff{n}")
    email = factory.Sequence(lambda n: f"staff{n}@energosbyt.example")
    phone = ""
    is_staff = True
    staff_role = StaffRole.OPERATOR


class AccountAccessFactory(DjangoModelFactory):
    class Meta:
        model = AccountAccess

    user = factory.SubFactory(UserFactory)
    account = factory.SubFactory(AccountFactory)
    role = AccountAccess.Role.OWNER
    valid_from = datetime.date(2020, 1, 1)

"""The demo generator: a consistent, plausible utility, and the demo logins work."""

from __future__ import annotations

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command

from abonent.core.validators import is_valid_inn, is_valid_ogrn
from abonent.customers.models import Account, Customer
from abonent.demo.personas import demo_logins
from abonent.identity.selectors import accounts_for_user
from abonent.integration.models import ImportRun
from abonent.metering.models import Meter

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo() -> None:
    call_command("demo", accounts=300, verbosity=0)


def test_generates_the_requested_accounts_plus_the_personas(demo) -> None:  # type: ignore[no-untyped-def]
    # 2 household persona accounts and 12 of the company; the demo billing source's first import brings
    # its own new clients (one account per applied row), as a first import from a billing system does.
    imported = ImportRun.objects.get().applied
    assert imported > 0
    assert Account.objects.count() == 300 + 14 + imported
    assert (
        Account.objects.filter(branch__code="EKB").count()
        > Account.objects.filter(branch__code="OMSK").count()
    )
    assert Meter.objects.count() > Account.objects.count()


def test_registration_numbers_have_valid_check_digits(demo) -> None:  # type: ignore[no-untyped-def]
    customers = Customer.objects.exclude(inn="")
    assert customers.exists()
    assert all(is_valid_inn(c.inn) for c in customers)
    assert all(is_valid_ogrn(c.ogrn) for c in Customer.objects.exclude(ogrn=""))


def test_every_demo_login_authenticates_and_sees_accounts(demo) -> None:  # type: ignore[no-untyped-def]
    for login in demo_logins():
        user = authenticate(username=login.login, password=login.password)
        assert user is not None, login.login
        assert accounts_for_user(user=user).exists(), login.login


def test_same_seed_gives_the_same_data() -> None:
    call_command("demo", accounts=100, seed=7, verbosity=0)
    first = list(Account.objects.order_by("number").values_list("number", "customer__last_name"))
    call_command("demo", accounts=100, seed=7, reset=True, verbosity=0)
    second = list(Account.objects.order_by("number").values_list("number", "customer__last_name"))
    assert first == second


def test_refuses_to_load_over_existing_data(demo) -> None:  # type: ignore[no-untyped-def]
    loaded = Account.objects.count()
    with pytest.raises(CommandError, match="--reset"):
        call_command("demo", accounts=100, verbosity=0)
    call_command("demo", accounts=100, if_empty=True, verbosity=0)  # a no-op, not an error
    assert Account.objects.count() == loaded

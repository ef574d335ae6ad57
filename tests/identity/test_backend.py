"""Sign-in with one field: a phone in any spelling, an e-mail in any case, or a staff username."""

from __future__ import annotations

import pytest
from django.contrib.auth import authenticate

from abonent.identity.models import User
from tests.factories import PASSWORD


@pytest.mark.parametrize(
    "login",
    [
        "+79123456789",
        "+7 912 345 67 89",
        "8 (912) 345-67-89",
        "89123456789",
        "9123456789",
        " +7(912)345-6789 ",
    ],
)
def test_sign_in_by_phone_in_any_spelling(customer: User, login: str) -> None:
    assert authenticate(None, username=login, password=PASSWORD) == customer


@pytest.mark.parametrize("login", ["customer@example.com", "Customer@Example.COM", "  CUSTOMER@EXAMPLE.COM "])
def test_sign_in_by_email_in_any_case(customer: User, login: str) -> None:
    assert authenticate(None, username=login, password=PASSWORD) == customer


@pytest.mark.parametrize("login", ["operator", "OPERATOR"])
def test_sign_in_by_username(operator: User, login: str) -> None:
    assert authenticate(None, username=login, password=PASSWORD) == operator


@pytest.mark.parametrize("login", ["8 (912) 345-67-89", "customer@example.com", "customer"])
def test_a_wrong_password_fails(customer: User, login: str) -> None:
    assert authenticate(None, username=login, password="wrong-horse-battery") is None


def test_an_unknown_login_fails(customer: User) -> None:
    assert authenticate(None, username="8 (999) 000-00-00", password=PASSWORD) is None
    assert authenticate(None, username="nobody@example.com", password=PASSWORD) is None


def test_an_empty_password_fails(customer: User) -> None:
    assert authenticate(None, username="customer", password="") is None


def test_an_inactive_user_cannot_sign_in(customer: User) -> None:
    customer.is_active = False
    customer.save(update_fields=["is_active"])
    assert authenticate(None, username="+79123456789", password=PASSWORD) is None

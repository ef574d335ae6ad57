"""The cabinet's first screen shows the login's own accounts and nobody else's."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_anonymous_visitor_is_sent_to_sign_in() -> None:
    response = Client().get("/cabinet/")
    assert response.status_code == 302
    assert response.url.startswith("/login/")


def test_owner_and_tenant_see_the_account(client_for, customer, tenant, account) -> None:  # type: ignore[no-untyped-def]
    for user in (customer, tenant):
        body = client_for(user).get("/cabinet/").content.decode()
        assert account.number in body


def test_stranger_does_not_see_the_account(client_for, stranger, account) -> None:  # type: ignore[no-untyped-def]
    body = client_for(stranger).get("/cabinet/").content.decode()
    assert account.number not in body


def test_home_sends_signed_in_users_to_their_side(client_for, customer, operator) -> None:  # type: ignore[no-untyped-def]
    assert client_for(customer).get("/").url == "/cabinet/"
    assert client_for(operator).get("/").url == "/console/"

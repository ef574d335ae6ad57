"""The API root, authentication and account scoping."""

from __future__ import annotations

import pytest
from django.test import Client

from abonent.identity.services import issue_api_token

pytestmark = pytest.mark.django_db


def test_anonymous_call_is_refused() -> None:
    response = Client().get("/api/v1/")
    assert response.status_code == 401


def test_root_answers_a_signed_in_customer(client_for, customer) -> None:  # type: ignore[no-untyped-def]
    response = client_for(customer).get("/api/v1/")
    assert response.status_code == 200
    assert response.json()["user"] == customer.get_username()
    assert response.json()["accounts"] == "/api/v1/accounts"


def test_customer_lists_only_own_accounts(client_for, customer, account, other_account) -> None:  # type: ignore[no-untyped-def]
    response = client_for(customer).get("/api/v1/accounts")
    numbers = [item["number"] for item in response.json()["items"]]
    assert numbers == [account.number]


def test_stranger_gets_not_found_for_a_foreign_account(client_for, stranger, account) -> None:  # type: ignore[no-untyped-def]
    response = client_for(stranger).get(f"/api/v1/accounts/{account.pk}")
    assert response.status_code == 404
    assert response.json()["code"] == "account_not_found"


def test_bearer_token_authenticates_an_integration(operator, account, other_account) -> None:  # type: ignore[no-untyped-def]
    _, raw = issue_api_token(user=operator, name="billing sync", scopes=["accounts:read"])
    response = Client().get("/api/v1/accounts", headers={"Authorization": f"Bearer {raw}"})
    assert response.status_code == 200
    numbers = {item["number"] for item in response.json()["items"]}
    assert account.number in numbers
    assert other_account.number not in numbers  # the operator works in the account's branch only


def test_revoked_or_unknown_token_is_refused(operator) -> None:  # type: ignore[no-untyped-def]
    token, raw = issue_api_token(user=operator, name="old", scopes=[])
    token.revoked_at = token.created_at
    token.save(update_fields=["revoked_at"])
    assert Client().get("/api/v1/", headers={"Authorization": f"Bearer {raw}"}).status_code == 401
    assert Client().get("/api/v1/", headers={"Authorization": "Bearer abn_nonsense"}).status_code == 401


def test_openapi_schema_and_docs_are_served() -> None:
    schema = Client().get("/api/openapi.json")
    assert schema.status_code == 200
    assert "/api/v1/accounts" in schema.json()["paths"]
    assert Client().get("/api/docs").status_code == 200

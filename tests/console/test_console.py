"""The staff console: search scoped to the branch, and every account card view audited."""

from __future__ import annotations

import pytest

from abonent.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_operator_finds_an_account_of_the_branch(client_for, operator, account) -> None:  # type: ignore[no-untyped-def]
    response = client_for(operator).get("/console/", {"q": account.number})
    assert response.status_code == 200
    assert account.number in response.content.decode()


def test_operator_does_not_find_another_branchs_account(client_for, operator, other_account) -> None:  # type: ignore[no-untyped-def]
    response = client_for(operator).get("/console/", {"q": other_account.number})
    assert list(response.context["results"]) == []


def test_htmx_search_returns_only_the_results_fragment(client_for, operator, account) -> None:  # type: ignore[no-untyped-def]
    response = client_for(operator).get("/console/", {"q": account.number}, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert account.number in body
    assert "<html" not in body


def test_opening_an_account_card_is_audited(client_for, operator, account) -> None:  # type: ignore[no-untyped-def]
    response = client_for(operator).get(f"/console/accounts/{account.pk}/")
    assert response.status_code == 200
    event = AuditEvent.objects.get(object_type="customers.Account", object_id=str(account.pk))
    assert event.actor == operator
    assert event.action == AuditEvent.Action.VIEW
    assert event.personal_data is True


def test_another_branchs_account_card_is_not_found(client_for, operator, other_account) -> None:  # type: ignore[no-untyped-def]
    response = client_for(operator).get(f"/console/accounts/{other_account.pk}/")
    assert response.status_code == 404
    assert not AuditEvent.objects.filter(
        object_id=str(other_account.pk), object_type="customers.Account"
    ).exists()

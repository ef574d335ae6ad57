"""The identity API: my accesses, who has access, invite/accept/revoke, codes for sign-in and contacts."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from abonent.identity.models import AccountAccess, ApiToken, User

pytestmark = pytest.mark.django_db
BASE = "/api/v1/identity"


def _post(client: Client, path: str, data: dict) -> object:  # type: ignore[type-arg]
    return client.post(f"{BASE}{path}", data=json.dumps(data), content_type="application/json")


def test_my_accesses(client_for, tenant: User, account) -> None:  # type: ignore[no-untyped-def]
    body = client_for(tenant).get(f"{BASE}/accesses").json()
    assert [(row["account_number"], row["role"]) for row in body] == [(account.number, "tenant")]


def test_owner_lists_people_with_masked_phones(client_for, customer: User, tenant: User, account) -> None:  # type: ignore[no-untyped-def]
    body = client_for(customer).get(f"{BASE}/accounts/{account.pk}/accesses").json()
    assert {row["role"] for row in body} == {"owner", "tenant"}
    assert tenant.phone not in json.dumps(body, ensure_ascii=False)
    assert any(row["is_me"] for row in body)


def test_invite_accept_and_revoke(client_for, customer: User, account) -> None:  # type: ignore[no-untyped-def]
    owner = client_for(customer)
    response = _post(owner, f"/accounts/{account.pk}/invitations", {"role": "viewer"})
    assert response.status_code == 201
    invitation = response.json()
    assert "?t=" in invitation["link"] and len(invitation["code"]) == 8

    newcomer = User.objects.create(username="newcomer", phone="+79120000777")
    guest = client_for(newcomer)
    accepted = _post(guest, "/invitations/accept", {"code": invitation["code"]})
    assert accepted.status_code == 200 and accepted.json()["role"] == "viewer"
    again = _post(guest, "/invitations/accept", {"code": invitation["code"]})
    assert again.status_code == 400 and again.json()["code"] == "invitation_invalid"

    access_id = accepted.json()["id"]
    assert (
        _post(owner, f"/accounts/{account.pk}/accesses/revoke", {"access_id": access_id}).status_code == 204
    )
    assert AccountAccess.objects.get(pk=access_id).revoked_by == customer


def test_representative_invitation_without_poa_is_a_clear_error(client_for, customer: User, account) -> None:  # type: ignore[no-untyped-def]
    response = _post(client_for(customer), f"/accounts/{account.pk}/invitations", {"role": "representative"})
    assert response.status_code == 400
    assert response.json()["code"] == "representative_needs_period"


def test_the_stranger_gets_404_and_the_tenant_403(
    client_for, stranger: User, tenant: User, customer: User, account
) -> None:  # type: ignore[no-untyped-def]
    owner_access = AccountAccess.objects.get(user=customer)
    for user, status in ((stranger, 404), (tenant, 403)):
        client = client_for(user)
        assert client.get(f"{BASE}/accounts/{account.pk}/accesses").status_code == status
        assert _post(client, f"/accounts/{account.pk}/invitations", {"role": "owner"}).status_code == status
    for user in (stranger, tenant):
        response = _post(
            client_for(user), f"/accounts/{account.pk}/accesses/revoke", {"access_id": owner_access.pk}
        )
        assert response.status_code == 404


def test_sign_in_by_code_gives_a_bearer_token(customer: User, sent_code) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    challenge = _post(client, "/codes/sign-in", {"contact": "8 912 345-67-89"})
    assert challenge.status_code == 200
    assert challenge.json()["recipient"] == "+7 (912) ***-**-89" and challenge.json()["resend_after"] == 60
    wrong = _post(
        client, "/codes/sign-in/confirm", {"challenge_id": challenge.json()["challenge_id"], "code": "00000"}
    )
    assert wrong.status_code == 400 and wrong.json()["code"] == "code_invalid"
    confirmed = _post(
        client,
        "/codes/sign-in/confirm",
        {"challenge_id": challenge.json()["challenge_id"], "code": sent_code(customer.phone)},
    )
    token = confirmed.json()["token"]
    assert ApiToken.objects.get(user=customer).expires_at is not None
    me = Client().get("/api/v1/identity/accesses", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200 and len(me.json()) == 1


def test_a_second_code_within_a_minute_is_429(db) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    assert _post(client, "/codes/sign-in", {"contact": "+79990000001"}).status_code == 200
    response = _post(client, "/codes/sign-in", {"contact": "+79990000001"})
    assert response.status_code == 429 and response.json()["code"] == "code_throttled"


def test_confirm_my_phone(client_for, customer: User, sent_code) -> None:  # type: ignore[no-untyped-def]
    client = client_for(customer)
    challenge = _post(client, "/codes/contact", {"channel": "sms"}).json()
    response = _post(
        client,
        "/codes/contact/confirm",
        {"challenge_id": challenge["challenge_id"], "code": sent_code(customer.phone)},
    )
    assert response.json() == {"confirmed": True}
    customer.refresh_from_db()
    assert customer.phone_confirmed_at is not None


def test_someone_elses_contact_challenge_is_not_found(client_for, customer: User, stranger: User) -> None:  # type: ignore[no-untyped-def]
    challenge = _post(client_for(customer), "/codes/contact", {"channel": "sms"}).json()
    response = _post(
        client_for(stranger),
        "/codes/contact/confirm",
        {"challenge_id": challenge["challenge_id"], "code": "123456"},
    )
    assert response.status_code == 404

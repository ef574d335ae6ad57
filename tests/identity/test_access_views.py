"""Access pages: the owner invites, sees masked contacts, removes; strangers get 404 everywhere."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from abonent.customers.models import Account
from abonent.identity.models import AccountAccess, Invitation, User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _page(account: Account) -> str:
    return reverse("identity:access_account", args=[account.pk])


def test_the_owner_sees_people_with_masked_phones(
    client_for, customer: User, tenant: User, account: Account
) -> None:  # type: ignore[no-untyped-def]
    body = client_for(customer).get(_page(account)).content.decode()
    assert "+7 (912) ***-**-01" in body
    assert tenant.phone not in body


def test_invite_by_code_then_accept_signed_in(client_for, customer: User, account: Account) -> None:  # type: ignore[no-untyped-def]
    owner = client_for(customer)
    response = owner.post(_page(account), {"action": "invite", "role": "viewer", "name": "Сын"}, follow=True)
    issued = response.context["issued"]
    assert issued["code"] in response.content.decode() and "?t=" in issued["link"]
    assert owner.get(_page(account)).context["issued"] is None  # shown once

    newcomer = UserFactory()
    guest = client_for(newcomer)
    response = guest.post(reverse("identity:invite_accept"), {"code": issued["code"]})
    assert response.headers["Location"] == reverse("identity:invite_accept")
    page = guest.get(reverse("identity:invite_accept"))
    assert page.context["invitation"].account == account
    response = guest.post(reverse("identity:invite_accept"), {"action": "accept"})
    assert response.headers["Location"] == reverse("portal:dashboard")
    assert AccountAccess.objects.get(user=newcomer).role == "viewer"


def test_invite_link_for_someone_without_a_login(
    client_for, customer: User, account: Account, sent_code
) -> None:  # type: ignore[no-untyped-def]
    response = client_for(customer).post(_page(account), {"action": "invite", "role": "tenant"}, follow=True)
    link = response.context["issued"]["link"]
    guest = Client()
    response = guest.get(link[link.index("/invite/") :])
    assert response.headers["Location"] == reverse(
        "identity:invite_accept"
    )  # the token leaves the address bar
    response = guest.post(
        reverse("identity:invite_accept"), {"action": "contact", "contact": "+7 912 000 05 55"}
    )
    assert response.headers["Location"] == reverse("identity:invite_confirm")
    response = guest.post(reverse("identity:invite_confirm"), {"code": sent_code("+79120000555")})
    assert response.headers["Location"] == reverse("portal:dashboard")
    assert AccountAccess.objects.get(user__phone="+79120000555").role == "tenant"


def test_a_representative_invitation_needs_its_power_of_attorney(
    client_for, customer: User, account: Account
) -> None:  # type: ignore[no-untyped-def]
    response = client_for(customer).post(_page(account), {"action": "invite", "role": "representative"})
    errors = response.context["form"].errors
    assert set(errors) >= {"valid_until", "poa_number", "poa_date"}
    assert not Invitation.objects.exists()


def test_withdraw_an_invitation(client_for, customer: User, account: Account) -> None:  # type: ignore[no-untyped-def]
    owner = client_for(customer)
    owner.post(_page(account), {"action": "invite", "role": "viewer"})
    invitation = Invitation.objects.get()
    owner.post(_page(account), {"action": "withdraw", "invitation": invitation.pk})
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None


def test_the_owner_removes_a_tenant(client_for, customer: User, tenant: User, account: Account) -> None:  # type: ignore[no-untyped-def]
    access = AccountAccess.objects.get(user=tenant)
    response = client_for(customer).post(
        reverse("identity:access_revoke", args=[account.pk]), {"access": access.pk}
    )
    assert response.status_code == 302
    access.refresh_from_db()
    assert access.revoked_at is not None and access.revoked_by == customer


def test_the_last_owner_is_told_why_they_cannot_leave(client_for, customer: User, account: Account) -> None:  # type: ignore[no-untyped-def]
    own = AccountAccess.objects.get(user=customer)
    response = client_for(customer).post(
        reverse("identity:access_revoke", args=[account.pk]), {"access": own.pk}, follow=True
    )
    assert "Нельзя отозвать доступ у единственного собственника." in response.content.decode()


def test_the_only_owner_is_not_offered_to_leave_but_a_tenant_is(
    client_for, customer: User, tenant: User, account: Account
) -> None:  # type: ignore[no-untyped-def]
    own = AccountAccess.objects.get(user=customer)
    page = client_for(customer).get(reverse("identity:access")).content.decode()
    assert f"leave-{own.pk}" not in page
    assert "единственный собственник" in page
    tenants = AccountAccess.objects.get(user=tenant)
    assert f"leave-{tenants.pk}" in client_for(tenant).get(reverse("identity:access")).content.decode()


def test_a_tenant_cannot_manage_access(client_for, tenant: User, customer: User, account: Account) -> None:  # type: ignore[no-untyped-def]
    client = client_for(tenant)
    assert client.get(_page(account)).status_code == 403
    owner_access = AccountAccess.objects.get(user=customer)
    assert (
        client.post(
            reverse("identity:access_revoke", args=[account.pk]), {"access": owner_access.pk}
        ).status_code
        == 404
    )
    assert client.post(_page(account), {"action": "invite", "role": "owner"}).status_code == 403


def test_the_stranger_gets_404_on_every_access_page(
    client_for, stranger: User, customer: User, tenant: User, account: Account
) -> None:  # type: ignore[no-untyped-def]
    client = client_for(stranger)
    access = AccountAccess.objects.get(user=tenant)
    assert client.get(_page(account)).status_code == 404
    assert client.post(_page(account), {"action": "invite", "role": "owner"}).status_code == 404
    assert (
        client.post(reverse("identity:access_revoke", args=[account.pk]), {"access": access.pk}).status_code
        == 404
    )
    assert (
        client.post(reverse("identity:access_revoke", args=[account.pk]), {"access": "x"}).status_code == 404
    )
    overview = client.get(reverse("identity:access")).content.decode()
    assert account.number not in overview
    access.refresh_from_db()
    assert access.revoked_at is None


def test_staff_cannot_share_a_customers_account(client_for, operator: User, account: Account) -> None:  # type: ignore[no-untyped-def]
    assert client_for(operator).get(_page(account)).status_code == 403


def test_pages_need_a_login(client: Client, account: Account) -> None:
    for url in (
        reverse("identity:access"),
        _page(account),
        reverse("identity:sessions"),
        reverse("identity:accounts"),
    ):
        assert client.get(url).status_code == 302


def test_the_overview_lists_roles_and_lets_a_tenant_leave(client_for, tenant: User, account: Account) -> None:  # type: ignore[no-untyped-def]
    client = client_for(tenant)
    body = client.get(reverse("identity:access")).content.decode()
    own = AccountAccess.objects.get(user=tenant)
    assert account.number in body and own.get_role_display() in body
    assert re.search(rf'name="access" value="{own.pk}"', body)
    client.post(reverse("identity:access_revoke", args=[account.pk]), {"access": own.pk})
    assert account.number not in client.get("/cabinet/").content.decode()


def test_the_header_names_a_phone_login_by_its_phone_as_people_write_it(client_for, account: Account) -> None:  # type: ignore[no-untyped-def]
    login = UserFactory(phone="+79120007001", email="", first_name="", last_name="", username="+79120007001")
    AccountAccess.objects.create(user=login, account=account, role=AccountAccess.Role.VIEWER)
    page = client_for(login).get(reverse("identity:access")).content.decode()
    assert '<span class="header-user">+7 (912) 000-70-01</span>' in page

"""Staff: see and revoke accesses, reissue the registration code (audited); a company's accounts list."""

from __future__ import annotations

import pytest
from django.urls import reverse

from abonent.core.models import AuditEvent
from abonent.customers.models import Account
from abonent.identity.models import AccountAccess, RegistrationCode, User
from abonent.identity.services.registration import prove_by_bill_code
from tests.factories import AccountAccessFactory, AccountFactory, BranchFactory, UserFactory

pytestmark = pytest.mark.django_db


def _page(account: Account) -> str:
    return reverse("console_identity:account_access", args=[account.pk])


def test_staff_see_who_has_access_and_the_view_is_audited(
    client_for, with_role_groups, operator, customer, tenant, account
) -> None:  # type: ignore[no-untyped-def]
    response = client_for(with_role_groups(operator)).get(_page(account))
    assert response.status_code == 200
    assert len(response.context["grants"]) == 2
    event = AuditEvent.objects.get(object_type="customers.Account", object_id=str(account.pk), action="view")
    assert event.actor == operator and event.personal_data


def test_reissuing_the_code_shows_it_once_and_audits(client_for, with_role_groups, operator, account) -> None:  # type: ignore[no-untyped-def]
    client = client_for(with_role_groups(operator))
    response = client.post(
        reverse("console_identity:reissue_registration_code", args=[account.pk]), follow=True
    )
    code = response.context["issued"]["code"]
    assert code in response.content.decode()
    assert client.get(_page(account)).context["issued"] is None
    AccountAccess.objects.filter(account=account).delete()
    assert prove_by_bill_code(account_number=account.number, code=code).account_id == account.pk
    assert AuditEvent.objects.filter(object_type="identity.RegistrationCode", actor=operator).exists()


def test_staff_revoke_with_a_reason(client_for, with_role_groups, specialist, tenant, account) -> None:  # type: ignore[no-untyped-def]
    client = client_for(with_role_groups(specialist))
    access = AccountAccess.objects.get(user=tenant)
    url = reverse("console_identity:revoke_access", args=[account.pk])
    response = client.post(url, {"access": access.pk, "reason": ""}, follow=True)
    assert "Укажите, почему отзывается доступ" in response.content.decode()
    client.post(url, {"access": access.pk, "reason": "moved out"})
    access.refresh_from_db()
    assert access.revoked_by == specialist
    assert AuditEvent.objects.get(object_id=str(access.pk), action="update").reason == "console: moved out"


def test_staff_without_the_permission_are_refused(
    client_for, operator, manager_user, tenant, account
) -> None:  # type: ignore[no-untyped-def]
    assert client_for(operator).get(_page(account)).status_code == 403  # no group: no permission
    assert (
        client_for(manager_user)
        .post(reverse("console_identity:reissue_registration_code", args=[account.pk]))
        .status_code
        == 403
    )
    assert not RegistrationCode.objects.exists()


@pytest.fixture
def manager_user(with_role_groups):  # type: ignore[no-untyped-def]
    from tests.factories import StaffUserFactory

    return with_role_groups(StaffUserFactory(username="manager", staff_role="manager"))


def test_staff_of_another_branch_get_404(client_for, with_role_groups, other_branch, tenant, account) -> None:  # type: ignore[no-untyped-def]
    from tests.factories import StaffUserFactory

    outsider = with_role_groups(StaffUserFactory(staff_role="operator", branch=other_branch))
    client = client_for(outsider)
    access = AccountAccess.objects.get(user=tenant)
    assert client.get(_page(account)).status_code == 404
    assert (
        client.post(reverse("console_identity:reissue_registration_code", args=[account.pk])).status_code
        == 404
    )
    response = client.post(
        reverse("console_identity:revoke_access", args=[account.pk]), {"access": access.pk, "reason": "x"}
    )
    assert response.status_code == 404
    access.refresh_from_db()
    assert access.revoked_at is None


def test_customers_are_sent_to_sign_in(client_for, customer, account) -> None:  # type: ignore[no-untyped-def]
    assert client_for(customer).get(_page(account)).status_code == 302


@pytest.fixture
def company(branch) -> User:  # type: ignore[no-untyped-def]
    """An accountant representing a company with 25 accounts in two branches."""
    user = UserFactory()
    second = BranchFactory(code="KUR", name="Курганский филиал", organisation=branch.organisation)
    for index in range(25):
        account = AccountFactory(
            branch=branch if index < 20 else second,
            status=Account.Status.SUSPENDED if index % 5 == 0 else Account.Status.ACTIVE,
            premises__building__street="Заводская" if index < 3 else "Ленина",
        )
        AccountAccessFactory(user=user, account=account, role=AccountAccess.Role.OWNER)
    return user


def test_the_accounts_list_is_paginated_and_filtered(
    client_for, company, branch, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    client = client_for(company)
    dashboard = reverse("portal:dashboard")
    client.get(dashboard)  # the first request records the session
    with django_assert_max_num_queries(14):
        first = client.get(dashboard)
    assert first.context["page"].paginator.count == 25 and len(first.context["page"].object_list) == 20
    assert client.get(dashboard, {"page": 2}).context["page"].object_list.__len__() == 5
    assert client.get(dashboard, {"branch": branch.pk}).context["page"].paginator.count == 20
    assert client.get(dashboard, {"status": "suspended"}).context["page"].paginator.count == 5
    assert client.get(dashboard, {"address": "заводская"}).context["page"].paginator.count == 3
    number = first.context["page"].object_list[0].number
    assert client.get(dashboard, {"number": number}).context["page"].paginator.count == 1


def test_the_old_accounts_address_leads_to_the_combined_list(client_for, company) -> None:  # type: ignore[no-untyped-def]
    response = client_for(company).get(
        reverse("identity:accounts"), {"q": "66", "status": "suspended", "x": "1"}
    )
    assert response.status_code == 302
    assert response.url == reverse("portal:dashboard") + "?number=66&status=suspended"


def test_the_accounts_list_never_shows_foreign_accounts(client_for, stranger, account) -> None:  # type: ignore[no-untyped-def]
    for query in ({"number": account.number}, {"branch": account.branch_id}):
        board = client_for(stranger).get(reverse("portal:dashboard"), query).context["board"]
        assert account.pk not in [card.account.pk for card in board.cards]

"""The cabinet's first screen shows the login's own accounts and nobody else's."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.test import Client

from abonent.customers.models import Account
from abonent.hints.models import HintRule
from abonent.metering.models import Channel as ReadingChannel
from abonent.metering.services import submit_readings
from abonent.portal.views.dashboard import CURRENT_ACCOUNT
from tests.factories import AccountAccessFactory, AccountFactory, BranchFactory, MeterFactory, UserFactory
from tests.portal.conftest import IN_WINDOW

pytestmark = pytest.mark.django_db

TODAY = IN_WINDOW.date()


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


# --- What to do now -------------------------------------------------------------------------------------


def _hints(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [hint.text for hint in (item.hint for item in response.context["board"].todo)]


def test_owner_sees_what_to_do_most_urgent_first(client_for, customer, account, in_window) -> None:  # type: ignore[no-untyped-def]
    MeterFactory(
        account=account, serial_number="111", next_verification_on=TODAY - datetime.timedelta(days=2)
    )
    MeterFactory(
        account=account, serial_number="222", next_verification_on=TODAY + datetime.timedelta(days=30)
    )
    response = client_for(customer).get("/cabinet/")
    hints = response.context["board"].todo
    assert [item.hint.priority for item in hints] == sorted(item.hint.priority for item in hints)
    texts = _hints(response)
    assert "№111" in texts[0]  # expired verification comes first
    assert any("№222" in text for text in texts)
    assert any("вместо бумажных" in text for text in texts)  # the customer gets paper bills
    body = response.content.decode()
    assert body.index("№111") < body.index("№222")
    assert 'data-testid="hint"' in body


def test_nothing_to_do_is_said_plainly(client_for, customer, account) -> None:  # type: ignore[no-untyped-def]
    HintRule.objects.update(active=False)
    body = client_for(customer).get("/cabinet/").content.decode()
    assert 'data-testid="nothing-to-do"' in body


def test_balance_waits_for_the_first_bill(client_for, customer, account) -> None:  # type: ignore[no-untyped-def]
    response = client_for(customer).get("/cabinet/")
    assert response.context["board"].cards[0].snapshot.balance is None
    assert "first bill" in response.content.decode() or "первого счёта" in response.content.decode()


def test_readings_window_shows_days_left_and_what_is_missing(
    client_for, customer, account, in_window
) -> None:  # type: ignore[no-untyped-def]
    meter = MeterFactory(account=account)
    MeterFactory(account=account, resource="cold_water")
    card = client_for(customer).get("/cabinet/").context["board"].cards[0]
    assert card.snapshot.readings.is_open and card.snapshot.readings.days_left == 3
    assert card.snapshot.readings.meters_missing == 2
    assert card.readings_url == f"/cabinet/readings/{account.pk}/"

    submit_readings(meter=meter, values={"T1": Decimal("10")}, channel=ReadingChannel.CABINET)
    card = client_for(customer).get("/cabinet/").context["board"].cards[0]
    assert card.snapshot.readings.meters_missing == 1


def test_tenant_sees_readings_hints_but_not_the_owners_contact_hints(
    client_for, tenant, account, in_window
) -> None:  # type: ignore[no-untyped-def]
    MeterFactory(account=account)
    texts = _hints(client_for(tenant).get("/cabinet/"))
    assert any("25 ноября" in text for text in texts)  # may submit readings
    assert not any("бумажных" in text for text in texts)  # may not change bill delivery


def test_a_customer_hint_is_shown_once_for_many_accounts(client_for, customer, account, branch) -> None:  # type: ignore[no-untyped-def]
    second = AccountFactory(branch=branch, customer=account.customer)
    AccountAccessFactory(user=customer, account=second)
    texts = _hints(client_for(customer).get("/cabinet/"))
    assert sum("бумажных" in text for text in texts) == 1


def test_unread_messages_are_announced(client_for, customer, tenant, account, send_message) -> None:  # type: ignore[no-untyped-def]
    send_message(customer_id=account.customer_id)
    send_message(customer_id=account.customer_id)
    assert client_for(customer).get("/cabinet/").context["board"].unread == 2
    assert client_for(tenant).get("/cabinet/").context["board"].unread == 0  # the owner's mail


# --- One account in full, the switcher ------------------------------------------------------------------


def test_account_page_for_owner_tenant_and_not_for_stranger(
    client_for, customer, tenant, stranger, account
) -> None:  # type: ignore[no-untyped-def]
    MeterFactory(account=account, serial_number="777")
    for user in (customer, tenant):
        response = client_for(user).get(f"/cabinet/accounts/{account.pk}/")
        assert response.status_code == 200
        assert "№777" in response.content.decode()
    assert client_for(stranger).get(f"/cabinet/accounts/{account.pk}/").status_code == 404


def test_switching_account_remembers_it_and_refuses_foreign_ones(
    client_for, customer, stranger, account
) -> None:  # type: ignore[no-untyped-def]
    client = client_for(customer)
    response = client.post("/cabinet/switch/", {"account": account.pk})
    assert response.url == f"/cabinet/accounts/{account.pk}/"
    assert client.session[CURRENT_ACCOUNT] == account.pk
    assert (
        client.post("/cabinet/switch/", {"account": account.pk, "next": "/cabinet/profile/"}).url
        == "/cabinet/profile/"
    )
    evil = client.post("/cabinet/switch/", {"account": account.pk, "next": "https://evil.example/"})
    assert evil.url == f"/cabinet/accounts/{account.pk}/"
    assert client.post("/cabinet/switch/", {"account": ""}).url == "/cabinet/"
    assert client_for(stranger).post("/cabinet/switch/", {"account": account.pk}).status_code == 404


def test_switcher_lists_the_accounts_in_the_header(client_for, customer, account, branch) -> None:  # type: ignore[no-untyped-def]
    second = AccountFactory(branch=branch, customer=account.customer, number="6600999999")
    AccountAccessFactory(user=customer, account=second)
    body = client_for(customer).get("/cabinet/").content.decode()
    header = body[body.index('data-testid="account-switcher"') : body.index('id="main"')]
    assert account.number in header and second.number in header
    assert 'name="account"' in header


def test_staff_are_sent_to_the_console(client_for, operator, account) -> None:  # type: ignore[no-untyped-def]
    assert client_for(operator).get("/cabinet/").url == "/console/"
    assert client_for(operator).get(f"/cabinet/accounts/{account.pk}/").url == "/console/"


# --- A company's many accounts -----------------------------------------------------------------------------


def test_company_gets_the_combined_table_with_flags(client_for, company_login, stranger, in_window) -> None:  # type: ignore[no-untyped-def]
    accountant, _company, accounts = company_login(12)
    MeterFactory(account=accounts[0], next_verification_on=TODAY - datetime.timedelta(days=1))
    Account.objects.filter(pk=accounts[1].pk).update(status=Account.Status.SUSPENDED)
    response = client_for(accountant).get("/cabinet/")
    assert response.context["mode"] == "many"
    counts = response.context["counts"]
    assert (counts["total"], counts["verification_expired"], counts["suspended"]) == (12, 1, 1)
    body = response.content.decode()
    assert body.count('data-testid="account-card"') == 12
    assert all(account.number in body for account in accounts)

    stranger_body = client_for(stranger).get("/cabinet/").content.decode()
    assert not any(account.number in stranger_body for account in accounts)


def test_company_table_filters_and_pages(client_for, company_login) -> None:  # type: ignore[no-untyped-def]
    accountant, _company, accounts = company_login(25)
    client = client_for(accountant)
    first, second = client.get("/cabinet/"), client.get("/cabinet/?page=2")
    assert len(first.context["board"].cards) == 20 and len(second.context["board"].cards) == 5

    MeterFactory(account=accounts[3], next_verification_on=datetime.date(2000, 1, 1))
    expired = client.get("/cabinet/?attention=verification_expired").context["board"].cards
    assert [card.account for card in expired] == [accounts[3]]

    Account.objects.filter(pk=accounts[4].pk).update(status=Account.Status.CLOSED)
    closed = client.get("/cabinet/?status=closed").context["board"].cards
    assert [card.account.pk for card in closed] == [accounts[4].pk]

    by_number = client.get(f"/cabinet/?number={accounts[5].number}").context["board"].cards
    assert [card.account for card in by_number] == [accounts[5]]

    street = accounts[6].premises.building.street
    by_address = client.get("/cabinet/", {"address": street}).context["board"].cards
    assert accounts[6] in [card.account for card in by_address]


def test_branch_filter_appears_with_two_branches(client_for, company_login, branch) -> None:  # type: ignore[no-untyped-def]
    accountant, company, _accounts = company_login(6)
    client = client_for(accountant)
    assert "branch" not in client.get("/cabinet/").context["form"].fields
    elsewhere = AccountFactory(branch=BranchFactory(organisation=branch.organisation), customer=company)
    AccountAccessFactory(user=accountant, account=elsewhere, role="representative")
    response = client.get(f"/cabinet/?branch={elsewhere.branch_id}")
    assert "branch" in response.context["form"].fields
    assert [card.account for card in response.context["board"].cards] == [elsewhere]


# --- Queries do not grow with the number of accounts ------------------------------------------------------


def _login_with_accounts(count: int, branch) -> UserFactory:  # type: ignore[no-untyped-def]
    user = UserFactory()
    for _ in range(count):
        account = AccountFactory(branch=branch)
        AccountAccessFactory(user=user, account=account)
        MeterFactory(account=account)
        MeterFactory(account=account, resource="cold_water")
    return user


@pytest.mark.parametrize("count", [1, 5])
def test_dashboard_with_cards_is_a_handful_of_queries(
    client_for, branch, count, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    client = client_for(_login_with_accounts(count, branch))
    # session, user, accesses, role policy, accounts, meters, ledger, unread, rules
    with django_assert_max_num_queries(9):
        assert client.get("/cabinet/").status_code == 200


@pytest.mark.parametrize("count", [12, 60])
def test_dashboard_with_many_accounts_is_a_handful_of_queries(
    client_for, branch, count, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    client = client_for(_login_with_accounts(count, branch))
    # session, user, accesses, role policy, branches, count, page, meters, ledger, unread, rules, counts
    with django_assert_max_num_queries(12):
        assert client.get("/cabinet/?status=active&address=a").status_code == 200


def test_account_page_is_a_handful_of_queries(client_for, branch, django_assert_max_num_queries) -> None:  # type: ignore[no-untyped-def]
    user = _login_with_accounts(3, branch)
    account = Account.objects.filter(accesses__user=user).first()
    client = client_for(user)
    client.get(f"/cabinet/accounts/{account.pk}/")  # the first visit remembers the account in the session
    # session, user, accesses, role policy, account, meters, ledger, unread, rules, switcher list
    with django_assert_max_num_queries(10):
        assert client.get(f"/cabinet/accounts/{account.pk}/").status_code == 200

"""The dashboard is served from the cache while nothing it shows has changed, and re-rendered at once after.

A cached answer renders no template, so `response.context` is None; a re-render has a context.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages

from abonent.billing.models import LedgerEntry
from abonent.billing.services.ledger import post_entry, post_payment
from abonent.core.freshness import stamp, touch_customers, touch_everything
from abonent.identity.models import AccountAccess
from abonent.identity.services.sharing import revoke_access
from abonent.metering.models import Channel as ReadingChannel
from abonent.metering.services import submit_readings
from tests.factories import MeterFactory, ServiceFactory

# Real commits: a change forgets the pages' generation when its transaction commits (core.freshness).
pytestmark = pytest.mark.django_db(transaction=True)

NOVEMBER = datetime.date(2026, 11, 1)


@pytest.fixture(autouse=True)
def _page_cache_on(settings) -> None:  # type: ignore[no-untyped-def]
    settings.PORTAL_PAGE_CACHE_SECONDS = 120


def _rendered(client) -> bool:  # type: ignore[no-untyped-def]
    response = client.get("/cabinet/")
    assert response.status_code == 200
    return response.context is not None


def _warm(client) -> None:  # type: ignore[no-untyped-def]
    assert _rendered(client)  # the first view renders (and sets the CSRF cookie the key needs)
    assert _rendered(client)  # the CSRF cookie is now known: this render is cached
    assert not _rendered(client)


def test_a_repeated_view_costs_the_session_and_the_login_only(
    client_for, customer, account, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    client = client_for(customer)
    _warm(client)
    first = client.get("/cabinet/").content
    with django_assert_max_num_queries(2):
        assert client.get("/cabinet/").content == first


def test_a_charge_and_a_payment_show_at_once(client_for, customer, account) -> None:  # type: ignore[no-untyped-def]
    client = client_for(customer)
    _warm(client)
    service = ServiceFactory()
    post_entry(
        account=account,
        service=service,
        period=NOVEMBER,
        kind=LedgerEntry.Kind.CHARGE,
        amount=Decimal("1500.00"),
        occurred_on=NOVEMBER,
        source="test",
        idempotency_key="charge-1",
    )
    response = client.get("/cabinet/")
    assert response.context["board"].cards[0].snapshot.balance.amount == Decimal("1500.00")
    assert not _rendered(client)

    post_payment(account=account, amount=Decimal("500"), paid_on=NOVEMBER, idempotency_key="pay-1")
    response = client.get("/cabinet/")
    assert response.context["board"].cards[0].snapshot.balance.amount == Decimal("1000.00")


def test_a_reading_shows_at_once(client_for, customer, account, in_window) -> None:  # type: ignore[no-untyped-def]
    meter = MeterFactory(account=account)
    client = client_for(customer)
    _warm(client)
    submit_readings(meter=meter, values={"T1": Decimal("10")}, channel=ReadingChannel.CABINET)
    assert client.get("/cabinet/").context["board"].cards[0].snapshot.readings.meters_missing == 0


def test_a_new_message_shows_at_once(client_for, customer, account, send_message) -> None:  # type: ignore[no-untyped-def]
    client = client_for(customer)
    _warm(client)
    send_message(customer_id=account.customer_id)
    assert client.get("/cabinet/").context["board"].unread == 1


def test_a_revoked_access_shows_at_once(client_for, customer, tenant, account) -> None:  # type: ignore[no-untyped-def]
    client = client_for(tenant)
    _warm(client)
    access = AccountAccess.objects.get(user=tenant, account=account)
    revoke_access(access=access, revoked_by=customer)
    response = client.get("/cabinet/")
    assert response.context is not None
    assert account.number not in response.content.decode()


def test_each_session_and_language_gets_its_own_page(client_for, customer, account) -> None:  # type: ignore[no-untyped-def]
    first = client_for(customer)
    _warm(first)
    second = client_for(customer)  # another device of the same login
    assert _rendered(second)
    english = first.get("/cabinet/", HTTP_ACCEPT_LANGUAGE="en")
    assert english.context is not None or "Sign out" in english.content.decode()
    first.cookies.load({"django_language": "en"})
    assert "Sign out" in first.get("/cabinet/").content.decode()


def test_the_stranger_never_gets_the_customers_page(client_for, customer, stranger, account) -> None:  # type: ignore[no-untyped-def]
    _warm(client_for(customer))
    page = client_for(stranger).get("/cabinet/").content.decode()
    assert account.number not in page


def test_a_one_time_notice_is_shown_and_not_cached(client_for, customer, account) -> None:  # type: ignore[no-untyped-def]
    client = client_for(customer)
    _warm(client)
    response = client.post("/cabinet/switch/", {"account": "not-a-number"}, follow=True)
    assert response.redirect_chain
    assert not list(get_messages(response.wsgi_request))  # consumed by the page it was shown on


def test_bulk_changes_and_untouched_customers(customer, account, other_account) -> None:  # type: ignore[no-untyped-def]
    before = stamp(customer_ids=[account.customer_id, other_account.customer_id])
    assert stamp(customer_ids=[account.customer_id, other_account.customer_id]) == before  # stable
    touch_customers([other_account.customer_id])
    after_one = stamp(customer_ids=[account.customer_id])
    assert stamp(customer_ids=[account.customer_id, other_account.customer_id]) != before
    touch_everything()
    assert stamp(customer_ids=[account.customer_id]) != after_one

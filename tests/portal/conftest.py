"""Fixtures of the cabinet tests: a clean cache, a fixed moment inside the readings window, helpers."""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Iterator

import pytest
from django.core.cache import cache
from freezegun import freeze_time

from abonent.customers.models import Account, Customer
from abonent.identity.models import AccountAccess, User
from abonent.messaging.models import Channel, OutboundMessage, Topic
from abonent.messaging.services import queue_message
from tests.factories import AccountAccessFactory, AccountFactory, CustomerFactory, UserFactory

# 23 November 2026, 15:00 in Yekaterinburg: the default readings window (15th–25th) is open, 3 days left.
IN_WINDOW = datetime.datetime(2026, 11, 23, 10, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def _clean_cache() -> Iterator[None]:
    """Code resend slots live in the cache: every test starts from zero."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def in_window() -> Iterator[None]:
    with freeze_time(IN_WINDOW):
        yield


@pytest.fixture
def sent_code(db) -> Callable[[str], str]:  # type: ignore[no-untyped-def]
    """Return the last code sent to a recipient, read from the outbox like a phone would."""

    def last_code(recipient: str) -> str:
        message = OutboundMessage.objects.filter(recipient=recipient, topic=Topic.SECURITY).latest("pk")
        match = re.search(r"\b(\d{6})\b", message.body)
        assert match, message.body
        return match.group(1)

    return last_code


@pytest.fixture
def send_message(db) -> Callable[..., OutboundMessage]:  # type: ignore[no-untyped-def]
    counter = iter(range(1, 10_000))

    def send(**fields: object) -> OutboundMessage:
        defaults: dict[str, object] = {
            "channel": Channel.CABINET,
            "topic": Topic.BILLS,
            "recipient": "cabinet",
            "subject": "Счёт за ноябрь",
            "body": "Счёт за ноябрь готов.",
        }
        return queue_message(idempotency_key=f"test-{next(counter)}", **{**defaults, **fields})  # type: ignore[arg-type]

    return send


@pytest.fixture
def company_login(branch) -> Callable[[int], tuple[User, Customer, list[Account]]]:  # type: ignore[no-untyped-def]
    """Return a function making a company with that many accounts and its accountant (a representative)."""

    def make(count: int) -> tuple[User, Customer, list[Account]]:
        company = CustomerFactory(legal=True, company_name="ООО «Ромашка»")
        accountant = UserFactory(email=f"buh{count}@romashka.example", phone="")
        accounts = [AccountFactory(branch=branch, customer=company) for _ in range(count)]
        for account in accounts:
            AccountAccessFactory(user=accountant, account=account, role=AccountAccess.Role.REPRESENTATIVE)
        return accountant, company, accounts

    return make

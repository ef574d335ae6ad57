"""Fixtures of the payments tests: a sandbox that answers at once, and an account with a debt."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from abonent.billing.models import LedgerEntry
from abonent.billing.services.ledger import post_entry
from abonent.customers.models import Account, Service
from abonent.payments.models import PaymentStatus, SandboxPayment, SavedCard
from tests.factories import AccountServiceFactory, ServiceFactory


@pytest.fixture(autouse=True)
def quick_sandbox(settings) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """The sandbox delivers at once (no sleeping in tests), twice and out of order, as in production."""
    settings.PAYMENTS_SANDBOX = {
        "secret": "test-sandbox-secret",
        "delay_seconds": "0",
        "copies": 2,
        "out_of_order": True,
        "timeout_seconds": "0",
    }
    settings.PAYMENT_GATEWAY = "sandbox"
    return settings.PAYMENTS_SANDBOX


@pytest.fixture
def electricity(account: Account) -> Service:
    service = ServiceFactory(code="electricity", name="Электроснабжение")
    AccountServiceFactory(account=account, service=service, started_on=account.opened_on)
    return service


def charge(
    account: Account, service: Service, amount: str, *, key: str, month: int = 1, on: date | None = None
) -> LedgerEntry:
    """Post a charge of the month of 2026 on the account (or of the day `on`'s month, on that day)."""
    return post_entry(
        account=account,
        service=service,
        period=on or date(2026, month, 1),
        kind=LedgerEntry.Kind.CHARGE,
        amount=Decimal(amount),
        occurred_on=on or date(2026, month, 28),
        source="test",
        idempotency_key=key,
    )


@pytest.fixture
def debt(account: Account, electricity: Service) -> Decimal:
    charge(account, electricity, "1500.00", key="charge-jan")
    return Decimal("1500.00")


@pytest.fixture
def card(customer) -> SavedCard:  # type: ignore[no-untyped-def]
    """A card saved after a sandbox payment with the success test card."""
    SandboxPayment.objects.create(
        id="sbx_original", merchant_reference="r", idempotency_key="k", amount=Decimal("1"), description="d",
        webhook_url="http://testserver/api/v1/payments/webhooks/sandbox", status=PaymentStatus.SUCCEEDED,
        save_card=True, card_last4="1111", card_token="sbx_card_saved",
    )  # fmt: skip
    return SavedCard.objects.create(
        user=customer, gateway="sandbox", method_id="sbx_card_saved", title="Visa •••• 1111"
    )

"""Refunds reverse a payment's credit where its money went: the services it paid, an advance's later debts."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from abonent.billing.models import LedgerEntry
from abonent.billing.selectors import account_ageing, balance
from abonent.customers.models import Account, Service
from abonent.payments.models import Payment, PaymentStatus, SandboxPayment
from abonent.payments.services.payments import LineRequest, refund_payment, start_payment
from abonent.payments.services.reversal import REFUND_SOURCE
from abonent.payments.services.webhooks import receive_webhook
from tests.factories import AccountServiceFactory, ServiceFactory
from tests.payments.conftest import charge
from tests.payments.helpers import notification

pytestmark = pytest.mark.django_db


@pytest.fixture
def water(account: Account, electricity: Service) -> Service:
    """A second service of the account, after electricity in id order."""
    service = ServiceFactory(code="water", name="Холодное водоснабжение")
    AccountServiceFactory(account=account, service=service, started_on=account.opened_on)
    return service


def paid(account: Account, amount: str) -> Payment:
    payment = start_payment(
        lines=[LineRequest(account=account, amount=Decimal(amount))],
        origin=Payment.Origin.CABINET,
        return_url="http://testserver/x/",
    ).payment
    SandboxPayment.objects.filter(pk=payment.gateway_payment_id).update(status=PaymentStatus.SUCCEEDED)
    receive_webhook(gateway_name="sandbox", incoming=notification(payment, PaymentStatus.SUCCEEDED))
    payment.refresh_from_db()
    return payment


def charge_today(account: Account, service: Service, amount: str, *, key: str) -> None:
    """Charge the current period today, after the payment: an advance on the account pays it at once."""
    charge(account, service, amount, key=key, on=timezone.localdate())


def owed_per_service(account: Account) -> dict[int, Decimal]:
    owed: dict[int, Decimal] = {}
    for bucket in account_ageing(account=account).buckets.values():
        if bucket.outstanding:
            owed[bucket.service_id] = owed.get(bucket.service_id, Decimal(0)) + bucket.outstanding
    return owed


def reversals(payment: Payment) -> dict[int, Decimal]:
    entries = LedgerEntry.objects.filter(source=REFUND_SOURCE, reason__contains=str(payment.public_id))
    return {entry.service_id: entry.amount for entry in entries}


def test_a_spent_advance_is_reversed_on_the_debts_it_paid(account, water, electricity, admin) -> None:  # type: ignore[no-untyped-def]
    payment = paid(account, "1000.00")  # nothing owed yet: all of it is an advance of the account
    charge_today(account, water, "600.00", key="water")
    charge_today(account, electricity, "400.00", key="electricity")
    assert balance(account=account) == Decimal("0.00") and owed_per_service(account) == {}

    refund_payment(payment=payment, refunded_by=admin)

    # Not 1,000 on electricity (the account's first service): each service owes again what it owed.
    assert owed_per_service(account) == {water.pk: Decimal("600.00"), electricity.pk: Decimal("400.00")}
    assert reversals(payment) == {water.pk: Decimal("600.00"), electricity.pk: Decimal("400.00")}
    assert balance(account=account) == Decimal("1000.00")


def test_the_unspent_rest_of_an_advance_leaves_no_debt(account, water, electricity, admin) -> None:  # type: ignore[no-untyped-def]
    payment = paid(account, "1000.00")
    charge_today(account, water, "600.00", key="water")

    refund_payment(payment=payment, refunded_by=admin)

    assert owed_per_service(account) == {water.pk: Decimal("600.00")}
    assert balance(account=account) == Decimal("600.00")
    assert sum(reversals(payment).values()) == Decimal("1000.00")


def test_a_payment_of_debts_is_reversed_on_the_same_services(account, water, electricity, admin) -> None:  # type: ignore[no-untyped-def]
    charge_today(account, water, "300.00", key="water")
    charge_today(account, electricity, "200.00", key="electricity")
    payment = paid(account, "500.00")
    assert owed_per_service(account) == {}

    refund_payment(payment=payment, refunded_by=admin)

    assert owed_per_service(account) == {water.pk: Decimal("300.00"), electricity.pk: Decimal("200.00")}
    assert all(entry.corrects_id for entry in LedgerEntry.objects.filter(source=REFUND_SOURCE))

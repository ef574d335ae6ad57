"""The "last payment amount" check for registration without a bill, wired as IDENTITY_PAYMENT_VERIFIER."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.conf import settings

from abonent.identity.verifiers import PaymentCheck, payment_verifier
from abonent.payments.models import Payment, PaymentStatus
from abonent.payments.services.payments import LineRequest, start_payment
from abonent.payments.services.webhooks import receive_webhook
from tests.payments.helpers import notification

pytestmark = pytest.mark.django_db


def pay(account, amount: str) -> None:  # type: ignore[no-untyped-def]
    payment = start_payment(
        lines=[LineRequest(account=account, amount=Decimal(amount))],
        origin=Payment.Origin.CABINET,
        return_url="",
    ).payment
    receive_webhook(gateway_name="sandbox", incoming=notification(payment, PaymentStatus.SUCCEEDED))


def test_the_setting_names_the_payments_verifier() -> None:
    assert settings.IDENTITY_PAYMENT_VERIFIER == "abonent.payments.verifiers.LastPaymentVerifier"
    assert payment_verifier().available is True


def test_matches_only_the_last_payment_whole(account, debt) -> None:  # type: ignore[no-untyped-def]
    verifier = payment_verifier()
    assert verifier.check(account_id=account.pk, amount=Decimal("100")) is PaymentCheck.UNAVAILABLE
    pay(account, "1000.00")
    pay(account, "700.00")  # split over the debt and an advance: two ledger entries, one payment
    assert verifier.check(account_id=account.pk, amount=Decimal("700.00")) is PaymentCheck.MATCH
    assert verifier.check(account_id=account.pk, amount=Decimal("500.00")) is PaymentCheck.MISMATCH
    assert verifier.check(account_id=account.pk, amount=Decimal("1000.00")) is PaymentCheck.MISMATCH

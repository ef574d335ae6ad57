"""Notifications as the sandbox gateway sends them, signed (or forged) on demand."""

from __future__ import annotations

import json
import secrets
import time

from abonent.payments.gateways import IncomingWebhook
from abonent.payments.gateways.sandbox import SIGNATURE_HEADER, sign
from abonent.payments.models import Payment


def notification(
    payment: Payment,
    status: str,
    *,
    event_id: str | None = None,
    amount: str | None = None,
    timestamp: int | None = None,
    secret: str | None = None,
    card: dict[str, str] | None = None,
) -> IncomingWebhook:
    """Return a sandbox notification about the payment, signed with the configured (or given) secret."""
    body = json.dumps(
        {
            "id": event_id or f"evt_{secrets.token_hex(8)}",
            "type": f"payment.{status}",
            "created": "2026-02-10T10:00:00+03:00",
            "payment": {
                "id": payment.gateway_payment_id,
                "reference": str(payment.public_id),
                "status": status,
                "amount": amount or str(payment.amount),
                "card": card,
            },
        }
    ).encode()
    moment = int(time.time()) if timestamp is None else timestamp
    return IncomingWebhook(
        body=body,
        headers={SIGNATURE_HEADER: sign(body, timestamp=moment, secret=secret)},
        remote_ip="127.0.0.1",
    )


def payment_on(account) -> Payment:  # type: ignore[no-untyped-def]
    """Return a payment of 100 ₽ on the account, recorded as the cabinet would (no gateway call)."""
    from decimal import Decimal

    from abonent.payments.models import PaymentLine

    payment = Payment.objects.create(
        gateway="sandbox",
        idempotency_key=secrets.token_hex(16),
        origin=Payment.Origin.CABINET,
        amount=Decimal("100.00"),
        description="test",
    )
    PaymentLine.objects.create(payment=payment, account=account, amount=Decimal("100.00"))
    return payment

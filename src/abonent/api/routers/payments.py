"""API operations of payments (mounted at /api/v1/payments).

- GET  ""                          payments on the caller's accounts (optionally one account), newest first
- POST ""                          start a payment for one or many accounts; answers where to send the payer
- GET  /{payment_ref}              one payment and its status (apps poll it after the hosted page)
- POST /webhooks/{gateway}         a gateway's notification: no session; trust comes from the gateway's
                                   own proof (sandbox: HMAC signature; YooKassa: sender IP + API lookup)
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from ninja import Field, Router, Schema, Status

from abonent.customers.models import Service
from abonent.identity.selectors import AccountAction, account_for_action, account_for_user
from abonent.payments.gateways import IncomingWebhook, default_gateway_name
from abonent.payments.models import Payment
from abonent.payments.selectors import payment_for_user, payments_for_user, visible_lines
from abonent.payments.services.payments import LineRequest, start_payment
from abonent.payments.services.webhooks import receive_webhook

router = Router(tags=["payments"])


class LineOut(Schema):
    account_id: int
    account_number: str
    service: str | None
    amount: Decimal


class PaymentOut(Schema):
    reference: uuid.UUID
    status: str
    status_label: str
    amount: Decimal
    created_at: datetime
    paid_at: datetime | None
    receipt_number: str | None
    lines: list[LineOut]


class LineIn(Schema):
    account_id: int
    amount: Decimal = Field(gt=0, decimal_places=2)
    service_id: int | None = None


class PaymentIn(Schema):
    lines: list[LineIn] = Field(min_length=1, max_length=200)
    return_url: str = Field(description="Where the gateway sends the payer back; {ref} is replaced")
    save_card: bool = False


class StartedOut(Schema):
    reference: uuid.UUID
    redirect_url: str


class WebhookOut(Schema):
    outcome: str
    reason: str = ""


def _payment_out(request: HttpRequest, payment: Payment) -> dict[str, Any]:
    receipt = getattr(payment, "receipt", None)
    return {
        "reference": payment.public_id,
        "status": payment.status,
        "status_label": payment.get_status_display(),
        "amount": payment.amount,
        "created_at": payment.created_at,
        "paid_at": payment.paid_at,
        "receipt_number": receipt.number if receipt else None,
        "lines": [
            {
                "account_id": line.account_id,
                "account_number": line.account.number,
                "service": line.service.name if line.service else None,
                "amount": line.amount,
            }
            for line in visible_lines(user=request.user, payment=payment)  # type: ignore[arg-type]
        ],
    }


@router.get("", response=list[PaymentOut], url_name="payments", summary="Payments on the caller's accounts")
def list_payments(
    request: HttpRequest, account_id: int | None = None, limit: int = 50
) -> list[dict[str, Any]]:
    account = account_for_user(user=request.user, account_id=account_id) if account_id else None  # type: ignore[arg-type]
    payments = payments_for_user(user=request.user, account=account)[: min(max(limit, 1), 200)]  # type: ignore[arg-type]
    return [_payment_out(request, payment) for payment in payments]


@router.post("", response={201: StartedOut}, url_name="payments_start", summary="Start a payment")
def start(request: HttpRequest, payload: PaymentIn) -> Status[dict[str, Any]]:
    lines = [
        LineRequest(
            account=account_for_action(
                user=request.user, account_id=line.account_id, action=AccountAction.PAY
            ),  # type: ignore[arg-type]
            amount=line.amount,
            service=Service.objects.filter(pk=line.service_id).first() if line.service_id else None,
        )
        for line in payload.lines
    ]
    started = start_payment(
        lines=lines,
        origin=Payment.Origin.API,
        return_url=payload.return_url,
        created_by=request.user,  # type: ignore[arg-type]
        save_card=payload.save_card,
        notify_url=request.build_absolute_uri(reverse("api:payments_webhook", args=[default_gateway_name()])),
    )
    return Status(201, {"reference": started.payment.public_id, "redirect_url": started.redirect_url})


@router.get("/{payment_ref}", response=PaymentOut, url_name="payment", summary="One payment and its status")
def get_payment(request: HttpRequest, payment_ref: str) -> dict[str, Any]:
    return _payment_out(request, payment_for_user(user=request.user, payment_ref=payment_ref))  # type: ignore[arg-type]


@router.post(
    "/webhooks/{gateway}", response={200: WebhookOut, 400: WebhookOut}, auth=None,
    url_name="payments_webhook", summary="A payment gateway's notification",
)  # fmt: skip
def webhook(request: HttpRequest, gateway: str) -> Status[dict[str, str]]:
    incoming = IncomingWebhook(
        body=request.body, headers=dict(request.headers), remote_ip=request.META.get("REMOTE_ADDR")
    )
    result = receive_webhook(gateway_name=gateway, incoming=incoming)
    return Status(200 if result.accepted else 400, {"outcome": result.outcome, "reason": result.reason})

"""The sandbox gateway: a hosted card page, test cards and signed notifications, all inside the app.

It behaves like a real gateway on purpose: the payer types a card on the gateway's own page
(/payments/sandbox/<id>/), and the shop learns the outcome only from notifications POSTed over HTTP to
its webhook endpoint, signed with HMAC-SHA256 (`X-Sandbox-Signature: t=<unix time>,v1=<hex>` over
"<t>." + body). Delivery is late, repeated and, when configured, out of order (see PAYMENTS_SANDBOX).

Test cards: 4111 1111 1111 1111 succeeds, 4000 0000 0000 0002 is declined, 4000 0000 0000 3220 asks
for a 3-D Secure code (SANDBOX_3DS_CODE), 4000 0000 0000 0119 never gets the bank's answer and is
cancelled after a timeout.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import httpx
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from abonent.payments.errors import GatewayError, WebhookRejected
from abonent.payments.gateways import (
    CreatedPayment,
    GatewayEvent,
    GatewayPayment,
    IncomingWebhook,
    PaymentRequest,
    RefundResult,
    SavedMethod,
)
from abonent.payments.models import PaymentStatus, SandboxEvent, SandboxPayment

SIGNATURE_HEADER = "X-Sandbox-Signature"
SANDBOX_3DS_CODE = "123456"
MAX_CODE_ATTEMPTS = 3


class TestCard:
    SUCCESS = "4111111111111111"
    DECLINE = "4000000000000002"
    THREE_DS = "4000000000003220"
    TIMEOUT = "4000000000000119"


TEST_CARDS = {TestCard.SUCCESS, TestCard.DECLINE, TestCard.THREE_DS, TestCard.TIMEOUT}


def _config() -> dict[str, Any]:
    return settings.PAYMENTS_SANDBOX


# --- Signing -----------------------------------------------------------------------------------------


def sign(body: bytes, *, timestamp: int | None = None, secret: str | None = None) -> str:
    """Return the signature header value for the body at the time (now by default)."""
    moment = int(time.time()) if timestamp is None else timestamp
    key = (secret or _config()["secret"]).encode()
    digest = hmac.new(key, f"{moment}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={moment},v1={digest}"


def verify_signature(body: bytes, header: str, *, now: float | None = None) -> None:
    """Raise WebhookRejected unless the header signs this body recently enough."""
    parts = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    if "t" not in parts or "v1" not in parts or not parts["t"].isdigit():
        raise WebhookRejected("signature_missing")
    expected = sign(body, timestamp=int(parts["t"])).split("v1=", 1)[1]
    if not hmac.compare_digest(expected, parts["v1"]):
        raise WebhookRejected("signature_invalid")
    age = (time.time() if now is None else now) - int(parts["t"])
    if abs(age) > settings.PAYMENTS_WEBHOOK_TOLERANCE_SECONDS:
        raise WebhookRejected("timestamp_too_old" if age > 0 else "timestamp_in_future")


# --- The gateway -------------------------------------------------------------------------------------


class SandboxGateway:
    """The built-in gateway for the demo and the tests."""

    name = "sandbox"

    def create_payment(self, request: PaymentRequest) -> CreatedPayment:
        payment = self._register(request)
        return CreatedPayment(
            gateway_payment_id=payment.id,
            status=payment.status,
            redirect_url=_absolute(request.notify_url, reverse("sandbox:card", args=[payment.id])),
        )

    def charge_saved_method(self, request: PaymentRequest, *, method_id: str) -> CreatedPayment:
        original = SandboxPayment.objects.filter(card_token=method_id, save_card=True).first()
        if original is None:
            raise GatewayError(gettext("The saved card is unknown to the gateway."), permanent=True)
        payment = self._register(request)
        payment.card_token, payment.card_last4 = method_id, original.card_last4
        payment.save(update_fields=["card_token", "card_last4"])
        outcome = (
            PaymentStatus.DECLINED
            if original.card_last4 == TestCard.DECLINE[-4:]
            else PaymentStatus.SUCCEEDED
        )
        finish(payment, outcome)
        return CreatedPayment(gateway_payment_id=payment.id, status=outcome)

    def parse_webhook(self, incoming: IncomingWebhook) -> GatewayEvent:
        verify_signature(incoming.body, _header(incoming.headers, SIGNATURE_HEADER))
        try:
            data = json.loads(incoming.body)
            body = data["payment"]
            return GatewayEvent(
                event_id=str(data["id"]),
                gateway_payment_id=str(body["id"]),
                reference=str(body["reference"]),
                status=PaymentStatus(body["status"]).value,
                amount=Decimal(str(body["amount"])),
                saved_method=_saved_method(body.get("card")),
            )
        except (ValueError, KeyError, TypeError, ArithmeticError) as exc:
            raise WebhookRejected("malformed_body") from exc

    def fetch_payment(self, gateway_payment_id: str) -> GatewayPayment:
        payment = SandboxPayment.objects.filter(pk=gateway_payment_id).first()
        if payment is None:
            raise GatewayError(gettext("The gateway does not know this payment."), permanent=True)
        return _as_gateway_payment(payment)

    def refund(self, *, gateway_payment_id: str, amount: Decimal, idempotency_key: str) -> RefundResult:
        updated = SandboxPayment.objects.filter(
            pk=gateway_payment_id, status=PaymentStatus.SUCCEEDED, amount=amount
        ).update(status=PaymentStatus.REFUNDED, refunded_amount=amount)
        refunded = SandboxPayment.objects.filter(pk=gateway_payment_id, status=PaymentStatus.REFUNDED)
        if not updated and not refunded.exists():
            raise GatewayError(gettext("The gateway refused the refund."), permanent=True)
        return RefundResult(refund_id=f"rf_{gateway_payment_id}", succeeded=True)

    def list_payments(self, *, day: date) -> list[GatewayPayment]:
        paid = SandboxPayment.objects.filter(
            status__in=[PaymentStatus.SUCCEEDED, PaymentStatus.REFUNDED], finished_at__date=day
        )
        return [_as_gateway_payment(payment) for payment in paid.order_by("finished_at")]

    def _register(self, request: PaymentRequest) -> SandboxPayment:
        existing = SandboxPayment.objects.filter(idempotency_key=request.idempotency_key).first()
        if existing is not None:  # a retried request: the same payment, as a real gateway does
            return existing
        return SandboxPayment.objects.create(
            id=f"sbx_{secrets.token_hex(12)}",
            merchant_reference=request.reference,
            idempotency_key=request.idempotency_key,
            amount=request.amount,
            description=request.description,
            return_url=request.return_url,
            webhook_url=request.notify_url
            or settings.PAYMENTS_SITE_URL.rstrip("/") + reverse("api:payments_webhook", args=[self.name]),
            save_card=request.save_card,
        )


def _header(headers: Any, name: str) -> str:
    value = headers.get(name) or headers.get(name.lower())
    if not value:
        raise WebhookRejected("signature_missing")
    return str(value)


def _saved_method(card: dict[str, str] | None) -> SavedMethod | None:
    if not card:
        return None
    return SavedMethod(method_id=str(card["token"]), title=str(card["title"]))


def _as_gateway_payment(payment: SandboxPayment) -> GatewayPayment:
    return GatewayPayment(
        gateway_payment_id=payment.id,
        reference=payment.merchant_reference,
        status=payment.status,
        amount=payment.amount,
        paid_at=payment.finished_at if payment.status == PaymentStatus.SUCCEEDED else None,
        saved_method=_card(payment),
    )


def _card(payment: SandboxPayment) -> SavedMethod | None:
    if not (payment.save_card and payment.card_token and payment.status == PaymentStatus.SUCCEEDED):
        return None
    return SavedMethod(method_id=payment.card_token, title=f"Visa •••• {payment.card_last4}")


def _absolute(site_url: str, path: str) -> str:
    """Return the path on this site: the origin of the given URL of it, else PAYMENTS_SITE_URL."""
    parts = urlsplit(site_url)
    origin = (
        f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else settings.PAYMENTS_SITE_URL
    )
    return origin.rstrip("/") + path


# --- The hosted page's steps ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CardOutcome:
    """What the hosted page does next: ask for the code, wait for the bank, or go back to the shop."""

    next_step: str  # "code", "wait" or "return"


def luhn_valid(number: str) -> bool:
    digits = [int(d) for d in number][::-1]
    total = sum(d if i % 2 == 0 else (d * 2 - 9 if d * 2 > 9 else d * 2) for i, d in enumerate(digits))
    return len(digits) >= 12 and total % 10 == 0


def submit_card(payment: SandboxPayment, *, number: str) -> CardOutcome:
    """Process a test card typed on the hosted page (the caller validated it is a test card)."""
    with transaction.atomic():
        claimed = SandboxPayment.objects.filter(pk=payment.pk, step=SandboxPayment.Step.CARD).update(
            card_last4=number[-4:], card_token=f"sbx_card_{secrets.token_hex(10)}"
        )
        if not claimed:
            return CardOutcome("return")
        payment.refresh_from_db()
        if number == TestCard.THREE_DS:
            _move(payment, PaymentStatus.WAITING_3DS, step=SandboxPayment.Step.CODE)
            return CardOutcome("code")
        if number == TestCard.TIMEOUT:
            SandboxPayment.objects.filter(pk=payment.pk).update(step=SandboxPayment.Step.DONE)
            _deliver_later(payment.pk, after_timeout=True)
            return CardOutcome("wait")
        finish(payment, PaymentStatus.DECLINED if number == TestCard.DECLINE else PaymentStatus.SUCCEEDED)
        return CardOutcome("return")


def submit_code(payment: SandboxPayment, *, code: str) -> bool | None:
    """Check the 3-D Secure code: True paid, False wrong (try again), None declined after too many."""
    with transaction.atomic():
        payment = SandboxPayment.objects.select_for_update().get(pk=payment.pk)
        if payment.step != SandboxPayment.Step.CODE:
            return None
        if hmac.compare_digest(code.strip(), SANDBOX_3DS_CODE):
            finish(payment, PaymentStatus.SUCCEEDED)
            return True
        payment.code_attempts = F("code_attempts") + 1
        payment.save(update_fields=["code_attempts"])
        payment.refresh_from_db()
        if payment.code_attempts >= MAX_CODE_ATTEMPTS:
            finish(payment, PaymentStatus.DECLINED)
            return None
        return False


def finish(payment: SandboxPayment, status: str) -> None:
    """Bring the payment to its final status and deliver its notifications."""
    _move(payment, status, step=SandboxPayment.Step.DONE)
    _deliver_later(payment.pk)


def _move(payment: SandboxPayment, status: str, *, step: str) -> None:
    now = timezone.now()
    final = status != PaymentStatus.WAITING_3DS
    SandboxPayment.objects.filter(pk=payment.pk).update(
        status=status, step=step, finished_at=now if final else None
    )
    payment.status, payment.step = status, step
    SandboxEvent.objects.create(id=f"evt_{secrets.token_hex(12)}", sandbox_payment=payment, status=status)
    if not final and not _config()["out_of_order"]:
        _deliver_later(payment.pk)


def _deliver_later(payment_id: str, *, after_timeout: bool = False) -> None:
    from abonent.payments.tasks import deliver_sandbox_events_task

    transaction.on_commit(lambda: deliver_sandbox_events_task.enqueue(payment_id, after_timeout))


# --- Delivery ------------------------------------------------------------------------------------------


def deliver_events(*, payment_id: str, after_timeout: bool = False) -> int:
    """POST the payment's notifications to the shop, late, `copies` times each; return the deliveries.

    With out_of_order, the events are sent newest first, so the shop meets "succeeded" before the
    "waiting for 3-D Secure" that preceded it, as happens with real gateways under load.
    """
    config = _config()
    time.sleep(float(config["timeout_seconds"] if after_timeout else config["delay_seconds"]))
    if after_timeout:
        _cancel_unanswered(payment_id)
    payment = SandboxPayment.objects.get(pk=payment_id)
    events = list(payment.events.order_by("created_at", "id"))
    if config["out_of_order"]:
        events.reverse()
    else:
        events = [event for event in events if event.deliveries == 0]
    sent = 0
    with httpx.Client(timeout=10.0) as client:
        for _copy in range(int(config["copies"])):
            for event in events:
                _post(client, payment, event)
                sent += 1
    return sent


def _cancel_unanswered(payment_id: str) -> None:
    with transaction.atomic():
        payment = SandboxPayment.objects.select_for_update().get(pk=payment_id)
        if payment.status == PaymentStatus.PENDING:
            _move(payment, PaymentStatus.CANCELLED, step=SandboxPayment.Step.DONE)


def event_body(payment: SandboxPayment, event: SandboxEvent) -> bytes:
    """Return the JSON a notification carries."""
    card = _card(payment) if event.status == PaymentStatus.SUCCEEDED else None
    data = {
        "id": event.id,
        "type": f"payment.{event.status}",
        "created": event.created_at.isoformat(),
        "payment": {
            "id": payment.id,
            "reference": payment.merchant_reference,
            "status": event.status,
            "amount": str(payment.amount),
            "card": {"token": card.method_id, "title": card.title} if card else None,
        },
    }
    return json.dumps(data, separators=(",", ":")).encode()


def _post(client: httpx.Client, payment: SandboxPayment, event: SandboxEvent) -> None:
    body = event_body(payment, event)
    headers = {"Content-Type": "application/json", SIGNATURE_HEADER: sign(body)}
    try:
        response = client.post(payment.webhook_url, content=body, headers=headers)
        result = str(response.status_code)
    except httpx.HTTPError as exc:
        result = type(exc).__name__[:40]
    SandboxEvent.objects.filter(pk=event.pk).update(deliveries=F("deliveries") + 1, last_response=result)

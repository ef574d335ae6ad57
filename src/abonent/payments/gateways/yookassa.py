"""The YooKassa adapter on the official SDK (`yookassa` on PyPI); SDK objects never leave this module.

- a payment is created with `capture: true` and a redirect confirmation (the hosted page, 3-D Secure
  included); a payment left in `waiting_for_capture` is captured when its notification arrives;
- `save_payment_method` keeps the card; autopay charges it by `payment_method_id`;
- YooKassa does not sign notifications. As its documentation advises, a notification is trusted only
  when it comes from YooKassa's networks (the SDK's SecurityHelper list, or YOOKASSA_TRUSTED_NETWORKS),
  and its content is never believed: the payment is fetched from the API and that answer is used.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext
from netaddr import AddrFormatError, IPAddress, IPNetwork
from yookassa import Configuration, Payment, Refund
from yookassa.domain.common import SecurityHelper
from yookassa.domain.exceptions import (
    ApiError,
    BadRequestError,
    ForbiddenError,
    NotFoundError,
    UnauthorizedError,
)

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
from abonent.payments.models import PaymentStatus

CURRENCY = "RUB"
# The SDK keeps its configuration in class attributes: calls are serialized so that two threads never
# interleave a configure() and a request (all calls use the same settings, so this only guards tests).
_sdk_lock = threading.RLock()
_PERMANENT_ERRORS = (BadRequestError, ForbiddenError, NotFoundError, UnauthorizedError)
# Reasons of a `canceled` payment that mean the payer's bank or card said no (declined), not a timeout
# or the shop's own cancellation. https://yookassa.ru/developers/payment-acceptance/after-the-payment/declined-payments
_DECLINE_PARTIES = {"issuer", "payment_network"}

T = TypeVar("T")


@contextmanager
def _sdk() -> Iterator[None]:
    """Configure the SDK and turn its errors into GatewayError(permanent=...)."""
    with _sdk_lock:
        Configuration.configure(
            settings.YOOKASSA_SHOP_ID, settings.YOOKASSA_SECRET_KEY, api_url=settings.YOOKASSA_API_URL
        )
        try:
            yield
        except _PERMANENT_ERRORS as exc:
            raise GatewayError(gettext("YooKassa refused the request."), permanent=True) from exc
        except (ApiError, OSError, ValueError) as exc:
            raise GatewayError() from exc


def _call(function: Callable[[], T]) -> T:
    with _sdk():
        return function()


def _amount(value: Decimal) -> dict[str, str]:
    return {"value": f"{value:.2f}", "currency": CURRENCY}


class YooKassaGateway:
    """YooKassa (https://yookassa.ru/developers/api) through its official Python SDK."""

    name = "yookassa"

    def create_payment(self, request: PaymentRequest) -> CreatedPayment:
        params = {
            "amount": _amount(request.amount),
            "capture": True,
            "confirmation": {"type": "redirect", "return_url": request.return_url},
            "description": request.description[:128],
            "metadata": {"reference": request.reference},
            "save_payment_method": request.save_card,
        }
        response = _call(lambda: Payment.create(params, request.idempotency_key))
        return CreatedPayment(
            gateway_payment_id=response.id,
            status=_status(response),
            redirect_url=response.confirmation.confirmation_url if response.confirmation else "",
        )

    def charge_saved_method(self, request: PaymentRequest, *, method_id: str) -> CreatedPayment:
        params = {
            "amount": _amount(request.amount),
            "capture": True,
            "payment_method_id": method_id,
            "description": request.description[:128],
            "metadata": {"reference": request.reference},
        }
        response = _call(lambda: Payment.create(params, request.idempotency_key))
        return CreatedPayment(gateway_payment_id=response.id, status=_status(response))

    def parse_webhook(self, incoming: IncomingWebhook) -> GatewayEvent:
        if not _trusted(incoming.remote_ip):
            raise WebhookRejected("ip_not_trusted")
        try:
            data = json.loads(incoming.body)
            event, payment_id = str(data["event"]), str(data["object"]["id"])
        except (ValueError, KeyError, TypeError) as exc:
            raise WebhookRejected("malformed_body") from exc
        if not event.startswith("payment."):
            raise WebhookRejected("event_not_handled")
        try:
            fetched = self._settle(payment_id)
        except GatewayError as exc:
            raise WebhookRejected("not_confirmed_by_api") from exc
        return GatewayEvent(
            event_id=f"{event}:{payment_id}",
            gateway_payment_id=fetched.gateway_payment_id,
            reference=fetched.reference,
            status=fetched.status,
            amount=fetched.amount,
            saved_method=fetched.saved_method,
        )

    def fetch_payment(self, gateway_payment_id: str) -> GatewayPayment:
        return _as_gateway_payment(_call(lambda: Payment.find_one(gateway_payment_id)))

    def refund(self, *, gateway_payment_id: str, amount: Decimal, idempotency_key: str) -> RefundResult:
        params = {"payment_id": gateway_payment_id, "amount": _amount(amount)}
        response = _call(lambda: Refund.create(params, idempotency_key))
        return RefundResult(refund_id=response.id, succeeded=response.status == "succeeded")

    def list_payments(self, *, day: date) -> list[GatewayPayment]:
        start = timezone.make_aware(datetime.combine(day, time.min))
        params: dict[str, Any] = {
            "status": "succeeded",
            "captured_at.gte": start.isoformat(),
            "captured_at.lt": (start + timedelta(days=1)).isoformat(),
            "limit": 100,
        }
        found: list[GatewayPayment] = []
        while True:
            page = _call(lambda: Payment.list(dict(params)))
            found.extend(_as_gateway_payment(item) for item in page.items or [])
            if not page.next_cursor:
                return found
            params["cursor"] = page.next_cursor

    def _settle(self, payment_id: str) -> GatewayPayment:
        """Fetch the payment; capture it if it waits for capture (we always capture in full)."""
        response = _call(lambda: Payment.find_one(payment_id))
        if response.status == "waiting_for_capture":
            params = {"amount": {"value": str(response.amount.value), "currency": response.amount.currency}}
            response = _call(lambda: Payment.capture(payment_id, params, f"capture-{payment_id}"))
        return _as_gateway_payment(response)


def _trusted(remote_ip: str | None) -> bool:
    if not remote_ip:
        return False
    networks = settings.YOOKASSA_TRUSTED_NETWORKS or SecurityHelper.YOOKASSA_NETWORKS
    try:
        address = IPAddress(remote_ip)
        return any(address in IPNetwork(network) for network in networks)
    except (AddrFormatError, ValueError):
        return False


def _status(response: Any) -> str:
    status = response.status
    if status == "succeeded":
        return PaymentStatus.SUCCEEDED
    if status == "canceled":
        details = response.cancellation_details
        party = details.party if details else ""
        return PaymentStatus.DECLINED if party in _DECLINE_PARTIES else PaymentStatus.CANCELLED
    return PaymentStatus.PENDING  # pending, waiting_for_capture


def _as_gateway_payment(response: Any) -> GatewayPayment:
    metadata = response.metadata or {}
    return GatewayPayment(
        gateway_payment_id=response.id,
        reference=str(metadata.get("reference", "")),
        status=_status(response),
        amount=Decimal(str(response.amount.value)),
        paid_at=_parse_time(response.captured_at),
        saved_method=_saved_method(response.payment_method),
    )


def _saved_method(method: Any) -> SavedMethod | None:
    if method is None or not getattr(method, "saved", False):
        return None
    card = getattr(method, "card", None)
    title = f"{card.card_type} •••• {card.last4}" if card is not None else method.title or method.type
    return SavedMethod(method_id=method.id, title=str(title))


def _parse_time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None

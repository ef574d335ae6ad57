"""The payment gateway interface: dataclasses in, dataclasses out; no SDK object crosses it.

Each gateway is a class named in settings.PAYMENT_GATEWAYS ({name: dotted path}); `gateway_for(name)`
returns an instance and settings.PAYMENT_GATEWAY names the one new payments use. Errors are
`GatewayError(permanent=...)`; a notification that cannot be trusted raises `WebhookRejected(reason)`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from abonent.payments.errors import UnknownGateway


@dataclass(frozen=True, slots=True, kw_only=True)
class PaymentRequest:
    """What we ask a gateway to collect."""

    reference: str  # our payment's public id; the gateway echoes it in notifications
    idempotency_key: str
    amount: Decimal
    description: str
    return_url: str = ""  # where the hosted page sends the payer back; empty for a saved-card charge
    save_card: bool = False
    # Where a gateway that takes it per payment (the sandbox) sends notifications; real gateways have it
    # configured in their dashboard. Empty: settings.PAYMENTS_SITE_URL + the webhook path.
    notify_url: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class CreatedPayment:
    """The gateway's answer to a new payment: its id, its status and where to send the payer."""

    gateway_payment_id: str
    status: str  # one of payments.models.PaymentStatus
    redirect_url: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class SavedMethod:
    """A card the gateway keeps for later charges."""

    method_id: str
    title: str


@dataclass(frozen=True, slots=True, kw_only=True)
class GatewayEvent:
    """A verified notification: which payment, which status now, and the saved card if any."""

    event_id: str
    gateway_payment_id: str
    reference: str
    status: str
    amount: Decimal
    saved_method: SavedMethod | None = None
    reason: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class GatewayPayment:
    """The gateway's view of one payment, for verification and reconciliation."""

    gateway_payment_id: str
    reference: str
    status: str
    amount: Decimal
    paid_at: datetime | None = None
    saved_method: SavedMethod | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RefundResult:
    refund_id: str
    succeeded: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class IncomingWebhook:
    """A notification as it arrived: the exact bytes, the headers and the sender's address."""

    body: bytes
    headers: Mapping[str, str] = field(default_factory=dict)
    remote_ip: str | None = None


class Gateway(Protocol):
    """What every payment gateway adapter offers."""

    name: str

    def create_payment(self, request: PaymentRequest) -> CreatedPayment:
        """Register a payment and return where the payer confirms it (the hosted page)."""
        ...

    def charge_saved_method(self, request: PaymentRequest, *, method_id: str) -> CreatedPayment:
        """Charge a saved card without the payer (autopay)."""
        ...

    def parse_webhook(self, incoming: IncomingWebhook) -> GatewayEvent:
        """Verify a notification and return what it says, or raise WebhookRejected."""
        ...

    def fetch_payment(self, gateway_payment_id: str) -> GatewayPayment:
        """Return the gateway's current view of a payment."""
        ...

    def refund(self, *, gateway_payment_id: str, amount: Decimal, idempotency_key: str) -> RefundResult:
        """Return the money of a succeeded payment to the payer."""
        ...

    def list_payments(self, *, day: date) -> list[GatewayPayment]:
        """Return the gateway's succeeded payments paid on the day (in the server's time zone)."""
        ...


@cache
def _gateway_class(path: str) -> type[Gateway]:
    return import_string(path)


def gateway_for(name: str) -> Gateway:
    """Return the configured gateway of this name, or raise UnknownGateway."""
    path = settings.PAYMENT_GATEWAYS.get(name)
    if not path:
        raise UnknownGateway()
    return _gateway_class(path)()


def default_gateway_name() -> str:
    """Return the name of the gateway new payments go to."""
    return settings.PAYMENT_GATEWAY

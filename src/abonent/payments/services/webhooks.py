"""Receive a gateway's notification: verify it, drop duplicates and replays, apply it, log it.

Every delivery is logged (raw body, whether the signature held, duplicate or not, the outcome). The
first trusted delivery of an event id claims a unique column; a later delivery with the same body is a
duplicate (answered 200, applied never twice), one with a different body is a replay or a forgery.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from abonent.payments.errors import WebhookRejected
from abonent.payments.gateways import GatewayEvent, IncomingWebhook, gateway_for
from abonent.payments.models import Payment, PaymentStatus, WebhookEvent
from abonent.payments.services.payments import apply_event

logger = logging.getLogger(__name__)
Outcome = WebhookEvent.Outcome


@dataclass(frozen=True, slots=True)
class WebhookResult:
    outcome: str
    reason: str = ""

    @property
    def accepted(self) -> bool:
        """Tell whether the gateway should stop retrying (everything but a rejection)."""
        return self.outcome != Outcome.REJECTED


def receive_webhook(*, gateway_name: str, incoming: IncomingWebhook) -> WebhookResult:
    """Process one delivery of a notification and return what became of it."""
    body_hash = hashlib.sha256(incoming.body).hexdigest()
    log = WebhookEvent(
        gateway=gateway_name,
        body=incoming.body.decode("utf-8", errors="replace"),
        body_sha256=body_hash,
        remote_ip=incoming.remote_ip,
    )
    try:
        event = gateway_for(gateway_name).parse_webhook(incoming)
    except WebhookRejected as exc:
        logger.warning("webhook from %s rejected: %s", incoming.remote_ip, exc.reason)
        return _finish(log, Outcome.REJECTED, reason=exc.reason)
    log.signature_ok, log.event_id, log.status = True, event.event_id[:120], event.status
    return _process(log, event)


def _process(log: WebhookEvent, event: GatewayEvent) -> WebhookResult:
    key = f"{log.gateway}:{event.event_id}"[:150]
    # Most repeats are caught by this read, without taking the write lock; the unique claim below
    # settles the races between deliveries that arrive at the same moment.
    first = WebhookEvent.objects.filter(first_delivery_of=key).only("body_sha256").first()
    if first is None:
        with transaction.atomic():
            if _claim(log, key):
                return _apply(log, event)
        first = WebhookEvent.objects.filter(first_delivery_of=key).only("body_sha256").first()
    if first is not None and first.body_sha256 != log.body_sha256:
        return _finish(log, Outcome.REJECTED, reason="event_id_reused")
    log.is_duplicate = True
    return _finish(log, Outcome.DUPLICATE)


def _claim(log: WebhookEvent, key: str) -> bool:
    """Log the delivery as the event's first; False when an earlier delivery holds the event id."""
    log.first_delivery_of, log.outcome = key, Outcome.APPLIED
    try:
        with transaction.atomic():
            log.save()
    except IntegrityError:
        log.pk, log.first_delivery_of = None, None
        return False
    return True


def _apply(log: WebhookEvent, event: GatewayEvent) -> WebhookResult:
    payment = _payment_for(log.gateway, event)
    if payment is None:
        return _update(log, Outcome.UNKNOWN_PAYMENT, reason="unknown_payment")
    log.payment = payment
    if event.status in (PaymentStatus.SUCCEEDED, PaymentStatus.REFUNDED) and event.amount != payment.amount:
        return _update(log, Outcome.REJECTED, reason="amount_mismatch")
    applied = apply_event(payment=payment, event=event)
    return _update(log, Outcome.STALE if applied.stale else Outcome.APPLIED)


def _payment_for(gateway: str, event: GatewayEvent) -> Payment | None:
    """Return the payment the event is about, locked for the caller's transaction."""
    payments = Payment.objects.select_for_update()
    found = payments.filter(gateway=gateway, gateway_payment_id=event.gateway_payment_id).first()
    if found is None and event.reference:
        # The notification can outrun the gateway id we store after creating the payment.
        if not _is_uuid(event.reference):
            return None
        candidates = payments.filter(gateway=gateway, public_id=event.reference)
        found = candidates.filter(gateway_payment_id__in=["", event.gateway_payment_id]).first()
    return found


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _update(log: WebhookEvent, outcome: str, *, reason: str = "") -> WebhookResult:
    log.outcome, log.rejection_reason, log.processed_at = outcome, reason, timezone.now()
    log.save(update_fields=["outcome", "rejection_reason", "processed_at", "payment"])
    return WebhookResult(outcome, reason)


def _finish(log: WebhookEvent, outcome: str, *, reason: str = "") -> WebhookResult:
    log.outcome, log.rejection_reason, log.processed_at = outcome, reason, timezone.now()
    log.save()
    return WebhookResult(outcome, reason)

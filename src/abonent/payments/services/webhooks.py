"""Receive a gateway's notification: verify it, drop duplicates and replays, apply it, log it.

Every delivery is logged (raw body, whether the signature held, duplicate or not, the outcome) with one
INSERT. The first trusted delivery of an event id is applied and logged in one transaction, and its log
row claims a unique column (`first_delivery_of`): when another delivery of the same event committed first,
the claim fails, the whole transaction (the credit too) rolls back and the delivery counts as a repeat.
A repeat with the same body is a duplicate (answered 200, applied never twice); one with a different body
is a replay or a forgery.

Most repeats are caught by one indexed read before any transaction, so on SQLite they never queue for the
write lock to learn that they have nothing to do; the unique claim settles the deliveries that race.
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


class _ClaimedMeanwhile(Exception):
    """Another delivery of the event committed its claim while this one was being applied."""


def receive_webhook(*, gateway_name: str, incoming: IncomingWebhook) -> WebhookResult:
    """Process one delivery of a notification and return what became of it."""
    log = WebhookEvent(
        gateway=gateway_name,
        body=incoming.body.decode("utf-8", errors="replace"),
        body_sha256=hashlib.sha256(incoming.body).hexdigest(),
        remote_ip=incoming.remote_ip,
    )
    try:
        event = gateway_for(gateway_name).parse_webhook(incoming)
    except WebhookRejected as exc:
        logger.warning("webhook from %s rejected: %s", incoming.remote_ip, exc.reason)
        return _record(log, Outcome.REJECTED, reason=exc.reason)
    log.signature_ok, log.event_id, log.status = True, event.event_id[:120], event.status
    key = f"{gateway_name}:{event.event_id}"[:150]
    first_hash = _first_delivery_hash(key)
    if first_hash is None:
        try:
            return _apply_first(log, event, key=key)
        except _ClaimedMeanwhile:
            first_hash = _first_delivery_hash(key)
    return _repeat(log, first_hash)


def _first_delivery_hash(key: str) -> str | None:
    """Return the body hash of the event's first logged delivery, or None when there is none yet."""
    return WebhookEvent.objects.filter(first_delivery_of=key).values_list("body_sha256", flat=True).first()


def _repeat(log: WebhookEvent, first_hash: str | None) -> WebhookResult:
    if first_hash != log.body_sha256:
        logger.warning("webhook %s reuses an event id with another body", log.event_id)
        return _record(log, Outcome.REJECTED, reason="event_id_reused")
    log.is_duplicate = True
    return _record(log, Outcome.DUPLICATE)


def _apply_first(log: WebhookEvent, event: GatewayEvent, *, key: str) -> WebhookResult:
    """Apply the event and log the delivery as its first, together; raise _ClaimedMeanwhile if beaten."""
    with transaction.atomic():
        outcome, reason = _apply(log, event)
        log.first_delivery_of = key
        try:
            # No savepoint: a failed claim leaves the block at once, and the block rolls back whole.
            return _record(log, outcome, reason=reason)
        except IntegrityError as exc:
            log.first_delivery_of, log.payment = None, None
            raise _ClaimedMeanwhile() from exc


def _apply(log: WebhookEvent, event: GatewayEvent) -> tuple[str, str]:
    """Apply the event to its payment (locked till the end of the transaction); return outcome, reason."""
    payment = _payment_for(log.gateway, event)
    if payment is None:
        return Outcome.UNKNOWN_PAYMENT, "unknown_payment"
    log.payment = payment
    if event.status in (PaymentStatus.SUCCEEDED, PaymentStatus.REFUNDED) and event.amount != payment.amount:
        return Outcome.REJECTED, "amount_mismatch"
    applied = apply_event(payment=payment, event=event)
    return (Outcome.STALE if applied.stale else Outcome.APPLIED), ""


def _payment_for(gateway: str, event: GatewayEvent) -> Payment | None:
    """Return the payment the event is about, locked for the caller's transaction."""
    payments = Payment.objects.select_for_update().order_by()
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


def _record(log: WebhookEvent, outcome: str, *, reason: str = "") -> WebhookResult:
    log.outcome, log.rejection_reason, log.processed_at = outcome, reason, timezone.now()
    log.save(force_insert=True)
    return WebhookResult(outcome, reason)

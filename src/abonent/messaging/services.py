"""Queue messages in the outbox and deliver them; a retried request or task never sends twice."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from abonent.messaging.channels import ChannelError, OutgoingMessage, transport_for
from abonent.messaging.models import OutboundMessage

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
# A message stuck in "sending" this long belongs to a crashed worker and may be claimed again.
SENDING_LEASE = timedelta(minutes=5)


def queue_message(
    *,
    channel: str,
    topic: str,
    recipient: str,
    body: str,
    idempotency_key: str,
    subject: str = "",
    customer_id: int | None = None,
    user_id: int | None = None,
) -> OutboundMessage:
    """Write the message to the outbox (in the caller's transaction) and deliver it after commit.

    The same idempotency key returns the existing message instead of a second one.
    """
    try:
        with transaction.atomic():
            message = OutboundMessage.objects.create(
                channel=channel,
                topic=topic,
                recipient=recipient,
                subject=subject,
                body=body,
                idempotency_key=idempotency_key,
                customer_id=customer_id,
                user_id=user_id,
            )
    except IntegrityError:
        return OutboundMessage.objects.get(idempotency_key=idempotency_key)
    from abonent.messaging.tasks import deliver_message_task

    transaction.on_commit(lambda: deliver_message_task.enqueue(message.pk))
    return message


def deliver_message(*, message_id: int) -> OutboundMessage:
    """Send one queued message through its channel, exactly once even if called concurrently."""
    if not _claim(message_id):
        return OutboundMessage.objects.get(pk=message_id)
    message = OutboundMessage.objects.get(pk=message_id)
    outgoing = OutgoingMessage(message.recipient, message.subject, message.body, message.idempotency_key)
    try:
        receipt = transport_for(message.channel).send(outgoing)
    except ChannelError as exc:
        return _record_failure(message, exc)
    message.status = OutboundMessage.Status.SENT
    message.provider_message_id = receipt.provider_message_id
    message.sent_at = timezone.now()
    message.last_error = ""
    message.save(update_fields=["status", "provider_message_id", "sent_at", "last_error"])
    return message


def _claim(message_id: int) -> bool:
    """Move the message to "sending" if nobody else holds it (a conditional UPDATE, not check-then-act)."""
    stale = timezone.now() - SENDING_LEASE
    claimed = OutboundMessage.objects.filter(
        Q(status=OutboundMessage.Status.QUEUED) | Q(status=OutboundMessage.Status.SENDING, sent_at__lt=stale),
        pk=message_id,
    ).update(status=OutboundMessage.Status.SENDING, attempts=F("attempts") + 1, sent_at=timezone.now())
    return claimed == 1


def _record_failure(message: OutboundMessage, error: ChannelError) -> OutboundMessage:
    message.refresh_from_db(fields=["attempts"])
    retry = not error.permanent and message.attempts < MAX_ATTEMPTS
    message.status = OutboundMessage.Status.QUEUED if retry else OutboundMessage.Status.FAILED
    message.last_error = str(error)[:500]
    message.sent_at = None
    message.save(update_fields=["status", "last_error", "sent_at"])
    logger.warning("message %s failed (%s, retry=%s): %s", message.pk, message.channel, retry, error)
    if retry:
        _schedule_retry(message)
    return message


def _schedule_retry(message: OutboundMessage) -> None:
    from abonent.messaging.tasks import deliver_message_task

    if not deliver_message_task.get_backend().supports_defer:
        return  # the backend runs tasks inline; the message stays queued for the next delivery sweep
    # Back off 30 s, 2 min, 8 min ... so a provider outage is not hammered.
    delay = timedelta(seconds=30 * 4 ** (message.attempts - 1))
    run_after = timezone.now() + delay
    transaction.on_commit(lambda: deliver_message_task.using(run_after=run_after).enqueue(message.pk))


def mark_read(*, message: OutboundMessage) -> None:
    """Mark a cabinet message as read by the customer (first time only)."""
    OutboundMessage.objects.filter(pk=message.pk, read_at__isnull=True).update(read_at=timezone.now())

"""Queue messages in the outbox and deliver them; a retried request or task never sends twice."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import timedelta
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.http import HttpRequest
from django.utils import timezone

from abonent.core.audit import record_audit_event
from abonent.core.freshness import touch_customers, touch_users
from abonent.core.models import AuditEvent
from abonent.customers.models import Customer
from abonent.customers.sync import Topic as SyncTopic
from abonent.customers.sync import record_change
from abonent.messaging.channels import ChannelError, OutgoingMessage, transport_for
from abonent.messaging.models import Channel, ChannelPreference, Consent, OutboundMessage
from abonent.messaging.selectors import channel_choices, consent_text, messages_for_login

if TYPE_CHECKING:
    from abonent.identity.models import User

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
    touch_customers([customer_id] if customer_id else [])
    touch_users([user_id] if user_id else [])
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
    if OutboundMessage.objects.filter(pk=message.pk, read_at__isnull=True).update(read_at=timezone.now()):
        touch_customers([message.customer_id] if message.customer_id else [])
        touch_users([message.user_id] if message.user_id else [])


# --- Notification preferences, consents and reading the inbox (the cabinet's profile) -----------


@transaction.atomic
def set_channel_preferences(
    *,
    customer: Customer,
    choices: Mapping[tuple[str, str], bool],
    changed_by: User,
    request: HttpRequest | None = None,
) -> dict[str, bool]:
    """Store the customer's choice per (topic, channel); return what changed as {"topic/channel": on}."""
    current = channel_choices(customer_id=customer.pk)
    changed = {key: on for key, on in choices.items() if key in current and current[key] != on}
    for (topic, channel), enabled in changed.items():
        ChannelPreference.objects.update_or_create(
            customer=customer,
            topic=topic,
            channel=channel,
            defaults={"enabled": enabled, "updated_by": changed_by},
        )
    summary = {f"{topic}/{channel}": on for (topic, channel), on in changed.items()}
    if summary:
        record_audit_event(
            actor=changed_by,
            action=AuditEvent.Action.UPDATE,
            target=customer,
            reason="notification preferences changed in the cabinet",
            changes={"notifications": summary},
            personal_data=True,
            request=request,
        )
    return summary


def give_consent(
    *, customer: Customer, kind: str, given_by: User, request: HttpRequest | None = None
) -> Consent:
    """Record the customer's consent with the exact text shown, time, IP and browser (once in force)."""
    wording = consent_text(kind=kind)
    try:
        with transaction.atomic():
            consent = Consent.objects.create(
                customer=customer,
                kind=kind,
                text_version=wording.version,
                text=wording.text,
                given_at=timezone.now(),
                given_by=given_by,
                given_ip=_client_ip(request),
                given_user_agent=_user_agent(request),
            )
            _audit_consent(consent, given_by, AuditEvent.Action.CREATE, request)
            record_change(topic=SyncTopic.CONSENT_GIVEN, customer_id=customer.pk, payload={"kind": kind})
    except IntegrityError:  # already in force (a double click, a second tab): keep the first grant
        return Consent.objects.get(customer=customer, kind=kind, revoked_at__isnull=True)
    return consent


@transaction.atomic
def revoke_consent(
    *, customer: Customer, kind: str, revoked_by: User, request: HttpRequest | None = None
) -> Consent | None:
    """Revoke the customer's consent in force, if any, recording when and from where; return it."""
    consent = (
        Consent.objects.select_for_update()
        .filter(customer=customer, kind=kind, revoked_at__isnull=True)
        .first()
    )
    if consent is None:
        return None
    consent.revoked_at = timezone.now()
    consent.revoked_by = revoked_by
    consent.revoked_ip = _client_ip(request)
    consent.save(update_fields=["revoked_at", "revoked_by", "revoked_ip"])
    _audit_consent(consent, revoked_by, AuditEvent.Action.DELETE, request)
    record_change(topic=SyncTopic.CONSENT_REVOKED, customer_id=customer.pk, payload={"kind": kind})
    return consent


def mark_all_read(*, user_id: int, customer_ids: list[int]) -> int:
    """Mark every unread cabinet message of the login and its customers as read; return how many."""
    unread = messages_for_login(user_id=user_id, customer_ids=customer_ids).filter(
        channel=Channel.CABINET, read_at__isnull=True
    )
    marked = OutboundMessage.objects.filter(pk__in=unread.values("pk")).update(read_at=timezone.now())
    touch_customers(customer_ids)
    touch_users([user_id])
    return marked


def _audit_consent(consent: Consent, actor: User, action: str, request: HttpRequest | None) -> None:
    record_audit_event(
        actor=actor,
        action=action,
        target=consent,
        reason=f"consent {consent.kind} {'given' if action == AuditEvent.Action.CREATE else 'revoked'}",
        changes={"customer": consent.customer_id, "kind": consent.kind, "version": consent.text_version},
        personal_data=True,
        request=request,
    )


def _client_ip(request: HttpRequest | None) -> str | None:
    return request.META.get("REMOTE_ADDR") if request else None


def _user_agent(request: HttpRequest | None) -> str:
    return request.META.get("HTTP_USER_AGENT", "")[:300] if request else ""

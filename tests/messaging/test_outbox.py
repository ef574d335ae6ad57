"""The outbox: one row per message, delivered once, retried only for transient errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core import mail
from django.test import override_settings

from abonent.messaging.channels import ChannelError, DeliveryReceipt, OutgoingMessage
from abonent.messaging.models import OutboundMessage
from abonent.messaging.services import MAX_ATTEMPTS, deliver_message, queue_message

pytestmark = pytest.mark.django_db(transaction=True)


class FlakyTransport:
    """A transport that fails the way the test asks (a test double at the provider boundary)."""

    calls: list[OutgoingMessage] = []
    error: ChannelError | None = None

    def send(self, message: OutgoingMessage) -> DeliveryReceipt:
        FlakyTransport.calls.append(message)
        if FlakyTransport.error:
            raise FlakyTransport.error
        return DeliveryReceipt(provider_message_id="flaky-1")


@pytest.fixture
def flaky(settings):  # type: ignore[no-untyped-def]
    FlakyTransport.calls = []
    FlakyTransport.error = None
    settings.MESSAGING_CHANNELS = {**settings.MESSAGING_CHANNELS, "sms": f"{__name__}.FlakyTransport"}
    return FlakyTransport


def _queue(key: str = "k1", channel: str = "sms") -> OutboundMessage:
    return queue_message(
        channel=channel, topic="security", recipient="+79120000001", body="Код: 123456", idempotency_key=key
    )


def test_email_is_sent_through_django_mail_once() -> None:
    message = queue_message(
        channel="email",
        topic="bills",
        recipient="a@example.ru",
        subject="Счёт",
        body="Ваш счёт",
        idempotency_key="e1",
    )
    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.SENT
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["a@example.ru"]


def test_same_idempotency_key_never_sends_twice(flaky) -> None:  # type: ignore[no-untyped-def]
    first = _queue()
    second = _queue()
    assert first.pk == second.pk
    assert OutboundMessage.objects.count() == 1
    assert len(flaky.calls) == 1


def test_redelivery_of_a_sent_message_does_nothing(flaky) -> None:  # type: ignore[no-untyped-def]
    message = _queue()
    deliver_message(message_id=message.pk)
    deliver_message(message_id=message.pk)
    assert len(flaky.calls) == 1


def test_transient_error_keeps_the_message_queued(flaky) -> None:  # type: ignore[no-untyped-def]
    flaky.error = ChannelError("gateway timeout", permanent=False)
    message = _queue()
    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.QUEUED
    assert message.attempts == 1
    assert "gateway timeout" in message.last_error


def test_transient_errors_give_up_after_the_attempt_limit(flaky) -> None:  # type: ignore[no-untyped-def]
    flaky.error = ChannelError("gateway timeout", permanent=False)
    message = _queue()
    for _ in range(MAX_ATTEMPTS):
        deliver_message(message_id=message.pk)
    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.FAILED
    assert message.attempts == MAX_ATTEMPTS


def test_permanent_error_fails_at_once(flaky) -> None:  # type: ignore[no-untyped-def]
    flaky.error = ChannelError("no such number", permanent=True)
    message = _queue()
    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.FAILED
    assert message.attempts == 1


def test_local_sms_outbox_writes_a_readable_file(tmp_path: Path) -> None:
    with override_settings(VAR_DIR=tmp_path):
        message = _queue(key="local-1")
    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.SENT
    payload = json.loads((tmp_path / "outbox" / "sms" / "local-1.json").read_text(encoding="utf-8"))
    assert payload == {"to": "+79120000001", "subject": "", "text": "Код: 123456"}


def test_unknown_channel_fails_permanently() -> None:
    message = _queue(key="x", channel="pigeon")
    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.FAILED
    assert "pigeon" in message.last_error


def test_redelivery_sweep_sends_messages_left_queued(flaky) -> None:  # type: ignore[no-untyped-def]
    from datetime import timedelta

    from django.utils import timezone

    from abonent.messaging.tasks import redeliver_queued_messages_task

    flaky.error = ChannelError("gateway timeout", permanent=False)
    message = _queue(key="sweep-1")
    OutboundMessage.objects.filter(pk=message.pk).update(created_at=timezone.now() - timedelta(minutes=5))
    flaky.error = None
    assert redeliver_queued_messages_task.call() == 1
    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.SENT
    assert redeliver_queued_messages_task.call() == 0

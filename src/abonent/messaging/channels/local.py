"""The embedded default for SMS, push and voice: a local outbox folder the demo and developers can read.

Nothing leaves the machine; each message becomes one JSON file under var/outbox/<channel>/, and the
OutboundMessage row already shows it in the customer's inbox and the console.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings

from abonent.messaging.channels import DeliveryReceipt, OutgoingMessage


class LocalOutboxTransport:
    channel = "local"

    def send(self, message: OutgoingMessage) -> DeliveryReceipt:
        folder = Path(settings.VAR_DIR) / "outbox" / self.channel
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{message.idempotency_key.replace('/', '_')}.json"
        payload = {"to": message.recipient, "subject": message.subject, "text": message.body}
        path.write_text(json.dumps(payload, ensure_ascii=False, indent=2), encoding="utf-8")
        return DeliveryReceipt(provider_message_id=f"local:{path.name}")


class LocalSmsTransport(LocalOutboxTransport):
    channel = "sms"


class LocalPushTransport(LocalOutboxTransport):
    channel = "push"


class LocalVoiceTransport(LocalOutboxTransport):
    channel = "voice"


class CabinetTransport:
    """A cabinet message needs no delivery: the inbox shows the stored row itself."""

    def send(self, message: OutgoingMessage) -> DeliveryReceipt:
        return DeliveryReceipt(provider_message_id="cabinet")

"""Delivery channels behind one interface; domain code never talks to a provider directly.

Each channel is a class with `send(message) -> DeliveryReceipt`, raising `ChannelError(permanent=...)`:
a permanent error (bad number, unknown mailbox) fails the message at once, a transient one is retried.
Which class serves a channel is configuration (`settings.MESSAGING_CHANNELS`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class OutgoingMessage:
    """What a channel needs to send; never an ORM object."""

    recipient: str
    subject: str
    body: str
    idempotency_key: str


@dataclass(frozen=True)
class DeliveryReceipt:
    provider_message_id: str = ""


class ChannelError(Exception):
    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


class ChannelTransport(Protocol):
    def send(self, message: OutgoingMessage) -> DeliveryReceipt: ...


def transport_for(channel: str) -> ChannelTransport:
    """Return the configured transport for a channel ("email", "sms", ...)."""
    try:
        path = settings.MESSAGING_CHANNELS[channel]
    except KeyError as exc:
        raise ChannelError(f"No transport is configured for channel {channel!r}", permanent=True) from exc
    return import_string(path)()

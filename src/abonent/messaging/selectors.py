"""Reads of messaging: a customer's message archive, notification preferences and consents."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from abonent.core.errors import NotFound
from abonent.messaging.models import Channel, ChannelPreference, Consent, OutboundMessage, Topic


def messages_for_customers(*, customer_ids: list[int]) -> QuerySet[OutboundMessage]:
    """Return every message sent to these customers, newest first."""
    return OutboundMessage.objects.filter(customer_id__in=customer_ids).order_by("-created_at", "-id")


# --- The cabinet's inbox, notification preferences and consents ---------------------------------

# Sign-in codes and debt notices are sent whatever the customer chose (the law requires proof of
# delivery of a debt notice); the customer chooses channels for everything else.
MANDATORY_TOPICS: tuple[str, ...] = (Topic.SECURITY, Topic.DEBT)
PREFERENCE_TOPICS: tuple[str, ...] = (
    Topic.BILLS,
    Topic.READINGS,
    Topic.OUTAGES,
    Topic.APPEALS,
    Topic.SERVICE,
    Topic.MARKETING,
)
# The cabinet keeps every message anyway, paper follows Customer.paper_bill, robot calls are for debts.
PREFERENCE_CHANNELS: tuple[str, ...] = (Channel.EMAIL, Channel.SMS, Channel.PUSH)


class MessageNotFound(NotFound):
    code = "message_not_found"
    default_message = _("Message not found.")


@dataclass(frozen=True, slots=True)
class ConsentText:
    """The wording of a consent as shown to the customer, and its version."""

    kind: str
    version: str
    text: str


def consent_text(*, kind: str) -> ConsentText:
    """Return the current wording of a consent in the active language."""
    if kind != Consent.Kind.MARKETING:
        raise ValueError(f"no text for consent kind {kind!r}")
    return ConsentText(
        kind=kind,
        version="marketing-2026-11",
        text=gettext(
            "I agree to receive offers and promotions of the company and its partners by e-mail, SMS and "
            "push notifications, and to the processing of my name and contacts for this purpose. "
            "I can revoke this consent at any time in the cabinet; bills, readings reminders and other "
            "service messages do not depend on it."
        ),
    )


def default_channel_choice(*, topic: str, channel: str) -> bool:
    """Return whether a topic goes to a channel when the customer has not chosen: all but advertising."""
    return topic != Topic.MARKETING


def consent_in_force(*, customer_id: int, kind: str) -> Consent | None:
    """Return the customer's consent of this kind that is not revoked, or None."""
    return Consent.objects.filter(customer_id=customer_id, kind=kind, revoked_at__isnull=True).first()


def channel_choices(*, customer_id: int) -> dict[tuple[str, str], bool]:
    """Return the customer's choice for every (topic, channel) the cabinet offers, defaults filled in."""
    choices = {
        (topic, channel): default_channel_choice(topic=topic, channel=channel)
        for topic in PREFERENCE_TOPICS
        for channel in PREFERENCE_CHANNELS
    }
    stored = ChannelPreference.objects.filter(customer_id=customer_id).values_list(
        "topic", "channel", "enabled"
    )
    for topic, channel, enabled in stored:
        if (topic, channel) in choices:
            choices[(topic, channel)] = enabled
    return choices


def may_send(*, customer_id: int, topic: str, channel: str) -> bool:
    """Return whether a message on this topic may go to the customer through this channel."""
    if topic in MANDATORY_TOPICS or channel in (Channel.CABINET, Channel.PAPER):
        return True
    if topic == Topic.MARKETING and not _has_marketing_consent(customer_id):
        return False  # advertising needs a consent in force, whatever the channel choices say
    stored = (
        ChannelPreference.objects.filter(customer_id=customer_id, topic=topic, channel=channel)
        .values_list("enabled", flat=True)
        .first()
    )
    return default_channel_choice(topic=topic, channel=channel) if stored is None else stored


def _has_marketing_consent(customer_id: int) -> bool:
    return consent_in_force(customer_id=customer_id, kind=Consent.Kind.MARKETING) is not None


def messages_for_login(*, user_id: int, customer_ids: list[int]) -> QuerySet[OutboundMessage]:
    """Return the messages sent to this login or to the customers it acts for, newest first."""
    return OutboundMessage.objects.filter(Q(customer_id__in=customer_ids) | Q(user_id=user_id)).order_by(
        "-created_at", "-id"
    )


def message_for_login(*, user_id: int, customer_ids: list[int], message_id: int) -> OutboundMessage:
    """Return one message the login may read; anyone else's message is "not found"."""
    message = messages_for_login(user_id=user_id, customer_ids=customer_ids).filter(pk=message_id).first()
    if message is None:
        raise MessageNotFound()
    return message


def unread_count(*, user_id: int, customer_ids: list[int]) -> int:
    """Return how many cabinet messages to this login or its customers are not read yet."""
    return (
        messages_for_login(user_id=user_id, customer_ids=customer_ids)
        .filter(channel=Channel.CABINET, read_at__isnull=True)
        .count()
    )


def filter_messages(
    *, messages: QuerySet[OutboundMessage], channel: str = "", topic: str = "", unread_only: bool = False
) -> QuerySet[OutboundMessage]:
    """Narrow a message archive by channel, topic and "not read yet" (cabinet messages)."""
    if channel:
        messages = messages.filter(channel=channel)
    if topic:
        messages = messages.filter(topic=topic)
    if unread_only:
        messages = messages.filter(channel=Channel.CABINET, read_at__isnull=True)
    return messages

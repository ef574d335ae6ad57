"""Reads of the outbox: a customer's message archive."""

from __future__ import annotations

from django.db.models import QuerySet

from abonent.messaging.models import OutboundMessage


def messages_for_customers(*, customer_ids: list[int]) -> QuerySet[OutboundMessage]:
    """Return every message sent to these customers, newest first."""
    return OutboundMessage.objects.filter(customer_id__in=customer_ids).order_by("-created_at", "-id")

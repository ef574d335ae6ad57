"""The outbox of two-way sync: changes billing must learn about, written in the changing transaction.

Services that change what billing keeps (contacts, readings, consents, paper-bill choice, new clients)
call `record_change` inside their own transaction; billing pulls the events through the integration
API (cursor = event id, at-least-once, acknowledged) or receives them as files on a schedule.
"""

from __future__ import annotations

import uuid
from typing import Any

from abonent.customers.models import SyncEvent


class Topic:
    CONTACT_CHANGED = "contact.changed"
    CONTACT_CONFIRMED = "contact.confirmed"
    PAPER_BILL_CHANGED = "paper_bill.changed"
    CONSENT_GIVEN = "consent.given"
    CONSENT_REVOKED = "consent.revoked"
    READING_SUBMITTED = "reading.submitted"
    CUSTOMER_CREATED = "customer.created"
    CUSTOMERS_MERGED = "customers.merged"


def record_change(
    *,
    topic: str,
    payload: dict[str, Any],
    customer_id: int | None = None,
    account_id: int | None = None,
    idempotency_key: str = "",
) -> None:
    """Append one event to the sync outbox in the caller's transaction; a repeated key adds nothing.

    One INSERT … ON CONFLICT DO NOTHING: no savepoint, so it costs the changing service one query.
    """
    key = idempotency_key or f"{topic}:{uuid.uuid4().hex}"
    event = SyncEvent(
        topic=topic, payload=payload, customer_id=customer_id, account_id=account_id, idempotency_key=key
    )
    SyncEvent.objects.bulk_create([event], ignore_conflicts=True)

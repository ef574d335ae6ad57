"""The outbox of two-way sync: changes billing must learn about, written in the changing transaction.

Services that change what billing keeps (contacts, readings, consents, paper-bill choice, new clients)
call `record_change` inside their own transaction; billing pulls the events through the integration
API (cursor = event id, at-least-once, acknowledged) or receives them as files on a schedule.
"""

from __future__ import annotations

import uuid
from functools import cache
from typing import Any

from django.db import connection
from django.utils import timezone

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

    One INSERT … ON CONFLICT DO NOTHING, written out rather than built by `bulk_create`: readings call
    this for every submission, and building the ORM statement cost as much as the reading's own insert.
    """
    key = idempotency_key or f"{topic}:{uuid.uuid4().hex}"
    ops = connection.ops
    with connection.cursor() as cursor:
        cursor.execute(
            _insert_statement(connection.vendor),
            [
                topic,
                customer_id,
                account_id,
                ops.adapt_json_value(payload, None),  # as the field (no encoder) would
                key,
                ops.adapt_datetimefield_value(timezone.now()),
            ],
        )


@cache
def _insert_statement(vendor: str) -> str:  # the vendor is part of the key: quoting is its own
    quote = connection.ops.quote_name
    columns = ("topic", "customer_id", "account_id", "payload", "idempotency_key", "created_at")
    return (
        f"INSERT INTO {quote(SyncEvent._meta.db_table)} ({', '.join(quote(c) for c in columns)})"  # noqa: S608
        f" VALUES ({', '.join(['%s'] * len(columns))}) ON CONFLICT ({quote('idempotency_key')}) DO NOTHING"
    )

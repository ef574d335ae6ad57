"""The outbox of two-way sync: changes billing must learn about, written in the changing transaction.

Services that change what billing keeps (contacts, readings, consents, paper-bill choice, new clients)
call `record_change` inside their own transaction; billing pulls the events through the integration
API (cursor = event id, at-least-once, acknowledged) or receives them as files on a schedule.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
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
    with connection.cursor() as cursor:
        cursor.execute(change_insert_sql(), [*Change(topic, payload, customer_id, account_id).params(), key])


# The key is the last column so that a writer may compute it in SQL from the row it has just written.
_COLUMNS = ("topic", "customer_id", "account_id", "payload", "created_at", "idempotency_key")


@dataclass(frozen=True)
class Change:
    """One outbox event but its idempotency key."""

    topic: str
    payload: dict[str, Any]
    customer_id: int | None = None
    account_id: int | None = None

    def params(self) -> list[Any]:
        """Return the values of the outbox row but its key, as the driver takes them."""
        ops = connection.ops
        return [
            self.topic,
            self.customer_id,
            self.account_id,
            ops.adapt_json_value(self.payload, None),  # as the field (no encoder) would
            ops.adapt_datetimefield_value(timezone.now()),
        ]


def change_insert_sql(*, key_sql: str = "%s", source: str = "") -> str:
    """Return the outbox INSERT … ON CONFLICT DO NOTHING taking `Change.params()` and then the key.

    `key_sql` and `source` let a statement that writes the changed row compute the key from it, so the
    change and its event go to the database in one statement (metering's reading submission does).
    """
    return _insert_statement(connection.vendor, key_sql, source)


@cache
def _insert_statement(vendor: str, key_sql: str, source: str) -> str:  # the vendor: quoting is its own
    quote = connection.ops.quote_name
    values = ", ".join(["%s"] * (len(_COLUMNS) - 1) + [key_sql])
    select = f"SELECT {values} FROM {source}" if source else f"VALUES ({values})"  # noqa: S608 - names only
    return (
        f"INSERT INTO {quote(SyncEvent._meta.db_table)} ({', '.join(quote(c) for c in _COLUMNS)}) {select}"
        f" ON CONFLICT ({quote('idempotency_key')}) DO NOTHING"
    )

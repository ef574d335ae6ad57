"""Background entry points of payments: thin, take ids, safe to retry."""

from __future__ import annotations

from django_tasks import task


@task()
def deliver_sandbox_events_task(sandbox_payment_id: str, after_timeout: bool = False) -> int:
    """Deliver the sandbox gateway's notifications of one payment to the shop's webhook endpoint."""
    from abonent.payments.gateways.sandbox import deliver_events

    return deliver_events(payment_id=sandbox_payment_id, after_timeout=after_timeout)

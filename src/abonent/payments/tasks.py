"""Background entry points of payments: thin, take ids, safe to retry."""

from __future__ import annotations

from django_tasks import task


@task()
def deliver_sandbox_events_task(sandbox_payment_id: str, after_timeout: bool = False) -> int:
    """Deliver the sandbox gateway's notifications of one payment to the shop's webhook endpoint."""
    from abonent.payments.gateways.sandbox import deliver_events

    return deliver_events(payment_id=sandbox_payment_id, after_timeout=after_timeout)


@task()
def run_autopay_task() -> dict[str, int]:
    """Send today's autopay notices and make today's autopay charges (daily; safe to run twice)."""
    from abonent.payments.services.autopay import run_autopay

    summary = run_autopay()
    return {
        "noticed": summary.noticed,
        "charged": summary.charged,
        "skipped": summary.skipped,
        "failed": summary.failed,
    }


@task()
def reconcile_yesterday_task() -> list[int]:
    """Reconcile yesterday's payments of every configured gateway (daily; a rerun replaces the report)."""
    from datetime import timedelta

    from django.conf import settings
    from django.utils import timezone

    from abonent.payments.services.reconciliation import reconcile_day

    day = timezone.localdate() - timedelta(days=1)
    return [reconcile_day(gateway_name=name, day=day).pk for name in settings.PAYMENTS_RECONCILED_GATEWAYS]

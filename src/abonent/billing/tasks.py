"""Background entry points of billing: thin, take ids, safe to retry."""

from __future__ import annotations

from django_tasks import task

from abonent.billing.services.charge_run import charge_chunk


@task()
def charge_chunk_task(chunk_id: int) -> int:
    """Charge one chunk of a charge run; return the accounts charged (0: already done by another worker)."""
    outcome = charge_chunk(chunk_id=chunk_id)
    return outcome.accounts if outcome else 0

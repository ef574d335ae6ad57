"""Background entry points of messaging: thin, take ids, idempotent."""

from __future__ import annotations

from django_tasks import task

from abonent.messaging.services import deliver_message


@task()
def deliver_message_task(message_id: int) -> str:
    return deliver_message(message_id=message_id).status

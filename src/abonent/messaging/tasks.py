"""Background entry points of messaging: thin, take ids, idempotent."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Q
from django.utils import timezone
from django_tasks import task

from abonent.messaging.models import OutboundMessage
from abonent.messaging.services import SENDING_LEASE, deliver_message

# A queued message younger than this is still on its way through the normal on-commit enqueue.
REDELIVERY_GRACE = timedelta(minutes=1)


@task()
def deliver_message_task(message_id: int) -> str:
    return deliver_message(message_id=message_id).status


@task()
def redeliver_queued_messages_task() -> int:
    """Deliver messages left queued (transient errors, inline backends) or stuck with a dead worker."""
    now = timezone.now()
    due = OutboundMessage.objects.filter(
        Q(status=OutboundMessage.Status.QUEUED, created_at__lt=now - REDELIVERY_GRACE)
        | Q(status=OutboundMessage.Status.SENDING, sent_at__lt=now - SENDING_LEASE)
    )
    due_ids = list(due.values_list("pk", flat=True)[:1000])
    for message_id in due_ids:
        deliver_message(message_id=message_id)
    return len(due_ids)

"""Write the audit log: every staff read or change of personal data passes through here."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.http import HttpRequest

from abonent.core.models import AuditEvent


def record_audit_event(
    *,
    actor: Any,
    action: str,
    target: models.Model,
    reason: str = "",
    changes: dict[str, Any] | None = None,
    personal_data: bool = False,
    request: HttpRequest | None = None,
) -> AuditEvent:
    """Append one event to the audit log and return it."""
    is_user = getattr(actor, "is_authenticated", False)
    return AuditEvent.objects.create(
        actor=actor if is_user else None,
        actor_label=actor.get_username() if is_user else str(actor or "system"),
        action=action,
        object_type=target._meta.label,
        object_id=str(target.pk),
        # A personal-data object is named by its kind and id only: the log must not become a copy of the data.
        object_label=f"{target._meta.verbose_name} #{target.pk}" if personal_data else str(target)[:300],
        reason=reason[:500],
        changes=changes or {},
        personal_data=personal_data,
        ip_address=request.META.get("REMOTE_ADDR") if request else None,
    )

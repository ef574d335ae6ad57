"""Reads of integration data shaped for the console and the API; access is decided here."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from abonent.integration.models import ImportRun, QuarantinedRow, SourceSystem

STALL = timedelta(minutes=10)


def can_administer_integration(user: Any) -> bool:
    """Only integration admins (the permission) and superusers see imports and duplicate reviews."""
    return bool(
        getattr(user, "is_authenticated", False)
        and user.is_active
        and user.is_staff
        and (user.is_superuser or user.has_perm("integration.administer_integration"))
    )


def recent_runs(*, limit: int = 50) -> QuerySet[ImportRun]:
    return ImportRun.objects.select_related("profile__source").order_by("-created_at")[:limit]


def runs_needing_attention() -> QuerySet[ImportRun]:
    return ImportRun.objects.filter(
        status__in=[ImportRun.Status.FAILED, ImportRun.Status.SUSPICIOUS]
    ).select_related("profile__source")


def stalled_runs() -> QuerySet[ImportRun]:
    return ImportRun.objects.filter(status=ImportRun.Status.RUNNING, heartbeat_at__lt=timezone.now() - STALL)


def open_quarantine(*, run: ImportRun) -> QuerySet[QuarantinedRow]:
    return run.quarantine.filter(status=QuarantinedRow.Status.OPEN).order_by("row")


def active_sources() -> QuerySet[SourceSystem]:
    return SourceSystem.objects.filter(is_active=True).prefetch_related("profiles")

"""Writes of the identity app: API tokens (and, later, registration and access sharing)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from abonent.core.audit import record_audit_event
from abonent.core.models import AuditEvent
from abonent.identity.models import ApiToken, User


def hash_token(raw_token: str) -> str:
    return hashlib.sha256(raw_token.encode()).hexdigest()


@transaction.atomic
def issue_api_token(
    *, user: User, name: str, scopes: list[str], expires_at: datetime | None = None, issued_by: User | None = None
) -> tuple[ApiToken, str]:
    """Create a token and return it with its raw value, which is shown once and never stored."""
    raw = settings.API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name, scopes=scopes, expires_at=expires_at, prefix=raw[:10], token_hash=hash_token(raw)
    )
    record_audit_event(actor=issued_by or "system", action=AuditEvent.Action.CREATE, target=token, reason="API token issued")
    return token, raw


def authenticate_api_token(*, raw_token: str) -> ApiToken | None:
    """Return the live token matching the raw value and mark it used, or None."""
    token = (
        ApiToken.objects.select_related("user")
        .filter(token_hash=hash_token(raw_token), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    now = timezone.now()
    if token is None or (token.expires_at is not None and token.expires_at <= now):
        return None
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token

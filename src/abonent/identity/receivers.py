"""Receivers of Django's own auth signals (the one way to see sign-ins made by Django's views, e.g. admin).

Our domain logic is called explicitly; this module only adapts Django's `user_logged_in` to the
identity service that lists a login's sessions.
"""

from __future__ import annotations

import time
from typing import Any

from django.db import transaction
from django.http import HttpRequest

from abonent.identity.backends import forget_cached_user
from abonent.identity.middleware import SEEN_KEY
from abonent.identity.models import User
from abonent.identity.services.sessions import record_session


def track_signed_in_session(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    """List the new session among the login's sessions (every sign-in path calls auth.login)."""
    session = getattr(request, "session", None)
    if request is None or session is None or not session.session_key:
        return
    record_session(
        user=user,
        session_key=session.session_key,
        user_agent=request.headers.get("user-agent", ""),
        ip_address=request.META.get("REMOTE_ADDR"),
    )
    session[SEEN_KEY] = (session.session_key, time.time())


def forget_changed_user(sender: Any, instance: User, **kwargs: Any) -> None:
    """Drop the cached copy of a saved or deleted login (backends.PhoneOrEmailBackend.get_user).

    Now, and again after commit: a request may load and cache the old row while the change is not yet
    committed; a password change must end other sessions at once, not when the copy expires.
    """
    user_id = instance.pk
    forget_cached_user(user_id)
    transaction.on_commit(lambda: forget_cached_user(user_id))

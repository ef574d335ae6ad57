"""Receivers of Django's own auth signals (the one way to see sign-ins made by Django's views, e.g. admin).

Our domain logic is called explicitly; this module only adapts Django's `user_logged_in` to the
identity service that lists a login's sessions.
"""

from __future__ import annotations

import time
from typing import Any

from django.http import HttpRequest

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

"""Keep the list of a login's sessions current: one write per session every few minutes at most."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from abonent.identity.services.sessions import record_session

SEEN_KEY = "_abonent_seen"


class SessionTrackingMiddleware:
    """Record the signed-in session (browser, address, last seen) so "sign out everywhere" can find it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        session = getattr(request, "session", None)
        if user is not None and user.is_authenticated and session is not None and session.session_key:
            now = time.time()
            # The marker names the session key too: a key cycled at sign-in is recorded at once.
            seen_key, seen_at = session.get(SEEN_KEY) or ("", 0.0)
            if seen_key != session.session_key or now - seen_at >= settings.IDENTITY_SESSION_TOUCH_SECONDS:
                record_session(
                    user=user,
                    session_key=session.session_key,
                    user_agent=request.headers.get("user-agent", ""),
                    ip_address=request.META.get("REMOTE_ADDR"),
                )
                session[SEEN_KEY] = (session.session_key, now)
        return self.get_response(request)

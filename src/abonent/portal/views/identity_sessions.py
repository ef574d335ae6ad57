"""The login's signed-in devices: see them, sign one out, or sign out everywhere else."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from abonent.identity.errors import SessionNotFound
from abonent.identity.selectors import live_sessions, session_of_user
from abonent.identity.services.sessions import end_other_sessions, end_session

# Enough to tell "Chrome on Android" from "Safari on iPhone"; the raw string is shown too.
_BROWSERS = [("Edg", "Edge"), ("YaBrowser", "Yandex Browser"), ("OPR", "Opera"), ("Firefox", "Firefox"),
             ("Chrome", "Chrome"), ("Safari", "Safari")]  # fmt: skip
_SYSTEMS = [("Android", "Android"), ("iPhone", "iPhone"), ("iPad", "iPad"), ("Windows", "Windows"),
            ("Mac OS X", "macOS"), ("Linux", "Linux")]  # fmt: skip


def describe_device(user_agent: str) -> str:
    """Return e.g. "Chrome, Android" for a browser's user agent string."""
    browser = next((name for token, name in _BROWSERS if f"{token}/" in user_agent), "")
    system = next((name for token, name in _SYSTEMS if token in user_agent), "")
    return ", ".join(part for part in (browser, system) if part) or _("Unknown device")


@login_required
def sessions(request: HttpRequest) -> HttpResponse:
    current_key = request.session.session_key
    if request.method == "POST":
        return _end(request, current_key)
    rows = [
        {
            "session": session,
            "device": describe_device(session.user_agent),
            "current": session.session_key == current_key,
        }
        for session in live_sessions(user=request.user)  # type: ignore[arg-type]  # login_required: a User
    ]
    return render(request, "portal/identity/sessions.html", {"rows": rows})


def _end(request: HttpRequest, current_key: str | None) -> HttpResponse:
    if request.POST.get("action") == "end_others":
        count = end_other_sessions(user=request.user, keep_session_key=current_key)  # type: ignore[arg-type]
        messages.success(
            request,
            ngettext("%(count)d other session signed out.", "%(count)d other sessions signed out.", count)
            % {"count": count},
        )
        return redirect("identity:sessions")
    try:
        session = session_of_user(user=request.user, session_id=int(request.POST.get("session", 0)))  # type: ignore[arg-type]
    except (SessionNotFound, ValueError):
        messages.error(request, _("This session has already ended."))
        return redirect("identity:sessions")
    end_session(user_session=session)
    if session.session_key == current_key:
        logout(request)
        return redirect("home")
    messages.success(request, _("The session is signed out."))
    return redirect("identity:sessions")

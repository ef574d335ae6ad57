"""Signed-in sessions of a login: recorded, kept fresh, ended one by one or everywhere."""

from __future__ import annotations

from importlib import import_module

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.utils import timezone

from abonent.identity.models import User, UserSession

USER_AGENT_LENGTH = 300


def record_session(*, user: User, session_key: str, user_agent: str, ip_address: str | None) -> UserSession:
    """Remember (or refresh) the session with the browser and address it came from."""
    now = timezone.now()
    session, _ = UserSession.objects.update_or_create(
        session_key=session_key,
        defaults={
            "user": user,
            "user_agent": user_agent[:USER_AGENT_LENGTH],
            "ip_address": ip_address or None,
            "last_seen_at": now,
            "ended_at": None,
        },
        create_defaults={
            "user": user,
            "user_agent": user_agent[:USER_AGENT_LENGTH],
            "ip_address": ip_address or None,
            "created_at": now,
            "last_seen_at": now,
        },
    )
    return session


def end_session(*, user_session: UserSession) -> None:
    """Sign the session out: its cookie stops working at once."""
    _session_store(user_session.session_key).delete()
    UserSession.objects.filter(pk=user_session.pk, ended_at__isnull=True).update(ended_at=timezone.now())


def mark_session_ended(*, session_key: str) -> None:
    """Record that the session was signed out by its own user."""
    UserSession.objects.filter(session_key=session_key, ended_at__isnull=True).update(ended_at=timezone.now())


def end_other_sessions(*, user: User, keep_session_key: str | None) -> int:
    """Sign out every session of the login except the given one; return how many were ended."""
    sessions = UserSession.objects.filter(user=user, ended_at__isnull=True)
    if keep_session_key:
        sessions = sessions.exclude(session_key=keep_session_key)
    ended = 0
    for user_session in sessions:
        end_session(user_session=user_session)
        ended += 1
    return ended


def _session_store(session_key: str) -> SessionBase:
    engine = import_module(settings.SESSION_ENGINE)
    return engine.SessionStore(session_key)

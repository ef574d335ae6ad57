"""Signing in by a one-time code, resetting a password by code, confirming a contact."""

from __future__ import annotations

from django.db import transaction

from abonent.core.audit import record_audit_event
from abonent.core.models import AuditEvent
from abonent.identity.errors import ChallengeNotFound
from abonent.identity.models import OneTimeCode, User
from abonent.identity.services.codes import (
    Contact,
    mark_contact_confirmed,
    send_one_time_code,
    user_for_contact,
    verify_one_time_code,
)
from abonent.identity.services.sessions import end_other_sessions

Purpose = OneTimeCode.Purpose


def start_code_sign_in(*, contact: Contact) -> OneTimeCode:
    """Send a sign-in code if the contact is an active login; otherwise make a challenge nobody receives."""
    return _start(Purpose.LOGIN, contact)


def complete_code_sign_in(*, token: str, code: str) -> User:
    """Return the login the code was sent to, once the code is right."""
    challenge = verify_one_time_code(token=token, purpose=Purpose.LOGIN, code=code)
    user = _holder(challenge)
    mark_contact_confirmed(user=user, contact=Contact(challenge.channel, challenge.recipient))
    return user


def start_password_reset(*, contact: Contact) -> OneTimeCode:
    """Send a code to set a new password (the same answer whether or not the login exists)."""
    return _start(Purpose.PASSWORD_RESET, contact)


def complete_password_reset(*, token: str, code: str, new_password: str) -> User:
    """Set the new password after a right code and sign the login out everywhere."""
    challenge = verify_one_time_code(token=token, purpose=Purpose.PASSWORD_RESET, code=code)
    user = _holder(challenge)
    with transaction.atomic():
        user.set_password(new_password)
        user.save(update_fields=["password"])
        record_audit_event(
            actor=user, action=AuditEvent.Action.UPDATE, target=user, reason="password reset by code"
        )
    end_other_sessions(user=user, keep_session_key=None)
    mark_contact_confirmed(user=user, contact=Contact(challenge.channel, challenge.recipient))
    return user


def start_contact_confirmation(*, user: User, contact: Contact) -> OneTimeCode:
    """Send a code to the login's own phone or e-mail to confirm it."""
    return send_one_time_code(purpose=Purpose.CONFIRM_CONTACT, contact=contact, user=user)


def complete_contact_confirmation(*, user: User, token: str, code: str) -> None:
    """Record the contact as confirmed after a right code (only the login's own challenge counts)."""
    if not OneTimeCode.objects.filter(token=token, user=user).exists():
        raise ChallengeNotFound()
    challenge = verify_one_time_code(token=token, purpose=Purpose.CONFIRM_CONTACT, code=code)
    mark_contact_confirmed(user=user, contact=Contact(challenge.channel, challenge.recipient))


def _start(purpose: str, contact: Contact) -> OneTimeCode:
    user = user_for_contact(contact)
    known = user is not None and user.is_active
    return send_one_time_code(purpose=purpose, contact=contact, user=user if known else None, deliver=known)


def _holder(challenge: OneTimeCode) -> User:
    user = challenge.user
    if user is None or not user.is_active:
        raise ChallengeNotFound()
    return user

"""One-time codes: 6 digits by SMS or e-mail, kept as a keyed hash, short-lived, few attempts, throttled."""

from __future__ import annotations

import math
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from abonent.core.normalize import normalize_email, normalize_phone
from abonent.identity.backends import forget_cached_user
from abonent.identity.errors import (
    ChallengeNotFound,
    CodeAttemptsExhausted,
    CodeExpired,
    CodeInvalid,
    CodeThrottled,
    ContactRequired,
)
from abonent.identity.models import OneTimeCode, User
from abonent.identity.shortcodes import keyed_hash, matches, new_digit_code, normalize_digit_code
from abonent.messaging.models import Topic
from abonent.messaging.services import queue_message

Purpose = OneTimeCode.Purpose


@dataclass(frozen=True)
class Contact:
    """Where a code goes: a phone (by SMS) or a mailbox, in canonical spelling."""

    channel: str
    recipient: str

    @property
    def is_phone(self) -> bool:
        return self.channel == OneTimeCode.Channel.SMS


def parse_contact(raw: str) -> Contact:
    """Return the phone or e-mail the person typed, or raise ContactRequired."""
    raw = (raw or "").strip()
    if "@" in raw:
        email = normalize_email(raw)
        try:
            validate_email(email)
        except ValidationError as exc:
            raise ContactRequired() from exc
        return Contact(OneTimeCode.Channel.EMAIL, email)
    phone = normalize_phone(raw)
    if not phone:
        raise ContactRequired()
    return Contact(OneTimeCode.Channel.SMS, phone)


def user_for_contact(contact: Contact) -> User | None:
    """Return the login whose phone or e-mail this is, or None."""
    if contact.is_phone:
        return User.objects.filter(phone=contact.recipient).first()
    return User.objects.filter(email__iexact=contact.recipient).first()


def send_one_time_code(
    *,
    purpose: str,
    contact: Contact,
    user: User | None = None,
    payload: dict[str, Any] | None = None,
    deliver: bool = True,
) -> OneTimeCode:
    """Create a code for the contact, replace its earlier ones and queue the message.

    `deliver=False` makes a challenge that is never sent (for a login that does not exist), so the
    answer looks the same whether or not the phone is registered. Raises CodeThrottled when the last
    code for this contact and purpose went out less than IDENTITY_CODE_RESEND_SECONDS ago.
    """
    _claim_resend_slot(purpose, contact.recipient)
    raw = new_digit_code()
    now = timezone.now()
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        OneTimeCode.objects.filter(
            purpose=purpose, recipient=contact.recipient, used_at__isnull=True, replaced_at__isnull=True
        ).update(replaced_at=now)
        code = OneTimeCode.objects.create(
            token=token,
            purpose=purpose,
            channel=contact.channel,
            recipient=contact.recipient,
            user=user,
            code_hash=keyed_hash("one-time-code", f"{token}:{raw}"),
            payload=payload or {},
            created_at=now,
            expires_at=now + timedelta(seconds=settings.IDENTITY_CODE_TTL_SECONDS),
            max_attempts=settings.IDENTITY_CODE_ATTEMPTS,
        )
        if deliver:
            _queue_code_message(code, raw)
    return code


def resend_wait_seconds(*, purpose: str, recipient: str) -> int:
    """Return how many seconds are left before another code may go to this recipient (0: now)."""
    until = cache.get(_resend_key(purpose, recipient))
    return max(0, math.ceil(until - time.time())) if until else 0


def verify_one_time_code(*, token: str, purpose: str, code: str) -> OneTimeCode:
    """Check a code and use it up; every wrong try counts, even when the caller's work later fails.

    Call it outside an enclosing transaction: a counted attempt must not be rolled back.
    """
    challenge = OneTimeCode.objects.select_related("user").filter(token=token, purpose=purpose).first()
    if challenge is None:
        raise ChallengeNotFound()
    now = timezone.now()
    if challenge.used_at or challenge.replaced_at or challenge.expires_at <= now:
        raise CodeExpired()
    # Count the attempt first, with a conditional UPDATE: parallel guesses cannot exceed the limit.
    counted = OneTimeCode.objects.filter(
        pk=challenge.pk, used_at__isnull=True, attempts__lt=F("max_attempts")
    ).update(attempts=F("attempts") + 1)
    if not counted:
        raise CodeAttemptsExhausted()
    challenge.refresh_from_db(fields=["attempts"])
    if not matches("one-time-code", f"{challenge.token}:{normalize_digit_code(code)}", challenge.code_hash):
        if challenge.attempts_left == 0:
            raise CodeAttemptsExhausted()
        raise CodeInvalid(attempts_left=challenge.attempts_left)
    if not OneTimeCode.objects.filter(pk=challenge.pk, used_at__isnull=True).update(used_at=now):
        raise CodeExpired()
    challenge.used_at = now
    return challenge


def mark_contact_confirmed(*, user: User, contact: Contact) -> None:
    """Record that the login proved it holds this phone or mailbox (now)."""
    field = "phone_confirmed_at" if contact.is_phone else "email_confirmed_at"
    own = user.phone == contact.recipient if contact.is_phone else user.email.lower() == contact.recipient
    if own:
        now = timezone.now()
        User.objects.filter(pk=user.pk).update(**{field: now})
        forget_cached_user(user.pk)  # an update sends no post_save
        setattr(user, field, now)


def _claim_resend_slot(purpose: str, recipient: str) -> None:
    # cache.add is atomic: of two parallel requests exactly one gets the slot.
    interval = settings.IDENTITY_CODE_RESEND_SECONDS
    if not cache.add(_resend_key(purpose, recipient), time.time() + interval, timeout=interval):
        raise CodeThrottled(retry_after=max(1, resend_wait_seconds(purpose=purpose, recipient=recipient)))


def _resend_key(purpose: str, recipient: str) -> str:
    return f"identity:resend:{purpose}:{keyed_hash('resend', recipient)[:32]}"


def _queue_code_message(code: OneTimeCode, raw: str) -> None:
    minutes = settings.IDENTITY_CODE_TTL_SECONDS // 60
    texts = {
        Purpose.REGISTRATION: _("%(product)s: code %(code)s to register. Valid for %(minutes)d min."),
        Purpose.LOGIN: _("%(product)s: code %(code)s to sign in. Valid for %(minutes)d min."),
        Purpose.PASSWORD_RESET: _(
            "%(product)s: code %(code)s to set a new password. Valid for %(minutes)d min."
        ),
        Purpose.INVITATION: _(
            "%(product)s: code %(code)s to accept the invitation. Valid for %(minutes)d min."
        ),
        Purpose.CONFIRM_CONTACT: _(
            "%(product)s: code %(code)s to confirm your contact. Valid for %(minutes)d min."
        ),
    }
    warning = _("Do not tell it to anyone, our staff never ask for it.")
    params = {"product": settings.ABONENT_PRODUCT_NAME, "code": raw, "minutes": minutes}
    queue_message(
        channel=code.channel,
        topic=Topic.SECURITY,
        recipient=code.recipient,
        subject=_("Your code: %(code)s") % {"code": raw},
        body=f"{texts[Purpose(code.purpose)] % params} {warning}",
        idempotency_key=f"otp:{code.token}",
        user_id=code.user_id,
    )


def resend_one_time_code(*, token: str) -> OneTimeCode:
    """Send a new code for the same request (same contact, purpose and payload); a blind one stays blind."""
    earlier = OneTimeCode.objects.select_related("user").filter(token=token).first()
    if earlier is None:
        raise ChallengeNotFound()
    blind = earlier.user is None and earlier.purpose in (Purpose.LOGIN, Purpose.PASSWORD_RESET)
    return send_one_time_code(
        purpose=earlier.purpose,
        contact=Contact(earlier.channel, earlier.recipient),
        user=earlier.user,
        payload=earlier.payload,
        deliver=not blind,
    )

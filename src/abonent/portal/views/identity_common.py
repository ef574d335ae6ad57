"""What the identity pages share: signing in, the code challenge kept in the session, errors to HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.contrib.auth import login
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest
from django.utils.html import format_html

from abonent.core.errors import NotFound, PermissionDenied
from abonent.core.normalize import mask_phone
from abonent.identity.models import OneTimeCode, User
from abonent.identity.selectors import mask_email
from abonent.identity.services.codes import resend_wait_seconds

BACKEND = "abonent.identity.backends.PhoneOrEmailBackend"
CHALLENGE_KEY = "identity_challenge"


def sign_in(request: HttpRequest, user: User) -> None:
    """Start a session for the user; identity lists it among the user's sessions (user_logged_in)."""
    login(request, user, backend=BACKEND)


def remember_challenge(request: HttpRequest, flow: str, challenge: OneTimeCode) -> None:
    """Keep the code request of this flow in the session (only its public id and the contact)."""
    request.session[CHALLENGE_KEY] = {
        "flow": flow,
        "token": challenge.token,
        "purpose": challenge.purpose,
        "channel": challenge.channel,
        "recipient": challenge.recipient,
    }


def current_challenge(request: HttpRequest, flow: str) -> dict[str, str] | None:
    challenge = request.session.get(CHALLENGE_KEY)
    return challenge if challenge and challenge.get("flow") == flow else None


def forget_challenge(request: HttpRequest) -> None:
    request.session.pop(CHALLENGE_KEY, None)


def challenge_context(challenge: dict[str, str]) -> dict[str, object]:
    """Return what the code page shows: where the code went and when another can be sent."""
    recipient = challenge["recipient"]
    is_phone = challenge["channel"] == OneTimeCode.Channel.SMS
    return {
        # Kept on one line: "+7 (912) ***-**-01" broken after "***-" reads as two numbers on a phone.
        "recipient_masked": format_html(
            '<span class="nowrap">{}</span>', mask_phone(recipient) if is_phone else mask_email(recipient)
        ),
        "by_sms": is_phone,
        "resend_after": resend_wait_seconds(purpose=challenge["purpose"], recipient=recipient),
        "ttl_minutes": settings.IDENTITY_CODE_TTL_SECONDS // 60,
        "max_attempts": settings.IDENTITY_CODE_ATTEMPTS,
        "resend_seconds": settings.IDENTITY_CODE_RESEND_SECONDS,
    }


@contextmanager
def domain_errors_as_http() -> Iterator[None]:
    """Turn "not found" into 404 and "not allowed" into 403 (foreign objects never say "forbidden")."""
    try:
        yield
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except PermissionDenied as exc:
        raise DjangoPermissionDenied(exc.message) from exc

"""Domain errors of identity: each says exactly what went wrong, in words a customer understands."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from abonent.core.errors import DomainError, NotFound, PermissionDenied


class IdentityError(DomainError):
    code = "identity_error"


class CodeInvalid(IdentityError):
    code = "code_invalid"

    def __init__(self, *, attempts_left: int) -> None:
        message = ngettext(
            "The code is wrong. %(count)d attempt left.",
            "The code is wrong. %(count)d attempts left.",
            attempts_left,
        ) % {"count": attempts_left}
        super().__init__(message, attempts_left=attempts_left)
        self.attempts_left = attempts_left


class CodeExpired(IdentityError):
    code = "code_expired"
    default_message = _("The code has expired. Ask for a new one.")


class CodeAttemptsExhausted(IdentityError):
    code = "code_attempts_exhausted"
    default_message = _("Too many wrong codes. Ask for a new code.")


class CodeThrottled(IdentityError):
    code = "code_throttled"

    def __init__(self, *, retry_after: int) -> None:
        message = ngettext(
            "A new code can be sent in %(count)d second.",
            "A new code can be sent in %(count)d seconds.",
            retry_after,
        ) % {"count": retry_after}
        super().__init__(message, retry_after=retry_after)
        self.retry_after = retry_after


class RateLimited(IdentityError):
    code = "rate_limited"

    def __init__(self, *, retry_after: int) -> None:
        minutes = max(1, (retry_after + 59) // 60)
        message = ngettext(
            "Too many attempts. Try again in %(count)d minute.",
            "Too many attempts. Try again in %(count)d minutes.",
            minutes,
        ) % {"count": minutes}
        super().__init__(message, retry_after=retry_after)
        self.retry_after = retry_after


class ChallengeNotFound(NotFound):
    code = "challenge_not_found"
    default_message = _("This code request is no longer valid. Start again.")


class RegistrationRejected(IdentityError):
    """The account number and the proof do not match; which part is wrong is not told on purpose."""

    code = "registration_rejected"
    default_message = _(
        "The account number or the registration code is wrong. Check both against your latest bill."
    )


class MeterCheckFailed(IdentityError):
    code = "meter_check_failed"
    default_message = _(
        "The account number, the meter number or the payment amount do not match our records."
    )


class VerificationUnavailable(IdentityError):
    code = "verification_unavailable"
    default_message = _("Registration without the bill code is not available. Use the code from your bill.")


class AccountAlreadyRegistered(IdentityError):
    code = "account_already_registered"
    default_message = _(
        "This account already has an owner in the cabinet."
        " Ask them to invite you, or call the contact center."
    )


class InvitationInvalid(IdentityError):
    code = "invitation_invalid"
    default_message = _("The invitation is wrong, expired, already used or withdrawn. Ask for a new one.")


class AlreadyHasAccess(IdentityError):
    code = "already_has_access"
    default_message = _("You already have access to this account.")


class RepresentativeNeedsPeriod(IdentityError):
    code = "representative_needs_period"
    default_message = _(
        "A representative acts by a power of attorney: enter its number, date and the date it ends."
    )


class PeriodInThePast(IdentityError):
    code = "period_in_the_past"
    default_message = _("The end date must be today or later.")


class LastOwner(PermissionDenied):
    code = "last_owner"
    default_message = _("The last owner cannot be removed. Call the contact center to change the owner.")


class AccessNotFound(NotFound):
    code = "access_not_found"
    default_message = _("Access not found.")


class SessionNotFound(NotFound):
    code = "session_not_found"
    default_message = _("Session not found.")


class ContactRequired(IdentityError):
    code = "contact_required"
    default_message = _("Enter a mobile phone number (+7 …) or an e-mail address.")

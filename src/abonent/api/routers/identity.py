"""API operations of the identity area: my accesses, sharing an account, one-time codes."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Literal

from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from ninja import Router, Schema, Status

from abonent.api.errors import ErrorOut
from abonent.core.normalize import mask_phone
from abonent.identity.errors import CodeThrottled, InvitationInvalid, RateLimited
from abonent.identity.models import AccountAccess, OneTimeCode, User
from abonent.identity.ratelimits import enforce_rate_limit
from abonent.identity.selectors import (
    AccountAction,
    access_for_revocation,
    accesses_on_account,
    account_for_action,
    invitation_by_code,
    invitation_by_token,
    mask_email,
    my_accesses,
    person_label,
)
from abonent.identity.services import issue_api_token
from abonent.identity.services.codes import Contact, parse_contact, resend_wait_seconds
from abonent.identity.services.sharing import accept_invitation, invite_to_account, revoke_access
from abonent.identity.services.signin import (
    complete_code_sign_in,
    complete_contact_confirmation,
    start_code_sign_in,
    start_contact_confirmation,
)

router = Router(tags=["identity"])

SIGN_IN_TOKEN_DAYS = 30
RoleName = Literal["owner", "tenant", "representative", "viewer"]


class AccessOut(Schema):
    id: int
    account_id: int
    account_number: str
    role: str
    valid_from: date
    valid_until: date | None

    @staticmethod
    def resolve_account_number(obj: AccountAccess) -> str:
        return obj.account.number


class PersonOut(Schema):
    access_id: int
    person: str
    role: str
    valid_until: date | None
    is_me: bool


class InviteIn(Schema):
    role: RoleName
    name: str = ""
    valid_until: date | None = None
    poa_number: str = ""
    poa_date: date | None = None


class InvitationOut(Schema):
    invitation_id: int
    code: str
    link: str
    expires_at: datetime


class AcceptIn(Schema):
    code: str = ""
    token: str = ""


class SignInCodeIn(Schema):
    contact: str


class ContactCodeIn(Schema):
    channel: Literal["sms", "email"]


class ChallengeOut(Schema):
    challenge_id: str
    channel: str
    recipient: str
    expires_at: datetime
    resend_after: int


class ConfirmIn(Schema):
    challenge_id: str
    code: str


class TokenOut(Schema):
    token: str
    expires_at: datetime


class ConfirmedOut(Schema):
    confirmed: bool


@router.get("/accesses", response=list[AccessOut], url_name="my_accesses", summary="My access to accounts")
def list_my_accesses(request: HttpRequest) -> list[AccountAccess]:
    return list(my_accesses(user=request.user))  # type: ignore[arg-type]  # authenticated: a User


@router.get(
    "/accounts/{account_id}/accesses",
    response=list[PersonOut],
    url_name="account_accesses",
    summary="Who has access to an account (owners only; phones masked)",
)
def list_account_accesses(request: HttpRequest, account_id: int) -> list[dict[str, object]]:
    _account, accesses = accesses_on_account(user=request.user, account_id=account_id)  # type: ignore[arg-type]
    return [
        {
            "access_id": access.pk,
            "person": person_label(access.user),
            "role": access.role,
            "valid_until": access.valid_until,
            "is_me": access.user_id == request.user.pk,
        }
        for access in accesses
    ]


@router.post(
    "/accounts/{account_id}/invitations",
    response={201: InvitationOut},
    url_name="invite",
    summary="Invite someone to an account (the code and link are shown once)",
)
def invite(request: HttpRequest, account_id: int, payload: InviteIn) -> Status[object]:
    user: User = request.user  # type: ignore[assignment]  # authenticated: a User
    account = account_for_action(user=user, account_id=account_id, action=AccountAction.MANAGE_ACCESS)
    issued = invite_to_account(account=account, invited_by=user, **payload.model_dump())
    link = request.build_absolute_uri(reverse("identity:invite_accept") + f"?t={issued.token}")
    body = {
        "invitation_id": issued.invitation.pk,
        "code": issued.code,
        "link": link,
        "expires_at": issued.invitation.expires_at,
    }
    return Status(201, body)


@router.post(
    "/invitations/accept",
    response={200: AccessOut, 429: ErrorOut},
    url_name="accept_invitation",
    summary="Accept an invitation by its code or link token",
)
def accept(request: HttpRequest, payload: AcceptIn) -> Status[object]:
    try:
        enforce_rate_limit(request, scope="invitation_ip")
    except RateLimited as exc:
        return Status(429, {"code": exc.code, "detail": exc.message})
    if request.user.is_staff:
        raise InvitationInvalid()
    if payload.token:
        invitation = invitation_by_token(token=payload.token)
    else:
        invitation = invitation_by_code(code=payload.code)
    access = accept_invitation(invitation=invitation, user=request.user)  # type: ignore[arg-type]
    return Status(200, access)


class RevokeIn(Schema):
    access_id: int


@router.post(
    "/accounts/{account_id}/accesses/revoke",
    response={204: None},
    url_name="revoke_access",
    summary="End an access on the account: your own, or anyone's if you own the account",
)
def revoke(request: HttpRequest, account_id: int, payload: RevokeIn) -> Status[object]:
    access = access_for_revocation(
        user=request.user,  # type: ignore[arg-type]  # authenticated: a User
        account_id=account_id,
        access_id=payload.access_id,
    )
    revoke_access(access=access, revoked_by=request.user)  # type: ignore[arg-type]
    return Status(204, None)


@router.post(
    "/codes/sign-in",
    auth=None,
    response={200: ChallengeOut, 429: ErrorOut},
    url_name="sign_in_code",
    summary="Send a sign-in code to a phone or e-mail (same answer whether or not it is registered)",
)
def request_sign_in_code(request: HttpRequest, payload: SignInCodeIn) -> Status[object]:
    contact = parse_contact(payload.contact)
    try:
        _limit_code_request(request, contact.recipient)
        challenge = start_code_sign_in(contact=contact)
    except (RateLimited, CodeThrottled) as exc:
        return Status(429, {"code": exc.code, "detail": exc.message})
    return Status(200, _challenge_out(challenge))


@router.post(
    "/codes/sign-in/confirm",
    auth=None,
    response={200: TokenOut, 429: ErrorOut},
    url_name="sign_in_code_confirm",
    summary="Exchange a right sign-in code for a bearer token (shown once)",
)
def confirm_sign_in_code(request: HttpRequest, payload: ConfirmIn) -> Status[object]:
    try:
        enforce_rate_limit(request, scope="code_entry_ip")
    except RateLimited as exc:
        return Status(429, {"code": exc.code, "detail": exc.message})
    user = complete_code_sign_in(token=payload.challenge_id, code=payload.code)
    expires_at = timezone.now() + timedelta(days=SIGN_IN_TOKEN_DAYS)
    _token, raw = issue_api_token(
        user=user, name="sign-in by code", scopes=["cabinet"], expires_at=expires_at
    )
    return Status(200, {"token": raw, "expires_at": expires_at})


@router.post(
    "/codes/contact",
    response={200: ChallengeOut, 429: ErrorOut},
    url_name="contact_code",
    summary="Send a code to confirm my own phone or e-mail",
)
def request_contact_code(request: HttpRequest, payload: ContactCodeIn) -> Status[object]:
    user: User = request.user  # type: ignore[assignment]  # authenticated: a User
    contact = parse_contact(user.phone if payload.channel == "sms" else user.email)
    try:
        _limit_code_request(request, contact.recipient)
        challenge = start_contact_confirmation(user=user, contact=contact)
    except (RateLimited, CodeThrottled) as exc:
        return Status(429, {"code": exc.code, "detail": exc.message})
    return Status(200, _challenge_out(challenge))


@router.post(
    "/codes/contact/confirm",
    response={200: ConfirmedOut, 429: ErrorOut},
    url_name="contact_code_confirm",
    summary="Confirm my phone or e-mail with the code",
)
def confirm_contact_code(request: HttpRequest, payload: ConfirmIn) -> Status[object]:
    try:
        enforce_rate_limit(request, scope="code_entry_ip")
    except RateLimited as exc:
        return Status(429, {"code": exc.code, "detail": exc.message})
    complete_contact_confirmation(user=request.user, token=payload.challenge_id, code=payload.code)  # type: ignore[arg-type]
    return Status(200, {"confirmed": True})


def _limit_code_request(request: HttpRequest, recipient: str) -> None:
    enforce_rate_limit(request, scope="code_request_ip")
    enforce_rate_limit(request, scope="code_request_recipient", key=recipient)


def _challenge_out(challenge: OneTimeCode) -> dict[str, object]:
    contact = Contact(challenge.channel, challenge.recipient)
    return {
        "challenge_id": challenge.token,
        "channel": challenge.channel,
        "recipient": mask_phone(contact.recipient) if contact.is_phone else mask_email(contact.recipient),
        "expires_at": challenge.expires_at,
        "resend_after": resend_wait_seconds(purpose=challenge.purpose, recipient=challenge.recipient),
    }

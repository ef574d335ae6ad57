"""Sharing an account: invitations by signed link or short code, accepting them, revoking access."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.utils import timezone

from abonent.core.audit import record_audit_event
from abonent.core.freshness import touch_users
from abonent.core.models import AuditEvent
from abonent.customers.models import Account
from abonent.identity.errors import (
    InvitationInvalid,
    LastOwner,
    PeriodInThePast,
    RepresentativeNeedsPeriod,
)
from abonent.identity.models import AccountAccess, Invitation, OneTimeCode, User
from abonent.identity.selectors import INVITATION_SALT
from abonent.identity.services import grant_account_access
from abonent.identity.services.codes import (
    Contact,
    mark_contact_confirmed,
    send_one_time_code,
    user_for_contact,
    verify_one_time_code,
)
from abonent.identity.services.registration import create_login_for_contact
from abonent.identity.shortcodes import keyed_hash, new_printable_code

Role = AccountAccess.Role


@dataclass(frozen=True)
class IssuedInvitation:
    """A new invitation with its secrets, which exist only in this answer."""

    invitation: Invitation
    code: str
    token: str


def invite_to_account(
    *,
    account: Account,
    invited_by: User,
    role: str,
    name: str = "",
    valid_until: date | None = None,
    poa_number: str = "",
    poa_date: date | None = None,
) -> IssuedInvitation:
    """Create an invitation to a role on the account; the caller has checked the inviter may share it."""
    check_access_terms(role=role, valid_until=valid_until, poa_number=poa_number, poa_date=poa_date)
    raw = new_printable_code()
    now = timezone.now()
    invitation = Invitation.objects.create(
        account=account,
        role=role,
        name=name.strip(),
        valid_until=valid_until if role != Role.OWNER else None,
        poa_number=poa_number.strip() if role == Role.REPRESENTATIVE else "",
        poa_date=poa_date if role == Role.REPRESENTATIVE else None,
        code_hash=keyed_hash("invitation", raw),
        invited_by=invited_by,
        created_at=now,
        expires_at=now + timedelta(days=settings.IDENTITY_INVITATION_TTL_DAYS),
    )
    record_audit_event(
        actor=invited_by,
        action=AuditEvent.Action.CREATE,
        target=invitation,
        changes={"account": account.pk, "role": role},
        reason="invitation to an account",
    )
    return IssuedInvitation(invitation, raw, signing.dumps(invitation.pk, salt=INVITATION_SALT))


def check_access_terms(
    *, role: str, valid_until: date | None, poa_number: str, poa_date: date | None
) -> None:
    """Refuse a representative without a power of attorney and its end date, and periods in the past."""
    if role == Role.REPRESENTATIVE and not (valid_until and poa_number.strip() and poa_date):
        raise RepresentativeNeedsPeriod()
    if valid_until and valid_until < timezone.localdate():
        raise PeriodInThePast()


def accept_invitation(*, invitation: Invitation, user: User) -> AccountAccess:
    """Use the invitation up and give the login its role; AlreadyHasAccess leaves the invitation open."""
    now = timezone.now()
    with transaction.atomic():
        claimed = Invitation.objects.filter(
            pk=invitation.pk, accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now
        ).update(accepted_at=now, accepted_by=user)
        if not claimed:
            raise InvitationInvalid()
        return grant_account_access(
            account=invitation.account,
            user=user,
            role=Role(invitation.role),
            granted_by=invitation.invited_by,
            valid_until=invitation.valid_until,
            poa_number=invitation.poa_number,
            poa_date=invitation.poa_date,
            reason="invitation accepted",
        )


def start_invitation_signup(*, invitation: Invitation, contact: Contact) -> OneTimeCode:
    """Send a code to someone without a session who wants to accept the invitation."""
    return send_one_time_code(
        purpose=OneTimeCode.Purpose.INVITATION,
        contact=contact,
        user=user_for_contact(contact),
        payload={"invitation_id": invitation.pk},
    )


def complete_invitation_signup(*, token: str, code: str) -> tuple[User, AccountAccess]:
    """Check the code, find or create the contact's login and accept the invitation for it."""
    challenge = verify_one_time_code(token=token, purpose=OneTimeCode.Purpose.INVITATION, code=code)
    contact = Contact(challenge.channel, challenge.recipient)
    invitation = (
        Invitation.objects.select_related("account", "invited_by")
        .filter(pk=challenge.payload.get("invitation_id"))
        .first()
    )
    if invitation is None:
        raise InvitationInvalid()
    with transaction.atomic():
        user = user_for_contact(contact) or create_login_for_contact(contact, "")
        access = accept_invitation(invitation=invitation, user=user)
    mark_contact_confirmed(user=user, contact=contact)
    return user, access


def revoke_invitation(*, invitation: Invitation, revoked_by: User) -> None:
    """Withdraw an invitation that has not been accepted yet."""
    updated = Invitation.objects.filter(
        pk=invitation.pk, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=timezone.now())
    if updated:
        record_audit_event(
            actor=revoked_by,
            action=AuditEvent.Action.UPDATE,
            target=invitation,
            reason="invitation withdrawn",
        )


def revoke_access(
    *, access: AccountAccess, revoked_by: User, reason: str = "", allow_last_owner: bool = False
) -> None:
    """End a login's access now; the last owner stays unless staff say otherwise (`allow_last_owner`)."""
    with transaction.atomic():
        # Lock the account's owner rows: two owners removing each other at once leave one behind.
        owners = list(
            AccountAccess.objects.select_for_update()
            .filter(account_id=access.account_id, role=Role.OWNER, revoked_at__isnull=True)
            .exclude(valid_until__lt=timezone.localdate())
            .values_list("pk", flat=True)
        )
        if access.role == Role.OWNER and owners == [access.pk] and not allow_last_owner:
            raise LastOwner()
        updated = AccountAccess.objects.filter(pk=access.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now(), revoked_by=revoked_by
        )
        if updated:
            touch_users([access.user_id])
            record_audit_event(
                actor=revoked_by,
                action=AuditEvent.Action.UPDATE,
                target=access,
                changes={"revoked": True, "user": access.user_id, "account": access.account_id},
                reason=reason or "access revoked",
            )

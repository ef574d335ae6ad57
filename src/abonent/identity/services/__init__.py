"""Writes of the identity app: logins, staff groups, API tokens and granting access.

Registration, one-time codes, invitations and sessions live in the modules beside this one.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import date, datetime

from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.db import IntegrityError, transaction
from django.utils import timezone

from abonent.core.audit import record_audit_event
from abonent.core.freshness import touch_users
from abonent.core.models import AuditEvent
from abonent.core.normalize import normalize_email, normalize_phone
from abonent.customers.models import Account
from abonent.identity.errors import AlreadyHasAccess
from abonent.identity.models import AccountAccess, ApiToken, StaffRole, User


def hash_token(raw_token: str) -> str:
    return hashlib.sha256(raw_token.encode()).hexdigest()


@transaction.atomic
def issue_api_token(
    *,
    user: User,
    name: str,
    scopes: list[str],
    expires_at: datetime | None = None,
    issued_by: User | None = None,
) -> tuple[ApiToken, str]:
    """Create a token and return it with its raw value, which is shown once and never stored."""
    raw = settings.API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name,
        scopes=scopes,
        expires_at=expires_at,
        prefix=raw[:10],
        token_hash=hash_token(raw),
    )
    record_audit_event(
        actor=issued_by or "system", action=AuditEvent.Action.CREATE, target=token, reason="API token issued"
    )
    return token, raw


def authenticate_api_token(*, raw_token: str) -> ApiToken | None:
    """Return the live token matching the raw value and mark it used, or None."""
    token = (
        ApiToken.objects.select_related("user")
        .filter(token_hash=hash_token(raw_token), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    now = timezone.now()
    if token is None or (token.expires_at is not None and token.expires_at <= now):
        return None
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token


# Model permissions each staff role gets, as "app_label.action_model"; configuration, not logic.
STAFF_ROLE_PERMISSIONS: dict[str, list[str]] = {
    StaffRole.OPERATOR: [
        "customers.view_customer",
        "customers.view_contact",
        "customers.view_account",
        "customers.view_premises",
        "customers.view_building",
        "customers.view_accountservice",
        "metering.view_meter",
        "identity.view_accountaccess",
        "identity.revoke_accountaccess",
        "identity.add_registrationcode",
    ],
    StaffRole.SPECIALIST: [
        "customers.view_customer",
        "customers.change_customer",
        "customers.view_contact",
        "customers.change_contact",
        "customers.add_contact",
        "customers.view_account",
        "customers.view_premises",
        "customers.view_building",
        "customers.view_accountservice",
        "metering.view_meter",
        "metering.change_meter",
        "identity.view_accountaccess",
        "identity.revoke_accountaccess",
        "identity.add_registrationcode",
    ],
    StaffRole.HEAD: [
        "customers.view_customer",
        "customers.change_customer",
        "customers.view_contact",
        "customers.change_contact",
        "customers.view_account",
        "customers.change_account",
        "customers.view_premises",
        "customers.view_building",
        "customers.view_accountservice",
        "metering.view_meter",
        "metering.change_meter",
        "core.view_auditevent",
        "identity.view_accountaccess",
        "identity.revoke_accountaccess",
        "identity.add_registrationcode",
        "payments.view_reconciliationreport",
    ],
    StaffRole.MANAGER: [
        "customers.view_customer",
        "customers.view_contact",
        "customers.change_contact",
        "customers.view_account",
        "customers.view_premises",
        "customers.view_building",
        "metering.view_meter",
        "identity.view_accountaccess",
    ],
}


def ensure_staff_groups() -> dict[str, Group]:
    """Create or update one permission group per staff role; administrators get every permission."""
    groups = {}
    for role in StaffRole:
        group, _ = Group.objects.get_or_create(name=str(role.label))
        if role == StaffRole.ADMINISTRATOR:
            group.permissions.set(Permission.objects.all())
        else:
            group.permissions.set(_permissions(STAFF_ROLE_PERMISSIONS[role]))
        groups[role.value] = group
    return groups


def _permissions(dotted: list[str]) -> list[Permission]:
    wanted = {tuple(name.split(".", 1)) for name in dotted}
    found = [
        p
        for p in Permission.objects.select_related("content_type")
        if (p.content_type.app_label, p.codename) in wanted
    ]
    if len(found) != len(wanted):
        missing = wanted - {(p.content_type.app_label, p.codename) for p in found}
        raise LookupError(f"Unknown permissions in STAFF_ROLE_PERMISSIONS: {sorted(missing)}")
    return found


@transaction.atomic
def create_staff_user(
    *, username: str, email: str, full_name: str, role: StaffRole, password: str, branch_id: int | None = None
) -> User:
    """Create a staff login in its role's group (an administrator is also a superuser)."""
    first_name, _, last_name = full_name.partition(" ")
    user = User(
        username=username,
        email=email,
        first_name=first_name,
        last_name=last_name,
        is_staff=True,
        staff_role=role,
        branch_id=branch_id,
        is_superuser=role == StaffRole.ADMINISTRATOR,
    )
    user.set_password(password)
    user.save()
    group = Group.objects.filter(name=str(role.label)).first() or ensure_staff_groups()[role.value]
    user.groups.add(group)
    return user


@transaction.atomic
def create_customer_user(
    *, phone: str = "", email: str = "", first_name: str, last_name: str, password: str | None
) -> User:
    """Create a customer login identified by a phone and/or an e-mail."""
    phone, email = normalize_phone(phone), normalize_email(email)
    user = User(username=phone or email, phone=phone, email=email, first_name=first_name, last_name=last_name)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    return user


@transaction.atomic
def grant_account_access(
    *,
    account: Account,
    user: User,
    role: AccountAccess.Role,
    granted_by: User | None = None,
    valid_until: date | None = None,
    poa_number: str = "",
    poa_date: date | None = None,
    reason: str = "",
) -> AccountAccess:
    """Give a login a role on an account and record it in the audit log.

    A lapsed grant of the same login on the same account (its period over) is closed first;
    a grant still in force raises AlreadyHasAccess.
    """
    now = timezone.now()
    AccountAccess.objects.filter(
        user=user, account=account, revoked_at__isnull=True, valid_until__lt=timezone.localdate()
    ).update(revoked_at=now)
    try:
        with transaction.atomic():
            access = AccountAccess.objects.create(
                account=account,
                user=user,
                role=role,
                granted_by=granted_by,
                valid_until=valid_until,
                poa_number=poa_number,
                poa_date=poa_date,
            )
    except IntegrityError as exc:
        raise AlreadyHasAccess() from exc
    touch_users([user.pk])
    changes: dict[str, object] = {"role": role, "user": user.pk, "account": account.pk}
    if valid_until:
        changes["valid_until"] = valid_until.isoformat()
    if poa_number:
        changes["poa"] = f"{poa_number} / {poa_date.isoformat() if poa_date else ''}"
    record_audit_event(
        actor=granted_by or "system",
        action=AuditEvent.Action.CREATE,
        target=access,
        changes=changes,
        reason=reason,
    )
    return access

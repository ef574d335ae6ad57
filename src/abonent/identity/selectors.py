"""Which accounts a login may see: the one place where object-level access is decided."""

from __future__ import annotations

from django.db import models
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from abonent.core.errors import NotFound, PermissionDenied
from abonent.customers.models import Account
from abonent.identity.models import AccountAccess, User


class AccountNotFound(NotFound):
    code = "account_not_found"
    default_message = _("Account not found.")


class AccountAction(models.TextChoices):
    """What a login may do on an account; each access role allows a set of these."""

    VIEW = "view", _("See balance, bills and documents")
    PAY = "pay", _("Pay")
    SUBMIT_READINGS = "submit_readings", _("Submit meter readings")
    FILE_APPEALS = "file_appeals", _("File appeals")
    EDIT_CONTACTS = "edit_contacts", _("Change contacts and delivery of bills")
    MANAGE_ACCESS = "manage_access", _("Invite and remove other logins")


_ROLE_ACTIONS: dict[str, frozenset[str]] = {
    AccountAccess.Role.OWNER: frozenset(AccountAction.values),
    AccountAccess.Role.REPRESENTATIVE: frozenset(
        {
            AccountAction.VIEW,
            AccountAction.PAY,
            AccountAction.SUBMIT_READINGS,
            AccountAction.FILE_APPEALS,
            AccountAction.EDIT_CONTACTS,
        }
    ),
    AccountAccess.Role.TENANT: frozenset(
        {AccountAction.VIEW, AccountAction.PAY, AccountAction.SUBMIT_READINGS, AccountAction.FILE_APPEALS}
    ),
    AccountAccess.Role.VIEWER: frozenset({AccountAction.VIEW}),
}
# Staff act for customers (a reading taken by phone, a contact corrected) but never share access.
_STAFF_ACTIONS = frozenset(AccountAction.values) - {AccountAction.MANAGE_ACCESS}


class ActionNotAllowed(PermissionDenied):
    code = "action_not_allowed"
    default_message = _("Your role on this account does not allow this.")


def allowed_actions(*, user: User, account: Account) -> frozenset[str]:
    """Return what the user may do on the account (empty when the account is not theirs)."""
    if user.is_staff:
        return _STAFF_ACTIONS if accounts_for_user(user=user).filter(pk=account.pk).exists() else frozenset()
    role = access_role(user=user, account=account)
    return _ROLE_ACTIONS.get(role, frozenset()) if role else frozenset()


def account_for_action(*, user: User, account_id: int, action: str) -> Account:
    """Return the account if the user may do `action` on it; "not found" for foreign accounts."""
    account = account_for_user(user=user, account_id=account_id)
    if action not in allowed_actions(user=user, account=account):
        raise ActionNotAllowed()
    return account


def active_accesses(*, user: User) -> QuerySet[AccountAccess]:
    """Return the user's access grants in force today."""
    today = timezone.localdate()
    return AccountAccess.objects.filter(
        Q(valid_until__isnull=True) | Q(valid_until__gte=today),
        user=user,
        revoked_at__isnull=True,
        valid_from__lte=today,
    )


def accounts_for_user(*, user: User) -> QuerySet[Account]:
    """Return every account the user may act on: granted ones for customers, the branch's for staff."""
    if not user.is_authenticated or not user.is_active:
        return Account.objects.none()
    if user.is_staff:
        accounts = Account.objects.all()
        return accounts if user.branch_id is None else accounts.filter(branch_id=user.branch_id)
    return Account.objects.filter(id__in=active_accesses(user=user).values("account_id"))


def account_for_user(*, user: User, account_id: int) -> Account:
    """Return the account if the user may act on it; a foreign account is simply "not found"."""
    account = accounts_for_user(user=user).filter(id=account_id).first()
    if account is None:
        raise AccountNotFound()
    return account


def access_role(*, user: User, account: Account) -> str | None:
    """Return the user's role on the account, or None."""
    access = active_accesses(user=user).filter(account=account).only("role").first()
    return access.role if access else None

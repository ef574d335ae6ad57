"""Which accounts a login may see: the one place where object-level access is decided."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from abonent.core.errors import NotFound
from abonent.customers.models import Account
from abonent.identity.models import AccountAccess, User


class AccountNotFound(NotFound):
    code = "account_not_found"
    default_message = _("Account not found.")


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

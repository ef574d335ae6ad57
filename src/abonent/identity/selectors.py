"""Which accounts a login may see: the one place where object-level access is decided."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.db import connection, models
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from abonent.core.errors import NotFound, PermissionDenied
from abonent.core.normalize import mask_phone
from abonent.customers.models import Account
from abonent.identity.errors import AccessNotFound, InvitationInvalid, SessionNotFound
from abonent.identity.models import AccountAccess, Invitation, RegistrationCode, User, UserSession
from abonent.identity.shortcodes import candidate_hashes, normalize_printable_code

INVITATION_SALT = "abonent.identity.invitation"


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
    """Return the account if the user may do `action` on it; "not found" for foreign accounts.

    A customer's check is one query on the grant, which brings its account along: every API write
    starts here, and the ORM's cost of composing subqueries showed in the readings benchmark.
    """
    if user.is_staff or not (user.is_authenticated and user.is_active):
        account = account_for_user(user=user, account_id=account_id)
        if action not in _STAFF_ACTIONS:
            raise ActionNotAllowed()
        return account
    access = active_accesses(user=user).filter(account_id=account_id).select_related("account").first()
    check_role_allows(access.role if access else None, action)
    return access.account  # type: ignore[union-attr]  # check_role_allows refused a missing grant


def check_role_allows(role: str | None, action: str) -> None:
    """Refuse a customer without a grant ("not found") or whose role does not allow the action."""
    if role is None:
        raise AccountNotFound()
    if action not in _ROLE_ACTIONS.get(role, frozenset()):
        raise ActionNotAllowed()


def active_grant_sql(alias: str) -> tuple[str, list[object]]:
    """Return the SQL condition (and its parameters) that a grant row `alias` is in force today.

    For the hottest permission checks written as one statement (a reading submission); it states the
    same rule as `active_accesses`, and tests hold the two equal.
    """
    today = connection.ops.adapt_datefield_value(timezone.localdate())
    condition = (
        f"{alias}.revoked_at IS NULL AND {alias}.valid_from <= %s"
        f" AND ({alias}.valid_until IS NULL OR {alias}.valid_until >= %s)"
    )
    return condition, [today, today]


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


# --- Sharing, invitations, sessions -----------------------------------------------------------------


def my_accesses(*, user: User) -> QuerySet[AccountAccess]:
    """Return the user's grants in force with what the "my access" page shows.

    Each carries `sole_owner`: the login is the account's only owner, so it cannot leave (the page says
    why instead of offering a button that can only fail).
    """
    today = timezone.localdate()
    other_owners = AccountAccess.objects.filter(
        Q(valid_until__isnull=True) | Q(valid_until__gte=today),
        account_id=OuterRef("account_id"),
        role=AccountAccess.Role.OWNER,
        revoked_at__isnull=True,
        valid_from__lte=today,
    ).exclude(pk=OuterRef("pk"))
    return (
        active_accesses(user=user)
        .select_related("account__customer", "account__premises__building__district")
        .annotate(sole_owner=Q(role=AccountAccess.Role.OWNER) & ~Exists(other_owners))
        .order_by("account__number")
    )


def accesses_on_account(*, user: User, account_id: int) -> tuple[Account, QuerySet[AccountAccess]]:
    """Return the account and who has access to it now, for someone who may manage access."""
    account = account_for_action(user=user, account_id=account_id, action=AccountAction.MANAGE_ACCESS)
    return account, _accesses_in_force(account)


def pending_invitations(*, account: Account) -> QuerySet[Invitation]:
    """Return invitations to the account that can still be accepted."""
    return Invitation.objects.filter(
        account=account, accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
    ).order_by("-created_at")


def invitation_on_account(*, account: Account, invitation_id: int) -> Invitation:
    """Return a pending invitation of this account (the caller fetched the account with MANAGE_ACCESS)."""
    invitation = pending_invitations(account=account).filter(pk=invitation_id).first()
    if invitation is None:
        raise InvitationInvalid()
    return invitation


def access_for_revocation(*, user: User, account_id: int, access_id: int) -> AccountAccess:
    """Return an access the user may end: their own, or anyone's on an account they manage.

    Staff may end any access on their branch's accounts when they hold identity.revoke_accountaccess.
    Anything else is "not found".
    """
    access = (
        AccountAccess.objects.select_related("user", "account")
        .filter(pk=access_id, account_id=account_id, revoked_at__isnull=True)
        .first()
    )
    if access is None or not user.is_authenticated:
        raise AccessNotFound()
    if user.is_staff:
        in_scope = accounts_for_user(user=user).filter(pk=access.account_id).exists()
        if in_scope and user.has_perm("identity.revoke_accountaccess"):
            return access
        raise AccessNotFound()
    if access.user_id == user.pk:
        return access
    if AccountAction.MANAGE_ACCESS in allowed_actions(user=user, account=access.account):
        return access
    raise AccessNotFound()


def invitation_by_token(*, token: str) -> Invitation:
    """Return the pending invitation a signed link names, or InvitationInvalid."""
    max_age = timedelta(days=settings.IDENTITY_INVITATION_TTL_DAYS)
    try:
        invitation_id = signing.loads(token, salt=INVITATION_SALT, max_age=max_age)
    except signing.BadSignature as exc:
        raise InvitationInvalid() from exc
    return _pending_invitation(Invitation.objects.filter(pk=invitation_id))


def invitation_by_code(*, code: str) -> Invitation:
    """Return the pending invitation with this short code, or InvitationInvalid."""
    hashes = candidate_hashes("invitation", normalize_printable_code(code))
    return _pending_invitation(Invitation.objects.filter(code_hash__in=hashes))


def pending_invitation(*, invitation_id: int) -> Invitation:
    """Return a pending invitation by id; only for an id the server kept after a valid link or code."""
    return _pending_invitation(Invitation.objects.filter(pk=invitation_id))


def live_sessions(*, user: User) -> QuerySet[UserSession]:
    """Return the login's sessions not ended and not expired, the most recent first."""
    oldest = timezone.now() - timedelta(seconds=settings.SESSION_COOKIE_AGE)
    return UserSession.objects.filter(user=user, ended_at__isnull=True, last_seen_at__gte=oldest).order_by(
        "-last_seen_at"
    )


def session_of_user(*, user: User, session_id: int) -> UserSession:
    """Return one of the login's live sessions, or SessionNotFound."""
    session = live_sessions(user=user).filter(pk=session_id).first()
    if session is None:
        raise SessionNotFound()
    return session


def registration_code_status(*, account: Account) -> RegistrationCode | None:
    """Return the account's latest registration code row (its hash only), for staff."""
    return RegistrationCode.objects.filter(account=account).order_by("-issued_at", "-pk").first()


def access_history(*, account: Account) -> QuerySet[AccountAccess]:
    """Return every grant on the account ever, newest first, for staff."""
    return (
        AccountAccess.objects.filter(account=account)
        .select_related("user", "granted_by", "revoked_by")
        .order_by("-created_at", "-pk")
    )


def person_label(user: User) -> str:
    """Return how another person's login is shown: the name if known, the phone or e-mail masked."""
    contact = mask_phone(user.phone) if user.phone else mask_email(user.email)
    name = user.get_full_name()
    return f"{name}, {contact}" if name and contact else name or contact or gettext("login without contacts")


def mask_email(email: str) -> str:
    """Return e-mail with the mailbox hidden but its first letter, e.g. m***@example.com."""
    local, _at, domain = email.partition("@")
    return f"{local[:1]}***@{domain}" if domain else ""


def filter_accounts(
    *, user: User, query: str = "", branch_id: int | None = None, status: str = "", address: str = ""
) -> QuerySet[Account]:
    """Return the user's accounts narrowed by number/name search, branch, status and address words."""
    accounts = accounts_for_user(user=user)
    if query.strip():
        q = query.strip()
        accounts = accounts.filter(
            Q(number__startswith=q)
            | Q(customer__last_name__istartswith=q)
            | Q(customer__company_name__icontains=q)
        )
    if branch_id:
        accounts = accounts.filter(branch_id=branch_id)
    if status:
        accounts = accounts.filter(status=status)
    for word in address.split()[:4]:
        accounts = accounts.filter(
            _contains_any_case("premises__building__street", word)
            | Q(premises__building__house__iexact=word)
            | Q(premises__number__iexact=word)
            | _contains_any_case("premises__building__district__settlement", word)
        )
    return accounts.select_related("customer", "branch", "premises__building__district").order_by("number")


def _contains_any_case(field: str, word: str) -> Q:
    # SQLite folds the case of ASCII letters only; spelling out the usual cases finds "заводская" too.
    condition = Q(**{f"{field}__icontains": word})
    for variant in {word.lower(), word.capitalize(), word.upper()}:
        condition |= Q(**{f"{field}__contains": variant})
    return condition


def _accesses_in_force(account: Account) -> QuerySet[AccountAccess]:
    today = timezone.localdate()
    return (
        AccountAccess.objects.filter(
            Q(valid_until__isnull=True) | Q(valid_until__gte=today),
            account=account,
            revoked_at__isnull=True,
            valid_from__lte=today,
        )
        .select_related("user", "granted_by")
        .order_by("role", "created_at")
    )


def _pending_invitation(invitations: QuerySet[Invitation]) -> Invitation:
    invitation = (
        invitations.filter(accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now())
        .select_related("account__premises__building__district", "invited_by")
        .first()
    )
    if invitation is None:
        raise InvitationInvalid()
    return invitation

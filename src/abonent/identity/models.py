"""Logins (customers and staff), who may act on which account, and API tokens for integrations."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from abonent.core.normalize import format_phone
from abonent.customers.models import Account


class StaffRole(models.TextChoices):
    """Roles of the utility's staff; each maps to a permission group of the same name."""

    OPERATOR = "operator", _("Contact-center operator")
    SPECIALIST = "specialist", _("Department specialist")
    HEAD = "head", _("Branch head")
    MANAGER = "manager", _("Account manager")
    ADMINISTRATOR = "administrator", _("Administrator")


class AbonentUserManager(UserManager["User"]):
    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(username__iexact=username)


class User(AbstractUser):
    """One login. Customers sign in by phone or e-mail; staff have a role and maybe a branch."""

    phone = models.CharField(_("phone"), max_length=16, blank=True, help_text=_("+7XXXXXXXXXX"))
    staff_role = models.CharField(_("staff role"), max_length=20, choices=StaffRole.choices, blank=True)
    branch = models.ForeignKey(
        "core.Branch",
        verbose_name=_("branch"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        help_text=_("Staff working in one branch see its accounts only; empty means all branches."),
    )
    preferred_language = models.CharField(_("language"), max_length=5, default="ru")
    phone_confirmed_at = models.DateTimeField(_("phone confirmed at"), null=True, blank=True)
    email_confirmed_at = models.DateTimeField(_("e-mail confirmed at"), null=True, blank=True)

    objects = AbonentUserManager()  # type: ignore[misc]  # django-stubs types AbstractUser.objects as ClassVar

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(fields=["phone"], condition=~Q(phone=""), name="user_phone_unique"),
            models.UniqueConstraint(fields=["email"], condition=~Q(email=""), name="user_email_unique"),
        ]

    @property
    def is_customer(self) -> bool:
        return not self.is_staff

    def get_display_name(self) -> str:
        """Return how the header names the login to its owner: the name, else the phone as people write it."""
        return self.get_full_name() or (format_phone(self.phone) if self.phone else "") or self.get_username()


class AccountAccess(models.Model):
    """A login's right to act on one personal account, with a role and a validity period."""

    class Role(models.TextChoices):
        OWNER = "owner", _("Owner")
        TENANT = "tenant", _("Tenant")
        REPRESENTATIVE = "representative", _("Representative (power of attorney)")
        VIEWER = "viewer", _("Viewer")

    user = models.ForeignKey(User, related_name="account_accesses", on_delete=models.CASCADE)
    account = models.ForeignKey(Account, related_name="accesses", on_delete=models.CASCADE)
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    valid_from = models.DateField(_("valid from"), default=timezone.localdate)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    granted_by = models.ForeignKey(
        User, related_name="+", null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("granted by")
    )
    poa_number = models.CharField(_("power of attorney number"), max_length=60, blank=True)
    poa_date = models.DateField(_("power of attorney date"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        User, related_name="+", null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("revoked by")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("account access")
        verbose_name_plural = _("account accesses")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "account"], condition=Q(revoked_at__isnull=True), name="access_active_unique"
            )
        ]
        permissions = [("revoke_accountaccess", _("Can revoke a login's access to an account"))]

    def __str__(self) -> str:
        return f"{self.user} → {self.account} ({self.get_role_display()})"


class ApiToken(models.Model):
    """A bearer token for an integration; only its SHA-256 is stored."""

    name = models.CharField(_("name"), max_length=100)
    user = models.ForeignKey(User, related_name="api_tokens", on_delete=models.CASCADE)
    prefix = models.CharField(
        _("prefix"), max_length=12, help_text=_("First characters, to recognise the token")
    )
    token_hash = models.CharField(max_length=64, unique=True)
    scopes = models.JSONField(_("scopes"), default=list, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class RegistrationCode(models.Model):
    """The code printed on an account's bills that lets its holder register; single-use, kept as a hash."""

    account = models.ForeignKey(Account, related_name="registration_codes", on_delete=models.CASCADE)
    code_hash = models.CharField(max_length=64)
    issued_at = models.DateTimeField(_("issued at"), auto_now_add=True)
    issued_by = models.ForeignKey(
        User, related_name="+", null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("issued by")
    )
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)
    used_by = models.ForeignKey(
        User, related_name="+", null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("used by")
    )
    replaced_at = models.DateTimeField(_("replaced at"), null=True, blank=True)

    class Meta:
        verbose_name = _("registration code")
        verbose_name_plural = _("registration codes")
        indexes = [models.Index(fields=["account", "-issued_at"], name="regcode_account_idx")]

    def __str__(self) -> str:
        return f"{self.account} {self.issued_at:%d.%m.%Y}"

    @property
    def is_active(self) -> bool:
        return self.used_at is None and self.replaced_at is None


class OneTimeCode(models.Model):
    """A 6-digit code sent by SMS or e-mail to prove a phone or mailbox; only its keyed hash is kept."""

    class Purpose(models.TextChoices):
        REGISTRATION = "registration", _("Registration")
        LOGIN = "login", _("Sign-in")
        PASSWORD_RESET = "password_reset", _("Password reset")
        INVITATION = "invitation", _("Accepting an invitation")
        CONFIRM_CONTACT = "confirm_contact", _("Confirming a phone or e-mail")

    class Channel(models.TextChoices):
        SMS = "sms", _("SMS")
        EMAIL = "email", _("E-mail")

    token = models.CharField(_("challenge id"), max_length=43, unique=True)
    purpose = models.CharField(_("purpose"), max_length=20, choices=Purpose.choices)
    channel = models.CharField(_("channel"), max_length=5, choices=Channel.choices)
    recipient = models.CharField(_("recipient"), max_length=254)
    user = models.ForeignKey(
        User, related_name="one_time_codes", null=True, blank=True, on_delete=models.CASCADE
    )
    code_hash = models.CharField(max_length=64)
    payload = models.JSONField(_("payload"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    max_attempts = models.PositiveSmallIntegerField(_("attempts allowed"), default=5)
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)
    replaced_at = models.DateTimeField(_("replaced at"), null=True, blank=True)

    class Meta:
        verbose_name = _("one-time code")
        verbose_name_plural = _("one-time codes")
        indexes = [models.Index(fields=["purpose", "recipient", "-created_at"], name="otp_recipient_idx")]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} → {self.recipient}"

    @property
    def attempts_left(self) -> int:
        return max(self.max_attempts - self.attempts, 0)


class Invitation(models.Model):
    """An owner's offer of a role on an account, accepted by a signed link or a short code, once."""

    account = models.ForeignKey(Account, related_name="invitations", on_delete=models.CASCADE)
    role = models.CharField(_("role"), max_length=20, choices=AccountAccess.Role.choices)
    name = models.CharField(_("whom"), max_length=120, blank=True, help_text=_("For the owner's memory"))
    valid_until = models.DateField(_("access valid until"), null=True, blank=True)
    poa_number = models.CharField(_("power of attorney number"), max_length=60, blank=True)
    poa_date = models.DateField(_("power of attorney date"), null=True, blank=True)
    code_hash = models.CharField(max_length=64, db_index=True)
    invited_by = models.ForeignKey(
        User, related_name="+", on_delete=models.CASCADE, verbose_name=_("invited by")
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        User,
        related_name="+",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        verbose_name=_("accepted by"),
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")

    def __str__(self) -> str:
        return f"{self.account} ({self.get_role_display()})"


class UserSession(models.Model):
    """One signed-in browser or app of a login, so the owner can see and end it."""

    user = models.ForeignKey(User, related_name="sessions", on_delete=models.CASCADE)
    session_key = models.CharField(max_length=40, unique=True)
    user_agent = models.CharField(_("browser"), max_length=300, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    created_at = models.DateTimeField(_("signed in at"), default=timezone.now)
    last_seen_at = models.DateTimeField(_("last seen at"), default=timezone.now)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)

    class Meta:
        verbose_name = _("session")
        verbose_name_plural = _("sessions")
        indexes = [models.Index(fields=["user", "-last_seen_at"], name="usersession_user_idx")]

    def __str__(self) -> str:
        return f"{self.user} {self.created_at:%d.%m.%Y %H:%M}"

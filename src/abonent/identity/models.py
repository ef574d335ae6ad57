"""Logins (customers and staff), who may act on which account, and API tokens for integrations."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

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
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("account access")
        verbose_name_plural = _("account accesses")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "account"], condition=Q(revoked_at__isnull=True), name="access_active_unique"
            )
        ]

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

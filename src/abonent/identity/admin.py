"""Admin for logins, their access to accounts and the integrations' API tokens."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from abonent.core.admin import PersonalDataAuditAdmin
from abonent.core.normalize import normalize_email, normalize_phone
from abonent.identity.models import AccountAccess, ApiToken, User
from abonent.identity.services import issue_api_token


class ContactFieldsMixin:
    """Store the phone and e-mail in the canonical spelling that sign-in and search look up."""

    cleaned_data: dict[str, Any]

    def clean_phone(self) -> str:
        raw = self.cleaned_data.get("phone", "")
        phone = normalize_phone(raw)
        if raw and not phone:
            raise ValidationError(_("Enter a Russian mobile number, e.g. +7 912 345-67-89."), code="phone")
        return phone

    def clean_email(self) -> str:
        return normalize_email(self.cleaned_data.get("email", ""))


def _phone_field() -> forms.CharField:
    # Longer than the stored +7XXXXXXXXXX: people type "8 (912) 345-67-89"; clean_phone shortens it.
    return forms.CharField(
        label=_("phone"), max_length=40, required=False, help_text=_("Any spelling, e.g. 8 (912) 345-67-89.")
    )


class AbonentUserCreationForm(ContactFieldsMixin, AdminUserCreationForm):
    phone = _phone_field()


class AbonentUserChangeForm(ContactFieldsMixin, UserChangeForm):
    phone = _phone_field()


class AccountAccessInline(admin.TabularInline):
    model = AccountAccess
    fk_name = "user"
    fields = ["account", "role", "valid_from", "valid_until", "granted_by", "revoked_at", "created_at"]
    readonly_fields = ["created_at"]
    autocomplete_fields = ["account"]
    raw_id_fields = ["granted_by"]
    extra = 0


@admin.register(User)
class UserAdmin(PersonalDataAuditAdmin, DjangoUserAdmin):
    list_display = [
        "username",
        "email",
        "phone",
        "last_name",
        "first_name",
        "staff_role",
        "branch",
        "is_staff",
        "is_active",
    ]
    list_filter = ["is_staff", "is_superuser", "is_active", "staff_role", "branch", "groups"]
    list_select_related = ["branch"]
    search_fields = ["^username", "=email", "=phone", "^last_name", "^first_name"]
    search_help_text = _("Login, e-mail, phone in any spelling, last or first name.")
    show_full_result_count = False
    fieldsets = [
        (None, {"fields": ["username", "password"]}),
        (_("Personal info"), {"fields": ["last_name", "first_name", "email", "phone", "preferred_language"]}),
        (_("Staff"), {"fields": ["staff_role", "branch"]}),
        (
            _("Permissions"),
            {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        (_("Important dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        *DjangoUserAdmin.add_fieldsets,
        (_("Abonent"), {"fields": ["email", "phone", "staff_role", "branch"]}),
    ]
    form = AbonentUserChangeForm
    add_form = AbonentUserCreationForm
    inlines = [AccountAccessInline]

    def get_inlines(
        self, request: HttpRequest, obj: User | None
    ) -> list[type[admin.options.InlineModelAdmin]]:
        # Access is granted to an existing login; the add page stays the two-step Django one.
        return list(self.inlines) if obj is not None else []

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[User], search_term: str
    ) -> tuple[QuerySet[User], bool]:
        term = search_term.strip()
        phone = normalize_phone(term)
        if phone:
            term = phone
        elif "@" in term:
            term = normalize_email(term)
        return super().get_search_results(request, queryset, term)


@admin.register(AccountAccess)
class AccountAccessAdmin(admin.ModelAdmin):
    list_display = ["account", "user", "role", "valid_from", "valid_until", "revoked_at"]
    ordering = ["-pk"]
    list_filter = ["role", ("revoked_at", admin.EmptyFieldListFilter)]
    list_select_related = ["account", "user"]
    search_fields = ["account__number__startswith", "^user__username", "=user__email", "=user__phone"]
    search_help_text = _("Account number (beginning), the user's login, e-mail or phone (+7XXXXXXXXXX).")
    autocomplete_fields = ["user", "account"]
    raw_id_fields = ["granted_by"]
    readonly_fields = ["created_at"]
    show_full_result_count = False


API_TOKEN_FIELDS = (
    "name",
    "user",
    "scopes",
    "prefix",
    "token_hash",
    "created_at",
    "last_used_at",
    "expires_at",
    "revoked_at",
)
API_TOKEN_ADD_FIELDS = ("name", "user", "scopes", "expires_at")
API_TOKEN_READONLY_FIELDS = ("user", "prefix", "token_hash", "created_at", "last_used_at")


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are issued by the identity service; the raw value is shown once, only its hash is kept."""

    list_display = ["name", "prefix", "user", "created_at", "last_used_at", "expires_at", "revoked_at"]
    ordering = ["-created_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    list_select_related = ["user"]
    search_fields = ["name", "=prefix", "^user__username"]
    autocomplete_fields = ["user"]

    def get_fields(self, request: HttpRequest, obj: ApiToken | None = None) -> tuple[str, ...]:
        return API_TOKEN_FIELDS if obj is not None else API_TOKEN_ADD_FIELDS

    def get_readonly_fields(self, request: HttpRequest, obj: ApiToken | None = None) -> tuple[str, ...]:
        return API_TOKEN_READONLY_FIELDS if obj is not None else ()

    def save_model(self, request: HttpRequest, obj: ApiToken, form: forms.ModelForm, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        issued_by = request.user if isinstance(request.user, User) else None
        token, raw = issue_api_token(
            user=obj.user, name=obj.name, scopes=obj.scopes, expires_at=obj.expires_at, issued_by=issued_by
        )
        # The admin goes on with `obj` (log entry, redirect): make it the issued token.
        obj.pk = token.pk
        obj.refresh_from_db()
        obj._state.adding = False
        messages.warning(
            request,
            _("Copy the token now, it will not be shown again: %(token)s") % {"token": raw},
        )

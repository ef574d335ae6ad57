"""Admin for meters, and the meters inline on the account page (metering extends the customers admin)."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from abonent.customers.admin import AccountAdmin
from abonent.customers.models import Account
from abonent.metering.models import IvrPin, Meter, Reading


@admin.register(Meter)
class MeterAdmin(admin.ModelAdmin):
    list_display = [
        "serial_number",
        "resource",
        "account",
        "zones",
        "status",
        "next_verification_on",
        "removed_on",
    ]
    ordering = ["-pk"]
    list_filter = ["resource", "status", "zones"]
    list_select_related = ["account"]
    search_fields = ["serial_number__startswith", "account__number__startswith"]
    search_help_text = _("Serial number or account number (beginning).")
    autocomplete_fields = ["account"]
    show_full_result_count = False


class MeterInline(admin.TabularInline):
    model = Meter
    fields = [
        "resource",
        "serial_number",
        "model_name",
        "zones",
        "digits",
        "installed_on",
        "next_verification_on",
        "status",
        "removed_on",
        "location",
    ]
    extra = 0
    show_change_link = True


# customers must not know about metering (apps depend downward), so metering re-registers the
# account admin with its inline, the way projects extend django.contrib.auth's UserAdmin.
admin.site.unregister(Account)


@admin.register(Account)
class AccountWithMetersAdmin(AccountAdmin):
    inlines = [*AccountAdmin.inlines, MeterInline]


@admin.register(Reading)
class ReadingAdmin(admin.ModelAdmin):
    """Readings are history: staff look them up here and act in the console, so nothing is edited."""

    list_display = ["meter", "period", "values_text", "channel", "submitted_at", "review", "superseded_at"]
    list_filter = ["review", "channel"]
    list_select_related = ["meter"]
    ordering = ["-id"]
    search_fields = ["meter__serial_number__startswith"]
    search_help_text = _("Meter serial number (beginning).")
    show_full_result_count = False
    raw_id_fields = ["meter", "submitted_by"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Reading | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Reading | None = None) -> bool:
        return False


@admin.register(IvrPin)
class IvrPinAdmin(admin.ModelAdmin):
    """Who has a voice-robot PIN and whether it is locked; the PIN itself is only ever a hash."""

    list_display = ["account", "failed_attempts", "locked_until", "updated_at"]
    fields = ["account", "failed_attempts", "locked_until", "updated_at"]
    readonly_fields = ["account", "updated_at"]
    raw_id_fields = ["account"]
    search_fields = ["account__number__startswith"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # PINs are issued in the console, where the new one is shown once

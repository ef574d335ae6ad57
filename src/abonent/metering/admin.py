"""Admin for meters, and the meters inline on the account page (metering extends the customers admin)."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from abonent.customers.admin import AccountAdmin
from abonent.customers.models import Account
from abonent.metering.models import Meter


@admin.register(Meter)
class MeterAdmin(admin.ModelAdmin):
    list_display = ["serial_number", "resource", "account", "zones", "status", "next_verification_on"]
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

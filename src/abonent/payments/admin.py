"""Admin for payments: read-only views of what happened (statuses change only through services)."""

from __future__ import annotations

from django.contrib import admin

from abonent.payments.models import (
    AutopaySetting,
    Payment,
    PaymentLine,
    ReconciliationReport,
    SavedCard,
    WebhookEvent,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class PaymentLineInline(admin.TabularInline):
    model = PaymentLine
    extra = 0
    can_delete = False
    readonly_fields = ["account", "service", "amount"]


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ["public_id", "gateway", "status", "amount", "origin", "created_at", "credited_at"]
    list_filter = ["gateway", "status", "origin"]
    search_fields = ["=public_id", "=gateway_payment_id"]
    inlines = [PaymentLineInline]


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdmin):
    list_display = ["received_at", "gateway", "event_id", "status", "outcome", "rejection_reason"]
    list_filter = ["gateway", "outcome", "signature_ok", "is_duplicate"]
    search_fields = ["=event_id"]


@admin.register(SavedCard)
class SavedCardAdmin(ReadOnlyAdmin):
    list_display = ["title", "user", "gateway", "created_at", "removed_at"]


@admin.register(AutopaySetting)
class AutopaySettingAdmin(ReadOnlyAdmin):
    list_display = ["account", "card", "max_amount", "notice_days", "enabled"]


@admin.register(ReconciliationReport)
class ReconciliationReportAdmin(ReadOnlyAdmin):
    list_display = ["day", "gateway", "ours_count", "theirs_count", "mismatches"]

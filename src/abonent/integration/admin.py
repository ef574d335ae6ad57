"""Configuration of integration: source systems, their import profiles and sync subscriptions."""

from __future__ import annotations

from django.contrib import admin

from abonent.integration.models import ImportProfile, SourceSystem, SyncSubscription


class ImportProfileInline(admin.StackedInline):
    model = ImportProfile
    extra = 0


@admin.register(SourceSystem)
class SourceSystemAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "branch", "is_active")
    list_filter = ("is_active",)
    search_fields = ("code", "name")
    inlines = [ImportProfileInline]


@admin.register(ImportProfile)
class ImportProfileAdmin(admin.ModelAdmin):
    list_display = ("name", "source", "kind", "watch_folder", "schedule", "is_active")
    list_filter = ("kind", "is_active", "source")
    search_fields = ("name",)


@admin.register(SyncSubscription)
class SyncSubscriptionAdmin(admin.ModelAdmin):
    list_display = ("source", "acknowledged_id", "acknowledged_at", "export_folder")
    readonly_fields = ("acknowledged_id", "acknowledged_at")

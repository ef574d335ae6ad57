"""Admin for the shared kernel: the utility, its branches, business calendars and the audit log."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.db import models
from django.db.models import QuerySet
from django.forms import BaseInlineFormSet, ModelForm
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from abonent.core.audit import record_audit_event
from abonent.core.models import AuditEvent, Branch, BusinessCalendar, CalendarDay, Organisation


class PersonalDataAuditAdmin(admin.ModelAdmin):
    """Audit every staff view, change, addition and deletion of a record that holds personal data.

    The events name the fields that changed, never their values: the audit log must not become a
    second copy of the personal data it guards.
    """

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        response = super().change_view(request, object_id, form_url, extra_context)
        if request.method == "GET" and response.status_code == 200:
            obj = self.get_object(request, unquote(object_id))
            if obj is not None:
                record_audit_event(
                    actor=request.user,
                    action=AuditEvent.Action.VIEW,
                    target=obj,
                    personal_data=True,
                    request=request,
                    reason="admin change page",
                )
        return response

    def save_related(
        self, request: HttpRequest, form: ModelForm, formsets: list[BaseInlineFormSet], change: bool
    ) -> None:
        super().save_related(request, form, formsets, change)
        changes = changed_field_names(form=form, formsets=formsets)
        if change and not changes:
            return
        record_audit_event(
            actor=request.user,
            action=AuditEvent.Action.UPDATE if change else AuditEvent.Action.CREATE,
            target=form.instance,
            changes=changes,
            personal_data=True,
            request=request,
            reason="admin",
        )

    def delete_model(self, request: HttpRequest, obj: models.Model) -> None:
        record_audit_event(
            actor=request.user,
            action=AuditEvent.Action.DELETE,
            target=obj,
            personal_data=True,
            request=request,
            reason="admin",
        )
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        for obj in queryset:
            record_audit_event(
                actor=request.user,
                action=AuditEvent.Action.DELETE,
                target=obj,
                personal_data=True,
                request=request,
                reason="admin bulk delete",
            )
        super().delete_queryset(request, queryset)


def changed_field_names(*, form: ModelForm, formsets: list[BaseInlineFormSet]) -> dict[str, Any]:
    """Return the names of the fields changed on the form and its inlines, without their values."""
    changes: dict[str, Any] = {}
    if form.changed_data:
        changes["fields"] = sorted(form.changed_data)
    for formset in formsets:
        inline: dict[str, Any] = {}
        if formset.new_objects:
            inline["added"] = len(formset.new_objects)
        if formset.deleted_objects:
            inline["deleted"] = len(formset.deleted_objects)
        changed = sorted({name for _obj, names in formset.changed_objects for name in names})
        if changed:
            inline["changed_fields"] = changed
        if inline:
            changes[formset.prefix or formset.get_default_prefix()] = inline
    return changes


class BranchInline(admin.TabularInline):
    model = Branch
    fields = ["code", "name", "region_code", "time_zone", "calendar", "address", "phone"]
    extra = 0
    show_change_link = True


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["short_name", "name", "kind", "inn", "ogrn", "phone", "email"]
    list_filter = ["kind"]
    search_fields = ["name", "short_name", "=inn", "=ogrn"]
    readonly_fields = ["created_at", "updated_at"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    inlines = [BranchInline]
    fieldsets = [
        (None, {"fields": ["name", "short_name", "kind"]}),
        (_("Registration"), {"fields": ["inn", "kpp", "ogrn", "legal_address"]}),
        (_("Contacts"), {"fields": ["phone", "email", "website"]}),
        (_("Bank details"), {"fields": ["bank_name", "bank_bic", "bank_account", "bank_corr_account"]}),
        (
            _("Readings and payments"),
            {"fields": ["readings_window_start_day", "readings_window_end_day", "payment_due_day"]},
        ),
        (_("History"), {"fields": ["created_at", "updated_at"]}),
    ]


class CalendarDayInline(admin.TabularInline):
    model = CalendarDay
    fields = ["date", "kind", "note"]
    extra = 0


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(admin.ModelAdmin):
    list_display = ["name", "parent", "work_start", "work_end", "lunch_start", "lunch_end"]
    list_select_related = ["parent"]
    search_fields = ["name"]
    inlines = [CalendarDayInline]


@admin.register(Branch)
class BranchAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "organisation", "region_code", "time_zone", "calendar", "phone"]
    list_filter = ["organisation", "region_code"]
    list_select_related = ["organisation", "calendar"]
    search_fields = ["=code", "name"]
    readonly_fields = ["created_at", "updated_at"]


AUDIT_EVENT_FIELDS = (
    "occurred_at",
    "actor",
    "actor_label",
    "action",
    "object_type",
    "object_id",
    "object_label",
    "reason",
    "changes",
    "ip_address",
    "personal_data",
)


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """The audit log, read-only: an event is never added, changed or deleted by hand."""

    list_display = [
        "occurred_at",
        "actor_label",
        "action",
        "object_type",
        "object_id",
        "object_label",
        "personal_data",
    ]
    list_filter = [("occurred_at", admin.DateFieldListFilter), "action", "personal_data", "object_type"]
    search_fields = ["^actor_label", "=object_id", "^object_label"]
    search_help_text = _("Actor's login (beginning), the object's id (exact) or its name (beginning).")
    show_full_result_count = False
    fields = readonly_fields = AUDIT_EVENT_FIELDS

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        return False

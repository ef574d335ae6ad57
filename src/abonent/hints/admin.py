"""Admin for hint rules: staff edit what the dashboard advises, and see each condition's placeholders."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from abonent.core.freshness import touch_everything
from abonent.hints.conditions import CONDITIONS
from abonent.hints.models import HintRule


@admin.register(HintRule)
class HintRuleAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "condition",
        "audience",
        "tone",
        "priority",
        "active",
        "valid_from",
        "valid_until",
    ]
    list_editable = ["priority", "active"]
    list_filter = ["active", "condition", "audience", "tone"]
    search_fields = ["name", "text"]
    readonly_fields = ["conditions_help", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["name", "active", "audience", "priority", "tone"]}),
        (_("When"), {"fields": ["condition", "parameters", "conditions_help", "valid_from", "valid_until"]}),
        (
            _("What to show"),
            {"fields": ["text", "text_en", "action_url_name", "action_label", "action_label_en"]},
        ),
        (_("History"), {"fields": ["created_at", "updated_at"]}),
    ]

    def save_model(self, request: HttpRequest, obj: HintRule, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        touch_everything()  # a rule speaks to every dashboard: none may keep showing the old advice

    def delete_model(self, request: HttpRequest, obj: HintRule) -> None:
        super().delete_model(request, obj)
        touch_everything()

    @admin.display(description=_("Conditions, their parameters and placeholders"))
    def conditions_help(self, obj: HintRule | None = None) -> SafeString:
        rows = (
            (
                key,
                condition.label,
                ", ".join(f"{p.name} ({p.minimum}…{p.maximum}, {p.default})" for p in condition.parameters)
                or "—",
                ", ".join(f"{{{name}}}" for name in condition.placeholders) or "—",
            )
            for key, condition in CONDITIONS.items()
        )
        return format_html_join("\n", "<p><code>{}</code> — {}<br>{} · {}</p>", rows)

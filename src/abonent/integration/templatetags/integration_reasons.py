"""Template filters putting an import's stored codes into words: `{{ code|reason_text }}`, `rule_text`."""

from __future__ import annotations

from django import template

from abonent.integration.reasons import describe_reason, describe_rule, field_label

register = template.Library()


@register.filter
def reason_text(code: str) -> str:
    return describe_reason(str(code))


@register.filter
def rule_text(name: str) -> str:
    return describe_rule(str(name))


@register.filter
def field_text(name: str) -> str:
    return field_label(str(name))

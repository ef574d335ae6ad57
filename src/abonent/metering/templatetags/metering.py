"""Template filters for meter readings."""

from __future__ import annotations

from decimal import Decimal

from django import template

from abonent.metering.errors import format_value

register = template.Library()


@register.filter
def reading_value(value: Decimal | None) -> str:
    """Show a register value or a consumption without trailing zeros: 12 345,6."""
    if value is None or value == "":
        return "—"
    return format_value(Decimal(value))


@register.filter
def signed_percent(value: Decimal | None) -> str:
    """Show a change as "+12 %" / "−5 %" (a real minus sign), or a dash."""
    if value is None:
        return "—"
    number = int(value)
    sign = "+" if number > 0 else ("−" if number < 0 else "")
    return f"{sign}{abs(number)} %"

"""Template filters of billing: money as people read it."""

from __future__ import annotations

from decimal import Decimal

from django import template

from abonent.core.money import format_rub

register = template.Library()


@register.filter
def rub(amount: Decimal | str | int | None) -> str:
    """Format roubles: "1 234,56 ₽" in Russian, "₽1,234.56" in English; empty for nothing."""
    if amount is None or amount == "":
        return ""
    return format_rub(Decimal(amount))

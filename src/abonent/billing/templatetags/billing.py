"""Template filters of billing: money as people read it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django import template
from django.utils.translation import get_language

from abonent.billing.explanation import unit_label
from abonent.billing.models import Zone
from abonent.core.money import format_rub
from abonent.core.periods import BillingPeriod

register = template.Library()


@register.filter
def rub(amount: Decimal | str | int | None) -> str:
    """Format roubles: "1 234,56 ₽" in Russian, "₽1,234.56" in English; empty for nothing."""
    if amount is None or amount == "":
        return ""
    return format_rub(Decimal(amount))


@register.filter
def period_label(day: date | None) -> str:
    """Name a billing period by its first day: "октябрь 2026" in Russian, "October 2026" in English."""
    return BillingPeriod.from_date(day).label() if day else ""


@register.filter
def unit(code: str) -> str:
    """Name a service's unit for people: "kWh" → "кВт·ч", "m3" → "м³"."""
    return unit_label(code)


@register.filter
def volume(value: Decimal | str | None) -> str:
    """Show a volume or a reading without trailing zeros, with the language's decimal mark."""
    if value is None or value == "":
        return "—"
    text = f"{Decimal(value).normalize():f}"
    return text.replace(".", ",") if (get_language() or "ru").startswith("ru") else text


@register.filter
def zone_name(code: str) -> str:
    """Name a tariff zone: "T" is round the clock, T1–T3 as the tariff calls them."""
    return str(Zone(code).label) if code in Zone.values else code


@register.filter
def rub_or_dash(amount: Decimal | str | None) -> str:
    """Format roubles, or a dash for nothing (a zero column would only be noise)."""
    if amount is None or amount == "" or Decimal(amount) == 0:
        return "—"
    return format_rub(Decimal(amount))


@register.filter
def removal_day(value: str | None) -> str:
    """Return a removal day from the bill's JSON (ISO) as DD.MM.YYYY."""
    return f"{date.fromisoformat(value):%d.%m.%Y}" if value else ""

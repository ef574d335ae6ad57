"""Money: roubles as Decimal with kopeck precision; floats are never money."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from fractions import Fraction

from django.utils import translation
from django.utils.translation import gettext

KOPECK = Decimal("0.01")
ZERO = Decimal("0.00")
NARROW_NBSP = "\u202f"  # thousands separator in Russian typography
NBSP = "\u00a0"  # between the amount and the currency sign
RUBLE_SIGN = "₽"

MoneyInput = Decimal | int | str

# Currency marks a person may type after an amount: "₽", "руб.", "р.", "RUB".
_LEADING_MARK = re.compile(r"^([+-]?)₽")
_TRAILING_MARK = re.compile(r"(₽|руб\.?|р\.|rub)$", re.IGNORECASE)
_GROUP_SPACES = re.compile(r"[\s\u00a0\u202f\u2009']")
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")


class InvalidAmount(ValueError):
    """A text that does not spell an amount of money."""


def to_money(value: MoneyInput) -> Decimal:
    """Return the value as roubles rounded half-up to the kopeck."""
    if isinstance(value, float):
        raise TypeError("floats are not money: pass a str, int or Decimal")
    if isinstance(value, bool) or not isinstance(value, Decimal | int | str):
        raise TypeError(f"cannot make money of {type(value).__name__}")
    number = _parse(value) if isinstance(value, str) else Decimal(value)
    if not number.is_finite():
        raise _invalid(value)
    try:
        return number.quantize(KOPECK, rounding=ROUND_HALF_UP)
    except InvalidOperation as exc:  # more digits than Decimal's precision holds
        raise _invalid(value) from exc


def _invalid(value: object) -> InvalidAmount:
    """Return the error for a value that is not an amount of money."""
    return InvalidAmount(gettext("Not an amount of money: %(value)s") % {"value": value})


def _parse(text: str) -> Decimal:
    """Read "1 234,56", "1234.56", "1,234.56", "1.234,56" or "−15 ₽" as a Decimal."""
    cleaned = _GROUP_SPACES.sub("", text.strip()).replace("\u2212", "-")
    cleaned = _TRAILING_MARK.sub("", _LEADING_MARK.sub(r"\1", cleaned))
    normalized = _normalize_separators(cleaned)
    if not _PLAIN_NUMBER.fullmatch(normalized):
        raise _invalid(text)
    return Decimal(normalized)


def _normalize_separators(text: str) -> str:
    """Keep the last of "," and "." as the decimal point and drop the other as grouping."""
    comma, dot = text.rfind(","), text.rfind(".")
    if comma >= 0 and dot >= 0:
        decimal_mark, group_mark = (",", ".") if comma > dot else (".", ",")
        return text.replace(group_mark, "").replace(decimal_mark, ".")
    if comma >= 0:
        return text.replace(",", ".") if text.count(",") == 1 else text.replace(",", "")
    return text if text.count(".") <= 1 else text.replace(".", "")


def to_kopecks(amount: MoneyInput) -> int:
    """Return the amount in whole kopecks."""
    return int(to_money(amount) * 100)


def from_kopecks(kopecks: int) -> Decimal:
    """Return roubles for a whole number of kopecks."""
    if isinstance(kopecks, bool) or not isinstance(kopecks, int):
        raise TypeError("kopecks must be an int")
    return (Decimal(kopecks) / 100).quantize(KOPECK)


def format_rub(amount: MoneyInput, lang: str | None = None) -> str:
    """Format roubles for people: "1 234,56 ₽" in Russian, "₽1,234.56" in English."""
    value = to_money(amount)
    sign = "-" if value < 0 else ""
    grouped = f"{abs(value):,.2f}"  # "1,234.56"
    if (lang or translation.get_language() or "ru").startswith("ru"):
        digits = grouped.replace(",", NARROW_NBSP).replace(".", ",")
        return f"{sign}{digits}{NBSP}{RUBLE_SIGN}"
    return f"{sign}{RUBLE_SIGN}{grouped}"


def allocate(total: MoneyInput, weights: Sequence[int | Decimal]) -> list[Decimal]:
    """Split the total by weights into kopeck parts that add up exactly (largest remainder)."""
    ratios = [_weight(w) for w in weights]
    weight_sum = sum(ratios, Fraction(0))
    if not ratios or weight_sum == 0:
        raise ValueError("allocate() needs at least one positive weight")
    kopecks = to_kopecks(total)
    sign, kopecks = (-1 if kopecks < 0 else 1), abs(kopecks)
    shares = [kopecks * r / weight_sum for r in ratios]
    parts = [math.floor(s) for s in shares]
    by_remainder = sorted(range(len(shares)), key=lambda i: (parts[i] - shares[i], i))
    for i in by_remainder[: kopecks - sum(parts)]:
        parts[i] += 1
    return [from_kopecks(sign * p) for p in parts]


def _weight(value: int | Decimal) -> Fraction:
    """Return a weight as an exact fraction, refusing floats and negatives."""
    if isinstance(value, float | bool) or not isinstance(value, int | Decimal):
        raise TypeError("weights must be int or Decimal")
    if value < 0:
        raise ValueError("weights must not be negative")
    return Fraction(value)


def percent_of(amount: MoneyInput, percent: MoneyInput) -> Decimal:
    """Return the given percent of the amount, rounded half-up to the kopeck."""
    rate = _parse(percent) if isinstance(percent, str) else percent
    if isinstance(rate, float | bool) or not isinstance(rate, int | Decimal):
        raise TypeError("percent must be a str, int or Decimal")
    return to_money(to_money(amount) * Decimal(rate) / 100)

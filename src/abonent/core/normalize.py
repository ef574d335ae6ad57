"""Normalise contact data to one canonical spelling so that lookups and deduplication agree."""

from __future__ import annotations

import re

_NON_DIGITS = re.compile(r"\D+")


def normalize_phone(raw: str) -> str:
    """Return a Russian phone as +7XXXXXXXXXX, or "" when it cannot be one.

    Accepts the spellings people type: 8 (912) 345-67-89, +7 912 345 67 89, 9123456789.
    """
    digits = _NON_DIGITS.sub("", raw or "")
    if len(digits) == 10 and digits[0] == "9":
        digits = "7" + digits
    elif len(digits) == 11 and digits[0] == "8":
        digits = "7" + digits[1:]
    if len(digits) != 11 or digits[0] != "7":
        return ""
    return "+" + digits


def normalize_email(raw: str) -> str:
    return (raw or "").strip().lower()


def format_phone(phone: str) -> str:
    """Return +7XXXXXXXXXX as +7 (XXX) XXX-XX-XX for display."""
    if len(phone) != 12:
        return phone
    return f"+7 ({phone[2:5]}) {phone[5:8]}-{phone[8:10]}-{phone[10:12]}"


def mask_phone(phone: str) -> str:
    """Return the phone with the middle digits hidden, e.g. +7 (912) ***-**-89."""
    if len(phone) != 12:
        return phone
    return f"+7 ({phone[2:5]}) ***-**-{phone[10:12]}"

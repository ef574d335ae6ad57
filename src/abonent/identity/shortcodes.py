"""Generate and hash the short secrets of identity: one-time codes, bill codes, invitation codes.

Short codes have little entropy, so a plain hash could be reversed by trying every code; they are
hashed with HMAC keyed by SECRET_KEY (and checked against SECRET_KEY_FALLBACKS after a key rotation),
which a copy of the database alone cannot reverse.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.utils.crypto import constant_time_compare, salted_hmac

# No 0/O, 1/I/L: a code printed on paper is read aloud and typed by people of every age.
PRINTABLE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
PRINTABLE_LENGTH = 8
# Cyrillic letters that look like Latin ones, as typed on a Russian keyboard layout.
_LOOKALIKES = str.maketrans("АВЕКМНОРСТУХ", "ABEKMHOPCTYX")


def keyed_hash(purpose: str, value: str, *, secret: str | None = None) -> str:
    """Return the hex HMAC-SHA256 of the value under the site's key, separated by purpose."""
    return salted_hmac(f"abonent.identity.{purpose}", value, secret=secret, algorithm="sha256").hexdigest()


def candidate_hashes(purpose: str, value: str) -> list[str]:
    """Return the value's hash under the current key and every fallback key."""
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return [keyed_hash(purpose, value, secret=key) for key in keys]


def matches(purpose: str, value: str, stored_hash: str) -> bool:
    """Tell whether the value hashes to the stored hash under any of the site's keys."""
    return any(constant_time_compare(h, stored_hash) for h in candidate_hashes(purpose, value))


def new_digit_code(length: int = 6) -> str:
    return "".join(secrets.choice("0123456789") for _ in range(length))


def new_printable_code() -> str:
    return "".join(secrets.choice(PRINTABLE_ALPHABET) for _ in range(PRINTABLE_LENGTH))


def format_printable_code(code: str) -> str:
    """Return ABCD2345 as "ABCD-2345", the way it is printed."""
    return f"{code[:4]}-{code[4:]}"


def normalize_printable_code(raw: str) -> str:
    """Return what the person meant: upper case, no spaces or dashes, Cyrillic lookalikes as Latin."""
    cleaned = "".join(ch for ch in (raw or "").upper() if ch.isalnum())
    return cleaned.translate(_LOOKALIKES)


def normalize_digit_code(raw: str) -> str:
    return "".join(ch for ch in (raw or "") if ch.isdigit())

"""Check digits of Russian registration numbers (INN, OGRN, OGRNIP, SNILS).

Written here rather than taken from a library: the algorithms are a few lines each, fixed by the
Federal Tax Service, and the PyPI packages that do it are unmaintained.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_INN10_WEIGHTS = (2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN12_WEIGHTS_11 = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN12_WEIGHTS_12 = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)


def _weighted_check(digits: str, weights: tuple[int, ...]) -> int:
    return sum(int(d) * w for d, w in zip(digits, weights, strict=False)) % 11 % 10


def inn_check_digits(body: str) -> str:
    """Return the check digit(s) to append to a 9- or 10-digit INN body."""
    if len(body) == 9:
        return str(_weighted_check(body, _INN10_WEIGHTS))
    if len(body) == 10:
        first = str(_weighted_check(body, _INN12_WEIGHTS_11))
        return first + str(_weighted_check(body + first, _INN12_WEIGHTS_12))
    raise ValueError("INN body must have 9 or 10 digits")


def is_valid_inn(value: str) -> bool:
    if not value.isdigit() or len(value) not in (10, 12):
        return False
    check_length = 1 if len(value) == 10 else 2
    return inn_check_digits(value[:-check_length]) == value[-check_length:]


def ogrn_check_digit(body: str) -> str:
    """Return the check digit for a 12-digit OGRN or 14-digit OGRNIP body."""
    if len(body) == 12:
        return str(int(body) % 11 % 10)
    if len(body) == 14:
        return str(int(body) % 13 % 10)
    raise ValueError("OGRN body must have 12 or 14 digits")


def is_valid_ogrn(value: str) -> bool:
    return value.isdigit() and len(value) in (13, 15) and ogrn_check_digit(value[:-1]) == value[-1]


def snils_check_number(body: str) -> str:
    """Return the two check digits for a 9-digit SNILS body."""
    total = sum(int(d) * (9 - i) for i, d in enumerate(body))
    if total > 101:
        total %= 101
    return "00" if total in (100, 101) else f"{total:02d}"


def is_valid_snils(value: str) -> bool:
    digits = "".join(ch for ch in value if ch.isdigit())
    return len(digits) == 11 and snils_check_number(digits[:9]) == digits[9:]


def validate_inn(value: str) -> None:
    if not value.isdigit() or len(value) not in (10, 12):
        raise ValidationError(
            _("INN must have 10 digits (company) or 12 digits (person)."), code="inn_length"
        )
    if not is_valid_inn(value):
        raise ValidationError(
            _("INN %(value)s has a wrong check digit."), params={"value": value}, code="inn_check"
        )


def validate_ogrn(value: str) -> None:
    if not value.isdigit() or len(value) not in (13, 15):
        raise ValidationError(
            _("OGRN must have 13 digits (company) or OGRNIP 15 digits (sole proprietor)."), code="ogrn_length"
        )
    if not is_valid_ogrn(value):
        raise ValidationError(
            _("OGRN %(value)s has a wrong check digit."), params={"value": value}, code="ogrn_check"
        )

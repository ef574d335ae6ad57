"""Check digits of INN, OGRN, OGRNIP and SNILS, against real numbers and the published algorithms."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from abonent.core.validators import (
    inn_check_digits,
    is_valid_inn,
    is_valid_ogrn,
    is_valid_snils,
    ogrn_check_digit,
    snils_check_number,
    validate_inn,
    validate_ogrn,
)

# The algorithms as the Federal Tax Service and the Pension Fund publish them, written independently
# of the code under test: each returns the raw remainders before they are folded into check digits.


def _weighted(digits: str, weights: tuple[int, ...]) -> int:
    return sum(int(d) * w for d, w in zip(digits, weights, strict=True))


def _inn10_remainders(body: str) -> tuple[int, ...]:
    return (_weighted(body, (2, 4, 10, 3, 5, 9, 4, 6, 8)) % 11,)


def _inn12_remainders(body: str) -> tuple[int, ...]:
    first = _weighted(body, (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)) % 11
    second = _weighted(body + str(first % 10), (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)) % 11
    return first, second


def _ogrn_remainders(body: str) -> tuple[int, ...]:
    return (int(body) % 11,)


def _ogrnip_remainders(body: str) -> tuple[int, ...]:
    return (int(body) % 13,)


def _snils_remainders(body: str) -> tuple[int, ...]:
    total = _weighted(body, (9, 8, 7, 6, 5, 4, 3, 2, 1))
    return (total % 101 if total > 101 else total,)


def _fold(remainders: tuple[int, ...], width: int) -> str:
    """Turn raw remainders into check digits: 10 (or 100, 101 for SNILS) become zero."""
    if width == 2 and len(remainders) == 1:
        return "00" if remainders[0] in (100, 101) else f"{remainders[0]:02d}"
    return "".join(str(r % 10) for r in remainders)


@dataclass(frozen=True)
class Scheme:
    name: str
    body_length: int
    check_length: int
    check_digits: Callable[[str], str]
    is_valid: Callable[[str], bool]
    remainders: Callable[[str], tuple[int, ...]]


SCHEMES = [
    Scheme("INN10", 9, 1, inn_check_digits, is_valid_inn, _inn10_remainders),
    Scheme("INN12", 10, 2, inn_check_digits, is_valid_inn, _inn12_remainders),
    Scheme("OGRN", 12, 1, ogrn_check_digit, is_valid_ogrn, _ogrn_remainders),
    Scheme("OGRNIP", 14, 1, ogrn_check_digit, is_valid_ogrn, _ogrnip_remainders),
    Scheme("SNILS", 9, 2, snils_check_number, is_valid_snils, _snils_remainders),
]
by_name = pytest.mark.parametrize("scheme", SCHEMES, ids=lambda s: s.name)


def _bodies(scheme: Scheme) -> st.SearchStrategy[str]:
    return st.text(alphabet="0123456789", min_size=scheme.body_length, max_size=scheme.body_length)


def _replace(value: str, position: int, digit: str) -> str:
    return value[:position] + digit + value[position + 1 :]


@by_name
@given(data=st.data())
def test_a_number_with_computed_check_digits_is_valid(scheme: Scheme, data: st.DataObject) -> None:
    body = data.draw(_bodies(scheme))
    check = scheme.check_digits(body)
    assert check == _fold(scheme.remainders(body), scheme.check_length)
    assert scheme.is_valid(body + check)


@by_name
@given(data=st.data())
def test_a_wrong_check_digit_is_caught(scheme: Scheme, data: st.DataObject) -> None:
    body = data.draw(_bodies(scheme))
    value = body + scheme.check_digits(body)
    position = data.draw(st.integers(len(body), len(value) - 1))
    digit = data.draw(st.sampled_from("0123456789").filter(lambda d: d != value[position]))
    assert not scheme.is_valid(_replace(value, position, digit))


@by_name
@given(data=st.data())
def test_a_typo_in_the_body_is_caught_unless_the_remainder_folds_to_the_same_digit(
    scheme: Scheme, data: st.DataObject
) -> None:
    """A typo always moves the remainder; it escapes only where 10 ≡ 0 (INN, OGRN) and the like.

    So "any one changed digit makes the number invalid" holds for the check digits, and for the body
    everywhere except the fold that the published algorithms accept (about one typo in eleven to
    thirteen of those landing on a zero check digit).
    """
    body = data.draw(_bodies(scheme))
    value = body + scheme.check_digits(body)
    position = data.draw(st.integers(0, len(body) - 1))
    digit = data.draw(st.sampled_from("0123456789").filter(lambda d: d != body[position]))
    typo = _replace(body, position, digit)
    before, after = scheme.remainders(body), scheme.remainders(typo)
    assert before[0] != after[0]
    escapes = _fold(before, scheme.check_length) == _fold(after, scheme.check_length)
    assert scheme.is_valid(typo + value[len(body) :]) is escapes


def test_a_typo_can_escape_an_inn_check_through_the_fold() -> None:
    # Weighted sums 0 and 10 (5 × 2) both give the check digit 0: the weakness is in the algorithm.
    assert is_valid_inn("0000000000")
    assert is_valid_inn("5000000000")


@pytest.mark.parametrize(
    "inn",
    [
        "7707083893",  # PAO Sberbank
        "7736050003",  # PAO Gazprom
        "7736207543",  # OOO Yandex
        "500100732259",  # the FNS sample of a person's INN
    ],
)
def test_real_inns_are_valid(inn: str) -> None:
    assert is_valid_inn(inn)
    validate_inn(inn)


@pytest.mark.parametrize(
    "ogrn",
    [
        "1027700132195",  # PAO Sberbank
        "1027700070518",  # PAO Gazprom
        "1027700229193",  # OOO Yandex
        "304500116000157",  # the FNS sample of a sole proprietor's OGRNIP
    ],
)
def test_real_ogrns_are_valid(ogrn: str) -> None:
    assert is_valid_ogrn(ogrn)
    validate_ogrn(ogrn)


@pytest.mark.parametrize("snils", ["112-233-445 95", "11223344595"])
def test_the_pension_fund_sample_snils_is_valid_in_any_spelling(snils: str) -> None:
    assert is_valid_snils(snils)


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("770708389", "inn_length"),
        ("77070838931", "inn_length"),
        ("77070838a3", "inn_length"),
        ("7707083894", "inn_check"),
        ("500100732250", "inn_check"),
    ],
)
def test_validate_inn_says_what_is_wrong(value: str, code: str) -> None:
    with pytest.raises(ValidationError) as exc_info:
        validate_inn(value)
    assert exc_info.value.code == code


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("102770013219", "ogrn_length"),
        ("10277001321950", "ogrn_length"),
        ("1027700132196", "ogrn_check"),
        ("304500116000158", "ogrn_check"),
    ],
)
def test_validate_ogrn_says_what_is_wrong(value: str, code: str) -> None:
    with pytest.raises(ValidationError) as exc_info:
        validate_ogrn(value)
    assert exc_info.value.code == code

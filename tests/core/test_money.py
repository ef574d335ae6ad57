"""Money helpers: parsing, kopecks, formatting and exact allocation."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from abonent.core.money import (
    NARROW_NBSP,
    NBSP,
    InvalidAmount,
    allocate,
    format_rub,
    from_kopecks,
    percent_of,
    to_kopecks,
    to_money,
)

kopeck_amounts = st.integers(min_value=-(10**12), max_value=10**12)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1 234,56", "1234.56"),
        ("1\u00a0234,56", "1234.56"),
        (f"1{NARROW_NBSP}234,56 ₽", "1234.56"),
        ("1234.56", "1234.56"),
        ("1,234.56", "1234.56"),
        ("1.234,56", "1234.56"),
        ("1 000 000", "1000000.00"),
        ("−15,5", "-15.50"),
        ("-0,01", "-0.01"),
        ("100 руб.", "100.00"),
        ("99,90 р.", "99.90"),
        ("₽1,234.56", "1234.56"),
        ("12,", "12.00"),
        (",5", "0.50"),
        (1500, "1500.00"),
        (Decimal("10.1"), "10.10"),
    ],
)
def test_to_money_reads_russian_and_plain_spellings(value: object, expected: str) -> None:
    assert to_money(value) == Decimal(expected)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "expected"),
    [("0.005", "0.01"), ("2.675", "2.68"), ("2.674999", "2.67"), ("-0.005", "-0.01"), ("1,235", "1.24")],
)
def test_to_money_rounds_half_up_to_the_kopeck(value: str, expected: str) -> None:
    assert to_money(value) == Decimal(expected)


def test_to_money_keeps_two_decimal_places() -> None:
    assert str(to_money(7)) == "7.00"


@pytest.mark.parametrize("value", [1.5, 0.1, True, None, [1]])
def test_to_money_refuses_floats_and_other_types(value: object) -> None:
    with pytest.raises(TypeError):
        to_money(value)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "value",
    [
        "",
        "abc",
        "1e5",
        "1 2 3,4,5.6.7",
        "--1",
        "NaN",
        "12 $",
        Decimal("NaN"),
        Decimal("-Infinity"),
        Decimal("1e40"),
    ],
)
def test_to_money_rejects_text_that_is_not_an_amount(value: str | Decimal) -> None:
    with pytest.raises(InvalidAmount):
        to_money(value)


def test_invalid_amount_is_a_value_error_with_the_text() -> None:
    with pytest.raises(ValueError, match="abc"):
        to_money("abc")


def test_kopecks_round_trip_examples() -> None:
    assert to_kopecks("1 234,56") == 123456
    assert to_kopecks(-3) == -300
    assert from_kopecks(123456) == Decimal("1234.56")
    assert from_kopecks(-5) == Decimal("-0.05")


@given(kopeck_amounts)
def test_kopecks_round_trip(kopecks: int) -> None:
    assert to_kopecks(from_kopecks(kopecks)) == kopecks


@pytest.mark.parametrize("value", [1.0, "100", True])
def test_from_kopecks_takes_only_integers(value: object) -> None:
    with pytest.raises(TypeError):
        from_kopecks(value)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("amount", "ru", "en"),
    [
        ("1234.56", f"1{NARROW_NBSP}234,56{NBSP}₽", "₽1,234.56"),
        ("0", f"0,00{NBSP}₽", "₽0.00"),
        ("5", f"5,00{NBSP}₽", "₽5.00"),
        ("1234567.8", f"1{NARROW_NBSP}234{NARROW_NBSP}567,80{NBSP}₽", "₽1,234,567.80"),
        ("-153.46", f"-153,46{NBSP}₽", "-₽153.46"),
    ],
)
def test_format_rub(amount: str, ru: str, en: str) -> None:
    assert format_rub(amount, "ru") == ru
    assert format_rub(amount, "en") == en


def test_format_rub_follows_the_active_language() -> None:
    with translation.override("en"):
        assert format_rub(10) == "₽10.00"
    with translation.override("ru"):
        assert format_rub(10) == f"10,00{NBSP}₽"


@given(kopeck_amounts)
def test_formatted_amounts_read_back(kopecks: int) -> None:
    amount = from_kopecks(kopecks)
    assert to_money(format_rub(amount, "ru")) == amount
    assert to_money(format_rub(amount, "en")) == amount


def test_allocate_gives_leftover_kopecks_to_the_largest_remainders() -> None:
    assert allocate("100", [1, 1, 1]) == [Decimal("33.34"), Decimal("33.33"), Decimal("33.33")]
    assert allocate("0.05", [3, 7]) == [Decimal("0.02"), Decimal("0.03")]
    assert allocate("-100", [1, 1, 1]) == [Decimal("-33.34"), Decimal("-33.33"), Decimal("-33.33")]


def test_allocate_by_decimal_weights_such_as_areas() -> None:
    parts = allocate("1000.00", [Decimal("54.3"), Decimal("45.7")])
    assert parts == [Decimal("543.00"), Decimal("457.00")]


def test_allocate_gives_nothing_to_a_zero_weight() -> None:
    assert allocate("0.02", [0, 1, 1, 0]) == [
        Decimal("0.00"),
        Decimal("0.01"),
        Decimal("0.01"),
        Decimal("0.00"),
    ]


@pytest.mark.parametrize(
    ("weights", "error"), [([], ValueError), ([0, 0], ValueError), ([1, -1], ValueError)]
)
def test_allocate_needs_positive_total_weight(weights: list[int], error: type[Exception]) -> None:
    with pytest.raises(error):
        allocate("10", weights)


def test_allocate_refuses_float_weights() -> None:
    with pytest.raises(TypeError):
        allocate("10", [0.5, 0.5])  # type: ignore[list-item]


@given(
    kopeck_amounts,
    st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=30).filter(lambda w: sum(w) > 0),
)
def test_allocate_sums_exactly_and_stays_within_a_kopeck_of_the_share(
    kopecks: int, weights: list[int]
) -> None:
    total = from_kopecks(kopecks)
    parts = allocate(total, weights)
    assert sum(parts, Decimal(0)) == total
    for part, weight in zip(parts, weights, strict=True):
        exact = total * weight / sum(weights)
        assert abs(part - exact) < Decimal("0.01")


@pytest.mark.parametrize(
    ("amount", "percent", "expected"),
    [
        ("1000", 20, "200.00"),
        ("5000", "9,5", "475.00"),
        ("33.33", Decimal("33.3333"), "11.11"),
        ("0.05", 50, "0.03"),
    ],
)
def test_percent_of(amount: str, percent: int | str | Decimal, expected: str) -> None:
    assert percent_of(amount, percent) == Decimal(expected)


def test_percent_of_refuses_a_float_rate() -> None:
    with pytest.raises(TypeError):
        percent_of("100", 9.5)  # type: ignore[arg-type]

"""Billing periods, due dates and meter-reading windows."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from abonent.core.periods import BillingPeriod, current_period, due_date, periods_between, readings_window

periods = st.builds(
    BillingPeriod, st.integers(min_value=1900, max_value=2200), st.integers(min_value=1, max_value=12)
)

NOVEMBER_2026 = BillingPeriod(2026, 11)


def test_a_period_knows_its_days() -> None:
    assert NOVEMBER_2026.start == date(2026, 11, 1)
    assert NOVEMBER_2026.end == date(2026, 11, 30)
    assert NOVEMBER_2026.days == 30
    assert BillingPeriod(2028, 2).end == date(2028, 2, 29)
    assert BillingPeriod(2026, 2).days == 28


def test_next_and_previous_cross_the_year() -> None:
    assert BillingPeriod(2026, 12).next() == BillingPeriod(2027, 1)
    assert BillingPeriod(2027, 1).previous() == BillingPeriod(2026, 12)
    assert NOVEMBER_2026.shift(-23) == BillingPeriod(2024, 12)


@given(periods, st.integers(min_value=-1000, max_value=1000))
def test_shift_round_trips(period: BillingPeriod, months: int) -> None:
    assert period.shift(months).shift(-months) == period
    assert period.next().previous() == period


@given(periods)
def test_consecutive_periods_touch(period: BillingPeriod) -> None:
    assert (period.next().start - period.end).days == 1


def test_str_and_parse() -> None:
    assert str(NOVEMBER_2026) == "2026-11"
    assert str(BillingPeriod(987, 3)) == "0987-03"
    assert BillingPeriod.parse("2026-11") == NOVEMBER_2026
    assert BillingPeriod.parse(" 2026-3 ") == BillingPeriod(2026, 3)
    assert BillingPeriod.parse("11.2026") == NOVEMBER_2026


@given(periods)
def test_parse_reads_what_str_writes(period: BillingPeriod) -> None:
    assert BillingPeriod.parse(str(period)) == period


@pytest.mark.parametrize("text", ["2026-13", "2026-00", "2026/11", "26-11", "ноябрь 2026", ""])
def test_parse_rejects_bad_text(text: str) -> None:
    with pytest.raises(ValueError):
        BillingPeriod.parse(text)


@pytest.mark.parametrize(("year", "month"), [(2026, 0), (2026, 13), (0, 5)])
def test_a_period_must_exist(year: int, month: int) -> None:
    with pytest.raises(ValueError):
        BillingPeriod(year, month)


def test_periods_are_ordered_and_hashable() -> None:
    unsorted = [BillingPeriod(2027, 1), BillingPeriod(2026, 12), BillingPeriod(2026, 2)]
    assert sorted(unsorted) == [BillingPeriod(2026, 2), BillingPeriod(2026, 12), BillingPeriod(2027, 1)]
    assert len({BillingPeriod(2026, 1), BillingPeriod(2026, 1)}) == 1
    with pytest.raises(AttributeError):
        NOVEMBER_2026.month = 12  # type: ignore[misc]


def test_from_date_and_membership() -> None:
    assert BillingPeriod.from_date(date(2026, 11, 30)) == NOVEMBER_2026
    assert date(2026, 11, 15) in NOVEMBER_2026
    assert date(2026, 12, 1) not in NOVEMBER_2026
    assert current_period(date(2026, 11, 23)) == NOVEMBER_2026


def test_label_is_localized() -> None:
    assert NOVEMBER_2026.label("ru") == "ноябрь 2026"
    assert NOVEMBER_2026.label("en") == "November 2026"
    assert BillingPeriod(2026, 5).label("ru") == "май 2026"
    with translation.override("ru"):
        assert BillingPeriod(2027, 1).label() == "январь 2027"
    with translation.override("en"):
        assert BillingPeriod(2027, 1).label() == "January 2027"


def test_periods_between_includes_both_ends() -> None:
    months = list(periods_between(BillingPeriod(2025, 11), BillingPeriod(2026, 2)))
    assert [str(p) for p in months] == ["2025-11", "2025-12", "2026-01", "2026-02"]
    assert list(periods_between(NOVEMBER_2026, NOVEMBER_2026)) == [NOVEMBER_2026]
    assert list(periods_between(NOVEMBER_2026, BillingPeriod(2026, 10))) == []


@given(periods, periods)
def test_periods_between_counts_months(first: BillingPeriod, last: BillingPeriod) -> None:
    expected = max(0, (last.year - first.year) * 12 + last.month - first.month + 1)
    assert len(list(periods_between(first, last))) == expected


def test_due_date_is_in_the_following_month() -> None:
    assert due_date(BillingPeriod(2026, 3)) == date(2026, 4, 15)
    assert due_date(BillingPeriod(2026, 12)) == date(2027, 1, 15)
    assert due_date(BillingPeriod(2026, 3), due_day=10) == date(2026, 4, 10)
    assert due_date(BillingPeriod(2026, 1), due_day=31) == date(2026, 2, 28)


def test_due_day_must_be_positive() -> None:
    with pytest.raises(ValueError):
        due_date(NOVEMBER_2026, due_day=0)


def test_readings_window() -> None:
    window = readings_window(NOVEMBER_2026, 23, 25)
    assert (window.start, window.end, window.days) == (date(2026, 11, 23), date(2026, 11, 25), 3)
    assert date(2026, 11, 25) in window
    assert datetime(2026, 11, 24, 23, 59) in window
    assert date(2026, 11, 26) not in window
    assert date(2026, 11, 22) not in window


def test_readings_window_is_clamped_to_short_months() -> None:
    window = readings_window(BillingPeriod(2026, 2), 25, 31)
    assert (window.start, window.end) == (date(2026, 2, 25), date(2026, 2, 28))


@pytest.mark.parametrize(("start", "end"), [(26, 25), (0, 25)])
def test_readings_window_must_be_ordered(start: int, end: int) -> None:
    with pytest.raises(ValueError):
        readings_window(NOVEMBER_2026, start, end)

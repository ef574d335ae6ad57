"""The plausibility rules as properties: order with rollover, digit limits, outliers."""

from __future__ import annotations

import datetime
from dataclasses import replace
from decimal import Decimal

from hypothesis import assume, given
from hypothesis import strategies as st

from abonent.core.periods import BillingPeriod
from abonent.metering.errors import (
    LowerThanPrevious,
    MeterDecommissioned,
    MeterRemoved,
    MissingZone,
    NegativeReading,
    NoReadings,
    TooManyDecimals,
    TooManyDigits,
    UnknownZone,
)
from abonent.metering.rules import (
    MeterFacts,
    PastReading,
    capacity,
    check_meter,
    check_values,
    consumption,
    is_outlier,
    is_rollover,
    monthly_average,
    parse_value,
    zone_consumption,
)

SHARE = Decimal("0.1")
DAY = datetime.date(2026, 10, 20)
digits = st.integers(min_value=4, max_value=9)
money_like = st.decimals(min_value=0, max_value=Decimal("999999999.999"), places=3, allow_nan=False)


def facts(zones: int = 1, digit_count: int = 5) -> MeterFacts:
    return MeterFacts(
        serial="X1",
        zones=[f"T{n}" for n in range(1, zones + 1)],
        digits=digit_count,
        status="active",
        installed_on=datetime.date(2020, 1, 1),
        next_verification_on=datetime.date(2035, 1, 1),
    )


def previous(values: dict[str, Decimal]) -> PastReading:
    return PastReading(period=BillingPeriod(2026, 10), values=values, taken_on=DAY)


def register(draw: st.DrawFn, digit_count: int) -> Decimal:
    """Draw a value the meter can show: below 10^digits, up to 3 decimals."""
    top = capacity(digit_count) - Decimal("0.001")
    return draw(st.decimals(min_value=0, max_value=top, places=3, allow_nan=False))


@st.composite
def meter_and_pair(draw: st.DrawFn) -> tuple[int, Decimal, Decimal]:
    count = draw(digits)
    return count, register(draw, count), register(draw, count)


@given(meter_and_pair())
def test_a_value_not_below_the_previous_is_accepted(case: tuple[int, Decimal, Decimal]) -> None:
    count, old, new = case
    assume(new >= old)
    assert check_values(values={"T1": new}, meter=facts(1, count), previous=previous({"T1": old})) == []


@given(meter_and_pair())
def test_a_lower_value_is_accepted_exactly_when_it_is_a_small_rollover(
    case: tuple[int, Decimal, Decimal],
) -> None:
    count, old, new = case
    assume(new < old)
    errors = check_values(
        values={"T1": new}, meter=facts(1, count), previous=previous({"T1": old}), max_share=SHARE
    )
    wrapped = new + capacity(count) - old
    if wrapped <= SHARE * capacity(count):
        assert errors == []
    else:
        assert [type(e) for e in errors] == [LowerThanPrevious]
        assert errors[0].zone == "T1"


@given(meter_and_pair())
def test_consumption_across_a_rollover_is_what_the_register_passed(
    case: tuple[int, Decimal, Decimal],
) -> None:
    count, old, new = case
    used = zone_consumption(old, new, digits=count)
    assert 0 <= used < capacity(count)
    assert (old + used) % capacity(count) == new


@given(digits, st.decimals(min_value=1, max_value=Decimal("1e12"), places=0, allow_nan=False))
def test_values_with_more_digits_than_the_meter_are_refused(count: int, value: Decimal) -> None:
    errors = check_values(values={"T1": value}, meter=facts(1, count))
    refused = bool(errors) and isinstance(errors[0], TooManyDigits)
    assert refused == (value >= capacity(count))


@given(st.integers(min_value=4, max_value=7))
def test_more_than_three_decimals_are_refused(count: int) -> None:
    errors = check_values(values={"T1": Decimal("12.3456")}, meter=facts(1, count))
    assert [type(e) for e in errors] == [TooManyDecimals]
    assert check_values(values={"T1": Decimal("12.3450")}, meter=facts(1, count)) == []


def test_every_zone_reports_its_own_error() -> None:
    errors = check_values(
        values={"T1": Decimal("-1"), "T2": Decimal("12345"), "T4": Decimal(1)},
        meter=facts(3, 6),
        previous=previous({"T1": Decimal(10), "T2": Decimal("12400"), "T3": Decimal(1)}),
    )
    by_zone = {e.zone: type(e) for e in errors}
    assert by_zone == {"T1": NegativeReading, "T2": LowerThanPrevious, "T3": MissingZone, "T4": UnknownZone}


def test_the_lower_than_previous_message_names_zone_values_and_date() -> None:
    (error,) = check_values(
        values={"T1": Decimal(100), "T2": Decimal("12345")},
        meter=facts(2, 6),
        previous=previous({"T1": Decimal(90), "T2": Decimal("12400")}),
    )
    assert error.code == "lower_than_previous"
    assert error.zone == "T2"
    for part in ("T2", "12345", "12400", "20.10.2026"):
        assert part in error.message


@given(
    st.dates(min_value=datetime.date(2020, 1, 1), max_value=datetime.date(2034, 12, 31)),
    st.integers(min_value=-800, max_value=800),
)
def test_a_removed_meter_takes_readings_dated_up_to_its_removal_day_only(
    removed_on: datetime.date, offset: int
) -> None:
    day = removed_on + datetime.timedelta(days=offset)
    assume(day >= datetime.date(2020, 1, 1))  # not before the installation, which has its own error
    removed = replace(facts(), status="decommissioned", removed_on=removed_on)

    problems = check_meter(meter=removed, day=day)

    if day > removed_on:
        assert [(type(p), p.zone) for p in problems] == [(MeterRemoved, None)]
    else:  # the final reading, taken when the meter came off
        assert problems == []


def test_the_removal_message_names_the_meter_and_the_day() -> None:
    removed = replace(facts(), status="decommissioned", removed_on=datetime.date(2026, 11, 5))
    (error,) = check_meter(meter=removed, day=datetime.date(2026, 11, 6))
    assert error.code == "meter_removed"
    assert "№X1" in error.message and "05.11.2026" in error.message


def test_a_meter_decommissioned_without_a_date_takes_no_readings_at_all() -> None:
    old = replace(facts(), status="decommissioned")
    for day in (datetime.date(2020, 1, 1), DAY):
        assert [type(p) for p in check_meter(meter=old, day=day)] == [MeterDecommissioned]


def test_an_empty_submission_is_refused_as_such() -> None:
    assert [type(e) for e in check_values(values={"T1": None}, meter=facts())] == [NoReadings]


@given(st.lists(st.decimals(min_value=0, max_value=500, places=1, allow_nan=False), min_size=3, max_size=12))
def test_the_average_is_total_consumption_over_months(monthly: list[Decimal]) -> None:
    value, history = Decimal(1000), []
    for index, used in enumerate([Decimal(0), *monthly]):
        value += used
        history.append(
            PastReading(period=BillingPeriod(2025, 1).shift(index), values={"T1": value}, taken_on=DAY)
        )
    average = monthly_average(history, digits=6, min_months=3)
    assert average == sum(monthly) / len(monthly)
    assert consumption(history[0], history[-1], digits=6) == sum(monthly)


def test_an_outlier_is_above_factor_times_the_average_and_needs_an_average() -> None:
    assert is_outlier(per_month=Decimal(301), average=Decimal(100), factor=Decimal(3))
    assert not is_outlier(per_month=Decimal(300), average=Decimal(100), factor=Decimal(3))
    assert not is_outlier(per_month=Decimal(10_000), average=None, factor=Decimal(3))
    assert not is_outlier(per_month=Decimal(10_000), average=Decimal(0), factor=Decimal(3))


def test_a_too_short_history_gives_no_average() -> None:
    history = [
        PastReading(period=BillingPeriod(2026, 9), values={"T1": Decimal(1)}, taken_on=DAY),
        PastReading(period=BillingPeriod(2026, 10), values={"T1": Decimal(2)}, taken_on=DAY),
    ]
    assert monthly_average(history, digits=5, min_months=3) is None


def test_rollover_is_judged_against_the_meter_range() -> None:
    assert is_rollover(Decimal("99950"), Decimal("30"), digits=5, max_share=SHARE)
    assert not is_rollover(Decimal("12400"), Decimal("12345"), digits=5, max_share=SHARE)


@given(st.decimals(min_value=0, max_value=Decimal("99999.999"), places=3, allow_nan=False))
def test_people_may_type_commas_and_spaces(value: Decimal) -> None:
    typed = f"{value:,.3f}".replace(",", " ").replace(".", ",")
    assert parse_value(typed, zone="T1") == value
    assert parse_value(f"{value}", zone="T1") == value

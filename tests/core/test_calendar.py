"""The business calendar: federal data, working days, working hours and SLA arithmetic."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from abonent.core.calendar import (
    DayKind,
    WorkingCalendar,
    calendar_for_branch,
    clear_calendar_cache,
)
from abonent.core.models import Branch, BusinessCalendar, CalendarDay
from abonent.core.production_calendar import (
    FEDERAL_CALENDAR_NAME,
    calendar_data,
    federal_days,
    load_federal_calendar,
)
from tests.factories import BranchFactory

MSK = ZoneInfo("Europe/Moscow")
EKB = ZoneInfo("Asia/Yekaterinburg")
# The federal calendar straight from the data file, for tests that need no database.
FEDERAL = WorkingCalendar(days={day.date: DayKind(day.kind) for day in federal_days()})

covered_dates = st.dates(min_value=date(2024, 1, 1), max_value=date(2027, 6, 30))
moments = st.builds(
    lambda day, minutes: datetime.combine(day, time(0), tzinfo=MSK) + timedelta(minutes=minutes),
    covered_dates,
    st.integers(min_value=0, max_value=24 * 60 - 1),
)
durations = st.integers(min_value=0, max_value=200 * 60).map(lambda minutes: timedelta(minutes=minutes))


def msk(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=MSK)


# --- The federal data, from the decrees -----------------------------------------------------------


def test_new_year_holidays_2026_run_to_the_eleventh_of_january() -> None:
    for day in range(1, 12):
        assert not FEDERAL.is_working_day(date(2026, 1, day)), day
    assert FEDERAL.day_kind(date(2026, 1, 7)) is DayKind.HOLIDAY
    assert FEDERAL.day_kind(date(2026, 1, 9)) is DayKind.DAY_OFF  # moved from Saturday 3 January
    assert FEDERAL.is_working_day(date(2026, 1, 12))
    assert FEDERAL.day_kind(date(2025, 12, 31)) is DayKind.DAY_OFF  # moved from Sunday 5 January 2025
    assert FEDERAL.day_kind(date(2026, 12, 31)) is DayKind.DAY_OFF  # moved from Sunday 4 January 2026


@pytest.mark.parametrize(
    ("day", "kind"),
    [
        (date(2026, 2, 23), DayKind.HOLIDAY),
        (date(2026, 3, 9), DayKind.DAY_OFF),  # 8 March 2026 is a Sunday
        (date(2026, 5, 11), DayKind.DAY_OFF),  # 9 May 2026 is a Saturday
        (date(2026, 4, 30), DayKind.SHORTENED),
        (date(2026, 11, 3), DayKind.SHORTENED),
        (date(2026, 11, 4), DayKind.HOLIDAY),
        (date(2026, 11, 5), DayKind.WORKING),
        (date(2026, 11, 7), DayKind.WEEKEND),
        (date(2025, 11, 1), DayKind.SHORTENED),  # a working Saturday, one hour shorter
        (date(2025, 11, 3), DayKind.DAY_OFF),
        (date(2025, 5, 8), DayKind.DAY_OFF),  # moved from Sunday 23 February 2025
        (date(2025, 6, 13), DayKind.DAY_OFF),  # moved from Saturday 8 March 2025
        (date(2024, 4, 27), DayKind.WORKING),  # a working Saturday
        (date(2024, 12, 28), DayKind.WORKING),
        (date(2024, 4, 29), DayKind.DAY_OFF),
        (date(2024, 5, 10), DayKind.DAY_OFF),
        (date(2027, 5, 3), DayKind.DAY_OFF),  # 1 May 2027 is a Saturday (Labour Code art. 112 part 2)
        (date(2027, 2, 22), DayKind.SHORTENED),
    ],
)
def test_known_days(day: date, kind: DayKind) -> None:
    assert FEDERAL.day_kind(day) is kind


@pytest.mark.parametrize(
    "entry", [e for e in calendar_data()["years"] if e["expected"]], ids=lambda e: e["year"]
)
def test_yearly_norms_match_the_published_calendar(entry: dict) -> None:
    year = entry["year"]
    assert (
        FEDERAL.working_days_between(date(year - 1, 12, 31), date(year, 12, 31))
        == entry["expected"]["working_days"]
    )
    # 09:00-18:00 with an hour's lunch is the 40-hour week's 8-hour day; shortened days give 7.
    hours = FEDERAL.working_time_between(msk(year, 1, 1), msk(year + 1, 1, 1), MSK)
    assert hours == timedelta(hours=entry["expected"]["working_hours_40h_week"])


def test_every_official_year_names_its_decree() -> None:
    official = [e for e in calendar_data()["years"] if e["status"] == "official"]
    assert [e["year"] for e in official] == [2024, 2025, 2026]
    assert all("Постановление Правительства РФ" in e["decree"] for e in official)


def test_data_notes_fit_the_model_field() -> None:
    limit = CalendarDay._meta.get_field("note").max_length
    assert limit is not None
    assert all(len(day.note) <= limit for day in federal_days())


# --- Working hours --------------------------------------------------------------------------------


def test_working_hours_of_an_ordinary_day_exclude_lunch() -> None:
    assert FEDERAL.working_hours(date(2026, 11, 5), MSK) == [
        (msk(2026, 11, 5, 9), msk(2026, 11, 5, 13)),
        (msk(2026, 11, 5, 14), msk(2026, 11, 5, 18)),
    ]


def test_a_shortened_day_ends_an_hour_earlier() -> None:
    assert FEDERAL.working_hours(date(2026, 11, 3), MSK)[-1] == (msk(2026, 11, 3, 14), msk(2026, 11, 3, 17))


def test_a_day_off_has_no_working_hours() -> None:
    assert FEDERAL.working_hours(date(2026, 1, 5), MSK) == []
    assert FEDERAL.working_hours(date(2026, 11, 7), MSK) == []


def test_working_hours_are_local_to_the_branch_zone() -> None:
    start, _ = FEDERAL.working_hours(date(2026, 11, 5), "Asia/Yekaterinburg")[0]
    assert start == datetime(2026, 11, 5, 9, tzinfo=EKB)
    assert start == msk(2026, 11, 5, 7)


def test_a_calendar_without_lunch_and_a_long_shortening() -> None:
    calendar = WorkingCalendar(
        days={date(2026, 11, 3): DayKind.SHORTENED},
        work_start=time(8),
        work_end=time(17),
        lunch_start=None,
        lunch_end=None,
        shortened_by=timedelta(hours=4),
    )
    assert calendar.working_hours(date(2026, 11, 5), MSK) == [(msk(2026, 11, 5, 8), msk(2026, 11, 5, 17))]
    assert calendar.working_hours(date(2026, 11, 3), MSK) == [(msk(2026, 11, 3, 8), msk(2026, 11, 3, 13))]


def test_shortening_into_lunch_drops_the_afternoon() -> None:
    calendar = WorkingCalendar(days={date(2026, 11, 3): DayKind.SHORTENED}, shortened_by=timedelta(hours=5))
    assert calendar.working_hours(date(2026, 11, 3), MSK) == [(msk(2026, 11, 3, 9), msk(2026, 11, 3, 13))]


# --- Working days ---------------------------------------------------------------------------------


def test_add_working_days_skips_the_new_year_holidays() -> None:
    assert FEDERAL.add_working_days(date(2025, 12, 30), 1) == date(2026, 1, 12)
    assert FEDERAL.add_working_days(date(2026, 1, 12), -1) == date(2025, 12, 30)
    assert FEDERAL.add_working_days(date(2026, 1, 3), 0) == date(2026, 1, 3)
    assert FEDERAL.add_working_days(date(2026, 11, 6), 1) == date(2026, 11, 9)  # Friday → Monday
    assert FEDERAL.add_working_days(date(2026, 11, 7), 1) == date(2026, 11, 9)  # Saturday → Monday


def test_ten_working_days_for_a_personal_data_request() -> None:
    # A request received on 28 April 2026: the May holidays do not count.
    assert FEDERAL.add_working_days(date(2026, 4, 28), 10) == date(2026, 5, 14)


def test_working_days_between() -> None:
    assert FEDERAL.working_days_between(date(2025, 12, 31), date(2026, 1, 31)) == 15
    assert FEDERAL.working_days_between(date(2026, 1, 31), date(2025, 12, 31)) == -15
    assert FEDERAL.working_days_between(date(2026, 11, 5), date(2026, 11, 5)) == 0


@given(covered_dates, st.integers(min_value=0, max_value=250))
def test_add_then_count_working_days_round_trips(start: date, n: int) -> None:
    assert FEDERAL.working_days_between(start, FEDERAL.add_working_days(start, n)) == n


@given(covered_dates.filter(FEDERAL.is_working_day), st.integers(min_value=-250, max_value=250))
def test_round_trip_both_ways_from_a_working_day(start: date, n: int) -> None:
    end = FEDERAL.add_working_days(start, n)
    assert FEDERAL.working_days_between(start, end) == n
    assert FEDERAL.is_working_day(end)


def test_a_calendar_without_working_days_fails_loudly() -> None:
    nothing = WorkingCalendar(
        days={date(2026, 1, 1) + timedelta(days=i): DayKind.HOLIDAY for i in range(4000)}
    )
    with pytest.raises(ValueError, match="no working day"):
        nothing.add_working_days(date(2026, 1, 1), 1)
    with pytest.raises(ValueError, match="no working day"):
        nothing.add_working_time(msk(2026, 1, 1), timedelta(hours=1), MSK)


# --- Working time (SLA clocks) --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "duration", "expected"),
    [
        (msk(2026, 11, 5, 10), timedelta(hours=2), msk(2026, 11, 5, 12)),
        (msk(2026, 11, 5, 12, 30), timedelta(hours=1), msk(2026, 11, 5, 14, 30)),  # lunch skipped
        (msk(2026, 11, 5, 12), timedelta(hours=1), msk(2026, 11, 5, 13)),  # ends as lunch starts
        (msk(2026, 11, 6, 17), timedelta(hours=2), msk(2026, 11, 9, 10)),  # Friday → Monday
        (msk(2026, 11, 7, 15), timedelta(hours=1), msk(2026, 11, 9, 10)),  # Saturday snaps to Monday 9:00
        (msk(2026, 11, 5, 7), timedelta(minutes=30), msk(2026, 11, 5, 9, 30)),  # before hours
        (msk(2026, 11, 5, 18), timedelta(0), msk(2026, 11, 6, 9)),  # at closing time
        (msk(2026, 11, 5, 13, 20), timedelta(0), msk(2026, 11, 5, 14)),  # at lunch
        (msk(2026, 11, 5, 10), timedelta(0), msk(2026, 11, 5, 10)),
        (msk(2026, 4, 30, 16, 30), timedelta(hours=1), msk(2026, 5, 4, 9, 30)),  # shortened day, then May
        (msk(2025, 12, 30, 17), timedelta(hours=8), msk(2026, 1, 12, 17)),  # over the New Year
        (msk(2026, 11, 5, 9), timedelta(hours=16), msk(2026, 11, 6, 18)),  # exactly two days
    ],
)
def test_add_working_time(start: datetime, duration: timedelta, expected: datetime) -> None:
    assert FEDERAL.add_working_time(start, duration, MSK) == expected


def test_add_working_time_answers_in_the_given_zone() -> None:
    # 9:00 in Yekaterinburg is 7:00 in Moscow: an appeal filed at 8:00 Moscow time has started its clock.
    due = FEDERAL.add_working_time(msk(2026, 11, 5, 8), timedelta(hours=1), EKB)
    assert due == datetime(2026, 11, 5, 11, tzinfo=EKB)
    assert due.tzinfo == EKB


def test_next_working_moment() -> None:
    assert FEDERAL.next_working_moment(msk(2026, 1, 1, 12), MSK) == msk(2026, 1, 12, 9)


def test_add_working_time_refuses_naive_start_and_negative_duration() -> None:
    with pytest.raises(ValueError, match="aware"):
        FEDERAL.add_working_time(datetime(2026, 11, 5, 10), timedelta(hours=1), MSK)
    with pytest.raises(ValueError, match="negative"):
        FEDERAL.add_working_time(msk(2026, 11, 5, 10), timedelta(hours=-1), MSK)


def test_working_time_between() -> None:
    assert FEDERAL.working_time_between(msk(2026, 11, 5, 12), msk(2026, 11, 5, 15), MSK) == timedelta(hours=2)
    assert FEDERAL.working_time_between(msk(2026, 11, 6, 17), msk(2026, 11, 9, 10), MSK) == timedelta(hours=2)
    assert FEDERAL.working_time_between(msk(2026, 11, 9, 10), msk(2026, 11, 6, 17), MSK) == -timedelta(
        hours=2
    )
    assert FEDERAL.working_time_between(msk(2026, 1, 1), msk(2026, 1, 11, 23), MSK) == timedelta(0)


@given(moments, durations, durations)
def test_add_working_time_is_monotonic(start: datetime, first: timedelta, second: timedelta) -> None:
    shorter, longer = sorted([first, second])
    assert FEDERAL.add_working_time(start, shorter, MSK) <= FEDERAL.add_working_time(start, longer, MSK)


@given(moments, durations)
def test_working_time_between_measures_what_add_working_time_added(
    start: datetime, duration: timedelta
) -> None:
    due = FEDERAL.add_working_time(start, duration, MSK)
    assert due >= start
    assert FEDERAL.working_time_between(start, due, MSK) == duration


# --- From the database ----------------------------------------------------------------------------


@pytest.fixture
def federal(db) -> Iterator[BusinessCalendar]:
    clear_calendar_cache()
    yield BusinessCalendar.objects.get(name=FEDERAL_CALENDAR_NAME)
    clear_calendar_cache()


def test_the_migration_loads_the_federal_calendar(federal: BusinessCalendar) -> None:
    assert federal.days.count() == len(federal_days())
    assert WorkingCalendar.from_model(federal).days == FEDERAL.days


def test_loading_the_federal_calendar_is_idempotent(federal: BusinessCalendar) -> None:
    CalendarDay.objects.filter(calendar=federal, date=date(2026, 1, 9)).update(kind=CalendarDay.Kind.WORKING)
    CalendarDay.objects.create(calendar=federal, date=date(2026, 8, 3), kind=CalendarDay.Kind.HOLIDAY)
    assert load_federal_calendar() == federal
    assert load_federal_calendar() == federal
    assert federal.days.count() == len(federal_days())
    assert federal.days.get(date=date(2026, 1, 9)).kind == CalendarDay.Kind.DAY_OFF
    assert BusinessCalendar.objects.filter(name=FEDERAL_CALENDAR_NAME).count() == 1


def test_load_federal_calendar_under_another_name(db) -> None:
    calendar = load_federal_calendar(name="Федеральный (копия)")
    assert calendar.days.count() == len(federal_days())


def test_a_regional_calendar_overrides_its_parent(federal: BusinessCalendar) -> None:
    regional = BusinessCalendar.objects.create(name="Башкортостан", parent=federal)
    CalendarDay.objects.create(calendar=regional, date=date(2026, 3, 20), kind=CalendarDay.Kind.HOLIDAY)
    CalendarDay.objects.create(calendar=regional, date=date(2026, 1, 9), kind=CalendarDay.Kind.WORKING)
    calendar = WorkingCalendar.from_model(regional)
    assert calendar.day_kind(date(2026, 3, 20)) is DayKind.HOLIDAY  # regional holiday
    assert calendar.is_working_day(date(2026, 1, 9))  # the child wins over the parent
    assert calendar.day_kind(date(2026, 1, 8)) is DayKind.HOLIDAY  # inherited
    assert FEDERAL.is_working_day(date(2026, 3, 20))


def test_working_hours_come_from_the_calendar_itself(federal: BusinessCalendar) -> None:
    regional = BusinessCalendar.objects.create(
        name="Контакт-центр",
        parent=federal,
        work_start="08:00",
        work_end="20:00",
        lunch_start=None,
        lunch_end=None,
    )
    calendar = WorkingCalendar.from_model(regional)
    assert calendar.working_hours(date(2026, 11, 3), MSK) == [(msk(2026, 11, 3, 8), msk(2026, 11, 3, 19))]


def test_calendar_for_branch_is_cached_until_the_calendar_changes(
    federal: BusinessCalendar, django_assert_max_num_queries
) -> None:
    branch: Branch = BranchFactory.create(calendar=federal)
    first = calendar_for_branch(branch)
    with django_assert_max_num_queries(2):
        assert calendar_for_branch(branch) is first

    CalendarDay.objects.create(calendar=federal, date=date(2026, 8, 3), kind=CalendarDay.Kind.HOLIDAY)
    added = calendar_for_branch(branch)
    assert added is not first
    assert added.day_kind(date(2026, 8, 3)) is DayKind.HOLIDAY

    CalendarDay.objects.filter(calendar=federal, date=date(2026, 8, 3)).update(
        kind=CalendarDay.Kind.SHORTENED
    )
    assert calendar_for_branch(branch).day_kind(date(2026, 8, 3)) is DayKind.SHORTENED

    CalendarDay.objects.filter(calendar=federal, date=date(2026, 8, 3)).update(date=date(2026, 8, 4))
    assert calendar_for_branch(branch).day_kind(date(2026, 8, 4)) is DayKind.SHORTENED

    BusinessCalendar.objects.filter(pk=federal.pk).update(work_start=time(8))
    assert calendar_for_branch(branch).work_start == time(8)


def test_calendar_for_branch_sees_a_parent_edit(federal: BusinessCalendar) -> None:
    regional = BusinessCalendar.objects.create(name="Регион", parent=federal)
    branch: Branch = BranchFactory.create(calendar=regional)
    assert calendar_for_branch(branch).is_working_day(date(2026, 8, 3))
    CalendarDay.objects.create(calendar=federal, date=date(2026, 8, 3), kind=CalendarDay.Kind.HOLIDAY)
    assert not calendar_for_branch(branch).is_working_day(date(2026, 8, 3))

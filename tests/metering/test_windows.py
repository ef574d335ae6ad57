"""The readings window: the period a reading counts for and what the customer is told."""

from __future__ import annotations

import datetime

from django.utils import translation

from abonent.core.periods import BillingPeriod
from abonent.metering.windows import WindowState, period_for, window_status
from tests.factories import OrganisationFactory


def status(day: datetime.date, lang: str = "en"):  # type: ignore[no-untyped-def]
    with translation.override(lang):
        result = window_status(organisation=OrganisationFactory.build(), today=day)
        return result, result.message


def test_readings_count_for_the_month_until_the_last_window_day() -> None:
    assert period_for(datetime.date(2026, 11, 3), end_day=25) == BillingPeriod(2026, 11)
    assert period_for(datetime.date(2026, 11, 25), end_day=25) == BillingPeriod(2026, 11)
    assert period_for(datetime.date(2026, 11, 26), end_day=25) == BillingPeriod(2026, 12)
    assert period_for(datetime.date(2026, 12, 31), end_day=25) == BillingPeriod(2027, 1)
    assert period_for(datetime.date(2027, 2, 28), end_day=30) == BillingPeriod(2027, 2)  # clamped to February


def test_open_window_says_until_when_and_how_many_days_are_left() -> None:
    result, message = status(datetime.date(2026, 11, 23))
    assert result.state is WindowState.OPEN and result.days_left == 3
    assert message == "Readings are accepted until 25 November, 3 days left."
    assert (
        status(datetime.date(2026, 11, 25))[1]
        == "Readings are accepted until 25 November — today is the last day."
    )


def test_russian_message_uses_the_genitive_month() -> None:
    assert "25 ноября" in status(datetime.date(2026, 11, 23), "ru")[1]


def test_before_and_after_the_window() -> None:
    early, message = status(datetime.date(2026, 11, 10))
    assert early.state is WindowState.NOT_YET_OPEN and early.period == BillingPeriod(2026, 11)
    assert "15 November" in message and "25 November" in message
    late, message = status(datetime.date(2026, 11, 27))
    assert late.state is WindowState.CLOSED and late.period == BillingPeriod(2026, 12)
    assert "December 2026" in message

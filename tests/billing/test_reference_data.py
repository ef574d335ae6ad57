"""The bundled reference data (key rates, cap, moratoria, scales, due rules), reloadable after a flush."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from abonent.billing.models import KeyRate, PaymentDueRule, PenaltyMoratorium, PenaltyRateCap, PenaltyScale
from abonent.billing.selectors import penalty_terms
from abonent.billing.services.reference import load_reference_data

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _reference() -> None:
    load_reference_data()


@pytest.mark.parametrize(
    ("day", "rate"),
    [
        (date(2020, 1, 1), "6.25"),
        (date(2020, 7, 27), "4.25"),
        (date(2022, 2, 28), "20.00"),
        (date(2022, 9, 19), "7.50"),
        (date(2023, 12, 18), "16.00"),
        (date(2024, 10, 28), "21.00"),
        (date(2025, 12, 22), "16.00"),
        (date(2026, 2, 16), "15.50"),
    ],
)
def test_the_key_rate_history_is_loaded(day: date, rate: str) -> None:
    terms = penalty_terms(category="household")
    assert terms.key_rate_on(day) == Decimal(rate)


def test_reloading_adds_nothing_twice_and_keeps_rows_added_in_the_admin() -> None:
    counts = [
        m.objects.count() for m in (KeyRate, PenaltyRateCap, PenaltyMoratorium, PenaltyScale, PaymentDueRule)
    ]
    KeyRate.objects.create(valid_from=date(2026, 3, 23), rate=Decimal("15.00"), decision="added by hand")
    load_reference_data()
    again = [
        m.objects.count() for m in (KeyRate, PenaltyRateCap, PenaltyMoratorium, PenaltyScale, PaymentDueRule)
    ]
    assert again == [counts[0] + 1, *counts[1:]]


def test_the_moratoria_and_the_cap_are_data() -> None:
    terms = penalty_terms(category="business")
    assert terms.moratoria == ((date(2020, 4, 6), date(2020, 12, 31)), (date(2022, 4, 1), date(2022, 10, 1)))
    assert terms.rate_on(date(2024, 10, 28)) == Decimal("9.50")
    assert terms.scale_for(date(2026, 4, 15)).free_days == 0

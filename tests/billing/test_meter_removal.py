"""A removed meter in the charge, worked out by hand (pure: `charge_account` over facts, no database).

Every example: household account, 2 residents, cold water at 50.00 ₽/m³, norm 4.5 m³ a resident
(9 m³ a month), November 2026 (30 days). The old meter read 97 (July), 100, 103, 106 (October):
3 m³ a month, and its average over July–October is (106 − 97) / 3 = 3.000 m³.

The days between a removal and a later replacement's installation were measured by no meter: they
are the removed meter's as a failed meter's (its average, then the norm), like the days after a
removal without a replacement; the replacement bills from its installation day.
"""

from __future__ import annotations

import datetime
from dataclasses import replace
from decimal import Decimal

from abonent.billing.charging import (
    AccountCharge,
    AccountFacts,
    BenefitFacts,
    FallbackRules,
    MeterFacts,
    NormTerms,
    PriceBook,
    ServiceFacts,
    SupplyFacts,
    charge_account,
)
from abonent.billing.services.tariffs import RateTerms, TariffTerms
from abonent.core.periods import BillingPeriod

NOVEMBER = BillingPeriod(2026, 11)
WATER = ServiceFacts(id=10, name="Холодная вода", resource="cold_water", unit="m3", metered=True)
TARIFF = TariffTerms(kind="single", rates=(RateTerms(zone="T", block_up_to=None, price=Decimal("50.00")),))
NORM = NormTerms(basis="resident", value=Decimal("4.5"))
RULES = FallbackRules()


def _book() -> PriceBook:
    return PriceBook(tariff=lambda **_keys: TARIFF, norm=lambda **_keys: NORM)


def _old_meter(*, removed_on: datetime.date, final: dict[datetime.date, str]) -> MeterFacts:
    values = {datetime.date(2026, month, 1): str(97 + 3 * (month - 7)) for month in (7, 8, 9, 10)}
    values.update(final)
    return MeterFacts(
        id=1,
        serial="OLD-1",
        resource="cold_water",
        zones=1,
        digits=5,
        status="decommissioned",
        installed_on=datetime.date(2020, 1, 1),
        next_verification_on=datetime.date(2030, 1, 1),
        readings={start: {"T1": Decimal(value)} for start, value in values.items()},
        removed_on=removed_on,
    )


def _new_meter(*, installed_on: datetime.date, november: str | None, initial: str) -> MeterFacts:
    return MeterFacts(
        id=2,
        serial="NEW-2",
        resource="cold_water",
        zones=1,
        digits=5,
        status="active",
        installed_on=installed_on,
        next_verification_on=datetime.date(2032, 1, 1),
        readings={NOVEMBER.start: {"T1": Decimal(november)}} if november is not None else {},
        initial={"T1": Decimal(initial)},
    )


def _charge(
    *meters: MeterFacts,
    period: BillingPeriod = NOVEMBER,
    rules: FallbackRules = RULES,
    benefits: tuple[BenefitFacts, ...] = (),
) -> AccountCharge:
    account = AccountFacts(
        id=7,
        category="household",
        region="66",
        residents=2,
        area=Decimal("50.00"),
        opened_on=datetime.date(2020, 1, 1),
        closed_on=None,
        supplies=[SupplyFacts(service_id=WATER.id, started_on=datetime.date(2020, 1, 1))],
        meters=meters,
        benefits=benefits,
    )
    return charge_account(
        account=account, period=period, services={WATER.id: WATER}, book=_book(), rules=rules
    )


def _replaced(*, on_day: int, november: str, rules: FallbackRules = RULES) -> AccountCharge:
    """Charge November of the old meter removed 05.11 at 107, replaced on the day (installed at 0)."""
    return _charge(
        _old_meter(removed_on=datetime.date(2026, 11, 5), final={NOVEMBER.start: "107"}),
        _new_meter(installed_on=datetime.date(2026, 11, on_day), november=november, initial="0"),
        rules=rules,
    )


def _lines(charge: AccountCharge) -> list[tuple[str, str, int | None, str, str]]:
    return [(ln.part, ln.basis, ln.days, str(ln.volume), str(ln.charged)) for ln in charge.lines]


def test_removed_mid_period_with_a_replacement():
    """Removed 05.11 at 107; the new meter, installed 05.11 at 0 (its installation reading), reads 4 on 24.11.

    Until the removal (1–5 Nov, 5 days): 107 − 106 = 1 m³ × 50.00 = 50.00 by the meter.
    After it (6–30 Nov, 25 days): 4 − 0 = 4 m³ × 50.00 = 200.00 by the replacement. Charged 250.00.
    """
    charge = _replaced(on_day=5, november="4")
    assert _lines(charge) == [
        ("until_removal", "meter", 5, "1.000", "50.00"),
        ("after_removal", "meter", 25, "4.000", "200.00"),
    ]
    assert charge.charged == Decimal("250.00")
    assert [p.amount for p in charge.postings()] == [Decimal("250.00")]
    line = charge.details()["lines"][0]
    assert (line["part"], line["removed_on"], line["days"]) == ("until_removal", "2026-11-05", 5)
    replacement = next(m for m in charge.details()["meters"] if m["meter"] == 2)
    assert (replacement["previous"], replacement["current"]) == ({"T": "0"}, {"T": "4"})


def test_removed_mid_period_without_a_replacement_counts_as_failed():
    """Removed 05.11 at 107, no new meter.

    Until the removal: 1 m³ = 50.00 by the meter. After it, 25 of 30 days of the 3.000 m³ average:
    2.500 m³ × 50.00 = 125.00 by the average. Charged 175.00.
    """
    charge = _charge(_old_meter(removed_on=datetime.date(2026, 11, 5), final={NOVEMBER.start: "107"}))
    assert _lines(charge) == [
        ("until_removal", "meter", 5, "1.000", "50.00"),
        ("after_removal", "average", 25, "2.500", "125.00"),
    ]
    assert charge.by_average == 1


def test_without_a_replacement_the_average_runs_three_periods_then_the_norm():
    """After the removal in November the last reading is November's 107: July–November averages
    (107 − 97) / 4 = 2.500 m³ a month, 2.500 × 50.00 = 125.00 in December, January and February
    (1–3 periods from it); March is the 4th: the norm, 9 m³ × 50.00 = 450.00.
    """
    meter = _old_meter(removed_on=datetime.date(2026, 11, 5), final={NOVEMBER.start: "107"})
    for months in (1, 2, 3):
        december_on = _charge(meter, period=NOVEMBER.shift(months))
        assert [(ln.basis, ln.part, str(ln.charged)) for ln in december_on.lines] == [
            ("average", "after_removal", "125.00")
        ], months
    march = _charge(meter, period=NOVEMBER.shift(4))
    assert [(ln.basis, str(ln.volume), str(ln.charged)) for ln in march.lines] == [
        ("norm", "9.000", "450.00")
    ]


def test_removal_without_replacement_billed_by_the_norm_when_the_rule_is_off():
    """Rule off: after the removal 25 of 30 days of the norm: 9 × 25 / 30 = 7.5 m³ × 50.00 = 375.00."""
    rules = FallbackRules(removal_counts_as_failure=False)
    meter = _old_meter(removed_on=datetime.date(2026, 11, 5), final={NOVEMBER.start: "107"})
    assert _lines(_charge(meter, rules=rules)) == [
        ("until_removal", "meter", 5, "1.000", "50.00"),
        ("after_removal", "norm", 25, "7.500", "375.00"),
    ]
    assert [(ln.basis, ln.part) for ln in _charge(meter, period=NOVEMBER.next(), rules=rules).lines] == [
        ("norm", "")
    ]


def test_a_final_reading_taken_after_the_window_counts_for_the_removal_period():
    """Removed 27.11 with the final reading 110 that day, filed under December (after the window).

    November: 1–27 Nov by the meter, 110 − 106 = 4 m³ = 200.00; 28–30 Nov, 3 days of the average
    over July–October (the final reading is the removal period's own): 3.000 × 3 / 30 = 0.300 m³ = 15.00.
    """
    meter = _old_meter(removed_on=datetime.date(2026, 11, 27), final={NOVEMBER.next().start: "110"})
    assert _lines(_charge(meter)) == [
        ("until_removal", "meter", 27, "4.000", "200.00"),
        ("after_removal", "average", 3, "0.300", "15.00"),
    ]


def test_a_meter_removed_long_ago_and_replaced_plays_no_part():
    """Removed in August and replaced then: November is the new meter's ordinary month, 7 − 4 = 3 m³."""
    old = _old_meter(removed_on=datetime.date(2026, 8, 20), final={})
    new = _new_meter(installed_on=datetime.date(2026, 8, 20), november="7", initial="0")
    new = replace(new, readings={NOVEMBER.previous().start: {"T1": Decimal("4")}, **new.readings})
    assert _lines(_charge(old, new)) == [("", "meter", None, "3.000", "150.00")]


def test_days_before_a_later_replacement_are_billed_by_the_average():
    """Removed 05.11 at 107; the new meter came on 15.11 (installed at 0) and reads 3 on 24.11.

    Until the removal (1–5 Nov): 1 m³ = 50.00 by the meter. 6–14 Nov (9 days) no meter measured:
    3.000 × 9 / 30 = 0.900 m³ = 45.00 by the average. 15–30 Nov (16 days): 3 − 0 = 3 m³ = 150.00 by
    the new meter. Charged 245.00.
    """
    charge = _replaced(on_day=15, november="3")
    assert _lines(charge) == [
        ("until_removal", "meter", 5, "1.000", "50.00"),
        ("after_removal", "average", 9, "0.900", "45.00"),
        ("after_removal", "meter", 16, "3.000", "150.00"),
    ]
    assert sum(ln.days or 0 for ln in charge.lines) == NOVEMBER.days
    assert [(m["meter"], m["basis"]) for m in charge.details()["meters"]] == [
        (1, "meter"),
        (1, "average"),
        (2, "meter"),
    ]


def test_a_replacement_the_period_after_the_removal_leaves_its_first_days_to_the_average():
    """Removed 27.10 after October's reading (106), no final reading; the new meter came on 10.11
    (installed at 0) and reads 4 on 24.11.

    1–9 Nov (9 days): the old meter's July–October average, 3.000 × 9 / 30 = 0.900 m³ = 45.00.
    10–30 Nov (21 days): 4 m³ = 200.00 by the new meter.
    """
    charge = _charge(
        _old_meter(removed_on=datetime.date(2026, 10, 27), final={}),
        _new_meter(installed_on=datetime.date(2026, 11, 10), november="4", initial="0"),
    )
    assert _lines(charge) == [
        ("after_removal", "average", 9, "0.900", "45.00"),
        ("after_removal", "meter", 21, "4.000", "200.00"),
    ]
    assert {ln.removed_on for ln in charge.lines} == {datetime.date(2026, 10, 27)}


def test_a_replacement_without_a_reading_in_its_first_period_leaves_it_to_the_average():
    """As above, but the new meter has no reading yet: all November by the old meter's average, 150.00.

    December, with the new meter's first reading, is the new meter's alone (installed before it).
    """
    old = _old_meter(removed_on=datetime.date(2026, 10, 27), final={})
    charge = _charge(old, _new_meter(installed_on=datetime.date(2026, 11, 10), november=None, initial="0"))
    assert _lines(charge) == [("after_removal", "average", 30, "3.000", "150.00")]
    new = replace(
        _new_meter(installed_on=datetime.date(2026, 11, 10), november=None, initial="0"),
        readings={NOVEMBER.next().start: {"T1": Decimal("7")}},
    )
    assert _lines(_charge(old, new, period=NOVEMBER.next())) == [
        ("after_removal", "meter", 31, "7.000", "350.00")
    ]


def test_days_before_a_later_replacement_by_the_norm_when_the_rule_is_off():
    """Rule off: 6–14 Nov by the norm, 9 × 9 / 30 = 2.7 m³ = 135.00."""
    charge = _replaced(on_day=15, november="3", rules=FallbackRules(removal_counts_as_failure=False))
    assert _lines(charge) == [
        ("until_removal", "meter", 5, "1.000", "50.00"),
        ("after_removal", "norm", 9, "2.700", "135.00"),
        ("after_removal", "meter", 16, "3.000", "150.00"),
    ]


def test_a_replacement_installed_the_day_after_the_removal_leaves_no_days_between():
    """Removed 05.11, the new meter came on 06.11: no day without a meter, so no average line."""
    charge = _replaced(on_day=6, november="4")
    assert _lines(charge) == [
        ("until_removal", "meter", 5, "1.000", "50.00"),
        ("after_removal", "meter", 25, "4.000", "200.00"),
    ]


def test_a_benefit_keeps_the_side_a_line_bills():
    """A 10 % benefit on the split lines takes 5.00 and 12.50 off them; they still name their sides."""
    benefit = BenefitFacts(id=3, name="Ветеран труда", kind="percent", value=Decimal("10"))
    charge = _charge(
        _old_meter(removed_on=datetime.date(2026, 11, 5), final={NOVEMBER.start: "107"}), benefits=(benefit,)
    )
    assert [(ln.part, ln.days, str(ln.benefits)) for ln in charge.lines] == [
        ("until_removal", 5, "5.00"),
        ("after_removal", 25, "12.50"),
    ]
    assert charge.details()["lines"][1]["part"] == "after_removal"

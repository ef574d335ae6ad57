"""Penalties (пени), Housing Code art. 155 part 14: worked examples computed by hand.

Day numbering: day 1 is the day after the due date; the payment day counts. Household scale: days
1–30 free, 31–90 at 1/300 of the rate per day, from 91 at 1/130. Each line is rounded to the kopeck.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from abonent.billing.models import CustomerCategory, LedgerEntry
from abonent.billing.penalty_calculation import (
    ACCRUAL,
    GRACE,
    LATE_BILL,
    MORATORIUM,
    DebtClock,
    PenaltyTerms,
    RateCap,
    Scale,
    calculate_penalty,
    total,
)
from abonent.billing.selectors import balance, due_date_for, penalty_statement
from abonent.billing.services.ledger import post_entry, post_payment
from abonent.billing.services.penalties import accrue_penalties, record_bill_delivery
from abonent.billing.services.reference import load_reference_data
from abonent.core.periods import BillingPeriod
from abonent.customers.models import Account, Service

D = Decimal
FLAT_9_5 = PenaltyTerms(key_rates=((date(2020, 1, 1), D("9.50")),))


def _clock(amount: str, due: date, *payments: tuple[date, str], bill_late: bool = False) -> DebtClock:
    return DebtClock(
        service_id=1,
        period=date(due.year, due.month, 1),
        due_date=due,
        amount=D(amount),
        settlements=tuple((day, D(paid)) for day, paid in payments),
        bill_late=bill_late,
    )


def _summary(lines) -> list[tuple[date, date, int, str, str]]:
    return [(ln.date_from, ln.date_to, ln.days, ln.fraction, str(ln.amount)) for ln in lines]


@pytest.fixture
def terms(db) -> PenaltyTerms:
    """The real reference data: key rates 2019-2026, the 9.5 % cap, the 2020 and 2022 moratoria."""
    from abonent.billing.selectors import penalty_terms

    load_reference_data()
    return penalty_terms(category=CustomerCategory.HOUSEHOLD)


def test_domain_example_5000_due_15_april_paid_30_july() -> None:
    """DOMAIN.md: 5,000.00 ₽ due 15.04.2026, paid 30.07.2026, rate 9.5 %.

    16.04–15.05: days 1–30, free.
    16.05–14.07: days 31–90, 60 days × 1/300: 5000 × 0.095 × 60/300 = 95.00
    15.07–30.07: days 91–106, 16 days × 1/130: 5000 × 0.095 × 16/130 = 58.4615… → 58.46
    Total 153.46 ₽ = 5000 × 0.095 × (60/300 + 16/130).
    """
    lines = calculate_penalty(
        debt=_clock("5000.00", date(2026, 4, 15), (date(2026, 7, 30), "5000.00")),
        as_of=date(2026, 7, 31),
        terms=FLAT_9_5,
    )
    assert _summary(lines) == [
        (date(2026, 4, 16), date(2026, 5, 15), 30, "0", "0.00"),
        (date(2026, 5, 16), date(2026, 7, 14), 60, "1/300", "95.00"),
        (date(2026, 7, 15), date(2026, 7, 30), 16, "1/130", "58.46"),
    ]
    assert [line.kind for line in lines] == [GRACE, ACCRUAL, ACCRUAL]
    assert total(lines) == D("153.46")


def test_a_partial_payment_in_the_middle_cuts_the_debt_into_slices() -> None:
    """5,000.00 ₽ due 15.04.2026; 2,000.00 paid 15.06.2026, 3,000.00 paid 30.07.2026; rate 9.5 %.

    Slice 2,000 (owed to 15.06): 16.05–15.06 = 31 days × 1/300: 2000 × 0.095 × 31/300 = 19.633… → 19.63
    Slice 3,000 (owed to 30.07): 60 days × 1/300 = 3000 × 0.095 × 60/300 = 57.00
                                 16 days × 1/130 = 3000 × 0.095 × 16/130 = 35.076… → 35.08
    Total 111.71 ₽ (the same as 5000 for 31 days + 3000 for 29 days at 1/300 + 3000 for 16 at 1/130).
    """
    lines = calculate_penalty(
        debt=_clock(
            "5000.00", date(2026, 4, 15), (date(2026, 6, 15), "2000.00"), (date(2026, 7, 30), "3000.00")
        ),
        as_of=date(2026, 8, 1),
        terms=FLAT_9_5,
    )
    charged = [(str(ln.debt), ln.days, ln.fraction, str(ln.amount)) for ln in lines if ln.kind == ACCRUAL]
    assert charged == [
        ("2000.00", 31, "1/300", "19.63"),
        ("3000.00", 60, "1/300", "57.00"),
        ("3000.00", 16, "1/130", "35.08"),
    ]
    assert total(lines) == D("111.71")


def test_a_debt_still_unpaid_is_priced_on_the_day_of_the_calculation() -> None:
    """Nothing paid: the whole 5,000.00 is one slice up to as_of = 30.07.2026, so again 153.46 ₽."""
    lines = calculate_penalty(
        debt=_clock("5000.00", date(2026, 4, 15)), as_of=date(2026, 7, 30), terms=FLAT_9_5
    )
    assert total(lines) == D("153.46")


def test_payment_on_or_before_the_due_date_bears_no_penalty() -> None:
    debt = _clock("5000.00", date(2026, 4, 15), (date(2026, 4, 15), "5000.00"))
    assert calculate_penalty(debt=debt, as_of=date(2026, 12, 31), terms=FLAT_9_5) == []


def test_the_first_thirty_days_are_free() -> None:
    """Paid on day 30 (15.05.2026): one grace line, nothing to pay."""
    debt = _clock("5000.00", date(2026, 4, 15), (date(2026, 5, 15), "5000.00"))
    lines = calculate_penalty(debt=debt, as_of=date(2026, 6, 1), terms=FLAT_9_5)
    assert _summary(lines) == [(date(2026, 4, 16), date(2026, 5, 15), 30, "0", "0.00")]


def test_a_moratorium_stops_the_accrual_but_not_the_day_count(terms: PenaltyTerms) -> None:
    """3,000.00 ₽ for January 2020, due 10.02.2020 (the 10th then), paid 15.04.2020.

    Day 1 = 11.02.2020, day 30 = 11.03.2020 (February 2020 has 29 days).
    12.03–05.04: 25 days × 1/300 at 6.00 % (the key rate on 15.04.2020, in force since 10.02.2020):
      3000 × 0.06 × 25/300 = 15.00
    06.04–15.04: 10 days of the Decree 424 moratorium, no penalty.
    Total 15.00 ₽.
    """
    debt = _clock("3000.00", date(2020, 2, 10), (date(2020, 4, 15), "3000.00"))
    lines = calculate_penalty(debt=debt, as_of=date(2020, 4, 30), terms=terms)
    assert _summary(lines) == [
        (date(2020, 2, 11), date(2020, 3, 11), 30, "0", "0.00"),
        (date(2020, 3, 12), date(2020, 4, 5), 25, "1/300", "15.00"),
        (date(2020, 4, 6), date(2020, 4, 15), 10, "0", "0.00"),
    ]
    assert lines[-1].kind == MORATORIUM
    assert lines[1].rate == D("6.00")


def test_the_2022_moratorium_crosses_both_steps_and_the_rate_is_taken_on_the_payment_day(
    terms: PenaltyTerms,
) -> None:
    """10,000.00 ₽ for January 2022, due 10.02.2022, paid 10.10.2022.

    Day 30 = 12.03.2022, day 90 = 11.05.2022. Moratorium (Decree 497) 01.04.2022–01.10.2022.
    Rate on 10.10.2022: key rate 7.50 % (since 19.09.2022), below the 9.5 % cap, so 7.50 %.
    13.03–31.03: 19 days × 1/300: 10000 × 0.075 × 19/300 = 47.50
    01.04–11.05 and 12.05–01.10: moratorium, nothing.
    02.10–10.10: 9 days × 1/130: 10000 × 0.075 × 9/130 = 51.923… → 51.92
    Total 99.42 ₽. (The 20 % rate of March 2022 does not matter: the rate is the payment day's.)
    """
    debt = _clock("10000.00", date(2022, 2, 10), (date(2022, 10, 10), "10000.00"))
    lines = calculate_penalty(debt=debt, as_of=date(2022, 10, 31), terms=terms)
    assert _summary(lines) == [
        (date(2022, 2, 11), date(2022, 3, 12), 30, "0", "0.00"),
        (date(2022, 3, 13), date(2022, 3, 31), 19, "1/300", "47.50"),
        (date(2022, 4, 1), date(2022, 5, 11), 41, "0", "0.00"),
        (date(2022, 5, 12), date(2022, 10, 1), 143, "0", "0.00"),
        (date(2022, 10, 2), date(2022, 10, 10), 9, "1/130", "51.92"),
    ]
    assert total(lines) == D("99.42")


def test_each_slice_takes_the_key_rate_of_its_own_payment_day(terms: PenaltyTerms) -> None:
    """4,000.00 ₽ for February 2021, due 10.03.2021; 1,000 paid 20.04.2021, 3,000 paid 20.06.2021.

    Day 30 = 09.04.2021, day 90 = 08.06.2021. No cap and no moratorium in 2021.
    Slice 1,000 at 4.50 % (key rate on 20.04.2021, since 22.03.2021):
      10.04–20.04: 11 days × 1/300: 1000 × 0.045 × 11/300 = 1.65
    Slice 3,000 at 5.50 % (key rate on 20.06.2021, since 15.06.2021):
      10.04–08.06: 60 days × 1/300: 3000 × 0.055 × 60/300 = 33.00
      09.06–20.06: 12 days × 1/130: 3000 × 0.055 × 12/130 = 15.230… → 15.23
    Total 49.88 ₽.
    """
    debt = _clock(
        "4000.00", date(2021, 3, 10), (date(2021, 4, 20), "1000.00"), (date(2021, 6, 20), "3000.00")
    )
    lines = [ln for ln in calculate_penalty(debt=debt, as_of=date(2021, 7, 1), terms=terms) if ln.amount]
    assert [(str(ln.debt), str(ln.rate), ln.days, ln.fraction, str(ln.amount)) for ln in lines] == [
        ("1000.00", "4.50", 11, "1/300", "1.65"),
        ("3000.00", "5.50", 60, "1/300", "33.00"),
        ("3000.00", "5.50", 12, "1/130", "15.23"),
    ]
    assert total(lines) == D("49.88")


def test_the_cap_limits_a_higher_key_rate_to_9_5(terms: PenaltyTerms) -> None:
    """The key rate on 30.07.2026 is above 9.5 %; Decree 474 (to 01.01.2027) caps it at 9.5 %."""
    assert terms.key_rate_on(date(2026, 7, 30)) > D("9.50")
    assert terms.rate_on(date(2026, 7, 30)) == D("9.50")
    assert terms.rate_on(date(2027, 1, 1)) == terms.key_rate_on(date(2027, 1, 1))  # the cap ended


def test_a_lower_key_rate_on_the_payment_day_wins_over_the_cap() -> None:
    """min(9.5 %, rate on the payment day): with a 7.5 % key rate the penalty uses 7.5 %."""
    capped = PenaltyTerms(
        key_rates=((date(2022, 9, 19), D("7.50")),),
        caps=(RateCap(valid_from=date(2022, 2, 28), valid_until=date(2026, 12, 31), cap=D("9.50")),),
    )
    assert capped.rate_on(date(2022, 10, 10)) == D("7.50")


def test_a_business_scale_charges_1_130_from_the_first_day() -> None:
    """Non-household consumers (35-FZ): 1,000.00 ₽ due 15.04.2026, paid 25.04.2026, 9.5 %.

    16.04–25.04: 10 days × 1/130: 1000 × 0.095 × 10/130 = 7.307… → 7.31
    """
    business = PenaltyTerms(
        key_rates=FLAT_9_5.key_rates,
        scales=(
            Scale(
                valid_from=date(2016, 1, 1),
                free_days=0,
                first_denominator=130,
                first_until_day=None,
                later_denominator=130,
            ),
        ),
    )
    debt = _clock("1000.00", date(2026, 4, 15), (date(2026, 4, 25), "1000.00"))
    lines = calculate_penalty(debt=debt, as_of=date(2026, 5, 1), terms=business)
    assert _summary(lines) == [(date(2026, 4, 16), date(2026, 4, 25), 10, "1/130", "7.31")]


def test_a_late_bill_frees_its_period_from_penalties() -> None:
    debt = _clock("5000.00", date(2026, 4, 15), (date(2026, 7, 30), "5000.00"), bill_late=True)
    lines = calculate_penalty(debt=debt, as_of=date(2026, 7, 31), terms=FLAT_9_5)
    assert [(ln.kind, str(ln.amount)) for ln in lines] == [(LATE_BILL, "0.00")]


# --- Through the ledger ------------------------------------------------------------------------------


def _charge(account: Account, service: Service, period: BillingPeriod, amount: str) -> LedgerEntry:
    return post_entry(
        account=account,
        service=service,
        period=period,
        kind=LedgerEntry.Kind.CHARGE,
        amount=amount,
        occurred_on=period.end,
        source="test",
        idempotency_key=f"charge:{service.pk}:{period}",
    )


@pytest.fixture
def reference(db) -> None:
    load_reference_data()


def test_the_domain_example_through_the_ledger(
    account: Account, electricity: Service, reference: None
) -> None:
    """March 2026 charged 5,000.00, due 15.04.2026 (the 15th since 01.03.2026), paid 30.07.2026: 153.46."""
    march = BillingPeriod(2026, 3)
    assert due_date_for(organisation=account.branch.organisation, period=march) == date(2026, 4, 15)
    _charge(account, electricity, march, "5000.00")
    post_payment(account=account, amount="5000.00", paid_on=date(2026, 7, 30), idempotency_key="pay-1")

    lines = penalty_statement(account=account, as_of=date(2026, 8, 31))

    assert total(lines) == D("153.46")
    assert {line.period for line in lines} == {march.start}


def test_penalties_bear_no_penalty_and_accrue_once_per_day(
    account: Account, electricity: Service, reference: None
) -> None:
    """Accrue 153.46 on 31.07.2026; a month later the posted penalty is not itself a debt with a clock."""
    _charge(account, electricity, BillingPeriod(2026, 3), "5000.00")
    post_payment(account=account, amount="5000.00", paid_on=date(2026, 7, 30), idempotency_key="pay-1")

    [entry] = accrue_penalties(account=account, through=date(2026, 7, 31))
    assert entry.amount == D("153.46")
    assert accrue_penalties(account=account, through=date(2026, 7, 31)) == []  # nothing new that day
    assert accrue_penalties(account=account, through=date(2026, 12, 31)) == []  # penalty has no clock
    assert balance(account=account) == D("153.46")


def test_a_late_delivered_bill_frees_the_period_through_the_ledger(
    account: Account, electricity: Service, reference: None
) -> None:
    march = BillingPeriod(2026, 3)
    _charge(account, electricity, march, "5000.00")
    delivery = record_bill_delivery(account=account, period=march, delivered_on=date(2026, 4, 9))
    assert delivery.deadline == date(2026, 4, 5)
    assert delivery.is_late

    lines = penalty_statement(account=account, as_of=date(2026, 8, 31))

    assert total(lines) == 0
    assert {line.kind for line in lines} == {LATE_BILL}


def test_due_day_moves_from_the_10th_to_the_15th_on_1_march_2026(account: Account, reference: None) -> None:
    organisation = account.branch.organisation
    assert due_date_for(organisation=organisation, period=BillingPeriod(2026, 1)) == date(2026, 2, 10)
    assert due_date_for(organisation=organisation, period=BillingPeriod(2026, 2)) == date(2026, 3, 15)

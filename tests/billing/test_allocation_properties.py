"""Properties of a partial payment's allocation (ageing.allocate_payment) and of the pure charge.

Allocation: the parts add up to the payment; the debts are met oldest first (principal before
penalties, older periods first) and never beyond what is owed; with services chosen, only theirs;
only what exceeds the debt is an advance. Charge: a single-rate meter charges its consumption ×
price, rounded half-up to the kopeck, whatever the readings and rollover.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from hypothesis import given
from hypothesis import strategies as st

from abonent.billing.ageing import PENALTY, PRINCIPAL, EntryFact, age_entries, allocate_payment
from abonent.billing.charging import MeterFacts, meter_volume
from abonent.core.periods import BillingPeriod

kopecks = st.integers(min_value=1, max_value=300_000).map(lambda k: Decimal(k) / 100)
debt = st.tuples(st.integers(1, 3), st.integers(1, 6), st.sampled_from([PRINCIPAL, PENALTY]), kopecks)


@given(
    debts=st.lists(debt, min_size=0, max_size=12),
    amount=kopecks,
    chosen=st.one_of(st.none(), st.integers(1, 3)),
)
def test_allocation_adds_up_and_pays_oldest_first(debts, amount, chosen):
    facts = [
        EntryFact(
            id=i, service_id=s, period=date(2026, m, 1), component=c, amount=a, occurred_on=date(2026, m, 28)
        )
        for i, (s, m, c, a) in enumerate(debts, start=1)
    ]
    ageing = age_entries(facts)
    services = [chosen] if chosen else None
    parts = allocate_payment(ageing, amount=amount, paid_period=date(2026, 7, 1), service_ids=services)

    assert sum(p.amount for p in parts) == amount
    assert all(p.amount > 0 for p in parts)
    unpaid = ageing.unpaid(service_ids=services)
    owed = {b.key: b.outstanding for b in unpaid}
    placed = [p for p in parts if (p.service_id, p.period, p.component) in owed]
    # Never more than a debt holds, and in the order of the unpaid list (oldest first).
    for part in placed:
        assert part.amount <= owed[(part.service_id, part.period, part.component)]
    order = [b.key for b in unpaid]
    keys = [(p.service_id, p.period, p.component) for p in placed]
    assert keys == order[: len(keys)]
    # Every debt before the last one touched is paid in full.
    for part, key in zip(placed[:-1], keys[:-1], strict=True):
        assert part.amount == owed[key]
    advance = amount - sum(p.amount for p in placed)
    assert advance == (max(Decimal(0), amount - sum(owed.values())))
    if chosen:
        assert all(p.service_id == chosen for p in parts)


@given(
    previous=st.integers(0, 999_999_999).map(lambda v: Decimal(v) / 1000),
    used=st.integers(0, 5_000_000).map(lambda v: Decimal(v) / 1000),
)
def test_single_rate_meter_volume_is_the_consumption_across_a_rollover(previous, used):
    digits = 6
    capacity = Decimal(10) ** digits
    current = (previous + used) % capacity
    october = BillingPeriod(2026, 10)
    meter = MeterFacts(
        id=1, serial="1", resource="electricity", zones=1, digits=digits, status="active",
        installed_on=date(2020, 1, 1), next_verification_on=date(2036, 1, 1),
        readings={october.previous().start: {"T1": previous % capacity}, october.start: {"T1": current}},
    )  # fmt: skip
    volume = meter_volume(meter=meter, period=october, category="household")
    assert volume.basis == "meter"
    assert volume.by_zone == {"T": used.quantize(Decimal("0.001"), rounding=ROUND_HALF_UP)}

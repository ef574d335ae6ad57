"""Ledger invariants under any sequence of charges, payments, recalculations and duplicate posts.

Whatever happens: the balance is the sum of the distinct operations (a duplicate changes nothing),
each payment key is credited exactly once and for exactly its amount, the derived ageing agrees with
the sum of entries, and no bucket is ever paid below zero or above what was charged.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from abonent.billing.models import LedgerEntry
from abonent.billing.selectors import account_ageing, balance
from abonent.billing.services.ledger import post_entry, post_payment
from abonent.core.periods import BillingPeriod
from abonent.customers.models import Account, Service

PERIODS = [BillingPeriod(2026, month) for month in range(1, 5)]
kopecks = st.integers(min_value=1, max_value=500_000).map(lambda k: Decimal(k) / 100)


@dataclass(frozen=True)
class Charge:
    service: int
    period: int
    amount: Decimal


@dataclass(frozen=True)
class Recalculation:
    service: int
    period: int
    amount: Decimal  # either sign


@dataclass(frozen=True)
class Payment:
    key: int
    amount: Decimal
    day: int
    chosen: int | None  # index of the service the payer chose, or None for "oldest first"


operations = st.lists(
    st.one_of(
        st.builds(Charge, st.integers(0, 1), st.integers(0, 3), kopecks),
        st.builds(
            Recalculation, st.integers(0, 1), st.integers(0, 3), st.one_of(kopecks, kopecks.map(lambda a: -a))
        ),
        # Few distinct keys, so the same payment (a webhook storm) often comes back.
        st.builds(
            Payment, st.integers(0, 4), kopecks, st.integers(0, 120), st.one_of(st.none(), st.integers(0, 1))
        ),
    ),
    min_size=1,
    max_size=15,
)


def _apply(operation, account: Account, services: list[Service], seen: dict[object, Decimal]) -> None:
    """Post one operation; remember the effect it must have once, whatever the number of retries."""
    if isinstance(operation, Payment):
        key = f"pay-{operation.key}"
        amount = seen.get(key, operation.amount)  # a retry of a key repeats its first amount
        chosen = None if operation.chosen is None else [services[operation.chosen]]
        paid_on = date(2026, 1, 1) + timedelta(days=operation.day)
        post_payment(account=account, amount=amount, paid_on=paid_on, idempotency_key=key, services=chosen)
        seen.setdefault(key, amount)
        return
    kind = LedgerEntry.Kind.CHARGE if isinstance(operation, Charge) else LedgerEntry.Kind.RECALCULATION
    key = (kind, operation.service, operation.period)
    amount = seen.get(key, operation.amount)
    period = PERIODS[operation.period]
    post_entry(
        account=account,
        service=services[operation.service],
        period=period,
        kind=kind,
        amount=amount,
        occurred_on=period.end,
        source="property",
        idempotency_key=f"{kind}:{operation.service}:{operation.period}",
    )
    seen.setdefault(key, amount)


def _check_invariants(account: Account, seen: dict[object, Decimal]) -> None:
    entries = LedgerEntry.objects.filter(account=account)
    expected = sum((-amount if isinstance(key, str) else amount for key, amount in seen.items()), Decimal(0))
    assert balance(account=account) == expected
    assert sum(entries.values_list("amount", flat=True), Decimal(0)) == expected
    for key, amount in seen.items():
        if isinstance(key, str):
            credited = sum(entries.filter(group_key=key).values_list("amount", flat=True), Decimal(0))
            assert credited == -amount, f"payment {key} credited {credited}, expected {-amount}"
    ageing = account_ageing(account=account)
    assert ageing.balance == expected
    for bucket in ageing.buckets.values():
        assert Decimal(0) <= bucket.outstanding <= bucket.debited
        assert sum((paid for _day, paid in bucket.settlements), Decimal(0)) == bucket.paid
    assert all(credit >= 0 for credit in ageing.credits.values())


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=operations)
def test_any_sequence_keeps_the_balance_and_credits_each_payment_once(
    ops, account: Account, electricity: Service, water: Service
) -> None:
    services = [electricity, water]
    # Each example runs in a savepoint rolled back at its end: the fixtures stay, the entries go.
    with transaction.atomic():
        seen: dict[object, Decimal] = {}
        for operation in ops:
            _apply(operation, account, services, seen)
            _apply(operation, account, services, seen)  # every post is retried at once, too
        _check_invariants(account, seen)
        transaction.set_rollback(True)

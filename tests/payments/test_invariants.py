"""Ledger invariants through the payments path, with hypothesis.

Any sequence of charges, recalculations, started payments and notifications (in any order, repeated,
forged, replayed with another body, for another amount) keeps: the balance equals the sum of the
entries; each payment that reached "succeeded" is credited exactly once and for exactly its lines;
a payment that never succeeded has no entry; rejected notifications change nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from abonent.billing.models import LedgerEntry
from abonent.billing.selectors import balance
from abonent.billing.services.ledger import post_entry
from abonent.customers.models import Account, Service
from abonent.payments.models import Payment, PaymentStatus
from abonent.payments.services.payments import LineRequest, start_payment
from abonent.payments.services.webhooks import receive_webhook
from tests.payments.helpers import notification

pytestmark = pytest.mark.django_db
kopecks = st.integers(min_value=1, max_value=300_000).map(lambda k: Decimal(k) / 100)
STATUSES = [
    PaymentStatus.WAITING_3DS,
    PaymentStatus.SUCCEEDED,
    PaymentStatus.DECLINED,
    PaymentStatus.CANCELLED,
]


@dataclass(frozen=True)
class Charge:
    month: int
    amount: Decimal
    recalculation: bool


@dataclass(frozen=True)
class Start:
    amount: Decimal
    chosen_service: bool


@dataclass(frozen=True)
class Notice:
    payment: int  # index among the started payments (modulo)
    status: str
    event: int  # few event ids, so the same event comes back often
    trouble: str  # "", "forged", "other_body", "other_amount", "old"


operations = st.lists(
    st.one_of(
        st.builds(Charge, st.integers(1, 4), kopecks, st.booleans()),
        st.builds(Start, kopecks, st.booleans()),
        st.builds(
            Notice,
            st.integers(0, 3),
            st.sampled_from(STATUSES),
            st.integers(0, 3),
            st.sampled_from(["", "", "", "forged", "other_body", "other_amount", "old"]),
        ),
    ),
    min_size=1,
    max_size=14,
)


def _charge(op: Charge, account: Account, service: Service, number: int) -> Decimal:
    kind = LedgerEntry.Kind.RECALCULATION if op.recalculation else LedgerEntry.Kind.CHARGE
    amount = -op.amount if op.recalculation and number % 2 else op.amount
    post_entry(
        account=account, service=service, period=date(2026, op.month, 1), kind=kind, amount=amount,
        occurred_on=date(2026, op.month, 28), source="property", idempotency_key=f"op-{number}",
    )  # fmt: skip
    return amount


def _notify(op: Notice, payments: list[Payment]) -> None:
    payment = payments[op.payment % len(payments)]
    event_id = f"evt-{payment.pk}-{op.event}"
    if op.trouble == "forged":
        incoming = notification(payment, op.status, event_id=event_id, secret="forger")
    elif op.trouble == "other_amount":
        incoming = notification(payment, op.status, event_id=f"{event_id}-x", amount=str(payment.amount + 1))
    elif op.trouble == "old":
        incoming = notification(payment, op.status, event_id=event_id, timestamp=1_700_000_000)
    else:
        # "other_body": the same event id with whatever status this time — a replay with another body.
        status = op.status if op.trouble == "other_body" else STATUSES[op.event % len(STATUSES)]
        incoming = notification(payment, status, event_id=event_id)
    receive_webhook(gateway_name="sandbox", incoming=incoming)
    receive_webhook(gateway_name="sandbox", incoming=incoming)  # every delivery comes twice


def _check(account: Account, payments: list[Payment], charged: Decimal) -> None:
    entries = LedgerEntry.objects.filter(account=account)
    total = sum(entries.values_list("amount", flat=True), Decimal(0))
    paid = Decimal(0)
    for payment in payments:
        payment.refresh_from_db()
        lines = entries.filter(group_key__startswith=f"online:{payment.public_id}:")
        credited = sum(lines.values_list("amount", flat=True), Decimal(0))
        if payment.status == PaymentStatus.SUCCEEDED:
            assert credited == -payment.amount and payment.credited_at is not None
            paid += payment.amount
        else:
            assert credited == 0 and payment.credited_at is None
    assert balance(account=account) == total == charged - paid


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=operations)
def test_any_storm_keeps_the_ledger_and_credits_each_payment_once(
    ops, account: Account, electricity: Service
) -> None:  # type: ignore[no-untyped-def]
    with transaction.atomic():
        payments: list[Payment] = []
        charged = Decimal(0)
        for number, op in enumerate(ops):
            if isinstance(op, Charge):
                charged += _charge(op, account, electricity, number)
            elif isinstance(op, Start):
                line = LineRequest(
                    account=account, amount=op.amount, service=electricity if op.chosen_service else None
                )
                payments.append(
                    start_payment(lines=[line], origin=Payment.Origin.CABINET, return_url="").payment
                )
            elif payments:
                _notify(op, payments)
        _check(account, payments, charged)
        transaction.set_rollback(True)

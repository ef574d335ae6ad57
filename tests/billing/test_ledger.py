"""The ledger: idempotent posting, the append-only guard, payment allocation, balances and ageing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, connection, transaction

from abonent.billing.errors import IdempotencyConflict, InvalidEntry, InvalidPayment
from abonent.billing.models import LedgerEntry
from abonent.billing.selectors import account_ageing, balance, balances_by_service, debt_ageing
from abonent.billing.services.ledger import post_entry, post_payment
from abonent.billing.services.reference import load_reference_data
from abonent.core.periods import BillingPeriod
from abonent.customers.models import Account, Service
from tests.factories import AccountFactory

D = Decimal
JAN, FEB, MAR = BillingPeriod(2026, 1), BillingPeriod(2026, 2), BillingPeriod(2026, 3)


def charge(account: Account, service: Service, period: BillingPeriod, amount: str, **extra) -> LedgerEntry:
    return post_entry(
        account=account,
        service=service,
        period=period,
        kind=LedgerEntry.Kind.CHARGE,
        amount=amount,
        occurred_on=period.end,
        source="charge_run",
        idempotency_key=extra.pop("key", f"{account.pk}:{service.pk}:{period}"),
        **extra,
    )


def allocation(entries: list[LedgerEntry]) -> list[tuple[str | None, str, str]]:
    return [
        (entry.service.code if entry.service else None, f"{entry.period:%Y-%m}", str(entry.amount))
        for entry in entries
    ]


# --- Posting ----------------------------------------------------------------------------------------


def test_a_retried_post_returns_the_same_entry(account: Account, electricity: Service) -> None:
    first = charge(account, electricity, JAN, "1200.50")
    again = charge(account, electricity, JAN, "1200.50")
    assert again.pk == first.pk
    assert LedgerEntry.objects.count() == 1
    assert balance(account=account) == D("1200.50")


def test_the_same_key_with_other_content_is_refused(account: Account, electricity: Service) -> None:
    charge(account, electricity, JAN, "1200.50")
    with pytest.raises(IdempotencyConflict):
        charge(account, electricity, JAN, "1300.00")
    assert LedgerEntry.objects.count() == 1


@pytest.mark.parametrize(
    ("kind", "amount"),
    [
        (LedgerEntry.Kind.CHARGE, "-1.00"),
        (LedgerEntry.Kind.PAYMENT, "10.00"),
        (LedgerEntry.Kind.BENEFIT, "5.00"),
        (LedgerEntry.Kind.WRITE_OFF, "0.00"),
        (LedgerEntry.Kind.RECALCULATION, "0.00"),
    ],
)
def test_an_amount_of_the_wrong_sign_is_refused(
    account: Account, electricity: Service, kind: str, amount: str
) -> None:
    with pytest.raises(InvalidEntry):
        post_entry(
            account=account,
            service=electricity,
            period=JAN,
            kind=kind,
            amount=amount,
            occurred_on=date(2026, 1, 31),
            source="test",
            idempotency_key="k",
        )


def test_only_a_payment_may_lack_a_service(account: Account) -> None:
    with pytest.raises(InvalidEntry):
        post_entry(
            account=account,
            service=None,
            period=JAN,
            kind=LedgerEntry.Kind.CHARGE,
            amount="1.00",
            occurred_on=date(2026, 1, 31),
            source="test",
            idempotency_key="k",
        )


def test_a_correction_names_the_entry_it_corrects(account: Account, electricity: Service) -> None:
    original = charge(account, electricity, JAN, "1200.00")
    correction = post_entry(
        account=account,
        service=electricity,
        period=JAN,
        kind=LedgerEntry.Kind.RECALCULATION,
        amount="-200.00",
        occurred_on=date(2026, 2, 10),
        source="staff",
        idempotency_key="recalc-1",
        reason="Показания переданы с ошибкой",
        corrects=original,
    )
    assert list(original.corrections.all()) == [correction]
    assert balance(account=account) == D("1000.00")


def test_a_correction_on_another_account_is_refused(account: Account, electricity: Service) -> None:
    original = charge(account, electricity, JAN, "1200.00")
    with pytest.raises(InvalidEntry):
        post_entry(
            account=AccountFactory(branch=account.branch),
            service=electricity,
            period=JAN,
            kind=LedgerEntry.Kind.RECALCULATION,
            amount="-1.00",
            occurred_on=date(2026, 2, 10),
            source="staff",
            idempotency_key="recalc-x",
            corrects=original,
        )


# --- Append-only --------------------------------------------------------------------------------------


def test_the_model_refuses_to_change_or_delete_an_entry(account: Account, electricity: Service) -> None:
    entry = charge(account, electricity, JAN, "100.00")
    entry.amount = D("1.00")
    with pytest.raises(ValidationError):
        entry.save()
    with pytest.raises(ValidationError):
        entry.delete()


def test_the_database_refuses_update_and_delete(account: Account, electricity: Service) -> None:
    charge(account, electricity, JAN, "100.00")
    with pytest.raises((IntegrityError, DatabaseError)), transaction.atomic():
        LedgerEntry.objects.update(amount=D("1.00"))
    with pytest.raises((IntegrityError, DatabaseError)), transaction.atomic():
        LedgerEntry.objects.all().delete()
    with pytest.raises((IntegrityError, DatabaseError)), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE billing_ledgerentry SET reason = 'tampered'")
    assert LedgerEntry.objects.get().amount == D("100.00")


@pytest.mark.django_db(transaction=True)
def test_a_whole_database_flush_may_still_erase_the_ledger(account: Account, electricity: Service) -> None:
    """The flush after this transactional test passes only because the ledger is made erasable for it."""
    charge(account, electricity, JAN, "100.00")
    assert LedgerEntry.objects.count() == 1


# --- Payments -----------------------------------------------------------------------------------------


def test_a_payment_pays_the_oldest_debt_first_across_periods_and_services(
    account: Account, electricity: Service, water: Service
) -> None:
    charge(account, electricity, JAN, "1000.00")
    charge(account, water, JAN, "300.00")
    charge(account, electricity, FEB, "900.00")

    entries = post_payment(account=account, amount="1500.00", paid_on=date(2026, 3, 5), idempotency_key="p1")

    # January before February; within January, services in id order (electricity was created first).
    assert allocation(entries) == [
        ("electricity", "2026-01", "-1000.00"),
        ("cold-water", "2026-01", "-300.00"),
        ("electricity", "2026-02", "-200.00"),
    ]
    assert all(entry.occurred_on == date(2026, 3, 5) for entry in entries)
    assert balance(account=account) == D("700.00")


def test_a_payer_who_chose_a_service_pays_only_its_debts(
    account: Account, electricity: Service, water: Service
) -> None:
    charge(account, electricity, JAN, "1000.00")
    charge(account, water, JAN, "300.00")

    entries = post_payment(
        account=account, amount="500.00", paid_on=date(2026, 2, 5), idempotency_key="p1", services=[water]
    )

    assert allocation(entries) == [("cold-water", "2026-01", "-300.00"), ("cold-water", "2026-02", "-200.00")]
    assert balances_by_service(account=account) == {electricity.pk: D("1000.00"), water.pk: D("-200.00")}


def test_an_overpayment_is_an_advance_that_pays_the_next_charge(
    account: Account, electricity: Service
) -> None:
    charge(account, electricity, JAN, "1000.00")
    entries = post_payment(account=account, amount="1500.00", paid_on=date(2026, 2, 5), idempotency_key="p1")
    assert allocation(entries) == [("electricity", "2026-01", "-1000.00"), (None, "2026-02", "-500.00")]
    assert balance(account=account) == D("-500.00")

    charge(account, electricity, FEB, "800.00")

    [february] = [b for b in account_ageing(account=account).buckets.values() if b.period == FEB.start]
    assert (february.outstanding, february.settlements) == (D("300.00"), [(date(2026, 2, 28), D("500.00"))])
    assert balance(account=account) == D("300.00")


def test_a_retried_payment_is_credited_once(account: Account, electricity: Service) -> None:
    charge(account, electricity, JAN, "1000.00")
    first = post_payment(account=account, amount="600.00", paid_on=date(2026, 2, 5), idempotency_key="gw-42")
    again = post_payment(account=account, amount="600.00", paid_on=date(2026, 2, 5), idempotency_key="gw-42")
    assert [e.pk for e in again] == [e.pk for e in first]
    assert balance(account=account) == D("400.00")
    with pytest.raises(IdempotencyConflict):
        post_payment(account=account, amount="601.00", paid_on=date(2026, 2, 5), idempotency_key="gw-42")


@pytest.mark.parametrize("amount", ["0", "-5.00"])
def test_a_payment_must_be_positive(account: Account, amount: str) -> None:
    with pytest.raises(InvalidPayment):
        post_payment(account=account, amount=amount, paid_on=date(2026, 2, 5), idempotency_key="p")


def test_a_benefit_reduces_its_period_and_the_rest_pays_older_debt(
    account: Account, electricity: Service
) -> None:
    charge(account, electricity, JAN, "1000.00")
    charge(account, electricity, FEB, "100.00")
    post_entry(
        account=account,
        service=electricity,
        period=FEB,
        kind=LedgerEntry.Kind.BENEFIT,
        amount="-250.00",
        occurred_on=date(2026, 3, 1),
        source="benefits",
        idempotency_key="b1",
    )
    ageing = {b.period: b.outstanding for b in account_ageing(account=account).buckets.values()}
    assert ageing == {JAN.start: D("850.00"), FEB.start: D("0.00")}


# --- Ageing -------------------------------------------------------------------------------------------


def test_debt_ageing_shows_each_periods_unpaid_part_and_days_overdue(
    account: Account, electricity: Service
) -> None:
    load_reference_data()
    charge(account, electricity, FEB, "1000.00")  # due 15.03.2026
    charge(account, electricity, MAR, "800.00")  # due 15.04.2026
    post_payment(account=account, amount="1200.00", paid_on=date(2026, 4, 1), idempotency_key="p1")

    rows = debt_ageing(account=account, as_of=date(2026, 4, 20))

    assert [(r.period, r.due_date, r.charged, r.paid, r.outstanding, r.days_overdue) for r in rows] == [
        (FEB.start, date(2026, 3, 15), D("1000.00"), D("1000.00"), D("0.00"), 0),
        (MAR.start, date(2026, 4, 15), D("800.00"), D("200.00"), D("600.00"), 5),
    ]


def test_ageing_balance_equals_the_sum_of_entries(
    account: Account, electricity: Service, water: Service
) -> None:
    charge(account, electricity, JAN, "1000.00")
    charge(account, water, FEB, "300.00")
    post_payment(account=account, amount="2000.00", paid_on=date(2026, 3, 1), idempotency_key="p1")
    assert account_ageing(account=account).balance == balance(account=account) == D("-700.00")


def test_balances_use_one_query(account: Account, electricity: Service, django_assert_num_queries) -> None:
    charge(account, electricity, JAN, "1000.00")
    with django_assert_num_queries(1):
        balance(account=account)
    with django_assert_num_queries(1):
        account_ageing(account=account)

"""The account snapshot: readings window, meters, contacts, balance — for many accounts in fixed queries."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from abonent.billing.models import LedgerEntry
from abonent.billing.services.ledger import post_entry
from abonent.core.periods import BillingPeriod
from abonent.customers.models import Account, Contact
from abonent.hints.selectors import (
    Attention,
    account_snapshots,
    accounts_needing,
    attention_counts,
    snapshot_accounts,
)
from abonent.metering.models import Channel, Meter
from abonent.metering.services import submit_readings
from tests.factories import AccountFactory, ContactFactory, CustomerFactory, MeterFactory, ServiceFactory
from tests.hints.conftest import BEFORE_WINDOW, IN_WINDOW, TODAY, snapshot_of

pytestmark = pytest.mark.django_db


def test_window_open_counts_days_left_with_today(account) -> None:  # type: ignore[no-untyped-def]
    readings = snapshot_of(account, now=IN_WINDOW).readings
    assert readings.is_open
    assert readings.days_left == 3  # the 23rd, 24th and 25th
    assert readings.window.end == datetime.date(2026, 11, 25)
    assert "25" in readings.message


def test_window_not_open_yet(account) -> None:  # type: ignore[no-untyped-def]
    readings = snapshot_of(account, now=BEFORE_WINDOW).readings
    assert not readings.is_open
    assert readings.days_left == 0


def test_window_follows_the_organisation_setting(account) -> None:  # type: ignore[no-untyped-def]
    organisation = account.branch.organisation
    organisation.readings_window_start_day, organisation.readings_window_end_day = 1, 10
    organisation.save()
    assert not snapshot_of(account, now=IN_WINDOW).readings.is_open


def test_meters_missing_a_reading_are_counted_until_submitted(account) -> None:  # type: ignore[no-untyped-def]
    electricity = MeterFactory(account=account, installed_on=datetime.date(2020, 1, 1))
    MeterFactory(account=account, resource="cold_water")
    assert snapshot_of(account).readings.meters_missing == 2

    submit_readings(
        meter=electricity, values={"T1": Decimal("123")}, channel=Channel.CABINET, submitted_at=IN_WINDOW
    )
    readings = snapshot_of(account).readings
    assert readings.meters_missing == 1
    assert not readings.all_submitted


def test_meters_that_take_no_readings_are_not_missing(account) -> None:  # type: ignore[no-untyped-def]
    MeterFactory(account=account, next_verification_on=TODAY - datetime.timedelta(days=1))
    MeterFactory(account=account, status=Meter.Status.DECOMMISSIONED)
    snapshot = snapshot_of(account)
    assert snapshot.readings.meters_missing == 0
    assert snapshot.readings.all_submitted
    assert len(snapshot.meters) == 1  # the decommissioned meter is not shown


def test_verification_expired_and_expiring(account) -> None:  # type: ignore[no-untyped-def]
    expired = MeterFactory(account=account, next_verification_on=TODAY - datetime.timedelta(days=3))
    soon = MeterFactory(account=account, next_verification_on=TODAY + datetime.timedelta(days=40))
    MeterFactory(account=account, next_verification_on=TODAY + datetime.timedelta(days=400))
    snapshot = snapshot_of(account)
    assert [meter.id for meter in snapshot.meters_expired] == [expired.pk]
    assert [meter.id for meter in snapshot.meters_expiring_soon] == [soon.pk]
    assert [meter.id for meter in snapshot.meters_expiring_within(10)] == []
    assert snapshot.needs_attention


def test_contacts_audience_and_no_balance_before_billing(account) -> None:  # type: ignore[no-untyped-def]
    snapshot = snapshot_of(account)
    assert snapshot.audience == "household"
    assert snapshot.balance is None
    assert not snapshot.has_email
    ContactFactory(customer=account.customer, kind=Contact.Kind.EMAIL, value="a@example.ru")
    assert snapshot_of(account).has_email


def test_business_audience(branch) -> None:  # type: ignore[no-untyped-def]
    account = AccountFactory(branch=branch, customer=CustomerFactory(legal=True))
    assert snapshot_of(account).audience == "business"


def test_many_accounts_cost_the_same_queries_as_one(branch, django_assert_max_num_queries) -> None:  # type: ignore[no-untyped-def]
    customer = CustomerFactory(legal=True)
    accounts = [AccountFactory(branch=branch, customer=customer) for _ in range(15)]
    for account in accounts:
        MeterFactory(account=account)
        MeterFactory(account=account, resource="cold_water")
    ids = [account.pk for account in accounts]
    with django_assert_max_num_queries(3):  # the accounts, their meters with the last reading, the ledger
        fetched = list(snapshot_accounts(accounts=Account.objects.filter(pk__in=ids)))
        snapshots = account_snapshots(accounts=fetched, now=IN_WINDOW)
        assert sum(len(snapshot.meters) for snapshot in snapshots) == 30
        assert all(snapshot.readings.meters_missing == 2 for snapshot in snapshots)


def test_attention_counts_and_filters(branch) -> None:  # type: ignore[no-untyped-def]
    customer = CustomerFactory(legal=True)
    expired, soon, fine = (AccountFactory(branch=branch, customer=customer) for _ in range(3))
    suspended = AccountFactory(branch=branch, customer=customer, status=Account.Status.SUSPENDED)
    MeterFactory(account=expired, next_verification_on=TODAY - datetime.timedelta(days=1))
    MeterFactory(account=soon, next_verification_on=TODAY + datetime.timedelta(days=20))
    MeterFactory(account=fine)
    scope = Account.objects.filter(customer=customer)
    assert attention_counts(accounts=scope, today=TODAY) == {
        "total": 4,
        Attention.VERIFICATION_EXPIRED: 1,
        Attention.VERIFICATION_SOON: 1,
        Attention.SUSPENDED: 1,
    }
    assert list(accounts_needing(accounts=scope, attention=Attention.VERIFICATION_EXPIRED, today=TODAY)) == [
        expired
    ]
    assert list(accounts_needing(accounts=scope, attention=Attention.SUSPENDED, today=TODAY)) == [suspended]


def test_balance_appears_after_the_first_bill(account) -> None:  # type: ignore[no-untyped-def]
    assert snapshot_of(account).balance is None
    post_entry(
        account=account,
        service=None,
        period=BillingPeriod(2026, 10),
        kind=LedgerEntry.Kind.PAYMENT,
        amount=Decimal("-100.00"),
        occurred_on=datetime.date(2026, 10, 3),
        source="test",
        idempotency_key="advance-1",
    )
    assert snapshot_of(account).balance is None  # an advance is not a bill
    charge = ServiceFactory()
    for period, amount in ((BillingPeriod(2026, 9), "1200.10"), (BillingPeriod(2026, 10), "1331.07")):
        post_entry(
            account=account,
            service=charge,
            period=period,
            kind=LedgerEntry.Kind.CHARGE,
            amount=Decimal(amount),
            occurred_on=period.end,
            source="test",
            idempotency_key=f"charge-{period}",
        )
    balance = snapshot_of(account).balance
    assert balance is not None
    assert balance.amount == Decimal("2431.17") and balance.owed
    assert balance.due_on.month == 11  # the October bill is due in November
    assert snapshot_of(account, now=datetime.datetime(2026, 11, 16, 10, tzinfo=datetime.UTC)).overdue
    assert not snapshot_of(account, now=datetime.datetime(2026, 11, 14, 10, tzinfo=datetime.UTC)).overdue

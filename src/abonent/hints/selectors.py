"""Reads for the dashboard: each account's state as one snapshot, built for a page of accounts at once.

The snapshot is what hint conditions look at and what the cabinet's dashboard shows. Building it for
a page of accounts costs a fixed number of queries (the accounts themselves, their meters), never one
per account.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import Count, Exists, Max, OuterRef, Q, QuerySet, Subquery, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from abonent.billing.models import LedgerEntry
from abonent.billing.selectors import DueCalendar, due_calendar
from abonent.core.models import Organisation
from abonent.core.periods import BillingPeriod, DateWindow
from abonent.customers.models import Account, Contact, Customer, Resource
from abonent.customers.selectors import account_cards
from abonent.hints.models import HintRule
from abonent.metering.models import Meter, Reading
from abonent.metering.rules import MeterFacts, check_meter
from abonent.metering.windows import WindowState, window_status

# A meter whose verification ends within this many days is flagged on the dashboard (hint rules
# choose their own horizon).
VERIFICATION_SOON_DAYS = 60


@dataclass(frozen=True, slots=True)
class Balance:
    """What the account owes (negative: paid in advance) and by when."""

    amount: Decimal
    due_on: date  # of the latest bill

    @property
    def owed(self) -> bool:
        return self.amount > 0

    @property
    def advance(self) -> Decimal:
        """Return how much was paid in advance (0 when nothing was)."""
        return max(-self.amount, Decimal(0))


@dataclass(frozen=True, slots=True)
class MeterState:
    id: int
    resource: str
    serial_number: str
    status: str
    next_verification_on: date
    days_to_verification: int
    accepts_readings: bool  # in service and verified (metering's rules)
    has_reading: bool  # a reading counts for the period a reading submitted today goes to

    @property
    def label(self) -> str:
        return f"{Resource(self.resource).label} №{self.serial_number}"

    @property
    def verification_expired(self) -> bool:
        return self.days_to_verification < 0 or self.status == Meter.Status.VERIFICATION_EXPIRED

    @property
    def expiring_soon(self) -> bool:
        return not self.verification_expired and self.days_to_verification <= VERIFICATION_SOON_DAYS

    @property
    def failed(self) -> bool:
        return self.status == Meter.Status.FAILED

    @property
    def needs_attention(self) -> bool:
        return self.verification_expired or self.expiring_soon or self.failed


@dataclass(frozen=True, slots=True)
class ReadingsState:
    """The readings window of the account's organisation as it stands today (metering's rules)."""

    window: DateWindow
    period: BillingPeriod  # the period a reading submitted today counts for
    is_open: bool
    days_left: int  # days still open, today included; 0 when not open
    message: str  # metering's wording: "accepted until 25 November, 2 days left"
    meters_missing: int | None = None  # meters that take readings and have none for the period yet

    @property
    def all_submitted(self) -> bool:
        return self.meters_missing == 0


@dataclass(frozen=True, slots=True)
class AccountSnapshot:
    account: Account
    today: date
    audience: str
    balance: Balance | None
    readings: ReadingsState
    meters: tuple[MeterState, ...]
    paper_bill: bool
    has_email: bool
    unread_messages: int

    @property
    def overdue(self) -> bool:
        """Return whether money is owed past the latest bill's due date."""
        return self.balance is not None and self.balance.owed and self.balance.due_on < self.today

    @property
    def meters_expired(self) -> list[MeterState]:
        return [meter for meter in self.meters if meter.verification_expired]

    def meters_expiring_within(self, days: int) -> list[MeterState]:
        return [m for m in self.meters if not m.verification_expired and m.days_to_verification <= days]

    @property
    def meters_expiring_soon(self) -> list[MeterState]:
        return self.meters_expiring_within(VERIFICATION_SOON_DAYS)

    @property
    def needs_attention(self) -> bool:
        return bool(
            self.overdue
            or self.meters_expired
            or self.meters_expiring_soon
            or self.account.status == Account.Status.SUSPENDED
            or (self.readings.is_open and self.readings.meters_missing)
        )


def snapshot_accounts(*, accounts: QuerySet[Account]) -> QuerySet[Account]:
    """Return the accounts with everything a snapshot reads from them, in the same single query."""
    emails = Contact.objects.filter(customer_id=OuterRef("customer_id"), kind=Contact.Kind.EMAIL)
    return (
        account_cards(accounts=accounts)
        .select_related("branch__organisation")
        .annotate(has_email=Exists(emails))
    )


def account_snapshots(
    *, accounts: Sequence[Account], unread_messages: int = 0, now: datetime | None = None
) -> list[AccountSnapshot]:
    """Return the snapshot of each account (fetched through snapshot_accounts), in the same order."""
    now = now or timezone.now()
    ids = [account.pk for account in accounts]
    days = {account.pk: timezone.localdate(now, timezone=account.branch.zone) for account in accounts}
    per_day: dict[tuple[int, date], ReadingsState] = {}  # one window per organisation and day
    windows = {}
    for account in accounts:
        key = (account.branch.organisation_id, days[account.pk])
        if key not in per_day:
            per_day[key] = readings_state(organisation=account.branch.organisation, today=key[1])
        windows[account.pk] = per_day[key]
    oldest_period = min((window.period for window in windows.values()), default=None)
    meters = _meters_by_account(ids, since=oldest_period)
    balances = account_balances(accounts=accounts)
    snapshots = []
    for account in accounts:
        today, readings = days[account.pk], windows[account.pk]
        states = tuple(_meter_state(meter, today, readings.period) for meter in meters[account.pk])
        missing = sum(1 for meter in states if meter.accepts_readings and not meter.has_reading)
        snapshots.append(
            AccountSnapshot(
                account=account,
                today=today,
                audience=audience_of(account.customer),
                balance=balances.get(account.pk),
                readings=replace(readings, meters_missing=missing),
                meters=states,
                paper_bill=account.customer.paper_bill,
                has_email=getattr(account, "has_email", False),
                unread_messages=unread_messages,
            )
        )
    return snapshots


def account_balances(*, accounts: Sequence[Account]) -> dict[int, Balance]:
    """Return what each billed account owes and by when, in one query (plus one per organisation).

    An account that has never been charged has no balance (pages say "appears after the first bill");
    the amount is the sum of the ledger, as billing.selectors.balance counts it.
    """
    rows = (
        LedgerEntry.objects.filter(account_id__in=[account.pk for account in accounts])
        .values("account_id")
        .annotate(total=Sum("amount"), billed=Max("period", filter=Q(kind=LedgerEntry.Kind.CHARGE)))
        .order_by()
    )
    totals = {row["account_id"]: (row["total"], row["billed"]) for row in rows if row["billed"]}
    calendars: dict[int, DueCalendar] = {}
    balances = {}
    for account in accounts:
        if account.pk not in totals:
            continue
        total, billed = totals[account.pk]
        organisation = account.branch.organisation
        if organisation.pk not in calendars:
            calendars[organisation.pk] = due_calendar(organisation=organisation)
        due_on = calendars[organisation.pk].due_date(BillingPeriod.from_date(billed))
        balances[account.pk] = Balance(amount=Decimal(total).quantize(Decimal("0.01")), due_on=due_on)
    return balances


def audience_of(customer: Customer) -> str:
    if customer.kind == Customer.Kind.INDIVIDUAL:
        return HintRule.Audience.HOUSEHOLD
    return HintRule.Audience.BUSINESS


def readings_state(*, organisation: Organisation, today: date) -> ReadingsState:
    """Return whether the organisation accepts readings today, and for which period."""
    status = window_status(organisation=organisation, today=today)
    return ReadingsState(
        window=status.window,
        period=status.period,
        is_open=status.state is WindowState.OPEN,
        days_left=status.days_left,
        message=status.message,
    )


def _meters_by_account(account_ids: list[int], *, since: BillingPeriod | None) -> dict[int, list[Meter]]:
    """Return the meters in service by account, each with `latest_period` of its counting reading."""
    counting = Reading.objects.filter(meter=OuterRef("pk"), superseded_at__isnull=True)
    if since is not None:
        counting = counting.filter(period__gte=since.start)
    rows = (
        Meter.objects.filter(account_id__in=account_ids)
        .exclude(status=Meter.Status.DECOMMISSIONED)
        .only(*_METER_FIELDS)
        .annotate(latest_period=Subquery(counting.order_by("-period").values("period")[:1]))
        .order_by("account_id", "resource", "serial_number")
    )
    meters: dict[int, list[Meter]] = defaultdict(list)
    for meter in rows:
        meters[meter.account_id].append(meter)
    return meters


_METER_FIELDS = (
    "account_id",
    "resource",
    "serial_number",
    "zones",
    "digits",
    "status",
    "installed_on",
    "next_verification_on",
    "removed_on",  # metering's check_meter reads it
)


def _meter_state(meter: Meter, today: date, period: BillingPeriod) -> MeterState:
    latest: date | None = getattr(meter, "latest_period", None)
    return MeterState(
        id=meter.pk,
        resource=meter.resource,
        serial_number=meter.serial_number,
        status=meter.status,
        next_verification_on=meter.next_verification_on,
        days_to_verification=(meter.next_verification_on - today).days,
        accepts_readings=not check_meter(meter=MeterFacts.of(meter), day=today),
        has_reading=latest is not None and latest >= period.start,
    )


def rules_in_force(*, today: date) -> list[HintRule]:
    """Return the active rules valid today, most important first."""
    return list(
        HintRule.objects.filter(
            Q(valid_from__isnull=True) | Q(valid_from__lte=today),
            Q(valid_until__isnull=True) | Q(valid_until__gte=today),
            active=True,
        ).order_by("priority", "id")
    )


# --- The combined view of many accounts: filters and counts over all of them -----------------------


class Attention:
    """Reasons an account needs attention, as filters of the combined view."""

    VERIFICATION_EXPIRED = "verification_expired"
    VERIFICATION_SOON = "verification_soon"
    SUSPENDED = "suspended"

    CHOICES = (
        (VERIFICATION_EXPIRED, _("Meter verification expired")),
        (VERIFICATION_SOON, _("Meter verification ends soon")),
        (SUSPENDED, _("Supply suspended")),
    )


def _attention_filters(today: date) -> dict[str, Q]:
    live = Meter.objects.filter(account_id=OuterRef("pk")).exclude(status=Meter.Status.DECOMMISSIONED)
    soon = today + timedelta(days=VERIFICATION_SOON_DAYS)
    return {
        Attention.VERIFICATION_EXPIRED: Q(
            Exists(
                live.filter(Q(next_verification_on__lt=today) | Q(status=Meter.Status.VERIFICATION_EXPIRED))
            )
        ),
        Attention.VERIFICATION_SOON: Q(
            Exists(live.filter(next_verification_on__gte=today, next_verification_on__lte=soon))
        ),
        Attention.SUSPENDED: Q(status=Account.Status.SUSPENDED),
    }


def accounts_needing(*, accounts: QuerySet[Account], attention: str, today: date) -> QuerySet[Account]:
    """Return the accounts that need this kind of attention."""
    return accounts.filter(_attention_filters(today)[attention])


def attention_counts(*, accounts: QuerySet[Account], today: date) -> dict[str, int]:
    """Return how many of the accounts need each kind of attention, plus "total", in one query."""
    aggregates = {
        name: Count("pk", filter=condition) for name, condition in _attention_filters(today).items()
    }
    return accounts.aggregate(total=Count("pk"), **aggregates)

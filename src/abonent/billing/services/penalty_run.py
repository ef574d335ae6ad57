"""Penalties accrued for a chunk of accounts in the charge run: in bulk, the same as accrue_penalties.

Only debtors (an opening balance above zero) can owe penalties. The chunk's ledger is read in one
range query (its rows straight from the cursor, as named tuples), the debtors are found in it, and
only their debts are aged — a few queries for the chunk, not per account. A period paid in full by
its due date, or not yet due, is skipped: `calculate_penalty` finds no line for it. The arithmetic
is the statement's own (`billing.penalty_calculation`), and each posting uses `accrue_penalties`'
source and key (`{account}:{service}:{day}`), so the run and a penalty accrued by hand for the same
day never both post.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Container, Iterable, Mapping
from datetime import date
from decimal import Decimal

from django.db import connection
from django.db.models import F
from django.utils.translation import gettext

from abonent.billing.ageing import PRINCIPAL, EntryFact, age_entries
from abonent.billing.models import BillDelivery, LedgerEntry
from abonent.billing.penalty_calculation import DebtClock, PenaltyTerms, calculate_penalty
from abonent.billing.selectors import DueCalendar, penalty_terms
from abonent.billing.services.raw_rows import DATE, day, decimal_field, fetch
from abonent.core.money import ZERO
from abonent.core.periods import BillingPeriod

PENALTY_SOURCE = "penalty_accrual"  # accrue_penalties' source: one key space for both ways
_AMOUNT = decimal_field(LedgerEntry, "amount")


def penalty_postings(
    *, first: int, last: int, categories: dict[int, str], period: BillingPeriod, calendar: DueCalendar
) -> list[tuple[int, int, Decimal, str, str]]:
    """Return (account, service, amount, key, reason) of the penalties to post up to the period's last day.

    For the accounts first..last in `categories` (account id → tariff category) that are debtors: owe
    more than nothing before the period starts. The amount is what accrued minus what is posted.
    """
    through = period.end
    due_on = _DueDays(calendar)
    reason = gettext("Penalty for late payment up to %(day)s") % {"day": f"{through:%d.%m.%Y}"}
    postings: list[tuple[int, int, Decimal, str, str]] = []
    facts, posted, opening = _ledger_facts(first, last, categories, period.start)
    debtors = {account_id: categories[account_id] for account_id, owed in opening.items() if owed > 0}
    if not debtors:
        return postings
    terms = {category: penalty_terms(category=category) for category in set(debtors.values())}
    late = _late_bills(first, last)
    taken = _keys_taken(first, last, through)
    for account_id in sorted(debtors):
        owed = _owed(
            facts.get(account_id, []),
            late.get(account_id, set()),
            due_on,
            terms[debtors[account_id]],
            through,
        )
        for service_id, amount in sorted(owed.items()):
            difference = amount - posted.get((account_id, service_id), ZERO)
            key = f"{account_id}:{service_id}:{through.isoformat()}"
            if difference != 0 and key not in taken:
                postings.append((account_id, service_id, difference, key, reason))
    return postings


class _DueDays(dict[date, date]):
    """The due date of each period's bill (first day → due day), worked out once per period."""

    def __init__(self, calendar: DueCalendar) -> None:
        super().__init__()
        self.calendar = calendar

    def __missing__(self, start: date) -> date:
        self[start] = due = self.calendar.due_date(BillingPeriod.from_date(start))
        return due


def _ledger_facts(
    first: int, last: int, wanted: Container[int], start: date
) -> tuple[dict[int, list[EntryFact]], dict[tuple[int, int], Decimal], dict[int, Decimal]]:
    """Return the wanted accounts' entries, their penalties posted per service, and what each owed on `start`.

    One pass over the chunk's ledger (a hundred thousand rows and more): the columns are selected in
    EntryFact's order, so on PostgreSQL, whose driver already returns dates and Decimals, a row's
    slice is the fact as it is.
    """
    facts: dict[int, list[EntryFact]] = defaultdict(list)
    posted: dict[tuple[int, int], Decimal] = defaultdict(lambda: ZERO)
    opening: dict[int, Decimal] = defaultdict(lambda: ZERO)
    rows = fetch(
        LedgerEntry.objects.filter(account_id__gte=first, account_id__lte=last).values_list(
            "account_id", "id", "service_id", day("period"), "component", "amount", day("occurred_on"), "kind"
        ),
        (),  # converted below, straight into the entry facts
    )
    penalty = LedgerEntry.Kind.PENALTY.value
    sqlite = connection.vendor == "sqlite"
    as_fact = EntryFact._make
    for row in rows:
        account_id = row[0]
        if account_id not in wanted:
            continue
        if sqlite:
            fact = EntryFact(row[1], row[2], DATE(row[3]), row[4], _AMOUNT(row[5]), DATE(row[6]))
        else:
            fact = as_fact(row[1:7])
        facts[account_id].append(fact)
        if fact.occurred_on < start:
            opening[account_id] += fact.amount
        if row[7] == penalty:
            posted[(account_id, fact.service_id)] += fact.amount  # type: ignore[index]  # a penalty has a service
    return facts, posted, opening


def _late_bills(first: int, last: int) -> dict[int, set[date]]:
    late: dict[int, set[date]] = defaultdict(set)
    rows = BillDelivery.objects.filter(
        account_id__gte=first, account_id__lte=last, delivered_on__gt=F("deadline")
    )
    for account_id, start in rows.values_list("account_id", "period"):
        late[account_id].add(start)
    return late


def _keys_taken(first: int, last: int, through: date) -> set[str]:
    return set(
        LedgerEntry.objects.filter(
            account_id__gte=first, account_id__lte=last, source=PENALTY_SOURCE, occurred_on=through
        ).values_list("idempotency_key", flat=True)
    )


def _owed(
    entries: Iterable[EntryFact],
    late: set[date],
    due_on: Mapping[date, date],
    terms: PenaltyTerms,
    through: date,
) -> dict[int, Decimal]:
    """Return the penalty accrued per service up to the day (the penalty statement's sum)."""
    owed: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for bucket in age_entries(entries).buckets.values():
        if bucket.component != PRINCIPAL:
            continue
        due = due_on[bucket.period]
        if through <= due or (
            bucket.outstanding <= 0 and all(paid_on <= due for paid_on, _amount in bucket.settlements)
        ):
            continue  # not due yet, or paid in full by the due date: calculate_penalty finds no line
        clock = DebtClock(
            service_id=bucket.service_id,
            period=bucket.period,
            due_date=due,
            amount=bucket.debited,
            settlements=tuple(bucket.settlements),
            bill_late=bucket.period in late,
        )
        for line in calculate_penalty(debt=clock, as_of=through, terms=terms):
            owed[bucket.service_id] += line.amount
    return dict(owed)

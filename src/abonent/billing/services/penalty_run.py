"""Penalties accrued for a chunk of accounts in the charge run: in bulk, the same as accrue_penalties.

Only debtors (an opening balance above zero) can owe penalties, so only their ledgers are read —
in a few queries for the chunk, not per account. The arithmetic is the statement's own
(`billing.penalty_calculation`), and each posting uses `accrue_penalties`' source and key
(`{account}:{service}:{day}`), so the run and a penalty accrued by hand for the same day never
both post.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import date
from decimal import Decimal

from django.db.models import F
from django.utils.translation import gettext

from abonent.billing.ageing import PRINCIPAL, EntryFact, age_entries
from abonent.billing.models import BillDelivery, LedgerEntry
from abonent.billing.penalty_calculation import DebtClock, PenaltyTerms, calculate_penalty
from abonent.billing.selectors import DueCalendar, penalty_terms
from abonent.core.money import ZERO
from abonent.core.periods import BillingPeriod

PENALTY_SOURCE = "penalty_accrual"  # accrue_penalties' source: one key space for both ways
_BATCH = 900


def penalty_postings(
    *, debtors: dict[int, str], period: BillingPeriod, calendar: DueCalendar
) -> list[tuple[int, int, Decimal, str, str]]:
    """Return (account, service, amount, key, reason) of the penalties to post up to the period's last day.

    `debtors` maps an account id to its tariff category. The amount is what accrued minus what is posted.
    """
    through = period.end
    terms = {category: penalty_terms(category=category) for category in set(debtors.values())}
    postings = []
    for batch in _batches(sorted(debtors)):
        facts, posted = _ledger_facts(batch)
        late = _late_bills(batch)
        taken = _keys_taken(batch, through)
        for account_id in batch:
            owed = _owed(
                facts.get(account_id, []),
                late.get(account_id, set()),
                calendar,
                terms[debtors[account_id]],
                through,
            )
            for service_id, amount in sorted(owed.items()):
                difference = amount - posted.get((account_id, service_id), ZERO)
                key = f"{account_id}:{service_id}:{through.isoformat()}"
                if difference != 0 and key not in taken:
                    reason = gettext("Penalty for late payment up to %(day)s") % {
                        "day": f"{through:%d.%m.%Y}"
                    }
                    postings.append((account_id, service_id, difference, key, reason))
    return postings


def _batches(ids: list[int]) -> Iterator[list[int]]:
    for index in range(0, len(ids), _BATCH):
        yield ids[index : index + _BATCH]


def _ledger_facts(batch: list[int]) -> tuple[dict[int, list[EntryFact]], dict[tuple[int, int], Decimal]]:
    facts: dict[int, list[EntryFact]] = defaultdict(list)
    posted: dict[tuple[int, int], Decimal] = defaultdict(lambda: ZERO)
    rows = LedgerEntry.objects.filter(account_id__in=batch).values_list(
        "account_id", "id", "service_id", "period", "component", "amount", "occurred_on", "kind"
    )
    for account_id, pk, service_id, start, component, amount, occurred_on, kind in rows:
        facts[account_id].append(
            EntryFact(
                id=pk,
                service_id=service_id,
                period=start,
                component=component,
                amount=amount,
                occurred_on=occurred_on,
            )
        )
        if kind == LedgerEntry.Kind.PENALTY:
            posted[(account_id, service_id)] += amount
    return facts, posted


def _late_bills(batch: list[int]) -> dict[int, set[date]]:
    late: dict[int, set[date]] = defaultdict(set)
    rows = BillDelivery.objects.filter(account_id__in=batch, delivered_on__gt=F("deadline"))
    for account_id, start in rows.values_list("account_id", "period"):
        late[account_id].add(start)
    return late


def _keys_taken(batch: list[int], through: date) -> set[str]:
    return set(
        LedgerEntry.objects.filter(
            account_id__in=batch, source=PENALTY_SOURCE, occurred_on=through
        ).values_list("idempotency_key", flat=True)
    )


def _owed(
    entries: Iterable[EntryFact], late: set[date], calendar: DueCalendar, terms: PenaltyTerms, through: date
) -> dict[int, Decimal]:
    """Return the penalty accrued per service up to the day (the penalty statement's sum)."""
    owed: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for bucket in age_entries(entries).buckets.values():
        if bucket.component != PRINCIPAL:
            continue
        clock = DebtClock(
            service_id=bucket.service_id,
            period=bucket.period,
            due_date=calendar.due_date(BillingPeriod.from_date(bucket.period)),
            amount=bucket.debited,
            settlements=tuple(bucket.settlements),
            bill_late=bucket.period in late,
        )
        for line in calculate_penalty(debt=clock, as_of=through, terms=terms):
            owed[bucket.service_id] += line.amount
    return dict(owed)

"""Debt ageing: which part of each period's debt is still unpaid, and on which days it was paid.

A pure function over ledger facts, shared by the selectors (balances, penalty clocks) and by
`post_payment` (which allocates a new payment to what this function says is unpaid).

The rule, in the order a payment meets debts ("oldest debt first"):
1. An entry that names its service and period (a payment split by `post_payment`, a benefit, a
   write-off, a recalculation) reduces that bucket first.
2. What it cannot place there (the bucket is already paid) becomes a credit of that service, and an
   entry without a service (an advance) a credit of the account.
3. A credit pays the oldest unpaid buckets at once: principal before penalties, older periods first,
   then services in id order; a service's credit pays only that service. What is left waits for the
   next charge.
Entries are taken in value-date order (then posting order), so a late-posted payment still counts
from the day the money arrived.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import NamedTuple

from abonent.core.money import ZERO

PRINCIPAL = "principal"
PENALTY = "penalty"

BucketKey = tuple[int, date, str]  # service id, period (first day), component


class EntryFact(NamedTuple):
    """What ageing needs of a ledger entry (a named tuple: the charge run makes one per ledger row)."""

    id: int
    service_id: int | None
    period: date
    component: str
    amount: Decimal
    occurred_on: date


@dataclass(slots=True, kw_only=True)
class Bucket:
    """The debt of one service for one period (principal or penalty) and how it was paid off."""

    service_id: int
    period: date
    component: str
    debited: Decimal = ZERO
    outstanding: Decimal = ZERO
    settlements: list[tuple[date, Decimal]] = field(default_factory=list)

    @property
    def key(self) -> BucketKey:
        return (self.service_id, self.period, self.component)

    @property
    def paid(self) -> Decimal:
        return self.debited - self.outstanding

    def settle(self, *, amount: Decimal, on: date) -> Decimal:
        """Pay up to the amount off this bucket on the day; return what was used."""
        used = min(amount, self.outstanding)
        if used > 0:
            self.outstanding -= used
            self.settlements.append((on, used))
        return used


@dataclass(slots=True)
class Ageing:
    """Buckets of debt and the credits (advances) not yet used, per service (None: the account's)."""

    buckets: dict[BucketKey, Bucket] = field(default_factory=dict)
    credits: dict[int | None, Decimal] = field(default_factory=dict)

    @property
    def balance(self) -> Decimal:
        """Return debt minus credits: equal to the sum of all entries."""
        owed = sum((b.outstanding for b in self.buckets.values()), ZERO)
        return owed - sum(self.credits.values(), ZERO)

    def unpaid(self, *, service_ids: Iterable[int] | None = None) -> list[Bucket]:
        """Return the unpaid buckets in the order a payment meets them (oldest debt first)."""
        wanted = None if service_ids is None else set(service_ids)
        return sorted(
            (
                b
                for b in self.buckets.values()
                if b.outstanding > 0 and (wanted is None or b.service_id in wanted)
            ),
            key=_payment_order,
        )


def _payment_order(bucket: Bucket) -> tuple[int, date, int]:
    return (0 if bucket.component == PRINCIPAL else 1, bucket.period, bucket.service_id)


def age_entries(entries: Iterable[EntryFact]) -> Ageing:
    """Replay the entries and return each bucket's unpaid part and the days it was paid."""
    ageing = Ageing()
    for entry in sorted(entries, key=lambda e: (e.occurred_on, e.id)):
        if entry.amount > 0:
            _debit(ageing, entry)
        elif entry.amount < 0:
            _credit(ageing, entry)
    return ageing


def _bucket(ageing: Ageing, service_id: int, period: date, component: str) -> Bucket:
    key = (service_id, period, component)
    bucket = ageing.buckets.get(key)
    if bucket is None:
        bucket = ageing.buckets[key] = Bucket(service_id=service_id, period=period, component=component)
    return bucket


def _debit(ageing: Ageing, entry: EntryFact) -> None:
    assert entry.service_id is not None, "only a payment may lack a service, and it is a credit"  # noqa: S101
    bucket = _bucket(ageing, entry.service_id, entry.period, entry.component)
    bucket.debited += entry.amount
    bucket.outstanding += entry.amount
    # Credits wait only while nothing is owed, so the new debt is the oldest one they can pay.
    for owner in (entry.service_id, None):
        left = ageing.credits.get(owner, ZERO)
        if left > 0:
            ageing.credits[owner] = left - bucket.settle(amount=left, on=entry.occurred_on)


def _credit(ageing: Ageing, entry: EntryFact) -> None:
    left = -entry.amount
    if entry.service_id is not None:
        bucket = _bucket(ageing, entry.service_id, entry.period, entry.component)
        left -= bucket.settle(amount=left, on=entry.occurred_on)
    ageing.credits[entry.service_id] = ageing.credits.get(entry.service_id, ZERO) + left
    _spend_credit(ageing, owner=entry.service_id, on=entry.occurred_on)


def _spend_credit(ageing: Ageing, *, owner: int | None, on: date) -> None:
    """Pay the oldest unpaid buckets (of the owner service, or any for the account's credit)."""
    scope = None if owner is None else [owner]
    for bucket in ageing.unpaid(service_ids=scope):
        left = ageing.credits[owner]
        if left <= 0:
            break
        ageing.credits[owner] = left - bucket.settle(amount=left, on=on)


@dataclass(frozen=True, slots=True, kw_only=True)
class Allocation:
    """A part of a payment placed on one bucket, or left as an advance (service None or chosen)."""

    service_id: int | None
    period: date
    component: str
    amount: Decimal


def allocate_payment(
    ageing: Ageing, *, amount: Decimal, paid_period: date, service_ids: list[int] | None = None
) -> list[Allocation]:
    """Split a payment over the unpaid buckets, oldest debt first; the rest is an advance.

    When the payer chose services, only their debts are paid and the advance belongs to the first
    chosen service; otherwise the advance belongs to the account and pays whatever is charged next.
    """
    parts: list[Allocation] = []
    left = amount
    for bucket in ageing.unpaid(service_ids=service_ids):
        if left <= 0:
            break
        used = min(left, bucket.outstanding)
        parts.append(
            Allocation(
                service_id=bucket.service_id, period=bucket.period, component=bucket.component, amount=used
            )
        )
        left -= used
    if left > 0:
        owner = service_ids[0] if service_ids else None
        parts.append(Allocation(service_id=owner, period=paid_period, component=PRINCIPAL, amount=left))
    return parts

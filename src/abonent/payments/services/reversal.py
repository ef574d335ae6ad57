"""Reverse a refunded payment's credit in the ledger with correcting entries (nothing is deleted).

The ledger has no "refund" kind; a refund raises the debt again, which the ledger records as a
recalculation of the current period that names the payment entry it corrects. Each reversal goes where
the payment's money went: an entry that paid a service's debt is reversed on that service and component;
an advance (an entry without a service, a credit of the account) is reversed on the debts its credit
paid later, as ageing replays the ledger with and without it. What is still unspent of an advance needs a
service too (every debt-raising entry names one): it goes on a service the account's remaining credit pays
at once, so no debt arises there and the account's total balance is exact.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext

from abonent.billing.ageing import PRINCIPAL, Ageing, EntryFact, age_entries
from abonent.billing.models import LedgerEntry
from abonent.billing.selectors import ledger_entries
from abonent.billing.services.ledger import post_entry
from abonent.core.money import ZERO
from abonent.customers.models import Account, Service
from abonent.identity.models import User
from abonent.payments.errors import RefundNotAllowed
from abonent.payments.models import Payment

REFUND_SOURCE = "online-refund"


@dataclass(frozen=True, slots=True)
class _Part:
    """An amount of a payment entry to reverse on one service and component."""

    service_id: int
    component: str
    amount: Decimal


def reversible(*, payment: Payment) -> bool:
    """Tell whether every account of the payment has a service to carry a reversed advance."""
    return all(
        _fallback_service(line.account) is not None for line in payment.lines.select_related("account")
    )


def reverse_credit(*, payment: Payment, refunded_by: User | None) -> list[LedgerEntry]:
    """Post the correcting entries of every ledger entry of the payment; retry-safe by idempotency keys."""
    posted = []
    today = timezone.localdate()
    reason = gettext("Refund of online payment %(reference)s") % {"reference": payment.public_id}
    for line in payment.lines.select_related("account"):
        for entry in list(ledger_entries(account=line.account).filter(group_key=line.ledger_key)):
            parts = _parts(line.account, entry)
            services = Service.objects.in_bulk({part.service_id for part in parts})
            for number, part in enumerate(parts):
                posted.append(
                    post_entry(
                        account=line.account,
                        service=services[part.service_id],
                        period=today,
                        kind=LedgerEntry.Kind.RECALCULATION,
                        component=part.component,
                        amount=part.amount,
                        occurred_on=today,
                        source=REFUND_SOURCE,
                        idempotency_key=f"refund:{entry.pk}" + (f"/{number}" if number else ""),
                        reason=reason,
                        corrects=entry,
                        posted_by=refunded_by,
                    )
                )
    return posted


def _parts(account: Account, entry: LedgerEntry) -> list[_Part]:
    if entry.service_id is not None:
        return [_Part(service_id=entry.service_id, component=entry.component, amount=-entry.amount)]
    return _advance_parts(account, entry)


def _advance_parts(account: Account, advance: LedgerEntry) -> list[_Part]:
    """Return where the advance went: its unspent rest first (so it meets the credit), then what it paid."""
    facts = _facts(account)
    with_it = age_entries(facts)
    left = -advance.amount
    parts = []
    for (service_id, component), amount in _paid_by(
        with_it, age_entries(f for f in facts if f.id != advance.pk)
    ):
        used = min(amount, left)
        if used > 0:
            parts.append(_Part(service_id=service_id, component=component, amount=used))
            left -= used
    if left > 0:
        own_credit = {owner for owner, credit in with_it.credits.items() if owner and credit > 0}
        service = _fallback_service(account, avoid=own_credit)
        if service is None:
            raise RefundNotAllowed()
        parts.insert(0, _Part(service_id=service.pk, component=PRINCIPAL, amount=left))
    return parts


def _paid_by(with_it: Ageing, without_it: Ageing) -> list[tuple[tuple[int, str], Decimal]]:
    """Return per service and component how much more would be owed without the entry."""
    paid: dict[tuple[int, str], Decimal] = {}
    for key, bucket in sorted(without_it.buckets.items()):
        more = bucket.outstanding - (with_it.buckets[key].outstanding if key in with_it.buckets else ZERO)
        if more > 0:
            owner = (bucket.service_id, bucket.component)
            paid[owner] = paid.get(owner, ZERO) + more
    return list(paid.items())


def _facts(account: Account) -> list[EntryFact]:
    rows = LedgerEntry.objects.filter(account=account).values_list(
        "id", "service_id", "period", "component", "amount", "occurred_on"
    )
    return [
        EntryFact(id=i, service_id=s, period=p, component=c, amount=a, occurred_on=o)
        for i, s, p, c, a, o in rows
    ]


def _fallback_service(account: Account, *, avoid: Collection[int] = ()) -> Service | None:
    """Return the account's first service, preferring one whose own credit would not absorb a reversal."""
    services = list(account.services.order_by("id"))
    preferred = [service for service in services if service.pk not in avoid] or services
    return preferred[0] if preferred else None

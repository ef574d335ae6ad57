"""Writes around penalties: bill deliveries (a late bill frees its period) and posting accrued penalties.

The arithmetic lives in `billing.penalty_calculation` (pure, tested by worked examples); the
statement a customer sees is `billing.selectors.penalty_statement`.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext

from abonent.billing.models import BillDelivery, LedgerEntry
from abonent.billing.selectors import due_calendar, penalty_statement, posted_penalties
from abonent.billing.services.ledger import post_entry
from abonent.core.money import ZERO
from abonent.core.periods import BillingPeriod
from abonent.customers.models import Account, Service


@transaction.atomic
def record_bill_delivery(
    *, account: Account, period: BillingPeriod, delivered_on: date, channel: str = ""
) -> BillDelivery:
    """Record when the period's bill reached the customer; the first record stands."""
    deadline = due_calendar(organisation=account.branch.organisation).delivery_deadline(period)
    delivery, _created = BillDelivery.objects.get_or_create(
        account=account,
        period=period.start,
        defaults={"delivered_on": delivered_on, "deadline": deadline, "channel": channel},
    )
    return delivery


def accrue_penalties(*, account: Account, through: date) -> list[LedgerEntry]:
    """Post, per service, the penalty accrued up to the day minus what is already posted.

    The difference lands in the period of `through` (the bill that shows it). Rerunning for the
    same day posts nothing new: the idempotency key is the account, service and day.
    """
    owed: dict[int, Decimal] = {}
    for line in penalty_statement(account=account, as_of=through):
        if line.service_id is not None:
            owed[line.service_id] = owed.get(line.service_id, ZERO) + line.amount
    posted = posted_penalties(account=account)
    services = Service.objects.in_bulk(set(owed) | set(posted))
    entries = []
    for service_id in sorted(services):
        difference = owed.get(service_id, ZERO) - posted.get(service_id, ZERO)
        if difference == 0:
            continue
        entries.append(
            post_entry(
                account=account,
                service=services[service_id],
                period=BillingPeriod.from_date(through),
                kind=LedgerEntry.Kind.PENALTY,
                amount=difference,
                occurred_on=through,
                source="penalty_accrual",
                idempotency_key=f"{account.pk}:{service_id}:{through.isoformat()}",
                reason=gettext("Penalty for late payment up to %(day)s") % {"day": f"{through:%d.%m.%Y}"},
            )
        )
    return entries

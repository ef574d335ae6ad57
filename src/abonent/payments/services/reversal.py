"""Reverse a refunded payment's credit in the ledger with correcting entries (nothing is deleted).

The ledger has no "refund" kind; a refund raises the debt again, which the ledger records as a
recalculation that names the payment entry it corrects. An advance (a payment entry without a service)
is reversed on the account's first service, because every debt-raising entry needs a service; the
account's total balance is exact either way, and the reason names the refund.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext

from abonent.billing.models import LedgerEntry
from abonent.billing.selectors import ledger_entries
from abonent.billing.services.ledger import post_entry
from abonent.customers.models import Account, Service
from abonent.identity.models import User
from abonent.payments.errors import RefundNotAllowed
from abonent.payments.models import Payment

REFUND_SOURCE = "online-refund"


def reversible(*, payment: Payment) -> bool:
    """Tell whether every account of the payment has a service to carry a reversed advance."""
    return all(
        _fallback_service(line.account) is not None for line in payment.lines.select_related("account")
    )


def reverse_credit(*, payment: Payment, refunded_by: User | None) -> list[LedgerEntry]:
    """Post one correcting entry per ledger entry of the payment; retry-safe by idempotency keys."""
    posted = []
    today = timezone.localdate()
    for line in payment.lines.select_related("account"):
        for entry in ledger_entries(account=line.account).filter(group_key=line.ledger_key):
            service = entry.service or _fallback_service(line.account)
            if service is None:
                raise RefundNotAllowed()
            posted.append(
                post_entry(
                    account=line.account,
                    service=service,
                    period=today,
                    kind=LedgerEntry.Kind.RECALCULATION,
                    amount=-entry.amount,
                    occurred_on=today,
                    source=REFUND_SOURCE,
                    idempotency_key=f"refund:{entry.pk}",
                    reason=gettext("Refund of online payment %(reference)s")
                    % {"reference": payment.public_id},
                    corrects=entry,
                    posted_by=refunded_by,
                )
            )
    return posted


def _fallback_service(account: Account) -> Service | None:
    return account.services.order_by("id").first()

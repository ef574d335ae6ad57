"""The "last payment amount" proof for registration without a bill (settings.IDENTITY_PAYMENT_VERIFIER).

The last payment is the newest payment in the account's ledger, whatever brought it (online, a bank
import, the cash desk): all entries one payment posted share its operation key and are summed.
"""

from __future__ import annotations

from decimal import Decimal

from abonent.billing.models import LedgerEntry
from abonent.billing.selectors import ledger_entries
from abonent.core.money import to_money
from abonent.customers.models import Account
from abonent.identity.verifiers import PaymentCheck


class LastPaymentVerifier:
    """Compares an amount with the account's last payment."""

    available = True

    def check(self, *, account_id: int, amount: Decimal) -> PaymentCheck:
        account = Account.objects.filter(pk=account_id).first()
        last = last_payment_amount(account=account) if account else None
        if last is None:
            return PaymentCheck.UNAVAILABLE
        return PaymentCheck.MATCH if last == to_money(amount) else PaymentCheck.MISMATCH


def last_payment_amount(*, account: Account) -> Decimal | None:
    """Return the amount of the account's newest payment, or None when it never paid."""
    payments = ledger_entries(account=account).filter(kind=LedgerEntry.Kind.PAYMENT)
    newest = payments.order_by("-occurred_on", "-id").first()
    if newest is None:
        return None
    if not newest.group_key:
        return -newest.amount
    parts = payments.filter(group_key=newest.group_key, source=newest.source).values_list("amount", flat=True)
    return -sum(parts, Decimal(0))

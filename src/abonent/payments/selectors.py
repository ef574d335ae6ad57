"""Reads of payments, each scoped to who asks: a login sees payments on the accounts it may see."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Prefetch, Q, QuerySet

from abonent.billing.selectors import balance
from abonent.core.money import ZERO
from abonent.customers.models import Account
from abonent.identity.models import User
from abonent.identity.selectors import AccountAction, accounts_for_user, allowed_actions
from abonent.payments.errors import PaymentNotFound
from abonent.payments.models import (
    AutopaySetting,
    Payment,
    PaymentLine,
    PaymentStatus,
    ReconciliationReport,
    SavedCard,
    WebhookEvent,
)


def payments_for_user(*, user: User, account: Account | None = None) -> QuerySet[Payment]:
    """Return the payments the login made or that pay an account it may see, newest first."""
    visible = accounts_for_user(user=user)
    if account is not None:
        visible = visible.filter(pk=account.pk)
    lines = PaymentLine.objects.filter(account__in=visible)
    payments = Payment.objects.filter(pk__in=lines.values("payment_id"))
    if account is None and user.is_authenticated:
        payments = Payment.objects.filter(Q(pk__in=lines.values("payment_id")) | Q(created_by=user))
    return payments.select_related("receipt").prefetch_related(
        Prefetch("lines", queryset=PaymentLine.objects.select_related("account", "service"))
    )


def payment_for_user(*, user: User, payment_ref: uuid.UUID | str) -> Payment:
    """Return one payment by its reference if the login may see it; "not found" otherwise."""
    try:
        reference = uuid.UUID(str(payment_ref))
    except ValueError as exc:
        raise PaymentNotFound() from exc
    payment = payments_for_user(user=user).filter(public_id=reference).first()
    if payment is None:
        raise PaymentNotFound()
    return payment


def payment_by_reference(*, payment_ref: uuid.UUID | str) -> Payment:
    """Return a payment by its unguessable reference (the pay-by-link result page holds nothing else)."""
    try:
        reference = uuid.UUID(str(payment_ref))
    except ValueError as exc:
        raise PaymentNotFound() from exc
    payment = Payment.objects.filter(public_id=reference).prefetch_related("lines__account").first()
    if payment is None:
        raise PaymentNotFound()
    return payment


@dataclass(frozen=True, slots=True)
class PayableAccount:
    """An account on the pay form: its debt now and the amount to prefill."""

    account: Account
    balance: Decimal

    @property
    def debt(self) -> Decimal:
        return self.balance if self.balance > 0 else ZERO


def payable_accounts(*, user: User) -> list[PayableAccount]:
    """Return the accounts the login may pay on, with their balances, by account number."""
    accounts = accounts_for_user(user=user).select_related("premises__building").order_by("number")
    payable = [
        account for account in accounts if AccountAction.PAY in allowed_actions(user=user, account=account)
    ]
    return [PayableAccount(account=account, balance=balance(account=account)) for account in payable]


def visible_lines(*, user: User, payment: Payment) -> list[PaymentLine]:
    """Return the lines of a payment on accounts the login may see."""
    visible = set(accounts_for_user(user=user).values_list("pk", flat=True))
    return [line for line in payment.lines.all() if line.account_id in visible]


def saved_cards(*, user: User) -> QuerySet[SavedCard]:
    return SavedCard.objects.filter(user=user, removed_at__isnull=True)


def autopay_of(*, account: Account) -> AutopaySetting | None:
    return AutopaySetting.objects.filter(account=account).select_related("card").first()


def succeeded_on(*, gateway: str, day: date) -> QuerySet[Payment]:
    """Return our payments of the gateway that succeeded (or were later refunded) on the local day."""
    return Payment.objects.filter(
        gateway=gateway,
        paid_at__date=day,
        status__in=[PaymentStatus.SUCCEEDED, PaymentStatus.REFUNDED],
    )


def reconciliation_reports() -> QuerySet[ReconciliationReport]:
    return ReconciliationReport.objects.all()


def webhook_log(*, payment: Payment) -> QuerySet[WebhookEvent]:
    return payment.webhook_events.order_by("received_at", "id")

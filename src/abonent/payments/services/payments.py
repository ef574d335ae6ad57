"""Start payments, move them through their statuses and credit them to the ledger exactly once.

Crediting is claimed, not checked: `UPDATE payment SET credited_at = now WHERE id = … AND credited_at IS
NULL` (folded into the UPDATE that moves the payment into "succeeded") inside the transaction that posts
the ledger entries, so however many workers apply however many copies of "succeeded", one of them posts;
the ledger's unique idempotency keys are the second guard.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from abonent.billing.services.ledger import post_payment
from abonent.core.money import to_money
from abonent.customers.models import Account, Service
from abonent.identity.models import User
from abonent.payments.errors import AmountTooLarge, GatewayError, InvalidPaymentAmount, RefundNotAllowed
from abonent.payments.gateways import (
    CreatedPayment,
    GatewayEvent,
    PaymentRequest,
    SavedMethod,
    default_gateway_name,
    gateway_for,
)
from abonent.payments.models import TRANSITIONS, Payment, PaymentLine, PaymentStatus, Receipt, SavedCard

LEDGER_SOURCE = "online"


@dataclass(frozen=True, slots=True, kw_only=True)
class LineRequest:
    """How much to pay on one account, optionally for one service only."""

    account: Account
    amount: Decimal
    service: Service | None = None


@dataclass(frozen=True, slots=True)
class StartedPayment:
    payment: Payment
    redirect_url: str


def start_payment(
    *,
    lines: Sequence[LineRequest],
    origin: str,
    return_url: str,
    created_by: User | None = None,
    save_card: bool = False,
    gateway_name: str | None = None,
    notify_url: str = "",
) -> StartedPayment:
    """Record the payment with its lines and register it at the gateway; return where to send the payer.

    The caller checked that the payer may pay on every account. Lines with no amount are dropped.
    """
    payment = _create_payment(
        lines=lines, origin=origin, created_by=created_by, save_card=save_card, gateway_name=gateway_name
    )
    gateway = gateway_for(payment.gateway)
    request = _request(payment, return_url=return_url.replace("{ref}", str(payment.public_id)))
    created = gateway.create_payment(replace(request, notify_url=notify_url))
    _record_created(payment, created)
    return StartedPayment(payment=payment, redirect_url=created.redirect_url)


def charge_saved_card(
    *, account: Account, amount: Decimal, card: SavedCard, origin: str = Payment.Origin.AUTOPAY
) -> Payment:
    """Charge a saved card for the account's debt without the payer; apply the gateway's answer."""
    payment = _create_payment(
        lines=[LineRequest(account=account, amount=amount)],
        origin=origin,
        created_by=card.user,
        save_card=False,
        gateway_name=card.gateway,
    )
    created = gateway_for(card.gateway).charge_saved_method(_request(payment), method_id=card.method_id)
    _record_created(payment, created)
    if created.status != PaymentStatus.PENDING:
        apply_status(payment_id=payment.pk, status=created.status)
    payment.refresh_from_db()
    return payment


def _create_payment(
    *,
    lines: Sequence[LineRequest],
    origin: str,
    created_by: User | None,
    save_card: bool,
    gateway_name: str | None,
) -> Payment:
    parts = [line for line in lines if line.amount and to_money(line.amount) > 0]
    if not parts or any(to_money(line.amount) < 0 for line in lines):
        raise InvalidPaymentAmount()
    total = sum((to_money(line.amount) for line in parts), Decimal(0))
    if total > Decimal(settings.PAYMENTS_MAX_AMOUNT):
        raise AmountTooLarge()
    with transaction.atomic():
        payment = Payment.objects.create(
            gateway=gateway_name or default_gateway_name(),
            idempotency_key=secrets.token_hex(16),
            origin=origin,
            amount=total,
            description=_description(parts),
            save_card=save_card,
            created_by=created_by,
        )
        PaymentLine.objects.bulk_create(
            PaymentLine(
                payment=payment, account=line.account, service=line.service, amount=to_money(line.amount)
            )
            for line in parts
        )
    return payment


def _description(lines: Sequence[LineRequest]) -> str:
    """Return the purpose shown on the gateway's page: account numbers masked to their last digits."""
    numbers = ", ".join(f"…{line.account.number[-4:]}" for line in lines[:3])
    more = len(lines) - 3
    if len(lines) == 1:
        text = gettext("Utilities, account %(numbers)s")
    else:
        text = gettext("Utilities, accounts %(numbers)s")
    suffix = gettext(" and %(count)d more") % {"count": more} if more > 0 else ""
    return (text % {"numbers": numbers} + suffix)[:200]


def _request(payment: Payment, *, return_url: str = "") -> PaymentRequest:
    return PaymentRequest(
        reference=str(payment.public_id),
        idempotency_key=payment.idempotency_key,
        amount=payment.amount,
        description=payment.description,
        return_url=return_url,
        save_card=payment.save_card,
    )


def _record_created(payment: Payment, created: CreatedPayment) -> None:
    payment.gateway_payment_id = created.gateway_payment_id
    payment.save(update_fields=["gateway_payment_id"])


# --- Statuses and crediting ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Applied:
    """What applying a reported status did: moved the status, credited the ledger, or neither."""

    payment: Payment
    moved: bool
    credited: bool
    stale: bool


def apply_event(*, payment: Payment, event: GatewayEvent) -> Applied:
    """Apply a verified notification to a payment the caller locked in its open transaction."""
    return _apply_locked(payment, event.status, saved_method=event.saved_method, reason=event.reason)


def apply_status(
    *, payment_id: int, status: str, saved_method: SavedMethod | None = None, reason: str = ""
) -> Applied:
    """Move the payment to the reported status if it may follow; credit it once when it succeeded."""
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment_id)
        return _apply_locked(payment, status, saved_method=saved_method, reason=reason)


def _apply_locked(payment: Payment, status: str, *, saved_method: SavedMethod | None, reason: str) -> Applied:
    uncredited = payment.credited_at is None  # read under the row lock
    moved = _move(payment, status, reason=reason, claim_credit=uncredited)
    stale = not moved and payment.status != status
    credited = False
    if payment.status == PaymentStatus.SUCCEEDED and uncredited:
        # The move into "succeeded" claimed the credit in its own UPDATE; a payment that was already
        # "succeeded" but not credited is claimed now.
        credited = moved or _claim_credit(payment)
        if credited:
            _post_credit(payment)
    if payment.status == PaymentStatus.SUCCEEDED and saved_method and payment.save_card:
        _save_card(payment, saved_method)
    return Applied(payment=payment, moved=moved, credited=credited, stale=stale)


def _move(payment: Payment, status: str, *, reason: str, claim_credit: bool = False) -> bool:
    """Move the payment to the status if it may follow; moving into "succeeded" can claim the credit too."""
    if status not in TRANSITIONS.get(payment.status, frozenset()):
        return False
    now = timezone.now()
    changes = {
        "status": status,
        "status_changed_at": now,
        "paid_at": now if status == PaymentStatus.SUCCEEDED else payment.paid_at,
        "failure_reason": reason[:200],
    }
    claim = {}
    if claim_credit and status == PaymentStatus.SUCCEEDED:
        changes["credited_at"], claim = now, {"credited_at__isnull": True}
    updated = Payment.objects.filter(pk=payment.pk, status=payment.status, **claim).update(**changes)
    if updated:
        for name, value in changes.items():
            setattr(payment, name, value)
    return bool(updated)


def _claim_credit(payment: Payment) -> bool:
    """Claim the crediting of the payment; False when somebody has claimed it."""
    credited_at = timezone.now()
    claimed = Payment.objects.filter(pk=payment.pk, credited_at__isnull=True).update(credited_at=credited_at)
    if claimed:
        payment.credited_at = credited_at
    return bool(claimed)


def _post_credit(payment: Payment) -> None:
    """Post the claimed payment's lines to the ledger and issue its receipt."""
    paid_on = timezone.localdate(payment.paid_at or timezone.now())
    reason = gettext("Online payment %(reference)s") % {"reference": payment.public_id}
    for line in payment.lines.select_related("account", "service"):
        post_payment(
            account=line.account,
            amount=line.amount,
            paid_on=paid_on,
            idempotency_key=line.ledger_key,
            services=[line.service] if line.service else None,
            source=LEDGER_SOURCE,
            reason=reason,
        )
    _issue_receipt(payment)


def _issue_receipt(payment: Payment) -> Receipt:
    issued = timezone.now()
    return Receipt.objects.create(
        payment=payment,
        number=f"{timezone.localdate(issued):%Y%m%d}-{payment.pk:08d}",
        issued_at=issued,
        amount=payment.amount,
    )


def _save_card(payment: Payment, method: SavedMethod) -> None:
    if payment.created_by_id is None:
        return
    SavedCard.objects.update_or_create(
        user_id=payment.created_by_id,
        gateway=payment.gateway,
        method_id=method.method_id,
        defaults={"title": method.title[:60], "saved_from": payment, "removed_at": None},
    )


# --- Refunds ---------------------------------------------------------------------------------------


def refund_payment(*, payment: Payment, refunded_by: User) -> Payment:
    """Return a succeeded payment's money through the gateway and reverse its ledger credit."""
    from abonent.payments.services.reversal import reverse_credit, reversible

    if payment.status != PaymentStatus.SUCCEEDED or not reversible(payment=payment):
        raise RefundNotAllowed()
    result = gateway_for(payment.gateway).refund(
        gateway_payment_id=payment.gateway_payment_id,
        amount=payment.amount,
        idempotency_key=f"refund-{payment.idempotency_key}",
    )
    if not result.succeeded:
        raise GatewayError(gettext("The gateway did not confirm the refund."))
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        if _move(locked, PaymentStatus.REFUNDED, reason=""):
            Payment.objects.filter(pk=locked.pk).update(refunded_at=timezone.now())
            reverse_credit(payment=locked, refunded_by=refunded_by)
        locked.refresh_from_db()
    return locked

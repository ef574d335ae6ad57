"""Writes of the ledger: post an entry once, and split a payment over the debts it pays.

Posting is idempotent by (source, idempotency_key): a retry with the same key returns the entry
already posted, and the same key with different content is refused (IdempotencyConflict), because
that is a bug or a forgery, never a retry. Nothing here changes or deletes a posted entry.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils.translation import gettext

from abonent.billing.ageing import PRINCIPAL, allocate_payment
from abonent.billing.errors import IdempotencyConflict, InvalidEntry, InvalidPayment
from abonent.billing.models import LedgerEntry
from abonent.billing.selectors import account_ageing
from abonent.core.freshness import touch_customers
from abonent.core.money import MoneyInput, to_money
from abonent.core.periods import BillingPeriod
from abonent.customers.models import Account, Service
from abonent.identity.models import User

PAYMENT_SOURCE = "payment"
_KEY_LENGTH = LedgerEntry._meta.get_field("idempotency_key").max_length or 200
_COMPARED = (
    "account_id",
    "service_id",
    "period",
    "kind",
    "component",
    "amount",
    "occurred_on",
    "corrects_id",
)
_CREDIT_KINDS = {LedgerEntry.Kind.PAYMENT, LedgerEntry.Kind.WRITE_OFF, LedgerEntry.Kind.BENEFIT}


def post_entry(
    *,
    account: Account,
    service: Service | None,
    period: BillingPeriod | date,
    kind: str,
    amount: MoneyInput,
    occurred_on: date,
    source: str,
    idempotency_key: str,
    reason: str = "",
    component: str | None = None,
    corrects: LedgerEntry | None = None,
    posted_by: User | None = None,
) -> LedgerEntry:
    """Post one entry and return it, or return the entry already posted under the same key."""
    entry = LedgerEntry(
        account=account,
        service=service,
        period=_first_day(period),
        kind=kind,
        component=component or _default_component(kind),
        amount=to_money(amount),
        occurred_on=occurred_on,
        reason=reason[:500],
        source=source,
        idempotency_key=idempotency_key,
        corrects=corrects,
        posted_by=posted_by,
    )
    _validate(entry)
    return _post_once(entry)


def post_payment(
    *,
    account: Account,
    amount: MoneyInput,
    paid_on: date,
    idempotency_key: str,
    services: Sequence[Service] | None = None,
    source: str = PAYMENT_SOURCE,
    reason: str = "",
    posted_by: User | None = None,
) -> list[LedgerEntry]:
    """Credit a payment once, split over the debts it pays: oldest first, or the chosen services only.

    Returns the payment's entries (one per period, service and component paid, plus an advance if
    the payment exceeds the debt). A retry with the same key returns the same entries.
    """
    total = to_money(amount)
    if total <= 0:
        raise InvalidPayment()
    _check_key(idempotency_key, room=8)  # room for the line suffix "/NNN"
    with transaction.atomic():
        # One payment at a time per account: the split reads the debt it then pays.
        Account.objects.select_for_update().values_list("pk", flat=True).get(pk=account.pk)
        posted = _payment_entries(source=source, key=idempotency_key)
        if posted:
            return _same_payment(posted, total)
        parts = allocate_payment(
            account_ageing(account=account),
            amount=total,
            paid_period=BillingPeriod.from_date(paid_on).start,
            service_ids=[service.pk for service in services] if services else None,
        )
        entries = [
            LedgerEntry(
                account=account,
                service_id=part.service_id,
                period=part.period,
                kind=LedgerEntry.Kind.PAYMENT,
                component=part.component,
                amount=-part.amount,
                occurred_on=paid_on,
                reason=reason[:500],
                source=source,
                idempotency_key=f"{idempotency_key}/{number}",
                group_key=idempotency_key,
                posted_by=posted_by,
            )
            for number, part in enumerate(parts, start=1)
        ]
        try:
            with transaction.atomic():
                LedgerEntry.objects.bulk_create(entries)
            touch_customers([account.customer_id])
        except IntegrityError:
            # Another worker posted the same payment between our check and our insert.
            return _same_payment(_payment_entries(source=source, key=idempotency_key), total)
    if all(entry.pk for entry in entries):  # the database returned the ids: nothing to read back
        return entries
    return _payment_entries(source=source, key=idempotency_key)


def _payment_entries(*, source: str, key: str) -> list[LedgerEntry]:
    return list(LedgerEntry.objects.filter(source=source, group_key=key).order_by("id"))


def _same_payment(posted: list[LedgerEntry], total: Decimal) -> list[LedgerEntry]:
    """Return the entries of an already posted payment if it is the same amount, else refuse."""
    if -sum(entry.amount for entry in posted) != total:
        raise IdempotencyConflict()
    return posted


def _post_once(entry: LedgerEntry) -> LedgerEntry:
    """Insert the entry unless its key was used; a race on the key ends in the same answer."""
    existing = LedgerEntry.objects.filter(source=entry.source, idempotency_key=entry.idempotency_key).first()
    if existing is None:
        try:
            with transaction.atomic():
                entry.save()
            touch_customers([entry.account.customer_id])
            return entry
        except IntegrityError:
            existing = LedgerEntry.objects.filter(
                source=entry.source, idempotency_key=entry.idempotency_key
            ).first()
            if existing is None:
                raise
    if any(getattr(existing, name) != getattr(entry, name) for name in _COMPARED):
        raise IdempotencyConflict()
    return existing


def _validate(entry: LedgerEntry) -> None:
    """Refuse an entry whose sign, component, service or correction does not fit its kind."""
    _check_key(entry.idempotency_key, room=0)
    if not entry.source:
        raise InvalidEntry(gettext("A ledger entry needs its source."))
    if entry.kind not in LedgerEntry.Kind.values:
        raise InvalidEntry(gettext("Unknown ledger entry kind: %(kind)s") % {"kind": entry.kind})
    _check_sign(entry)
    if entry.kind == LedgerEntry.Kind.PENALTY and entry.component != LedgerEntry.Component.PENALTY:
        raise InvalidEntry(gettext("A penalty entry belongs to the penalty component."))
    if entry.service_id is None and entry.kind != LedgerEntry.Kind.PAYMENT:
        raise InvalidEntry(gettext("Only an advance payment may be posted without a service."))
    if entry.corrects is not None and entry.corrects.account_id != entry.account_id:
        raise InvalidEntry(gettext("A correction must be posted on the account of the entry it corrects."))


def _check_sign(entry: LedgerEntry) -> None:
    if entry.kind == LedgerEntry.Kind.CHARGE and entry.amount < 0:
        raise InvalidEntry(gettext("A charge cannot be negative; post a recalculation instead."))
    if entry.kind in _CREDIT_KINDS and entry.amount >= 0:
        raise InvalidEntry(
            gettext("A %(kind)s decreases the debt: its amount must be negative.")
            % {"kind": LedgerEntry.Kind(entry.kind).label}
        )
    if entry.kind in {LedgerEntry.Kind.RECALCULATION, LedgerEntry.Kind.PENALTY} and entry.amount == 0:
        raise InvalidEntry(gettext("A recalculation or a penalty of zero changes nothing; it is not posted."))


def _check_key(key: str, *, room: int) -> None:
    if not key or len(key) > _KEY_LENGTH - room:
        message = gettext("An idempotency key has 1 to %(length)d characters.")
        raise InvalidEntry(message % {"length": _KEY_LENGTH - room})


def _default_component(kind: str) -> str:
    return LedgerEntry.Component.PENALTY if kind == LedgerEntry.Kind.PENALTY else PRINCIPAL


def _first_day(period: BillingPeriod | date) -> date:
    return period.start if isinstance(period, BillingPeriod) else BillingPeriod.from_date(period).start

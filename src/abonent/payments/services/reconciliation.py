"""The daily reconciliation: our payments that succeeded on a day against the gateway's list of that day.

Mismatches: paid here but unknown to the gateway, paid at the gateway but not credited here (a lost
notification: the staff page shows it so the payment can be chased), amounts or statuses that differ.
A rerun for the same day replaces the report.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import transaction

from abonent.payments.gateways import GatewayPayment, gateway_for
from abonent.payments.models import Payment, ReconciliationItem, ReconciliationReport
from abonent.payments.selectors import succeeded_on

Kind = ReconciliationItem.Kind


def reconcile_day(*, gateway_name: str, day: date) -> ReconciliationReport:
    """Compare the day's succeeded payments with the gateway's and store the report with its mismatches."""
    theirs = {item.gateway_payment_id: item for item in gateway_for(gateway_name).list_payments(day=day)}
    ours = {payment.gateway_payment_id: payment for payment in succeeded_on(gateway=gateway_name, day=day)}
    items = [_compare(ours.get(key), theirs.get(key), key) for key in sorted(set(ours) | set(theirs))]
    mismatches = [item for item in items if item is not None]
    with transaction.atomic():
        report, _ = ReconciliationReport.objects.update_or_create(
            gateway=gateway_name,
            day=day,
            defaults={
                "ours_count": len(ours),
                "ours_total": sum((p.amount for p in ours.values()), Decimal(0)),
                "theirs_count": len(theirs),
                "theirs_total": sum((p.amount for p in theirs.values()), Decimal(0)),
                "mismatches": len(mismatches),
            },
        )
        report.items.all().delete()
        for item in mismatches:
            item.report = report
        ReconciliationItem.objects.bulk_create(mismatches)
    return report


def _compare(ours: Payment | None, theirs: GatewayPayment | None, key: str) -> ReconciliationItem | None:
    if theirs is None:
        assert ours is not None  # noqa: S101 - the key came from one of the two sides
        return _item(Kind.MISSING_AT_GATEWAY, key, ours, None)
    if ours is None:
        # It may be one of ours that is not credited yet (a lost notification) or unknown entirely.
        known = Payment.objects.filter(gateway_payment_id=key).first()
        return _item(Kind.MISSING_HERE, key, known, theirs)
    if ours.amount != theirs.amount:
        return _item(Kind.AMOUNT, key, ours, theirs)
    if ours.status != theirs.status:
        return _item(Kind.STATUS, key, ours, theirs)
    return None


def _item(kind: str, key: str, ours: Payment | None, theirs: GatewayPayment | None) -> ReconciliationItem:
    return ReconciliationItem(
        kind=kind,
        payment=ours,
        gateway_payment_id=key,
        our_amount=ours.amount if ours else None,
        their_amount=theirs.amount if theirs else None,
        our_status=ours.status if ours else "",
        their_status=theirs.status if theirs else "",
    )

"""API operations of billing (mounted at /api/v1/billing).

- GET  /accounts/{account_id}/bills            the account's bills, newest first, with their totals
- GET  /bills/{bill_id}                        the bill's canonical data (the same the PDF is made of)
- GET  /bills/{bill_id}/explanation            why the bill differs from the previous month's
- POST /accounts/{account_id}/charge-preview   what readings would cost: per zone and in total
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Router, Schema

from abonent.billing.explanation import explain_bill
from abonent.billing.models import Bill
from abonent.billing.selectors import bill_document_data, bill_for_user, bills_of_account
from abonent.billing.services.preview import preview_charges
from abonent.identity.selectors import AccountAction, account_for_action
from abonent.metering.windows import local_day

router = Router(tags=["billing"])


class BillOut(Schema):
    id: int
    number: str
    period: str = Field(description="YYYY-MM")
    issued_on: date
    due_date: date
    opening_balance: Decimal
    charged: Decimal
    recalculated: Decimal
    benefits: Decimal
    paid: Decimal
    penalties: Decimal
    total_due: Decimal


class ReasonOut(Schema):
    code: str = Field(description="volume, tariff, basis, new_service, gone_service, recalculation, ...")
    amount: Decimal = Field(description="The effect on the charges in roubles: + more, − less")
    service: str
    text: str


class ExplanationOut(Schema):
    previous_bill: str | None
    last_year_bill: str | None
    change: Decimal
    reasons: list[ReasonOut]


class PreviewIn(Schema):
    readings: dict[int, dict[str, Decimal]] = Field(
        description='Meter id → zone values, e.g. {"12": {"T1": "1234.5", "T2": "567"}}'
    )


class PreviewLineOut(Schema):
    service: str
    unit: str
    zone: str
    basis: str
    volume: Decimal
    price: Decimal
    amount: Decimal


class PreviewOut(Schema):
    period: str
    lines: list[PreviewLineOut]
    total: Decimal


def _bill(bill: Bill) -> dict[str, Any]:
    return {
        "id": bill.pk,
        "number": bill.number,
        "period": f"{bill.period:%Y-%m}",
        "issued_on": bill.issued_on,
        "due_date": bill.due_date,
        "opening_balance": bill.opening_balance,
        "charged": bill.charged,
        "recalculated": bill.recalculated,
        "benefits": bill.benefits,
        "paid": bill.paid,
        "penalties": bill.penalties,
        "total_due": bill.total_due,
    }


@router.get(
    "/accounts/{account_id}/bills", response=list[BillOut], url_name="billing_account_bills",
    summary="The account's bills, newest first",
)  # fmt: skip
def list_bills(request: HttpRequest, account_id: int, limit: int = 36) -> list[dict[str, Any]]:
    account = account_for_action(user=request.user, account_id=account_id, action=AccountAction.VIEW)
    return [_bill(bill) for bill in bills_of_account(account=account)[: min(max(limit, 1), 120)]]


@router.get(
    "/bills/{bill_id}", response=dict[str, Any], url_name="billing_bill",
    summary="The bill's canonical data: supplier, payer, totals, lines, readings, penalties, QR payload",
)  # fmt: skip
def bill_data(request: HttpRequest, bill_id: int) -> dict[str, Any]:
    return bill_document_data(bill=bill_for_user(user=request.user, bill_id=bill_id))


@router.get(
    "/bills/{bill_id}/explanation", response=ExplanationOut, url_name="billing_bill_explanation",
    summary="Why the bill differs from the previous month's and the same month a year earlier",
)  # fmt: skip
def explanation(request: HttpRequest, bill_id: int) -> dict[str, Any]:
    found = explain_bill(bill=bill_for_user(user=request.user, bill_id=bill_id))
    return {
        "previous_bill": found.previous.number if found.previous else None,
        "last_year_bill": found.last_year.number if found.last_year else None,
        "change": found.change,
        "reasons": [
            {"code": r.code, "amount": r.amount, "service": r.service, "text": r.text} for r in found.reasons
        ],
    }


@router.post(
    "/accounts/{account_id}/charge-preview", response=PreviewOut, url_name="billing_charge_preview",
    summary="What the given readings would cost, per zone and in total (nothing is saved)",
)  # fmt: skip
def charge_preview(request: HttpRequest, account_id: int, payload: PreviewIn) -> dict[str, Any]:
    account = account_for_action(user=request.user, account_id=account_id, action=AccountAction.VIEW)
    today = local_day(timezone.now(), account.branch.zone)
    result = preview_charges(account=account, readings=payload.readings, on_date=today)
    return {
        "period": str(result.period),
        "lines": [_line(line) for line in result.lines],
        "total": result.total,
    }


def _line(line: Any) -> dict[str, Any]:
    return {
        name: getattr(line, name)
        for name in ("service", "unit", "zone", "basis", "volume", "price", "amount")
    }

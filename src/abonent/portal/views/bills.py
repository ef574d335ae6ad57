"""The cabinet's bills: the list of an account's bills, a bill with its calculation, and the charge
preview the readings form shows as the customer types.

Every page fetches through the permission-checking selectors: a foreign account or bill is "not
found". Tenants and viewers see the bills of the accounts they were given.
"""

from __future__ import annotations

from decimal import Decimal

from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

from abonent.billing.errors import BillNotFound
from abonent.billing.explanation import explain_bill
from abonent.billing.selectors import bill_document_data, bill_for_user, bills_of_account
from abonent.billing.services.preview import ZONE_KEYS, preview_charges
from abonent.billing.services.qr import qr_svg
from abonent.identity.selectors import (
    AccountAction,
    AccountNotFound,
    account_for_action,
    account_for_user,
    accounts_for_user,
)
from abonent.metering.errors import ReadingError
from abonent.metering.rules import parse_value
from abonent.metering.windows import local_day
from abonent.portal.views.dashboard import (
    CURRENT_ACCOUNT,
    CabinetRequest,
    cabinet_view,
    remember_account,
    switcher_for,
    viewer_for,
)

BILLS_SHOWN = 36


@cabinet_view
def index(request: CabinetRequest) -> HttpResponse:
    """Show the current account's bills (the one chosen in the switcher, else the first)."""
    accounts = accounts_for_user(user=request.user).order_by("number")
    chosen = request.session.get(CURRENT_ACCOUNT)
    account = accounts.filter(pk=chosen).first() if chosen else None
    account = account or accounts.first()
    if account is None:
        return render(request, "portal/bills/list.html", {"account": None, "bills": []})
    return redirect("bills:account", account_id=account.pk)


@cabinet_view
def account_bills(request: CabinetRequest, account_id: int) -> HttpResponse:
    try:
        account = account_for_user(user=request.user, account_id=account_id)
    except AccountNotFound as exc:
        raise Http404(exc.message) from exc
    remember_account(request, account.pk)
    viewer = viewer_for(request.user)
    context = {
        "account": account,
        "bills": list(bills_of_account(account=account)[:BILLS_SHOWN]),
        "switcher": switcher_for(request, viewer, current=account, next_url=reverse("bills:index")),
        "today": timezone.localdate(),
    }
    return render(request, "portal/bills/list.html", context)


@cabinet_view
def bill_detail(request: CabinetRequest, bill_id: int) -> HttpResponse:
    try:
        bill = bill_for_user(user=request.user, bill_id=bill_id)
    except BillNotFound as exc:
        raise Http404(exc.message) from exc
    data = bill_document_data(bill=bill)
    title = gettext("Payment QR code of bill %(number)s") % {"number": bill.number}
    context = {
        "bill": bill,
        "account": bill.account,
        "data": data,
        "explanation": explain_bill(bill=bill),
        # segno writes the SVG from our own payload: no user markup gets into it.
        "qr": mark_safe(qr_svg(data["qr_payload"].encode("utf-8"), scale=3, title=title)),  # noqa: S308
        "switcher": switcher_for(
            request, viewer_for(request.user), current=bill.account, next_url=reverse("bills:index")
        ),
    }
    return render(request, "portal/bills/detail.html", context)


@cabinet_view
def preview(request: CabinetRequest, account_id: int) -> HttpResponse:
    """Render the charge preview of the readings typed so far (an htmx fragment of the readings form)."""
    try:
        account = account_for_action(user=request.user, account_id=account_id, action=AccountAction.VIEW)
    except AccountNotFound as exc:
        raise Http404(exc.message) from exc
    readings = typed_readings(request.GET)
    today = local_day(timezone.now(), account.branch.zone)
    result = preview_charges(account=account, readings=readings, on_date=today) if readings else None
    return render(request, "portal/bills/_preview.html", {"preview": result})


def typed_readings(params) -> dict[int, dict[str, Decimal]]:
    """Read the readings form's fields (meter-<id>-<zone>) that hold a number; skip the rest."""
    readings: dict[int, dict[str, Decimal]] = {}
    for name, text in params.items():
        parts = name.split("-")
        if len(parts) != 3 or parts[0] != "meter" or not parts[1].isdigit() or parts[2] not in ZONE_KEYS:
            continue
        if not (text or "").strip():
            continue
        try:
            value = parse_value(text, zone=parts[2])
        except ReadingError:
            continue  # the form itself says what is wrong with it when submitted
        readings.setdefault(int(parts[1]), {})[parts[2]] = value
    return readings

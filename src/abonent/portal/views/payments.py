"""The cabinet's payments: pay one or many accounts, the result page that waits for the gateway,
payment history with receipts, autopay settings, and pay-by-link without signing in."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from decimal import Decimal

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from abonent.billing.selectors import balance
from abonent.core.errors import DomainError
from abonent.core.money import InvalidAmount, to_money
from abonent.customers.models import Account
from abonent.identity.selectors import AccountAction, account_for_action, account_for_user
from abonent.metering.forms import domain_errors_as_http
from abonent.payments.errors import PaymentError
from abonent.payments.gateways import default_gateway_name
from abonent.payments.models import Payment
from abonent.payments.selectors import (
    PayableAccount,
    autopay_of,
    payable_accounts,
    payment_by_reference,
    payment_for_user,
    payments_for_user,
    saved_cards,
    visible_lines,
)
from abonent.payments.services.autopay import charge_date, disable_autopay, set_autopay
from abonent.payments.services.links import read_pay_link
from abonent.payments.services.payments import LineRequest, start_payment

_PLACEHOLDER = uuid.UUID(int=0)
HISTORY_PAGE = 25
LINK_SESSION_KEY = "payments.link_payments"


def _notify_url(request: HttpRequest) -> str:
    """Return this site's webhook endpoint as the payer's browser reached it (for the sandbox)."""
    return request.build_absolute_uri(reverse("api:payments_webhook", args=[default_gateway_name()]))


def _return_url(request: HttpRequest, name: str) -> str:
    """Return the absolute URL the gateway sends the payer back to; {ref} stands for the payment."""
    return request.build_absolute_uri(reverse(name, args=[_PLACEHOLDER])).replace(str(_PLACEHOLDER), "{ref}")


# --- Pay one or many accounts --------------------------------------------------------------------------


class PayForm(forms.Form):
    """A checkbox and an amount per account; the amount is prefilled with the debt."""

    save_card = forms.BooleanField(
        label=_("Save the card for autopay"),
        required=False,
        help_text=_("The payment service keeps the card; we store only its last digits."),
    )

    def __init__(
        self, *args: object, payable: list[PayableAccount], chosen: set[int], **kwargs: object
    ) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.payable = payable
        for item in payable:
            pk = item.account.pk
            self.fields[f"pay_{pk}"] = forms.BooleanField(
                required=False,
                initial=pk in chosen,
                label=gettext("Pay account %(number)s") % {"number": item.account.number},
            )
            self.fields[f"amount_{pk}"] = forms.CharField(
                required=False,
                max_length=20,
                initial=f"{item.debt:.2f}".replace(".", ",") if item.debt else "",
                label=gettext("Amount, ₽"),
                widget=forms.TextInput(
                    attrs={"inputmode": "decimal", "autocomplete": "off", "class": "pay-amount"}
                ),
            )

    def rows(self) -> Iterator[tuple[PayableAccount, forms.BoundField, forms.BoundField]]:
        for item in self.payable:
            yield item, self[f"pay_{item.account.pk}"], self[f"amount_{item.account.pk}"]

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        lines = []
        for item in self.payable:
            pk = item.account.pk
            if not data.get(f"pay_{pk}"):
                continue
            amount = self._amount(f"amount_{pk}", data.get(f"amount_{pk}") or "")
            if amount is not None:
                lines.append(LineRequest(account=item.account, amount=amount))
        if not lines and not self.errors:
            raise forms.ValidationError(gettext("Choose at least one account and enter the amount to pay."))
        data["lines"] = lines
        return data

    def _amount(self, field: str, text: object) -> Decimal | None:
        try:
            amount = to_money(str(text).strip())
        except InvalidAmount:
            self.add_error(field, gettext("Enter the amount in roubles and kopecks, e.g. 1500,00."))
            return None
        if amount <= 0:
            self.add_error(field, gettext("The amount must be above zero."))
            return None
        return amount


def _chosen(request: HttpRequest, payable: list[PayableAccount]) -> set[int]:
    """Return the accounts ticked at first: the one asked for, else every account that owes."""
    asked = request.GET.get("account", "")
    if asked.isdigit():
        return {int(asked)}
    owing = {item.account.pk for item in payable if item.debt > 0}
    return owing or {item.account.pk for item in payable[:1]}


@login_required
@require_http_methods(["GET", "POST"])
def pay(request: HttpRequest) -> HttpResponse:
    payable = payable_accounts(user=request.user)  # type: ignore[arg-type]
    form = PayForm(request.POST or None, payable=payable, chosen=_chosen(request, payable))
    if request.method == "POST" and form.is_valid():
        try:
            started = start_payment(
                lines=form.cleaned_data["lines"],
                origin=Payment.Origin.CABINET,
                return_url=_return_url(request, "payments:result"),
                notify_url=_notify_url(request),
                created_by=request.user,  # type: ignore[arg-type]
                save_card=form.cleaned_data["save_card"],
            )
        except PaymentError as exc:
            form.add_error(None, exc.message)
        else:
            return redirect(started.redirect_url)
    return render(request, "portal/payments/pay.html", {"form": form, "payable": payable})


@login_required
def pay_account(request: HttpRequest, account_id: int) -> HttpResponse:
    """Open the pay form with one account ticked (hints and account pages link here)."""
    with domain_errors_as_http():
        account = account_for_action(user=request.user, account_id=account_id, action=AccountAction.PAY)  # type: ignore[arg-type]
    return redirect(f"{reverse('payments:pay')}?account={account.pk}")


# --- The result page -------------------------------------------------------------------------------


def _result_context(request: HttpRequest, payment: Payment) -> dict[str, object]:
    lines = visible_lines(user=request.user, payment=payment)  # type: ignore[arg-type]
    balances = [(line, balance(account=line.account)) for line in lines] if payment.credited_at else []
    return {"payment": payment, "lines": lines, "balances": balances}


@login_required
def result(request: HttpRequest, payment_ref: uuid.UUID) -> HttpResponse:
    with domain_errors_as_http():
        payment = payment_for_user(user=request.user, payment_ref=payment_ref)  # type: ignore[arg-type]
    return render(request, "portal/payments/result.html", _result_context(request, payment))


@login_required
def result_status(request: HttpRequest, payment_ref: uuid.UUID) -> HttpResponse:
    """The status fragment the result page polls (htmx) until the gateway's notice arrives."""
    with domain_errors_as_http():
        payment = payment_for_user(user=request.user, payment_ref=payment_ref)  # type: ignore[arg-type]
    return render(request, "portal/payments/_status.html", _result_context(request, payment))


# --- History and receipts ----------------------------------------------------------------------------


@login_required
def history(request: HttpRequest) -> HttpResponse:
    account = None
    asked = request.GET.get("account", "")
    if asked.isdigit():
        with domain_errors_as_http():
            account = account_for_user(user=request.user, account_id=int(asked))  # type: ignore[arg-type]
    payments = payments_for_user(user=request.user, account=account)  # type: ignore[arg-type]
    page = Paginator(payments, HISTORY_PAGE).get_page(request.GET.get("page"))
    rows = [(payment, visible_lines(user=request.user, payment=payment)) for payment in page]  # type: ignore[arg-type]
    accounts = [item.account for item in payable_accounts(user=request.user)]  # type: ignore[arg-type]
    context = {"page": page, "rows": rows, "account": account, "accounts": accounts}
    return render(request, "portal/payments/history.html", context)


@login_required
def receipt(request: HttpRequest, payment_ref: uuid.UUID) -> HttpResponse:
    with domain_errors_as_http():
        payment = payment_for_user(user=request.user, payment_ref=payment_ref)  # type: ignore[arg-type]
    if not hasattr(payment, "receipt"):
        return render(request, "portal/payments/result.html", _result_context(request, payment), status=404)
    context = {
        "payment": payment,
        "receipt": payment.receipt,
        "lines": visible_lines(user=request.user, payment=payment),
    }  # type: ignore[arg-type]
    return render(request, "portal/payments/receipt.html", context)


# --- Autopay -------------------------------------------------------------------------------------------


class AutopayForm(forms.Form):
    card = forms.TypedChoiceField(label=_("Card"), coerce=int)
    max_amount = forms.CharField(
        label=_("Pay at most, ₽"),
        max_length=12,
        help_text=_("A larger debt is paid up to this amount; the rest waits for you."),
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    notice_days = forms.TypedChoiceField(
        label=_("Remind me before charging"),
        coerce=int,
        choices=[(n, _("%(days)d days before") % {"days": n}) for n in (1, 2, 3, 5, 7)],
        initial=3,
    )

    def __init__(self, *args: object, cards: list[tuple[int, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["card"].choices = cards  # type: ignore[attr-defined]

    def clean_max_amount(self) -> Decimal:
        try:
            amount = to_money(self.cleaned_data["max_amount"])
        except InvalidAmount as exc:
            raise forms.ValidationError(
                gettext("Enter the amount in roubles and kopecks, e.g. 1500,00.")
            ) from exc
        if amount < 1:
            raise forms.ValidationError(gettext("The limit must be at least 1 ₽."))
        return amount


@login_required
@require_http_methods(["GET", "POST"])
def autopay(request: HttpRequest, account_id: int) -> HttpResponse:
    with domain_errors_as_http():
        account = account_for_action(user=request.user, account_id=account_id, action=AccountAction.PAY)  # type: ignore[arg-type]
    current = autopay_of(account=account)
    cards = [(card.pk, card.title) for card in saved_cards(user=request.user)]  # type: ignore[arg-type]
    initial = (
        {"card": current.card_id, "max_amount": current.max_amount, "notice_days": current.notice_days}
        if current
        else {}
    )
    form = AutopayForm(request.POST or None, cards=cards, initial=initial)
    if request.method == "POST":
        if request.POST.get("action") == "off":
            disable_autopay(account=account)
            messages.success(request, gettext("Autopay is off."))
            return redirect("payments:autopay", account_id=account.pk)
        if form.is_valid():
            try:
                set_autopay(
                    account=account,
                    user=request.user,
                    card_id=form.cleaned_data["card"],
                    max_amount=form.cleaned_data["max_amount"],
                    notice_days=form.cleaned_data["notice_days"],
                )  # type: ignore[arg-type]
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, gettext("Autopay is on."))
                return redirect("payments:autopay", account_id=account.pk)
    _period, charge_on = charge_date(account=account, today=_today())
    context = {"account": account, "form": form, "current": current, "cards": cards, "charge_on": charge_on}
    return render(request, "portal/payments/autopay.html", context)


def _today():  # type: ignore[no-untyped-def]
    from django.utils import timezone

    return timezone.localdate()


# --- Pay by link (no sign-in) --------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def link_pay(request: HttpRequest, token: str) -> HttpResponse:
    try:
        link = read_pay_link(token=token)
    except PaymentError as exc:
        return render(request, "portal/payments/link_invalid.html", {"error": exc.message}, status=400)
    if request.method == "POST":
        try:
            started = start_payment(
                lines=[LineRequest(account=link.account, amount=link.amount)],
                origin=Payment.Origin.LINK,
                return_url=_return_url(request, "paylink:done"),
                notify_url=_notify_url(request),
                created_by=request.user if request.user.is_authenticated else None,  # type: ignore[arg-type]
            )
        except PaymentError as exc:
            messages.error(request, exc.message)
        else:
            # Only this browser may see the result page: the reference alone opens nothing.
            started_here = request.session.get(LINK_SESSION_KEY, [])[-20:]
            request.session[LINK_SESSION_KEY] = [*started_here, str(started.payment.public_id)]
            return redirect(started.redirect_url)
    return render(request, "portal/payments/link.html", {"link": link, "account": _masked(link.account)})


def link_done(request: HttpRequest, payment_ref: uuid.UUID) -> HttpResponse:
    """The result of a pay-by-link payment: its status and amount only (the link holds no login)."""
    if str(payment_ref) not in request.session.get(LINK_SESSION_KEY, []):
        raise Http404(gettext("Payment not found."))
    with domain_errors_as_http():
        payment = payment_by_reference(payment_ref=payment_ref)
    template = "portal/payments/_link_status.html" if request.htmx else "portal/payments/link_done.html"  # type: ignore[attr-defined]
    return render(request, template, {"payment": payment})


def _masked(account: Account) -> dict[str, str]:
    """Return what the pay-link page shows of the account: the number and the street, not the flat."""
    building = account.premises.building
    return {"number": account.number, "address": f"{building.street}, {building.house}"}

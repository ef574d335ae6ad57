"""The sandbox gateway's hosted pages: the card form and the 3-D Secure code, as a bank would show them.

These pages stand in for the gateway's own site, so they take no login: the payment's random id in
the URL is the capability, as on a real hosted page, and they show only the amount and the purpose.
"""

from __future__ import annotations

from django import forms
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_deny

from abonent.payments.gateways.sandbox import (
    SANDBOX_3DS_CODE,
    TEST_CARDS,
    TestCard,
    luhn_valid,
    submit_card,
    submit_code,
)
from abonent.payments.models import SandboxPayment


class CardForm(forms.Form):
    number = forms.CharField(label=_("Card number"), max_length=23)
    expiry = forms.RegexField(
        label=_("Valid thru (MM/YY)"),
        regex=r"^(0[1-9]|1[0-2])\s*/\s*\d{2}$",
        error_messages={"invalid": _("Enter the month and year as on the card, e.g. 12/29.")},
    )
    cvc = forms.RegexField(
        label=_("CVC"),
        regex=r"^\d{3}$",
        error_messages={"invalid": _("The CVC is the 3 digits on the back of the card.")},
    )

    def clean_number(self) -> str:
        number = "".join(self.cleaned_data["number"].split()).replace("-", "")
        if not number.isdigit() or not 12 <= len(number) <= 19:
            raise forms.ValidationError(_("A card number has 12 to 19 digits."))
        if number not in TEST_CARDS:
            if not luhn_valid(number):
                raise forms.ValidationError(_("This card number has a typo: check the digits."))
            raise forms.ValidationError(_("The sandbox accepts only the test cards listed below."))
        return number


class CodeForm(forms.Form):
    code = forms.RegexField(
        label=_("Code from the SMS"),
        regex=r"^\s*\d{6}\s*$",
        error_messages={"invalid": _("The code has 6 digits.")},
    )


def _payment(sandbox_id: str) -> SandboxPayment:
    payment = SandboxPayment.objects.filter(pk=sandbox_id).first()
    if payment is None:
        raise Http404(_("Payment not found."))
    return payment


def _back_to_shop(request: HttpRequest, payment: SandboxPayment) -> HttpResponse:
    if payment.return_url:
        return redirect(payment.return_url)
    return render(request, "payments/sandbox/done.html", {"payment": payment})


@never_cache
@xframe_options_deny
def card(request: HttpRequest, sandbox_id: str) -> HttpResponse:
    payment = _payment(sandbox_id)
    if payment.step == SandboxPayment.Step.CODE:
        return redirect("sandbox:code", sandbox_id=payment.pk)
    if payment.step == SandboxPayment.Step.DONE:
        return render(request, "payments/sandbox/done.html", {"payment": payment})
    form = CardForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        outcome = submit_card(payment, number=form.cleaned_data["number"])
        if outcome.next_step == "code":
            return redirect("sandbox:code", sandbox_id=payment.pk)
        if outcome.next_step == "wait":
            return render(request, "payments/sandbox/waiting.html", {"payment": payment})
        payment.refresh_from_db()
        return _back_to_shop(request, payment)
    cards = [
        (TestCard.SUCCESS, _("payment succeeds")),
        (TestCard.DECLINE, _("the bank declines")),
        (TestCard.THREE_DS, _("asks for a 3-D Secure code")),
        (TestCard.TIMEOUT, _("the bank does not answer (timeout)")),
    ]
    return render(request, "payments/sandbox/card.html", {"payment": payment, "form": form, "cards": cards})


@never_cache
@xframe_options_deny
def code(request: HttpRequest, sandbox_id: str) -> HttpResponse:
    payment = _payment(sandbox_id)
    if payment.step != SandboxPayment.Step.CODE:
        return redirect("sandbox:card", sandbox_id=payment.pk)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        result = submit_code(payment, code=form.cleaned_data["code"])
        if result is False:
            form.add_error("code", _("Wrong code. Check the SMS and try again."))
        else:
            payment.refresh_from_db()
            return _back_to_shop(request, payment)
    context = {"payment": payment, "form": form, "hint": SANDBOX_3DS_CODE}
    return render(request, "payments/sandbox/code.html", context)

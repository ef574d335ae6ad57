"""Registration: the account number with the code from the bill (or meter + last payment), then a code."""

from __future__ import annotations

from collections.abc import Callable

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from abonent.identity.errors import IdentityError
from abonent.identity.ratelimits import enforce_rate_limit
from abonent.identity.services.registration import (
    AccountProof,
    complete_registration,
    prove_by_bill_code,
    prove_by_meter_and_payment,
    start_registration,
)
from abonent.identity.verifiers import payment_verifier
from abonent.portal.views.identity_common import current_challenge, forget_challenge, sign_in
from abonent.portal.views.identity_forms import RegisterByMeterForm, RegisterForm, RegistrationConfirmForm
from abonent.portal.views.identity_signin import check_code, render_code_page, request_code


def register(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated and not request.user.is_staff:
        messages.info(
            request, _("You are signed in. To add another account, ask its owner for an invitation.")
        )
    form = RegisterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        proof = _prove(
            request,
            form,
            lambda: prove_by_bill_code(account_number=data["account_number"], code=data["registration_code"]),
            data["account_number"],
        )
        if proof is not None:
            response = _send_code(request, form, proof)
            if response:
                return response
    context = {"form": form, "meter_way_available": payment_verifier().available}
    return render(request, "portal/identity/register.html", context)


def register_by_meter(request: HttpRequest) -> HttpResponse:
    if not payment_verifier().available:
        return render(request, "portal/identity/register_meter.html", {"form": None})
    form = RegisterByMeterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        proof = _prove(
            request,
            form,
            lambda: prove_by_meter_and_payment(
                account_number=data["account_number"],
                meter_serial=data["meter_serial"],
                amount=data["last_payment"],
            ),
            data["account_number"],
        )
        if proof is not None:
            response = _send_code(request, form, proof)
            if response:
                return response
    return render(request, "portal/identity/register_meter.html", {"form": form})


def register_confirm(request: HttpRequest) -> HttpResponse:
    challenge = current_challenge(request, "register")
    if challenge is None:
        return redirect("identity:register")
    form = RegistrationConfirmForm(request.POST or None)
    expired = False
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        result, expired = check_code(
            request,
            form,
            lambda: complete_registration(
                token=challenge["token"], code=data["code"], password=data.get("new_password1", "")
            ),
        )
        if result is not None:
            user, _access = result  # type: ignore[misc]  # complete_registration returns (User, AccountAccess)
            forget_challenge(request)
            sign_in(request, user)
            messages.success(request, _("Welcome! Your account is now in your cabinet."))
            return redirect("portal:dashboard")
    return render_code_page(
        request,
        flow="register",
        challenge=challenge,
        form=form,
        title=_("Confirm your login"),
        expired=expired,
    )


def _prove(
    request: HttpRequest, form: forms.Form, prove: Callable[[], AccountProof], account_number: str
) -> AccountProof | None:
    try:
        enforce_rate_limit(request, scope="registration_ip")
        enforce_rate_limit(request, scope="registration_account", key=account_number)
        return prove()
    except IdentityError as exc:
        form.add_error(None, exc.message)
        return None


def _send_code(request: HttpRequest, form: forms.Form, proof: AccountProof) -> HttpResponse | None:
    contact = form.cleaned_data["contact"]
    return request_code(
        request,
        flow="register",
        form=form,
        contact=contact,
        start=lambda: start_registration(proof=proof, contact=contact),
    )

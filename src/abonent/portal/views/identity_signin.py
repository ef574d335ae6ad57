"""Sign-in by a one-time code, password reset by code, and re-sending a code (any flow)."""

from __future__ import annotations

from collections.abc import Callable

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from abonent.identity.errors import (
    ChallengeNotFound,
    CodeAttemptsExhausted,
    CodeExpired,
    CodeInvalid,
    CodeThrottled,
    IdentityError,
    RateLimited,
)
from abonent.identity.models import OneTimeCode
from abonent.identity.ratelimits import enforce_rate_limit
from abonent.identity.services.codes import Contact, resend_one_time_code
from abonent.identity.services.signin import (
    complete_code_sign_in,
    complete_password_reset,
    start_code_sign_in,
    start_password_reset,
)
from abonent.portal.views.identity_common import (
    challenge_context,
    current_challenge,
    forget_challenge,
    remember_challenge,
    sign_in,
)
from abonent.portal.views.identity_forms import CodeForm, ContactForm, PasswordResetConfirmForm

# Each flow that asks for a code: where its code page is, and where to start over.
FLOW_PAGES = {
    "login": ("identity:code_login_confirm", "identity:code_login"),
    "reset": ("identity:password_reset_confirm", "identity:password_reset"),
    "register": ("identity:register_confirm", "identity:register"),
    "invite": ("identity:invite_confirm", "identity:invite_accept"),
}
EXPIRED_ERRORS = (CodeExpired, CodeAttemptsExhausted, ChallengeNotFound)


def request_code(
    request: HttpRequest, *, flow: str, form: forms.Form, start: Callable[[], OneTimeCode], contact: Contact
) -> HttpResponse | None:
    """Send a code for a valid form and go to the code page; None (with the error on the form) if refused."""
    try:
        enforce_rate_limit(request, scope="code_request_ip")
        enforce_rate_limit(request, scope="code_request_recipient", key=contact.recipient)
        challenge = start()
    except CodeThrottled as exc:
        earlier = current_challenge(request, flow)
        if earlier and earlier["recipient"] == contact.recipient:
            return redirect(FLOW_PAGES[flow][0])  # the code just sent is still good: enter it
        form.add_error(None, exc.message)
        return None
    except IdentityError as exc:
        form.add_error(None, exc.message)
        return None
    remember_challenge(request, flow, challenge)
    return redirect(FLOW_PAGES[flow][0])


def check_code(request: HttpRequest, form: forms.Form, attempt: Callable[[], object]) -> tuple[object, bool]:
    """Run `attempt` (which verifies the code) under the per-IP limit; return (result, expired).

    The code's own errors go on the form: a wrong code on the field, the rest above it.
    """
    try:
        enforce_rate_limit(request, scope="code_entry_ip")
        return attempt(), False
    except CodeInvalid as exc:
        form.add_error("code", exc.message)
    except EXPIRED_ERRORS as exc:
        form.add_error(None, exc.message)
        return None, True
    except (RateLimited, IdentityError) as exc:
        form.add_error(None, exc.message)
    return None, False


def render_code_page(
    request: HttpRequest, *, flow: str, challenge: dict[str, str], form: forms.Form, title: str, expired: bool
) -> HttpResponse:
    context = {
        "form": form,
        "flow": flow,
        "title": title,
        "expired": expired,
        "restart_url": reverse(FLOW_PAGES[flow][1]),
        **challenge_context(challenge),
    }
    return render(request, "portal/identity/code_confirm.html", context)


def code_sign_in(request: HttpRequest) -> HttpResponse:
    form = ContactForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        contact = form.cleaned_data["contact"]
        _remember_next(request)
        response = request_code(
            request,
            flow="login",
            form=form,
            contact=contact,
            start=lambda: start_code_sign_in(contact=contact),
        )
        if response:
            return response
    return render(request, "portal/identity/code_request.html", {"form": form, "flow": "login"})


def code_sign_in_confirm(request: HttpRequest) -> HttpResponse:
    challenge = current_challenge(request, "login")
    if challenge is None:
        return redirect("identity:code_login")
    form = CodeForm(request.POST or None)
    expired = False
    if request.method == "POST" and form.is_valid():
        code = form.cleaned_data["code"]
        user, expired = check_code(
            request, form, lambda: complete_code_sign_in(token=challenge["token"], code=code)
        )
        if user is not None:
            forget_challenge(request)
            next_url = request.session.pop("identity_next", "")
            sign_in(request, user)  # type: ignore[arg-type]  # complete_code_sign_in returns a User
            return redirect(next_url or "home")
    return render_code_page(
        request, flow="login", challenge=challenge, form=form, title=_("Sign in with a code"), expired=expired
    )


def password_reset(request: HttpRequest) -> HttpResponse:
    form = ContactForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        contact = form.cleaned_data["contact"]
        response = request_code(
            request,
            flow="reset",
            form=form,
            contact=contact,
            start=lambda: start_password_reset(contact=contact),
        )
        if response:
            return response
    return render(request, "portal/identity/code_request.html", {"form": form, "flow": "reset"})


def password_reset_confirm(request: HttpRequest) -> HttpResponse:
    challenge = current_challenge(request, "reset")
    if challenge is None:
        return redirect("identity:password_reset")
    form = PasswordResetConfirmForm(request.POST or None)
    expired = False
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        user, expired = check_code(
            request,
            form,
            lambda: complete_password_reset(
                token=challenge["token"], code=data["code"], new_password=data["new_password1"]
            ),
        )
        if user is not None:
            forget_challenge(request)
            sign_in(request, user)  # type: ignore[arg-type]  # complete_password_reset returns a User
            messages.success(request, _("Your new password is set. Every other session was signed out."))
            return redirect("home")
    return render_code_page(
        request, flow="reset", challenge=challenge, form=form, title=_("Set a new password"), expired=expired
    )


@require_POST
def resend_code(request: HttpRequest) -> HttpResponse:
    flow = request.POST.get("flow", "")
    challenge = current_challenge(request, flow) if flow in FLOW_PAGES else None
    if challenge is None:
        return redirect("home")
    try:
        enforce_rate_limit(request, scope="code_request_ip")
        enforce_rate_limit(request, scope="code_request_recipient", key=challenge["recipient"])
        fresh = resend_one_time_code(token=challenge["token"])
    except IdentityError as exc:
        messages.error(request, exc.message)
    else:
        remember_challenge(request, flow, fresh)
        messages.success(request, _("A new code has been sent. The previous one no longer works."))
    return redirect(FLOW_PAGES[flow][0])


def _remember_next(request: HttpRequest) -> None:
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    allowed = url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure())
    request.session["identity_next"] = next_url if allowed else ""

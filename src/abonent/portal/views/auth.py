"""Sign-in by password, sign-out, and the page shown when a login is locked after wrong passwords."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from abonent.identity.errors import RateLimited
from abonent.identity.ratelimits import enforce_rate_limit
from abonent.identity.services.sessions import mark_session_ended


class SignInForm(AuthenticationForm):
    username = forms.CharField(
        label=_("Phone or e-mail"),
        max_length=254,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username", "inputmode": "email"}),
    )
    error_messages = {
        "invalid_login": _("Wrong phone, e-mail or password. Check the keyboard layout and Caps Lock."),
        "inactive": _("This login is blocked. Call the contact center."),
    }


class SignInView(LoginView):
    template_name = "portal/identity/login.html"
    form_class = SignInForm
    redirect_authenticated_user = True

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            enforce_rate_limit(request, scope="login_ip")
        except RateLimited as exc:
            form = self.get_form()
            form.errors.clear()
            form.add_error(None, exc.message)
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().post(request, *args, **kwargs)


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    if request.session.session_key and request.user.is_authenticated:
        mark_session_ended(session_key=request.session.session_key)
    logout(request)
    return redirect("home")


def locked_out(
    request: HttpRequest, original_response: HttpResponseBase | None = None, credentials: dict | None = None
) -> HttpResponse:
    """Explain a lockout after too many wrong passwords, and offer the ways that still work (django-axes)."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(request, "portal/identity/locked_out.html", {"minutes": minutes}, status=429)

"""Sign-in and sign-out pages shared by customers and staff."""

from __future__ import annotations

from django import forms
from django.contrib.auth import logout
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST


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
    template_name = "portal/login.html"
    form_class = SignInForm
    redirect_authenticated_user = True


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("home")

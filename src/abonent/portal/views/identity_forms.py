"""Forms of the sign-in, registration and sharing pages: big fields, the right keyboards, clear errors."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import password_validation
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from abonent.identity.errors import ContactRequired
from abonent.identity.models import AccountAccess
from abonent.identity.services.codes import Contact, parse_contact

CODE_WIDGET_ATTRS = {
    "inputmode": "numeric",
    "autocomplete": "one-time-code",
    "pattern": "[0-9 ]*",
    "maxlength": "8",
    "class": "input--code",
    "autofocus": True,
}


class ContactForm(forms.Form):
    """One field for a mobile phone or an e-mail address."""

    contact = forms.CharField(
        label=_("Mobile phone or e-mail"),
        max_length=254,
        help_text=_("For example +7 912 345-67-89 or name@mail.ru"),
        widget=forms.TextInput(attrs={"autocomplete": "username", "inputmode": "email", "autofocus": True}),
    )

    def clean_contact(self) -> Contact:
        try:
            return parse_contact(self.cleaned_data["contact"])
        except ContactRequired as exc:
            raise forms.ValidationError(exc.message, code=exc.code) from exc


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code from the message"),
        max_length=8,
        widget=forms.TextInput(attrs=CODE_WIDGET_ATTRS),
    )

    def clean_code(self) -> str:
        digits = "".join(ch for ch in self.cleaned_data["code"] if ch.isdigit())
        if len(digits) != 6:
            raise forms.ValidationError(_("The code has 6 digits."), code="code_length")
        return digits


class NewPasswordMixin(forms.Form):
    """Two password fields checked against the site's password rules."""

    password_required = True
    new_password1 = forms.CharField(
        label=_("New password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 8 characters, not only digits."),
    )
    new_password2 = forms.CharField(
        label=_("The same password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].required = self.password_required
        self.fields["new_password2"].required = self.password_required

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        first, second = cleaned.get("new_password1", ""), cleaned.get("new_password2", "")
        if first or second:
            if first != second:
                self.add_error("new_password2", _("The two passwords differ. Type the same password twice."))
            else:
                try:
                    password_validation.validate_password(first)
                except forms.ValidationError as exc:
                    self.add_error("new_password1", exc)
        return cleaned


class PasswordResetConfirmForm(NewPasswordMixin, CodeForm):
    pass


class RegistrationConfirmForm(NewPasswordMixin, CodeForm):
    password_required = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].label = _("Password")
        self.fields["new_password1"].help_text = _(
            "Optional: without a password you sign in with a code sent to you each time."
        )


class AccountNumberField(forms.CharField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            label=_("Account number"),
            max_length=30,
            help_text=_("Printed at the top of your bill."),
            widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "autofocus": True}),
            **kwargs,
        )

    def clean(self, value: Any) -> str:
        digits = "".join(ch for ch in super().clean(value) if ch.isdigit())
        if not 6 <= len(digits) <= 20:
            raise forms.ValidationError(_("An account number has 6 to 20 digits."), code="account_number")
        return digits


class RegisterForm(ContactForm):
    account_number = AccountNumberField()
    registration_code = forms.CharField(
        label=_("Registration code"),
        max_length=20,
        help_text=_("8 letters and digits from the bill, e.g. KX7M-42PQ."),
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
    )
    field_order = ["account_number", "registration_code", "contact"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["contact"].widget.attrs.pop("autofocus", None)
        self.fields["contact"].help_text = _("It becomes your login; we send a code to confirm it.")


class RegisterByMeterForm(ContactForm):
    account_number = AccountNumberField()
    meter_serial = forms.CharField(label=_("Meter serial number"), max_length=40)
    last_payment = forms.DecimalField(
        label=_("Amount of your last payment, ₽"),
        min_value=0,
        max_digits=12,
        decimal_places=2,
        localize=True,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    field_order = ["account_number", "meter_serial", "last_payment", "contact"]


class InviteForm(forms.Form):
    role = forms.ChoiceField(
        label=_("Role"),
        choices=AccountAccess.Role.choices,
        initial=AccountAccess.Role.TENANT,
        widget=forms.RadioSelect,
        help_text=_(
            "Owner: everything, including inviting others. Tenant: pay, readings, appeals. "
            "Representative: acts by a power of attorney until its end date. Viewer: sees only."
        ),
    )
    name = forms.CharField(
        label=_("Whom you invite"), max_length=120, required=False, help_text=_("For your own note.")
    )
    valid_until = forms.DateField(
        label=_("Access until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Required for a representative: the date the power of attorney ends."),
    )
    poa_number = forms.CharField(label=_("Power of attorney number"), max_length=60, required=False)
    poa_date = forms.DateField(
        label=_("Power of attorney date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        role = cleaned.get("role")
        if role == AccountAccess.Role.REPRESENTATIVE:
            for field in ("valid_until", "poa_number", "poa_date"):
                if not cleaned.get(field):
                    self.add_error(field, _("Required for a representative."))
        until = cleaned.get("valid_until")
        if until and until < timezone.localdate():
            self.add_error("valid_until", _("The end date must be today or later."))
        return cleaned


class InvitationCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Invitation code"),
        max_length=20,
        help_text=_("8 letters and digits the owner of the account gave you."),
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "autocapitalize": "characters",
                "spellcheck": "false",
                "autofocus": True,
            }
        ),
    )

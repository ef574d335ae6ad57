"""A living style guide: every component of the design system on one staff-only page."""

from __future__ import annotations

from django import forms
from django.contrib.admin.views.decorators import staff_member_required
from django.core.validators import RegexValidator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _


class SampleForm(forms.Form):
    """Fields of every kind the pages use, to show labels, help text and error states."""

    account_number = forms.CharField(
        label=_("Account number"),
        help_text=_("10 digits, printed at the top of your bill."),
        validators=[RegexValidator(r"^\d{10}$", _("An account number has 10 digits."))],
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    reading = forms.DecimalField(label=_("Day reading, kWh"), min_value=0, decimal_places=2)
    resource = forms.ChoiceField(
        label=_("Service"),
        choices=[("electricity", _("Electricity")), ("cold_water", _("Cold water")), ("gas", _("Gas"))],
    )
    comment = forms.CharField(label=_("Comment"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    paper_bill = forms.BooleanField(label=_("Send me paper bills as well"), required=False)


SAMPLE_ROWS = [
    {
        "number": "7701234567",
        "customer": "Иванова Мария Петровна",
        "address": "Екатеринбург, ул. Ленина, 5, кв. 12",
        "balance": "1 250,00 ₽",
        "status": "active",
    },
    {
        "number": "7701234568",
        "customer": "ООО «Уралтеплосервис»",
        "address": "Екатеринбург, ул. Малышева, 40",
        "balance": "−3 410,15 ₽",
        "status": "suspended",
    },
    {
        "number": "7701234569",
        "customer": "ИП Смирнов Олег Иванович",
        "address": "Берёзовский, ул. Гагарина, 1",
        "balance": "0,00 ₽",
        "status": "closed",
    },
]

ICON_NAMES = [
    "home", "bill", "meter", "chat", "user", "card", "search", "phone", "folder",
    "info", "success", "warning", "error", "globe", "logout", "shield", "layout", "arrow-left",
]  # fmt: skip


@staff_member_required(login_url="login")
def styleguide(request: HttpRequest) -> HttpResponse:
    bad_data = {"bad-account_number": "12345", "bad-reading": "12,5a", "bad-resource": "gas"}
    invalid_form = SampleForm(data=bad_data, prefix="bad")
    invalid_form.is_valid()  # bound with bad data on purpose, to show the error states
    context = {
        "form": SampleForm(prefix="ok"),
        "invalid_form": invalid_form,
        "rows": SAMPLE_ROWS,
        "icons": ICON_NAMES,
    }
    return render(request, "console/styleguide.html", context)

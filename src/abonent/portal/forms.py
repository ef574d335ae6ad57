"""Forms of the cabinet's dashboard, profile and inbox: they parse and validate input, nothing more."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from abonent.customers.models import Account, Contact
from abonent.customers.services import InvalidContact, normalize_contact
from abonent.hints.selectors import Attention
from abonent.messaging.models import Channel, Topic
from abonent.messaging.selectors import PREFERENCE_CHANNELS, PREFERENCE_TOPICS

ANY = [("", _("Any"))]


class AccountFilterForm(forms.Form):
    """Narrow the combined list of many accounts; every field may be left empty."""

    number = forms.CharField(
        label=_("Account number"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "type": "search"}),
    )
    address = forms.CharField(
        label=_("Address"),
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "type": "search", "placeholder": _("street, house or town")}
        ),
    )
    branch = forms.TypedChoiceField(label=_("Branch"), required=False, coerce=int, empty_value=None)
    status = forms.ChoiceField(label=_("Status"), required=False, choices=ANY + Account.Status.choices)
    attention = forms.ChoiceField(
        label=_("Needs attention"), required=False, choices=ANY + list(Attention.CHOICES)
    )

    def __init__(self, *args: Any, branches: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["branch"]).choices = [*ANY, *branches]
        if len(branches) < 2:
            del self.fields["branch"]

    @property
    def is_filtered(self) -> bool:
        return self.is_valid() and any(self.cleaned_data.values())


class PhoneForm(forms.Form):
    value = forms.CharField(
        label=_("Mobile phone"),
        max_length=40,
        help_text=_("For example +7 912 345-67-89. We will send a code to it to check the number."),
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel", "autocomplete": "tel"}),
    )
    kind = Contact.Kind.PHONE

    def clean_value(self) -> str:
        try:
            return normalize_contact(kind=self.kind, value=self.cleaned_data["value"])
        except InvalidContact as exc:
            raise ValidationError(
                _("Enter a Russian mobile number, e.g. +7 912 345-67-89."), code="phone"
            ) from exc


class EmailForm(forms.Form):
    value = forms.EmailField(
        label=_("E-mail"),
        max_length=254,
        help_text=_("We will send a code to it to check the address."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    kind = Contact.Kind.EMAIL

    def clean_value(self) -> str:
        return normalize_contact(kind=self.kind, value=self.cleaned_data["value"])


class ConfirmCodeForm(forms.Form):
    code = forms.RegexField(
        label=_("Code from the message"),
        regex=r"^\s*\d{4,8}\s*$",
        max_length=12,
        error_messages={"invalid": _("The code is a few digits from the message.")},
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "class": "input--short"}
        ),
    )


class NotificationsForm(forms.Form):
    """One checkbox per topic and channel: "send me bills by SMS"."""

    def __init__(self, *args: Any, choices: dict[tuple[str, str], bool], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for topic in PREFERENCE_TOPICS:
            for channel in PREFERENCE_CHANNELS:
                self.fields[f"{topic}__{channel}"] = forms.BooleanField(
                    label=Channel(channel).label,
                    required=False,
                    initial=choices.get((topic, channel), False),
                )

    def rows(self) -> list[tuple[str, str, list[forms.BoundField]]]:
        """Return (topic, its name, its checkboxes) for the template, in the offered order."""
        return [
            (topic, str(Topic(topic).label), [self[f"{topic}__{channel}"] for channel in PREFERENCE_CHANNELS])
            for topic in PREFERENCE_TOPICS
        ]

    def choices(self) -> dict[tuple[str, str], bool]:
        return {
            (topic, channel): bool(self.cleaned_data.get(f"{topic}__{channel}"))
            for topic in PREFERENCE_TOPICS
            for channel in PREFERENCE_CHANNELS
        }


class PaperBillForm(forms.Form):
    paper_bill = forms.TypedChoiceField(
        choices=[("1", _("Yes")), ("0", _("No"))], coerce=lambda value: value == "1", empty_value=None
    )


class ConsentForm(forms.Form):
    GIVE, REVOKE = "give", "revoke"

    decision = forms.ChoiceField(choices=[(GIVE, _("Give consent")), (REVOKE, _("Revoke consent"))])


class InboxFilterForm(forms.Form):
    channel = forms.ChoiceField(label=_("How it was sent"), required=False, choices=ANY + Channel.choices)
    topic = forms.ChoiceField(label=_("Topic"), required=False, choices=ANY + Topic.choices)
    unread = forms.BooleanField(label=_("Only unread"), required=False)

    @property
    def is_filtered(self) -> bool:
        return self.is_valid() and any(self.cleaned_data.values())

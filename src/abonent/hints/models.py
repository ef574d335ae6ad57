"""Hint rules: "when this condition holds for an account, show this text with this action"."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from abonent.core.models import TimeStampedModel
from abonent.hints.conditions import CONDITIONS, condition_choices

PLACEHOLDER = re.compile(r"\{(\w+)\}")


class HintRule(TimeStampedModel):
    """One configurable hint: a named condition with parameters, a text with placeholders, an action."""

    class Audience(models.TextChoices):
        ALL = "all", _("Everyone")
        HOUSEHOLD = "household", _("Households")
        BUSINESS = "business", _("Businesses and sole proprietors")

    class Tone(models.TextChoices):
        INFO = "info", _("Advice")
        WARNING = "warning", _("Needs attention soon")
        ERROR = "error", _("Urgent")

    name = models.CharField(_("name"), max_length=200, help_text=_("For staff; customers do not see it."))
    condition = models.CharField(_("condition"), max_length=60, choices=condition_choices)
    parameters = models.JSONField(
        _("parameters"), default=dict, blank=True, help_text=_('For example {"days": 2}; see the condition.')
    )
    text = models.TextField(
        _("text"), help_text=_("Russian. Placeholders in braces, e.g. {days_left_words}; see the condition.")
    )
    text_en = models.TextField(_("text in English"), blank=True, help_text=_("Empty: the Russian text."))
    tone = models.CharField(_("tone"), max_length=10, choices=Tone.choices, default=Tone.INFO)
    priority = models.PositiveSmallIntegerField(
        _("priority"), default=100, help_text=_("Smaller numbers are shown first.")
    )
    action_url_name = models.CharField(
        _("action page"),
        max_length=100,
        blank=True,
        help_text=_('A page name such as "portal:account_profile", optionally with "#section".'),
    )
    action_label = models.CharField(_("action button text"), max_length=80, blank=True)
    action_label_en = models.CharField(_("action button text in English"), max_length=80, blank=True)
    audience = models.CharField(_("audience"), max_length=10, choices=Audience.choices, default=Audience.ALL)
    valid_from = models.DateField(_("shown from"), null=True, blank=True)
    valid_until = models.DateField(_("shown until"), null=True, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("hint rule")
        verbose_name_plural = _("hint rules")
        ordering = ["priority", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True)
                | Q(valid_from__isnull=True)
                | Q(valid_until__gte=models.F("valid_from")),
                name="hint_rule_valid_period",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        condition = CONDITIONS.get(self.condition)
        if condition is None:
            return  # the field's own choices validation reports it
        errors: dict[str, list[str]] = {}
        try:
            self.parameters = condition.clean_parameters(self.parameters)
        except ValidationError as exc:
            errors["parameters"] = exc.messages
        for field in ("text", "text_en"):
            unknown = sorted(set(PLACEHOLDER.findall(getattr(self, field))) - set(condition.placeholders))
            if unknown:
                errors[field] = [
                    gettext("Unknown placeholders: %(unknown)s. This condition offers: %(known)s.")
                    % {"unknown": ", ".join(unknown), "known": ", ".join(condition.placeholders) or "—"}
                ]
        if self.action_url_name and resolve_action_url(self.action_url_name, account_id=1) is None:
            errors["action_url_name"] = [gettext("No page has this name.")]
        if errors:
            raise ValidationError(errors)


def resolve_action_url(url_name: str, *, account_id: int) -> str | None:
    """Return the URL of a named page for an account ("name" or "name#section"), or None."""
    name, _hash, fragment = url_name.partition("#")
    for kwargs in ({"account_id": account_id}, {}):
        try:
            url = reverse(name.strip(), kwargs=kwargs)
        except NoReverseMatch:
            continue
        return f"{url}#{fragment}" if fragment else url
    return None

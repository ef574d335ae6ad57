"""Evaluate hint rules against account snapshots: which hints an account shows, in which order.

Evaluation is pure: it reads the snapshot and the rules already fetched, and never touches the
database, so a page of many accounts costs no more queries than one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.translation import get_language

from abonent.hints.conditions import CONDITIONS, Values
from abonent.hints.models import PLACEHOLDER, HintRule, resolve_action_url
from abonent.hints.selectors import AccountSnapshot


@dataclass(frozen=True, slots=True)
class Hint:
    """One hint to show: its text with placeholders filled in, and the action it offers."""

    rule_id: int
    text: str
    tone: str
    priority: int
    scope: str
    requires_action: str
    account_id: int
    customer_id: int
    action_url: str = ""
    action_label: str = ""


def evaluate_hints(*, snapshot: AccountSnapshot, rules: Iterable[HintRule]) -> list[Hint]:
    """Return the hints the rules give for this account, the most important first."""
    hints = []
    for rule in rules:
        condition = CONDITIONS.get(rule.condition)
        if condition is None or not _audience_matches(rule, snapshot):
            continue
        values = condition.evaluate(snapshot, rule.parameters or {})
        if values is None:
            continue
        hints.append(_hint(rule, snapshot, values, condition.scope, condition.requires_action))
    return sorted(hints, key=lambda hint: hint.priority)


def _audience_matches(rule: HintRule, snapshot: AccountSnapshot) -> bool:
    return rule.audience in (HintRule.Audience.ALL, snapshot.audience)


def _hint(rule: HintRule, snapshot: AccountSnapshot, values: Values, scope: str, action: str) -> Hint:
    english = (get_language() or "").startswith("en")
    text = rule.text_en if english and rule.text_en else rule.text
    label = rule.action_label_en if english and rule.action_label_en else rule.action_label
    url = (
        resolve_action_url(rule.action_url_name, account_id=snapshot.account.pk)
        if rule.action_url_name
        else None
    )
    return Hint(
        rule_id=rule.pk,
        text=fill_placeholders(text, values),
        tone=rule.tone,
        priority=rule.priority,
        scope=scope,
        requires_action=action,
        account_id=snapshot.account.pk,
        customer_id=snapshot.account.customer_id,
        action_url=url or "",
        action_label=label if url else "",
    )


def fill_placeholders(template: str, values: Values) -> str:
    """Replace {name} with its value; unknown names stay as written (never str.format on staff text)."""
    return PLACEHOLDER.sub(lambda match: values.get(match[1], match[0]), template)

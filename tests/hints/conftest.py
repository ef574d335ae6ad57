"""Helpers for hint tests: rules made from scratch, snapshots of factory accounts at a fixed moment."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest

from abonent.customers.models import Account
from abonent.hints.models import HintRule
from abonent.hints.selectors import AccountSnapshot, account_snapshots, snapshot_accounts

# 23 November 2026, 15:00 in Yekaterinburg: the default window (15th–25th) is open, 3 days left.
IN_WINDOW = datetime.datetime(2026, 11, 23, 10, 0, tzinfo=datetime.UTC)
BEFORE_WINDOW = datetime.datetime(2026, 11, 5, 10, 0, tzinfo=datetime.UTC)
TODAY = datetime.date(2026, 11, 23)


@pytest.fixture
def no_rules(db) -> None:  # type: ignore[no-untyped-def]
    """Start without the default rules of the data migration."""
    HintRule.objects.all().delete()


@pytest.fixture
def make_rule(db) -> Callable[..., HintRule]:  # type: ignore[no-untyped-def]
    def make(**fields: Any) -> HintRule:
        defaults: dict[str, Any] = {"name": "rule", "condition": "paper_bill_enabled", "text": "Текст"}
        rule = HintRule(**{**defaults, **fields})
        rule.full_clean()
        rule.save()
        return rule

    return make


def snapshot_of(account: Account, *, now: datetime.datetime = IN_WINDOW, unread: int = 0) -> AccountSnapshot:
    fetched = list(snapshot_accounts(accounts=Account.objects.filter(pk=account.pk)))
    return account_snapshots(accounts=fetched, unread_messages=unread, now=now)[0]

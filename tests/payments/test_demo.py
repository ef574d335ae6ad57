"""The demo's payments: the personas have sandbox cards, Ivanova's house has autopay that really charges."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.management import call_command

from abonent.payments.models import AutopaySetting, SavedCard
from abonent.payments.services.autopay import run_autopay

pytestmark = pytest.mark.django_db


def test_demo_cards_and_autopay() -> None:
    call_command("demo", accounts=50, verbosity=0)
    assert set(SavedCard.objects.values_list("user__email", "title")) == {
        ("maria.ivanova@example.ru", "Visa •••• 1111"),
        ("buh@uraltehsnab.ru", "Visa •••• 1111"),
    }
    setting = AutopaySetting.objects.get()
    assert setting.account.number == "669000000002" and setting.enabled
    summary = run_autopay(today=date(2026, 12, 5))
    assert summary.failed == 0 and summary.charged + summary.skipped == 1

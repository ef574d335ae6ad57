"""Autopay: a notice N days before the bill date, one charge on it, never above the debt or the limit."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core import mail

from abonent.billing.selectors import balance
from abonent.messaging.models import OutboundMessage
from abonent.payments.errors import SavedCardNotFound
from abonent.payments.models import AutopayRun, PaymentStatus, SandboxPayment
from abonent.payments.services.autopay import charge_date, run_autopay, set_autopay

pytestmark = pytest.mark.django_db


def test_the_bill_date_comes_from_the_due_calendar(account) -> None:  # type: ignore[no-untyped-def]
    period, day = charge_date(account=account, today=date(2026, 3, 2))
    assert (period.start, day) == (date(2026, 2, 1), date(2026, 3, 5))


def test_notice_then_one_charge_capped_by_the_limit(account, customer, card, debt) -> None:  # type: ignore[no-untyped-def]
    set_autopay(account=account, user=customer, card_id=card.pk, max_amount=Decimal("1000.00"), notice_days=3)

    assert run_autopay(today=date(2026, 3, 1)).noticed == 0  # four days before: nothing yet
    first = run_autopay(today=date(2026, 3, 2))
    again = run_autopay(today=date(2026, 3, 3))
    assert (first.noticed, again.noticed) == (1, 0)
    notice = OutboundMessage.objects.get(idempotency_key__startswith="autopay-notice:")
    assert notice.recipient == customer.email
    assert "05.03.2026" in notice.body and account.number in notice.body and "1\u202f000,00" in notice.body

    charged = run_autopay(today=date(2026, 3, 5))
    assert charged.charged == 1
    assert run_autopay(today=date(2026, 3, 5)).charged == 0  # the same day again (a second scheduler)
    assert run_autopay(today=date(2026, 3, 6)).charged == 0
    run = AutopayRun.objects.get()
    assert run.payment is not None and run.payment.amount == Decimal("1000.00")
    assert run.payment.status == PaymentStatus.SUCCEEDED
    assert balance(account=account) == Decimal("500.00")


def test_no_debt_no_charge(account, customer, card, electricity) -> None:  # type: ignore[no-untyped-def]
    set_autopay(account=account, user=customer, card_id=card.pk, max_amount=Decimal("1000.00"), notice_days=3)
    summary = run_autopay(today=date(2026, 3, 5))
    assert (summary.charged, summary.skipped) == (0, 1)
    assert AutopayRun.objects.get().skipped_reason == "no debt"


def test_a_declined_saved_card(account, customer, card, debt) -> None:  # type: ignore[no-untyped-def]
    SandboxPayment.objects.filter(pk="sbx_original").update(card_last4="0002")
    set_autopay(account=account, user=customer, card_id=card.pk, max_amount=Decimal("5000.00"), notice_days=1)
    run_autopay(today=date(2026, 3, 5))
    assert AutopayRun.objects.get().payment.status == PaymentStatus.DECLINED
    assert balance(account=account) == Decimal("1500.00")


def test_only_ones_own_card(account, stranger, card) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SavedCardNotFound):
        set_autopay(account=account, user=stranger, card_id=card.pk, max_amount=Decimal("1"), notice_days=1)
    assert len(mail.outbox) == 0

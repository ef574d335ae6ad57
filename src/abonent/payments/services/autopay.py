"""Autopay: charge a saved card for an account's debt on the bill date, with a notice N days before.

The bill date of a period is the day its bill must reach the customer (billing's due calendar of the
account's organisation). Each period's run of a setting is one AutopayRun row; its notice and its charge
are claimed with conditional UPDATEs, so the daily task may run twice (two schedulers, a retry) and
still notify once and charge once. A charge never exceeds the debt or the payer's limit.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext, override

from abonent.billing.selectors import balance, due_calendar
from abonent.core.money import format_rub
from abonent.core.periods import BillingPeriod
from abonent.customers.models import Account
from abonent.identity.models import User
from abonent.messaging.models import Topic
from abonent.messaging.services import queue_message
from abonent.payments.errors import AutopayInvalid, GatewayError, SavedCardNotFound
from abonent.payments.models import AutopayRun, AutopaySetting, SavedCard
from abonent.payments.services.payments import charge_saved_card

logger = logging.getLogger(__name__)


def set_autopay(
    *, account: Account, user: User, card_id: int, max_amount: Decimal, notice_days: int, enabled: bool = True
) -> AutopaySetting:
    """Turn on (or change) autopay of the account from one of the user's saved cards."""
    card = SavedCard.objects.filter(pk=card_id, user=user, removed_at__isnull=True).first()
    if card is None:
        raise SavedCardNotFound()
    if max_amount <= 0 or not 0 <= notice_days <= 10:
        raise AutopayInvalid()
    setting, _created = AutopaySetting.objects.update_or_create(
        account=account,
        defaults={
            "card": card,
            "set_by": user,
            "max_amount": max_amount,
            "notice_days": notice_days,
            "enabled": enabled,
        },
    )
    return setting


def disable_autopay(*, account: Account) -> None:
    AutopaySetting.objects.filter(account=account).update(enabled=False, updated_at=timezone.now())


def charge_date(*, account: Account, today: date) -> tuple[BillingPeriod, date]:
    """Return the period billed this month and its bill date (the day autopay charges)."""
    period = BillingPeriod.from_date(today).previous()
    calendar = due_calendar(organisation=account.branch.organisation)
    return period, calendar.delivery_deadline(period)


@dataclass
class AutopaySummary:
    noticed: int = 0
    charged: int = 0
    skipped: int = 0
    failed: int = 0
    payments: list[int] = field(default_factory=list)


def run_autopay(*, today: date | None = None) -> AutopaySummary:
    """Send today's notices and make today's charges for every enabled autopay."""
    day = today or timezone.localdate()
    summary = AutopaySummary()
    settings = AutopaySetting.objects.filter(enabled=True).select_related(
        "account__branch__organisation", "card__user"
    )
    for setting in settings.iterator(chunk_size=500):
        period, charge_on = charge_date(account=setting.account, today=day)
        run, _ = AutopayRun.objects.get_or_create(
            setting=setting, period=period.start, defaults={"charge_on": charge_on}
        )
        if charge_on - timedelta(days=setting.notice_days) <= day < charge_on and _claim(run, "noticed_at"):
            _notify(setting, run)
            summary.noticed += 1
        if day >= charge_on and _claim(run, "charged_at"):
            _charge(setting, run, summary)
    return summary


def _claim(run: AutopayRun, field_name: str) -> bool:
    """Mark the run's step as done by this caller; False when another caller already did it."""
    claimed = AutopayRun.objects.filter(pk=run.pk, **{f"{field_name}__isnull": True}).update(
        **{field_name: timezone.now()}
    )
    return bool(claimed)


def _charge(setting: AutopaySetting, run: AutopayRun, summary: AutopaySummary) -> None:
    debt = balance(account=setting.account)
    if debt <= 0 or setting.card.removed_at is not None:
        reason = "no debt" if debt <= 0 else "card removed"
        AutopayRun.objects.filter(pk=run.pk).update(skipped_reason=reason)
        summary.skipped += 1
        return
    amount = min(debt, setting.max_amount)
    try:
        payment = charge_saved_card(account=setting.account, amount=amount, card=setting.card)
    except GatewayError as exc:
        logger.warning("autopay of account %s failed: %s", setting.account_id, exc.message)
        AutopayRun.objects.filter(pk=run.pk).update(skipped_reason=f"gateway error: {exc.message}"[:200])
        summary.failed += 1
        return
    AutopayRun.objects.filter(pk=run.pk).update(payment=payment)
    summary.charged += 1
    summary.payments.append(payment.pk)


def _notify(setting: AutopaySetting, run: AutopayRun) -> None:
    user = setting.card.user
    channel, recipient = ("email", user.email) if user.email else ("sms", user.phone)
    if not recipient:
        return
    with override(user.preferred_language or "ru"):
        body = gettext(
            "Autopay: on %(day)s we will pay the debt of account %(number)s from your card %(card)s,"
            " at most %(limit)s. To change or turn it off, open the cabinet."
        ) % {
            "day": date_format(run.charge_on, "SHORT_DATE_FORMAT"),
            "number": setting.account.number,
            "card": setting.card.title,
            "limit": format_rub(setting.max_amount),
        }
        subject = gettext("Autopay on %(day)s") % {"day": date_format(run.charge_on, "SHORT_DATE_FORMAT")}
    queue_message(
        channel=channel,
        topic=Topic.BILLS,
        recipient=recipient,
        subject=subject,
        body=body,
        idempotency_key=f"autopay-notice:{run.pk}",
        customer_id=setting.account.customer_id,
        user_id=user.pk,
    )

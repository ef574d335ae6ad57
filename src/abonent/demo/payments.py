"""Demo payments: saved cards and autopay for the demo personas (payment history rows are billing's).

The cards are the sandbox gateway's (so autopay really charges them in the demo): Ivanova keeps her
Visa •••• 1111 with autopay on her country house, the company's accountant a card without autopay.
Only persona rows are written, so the cost does not grow with the number of accounts.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from decimal import Decimal

from django.utils import timezone

from abonent.customers.models import Account
from abonent.identity.models import User
from abonent.payments.gateways.sandbox import TestCard
from abonent.payments.models import AutopaySetting, PaymentStatus, SandboxPayment, SavedCard

# (login e-mail, account with autopay or "", autopay limit, the test card's number)
DEMO_CARDS = [
    ("maria.ivanova@example.ru", "669000000002", Decimal("5000.00"), TestCard.SUCCESS),
    ("buh@uraltehsnab.ru", "", Decimal(0), TestCard.SUCCESS),
]


def generate_payments(*, report: Callable[[str], None] = print) -> None:
    """Save a sandbox card for each demo persona and turn autopay on where planned."""
    for email, account_number, limit, number in DEMO_CARDS:
        user = User.objects.filter(email=email).first()
        if user is None:
            continue
        card = _saved_card(user, number)
        account = Account.objects.filter(number=account_number).first() if account_number else None
        if account is not None:
            defaults = {"card": card, "set_by": user, "max_amount": limit, "notice_days": 3}
            AutopaySetting.objects.update_or_create(account=account, defaults=defaults)
    report(f"  saved cards and autopay for {len(DEMO_CARDS)} demo logins")


def _saved_card(user: User, number: str) -> SavedCard:
    """Record the card at the sandbox (as its first payment would have) and in the cabinet."""
    token = f"sbx_card_demo_{user.pk}"
    SandboxPayment.objects.get_or_create(
        id=f"sbx_demo_{user.pk}",
        defaults={
            "merchant_reference": "demo",
            "idempotency_key": f"demo-card-{user.pk}-{secrets.token_hex(4)}",
            "amount": Decimal("1.00"),
            "description": "demo card",
            "webhook_url": "http://127.0.0.1:8000/api/v1/payments/webhooks/sandbox",
            "status": PaymentStatus.SUCCEEDED,
            "save_card": True,
            "card_last4": number[-4:],
            "card_token": token,
            "step": SandboxPayment.Step.DONE,
            "finished_at": timezone.now(),
        },
    )
    card, _ = SavedCard.objects.get_or_create(
        user=user, gateway="sandbox", method_id=token, defaults={"title": f"Visa •••• {number[-4:]}"}
    )
    return card

"""Pay-by-link: a signed, expiring link for one account and a fixed amount, payable without signing in.

Dunning and notification features call `pay_link_for(account=..., amount=...)` and put the URL into an
SMS or an e-mail. The token is signed with django.core.signing (the site's SECRET_KEY and a salt of its
own), carries its creation time, and is refused after PAYMENTS_LINK_TTL_DAYS or after any change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core import signing
from django.urls import reverse

from abonent.core.money import InvalidAmount, to_money
from abonent.customers.models import Account
from abonent.payments.errors import InvalidPaymentAmount, PayLinkExpired, PayLinkInvalid

SALT = "abonent.payments.pay-link"


@dataclass(frozen=True, slots=True)
class PayLink:
    account: Account
    amount: Decimal


def pay_link_token(*, account: Account, amount: Decimal) -> str:
    """Return the signed token for paying `amount` on the account."""
    money = to_money(amount)
    if money <= 0:
        raise InvalidPaymentAmount()
    return signing.dumps({"a": account.pk, "s": str(money)}, salt=SALT, compress=True)


def pay_link_for(*, account: Account, amount: Decimal, site_url: str | None = None) -> str:
    """Return the absolute URL of a pay link (for SMS and e-mail)."""
    path = reverse("paylink:pay", args=[pay_link_token(account=account, amount=amount)])
    return (site_url or settings.PAYMENTS_SITE_URL).rstrip("/") + path


def read_pay_link(*, token: str) -> PayLink:
    """Return the account and amount a token names, or PayLinkExpired / PayLinkInvalid."""
    max_age = timedelta(days=settings.PAYMENTS_LINK_TTL_DAYS)
    try:
        data = signing.loads(token, salt=SALT, max_age=max_age)
    except signing.SignatureExpired as exc:
        raise PayLinkExpired() from exc
    except signing.BadSignature as exc:
        raise PayLinkInvalid() from exc
    try:
        account = Account.objects.select_related("premises__building").get(pk=int(data["a"]))
        amount = to_money(str(data["s"]))
    except (Account.DoesNotExist, KeyError, TypeError, ValueError, InvalidAmount) as exc:
        raise PayLinkInvalid() from exc
    return PayLink(account=account, amount=amount)

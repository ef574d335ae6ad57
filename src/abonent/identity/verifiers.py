"""Proofs of holding an account other than the bill code, for registration without a bill at hand.

The meter number is checked against metering; the last payment amount is asked of a pluggable
verifier (settings.IDENTITY_PAYMENT_VERIFIER). Until the payments app provides one, the default
verifier answers "unavailable" and registration this way is refused, never waved through.
"""

from __future__ import annotations

import enum
from decimal import Decimal
from functools import cache
from typing import Protocol

from django.conf import settings
from django.db.models import Value
from django.db.models.functions import Replace, Upper
from django.utils.module_loading import import_string

from abonent.customers.models import Account
from abonent.metering.models import Meter


class PaymentCheck(enum.Enum):
    MATCH = "match"
    MISMATCH = "mismatch"
    UNAVAILABLE = "unavailable"


class PaymentVerifier(Protocol):
    """Tells whether `amount` is the account's last payment."""

    available: bool

    def check(self, *, account_id: int, amount: Decimal) -> PaymentCheck: ...


class PaymentCheckUnavailable:
    """The default until a payments app exists: no payment can be confirmed."""

    available = False

    def check(self, *, account_id: int, amount: Decimal) -> PaymentCheck:
        return PaymentCheck.UNAVAILABLE


@cache
def _verifier_class(path: str) -> type[PaymentVerifier]:
    return import_string(path)


def payment_verifier() -> PaymentVerifier:
    """Return the configured payment verifier."""
    return _verifier_class(settings.IDENTITY_PAYMENT_VERIFIER)()


def meter_belongs_to_account(*, account: Account, serial_number: str) -> bool:
    """Tell whether a meter in service on the account has this serial number (spaces and case ignored)."""
    serial = "".join(serial_number.split()).upper()
    if not serial:
        return False
    compact = Replace(Upper("serial_number"), Value(" "), Value(""))
    return (
        Meter.objects.filter(account=account)
        .exclude(status=Meter.Status.DECOMMISSIONED)
        .annotate(compact_serial=compact)
        .filter(compact_serial=serial)
        .exists()
    )

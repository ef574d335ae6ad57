"""Domain errors of billing: each names what is missing or wrong in words staff and customers understand."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from abonent.core.errors import DomainError, NotFound


class BillingError(DomainError):
    code = "billing_error"


class TariffNotFound(NotFound):
    code = "tariff_not_found"
    default_message = _("No tariff is in force for this service, region and customer category on that day.")


class NormNotFound(NotFound):
    code = "norm_not_found"
    default_message = _("No consumption norm is in force for this service, region and category on that day.")


class KeyRateMissing(BillingError):
    code = "key_rate_missing"
    default_message = _("The key rate table has no rate for that day; add it in the billing settings.")


class InvalidTariff(BillingError):
    code = "invalid_tariff"
    default_message = _("The tariff's prices are incomplete or contradict its kind.")


class InvalidConsumption(BillingError):
    code = "invalid_consumption"
    default_message = _("The consumption does not fit the tariff.")


class InvalidEntry(BillingError):
    code = "invalid_entry"
    default_message = _("The ledger entry is not valid.")


class IdempotencyConflict(BillingError):
    """The same idempotency key came back with different content: a bug or a forged retry, never a retry."""

    code = "idempotency_conflict"
    default_message = _("This operation was already posted with different data.")


class InvalidPayment(BillingError):
    code = "invalid_payment"
    default_message = _("The payment amount must be positive.")


class QrPayloadError(BillingError):
    code = "qr_payload_invalid"
    default_message = _("The payment QR code data is not valid.")


class BillNotFound(NotFound):
    code = "bill_not_found"
    default_message = _("Bill not found.")


class ChargeRunError(BillingError):
    code = "charge_run_error"
    default_message = _("The charge run cannot be started.")

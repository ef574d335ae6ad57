"""Domain errors of payments: what went wrong, in words the payer or the staff understand."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from abonent.core.errors import DomainError, NotFound


class PaymentError(DomainError):
    code = "payment_error"
    default_message = _("The payment could not be made.")


class PaymentNotFound(NotFound):
    code = "payment_not_found"
    default_message = _("Payment not found.")


class InvalidPaymentAmount(PaymentError):
    code = "invalid_payment_amount"
    default_message = _("Enter an amount above zero for at least one account.")


class AmountTooLarge(PaymentError):
    code = "payment_amount_too_large"
    default_message = _("The amount is larger than a single online payment may be.")


class UnknownGateway(PaymentError):
    code = "unknown_gateway"
    default_message = _("This payment gateway is not configured.")


class GatewayError(PaymentError):
    """The gateway failed; `permanent` says whether trying again can help."""

    code = "gateway_error"
    default_message = _("The payment service did not answer. Please try again in a few minutes.")

    def __init__(self, message: str | None = None, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class WebhookRejected(PaymentError):
    """A notification that is not to be trusted; `reason` is a short machine code kept in the log."""

    code = "webhook_rejected"
    default_message = _("The notification was rejected.")

    def __init__(self, reason: str, message: str | None = None) -> None:
        super().__init__(message)
        self.reason = reason


class PayLinkInvalid(PaymentError):
    code = "pay_link_invalid"
    default_message = _(
        "This payment link is damaged or not valid. "
        "Copy the whole link from the message, or pay in the cabinet."
    )


class PayLinkExpired(PaymentError):
    code = "pay_link_expired"
    default_message = _("This payment link has expired. Ask for a new one or pay in the cabinet.")


class RefundNotAllowed(PaymentError):
    code = "refund_not_allowed"
    default_message = _("Only a completed payment that was not refunded yet can be refunded.")


class SavedCardNotFound(NotFound):
    code = "saved_card_not_found"
    default_message = _("Saved card not found.")


class AutopayInvalid(PaymentError):
    code = "autopay_invalid"
    default_message = _("The autopay settings are not valid.")

"""Payments: what the payer asked to pay (a payment with its lines per account and service), what the
gateways told us (the webhook log), saved cards and autopay, receipts and the daily reconciliation.

A payment is credited to the ledger exactly once: `credited_at` is claimed with a conditional UPDATE
in the same transaction as the ledger entries, whose idempotency keys are unique as a second guard.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from abonent.customers.models import Account, Service


class PaymentStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for payment")
    WAITING_3DS = "waiting_3ds", _("Waiting for the bank's confirmation")
    SUCCEEDED = "succeeded", _("Paid")
    DECLINED = "declined", _("Declined")
    CANCELLED = "cancelled", _("Cancelled")
    REFUNDED = "refunded", _("Refunded")


# Which status may follow which. A notice that would move a payment backwards (a late "waiting for 3-DS"
# after "succeeded") or out of a final state is stale: logged, never applied.
TRANSITIONS: dict[str, frozenset[str]] = {
    PaymentStatus.PENDING: frozenset(
        {PaymentStatus.WAITING_3DS, PaymentStatus.SUCCEEDED, PaymentStatus.DECLINED, PaymentStatus.CANCELLED}
    ),
    PaymentStatus.WAITING_3DS: frozenset(
        {PaymentStatus.SUCCEEDED, PaymentStatus.DECLINED, PaymentStatus.CANCELLED}
    ),
    PaymentStatus.SUCCEEDED: frozenset({PaymentStatus.REFUNDED}),
    PaymentStatus.DECLINED: frozenset(),
    PaymentStatus.CANCELLED: frozenset(),
    PaymentStatus.REFUNDED: frozenset(),
}
FINAL_STATUSES = frozenset(status for status, following in TRANSITIONS.items() if not following) | {
    PaymentStatus.SUCCEEDED
}


class Payment(models.Model):
    """One online payment: a total split into lines per account (and chosen service)."""

    class Origin(models.TextChoices):
        CABINET = "cabinet", _("Cabinet")
        LINK = "link", _("Payment link")
        AUTOPAY = "autopay", _("Autopay")
        API = "api", _("API")

    public_id = models.UUIDField(_("reference"), default=uuid.uuid4, unique=True, editable=False)
    gateway = models.CharField(_("gateway"), max_length=20)
    gateway_payment_id = models.CharField(_("gateway's payment id"), max_length=100, blank=True)
    idempotency_key = models.CharField(_("idempotency key"), max_length=64, unique=True)
    status = models.CharField(
        _("status"), max_length=12, choices=PaymentStatus.choices, default=PaymentStatus.PENDING
    )
    origin = models.CharField(_("made from"), max_length=8, choices=Origin.choices)
    amount = models.DecimalField(_("amount, ₽"), max_digits=14, decimal_places=2)
    description = models.CharField(_("description"), max_length=200)
    save_card = models.BooleanField(_("save the card for autopay"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("paid by"),
        related_name="payments",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    status_changed_at = models.DateTimeField(_("status changed at"), null=True, blank=True)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    credited_at = models.DateTimeField(_("credited to the ledger at"), null=True, blank=True)
    refunded_at = models.DateTimeField(_("refunded at"), null=True, blank=True)
    failure_reason = models.CharField(_("failure reason"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["gateway", "gateway_payment_id"],
                condition=~Q(gateway_payment_id=""),
                name="payment_gateway_id_unique",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
        ]
        indexes = [models.Index(fields=["status", "paid_at"], name="payment_status_paid_idx")]

    def __str__(self) -> str:
        return f"{self.public_id} {self.amount} {self.status}"

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES


class PaymentLine(models.Model):
    """The part of a payment for one account (and, when the payer chose, one service)."""

    payment = models.ForeignKey(Payment, related_name="lines", on_delete=models.CASCADE)
    account = models.ForeignKey(Account, related_name="payment_lines", on_delete=models.PROTECT)
    service = models.ForeignKey(
        Service,
        verbose_name=_("service"),
        related_name="+",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        help_text=_("Empty: the debts of the account, oldest first."),
    )
    amount = models.DecimalField(_("amount, ₽"), max_digits=14, decimal_places=2)

    class Meta:
        verbose_name = _("payment line")
        verbose_name_plural = _("payment lines")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["payment", "account", "service"], name="payment_line_unique"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_line_amount_positive"),
        ]
        indexes = [models.Index(fields=["account", "payment"], name="payment_line_account_idx")]

    def __str__(self) -> str:
        return f"{self.account_id}: {self.amount}"

    @property
    def ledger_key(self) -> str:
        """Return the idempotency key of this line's ledger posting (unique per payment line)."""
        return f"online:{self.payment.public_id}:{self.pk}"


class WebhookEvent(models.Model):
    """Every notification a gateway sent us, trusted or not, with what became of it."""

    class Outcome(models.TextChoices):
        APPLIED = "applied", _("Applied")
        DUPLICATE = "duplicate", _("Duplicate, ignored")
        STALE = "stale", _("Out of order, ignored")
        REJECTED = "rejected", _("Rejected")
        UNKNOWN_PAYMENT = "unknown", _("Unknown payment")

    gateway = models.CharField(_("gateway"), max_length=20)
    event_id = models.CharField(_("event id"), max_length=120, blank=True)
    # Set on the first trusted delivery of an event only; a second delivery of the same event collides here.
    first_delivery_of = models.CharField(max_length=150, null=True, blank=True, unique=True, editable=False)
    body = models.TextField(_("raw body"))
    body_sha256 = models.CharField(_("body SHA-256"), max_length=64)
    remote_ip = models.GenericIPAddressField(_("sender IP"), null=True, blank=True)
    signature_ok = models.BooleanField(_("signature valid"), default=False)
    is_duplicate = models.BooleanField(_("duplicate"), default=False)
    outcome = models.CharField(_("outcome"), max_length=9, choices=Outcome.choices)
    rejection_reason = models.CharField(_("rejection reason"), max_length=40, blank=True)
    status = models.CharField(_("payment status reported"), max_length=12, blank=True)
    payment = models.ForeignKey(
        Payment, related_name="webhook_events", null=True, blank=True, on_delete=models.SET_NULL
    )
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)
    processed_at = models.DateTimeField(_("processed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook event")
        verbose_name_plural = _("webhook log")
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["gateway", "event_id"], name="webhook_event_idx")]

    def __str__(self) -> str:
        return f"{self.gateway} {self.event_id} {self.outcome}"


class SavedCard(models.Model):
    """A card the payer let the gateway keep after a successful payment, for autopay."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, related_name="saved_cards", on_delete=models.CASCADE)
    gateway = models.CharField(_("gateway"), max_length=20)
    method_id = models.CharField(_("gateway's payment method id"), max_length=100)
    title = models.CharField(_("card"), max_length=60, help_text=_("E.g. “Visa •••• 1111”."))
    saved_from = models.ForeignKey(
        Payment, related_name="+", null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(_("saved at"), auto_now_add=True)
    removed_at = models.DateTimeField(_("removed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("saved card")
        verbose_name_plural = _("saved cards")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["user", "gateway", "method_id"], name="saved_card_unique")
        ]

    def __str__(self) -> str:
        return self.title


class AutopaySetting(models.Model):
    """Pay an account's debt from a saved card on the bill date, up to a limit, with notice first."""

    account = models.OneToOneField(Account, related_name="autopay", on_delete=models.CASCADE)
    card = models.ForeignKey(
        SavedCard, verbose_name=_("card"), related_name="autopays", on_delete=models.PROTECT
    )
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, related_name="+", on_delete=models.PROTECT)
    max_amount = models.DecimalField(
        _("at most, ₽"),
        max_digits=12,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("1.00"))],
    )
    notice_days = models.PositiveSmallIntegerField(
        _("notify days before"), default=3, validators=[MaxValueValidator(10)]
    )
    enabled = models.BooleanField(_("on"), default=True)
    updated_at = models.DateTimeField(_("changed at"), auto_now=True)

    class Meta:
        verbose_name = _("autopay")
        verbose_name_plural = _("autopay settings")

    def __str__(self) -> str:
        return f"{self.account_id}: ≤ {self.max_amount}"


class AutopayRun(models.Model):
    """One period's autopay of an account: its notice and its charge, each done once."""

    setting = models.ForeignKey(AutopaySetting, related_name="runs", on_delete=models.CASCADE)
    period = models.DateField(_("period"), help_text=_("The first day of the billed month."))
    charge_on = models.DateField(_("charge on"))
    noticed_at = models.DateTimeField(_("notice sent at"), null=True, blank=True)
    charged_at = models.DateTimeField(_("charge started at"), null=True, blank=True)
    payment = models.OneToOneField(
        Payment, related_name="autopay_run", null=True, blank=True, on_delete=models.SET_NULL
    )
    skipped_reason = models.CharField(_("skipped because"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("autopay run")
        verbose_name_plural = _("autopay runs")
        constraints = [models.UniqueConstraint(fields=["setting", "period"], name="autopay_run_unique")]

    def __str__(self) -> str:
        return f"{self.setting_id} {self.period:%m.%Y}"


class Receipt(models.Model):
    """The confirmation of a credited payment, one per payment, shown and printed in the cabinet."""

    payment = models.OneToOneField(Payment, related_name="receipt", on_delete=models.PROTECT)
    number = models.CharField(_("number"), max_length=30, unique=True)
    issued_at = models.DateTimeField(_("issued at"))
    amount = models.DecimalField(_("amount, ₽"), max_digits=14, decimal_places=2)

    class Meta:
        verbose_name = _("receipt")
        verbose_name_plural = _("receipts")
        ordering = ["-issued_at"]

    def __str__(self) -> str:
        return self.number


class ReconciliationReport(models.Model):
    """Our succeeded payments of a day against the gateway's list of the same day."""

    gateway = models.CharField(_("gateway"), max_length=20)
    day = models.DateField(_("day"))
    created_at = models.DateTimeField(_("made at"), auto_now=True)
    ours_count = models.PositiveIntegerField(_("our payments"), default=0)
    ours_total = models.DecimalField(_("our total, ₽"), max_digits=16, decimal_places=2, default=Decimal(0))
    theirs_count = models.PositiveIntegerField(_("gateway's payments"), default=0)
    theirs_total = models.DecimalField(
        _("gateway's total, ₽"), max_digits=16, decimal_places=2, default=Decimal(0)
    )
    mismatches = models.PositiveIntegerField(_("mismatches"), default=0)

    class Meta:
        verbose_name = _("reconciliation report")
        verbose_name_plural = _("reconciliation reports")
        ordering = ["-day", "gateway"]
        constraints = [models.UniqueConstraint(fields=["gateway", "day"], name="reconciliation_unique_day")]

    def __str__(self) -> str:
        return f"{self.gateway} {self.day:%d.%m.%Y}"


class ReconciliationItem(models.Model):
    """One payment that differs between us and the gateway."""

    class Kind(models.TextChoices):
        MISSING_AT_GATEWAY = "missing_at_gateway", _("Paid here, unknown to the gateway")
        MISSING_HERE = "missing_here", _("Paid at the gateway, not credited here")
        AMOUNT = "amount", _("Amounts differ")
        STATUS = "status", _("Statuses differ")

    report = models.ForeignKey(ReconciliationReport, related_name="items", on_delete=models.CASCADE)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    payment = models.ForeignKey(Payment, related_name="+", null=True, blank=True, on_delete=models.SET_NULL)
    gateway_payment_id = models.CharField(_("gateway's payment id"), max_length=100, blank=True)
    our_amount = models.DecimalField(_("our amount, ₽"), max_digits=14, decimal_places=2, null=True)
    their_amount = models.DecimalField(_("gateway's amount, ₽"), max_digits=14, decimal_places=2, null=True)
    our_status = models.CharField(_("our status"), max_length=12, blank=True)
    their_status = models.CharField(_("gateway's status"), max_length=12, blank=True)

    class Meta:
        verbose_name = _("reconciliation mismatch")
        verbose_name_plural = _("reconciliation mismatches")
        ordering = ["kind", "id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.gateway_payment_id}"


class SandboxPayment(models.Model):
    """The sandbox gateway's own record of a payment: what a real gateway keeps on its side."""

    class Step(models.TextChoices):
        CARD = "card", _("Waiting for the card")
        CODE = "code", _("Waiting for the 3-D Secure code")
        DONE = "done", _("Done")

    id = models.CharField(primary_key=True, max_length=40)
    merchant_reference = models.CharField(max_length=64)
    idempotency_key = models.CharField(max_length=64, unique=True)
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    description = models.CharField(max_length=200)
    return_url = models.URLField(max_length=500, blank=True)
    webhook_url = models.URLField(max_length=500)
    status = models.CharField(max_length=12, choices=PaymentStatus.choices, default=PaymentStatus.PENDING)
    step = models.CharField(max_length=4, choices=Step.choices, default=Step.CARD)
    save_card = models.BooleanField(default=False)
    card_last4 = models.CharField(max_length=4, blank=True)
    card_token = models.CharField(max_length=40, blank=True)
    code_attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    refunded_amount = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal(0))

    class Meta:
        verbose_name = _("sandbox payment")
        verbose_name_plural = _("sandbox payments")

    def __str__(self) -> str:
        return self.id


class SandboxEvent(models.Model):
    """A notification the sandbox owes the shop; delivered (late, twice, out of order) by a task."""

    id = models.CharField(primary_key=True, max_length=40)
    sandbox_payment = models.ForeignKey(SandboxPayment, related_name="events", on_delete=models.CASCADE)
    status = models.CharField(max_length=12, choices=PaymentStatus.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    deliveries = models.PositiveSmallIntegerField(default=0)
    last_response = models.CharField(max_length=40, blank=True)

    class Meta:
        verbose_name = _("sandbox notification")
        verbose_name_plural = _("sandbox notifications")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.id} {self.status}"

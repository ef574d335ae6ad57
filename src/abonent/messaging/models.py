"""The outbox: every message sent to a customer on any channel, with its delivery state."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from abonent.customers.models import Customer


class Channel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS")
    PUSH = "push", _("Push notification")
    CABINET = "cabinet", _("Message in the cabinet")
    VOICE = "voice", _("Robot call")
    PAPER = "paper", _("Paper letter")


class Topic(models.TextChoices):
    """What a message is about; customers choose channels per topic, and marketing needs consent."""

    SECURITY = "security", _("Sign-in and security codes")
    BILLS = "bills", _("Bills and payments")
    READINGS = "readings", _("Meter readings reminders")
    DEBT = "debt", _("Debt notices")
    OUTAGES = "outages", _("Planned and emergency outages")
    APPEALS = "appeals", _("Answers to appeals")
    SERVICE = "service", _("Service news")
    MARKETING = "marketing", _("Offers and promotions")


class OutboundMessage(models.Model):
    """One message to one recipient; written in the transaction that caused it, delivered by a task."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", pgettext_lazy("message status", "Failed")

    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    topic = models.CharField(_("topic"), max_length=12, choices=Topic.choices)
    recipient = models.CharField(_("recipient"), max_length=254, help_text=_("Phone, e-mail or device id"))
    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        related_name="messages",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("login"),
        related_name="messages",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
    )
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    body = models.TextField(_("text"))
    idempotency_key = models.CharField(_("idempotency key"), max_length=120, unique=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    provider_message_id = models.CharField(_("provider's message id"), max_length=100, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("outbound message")
        verbose_name_plural = _("outbound messages")
        indexes = [models.Index(fields=["customer", "-created_at"], name="message_customer_idx")]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} → {self.recipient}: {self.subject or self.body[:40]}"

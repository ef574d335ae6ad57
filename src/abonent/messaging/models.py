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


class ChannelPreference(models.Model):
    """A customer's explicit choice to get (or not) messages on one topic through one channel.

    No row means the default of the topic (see messaging.selectors.default_channel_choice).
    """

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), related_name="channel_preferences", on_delete=models.CASCADE
    )
    topic = models.CharField(_("topic"), max_length=12, choices=Topic.choices)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    enabled = models.BooleanField(_("send"), default=True)
    updated_at = models.DateTimeField(_("changed at"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        related_name="+",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
    )

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [
            models.UniqueConstraint(fields=["customer", "topic", "channel"], name="channel_preference_unique")
        ]

    def __str__(self) -> str:
        state = _("on") if self.enabled else _("off")
        return f"{self.get_topic_display()} / {self.get_channel_display()}: {state}"


class Consent(models.Model):
    """A consent the customer gave (152-FZ, 38-FZ): which text, when, by whom, from where; revocable.

    A row is never edited except to record its revocation once; giving consent again adds a new row,
    so the history of every grant and revocation stays.
    """

    class Kind(models.TextChoices):
        MARKETING = "marketing", _("Offers and promotions (advertising)")

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), related_name="consents", on_delete=models.PROTECT
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    text_version = models.CharField(_("text version"), max_length=40)
    text = models.TextField(_("text shown"), help_text=_("The exact wording the customer agreed to"))
    given_at = models.DateTimeField(_("given at"))
    given_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("given by"),
        related_name="+",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
    )
    given_ip = models.GenericIPAddressField(_("given from IP address"), null=True, blank=True)
    given_user_agent = models.CharField(_("browser"), max_length=300, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("revoked by"),
        related_name="+",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
    )
    revoked_ip = models.GenericIPAddressField(_("revoked from IP address"), null=True, blank=True)

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        ordering = ["-given_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "kind"],
                condition=models.Q(revoked_at__isnull=True),
                name="consent_in_force_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.text_version})"

    @property
    def in_force(self) -> bool:
        return self.revoked_at is None

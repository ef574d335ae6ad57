"""Meters installed on premises and accounts, their readings, hourly telemetry and IVR PINs."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from abonent.core.periods import BillingPeriod
from abonent.customers.models import Account, Resource

ZONE_CODES = ("T1", "T2", "T3")


class Meter(models.Model):
    """A metering device: its resource, tariff zones, digit count and verification (поверка) date."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("In service")
        FAILED = "failed", pgettext_lazy("meter status", "Failed")
        VERIFICATION_EXPIRED = "verification_expired", _("Verification expired")
        DECOMMISSIONED = "decommissioned", _("Decommissioned")

    account = models.ForeignKey(Account, related_name="meters", on_delete=models.PROTECT)
    resource = models.CharField(_("resource"), max_length=20, choices=Resource.choices)
    serial_number = models.CharField(_("serial number"), max_length=40)
    model_name = models.CharField(_("model"), max_length=100, blank=True)
    zones = models.PositiveSmallIntegerField(
        _("tariff zones"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(3)],
        help_text=_("1 — single rate; 2 — day T1 / night T2; 3 — peak T1 / night T2 / semi-peak T3"),
    )
    digits = models.PositiveSmallIntegerField(
        _("integer digits"), default=5, validators=[MinValueValidator(4), MaxValueValidator(9)]
    )
    installed_on = models.DateField(_("installed on"))
    next_verification_on = models.DateField(_("next verification due"))
    status = models.CharField(_("status"), max_length=24, choices=Status.choices, default=Status.ACTIVE)
    removed_on = models.DateField(
        _("removed on"),
        null=True,
        blank=True,
        help_text=_("The day the meter was taken out of service; readings taken after it are refused."),
    )
    location = models.CharField(_("location"), max_length=200, blank=True)
    # Bumped by every accepted reading: a submission reads the meter and its history without a lock and
    # writes only if nobody wrote in between (see metering/sql.py, `save`). A database default too, so
    # bulk loads that list their columns need not name it.
    readings_version = models.PositiveIntegerField(default=0, db_default=0, editable=False)

    class Meta:
        verbose_name = _("meter")
        verbose_name_plural = _("meters")
        constraints = [
            models.UniqueConstraint(fields=["resource", "serial_number"], name="meter_serial_unique"),
            models.CheckConstraint(condition=models.Q(zones__gte=1, zones__lte=3), name="meter_zones_1_3"),
            # Only a decommissioned meter has a removal date, and never one before its installation.
            models.CheckConstraint(
                condition=Q(removed_on__isnull=True)
                | Q(status="decommissioned", removed_on__gte=models.F("installed_on")),
                name="meter_removed_when_decommissioned",
                violation_error_message=_(
                    "Only a decommissioned meter has a removal date, and it is not before the installation."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_resource_display()} №{self.serial_number}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Save the meter; saving an existing one moves its readings version on.

        A reading submission decides on the meter as it read it (status, removal day, zones, digits):
        moving the version on makes one that read it before this change read again. The version is never
        written from an instance, which may hold an older one than the row (the admin's form, say).
        """
        if self._state.adding:
            super().save(*args, **kwargs)
            return
        fields = kwargs.pop("update_fields", None)
        if fields is None:
            fields = [field.name for field in self._meta.concrete_fields if not field.primary_key]
        if fields := [name for name in fields if name != "readings_version"]:
            super().save(*args, update_fields=fields, **kwargs)
        Meter.objects.filter(pk=self.pk).update(readings_version=models.F("readings_version") + 1)

    @property
    def zone_codes(self) -> list[str]:
        return [f"T{n}" for n in range(1, self.zones + 1)]

    def is_removed_by(self, day: date) -> bool:
        """Tell whether the meter had been taken out of service before the day began."""
        return self.removed_on is not None and self.removed_on < day


class Channel(models.TextChoices):
    """How a reading reached us."""

    CABINET = "cabinet", _("Customer cabinet")
    API = "api", _("API")
    STAFF_PHONE = "staff_phone", _("Taken by phone by staff")
    BULK_FILE = "bulk_file", _("Bulk file")
    IVR = "ivr", _("Voice robot (IVR)")
    TELEMETRY = "telemetry", _("Telemetry")


class Reading(models.Model):
    """The register values of one meter for one billing period, as submitted through one channel.

    One row per submission. The row that counts for a period has `superseded_at` empty; a later
    submission for the same period supersedes it (the last one inside the window wins) and the
    earlier row stays as history. Single-rate meters fill `t1` only.

    The table is the largest of the system (13+ rows per meter), so its indexes are exactly what the
    queries need: a partial unique index on (meter, period) over the rows that count serves the
    validation, the history and the charts and enforces "one reading per period"; two tiny partial
    indexes serve the superseded history and the review queue.
    """

    class Review(models.TextChoices):
        NONE = "", _("Not needed")
        PENDING = "pending", _("Waiting for review")
        CONFIRMED = "confirmed", _("Confirmed")
        REJECTED = "rejected", _("Rejected")

    # db_index=False: the (meter, period) indexes below lead with the meter.
    meter = models.ForeignKey(
        Meter, verbose_name=_("meter"), related_name="readings", on_delete=models.PROTECT, db_index=False
    )
    period = models.DateField(_("billing period"), help_text=_("The first day of the period's month."))
    t1 = models.DecimalField(_("T1 (day / single rate)"), max_digits=12, decimal_places=3)
    t2 = models.DecimalField(_("T2 (night)"), max_digits=12, decimal_places=3, null=True, blank=True)
    t3 = models.DecimalField(_("T3 (semi-peak)"), max_digits=12, decimal_places=3, null=True, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"))
    channel = models.CharField(_("channel"), max_length=12, choices=Channel.choices)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("submitted by"),
        null=True,
        blank=True,
        related_name="+",
        on_delete=models.PROTECT,
        db_index=False,
    )
    superseded_at = models.DateTimeField(_("superseded at"), null=True, blank=True)
    review = models.CharField(
        _("review"), max_length=10, choices=Review.choices, default=Review.NONE, db_default="", blank=True
    )
    average_consumption = models.DecimalField(
        _("usual monthly consumption"),
        max_digits=12,
        decimal_places=3,
        null=True,
        blank=True,
        help_text=_("Filled when the reading is flagged as unusually high."),
    )

    class Meta:
        verbose_name = _("meter reading")
        verbose_name_plural = _("meter readings")
        constraints = [
            models.UniqueConstraint(
                fields=["meter", "period"],
                condition=Q(superseded_at__isnull=True),
                name="reading_current_unique",
            ),
            models.CheckConstraint(condition=Q(t1__gte=0), name="reading_t1_not_negative"),
        ]
        indexes = [
            models.Index(
                fields=["meter", "period"],
                condition=Q(superseded_at__isnull=False),
                name="reading_superseded_idx",
            ),
            models.Index(fields=["submitted_at"], condition=Q(review="pending"), name="reading_review_idx"),
            models.Index(
                fields=["submitted_by"], condition=Q(submitted_by__isnull=False), name="reading_by_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.meter_id} {self.billing_period}: {self.values_text}"

    @property
    def billing_period(self) -> BillingPeriod:
        return BillingPeriod.from_date(self.period)

    @property
    def values(self) -> dict[str, Decimal]:
        """Return the zone values present, e.g. {"T1": Decimal("12345.6"), "T2": ...}."""
        raw = {"T1": self.t1, "T2": self.t2, "T3": self.t3}
        return {zone: Decimal(value) for zone, value in raw.items() if value is not None}

    @property
    def values_text(self) -> str:
        return ", ".join(f"{zone} {value.normalize():f}" for zone, value in self.values.items())

    @property
    def is_current(self) -> bool:
        return self.superseded_at is None


class TelemetrySample(models.Model):
    """Consumption of one meter over one hour, from a smart meter or a controller.

    Compact on purpose (many rows per meter): the primary key is (meter, hour), with no surrogate id.
    """

    pk = models.CompositePrimaryKey("meter_id", "hour")
    meter = models.ForeignKey(
        Meter, verbose_name=_("meter"), related_name="+", on_delete=models.CASCADE, db_index=False
    )
    hour = models.DateTimeField(_("hour starting at"))
    consumption = models.DecimalField(_("consumption"), max_digits=10, decimal_places=3)

    class Meta:
        verbose_name = _("telemetry sample")
        verbose_name_plural = _("telemetry samples")

    def __str__(self) -> str:
        return f"{self.meter_id} {self.hour:%Y-%m-%d %H:00}: {self.consumption}"


class IvrPin(models.Model):
    """The code a customer keys in on the phone to submit readings by voice robot (stored hashed)."""

    account = models.OneToOneField(
        Account, verbose_name=_("account"), related_name="+", on_delete=models.CASCADE
    )
    pin_hash = models.CharField(_("PIN hash"), max_length=256)
    failed_attempts = models.PositiveSmallIntegerField(_("failed attempts in a row"), default=0)
    locked_until = models.DateTimeField(_("locked until"), null=True, blank=True)
    updated_at = models.DateTimeField(_("changed at"), auto_now=True)

    class Meta:
        verbose_name = _("IVR PIN")
        verbose_name_plural = _("IVR PINs")

    def __str__(self) -> str:
        return f"PIN {self.account_id}"

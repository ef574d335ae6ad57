"""Meters installed on premises and accounts."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from abonent.customers.models import Account, Resource


class Meter(models.Model):
    """A metering device: its resource, tariff zones, digit count and verification (поверка) date."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("In service")
        FAILED = "failed", _("Failed")
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
    location = models.CharField(_("location"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("meter")
        verbose_name_plural = _("meters")
        constraints = [
            models.UniqueConstraint(fields=["resource", "serial_number"], name="meter_serial_unique"),
            models.CheckConstraint(condition=models.Q(zones__gte=1, zones__lte=3), name="meter_zones_1_3"),
        ]

    def __str__(self) -> str:
        return f"{self.get_resource_display()} №{self.serial_number}"

    @property
    def zone_codes(self) -> list[str]:
        return [f"T{n}" for n in range(1, self.zones + 1)]

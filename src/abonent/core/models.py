"""The shared kernel's data: the utility, its branches, business calendars and the audit log."""

from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("Unknown time zone: %(zone)s"), params={"zone": value}, code="time_zone")


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class Organisation(TimeStampedModel):
    """A utility or housing company running the platform (one per deployment, several allowed)."""

    class Kind(models.TextChoices):
        ENERGY_SALES = "energy_sales", _("Energy sales company")
        GRID = "grid", _("Grid company")
        HEAT = "heat", _("Heat supplier")
        WATER = "water", _("Water utility")
        GAS = "gas", _("Gas supplier")
        HOUSING = "housing", _("Housing management company")
        REGIONAL_OPERATOR = "waste", _("Regional waste operator")

    name = models.CharField(_("name"), max_length=300)
    short_name = models.CharField(_("short name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    inn = models.CharField(_("INN"), max_length=12)
    kpp = models.CharField(_("KPP"), max_length=9, blank=True)
    ogrn = models.CharField(_("OGRN"), max_length=15)
    legal_address = models.CharField(_("legal address"), max_length=500)
    phone = models.CharField(_("phone"), max_length=40)
    email = models.EmailField(_("e-mail"))
    website = models.URLField(_("website"), blank=True)
    bank_name = models.CharField(_("bank name"), max_length=45)
    bank_bic = models.CharField(_("BIC"), max_length=9)
    bank_account = models.CharField(_("settlement account"), max_length=20)
    bank_corr_account = models.CharField(_("correspondent account"), max_length=20)
    readings_window_start_day = models.PositiveSmallIntegerField(
        _("readings window opens on day"), default=15
    )
    readings_window_end_day = models.PositiveSmallIntegerField(_("readings window closes on day"), default=25)
    payment_due_day = models.PositiveSmallIntegerField(_("payment due day of next month"), default=15)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return self.short_name


class BusinessCalendar(models.Model):
    """A production calendar: weekends plus dated exceptions (holidays, transfers, shortened days)."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("based on"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        help_text=_("Days not listed here are taken from this calendar (e.g. the federal one)."),
    )
    work_start = models.TimeField(_("working day starts"), default="09:00")
    work_end = models.TimeField(_("working day ends"), default="18:00")
    lunch_start = models.TimeField(_("lunch starts"), null=True, blank=True, default="13:00")
    lunch_end = models.TimeField(_("lunch ends"), null=True, blank=True, default="14:00")
    shortened_by_minutes = models.PositiveSmallIntegerField(
        _("pre-holiday day shorter by, minutes"), default=60
    )

    class Meta:
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")

    def __str__(self) -> str:
        return self.name


class CalendarDay(models.Model):
    """A date whose kind differs from the plain Monday-Friday rule."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("Public holiday")
        DAY_OFF = "day_off", _("Day off (transferred)")
        WORKING = "working", _("Working day (transferred from a weekend)")
        SHORTENED = "shortened", _("Shortened pre-holiday working day")

    calendar = models.ForeignKey(BusinessCalendar, related_name="days", on_delete=models.CASCADE)
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        constraints = [models.UniqueConstraint(fields=["calendar", "date"], name="calendar_day_unique")]
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date:%d.%m.%Y} {self.get_kind_display()}"


class Branch(TimeStampedModel):
    """A branch of the utility: its own time zone, business calendar and service territory."""

    organisation = models.ForeignKey(Organisation, related_name="branches", on_delete=models.PROTECT)
    code = models.CharField(_("code"), max_length=10, unique=True)
    name = models.CharField(_("name"), max_length=200)
    region_code = models.CharField(
        _("region code"), max_length=2, help_text=_("Subject of the Russian Federation, e.g. 66")
    )
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="Europe/Moscow", validators=[validate_time_zone]
    )
    calendar = models.ForeignKey(
        BusinessCalendar, verbose_name=_("business calendar"), on_delete=models.PROTECT
    )
    address = models.CharField(_("office address"), max_length=500)
    phone = models.CharField(_("phone"), max_length=40)
    office_hours = models.CharField(_("office hours"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("branch")
        verbose_name_plural = _("branches")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)


class AuditEvent(models.Model):
    """One append-only record of who did what to which object, when and why."""

    class Action(models.TextChoices):
        VIEW = "view", _("Viewed")
        CREATE = "create", _("Created")
        UPDATE = "update", _("Changed")
        DELETE = "delete", _("Deleted")
        EXPORT = "export", _("Exported")
        LOGIN = "login", _("Signed in")
        LOGIN_FAILED = "login_failed", _("Failed sign-in")
        LOGOUT = "logout", _("Signed out")

    occurred_at = models.DateTimeField(_("occurred at"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("actor"), null=True, blank=True, on_delete=models.PROTECT
    )
    actor_label = models.CharField(
        _("actor"), max_length=200, help_text=_("Kept even if the user is removed")
    )
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    object_type = models.CharField(_("object type"), max_length=100)
    object_id = models.CharField(_("object id"), max_length=64)
    object_label = models.CharField(_("object"), max_length=300, blank=True)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    personal_data = models.BooleanField(_("touches personal data"), default=False)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit log")
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id", "occurred_at"], name="audit_object_idx")]

    def __str__(self) -> str:
        when = f"{self.occurred_at:%d.%m.%Y %H:%M}"
        return f"{when} {self.actor_label} {self.action} {self.object_type}#{self.object_id}"

    def save(self, *args, **kwargs) -> None:
        # The log is append-only: a posted event is never rewritten, whatever calls save().
        if self.pk is not None:
            raise ValidationError(_("Audit events cannot be changed."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(_("Audit events cannot be deleted."))


class ScheduledRun(models.Model):
    """One firing of a scheduled job; the unique slot makes two schedulers enqueue it only once."""

    name = models.CharField(_("job"), max_length=100)
    slot = models.DateTimeField(_("scheduled for"))
    enqueued_at = models.DateTimeField(_("enqueued at"), auto_now_add=True)
    task_result_id = models.CharField(_("task result id"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("scheduled run")
        verbose_name_plural = _("scheduled runs")
        constraints = [models.UniqueConstraint(fields=["name", "slot"], name="scheduled_run_unique")]
        ordering = ["-slot"]

    def __str__(self) -> str:
        return f"{self.name} @ {self.slot:%d.%m.%Y %H:%M}"

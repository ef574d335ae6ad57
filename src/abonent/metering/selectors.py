"""Reads of the metering area, shaped for the pages and the API: meters with their last readings,
history, consumption by month, day and hour, and the review queue."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from decimal import Decimal
from itertools import pairwise

from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from abonent.core.periods import BillingPeriod
from abonent.customers.models import Account, Resource
from abonent.identity.models import User
from abonent.identity.selectors import (
    AccountAction,
    AccountNotFound,
    account_for_action,
    accounts_for_user,
    check_role_allows,
)
from abonent.metering import sql
from abonent.metering.errors import MeterNotFound, ReadingError
from abonent.metering.models import Meter, Reading, TelemetrySample
from abonent.metering.rules import MeterFacts, check_meter, months_between, zone_consumption
from abonent.metering.windows import WindowStatus, local_day, window_status

UNIT_LABELS: dict[str, Promise] = {
    Resource.ELECTRICITY: _("kWh"),
    Resource.HEAT: _("Gcal"),
    Resource.HOT_WATER: _("m³"),
    Resource.COLD_WATER: _("m³"),
    Resource.GAS: _("m³"),
    Resource.SEWAGE: _("m³"),
    Resource.WASTE: _("m³"),
}
_ZONE_NAMES: dict[int, dict[str, Promise]] = {
    1: {"T1": _("Reading")},
    2: {"T1": _("Day (T1)"), "T2": _("Night (T2)")},
    3: {"T1": _("Peak (T1)"), "T2": _("Night (T2)"), "T3": _("Semi-peak (T3)")},
}
VERIFICATION_WARNING_DAYS = 60
# A removed meter stays on the readings form, marked "removed on …", for about three billing periods:
# long enough for the customer to see why it asks for no readings, short enough not to clutter.
REMOVED_SHOWN_DAYS = 92
# The order meters appear in on the readings form: as on a typical bill.
RESOURCE_ORDER: list[str] = [
    Resource.ELECTRICITY,
    Resource.COLD_WATER,
    Resource.HOT_WATER,
    Resource.GAS,
    Resource.HEAT,
]


def zone_name(meter: Meter, zone: str) -> str:
    return str(_ZONE_NAMES[meter.zones].get(zone, zone))


def unit_of(meter: Meter) -> str:
    return str(UNIT_LABELS.get(meter.resource, ""))


# --- permission-checking fetchers ------------------------------------------------------------------
def meter_for_user(*, user: User, meter_id: int, action: str = AccountAction.VIEW) -> Meter:
    """Return the meter if the user may do `action` on its account; a foreign meter is "not found".

    A customer's check is one statement with the meter (every reading submission starts here); its
    account loads when used. Staff and others go through `account_for_action`, whose account comes along.
    """
    if user.is_authenticated and user.is_active and not user.is_staff:
        meter = sql.meter_with_role(meter_id, user.pk)
        if meter is None:
            raise MeterNotFound()
        try:
            check_role_allows(getattr(meter, "grant_role", None), action)  # the raw query's column
        except AccountNotFound as exc:
            raise MeterNotFound() from exc
        return meter
    meter = Meter.objects.filter(pk=meter_id).first()
    if meter is None:
        raise MeterNotFound()
    try:
        meter.account = account_for_action(user=user, account_id=meter.account_id, action=action)
    except AccountNotFound as exc:
        raise MeterNotFound() from exc
    return meter


def window_for(*, account: Account, now: datetime | None = None) -> WindowStatus:
    """Return the readings window as it stands today in the account's branch."""
    branch = account.branch
    return window_status(
        organisation=branch.organisation, today=local_day(now or timezone.now(), branch.zone)
    )


# --- the readings form -------------------------------------------------------------------------------
@dataclass(frozen=True)
class ZoneLine:
    zone: str
    name: str
    previous: Decimal | None
    current: Decimal | None


@dataclass(frozen=True)
class MeterCard:
    """One meter as the readings form shows it."""

    meter: Meter
    unit: str
    previous: Reading | None  # the last reading of an earlier period
    current: Reading | None  # this period's reading, if already submitted
    previous_on: date | None
    current_on: date | None
    blocked: list[ReadingError] = field(default_factory=list)
    verification_due_soon: bool = False
    removed_on: date | None = None  # the removal day, once it has passed (the form shows it instead)

    @property
    def accepts_readings(self) -> bool:
        return not self.blocked

    @property
    def zones(self) -> list[ZoneLine]:
        previous = self.previous.values if self.previous else {}
        current = self.current.values if self.current else {}
        return [
            ZoneLine(zone, zone_name(self.meter, zone), previous.get(zone), current.get(zone))
            for zone in self.meter.zone_codes
        ]


def meter_cards(*, account: Account, window: WindowStatus) -> list[MeterCard]:
    """Return the account's meters in service or lately removed, with their last readings, in two queries."""
    period = window.period.start
    counting = Reading.objects.filter(meter=OuterRef("pk"), superseded_at__isnull=True)
    recently_removed = Q(removed_on__gte=window.today - timedelta(days=REMOVED_SHOWN_DAYS))
    meters = list(
        Meter.objects.filter(account=account)
        .filter(~Q(status=Meter.Status.DECOMMISSIONED) | recently_removed)
        .annotate(
            previous_id=Subquery(counting.filter(period__lt=period).order_by("-period").values("pk")[:1]),
            current_id=Subquery(counting.filter(period=period).values("pk")[:1]),
        )
        .order_by("resource", "serial_number")
    )
    wanted = [i for m in meters for i in (m.previous_id, m.current_id) if i]
    readings = Reading.objects.in_bulk(wanted)
    tz = account.branch.zone
    meters.sort(key=lambda m: RESOURCE_ORDER.index(m.resource) if m.resource in RESOURCE_ORDER else 99)
    return [_card(m, readings, window.today, tz) for m in meters]


def _card(meter: Meter, readings: dict[int, Reading], today: date, tz: tzinfo) -> MeterCard:
    previous = readings.get(meter.previous_id)  # type: ignore[attr-defined]  # annotated above
    current = readings.get(meter.current_id)  # type: ignore[attr-defined]  # annotated above
    return MeterCard(
        meter=meter,
        unit=unit_of(meter),
        previous=previous,
        current=current,
        previous_on=local_day(previous.submitted_at, tz) if previous else None,
        current_on=local_day(current.submitted_at, tz) if current else None,
        blocked=check_meter(meter=MeterFacts.of(meter), day=today),
        verification_due_soon=meter.next_verification_on <= today + timedelta(days=VERIFICATION_WARNING_DAYS),
        removed_on=meter.removed_on if meter.is_removed_by(today) else None,
    )


# --- history -----------------------------------------------------------------------------------------
def reading_history(*, meter: Meter, include_superseded: bool = False, limit: int = 36) -> QuerySet[Reading]:
    """Return the meter's readings, newest period first (superseded ones after the one that counts)."""
    readings = Reading.objects.filter(meter=meter).select_related("submitted_by")
    if not include_superseded:
        readings = readings.filter(superseded_at__isnull=True)
    return readings.order_by("-period", "superseded_at", "-submitted_at")[:limit]


@dataclass(frozen=True)
class MonthRow:
    """Consumption of one billing period, with the same period a year earlier for comparison."""

    period: BillingPeriod
    by_zone: dict[str, Decimal]
    total: Decimal | None  # None: no reading for the period
    months: int  # > 1 when the readings before it are missing and the consumption spans a gap
    last_year: Decimal | None
    reading: Reading | None

    @property
    def change_percent(self) -> int | None:
        if self.total is None or not self.last_year:
            return None
        return round((self.total - self.last_year) / self.last_year * 100)


def monthly_consumption(
    *, meter: Meter, months: int = 13, until: BillingPeriod | None = None
) -> list[MonthRow]:
    """Return the consumption of the last `months` periods (oldest first) from one query."""
    last = until or latest_period(meter=meter)
    first_needed = last.shift(-(months + 12))
    readings = list(
        Reading.objects.filter(meter=meter, superseded_at__isnull=True, period__gte=first_needed.start)
        .filter(period__lte=last.start)
        .order_by("period")
    )
    per_period: dict[BillingPeriod, tuple[dict[str, Decimal], int, Reading]] = {}
    for older, newer in pairwise(readings):
        by_zone = {
            zone: zone_consumption(older.values[zone], value, digits=meter.digits)
            for zone, value in newer.values.items()
            if zone in older.values
        }
        per_period[newer.billing_period] = (
            by_zone,
            months_between(older.billing_period, newer.billing_period),
            newer,
        )
    rows = []
    for offset in range(months - 1, -1, -1):
        period = last.shift(-offset)
        by_zone, span, reading = per_period.get(period, ({}, 0, None))
        previous_year = per_period.get(period.shift(-12))
        rows.append(
            MonthRow(
                period=period,
                by_zone=by_zone,
                total=sum(by_zone.values(), Decimal(0)) if reading else None,
                months=span,
                last_year=sum(previous_year[0].values(), Decimal(0)) if previous_year else None,
                reading=reading,
            )
        )
    return rows


def latest_period(*, meter: Meter) -> BillingPeriod:
    """Return the current period when it already has a reading, else the one before it."""
    current = window_for(account=meter.account).period
    has_current = Reading.objects.filter(
        meter=meter, superseded_at__isnull=True, period=current.start
    ).exists()
    return current if has_current else current.previous()


# --- telemetry -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TelemetryRange:
    first: date
    last: date


def telemetry_range(*, meter: Meter) -> TelemetryRange | None:
    """Return the first and last local day with hourly data, or None when the meter sends none."""
    samples = TelemetrySample.objects.filter(meter=meter)
    first = samples.order_by("hour").values_list("hour", flat=True).first()
    if first is None:
        return None
    last = samples.order_by("-hour").values_list("hour", flat=True).first()
    tz = meter.account.branch.zone
    return TelemetryRange(first=local_day(first, tz), last=local_day(last, tz))  # type: ignore[arg-type]


def daily_consumption(*, meter: Meter, period: BillingPeriod) -> list[tuple[date, Decimal | None]]:
    """Return the consumption of each day of the period from hourly telemetry (None: no data)."""
    tz = meter.account.branch.zone
    start = datetime.combine(period.start, time(), tzinfo=tz)
    end = datetime.combine(period.next().start, time(), tzinfo=tz)
    totals: dict[date, Decimal] = defaultdict(Decimal)
    for hour, value in TelemetrySample.objects.filter(meter=meter, hour__gte=start, hour__lt=end).values_list(
        "hour", "consumption"
    ):
        totals[local_day(hour, tz)] += value
    days = [period.start + timedelta(days=n) for n in range(period.days)]
    return [(day, totals.get(day)) for day in days]


def hourly_consumption(*, meter: Meter, day: date) -> list[tuple[int, Decimal | None]]:
    """Return the consumption of each hour of the local day (None: no data)."""
    tz = meter.account.branch.zone
    start = datetime.combine(day, time(), tzinfo=tz)
    samples = dict(
        TelemetrySample.objects.filter(
            meter=meter, hour__gte=start, hour__lt=start + timedelta(days=1)
        ).values_list("hour", "consumption")
    )
    by_hour = {timezone.localtime(hour, tz).hour: value for hour, value in samples.items()}
    return [(hour, by_hour.get(hour)) for hour in range(24)]


# --- staff ---------------------------------------------------------------------------------------------
def review_queue(*, user: User, limit: int = 100) -> QuerySet[Reading]:
    """Return the flagged readings waiting for review on the accounts the staff member works with."""
    return (
        Reading.objects.filter(review=Reading.Review.PENDING, meter__account__in=accounts_for_user(user=user))
        .select_related("meter__account")
        .order_by("submitted_at")[:limit]
    )

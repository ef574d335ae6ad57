"""A meter's consumption as the pages show it: an SVG chart and the table with the same numbers.

Months come from the readings (with the same month a year earlier beside each); days and hours
come from hourly telemetry where the meter sends it. `consumption_view` reads the query string
(scale=month|day|hour, zone=T1.., period=YYYY-MM, day=YYYY-MM-DD) and returns what the cabinet and
the console render.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.utils import formats
from django.utils.dates import MONTHS_3
from django.utils.safestring import SafeString
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from abonent.core.charts import Series, bar_chart
from abonent.core.periods import BillingPeriod
from abonent.metering.errors import format_value
from abonent.metering.models import Meter
from abonent.metering.selectors import (
    MonthRow,
    TelemetryRange,
    daily_consumption,
    hourly_consumption,
    monthly_consumption,
    telemetry_range,
    unit_of,
    zone_name,
)

SCALES = {"month": _("By month"), "day": _("By day"), "hour": _("By hour")}


@dataclass(frozen=True)
class Row:
    """One line of the table under the chart."""

    label: str
    by_zone: list[tuple[str, Decimal | None]]  # (zone name, consumption) when the table shows zones
    total: Decimal | None
    last_year: Decimal | None = None
    change_percent: int | None = None
    note: str = ""
    link: str = ""  # a query string to drill down (a day's hours)


@dataclass(frozen=True)
class ConsumptionView:
    scale: str
    zone: str  # "" = all zones together
    title: str
    chart: SafeString
    rows: list[Row]
    zone_names: list[str]
    zones: list[tuple[str, str]]  # (code, name) choices for the zone switch
    unit: str
    telemetry: TelemetryRange | None
    links: dict[str, str] = field(default_factory=dict)  # previous/next/scales as query strings

    @property
    def compares_years(self) -> bool:
        return self.scale == "month"


def consumption_view(
    *, meter: Meter, params: Mapping[str, str], chart_id: str = "consumption"
) -> ConsumptionView:
    """Build the chart and table for the scale asked in the query string (months when unsure)."""
    telemetry = telemetry_range(meter=meter)
    zone = params.get("zone", "") if params.get("zone", "") in meter.zone_codes else ""
    scale = params.get("scale", "month")
    if telemetry and scale == "hour":
        return _hours(meter, telemetry, _day(params.get("day"), telemetry.last, telemetry), chart_id)
    if telemetry and scale == "day":
        return _days(meter, telemetry, _period(params.get("period"), telemetry), chart_id)
    return _months(meter, zone, telemetry, chart_id)


def _months(meter: Meter, zone: str, telemetry: TelemetryRange | None, chart_id: str) -> ConsumptionView:
    months = monthly_consumption(meter=meter)
    unit = unit_of(meter)
    pick = (lambda row: row.by_zone.get(zone) if row.reading else None) if zone else (lambda row: row.total)
    last_year = [_last_year_of(row, zone, months) for row in months]
    labels = [_month_label(row.period, first=index == 0) for index, row in enumerate(months)]
    what = zone_name(meter, zone) if zone else gettext("all zones")
    title = gettext("Consumption by month, %(what)s, %(unit)s") % {"what": what, "unit": unit}
    chart = bar_chart(
        title=title,
        description=_describe(months, pick, unit),
        labels=labels,
        series=[
            Series(gettext("This year"), [pick(row) for row in months]),
            Series(gettext("A year earlier"), last_year, "chart__bar chart__bar--previous"),
        ],
        unit=unit,
        label_every=2,
        chart_id=chart_id,
    )
    rows = [_month_row(meter, row, last_year[index], zone) for index, row in enumerate(months)][::-1]
    links = {"day": f"?scale=day&period={BillingPeriod.from_date(telemetry.last)}"} if telemetry else {}
    return ConsumptionView(
        scale="month",
        zone=zone,
        title=title,
        chart=chart,
        rows=rows,
        zone_names=[zone_name(meter, z) for z in meter.zone_codes] if meter.zones > 1 and not zone else [],
        zones=[(z, zone_name(meter, z)) for z in meter.zone_codes] if meter.zones > 1 else [],
        unit=unit,
        telemetry=telemetry,
        links=links,
    )


def _last_year_of(row: MonthRow, zone: str, months: list[MonthRow]) -> Decimal | None:
    if not zone:
        return row.last_year
    earlier = next((m for m in months if m.period == row.period.shift(-12)), None)
    return earlier.by_zone.get(zone) if earlier and earlier.reading else None


def _month_row(meter: Meter, row: MonthRow, last_year: Decimal | None, zone: str) -> Row:
    total = (row.by_zone.get(zone) if row.reading else None) if zone else row.total
    change = round((total - last_year) / last_year * 100) if total is not None and last_year else None
    note = ""
    if row.reading is None:
        note = gettext("no reading")
    elif row.months > 1:
        note = gettext("for %(months)d months: readings were missing before") % {"months": row.months}
    by_zone = [(zone_name(meter, z), row.by_zone.get(z) if row.reading else None) for z in meter.zone_codes]
    return Row(
        label=row.period.label(),
        by_zone=by_zone if meter.zones > 1 and not zone else [],
        total=total,
        last_year=last_year,
        change_percent=change,
        note=note,
    )


def _days(meter: Meter, telemetry: TelemetryRange, period: BillingPeriod, chart_id: str) -> ConsumptionView:
    days = [(day, _rounded(value, "0.1")) for day, value in daily_consumption(meter=meter, period=period)]
    unit = unit_of(meter)
    title = gettext("Consumption by day, %(period)s, %(unit)s") % {"period": period.label(), "unit": unit}
    chart = bar_chart(
        title=title,
        description=_describe_pairs([(formats.date_format(d, "j E"), v) for d, v in days], unit),
        labels=[str(d.day) for d, _ in days],
        series=[Series(period.label(), [v for _, v in days])],
        unit=unit,
        label_every=5,
        chart_id=chart_id,
    )
    rows = [
        Row(
            label=formats.date_format(d, "j E, D"),
            by_zone=[],
            total=v,
            link=f"?scale=hour&day={d.isoformat()}",
        )
        for d, v in days
        if v is not None
    ]
    links = _month_links(period, telemetry)
    return ConsumptionView("day", "", title, chart, rows, [], [], unit, telemetry, links)


def _hours(meter: Meter, telemetry: TelemetryRange, day: date, chart_id: str) -> ConsumptionView:
    hours = [(hour, _rounded(value, "0.01")) for hour, value in hourly_consumption(meter=meter, day=day)]
    unit = unit_of(meter)
    shown = formats.date_format(day, "j E Y")
    title = gettext("Consumption by hour, %(day)s, %(unit)s") % {"day": shown, "unit": unit}
    chart = bar_chart(
        title=title,
        description=_describe_pairs([(f"{h:02d}:00", v) for h, v in hours], unit),
        labels=[str(h) for h, _ in hours],
        series=[Series(shown, [v for _, v in hours])],
        unit=unit,
        label_every=3,
        chart_id=chart_id,
    )
    rows = [Row(label=f"{h:02d}:00–{h + 1:02d}:00", by_zone=[], total=v) for h, v in hours if v is not None]
    links = {"month": "?scale=month", "day": f"?scale=day&period={BillingPeriod.from_date(day)}"}
    if day > telemetry.first:
        links["previous"] = f"?scale=hour&day={(day - timedelta(days=1)).isoformat()}"
    if day < telemetry.last:
        links["next"] = f"?scale=hour&day={(day + timedelta(days=1)).isoformat()}"
    return ConsumptionView("hour", "", title, chart, rows, [], [], unit, telemetry, links)


def _rounded(value: Decimal | None, step: str) -> Decimal | None:
    return value.quantize(Decimal(step)) if value is not None else None


def _month_links(period: BillingPeriod, telemetry: TelemetryRange) -> dict[str, str]:
    links = {"month": "?scale=month"}
    if period.start > telemetry.first:
        links["previous"] = f"?scale=day&period={period.previous()}"
    if period.end < telemetry.last:
        links["next"] = f"?scale=day&period={period.next()}"
    return links


def _period(text: str | None, telemetry: TelemetryRange) -> BillingPeriod:
    try:
        return BillingPeriod.parse(text or "")
    except ValueError:
        return BillingPeriod.from_date(telemetry.last)


def _day(text: str | None, default: date, telemetry: TelemetryRange) -> date:
    try:
        day = date.fromisoformat(text or "")
    except ValueError:
        return default
    return min(max(day, telemetry.first), telemetry.last)


def _month_label(period: BillingPeriod, *, first: bool) -> str:
    month = str(MONTHS_3[period.month])
    return f"{month}\n{period.year}" if first else month


def _describe(months: list[MonthRow], pick: Callable[[MonthRow], Decimal | None], unit: str) -> str:
    return _describe_pairs([(row.period.label(), pick(row)) for row in months], unit)


def _describe_pairs(pairs: list[tuple[str, Decimal | None]], unit: str) -> str:
    known = [(label, value) for label, value in pairs if value is not None]
    if not known:
        return gettext("No data for this time yet.")
    top_label, top = max(known, key=lambda pair: pair[1])
    low_label, low = min(known, key=lambda pair: pair[1])
    return gettext("Highest: %(top_label)s, %(top)s %(unit)s. Lowest: %(low_label)s, %(low)s %(unit)s.") % {
        "top_label": top_label,
        "top": format_value(top),
        "low_label": low_label,
        "low": format_value(low),
        "unit": unit,
    }

"""Server-rendered SVG bar charts, accessible and readable on a 360 px phone.

Horizontal geometry is in percent and vertical in pixels, so the chart stretches to its container
while the text keeps its size (a viewBox would shrink the labels to dust on a phone). The chart is
an image with a <title> and a <desc> for screen readers; the page puts the same numbers in a table
next to it, which is the accessible form of the data.

    bar_chart(title="Electricity by month", description="…", labels=["Nov", "Dec"],
              series=[Series("2026", [Decimal("210"), Decimal("245")])], unit="kWh")

A label may hold a line break ("янв\n2026"). Only every `label_every`-th x label (counted from
the last one) and the labels with a line break are "major"; the others get the class
`chart__label--minor`, which the stylesheet hides on narrow screens.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils.formats import number_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

Number = Decimal | float | int

HEIGHT = 260
TOP = 22  # room for the top tick label
BOTTOM = 44  # room for the x labels (two lines: "янв" over "2026")
GROUP_FILL = 0.72  # share of a category's width taken by its bars
GUTTER = 9.0  # percent of the width kept left of the bars for the tick values


@dataclass(frozen=True)
class Series:
    """One row of values, drawn as bars of one colour (css_class) and named in the legend."""

    name: str
    values: Sequence[Number | None]
    css_class: str = "chart__bar"


def nice_step(maximum: float, ticks: int = 4) -> float:
    """Return a round tick step (1, 2, 2.5 or 5 × 10^k) that covers the maximum in about `ticks` steps."""
    if maximum <= 0:
        return 1.0
    raw = maximum / ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    return next(m * magnitude for m in (1, 2, 2.5, 5, 10) if raw <= m * magnitude)


def bar_chart(
    *,
    title: str,
    description: str,
    labels: Sequence[str],
    series: Sequence[Series],
    unit: str = "",
    label_every: int = 1,
    chart_id: str = "chart",
    height: int = HEIGHT,
) -> SafeString:
    """Return the markup of a (grouped) bar chart: the legend (for several series) and the SVG."""
    values = [float(v) for s in series for v in s.values if v is not None]
    step = nice_step(max(values, default=0.0))
    top = step * max(1, math.ceil(max(values, default=0.0) / step))
    plot = (TOP, height - BOTTOM)
    parts = [
        _legend(series),
        f'<svg class="chart" width="100%" height="{height}" role="img" '
        f'aria-labelledby="{escape(chart_id)}-title {escape(chart_id)}-desc" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>',
        f'<desc id="{escape(chart_id)}-desc">{escape(description)}</desc>',
        *_grid(top, step, plot, unit),
        *_bars(labels, series, top, plot, unit),
        *_x_labels(labels, label_every, height),
        "</svg>",
    ]
    return mark_safe("".join(parts))  # noqa: S308 - every piece of text above is escaped


def _y(value: float, top: float, plot: tuple[int, int]) -> float:
    upper, baseline = plot
    return baseline - (baseline - upper) * (value / top if top else 0)


def _grid(top: float, step: float, plot: tuple[int, int], unit: str) -> list[str]:
    lines = []
    count = round(top / step)
    for index in range(count + 1):
        value = step * index
        y = _y(value, top, plot)
        css = "chart__axis" if index == 0 else "chart__grid"
        lines.append(f'<line class="{css}" x1="0" x2="100%" y1="{y:.1f}" y2="{y:.1f}"/>')
        if index:
            text = _number(value) + (f" {unit}" if unit and index == count else "")
            lines.append(f'<text class="chart__tick" x="0" y="{y - 4:.1f}">{escape(text)}</text>')
    return lines


def _bars(
    labels: Sequence[str], series: Sequence[Series], top: float, plot: tuple[int, int], unit: str
) -> list[str]:
    slot = (100 - GUTTER) / max(len(labels), 1)
    width = slot * GROUP_FILL / max(len(series), 1)
    bars = []
    for s_index, item in enumerate(series):
        for index, value in enumerate(item.values):
            if value is None:
                continue
            x = GUTTER + slot * index + slot * (1 - GROUP_FILL) / 2 + width * s_index
            y = _y(float(value), top, plot)
            height = max(plot[1] - y, 0.0)
            label = f"{labels[index]}: {_number(value)} {unit}".strip()
            if len(series) > 1:
                label = f"{item.name}, {label}"
            bars.append(
                f'<rect class="{escape(item.css_class)}" x="{x:.3f}%" y="{y:.1f}" width="{width:.3f}%" '
                f'height="{height:.1f}"><title>{escape(label)}</title></rect>'
            )
    return bars


def _x_labels(labels: Sequence[str], label_every: int, height: int) -> list[str]:
    slot = (100 - GUTTER) / max(len(labels), 1)
    every = max(label_every, 1)
    texts = []
    for index, label in enumerate(labels):
        # The last label always shows, and so does one with a line break (a new year, say).
        major = (len(labels) - 1 - index) % every == 0 or "\n" in label
        css = "chart__label" if major else "chart__label chart__label--minor"
        x = f"{GUTTER + slot * (index + 0.5):.3f}%"
        lines = "".join(
            f'<tspan x="{x}" dy="{"0" if number == 0 else "1.15em"}">{escape(line)}</tspan>'
            for number, line in enumerate(label.split("\n"))
        )
        texts.append(f'<text class="{css}" y="{height - BOTTOM + 18}" text-anchor="middle">{lines}</text>')
    return texts


def _legend(series: Sequence[Series]) -> str:
    """Return the legend as an HTML list above the chart (it wraps, where SVG text would not)."""
    if len(series) < 2:
        return ""
    items = "".join(
        f'<li><span class="chart-legend__swatch {escape(item.css_class)}"></span>{escape(item.name)}</li>'
        for item in series
    )
    return f'<ul class="chart-legend">{items}</ul>'


def _number(value: Number) -> str:
    """Write a value with the decimals it needs (at most two; none from 100 up): 0,25 · 2,5 · 1 250."""
    number = round(Decimal(str(value)), 0 if abs(Decimal(str(value))) >= 100 else 2).normalize()
    exponent = number.as_tuple().exponent
    places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    return number_format(number, decimal_pos=places, use_l10n=True, force_grouping=True)

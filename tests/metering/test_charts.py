"""The SVG bar chart helper (core/charts.py)."""

from __future__ import annotations

from decimal import Decimal

from abonent.core.charts import Series, bar_chart, nice_step


def test_nice_steps_are_round() -> None:
    assert [nice_step(v) for v in (0, 0.93, 15, 399, 1234)] == [1.0, 0.25, 5, 100, 500]


def test_the_chart_is_an_accessible_image_with_escaped_text() -> None:
    svg = bar_chart(
        title="Расход <электроэнергии>",
        description="Больше всего & в декабре",
        labels=["ноя\n2026", "дек"],
        series=[
            Series("2026", [Decimal("210"), None]),
            Series("2025", [Decimal(5), Decimal(245)], "chart__bar x"),
        ],
        unit="кВт·ч",
        chart_id="c1",
    )
    assert 'role="img" aria-labelledby="c1-title c1-desc"' in svg
    assert '<title id="c1-title">Расход &lt;электроэнергии&gt;</title>' in svg
    assert "Больше всего &amp; в декабре" in svg
    assert svg.count("<rect ") == 3  # the missing value draws no bar
    assert '<ul class="chart-legend">' in svg and "<tspan" in svg


def test_minor_labels_are_marked_for_narrow_screens() -> None:
    svg = bar_chart(
        title="t",
        description="d",
        labels=[str(n) for n in range(1, 11)],
        series=[Series("s", [1] * 10)],
        label_every=5,
    )
    assert svg.count("chart__label--minor") == 8  # only 5 and 10 stay on a phone

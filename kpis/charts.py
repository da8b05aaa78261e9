"""Charts as plain figure dicts for plotly.js (drawn by static/js/charts.js).

Functions take plain values (a KPI's definition as the engine's ``KpiSpec``, numbers) and return
a JSON-ready figure (plotly.js's format, no plotly objects); nothing here touches the database.
Every chart is paired on its page with a table holding the same numbers.
"""

from collections.abc import Iterable

from kpis.calculations import (
    DEFAULT_BASELINE_FISCAL_YEAR,
    GRADES,
    HUNDRED,
    STAGE_RATES,
    STAGED,
    THRESHOLD,
    KpiSpec,
    grade_title,
)
from shizuoka_dx.charts import axis, base_layout, figure, plain
from shizuoka_dx.fiscal import short_fiscal_year
from shizuoka_dx.numbers import display_unit, plain_number

COLORS = {
    "A": "#197a4b",
    "B": "#0055ad",
    "C": "#8f5a00",
    "D": "#c20000",
    "-": "#767676",
    "actual": "#0017c1",
    "expected": "#767676",
    "target": "#c20000",
}


def _fy_label(year: int) -> str:
    return f"{short_fiscal_year(year)}（{year}）"


def _point(year: int, value, name: str, symbol: str, size: int, color: str) -> dict:
    """One marked point of a trend chart (the baseline, the target)."""
    return {
        "type": "scatter",
        "x": [year],
        "y": [value],
        "name": name,
        "mode": "markers",
        "marker": {"symbol": symbol, "size": size, "color": COLORS[color]},
    }


def trend_figure(spec: KpiSpec, *, unit: str, actuals: Iterable[tuple]) -> dict:
    """Baseline point, actuals, the expected path from baseline to target, and the target.

    ``actuals`` are (fiscal year, value or stage, grade), oldest first; a stage is drawn at the
    engine's percentage for it.
    """
    staged = spec.kind == STAGED
    unit = "％（段階）" if staged else plain(unit)
    baseline = plain_number(spec.baseline)
    traces = []
    start_year = spec.baseline_fiscal_year or DEFAULT_BASELINE_FISCAL_YEAR
    start_value = 0 if staged or baseline is None else baseline
    if not staged and baseline is not None and spec.baseline_fiscal_year:
        traces.append(
            _point(
                spec.baseline_fiscal_year,
                baseline,
                "現状値（計画策定時）",
                "square",
                12,
                "expected",
            )
        )
    target_value = plain_number(HUNDRED if staged else spec.target)
    if target_value is not None and spec.target_fiscal_year:
        path_x = [start_year, spec.target_fiscal_year]
        if spec.kind == THRESHOLD:
            path_y = [target_value, target_value]
        else:
            path_y = [start_value, target_value]
        traces.append(
            {
                "type": "scatter",
                "x": path_x,
                "y": path_y,
                "name": "期待される進み方",
                "mode": "lines",
                "line": {"dash": "dash", "color": COLORS["expected"]},
            }
        )
        traces.append(_point(spec.target_fiscal_year, target_value, "目標値", "star", 16, "target"))
    points = [
        (year, plain_number(STAGE_RATES[value] if staged else value), grade)
        for year, value, grade in actuals
    ]
    if points:
        traces.append(
            {
                "type": "scatter",
                "x": [p[0] for p in points],
                "y": [p[1] for p in points],
                "name": "実績",
                "mode": "lines+markers+text",
                "text": [plain(p[2]) for p in points],
                "textposition": "top center",
                "marker": {"size": 10, "color": COLORS["actual"]},
                "line": {"color": COLORS["actual"]},
            }
        )
    years = sorted({start_year, spec.target_fiscal_year or start_year, *(p[0] for p in points)})
    years = list(range(min(years), max(years) + 1))
    # No axis titles under or beside the ticks (on a 390 px phone they ran into the year labels):
    # the ticks say the year, the value ticks carry the unit, the legend sits above the plot.
    layout = base_layout(
        xaxis=axis(
            tickmode="array",
            tickvals=years,
            ticktext=[_fy_label(y) for y in years],
            range=[years[0] - 0.5, years[-1] + 0.5],  # the first year clear of the value ticks
        ),
        yaxis=axis(grid=True, rangemode="tozero", ticksuffix=unit_suffix(unit), tickformat=",~r"),
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0},
        margin={"l": 10, "r": 10, "t": 60, "b": 40},
    )
    return figure(traces, layout)


def unit_suffix(unit: str) -> str:
    """A unit (already escaped for the chart) as the value ticks show it: ％ → %."""
    return display_unit(unit)


def grade_figure(grades: dict) -> dict:
    """How many KPIs have each grade: bars labelled with the grade and its count."""
    keys = GRADES
    counts = [grades.get(k, 0) for k in keys]
    bars = {
        "type": "bar",
        "x": [grade_title(k) for k in keys],
        "y": counts,
        "text": [f"{c}件" for c in counts],
        "textposition": "outside",
        "marker": {"color": [COLORS[k] for k in keys]},
        "hovertemplate": "%{x}: %{y}件<extra></extra>",
    }
    layout = base_layout(
        height=300,
        xaxis=axis(),
        yaxis=axis("KPIの数", grid=True, rangemode="tozero"),
        showlegend=False,
    )
    return figure([bars], layout)

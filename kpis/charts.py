"""Charts as plain figure dicts for plotly.js (drawn by static/js/charts.js).

Functions take plain values (the open-data dicts) and return a JSON-ready figure; nothing here
touches the database. Every chart is paired on its page with a table holding the same numbers.
"""

import plotly.graph_objects as go

from kpis.calculations import GRADE_LABELS
from shizuoka_dx.charts import base_layout, plain, to_json
from shizuoka_dx.fiscal import short_fiscal_year

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
STAGE_PERCENT = {"未着手": 0, "着手": 50, "完了": 100}


def _fy_label(year: int) -> str:
    return f"{short_fiscal_year(year)}（{year}）"


def trend_figure(kpi: dict) -> dict:
    """Baseline point, actuals, the expected path from baseline to target, and the target."""
    milestone = kpi["direction"] == "milestone"
    unit = "％（段階）" if milestone else plain(kpi.get("unit") or "")
    baseline, target = kpi["baseline"], kpi["target"]
    figure = go.Figure()
    start_year = baseline["fiscal_year"] or 2023
    start_value = 0 if milestone else (baseline["value"] if baseline["value"] is not None else 0)
    if not milestone and baseline["value"] is not None and baseline["fiscal_year"]:
        figure.add_trace(
            go.Scatter(
                x=[baseline["fiscal_year"]],
                y=[baseline["value"]],
                name="現状値（計画策定時）",
                mode="markers",
                marker={"symbol": "square", "size": 12, "color": COLORS["expected"]},
            )
        )
    target_value = 100 if milestone else target["value"]
    if target_value is not None and target["fiscal_year"]:
        threshold = target.get("operator") or (
            baseline["value"] is not None and baseline["value"] == target["value"]
        )
        path_x = [start_year, target["fiscal_year"]]
        path_y = [target_value, target_value] if threshold else [start_value, target_value]
        figure.add_trace(
            go.Scatter(
                x=path_x,
                y=path_y,
                name="期待される進み方",
                mode="lines",
                line={"dash": "dash", "color": COLORS["expected"]},
            )
        )
        figure.add_trace(
            go.Scatter(
                x=[target["fiscal_year"]],
                y=[target_value],
                name="目標値",
                mode="markers",
                marker={"symbol": "star", "size": 16, "color": COLORS["target"]},
            )
        )
    points = [
        (a["fiscal_year"], STAGE_PERCENT[a["value"]] if milestone else a["value"], a["grade"])
        for a in kpi["actuals"]
    ]
    if points:
        figure.add_trace(
            go.Scatter(
                x=[p[0] for p in points],
                y=[p[1] for p in points],
                name="実績",
                mode="lines+markers+text",
                text=[plain(p[2]) for p in points],
                textposition="top center",
                marker={"size": 10, "color": COLORS["actual"]},
                line={"color": COLORS["actual"]},
            )
        )
    years = sorted({start_year, target["fiscal_year"] or start_year, *(p[0] for p in points)})
    years = list(range(min(years), max(years) + 1))
    figure.update_layout(
        **base_layout(
            xaxis={
                "tickmode": "array",
                "tickvals": years,
                "ticktext": [_fy_label(y) for y in years],
                "title": "年度",
            },
            yaxis={"title": unit, "rangemode": "tozero", "gridcolor": "#e6e6e6"},
        )
    )
    return to_json(figure)


def grade_figure(grades: dict) -> dict:
    """How many KPIs have each grade: bars labelled with the grade and its count."""
    keys = ["A", "B", "C", "D", "-"]
    labels = [f"{k if k != '-' else ''} {GRADE_LABELS[k]}".strip() for k in keys]
    counts = [grades.get(k, 0) for k in keys]
    figure = go.Figure(
        go.Bar(
            x=labels,
            y=counts,
            text=[f"{c}件" for c in counts],
            textposition="outside",
            marker={"color": [COLORS[k] for k in keys]},
            hovertemplate="%{x}: %{y}件<extra></extra>",
        )
    )
    figure.update_layout(
        **base_layout(
            height=300,
            yaxis={"title": "KPIの数", "rangemode": "tozero", "gridcolor": "#e6e6e6"},
            showlegend=False,
        )
    )
    return to_json(figure)

"""Charts are plain plotly.js figure dicts, built without plotly's Python objects, and every one
of them is a figure plotly's own schema accepts (a misspelt property would be drawn as nothing)."""

import json
import subprocess
import sys
from decimal import Decimal

import plotly.graph_objects as go
import pytest
from django.conf import settings

from kpis.calculations import KpiSpec
from kpis.charts import grade_figure, trend_figure
from systems.charts import cost_figure

SPECS = [
    KpiSpec(
        direction="increase",
        target=Decimal(10),
        target_fiscal_year=2026,
        baseline=Decimal("1.5"),
        baseline_fiscal_year=2023,
    ),
    KpiSpec(direction="decrease", target=Decimal(7), target_fiscal_year=2027, baseline=None),
    KpiSpec(
        direction="increase",
        target=Decimal(90),
        operator="gte",
        target_fiscal_year=2026,
        baseline=Decimal(80),
        baseline_fiscal_year=2023,
    ),
]


def figures():
    for spec in SPECS:
        yield trend_figure(spec, unit="件", actuals=[])
        yield trend_figure(
            spec, unit="％", actuals=[(2024, Decimal("4.25"), "A"), (2025, Decimal(6), "C")]
        )
    yield grade_figure({})
    yield grade_figure({"A": 3, "B": 1, "-": 40})
    yield cost_figure([])
    yield cost_figure(
        [
            {"name": "電子申請システム", "initial": 12_345, "operating": None},
            {"name": "RPA", "initial": None, "operating": 800.5},
        ]
    )


@pytest.mark.parametrize("figure", list(figures()))
def test_each_figure_is_valid_for_plotly_and_plain_json(figure):
    assert set(figure) == {"data", "layout"}
    # JSON as the page writes it (json_script), numbers staying numbers.
    assert json.loads(json.dumps(figure)) == figure
    # plotly.py's validators raise on any property plotly.js does not know.
    checked = go.Figure(figure).to_plotly_json()
    assert [trace["type"] for trace in checked["data"]] == [t["type"] for t in figure["data"]]
    assert {t["type"] for t in figure["data"]} <= {"scatter", "bar"}  # plotly.js basic has them


def test_the_trend_chart_shows_the_baseline_the_path_the_target_and_the_actuals():
    figure = trend_figure(SPECS[0], unit="件", actuals=[(2024, Decimal("4.25"), "A")])
    by_name = {trace["name"]: trace for trace in figure["data"]}
    assert by_name["現状値（計画策定時）"]["y"] == [1.5]
    assert by_name["期待される進み方"]["x"] == [2023, 2026]
    assert by_name["期待される進み方"]["y"] == [1.5, 10]
    assert by_name["目標値"]["y"] == [10]
    assert by_name["実績"]["y"] == [4.25] and by_name["実績"]["text"] == ["A"]
    assert figure["layout"]["xaxis"]["ticktext"][0] == "R5（2023）"


def test_no_plotly_objects_are_imported_to_draw_a_page():
    code = (
        "import django, sys; django.setup()\n"
        "import kpis.charts, systems.charts, pdca.views.public, pdca.views.kpis\n"
        "print('plotly.graph_objects' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=settings.BASE_DIR,
        env={"DJANGO_SETTINGS_MODULE": "tests.settings", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.stdout.strip() == "False", done.stderr

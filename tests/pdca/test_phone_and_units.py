"""Phones and units: wide tables scroll inside their own labelled region, every figure in the year
columns carries its unit, one percent style (%), and 千円 axes with 千円 ticks."""

import re
from decimal import Decimal

import pytest

from kpis.charts import trend_figure
from kpis.models import Actual, Kpi
from shizuoka_dx.numbers import format_percent, format_value, printed
from systems.charts import cost_figure

pytestmark = pytest.mark.django_db


def test_values_carry_their_unit_and_one_percent_style():
    assert format_value(60, "人") == "60人"
    assert format_value(64, "％") == "64%"
    assert format_value(None, "件") == "－"
    assert format_value("着手", "") == "着手"
    assert format_percent(40) == "40.0%"
    assert printed("90％以上") == "90%以上"


def test_the_year_columns_show_units_and_no_full_width_percent(client, publish):
    Actual.objects.create(kpi=Kpi.objects.get(code="1-3-K02"), fiscal_year=2025, value=10)
    Actual.objects.create(kpi=Kpi.objects.get(code="1-3-K01"), fiscal_year=2025, value=64)
    publish(2025)
    page = client.get("/items/1-3/").content.decode()
    assert re.search(r'<td class="numeric">10時間<br>', page)
    assert re.search(r'<td class="numeric">64%<br>', page)
    kpi_table = page.split('class="kpi-table"')[1].split("</table>")[0]
    assert "％" not in kpi_table


def test_wide_tables_scroll_inside_their_own_labelled_region(client):
    page = client.get("/items/1-1/").content.decode()
    regions = re.findall(
        r'<div class="table-wrap" role="region" aria-labelledby="([^"]+)" tabindex="0">', page
    )
    # The roadmap, the KPIs, and each Form ② system's years (1-1 has three systems).
    assert regions == ["roadmap-table", "kpi-table", *(f"form2-years-{n}" for n in (1, 2, 3))]
    for region in regions:
        assert f'<caption id="{region}">' in page
    assert page.count('class="table-wrap"') == len(regions)


def test_the_cost_axis_counts_in_thousand_yen_never_in_k():
    axis = cost_figure([{"name": "A", "initial": 120000, "operating": 15300}])["layout"]["xaxis"]
    assert axis["tickformat"] == ",d"
    assert axis["ticksuffix"] == "千円"


def test_the_trend_chart_has_no_axis_title_to_run_into_the_year_labels():
    kpi = Kpi.objects.get(code="1-3-K01")
    layout = trend_figure(kpi.spec, unit=kpi.unit, actuals=[(2025, Decimal(64), "A")])["layout"]
    assert "title" not in layout["xaxis"] and "title" not in layout["yaxis"]
    assert layout["yaxis"]["ticksuffix"] == "%"
    assert layout["legend"]["y"] > 1  # above the plot, not over the year labels

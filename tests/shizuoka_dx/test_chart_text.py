"""Text that came from people or files is shown literally in charts, never as plotly's HTML."""

import json
from decimal import Decimal

import pytest

from kpis.calculations import KpiSpec
from kpis.charts import trend_figure
from systems.charts import cost_figure
from systems.models import System

LINK = '<a href="https://evil.example/">ここを押す</a>'


def _strings(value):
    if isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, str):
        yield value


def test_it_escapes_a_system_name_in_the_cost_chart():
    figure = cost_figure([{"name": LINK, "initial": 100, "operating": None}])
    assert not any("<a" in text for text in _strings(figure))
    assert '&lt;a href="https://evil.example/"&gt;ここを押す&lt;/a&gt;' in figure["data"][0]["y"]


def test_it_escapes_a_kpi_unit_on_the_trend_chart_axis():
    spec = KpiSpec(
        direction="increase",
        target=Decimal(10),
        target_fiscal_year=2026,
        baseline=Decimal(1),
        baseline_fiscal_year=2023,
    )
    figure = trend_figure(spec, unit="<b>件</b>", actuals=[(2024, Decimal(4), "<i>A</i>")])
    texts = list(_strings(figure))
    assert "&lt;b&gt;件&lt;/b&gt;" in texts
    assert not any("<b>" in text or "<i>" in text for text in texts)


@pytest.mark.django_db
def test_the_staff_systems_page_never_sends_a_live_link_into_the_chart(client, dx_staff):
    system = System.objects.get(name="電子申請システム")
    system.name = LINK
    system.save()
    client.force_login(dx_staff)
    page = client.get("/staff/systems/").content.decode()
    data = page.split('id="cost-chart"')[1].split(">", 1)[1].split("</script>")[0]
    figure = json.loads(data)
    texts = list(_strings(figure))
    assert any("&lt;a href" in text for text in texts)
    assert not any("<a" in text for text in texts)

import pytest

from kpis.models import Actual, Kpi
from systems.models import CostRecord, System

pytestmark = pytest.mark.django_db


def test_the_systems_page_needs_a_login(client):
    assert client.get("/staff/systems/").status_code == 302
    system = System.objects.get(name="電子申請システム")
    assert client.get(f"/staff/systems/{system.pk}/").status_code == 302


def test_all_16_systems_side_by_side_with_a_chart_and_table(staff_client):
    response = staff_client.get("/staff/systems/")
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count('href="/staff/systems/') == 16 + 1  # 16 rows + the navigation link
    assert 'data-chart="cost-chart"' in page
    assert ">システムごとの経費と費用対効果</caption>" in page
    assert "108,418千円" in page and "26,598千円／年（Ｒ７）" in page


def test_a_system_page_shows_cost_per_unit_with_its_formula(staff_client):
    system = System.objects.get(name="電子申請システム")
    page = staff_client.get(f"/staff/systems/{system.pk}/").content.decode()
    assert "令和5年度: 1,073千円 × 1,000 ÷ 298,621件 ＝ 約3.6円/件" in page
    assert (
        "導入経費（決算） 13,365千円（計画書の記載） ＋ 令和5年度 運用経費（決算） 1,073千円"
        "（計画書の記載） ＝ 14,438千円" in page
    )
    assert "CHECK：効果と課題" in page
    assert "ACT：利益最大化のために何をすべきか" in page


def test_recorded_costs_and_actuals_add_yearly_cost_per_unit(staff_client):
    system = System.objects.get(name="電子申請システム")
    CostRecord.objects.create(system=system, fiscal_year=2024, kind="operating", thousand_yen=1100)
    Actual.objects.create(kpi=Kpi.objects.get(code="1-1-K01"), fiscal_year=2024, value=320000)
    page = staff_client.get(f"/staff/systems/{system.pk}/").content.decode()
    assert "令和6年度: 1,100千円 × 1,000 ÷ 320,000件 ＝ 約3.4円/件" in page
    assert "令和6年度 運用経費（決算） 1,100千円（記録" in page


def test_an_unknown_system_is_404(staff_client):
    assert staff_client.get("/staff/systems/99999/").status_code == 404

import pytest

from kpis.models import Actual, Kpi
from pdca.demo_actuals import load_demo_actuals
from priorities.models import Department
from priorities.roles import system_user

pytestmark = pytest.mark.django_db


def test_the_dashboard_defaults_to_the_latest_year_with_actuals(staff_client):
    load_demo_actuals(user=system_user())
    page = staff_client.get("/staff/").content.decode()
    assert "令和7年度（2025年度）の実績で評価しています" in page
    assert '<option value="2025" selected>' in page


def test_the_dashboard_can_show_another_year(staff_client):
    load_demo_actuals(user=system_user())
    page = staff_client.get("/staff/?fy=R6").content.decode()
    assert "令和6年度（2024年度）の実績で評価しています" in page


def test_a_bad_year_is_explained(staff_client):
    page = staff_client.get("/staff/?fy=来年").content.decode()
    assert "年度として読めません" in page


def test_a_year_outside_the_plan_is_explained_not_shown(staff_client):
    page = staff_client.get("/staff/?fy=2099").content.decode()
    assert "令和81年度（2099年度）はこの計画の評価・公表の対象ではありません" in page
    assert "令和6年度から令和9年度までの年度を選んでください" in page


def test_the_dashboard_filters_by_pillar_and_department(staff_client):
    page = staff_client.get("/staff/?pillar=2").content.decode()
    assert "/staff/items/2-1/" in page and "/staff/items/1-1/" not in page
    crisis = Department.objects.get(name="危機管理課")
    page = staff_client.get(f"/staff/?department={crisis.pk}").content.decode()
    assert "/staff/items/1-3/" in page and "/staff/items/1-1/" not in page


def test_the_dashboard_filters_by_grade(staff_client):
    Actual.objects.create(kpi=Kpi.objects.get(code="1-3-K02"), fiscal_year=2025, value=13)  # D
    page = staff_client.get("/staff/?grade=D").content.decode()
    assert "/staff/items/1-3/" in page
    assert "/staff/items/2-1/" not in page


def test_needs_attention_lists_c_and_d_and_missing_actuals(staff_client):
    Actual.objects.create(kpi=Kpi.objects.get(code="1-3-K02"), fiscal_year=2025, value=13)
    Actual.objects.create(kpi=Kpi.objects.get(code="1-3-K01"), fiscal_year=2025, value=70)
    page = staff_client.get("/staff/").content.decode()
    attention = page.split('id="attention"')[1]
    assert "1-3-K02" in attention and "後退・未達" in attention
    assert "1-3-K01" not in attention  # graded A
    assert "1-1-K01" in attention and "この年度の実績が未入力" in attention


def test_the_staff_item_page_links_to_staff_kpi_and_system_pages(staff_client):
    page = staff_client.get("/staff/items/1-1/").content.decode()
    assert "職員用・入力中のデータ" in page
    assert 'href="/staff/kpis/1-1-K01/"' in page
    assert "/staff/systems/" in page


def test_the_staff_item_page_needs_a_login(client):
    assert client.get("/staff/items/1-1/").status_code == 302

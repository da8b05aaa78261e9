import pytest

pytestmark = pytest.mark.django_db


def test_the_public_page_lists_every_pillar_and_item(client):
    response = client.get("/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "静岡市デジタル化推進アクションプラン" in page
    assert "市民の利便性向上" in page
    assert "デジタル人材の確保と育成" in page
    for code in ["1-1", "2-5", "3-3", "4-4", "5-2"]:
        assert f'href="/items/{code}/"' in page
    assert "行政サービスのオンライン化" in page


def test_the_public_page_sets_no_cookie(client):
    response = client.get("/")
    assert not response.cookies


def test_an_item_page_shows_form1(client):
    response = client.get("/items/1-3/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "効果的な危機管理情報の提供" in page
    assert "現状（As-Is）" in page and "目指す姿（To-be）" in page and "課題（Gap）" in page
    assert "②12時間（R6）" in page
    assert "② 7時間（R8）" in page
    assert "巴川浸水推定システム" in page
    assert "108,418千円" in page


def test_an_item_page_shows_form2_costs(client):
    page = client.get("/items/1-1/").content.decode()
    assert "13,365千円" in page
    assert "1,073千円／年（Ｒ５）" in page
    assert "利益最大化のために何をすべきか" in page


def test_an_item_page_shows_roadmap_columns(client):
    page = client.get("/items/1-1/").content.decode()
    assert "令和6年度（2024年度）" in page
    assert "令和8年度（2026年度）" in page
    assert "オンライン申請手続数の拡大・利用者数の拡大" in page


def test_an_item_without_form2_has_no_system_section(client):
    page = client.get("/items/2-2/").content.decode()
    assert "様式② 主な業務システムの費用対効果" not in page
    assert "在宅勤務と同一ソリューションを利用するため省略" in page


def test_an_unknown_item_is_a_japanese_404(client):
    response = client.get("/items/9-9/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "重点項目「9-9」はありません" in page
    assert '<html lang="ja">' in page


def test_an_unknown_path_is_a_japanese_404_without_internals(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "ページが見つかりません" in page
    assert "tried" not in page


@pytest.mark.parametrize("path", ["/", "/items/1-1/", "/opendata/plan.json", "/opendata/plan.csv"])
def test_public_paths_only_read(client, path):
    assert client.post(path).status_code == 405


def test_staff_dashboard_requires_login(client):
    response = client.get("/staff/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_staff_dashboard_shows_every_item_to_staff(staff_client):
    response = staff_client.get("/staff/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "職員用ダッシュボード" in page
    assert page.count('href="/staff/items/') >= 18


def test_the_login_page_is_in_japanese(client):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert "職員ログイン" in response.content.decode()


def test_logging_in_leads_to_the_dashboard(client, staff_user):
    response = client.post(
        "/accounts/login/", {"username": "dx-staff", "password": "correct horse battery staple"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/staff/"


def test_the_admin_lists_plan_models_in_japanese(admin_client):
    page = admin_client.get("/admin/").content.decode()
    for label in [
        "重点項目",
        "KPI",
        "実績",
        "業務システム（様式②）",
        "年度別の経費（予算・決算）",
        "所管課",
    ]:
        assert label in page
    kpi_list = admin_client.get("/admin/kpis/kpi/?q=電子申請")
    assert kpi_list.status_code == 200
    assert "1-1-K01" in kpi_list.content.decode()


def test_pages_show_each_kpis_rate_grade_and_reason(client, publish):
    from kpis.models import Actual, Kpi

    Actual.objects.create(kpi=Kpi.objects.get(code="1-3-K02"), fiscal_year=2025, value=10)
    publish(2025)
    page = client.get("/items/1-3/").content.decode()
    assert "40.0%" in page
    assert "概ね順調" in page
    assert "(10 − 12) ÷ (7 − 12) = 40.0%、令和7年度の期待値 50.0% の 0.8 倍 → B（概ね順調）" in page
    index = client.get("/").content.decode()
    assert "達成率の平均 <strong>40.0%</strong>（令和7年度の実績）" in index


def test_the_csv_carries_the_latest_rate_and_grade(client, publish):
    import csv
    import io

    from kpis.models import Actual, Kpi

    Actual.objects.create(kpi=Kpi.objects.get(code="1-3-K02"), fiscal_year=2024, value=12)
    Actual.objects.create(kpi=Kpi.objects.get(code="1-3-K02"), fiscal_year=2025, value=10)
    publish(2024)
    publish(2025)
    rows = list(
        csv.DictReader(io.StringIO(client.get("/opendata/plan.csv").content.decode("utf-8-sig")))
    )
    row = next(r for r in rows if r["KPIコード"] == "1-3-K02")
    assert (row["最新実績の年度"], row["最新実績"], row["達成率（％）"], row["評価"]) == (
        "2025",
        "10",
        "40.0",
        "B",
    )

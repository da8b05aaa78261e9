import re
from decimal import Decimal

import pytest

from kpis.models import Actual, Kpi

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor(client, dx_staff):
    client.force_login(dx_staff)
    return dx_staff


def test_the_public_kpi_page_has_a_chart_and_the_same_numbers_in_a_table(client, publish):
    Actual.objects.create(kpi=Kpi.objects.get(code="1-3-K02"), fiscal_year=2024, value=10)
    publish(2024)
    response = client.get("/items/1-3/kpis/1-3-K02/")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-chart="trend-chart"' in page
    assert '<script id="trend-chart" type="application/json">' in page
    assert "/static/vendor/plotly.min.js" in page
    assert ">1-3-K02の年度ごとの実績と評価</caption>" in page
    assert "令和6年度（2024年度）" in page
    assert "(10 − 12) ÷ (7 − 12) = 40.0%" in page
    assert "②12時間（R6）" in page


def test_a_kpi_page_for_a_kpi_not_in_that_item_is_404(client):
    assert client.get("/items/1-3/kpis/1-1-K01/").status_code == 404
    assert client.get("/items/1-2/kpis/1-1-K01/").status_code == 200  # printed there as 再掲


def test_pages_load_nothing_from_other_hosts(client):
    for path in ["/", "/items/1-1/", "/items/1-3/kpis/1-3-K02/"]:
        page = client.get(path).content.decode()
        sources = re.findall(r'(?:src|href)="([^"]+)"', page)
        assert sources
        assert all(not s.startswith(("http:", "https:", "//")) for s in sources), path


def test_plotly_is_loaded_only_on_pages_with_a_chart(client):
    assert "plotly.min.js" not in client.get("/items/1-1/").content.decode()
    assert "plotly.min.js" in client.get("/").content.decode()


def test_the_staff_kpi_page_needs_a_login(client):
    response = client.get("/staff/kpis/1-3-K02/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_an_unknown_kpi_is_404_for_staff(client, editor):
    assert client.get("/staff/kpis/9-9-K01/").status_code == 404


def test_staff_enter_an_actual_the_way_they_type_it(client, editor):
    page = client.get("/staff/kpis/1-1-K01/").content.decode()
    assert "実績の入力・修正" in page
    response = client.post(
        "/staff/kpis/1-1-K01/",
        {"fiscal_year": "令和６年度", "value": "３２４，０８１件", "note": "速報値"},
    )
    assert response.status_code == 302
    actual = Actual.objects.get(kpi__code="1-1-K01", fiscal_year=2024)
    assert (actual.value, actual.note, actual.entered_by, actual.is_demo) == (
        Decimal(324081),
        "速報値",
        editor,
        False,
    )
    followed = client.get(response["Location"]).content.decode()
    assert "令和6年度（2024年度）の実績を登録しました" in followed


def test_correcting_an_actual_goes_through_its_edit_link(client, editor):
    client.post("/staff/kpis/1-1-K01/", {"fiscal_year": "R6", "value": "324081"})
    page = client.get("/staff/kpis/1-1-K01/?fy=2024").content.decode()
    assert "（現在の値「324,081」）を修正します" in page
    assert 'name="version" value="1"' in page
    client.post("/staff/kpis/1-1-K01/", {"fiscal_year": "2024", "value": "325,000", "version": "1"})
    assert Actual.objects.filter(kpi__code="1-1-K01").count() == 1
    actual = Actual.objects.get(kpi__code="1-1-K01")
    assert (actual.value, actual.version) == (Decimal(325000), 2)


def test_entering_a_year_that_already_has_an_actual_shows_it_before_replacing_it(client, editor):
    client.post("/staff/kpis/1-1-K01/", {"fiscal_year": "R6", "value": "324081"})
    response = client.post("/staff/kpis/1-1-K01/", {"fiscal_year": "R6", "value": "1"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "令和6年度（2024年度）の実績はすでに「324,081」と入力されています" in page
    assert "もう一度「保存する」を押してください" in page
    assert Actual.objects.get(kpi__code="1-1-K01").value == Decimal(324081)
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    again = client.post(
        "/staff/kpis/1-1-K01/", {"fiscal_year": "R6", "value": "1", "version": version}
    )
    assert again.status_code == 302
    assert Actual.objects.get(kpi__code="1-1-K01").value == Decimal(1)


def test_an_approved_year_is_refused_with_what_to_do(client, editor):
    from pdca.models import Evaluation
    from priorities.models import PriorityItem

    client.post("/staff/kpis/1-1-K01/", {"fiscal_year": "R6", "value": "324081"})
    Evaluation.objects.create(
        item=PriorityItem.objects.get(code="1-1"),
        fiscal_year=2024,
        status=Evaluation.Status.APPROVED,
    )
    page = client.get("/staff/kpis/1-1-K01/").content.decode()
    assert "評価が承認された年度の実績は直せません" in page
    response = client.post("/staff/kpis/1-1-K01/", {"fiscal_year": "R6", "value": "1"})
    assert "承認済みのため、実績は変更できません" in response.content.decode()
    assert "「修正」から開いてください" not in response.content.decode()


@pytest.mark.parametrize(
    ("code", "data", "message"),
    [
        ("1-1-K01", {"fiscal_year": "R6", "value": "たくさん"}, "数値として読めません"),
        ("1-1-K01", {"fiscal_year": "R12", "value": "5"}, "計画の期間外"),
        ("1-1-K01", {"fiscal_year": "来年", "value": "5"}, "年度として読めません"),
        ("1-1-K01", {"fiscal_year": "R6", "value": "完了"}, "数値で測ります"),
        ("1-1-K03", {"fiscal_year": "R7", "value": "50"}, "段階として読めません"),
        ("1-1-K01", {"fiscal_year": "", "value": ""}, "このフィールドは必須です"),
    ],
)
def test_bad_input_gets_the_same_japanese_errors_as_the_import(client, editor, code, data, message):
    response = client.post(f"/staff/kpis/{code}/", data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Actual.objects.exists()


def test_a_head_of_another_department_cannot_reach_the_kpi(client, head_b):
    client.force_login(head_b)
    assert client.get("/staff/kpis/1-3-K02/").status_code == 404
    response = client.post("/staff/kpis/1-3-K02/", {"fiscal_year": "R7", "value": "1"})
    assert response.status_code == 404
    assert not Actual.objects.exists()


def test_the_owning_head_enters_their_items_actual(client, head_a):
    client.force_login(head_a)
    response = client.post("/staff/kpis/1-3-K02/", {"fiscal_year": "R7", "value": "10時間"})
    assert response.status_code == 302
    assert Actual.objects.get(kpi__code="1-3-K02").entered_by == head_a


def test_a_logged_in_user_without_a_role_sees_no_kpi(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("nobody", password="x" * 16))
    assert client.get("/staff/kpis/1-1-K01/").status_code == 404


def test_the_kpi_page_refuses_other_methods(client, editor):
    assert client.put("/staff/kpis/1-1-K01/").status_code == 405

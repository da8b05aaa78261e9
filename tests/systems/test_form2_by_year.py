"""Form ② by year: budgets apart from actuals, months of a mid-year start, 「無し」 as zero, demo
costs never in place of a printed figure, and each year's status and texts (issue 15, item 4)."""

from decimal import Decimal

import pytest

from pdca.loading import first_year_months
from pdca.opendata import build_document
from pdca.services.costs import CostRefused, cost_save, system_year_save
from systems.costs import ACTUAL, BUDGET, CostLine, first_months, merge_lines, total_of_actuals
from systems.effectiveness import effectiveness
from systems.models import CostRecord, System, SystemYear
from systems.selectors import systems_with_costs

pytestmark = pytest.mark.django_db

R6, R7 = 2024, 2025


def figures(name: str) -> dict:
    return effectiveness(systems_with_costs().get(name=name))


def test_months_of_a_fiscal_year_from_a_start_month():
    assert first_months(3) == 1  # March: the last month of its fiscal year
    assert first_months(4) == 12
    assert first_months(10) == 6
    assert first_year_months("15,000千円／年（Ｒ８.３～）") == 1
    assert first_year_months("1,073千円／年（Ｒ５）") is None


def test_a_total_counts_actuals_only_and_lists_budgets_apart():
    lines = [
        CostLine(None, "initial", ACTUAL, Decimal(100), printed=True),
        CostLine(R6, "operating", ACTUAL, Decimal(10), printed=True),
        CostLine(R7, "operating", BUDGET, Decimal(20), printed=True),
    ]
    total = total_of_actuals(lines)
    assert total.value == Decimal(110)
    assert "予算・予定額は合計に含めず" in total.formula
    assert "20千円" not in total.formula


def test_a_demo_figure_never_takes_the_place_of_a_printed_one():
    printed = [CostLine(R6, "operating", ACTUAL, Decimal(1484), printed=True)]
    demo = [CostLine(R6, "operating", ACTUAL, Decimal(1440), printed=False, demo=True)]
    real = [CostLine(R6, "operating", ACTUAL, Decimal(1500), printed=False)]
    assert merge_lines(printed, demo) == printed
    assert merge_lines(printed, real) == real  # a real 決算 does replace the plan's figure
    other_year = [CostLine(R7, "operating", ACTUAL, Decimal(1500), printed=False, demo=True)]
    merged = merge_lines(printed, other_year)
    assert len(merged) == 2 and "【デモ】" in merged[1].text


def test_a_printed_r7_figure_is_a_budget_not_in_the_total():
    result = figures("統合型GIS")  # 76,353千円, 20,000千円／年（Ｒ７）
    assert result["total"].value == Decimal(76353)
    assert result["budgets"] == ["令和7年度 運用経費（予算） 20,000千円（計画書の記載）"]


def test_a_mid_year_start_counts_its_months_as_a_budget():
    result = figures("統合データ基盤")  # 15,000千円／年（Ｒ８.３～）
    budget = next(text for text in result["budgets"] if "運用経費" in text)
    assert "令和7年度 運用経費（予算） 1,250千円" in budget
    assert "1か月分" in budget
    assert "15,000" not in result["total"].formula


def test_nashi_is_zero_and_the_total_can_be_computed():
    result = figures(
        "書かない窓口ツール"
    )  # 導入経費（予定）4,950千円（Ｒ７）、運用経費（予定）無し
    assert result["total"].value == Decimal(0)
    assert "「無し」" in result["total"].formula
    assert "計算できません" not in result["total"].formula
    assert any("導入経費（予算） 4,950千円" in text for text in result["budgets"])


def test_a_recorded_budget_stays_out_of_the_total_and_an_actual_goes_in(dx_staff):
    system = System.objects.get(name="電子申請システム")
    cost_save(
        system=system, fiscal_year=R7, kind="operating", thousand_yen=Decimal(1200), note="",
        user=dx_staff, reason="予算", basis=CostRecord.Basis.BUDGET,
    )  # fmt: skip
    result = figures("電子申請システム")
    assert result["total"].value == Decimal(13365 + 1073)
    assert any("令和7年度 運用経費（予算） 1,200千円（記録）" in t for t in result["budgets"])
    cost_save(
        system=system, fiscal_year=R7, kind="operating", thousand_yen=Decimal(1150), note="決算",
        user=dx_staff, reason="決算",
    )  # fmt: skip
    result = figures("電子申請システム")
    assert result["total"].value == Decimal(13365 + 1073 + 1150)
    assert CostRecord.objects.filter(system=system, fiscal_year=R7).count() == 2


def test_the_public_item_page_tags_demo_costs_and_shows_printed_r6_figures(client, settings):
    from pdca.demo_actuals import load_demo_actuals
    from priorities.roles import system_user

    load_demo_actuals(user=system_user())
    page = client.get("/items/3-3/").content.decode()
    # オープンデータカタログサイト prints 1,484千円／年（Ｒ６）: R6 stays the printed figure.
    assert "令和6年度 運用経費（決算） 1,484千円（計画書の記載）" in page
    document = build_document()
    for system in document["systems"]:
        for line in system["cost_lines"]:
            if line["demo"]:
                assert "【デモ】" in line["text"]
                assert not any(
                    other["printed"]
                    and other["fiscal_year"] == line["fiscal_year"]
                    and other["kind"] == line["kind"]
                    and other["basis"] == line["basis"]
                    for other in system["cost_lines"]
                )


def test_a_years_form2_is_saved_through_the_service_and_shown_side_by_side(staff_client):
    system = System.objects.get(name="統合型GIS")
    url = f"/staff/systems/{system.pk}/"
    response = staff_client.post(
        url,
        {"fiscal_year": "R6", "status": "running", "effects": "閲覧が増えた", "issues": "",
         "actions": "データ追加"},
    )  # fmt: skip
    assert response.status_code == 302
    year = SystemYear.objects.get(system=system, fiscal_year=R6)
    assert year.status == "running" and year.history.first().history_change_reason
    page = staff_client.get(url).content.decode()
    assert "稼働中" in page and "閲覧が増えた" in page
    # a second entry for the same year without opening it is refused in words
    response = staff_client.post(url, {"fiscal_year": "R6", "status": "retired"})
    assert response.status_code == 400
    assert "令和6年度（2024年度）の記録はすでにあります" in response.content.decode()
    document = build_document()
    gis = next(s for s in document["systems"] if s["name"] == "統合型GIS")
    row = next(y for y in gis["years"] if y["fiscal_year"] == R6)
    assert row["status"] == "稼働中" and row["effects"] == "閲覧が増えた"


def test_a_department_head_cannot_write_a_years_form2(head_a):
    system = System.objects.get(name="静岡市災害時総合情報システム")
    with pytest.raises(CostRefused):
        system_year_save(
            system=system, fiscal_year=R6, status="running", effects="", issues="", actions="",
            user=head_a, reason="テスト",
        )  # fmt: skip
    assert not SystemYear.objects.exists()

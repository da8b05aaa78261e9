"""The plan as printed: readings corrected by comparing with the plan (fixtures/README.md,
「Corrections after comparing with the plan」), and the 設定予定 KPI state they need."""

import pytest

from kpis.calculations import PENDING, KpiSpec, evaluate, summarize
from kpis.models import Actual, Kpi
from kpis.parsing import ParsedValue
from kpis.progress import summarize_kpis
from kpis.selectors import item_kpis, plan_items
from pdca.opendata import build_document
from pdca.services.actuals import ActualChange, ActualsRefused, apply_actuals
from priorities.models import Initiative, PriorityItem
from priorities.roles import system_user

pytestmark = pytest.mark.django_db


def test_3_1s_kpi_reads_present_target_and_name_in_the_pages_fixed_order():
    kpi = Kpi.objects.get(code="3-1-K01")
    assert kpi.baseline_text == "ビジョン策定完了（～R6）"
    assert kpi.target_text == "進捗を加味しながら、取組み内容を検討（R7～）"
    assert kpi.name == "取組内容毎にKPI指標を定める予定"
    assert kpi.pending


def test_a_pending_kpi_is_never_graded_whatever_the_year():
    spec = KpiSpec(direction="milestone", target=None, target_fiscal_year=None, pending=True)
    for year in (2024, 2025, 2026):
        result = evaluate(spec, fiscal_year=year, stage="完了")
        assert result.grade == PENDING and result.rate is None
        assert "設定予定" in result.reason


def test_a_pending_kpi_counts_neither_as_graded_nor_as_unmeasured():
    pending = evaluate(
        KpiSpec(direction="milestone", target=None, target_fiscal_year=None, pending=True),
        fiscal_year=2024,
    )
    summary = summarize([pending, None], 2024)
    assert summary.pending == 1
    assert summary.unmeasured == 1  # only the real missing actual
    assert summary.measured == 0 and summary.progress is None


def test_3_1_is_no_longer_graded_c_for_r6(publish):
    item = next(i for i in plan_items() if i.code == "3-1")
    summary = summarize_kpis(item_kpis(item), 2024)
    assert summary.grades["C"] == 0
    assert summary.pending == 1


def test_an_actual_for_a_pending_kpi_is_refused_in_japanese():
    kpi = Kpi.objects.get(code="3-1-K01")
    change = ActualChange(kpi, 2024, ParsedValue(None, "完了"), "")
    with pytest.raises(ActualsRefused) as refused:
        apply_actuals([change], user=system_user(), reason="テスト")
    assert "設定予定" in str(refused.value)
    assert not Actual.objects.filter(kpi=kpi).exists()


def test_the_item_page_shows_the_pending_kpi_with_its_printed_cells(client):
    page = client.get("/items/3-1/").content.decode()
    assert "取組内容毎にKPI指標を定める予定" in page
    assert "ビジョン策定完了（～R6）" in page
    assert "設定予定" in page
    assert "grade grade-c" not in page and "grade grade-none" not in page.split("3-1-K01")[1][:900]


def test_the_open_data_marks_the_pending_kpi_and_counts_it_apart():
    document = build_document()
    item = next(i for i in document["items"] if i["code"] == "3-1")
    kpi = item["initiatives"][0]["kpis"][0]
    assert kpi["pending"] is True and kpi["actuals"] == []
    assert item["summary"]["pending"] == 1
    assert item["summary"]["unmeasured"] == 1  # only 1-1-K02 (共通), which has no actual yet
    assert item["summary"]["kpi_count"] == 2


def test_group_labels_printed_over_several_initiatives_are_kept(client):
    groups = dict(
        Initiative.objects.filter(item__code__in=["1-2", "5-1"]).values_list("name", "group")
    )
    assert groups["書かない窓口ツールの導入"] == "区役所窓口改革推進事業"
    assert groups["窓口呼び出しシステムの導入"] == "区役所窓口改革推進事業"
    assert groups["新たなDX人材育成計画の策定"] == "デジタル人材の育成"
    assert "区役所窓口改革推進事業" in client.get("/items/1-2/").content.decode()


def test_2_1s_tools_heading_is_shown_as_printed(client):
    assert PriorityItem.objects.get(code="2-1").tools_heading == (
        "標準化対象各業務システム（各所管課）"
    )
    page = client.get("/items/2-1/").content.decode()
    assert "標準化対象各業務システム（各所管課）" in page
    assert "住民記録システム（各所管課）" not in page  # printed once, above the list


def test_a_heading_is_not_joined_to_its_text(client):
    page = client.get("/items/4-3/").content.decode()
    assert "携帯電話各世帯" not in page
    assert "携帯電話<br>各世帯不感エリアがない。" in page


def test_an_item_with_no_printed_department_does_not_claim_one(client):
    page = client.get("/items/4-4/").content.decode()
    assert "所管：" not in page
    assert "所管：危機管理課、河川課" in client.get("/items/1-3/").content.decode()
    index = client.get("/").content.decode()
    assert index.count("所管：DX推進課") == len(
        [i for i in PriorityItem.objects.all() if i.departments_text.startswith("DX推進課")]
    )
    assert PriorityItem.objects.get(code="4-4").departments.get().name == "DX推進課"  # owner


def test_a_remark_about_an_initiatives_kpis_shows_even_when_it_has_kpis(client):
    initiative = Initiative.objects.get(item__code="1-1", number=1)
    initiative.kpi_note = "（テスト）指標の補足"
    initiative.save()
    assert "（テスト）指標の補足" in client.get("/items/1-1/").content.decode()


def test_no_rate_of_a_pending_kpi_leaks_into_decimal_fields():
    kpi = Kpi.objects.get(code="3-1-K01")
    assert kpi.evaluate(None, fiscal_year=2025).rate is None
    assert kpi.spec_for(2025).target is None

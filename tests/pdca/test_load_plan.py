import io
import json
import shutil
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from kpis.models import Actual, Kpi, KpiPlacement
from pdca.loading import PlanLoadError, load_plan
from pdca.models import Evaluation
from priorities.models import Initiative, NarrativeBullet, Pillar, PriorityItem
from systems.models import CostBreakdown, CostRecord, System, SystemPlacement

pytestmark = pytest.mark.django_db


def test_it_loads_the_whole_plan():
    assert Pillar.objects.count() == 5
    assert PriorityItem.objects.count() == 18
    assert Kpi.objects.count() == 47
    assert System.objects.count() == 16
    assert list(PriorityItem.objects.filter(has_form2=True).values_list("code", flat=True)) == [
        "1-1",
        "1-2",
        "1-3",
        "1-4",
        "2-1",
        "2-3",
        "3-3",
    ]


def test_it_loads_every_item_with_as_is_to_be_and_gap():
    for item in PriorityItem.objects.all():
        for section in ("as_is", "to_be", "gap"):
            assert item.bullets.filter(section=section).exists(), (item.code, section)


def test_loading_twice_changes_nothing():
    before = {
        model: list(model.objects.order_by("pk").values())
        for model in (PriorityItem, Kpi, System, NarrativeBullet, KpiPlacement, CostBreakdown)
    }
    report = load_plan(directory=settings.PLAN_FIXTURES_DIR)
    assert not report.changed
    assert sum(report.deleted.values()) == 0
    for model, rows in before.items():
        assert list(model.objects.order_by("pk").values()) == rows


def test_the_command_says_what_it_did(capsys):
    call_command("load_plan")
    assert "追加 0 件、更新 0 件、削除 0 件" in capsys.readouterr().out


def test_it_keeps_the_printed_text_beside_the_number():
    kpi = Kpi.objects.get(code="1-1-K01")
    assert kpi.name == "電子申請システムの年間受付件数"
    assert (kpi.baseline_text, kpi.baseline_value, kpi.baseline_fiscal_year) == (
        "298,621件（R5）",
        Decimal("298621"),
        2023,
    )
    assert (kpi.target_text, kpi.target_value, kpi.target_fiscal_year) == (
        "375,000件（R8）",
        Decimal("375000"),
        2026,
    )


def test_it_splits_1_3s_composite_kpi_into_two():
    hours = Kpi.objects.get(code="1-3-K02")
    assert hours.unit == "時間"
    assert hours.direction == "decrease"
    assert (hours.baseline_value, hours.baseline_fiscal_year) == (Decimal(12), 2024)
    assert (hours.target_value, hours.target_fiscal_year) == (Decimal(7), 2026)
    satisfaction = Kpi.objects.get(code="1-3-K01")
    assert (satisfaction.baseline_value, satisfaction.target_value) == (Decimal(60), Decimal(70))


def test_it_splits_2_5s_departments_and_people():
    assert Kpi.objects.get(code="2-5-K02").unit == "部署"
    assert Kpi.objects.get(code="2-5-K03").unit == "名"
    threshold = Kpi.objects.get(code="2-5-K01")
    assert (threshold.baseline_value, threshold.target_value) == (Decimal("98.2"), Decimal("90"))
    assert threshold.target_operator == ">="


def test_a_repeated_kpi_is_one_record_shown_in_both_items():
    kpi = Kpi.objects.get(code="1-1-K01")
    items = sorted(
        p.initiative.item.code for p in kpi.placements.select_related("initiative__item")
    )
    assert items == ["1-1", "1-2"]
    assert kpi.placements.get(initiative__item__code="1-2").note == "再掲"
    portal = Kpi.objects.get(code="1-1-K02")
    assert portal.placements.get(initiative__item__code="3-1").note == "共通"


def test_an_initiative_without_kpi_keeps_the_printed_reason():
    initiative = Initiative.objects.get(item__code="2-2", number=3)
    assert not initiative.kpis.exists()
    assert "省略" in initiative.kpi_note


@pytest.mark.parametrize(
    ("code", "threshold", "cumulative", "direction"),
    [
        ("1-2-K02", "<=", False, "decrease"),
        ("4-1-K02", "", True, "increase"),
        ("4-2-K01", "", True, "increase"),
        ("4-3-K02", "", False, "maintain"),
        ("1-1-K03", "", False, "milestone"),
        ("5-2-K01", ">=", False, "increase"),
    ],
)
def test_it_records_each_kpi_kind(code, threshold, cumulative, direction):
    kpi = Kpi.objects.get(code=code)
    assert (kpi.target_operator, kpi.cumulative, kpi.direction) == (
        threshold,
        cumulative,
        direction,
    )


def test_it_records_form2_costs_as_printed():
    online = System.objects.get(name="電子申請システム")
    assert (online.initial_cost_text, online.initial_cost_thousand_yen) == (
        "13,365千円",
        Decimal("13365"),
    )
    assert online.operating_cost_text == "1,073千円／年（Ｒ５）"
    assert (online.operating_cost_thousand_yen, online.operating_cost_fiscal_year) == (
        Decimal("1073"),
        2023,
    )
    assert online.introduced == "令和３年度"
    river = System.objects.get(name="巴川浸水推定システム")
    assert river.initial_cost_thousand_yen == Decimal("108418")
    assert river.operating_cost_thousand_yen == Decimal("26598")


def test_it_keeps_undecided_and_planned_costs():
    counter = System.objects.get(name="窓口呼び出しシステム")
    assert counter.initial_cost_text == "未定"
    assert counter.initial_cost_thousand_yen is None
    no_writing = System.objects.get(name="書かない窓口ツール")
    assert no_writing.initial_cost_planned
    assert no_writing.initial_cost_thousand_yen == Decimal("4950")
    assert no_writing.operating_cost_text == "無し"


def test_it_keeps_the_text_tools_cost_breakdown():
    text_tools = System.objects.get(name="テキスト化ツール")
    parts = {part.name: part for part in text_tools.breakdown.all()}
    assert set(parts) == {"AI-OCR", "音声テキスト化サービス"}
    assert parts["音声テキスト化サービス"].initial_cost_thousand_yen == Decimal("132")
    assert parts["AI-OCR"].operating_cost_thousand_yen == Decimal("1252")


def test_owning_departments_come_from_form1():
    item = PriorityItem.objects.get(code="1-3")
    assert set(item.departments.values_list("name", flat=True)) == {"危機管理課", "河川課"}
    # Where Form ① prints no department, DX推進課 owns the item.
    assert list(PriorityItem.objects.get(code="5-2").departments.values_list("name", flat=True))


@pytest.fixture
def fixture_copy(tmp_path):
    target = tmp_path / "fixtures"
    shutil.copytree(settings.PLAN_FIXTURES_DIR, target)
    return target


def _edit_item(directory, code, change):
    path = directory / "plan" / "items" / f"{code}.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def test_a_bad_fixture_saves_nothing_and_names_the_place(fixture_copy):
    def break_it(data):
        data["title"] = "書き換えた題名"
        data["initiatives"][0]["kpis"][0]["target"]["value"] = "たくさん"

    _edit_item(fixture_copy, "1-1", break_it)
    with pytest.raises(PlanLoadError) as caught:
        load_plan(directory=fixture_copy)
    assert "1-1.json" in str(caught.value)
    assert "たくさん" in str(caught.value)
    assert PriorityItem.objects.get(code="1-1").title == "行政サービスのオンライン化"


def test_a_model_validation_error_saves_nothing(fixture_copy):
    def break_it(data):
        data["title"] = "書き換えた題名"
        data["systems"][0]["initial_cost"]["thousand_yen"] = "-5"

    _edit_item(fixture_copy, "1-1", break_it)
    with pytest.raises(PlanLoadError, match="マイナス"):
        load_plan(directory=fixture_copy)
    assert PriorityItem.objects.get(code="1-1").title == "行政サービスのオンライン化"


def test_a_repeat_of_an_unknown_kpi_is_refused(fixture_copy):
    _edit_item(
        fixture_copy, "1-2", lambda d: d["initiatives"][2]["kpis"][0].update(same_as="1-1-K09")
    )
    with pytest.raises(PlanLoadError, match="1-1-K09"):
        load_plan(directory=fixture_copy)


def test_a_changed_fixture_updates_only_what_changed(fixture_copy):
    _edit_item(fixture_copy, "1-1", lambda d: d["as_is"].append("新しい現状の記載"))
    report = load_plan(directory=fixture_copy)
    assert dict(report.created) == {"priorities.NarrativeBullet": 1}
    assert not report.updated
    assert PriorityItem.objects.get(code="1-1").bullets.filter(text="新しい現状の記載").exists()


def test_the_command_reports_a_broken_file_in_japanese(fixture_copy):
    (fixture_copy / "plan" / "items" / "2-2.json").write_text("{", encoding="utf-8")
    with pytest.raises(CommandError, match="何も保存していません"):
        call_command("load_plan", fixtures=fixture_copy)


# ---- placements: a load never moves a KPI or system out of (or into) an approved year --------


def _approved(code, year=2025, status=Evaluation.Status.APPROVED):
    Evaluation.objects.create(
        item=PriorityItem.objects.get(code=code), fiscal_year=year, status=status
    )


def _drop_the_repeat_of_1_1_k01(data):
    data["title"] = "書き換えた題名"
    data["initiatives"][2]["kpis"] = []


def test_a_load_moving_a_kpi_out_of_an_approved_year_saves_nothing_and_names_the_file(
    fixture_copy,
):
    """1-2.json no longer repeats 1-1-K01, whose R7 actual 1-2's approved evaluation holds:
    loading it would unlock that figure, as moving the KPI in the admin would."""
    _approved("1-2")
    Actual.objects.create(kpi=Kpi.objects.get(code="1-1-K01"), fiscal_year=2025, value=300000)
    _edit_item(fixture_copy, "1-2", _drop_the_repeat_of_1_1_k01)
    with pytest.raises(CommandError) as caught:
        call_command("load_plan", fixtures=fixture_copy, stdout=io.StringIO())
    assert str(caught.value) == (
        "計画を読み込めませんでした。何も保存していません。\n"
        "1-2.json: 1-2 の令和7年度の評価は承認済みで 1-1-K01 のこの年度の実績を含むため、"
        "1-1-K01 を 1-2 から外すには、先にDX推進課に評価の再開を依頼してください。"
    )
    assert KpiPlacement.objects.filter(kpi__code="1-1-K01", initiative__item__code="1-2").exists()
    assert PriorityItem.objects.get(code="1-2").title != "書き換えた題名"


def test_a_load_adding_a_kpi_to_an_approved_year_is_refused(fixture_copy):
    _approved("2-2", status=Evaluation.Status.PUBLISHED)
    Actual.objects.create(kpi=Kpi.objects.get(code="1-3-K02"), fiscal_year=2025, value=10)
    _edit_item(
        fixture_copy,
        "2-2",
        lambda d: d["initiatives"][2].update(kpis=[{"same_as": "1-3-K02", "text": "再掲"}]),
    )
    with pytest.raises(PlanLoadError) as caught:
        load_plan(directory=fixture_copy)
    assert str(caught.value) == (
        "2-2.json: 2-2 の令和7年度の評価は公表済みのため、この年度の実績がある 1-3-K02 を "
        "2-2 に加えるには、先にDX推進課に評価の再開を依頼してください。"
    )
    assert not KpiPlacement.objects.filter(initiative__item__code="2-2", kpi__code="1-3-K02")


@pytest.mark.parametrize("how", ["system left out", "initiative left out"])
def test_a_load_taking_a_system_or_an_initiative_out_of_an_approved_year_is_refused(
    fixture_copy, how
):
    """Leaving out an initiative deletes its placements with it: 1-3-K04 leaves 1-3."""
    _approved("1-3")
    if how == "system left out":
        system = System.objects.get(name="静岡市災害時総合情報システム")
        CostRecord.objects.create(system=system, fiscal_year=2025, kind="operating", thousand_yen=1)
        _edit_item(fixture_copy, "1-3", lambda d: d["systems"].pop(0))
        expected = "「静岡市災害時総合情報システム」を 1-3 の様式②から外すには"
    else:
        Actual.objects.create(kpi=Kpi.objects.get(code="1-3-K04"), fiscal_year=2025, value=3)
        _edit_item(fixture_copy, "1-3", lambda d: d["initiatives"].pop())
        expected = "1-3-K04 を 1-3 から外すには"
    with pytest.raises(PlanLoadError) as caught:
        load_plan(directory=fixture_copy)
    assert str(caught.value).startswith("1-3.json: 1-3 の令和7年度の評価は承認済みで")
    assert expected in str(caught.value)
    assert SystemPlacement.objects.filter(item__code="1-3").count() == 2
    assert Initiative.objects.filter(item__code="1-3").count() == 3


def test_a_load_moving_a_kpi_whose_years_are_not_held_goes_ahead(fixture_copy):
    _approved("1-2", status=Evaluation.Status.DRAFT)
    _approved("1-2", year=2024)
    Actual.objects.create(kpi=Kpi.objects.get(code="1-1-K01"), fiscal_year=2025, value=300000)
    _edit_item(fixture_copy, "1-2", _drop_the_repeat_of_1_1_k01)
    report = load_plan(directory=fixture_copy)
    assert report.deleted["kpis.KpiPlacement"] == 1
    assert not KpiPlacement.objects.filter(kpi__code="1-1-K01", initiative__item__code="1-2")

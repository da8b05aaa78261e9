import json
import shutil
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from kpis.models import Kpi, KpiPlacement
from pdca.loading import PlanLoadError, load_plan
from priorities.models import Initiative, NarrativeBullet, Pillar, PriorityItem
from systems.models import CostBreakdown, System

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

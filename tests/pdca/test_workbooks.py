import io
import json
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import load_workbook

from kpis.models import DEMO_NOTICE, Actual, Kpi
from pdca.demo_actuals import load_demo_actuals
from pdca.opendata import build_document
from pdca.workbooks import forms_workbook
from priorities.roles import system_user
from shizuoka_dx.xlsx_layout import sheet_name_length, sheet_title

pytestmark = pytest.mark.django_db


def export(tmp_path, *args):
    path = tmp_path / "forms.xlsx"
    call_command("export_forms", *args, "--output", str(path))
    return load_workbook(path)


def texts(ws) -> list:
    return [cell.value for row in ws.iter_rows() for cell in row if cell.value is not None]


def find(ws, value):
    for row in ws.iter_rows():
        for cell in row:
            if cell.value == value:
                return cell
    raise AssertionError(f"{value!r} is not on sheet {ws.title}")


def merged_range(ws, cell):
    return next((r for r in ws.merged_cells.ranges if cell.coordinate in r), None)


def add_actual(code, year, value):
    return Actual.objects.create(kpi=Kpi.objects.get(code=code), fiscal_year=year, value=value)


def test_it_puts_the_cover_sheet_first_and_active_with_the_year_and_the_sheet_list(tmp_path):
    book = export(tmp_path, "--fy", "R7")
    assert book.sheetnames[0] == "表紙"
    assert book.active.title == "表紙"
    cover = texts(book["表紙"])
    assert "静岡市デジタル化推進アクションプラン" in cover
    assert "令和7年度（2025年度）" in cover
    assert "作成日" in cover
    listed = set(cover)
    assert all(name in listed for name in book.sheetnames[1:])
    assert DEMO_NOTICE not in cover


def test_it_has_a_form1_sheet_per_item_and_a_form2_sheet_per_record(tmp_path):
    book = export(tmp_path, "--fy", "2025")
    names = book.sheetnames
    assert len([n for n in names if n.startswith("様式①_")]) == 18
    assert len([n for n in names if n.startswith("様式②_")]) == 16
    assert names[1:5] == [
        "様式①_1-1",
        "様式②_1-1_①電子申請システム",
        "様式②_1-1_②統合データ基盤",
        "様式②_1-1_③ぴったりサービス",
    ]


def test_sheet_names_are_unique_short_enough_and_use_no_forbidden_characters(tmp_path):
    names = export(tmp_path, "--fy", "R7").sheetnames
    assert all(sheet_name_length(name) <= 31 for name in names)
    assert len({name.casefold() for name in names}) == len(names)
    assert not any(ch in name for name in names for ch in "[]:*?/\\")
    assert "様式②_1-4_②静岡市子育て応援総合サイト「ちゃむしずおか」" in names  # exactly 31


def test_it_makes_any_name_a_valid_unique_sheet_title():
    assert sheet_title("様式②_1-1_①A/B:C*D?[E]\\F", []) == "様式②_1-1_①A_B_C_D__E__F"
    first = sheet_title("様式②_9-9_①" + "とても長いシステムの名前" * 3, [])
    second = sheet_title("様式②_9-9_①" + "とても長いシステムの名前" * 3, [first])
    assert sheet_name_length(first) == sheet_name_length(second) == 31
    assert second.endswith("_2") and second != first
    assert sheet_title("sheet", ["SHEET"]) == "sheet_2"


def test_an_item_sheet_has_the_form1_blocks_side_by_side(tmp_path):
    ws = export(tmp_path, "--fy", "R7", "--item", "1-1")["様式①_1-1"]
    assert ws["A1"].value.startswith("様式①　基本方針の柱1　市民の利便性向上")
    assert "重点項目 1-1　行政サービスのオンライン化" in ws["A1"].value
    as_is, to_be, gap = (
        find(ws, "現状（As-Is）"),
        find(ws, "目指す姿（To-be）"),
        find(ws, "課題（Gap）"),
    )
    assert as_is.row == to_be.row == gap.row
    assert as_is.column < to_be.column < gap.column
    first_as_is = ws.cell(row=as_is.row + 1, column=as_is.column).value
    assert first_as_is.startswith("電子申請システムを活用して行政手続のオンライン化")
    for heading in ("■主な取組とロードマップ", "■効果・KPI", "■主な業務システム/活用ツール"):
        find(ws, heading)
    assert find(ws, "①").row == find(ws, "電子申請システム").row


def test_a_roadmap_entry_spans_the_years_it_covers(tmp_path):
    ws = export(tmp_path, "--fy", "R7", "--item", "1-1")["様式①_1-1"]
    r6, r7, r8 = (find(ws, f"R{n}（令和{n}年度）") for n in (6, 7, 8))
    three_years = merged_range(ws, find(ws, "オンライン申請手続数の拡大・利用者数の拡大"))
    assert three_years.min_col == r6.column
    assert three_years.max_col == merged_range(ws, r8).max_col
    one_year = merged_range(ws, find(ws, "基盤構築"))
    assert (one_year.min_col, one_year.max_col) == (r7.column, merged_range(ws, r7).max_col)
    two_years = merged_range(ws, find(ws, "次期サービスの情報収集・移行準備等"))
    assert (two_years.min_col, two_years.max_col) == (r6.column, merged_range(ws, r7).max_col)


def test_the_kpi_table_shows_baseline_and_target_as_printed_and_each_years_result(tmp_path):
    add_actual("1-1-K01", 2024, Decimal(324081))
    add_actual("1-1-K01", 2025, Decimal("350000"))
    ws = export(tmp_path, "--fy", "R7", "--item", "1-1")["様式①_1-1"]
    headings = [find(ws, h) for h in ("現状（R5）", "目標値（R8）", "R6 実績", "R7 実績")]
    assert len({cell.row for cell in headings}) == 1
    row = find(ws, "1-1-K01").row
    assert find(ws, "298,621件（R5）").row == row
    assert find(ws, "375,000件（R8）").row == row
    actual = ws.cell(row=row, column=find(ws, "R6 実績").column)
    assert actual.value == 324081
    assert actual.data_type == "n"
    assert actual.number_format == "#,##0"
    rate = ws.cell(row=row, column=find(ws, "R7 達成率（％）").column)
    assert rate.value == pytest.approx(67.3)
    assert ws.cell(row=row, column=find(ws, "R7 評価").column).value == "A 順調"
    reason = ws.cell(row=row, column=find(ws, "評価の理由（R7）").column).value
    assert reason.startswith("(350000 − 298621) ÷ (375000 − 298621)")
    unmeasured = find(ws, "1-1-K02").row
    assert ws.cell(row=unmeasured, column=find(ws, "R7 評価").column).value == "未測定"


def test_a_year_limits_the_actuals_shown(tmp_path):
    add_actual("1-1-K01", 2024, Decimal(324081))
    add_actual("1-1-K01", 2025, Decimal(350000))
    ws = export(tmp_path, "--fy", "令和6年度", "--item", "1-1")["様式①_1-1"]
    assert "R6 実績" in texts(ws)
    assert "R7 実績" not in texts(ws)
    assert 350000 not in texts(ws)


def test_the_chosen_year_always_has_its_columns(tmp_path):
    ws = export(tmp_path, "--fy", "R9", "--item", "1-1")["様式①_1-1"]
    assert {"R8 実績", "R9 実績", "評価の理由（R9）"} <= set(texts(ws))
    assert find(ws, "1-1-K01").row == find(ws, "この年度の実績はまだありません。").row


def test_the_default_year_is_the_latest_with_actuals(tmp_path):
    add_actual("1-1-K01", 2024, Decimal(324081))
    cover = texts(export(tmp_path, "--item", "1-1")["表紙"])
    assert "令和6年度（2024年度）" in cover


def test_demo_data_is_announced_on_the_cover_and_every_item_sheet(tmp_path):
    load_demo_actuals(user=system_user())
    book = export(tmp_path, "--fy", "R7")
    assert DEMO_NOTICE in texts(book["表紙"])
    for name in book.sheetnames:
        if name.startswith("様式①_"):
            assert DEMO_NOTICE in texts(book[name]), name


def test_a_form2_sheet_has_the_plans_labels_costs_and_cost_effectiveness(tmp_path):
    add_actual("1-1-K01", 2024, Decimal(327900))
    ws = export(tmp_path, "--fy", "R7", "--item", "1-1")["様式②_1-1_①電子申請システム"]
    values = texts(ws)
    assert ws["A1"].value == "様式②　1-1 行政サービスのオンライン化　①電子申請システム"
    for label in ("PLAN/DO", "CHECK", "ACT", "概要", "構成", "導入年度", "効果", "課題"):
        assert label in values, label
    assert "■利益最大化のために何をすべきか" in values
    assert "13,365千円" in values
    assert "1,073千円／年（Ｒ５）" in values
    printed = find(ws, "13,365千円")
    amount = ws.cell(row=printed.row, column=printed.column + 1)
    assert (amount.value, amount.number_format) == (13365, "#,##0")
    assert "令和6年度: 1,073千円 × 1,000 ÷ 327,900件 ＝ 約3.3円/件" not in values  # no R6 cost
    formula = next(v for v in values if isinstance(v, str) and v.startswith("令和5年度: 1,073千円"))
    assert formula == "令和5年度: 1,073千円 × 1,000 ÷ 298,621件 ＝ 約3.6円/件"
    per_unit = ws.cell(row=find(ws, formula).row, column=find(ws, formula).column - 1)
    assert per_unit.value == pytest.approx(3.6)
    assert per_unit.data_type == "n"


def test_every_sheet_prints_on_a4_landscape_fitted_to_the_width(tmp_path):
    book = export(tmp_path, "--fy", "R7")
    for ws in book.worksheets:
        assert ws.page_setup.orientation == "landscape", ws.title
        assert int(ws.page_setup.paperSize) == int(ws.PAPERSIZE_A4)
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        assert ws.page_setup.fitToWidth == 1
    item = book["様式①_1-1"]
    assert item.freeze_panes == "A3"
    assert item.column_dimensions["B"].width >= 30
    assert find(item, "現状（As-Is）").alignment.wrap_text


def test_it_can_export_one_item_or_one_pillar(tmp_path):
    assert export(tmp_path, "--item", "1-3").sheetnames == [
        "表紙",
        "様式①_1-3",
        "様式②_1-3_①静岡市災害時総合情報システム",
        "様式②_1-3_②巴川浸水推定システム",
    ]
    pillar = export(tmp_path, "--pillar", "4").sheetnames
    assert pillar == ["表紙", "様式①_4-1", "様式①_4-2", "様式①_4-3", "様式①_4-4"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--item", "9-9"], "重点項目「9-9」は計画にありません"),
        (["--pillar", "7"], "基本方針の柱「7」は計画にありません"),
        (["--fy", "来年"], "--fy: 「来年」は年度として読めません"),
    ],
)
def test_it_refuses_an_unknown_item_pillar_or_year_in_japanese(tmp_path, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("export_forms", *args, "--output", str(tmp_path / "x.xlsx"))
    assert not (tmp_path / "x.xlsx").exists()


def test_it_refuses_an_output_that_is_not_xlsx(tmp_path):
    with pytest.raises(CommandError, match=r"拡張子を \.xlsx にしてください"):
        call_command("export_forms", "--output", str(tmp_path / "forms.csv"))


def test_it_renders_a_document_read_back_from_json_like_a_published_snapshot():
    add_actual("1-1-K01", 2025, Decimal(350000))
    snapshot = json.loads(json.dumps(build_document(published_fiscal_year=2025)))
    buffer = io.BytesIO()
    # A write-only workbook (streamed sheet by sheet): it can only be saved, then read back.
    forms_workbook(snapshot, fiscal_year=2025, item_codes={"1-1"}).save(buffer)
    book = load_workbook(buffer)
    assert "公表済みの内容（令和7年度（2025年度））" in texts(book["表紙"])
    assert 350000 in texts(book["様式①_1-1"])

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import load_workbook

from kpis.models import Actual, Kpi
from priorities.roles import system_user
from tests.helpers import import_actuals

pytestmark = pytest.mark.django_db

HEADINGS = ["項目", "KPIコード", "指標名", "単位", "測り方", "現状値（計画）", "目標値（計画）"]


def template(tmp_path, *args, fy="R7"):
    path = tmp_path / "template.xlsx"
    call_command("actuals_template", "--fy", fy, *args, "--output", str(path))
    return path


def header_row(ws) -> int:
    return next(row[0].row for row in ws.iter_rows() if row[1].value == "KPIコード")


def columns(ws) -> dict[str, int]:
    row = header_row(ws)
    return {cell.value: cell.column for cell in ws[row] if cell.value}


def kpi_rows(ws) -> dict[str, int]:
    code = columns(ws)["KPIコード"]
    return {
        ws.cell(row=r, column=code).value: r
        for r in range(header_row(ws) + 1, ws.max_row + 1)
        if ws.cell(row=r, column=code).value
    }


def fill(path, values: dict[str, str], notes: dict[str, str] | None = None):
    """Type into the 実績値 (and 備考) cells as a person would, then save."""
    book = load_workbook(path)
    ws = book["実績"]
    rows, cols = kpi_rows(ws), columns(ws)
    for code, value in values.items():
        ws.cell(row=rows[code], column=cols["実績値"]).value = value
    for code, note in (notes or {}).items():
        ws.cell(row=rows[code], column=cols["備考"]).value = note
    book.save(path)


def actual(code, year):
    return Actual.objects.get(kpi__code=code, fiscal_year=year)


def test_it_lists_every_kpi_once_under_the_importers_headings(tmp_path):
    book = load_workbook(template(tmp_path))
    assert book.sheetnames == ["実績", "記入方法"]
    ws = book["実績"]
    assert ws["A1"].value == "令和7年度（2025年度） KPI実績 入力シート（全所管課）"
    assert list(columns(ws)) == [
        *HEADINGS,
        "前年度の実績（R6）",
        "年度",
        "実績値",
        "備考",
    ]
    rows = kpi_rows(ws)
    # 1-1-K01 is printed in 1-1 and 1-2, and listed once; 3-1-K01 is 設定予定 (nothing to enter)
    assert len(rows) == 46
    assert "3-1-K01" not in rows
    assert list(rows)[:3] == ["1-1-K01", "1-1-K02", "1-1-K03"]
    year = ws.cell(row=rows["1-1-K01"], column=columns(ws)["年度"])
    assert year.value == "令和7年度"
    for heading in ("実績値", "備考"):
        assert ws.cell(row=rows["1-1-K01"], column=columns(ws)[heading]).value is None


def test_the_sheet_is_protected_but_the_value_and_note_cells_are_not(tmp_path):
    ws = load_workbook(template(tmp_path))["実績"]
    assert ws.protection.sheet
    assert not ws.protection.password
    row, cols = kpi_rows(ws)["1-3-K02"], columns(ws)
    assert not ws.cell(row=row, column=cols["実績値"]).protection.locked
    assert not ws.cell(row=row, column=cols["備考"]).protection.locked
    assert ws.cell(row=row, column=cols["KPIコード"]).protection.locked
    assert ws.cell(row=row, column=cols["年度"]).protection.locked
    assert ws.cell(row=1, column=1).protection.locked


def test_a_milestone_kpi_offers_the_three_stages_and_a_number_kpi_a_hint(tmp_path):
    ws = load_workbook(template(tmp_path))["実績"]
    rows, value_column = kpi_rows(ws), columns(ws)["実績値"]
    milestone = ws.cell(row=rows["1-1-K03"], column=value_column).coordinate
    number = ws.cell(row=rows["1-1-K01"], column=value_column).coordinate
    validations = ws.data_validations.dataValidation
    stages = next(v for v in validations if v.type == "list")
    assert stages.formula1 == '"未着手,着手,完了"'
    assert milestone in stages.sqref
    assert number not in stages.sqref
    hint = next(v for v in validations if number in v.sqref)
    assert hint.showInputMessage
    assert "1,234件" in hint.prompt


def test_it_shows_last_years_actual_beside_the_empty_cell(tmp_path):
    Actual.objects.create(
        kpi=Kpi.objects.get(code="1-1-K01"), fiscal_year=2024, value=Decimal(324081)
    )
    ws = load_workbook(template(tmp_path))["実績"]
    cell = ws.cell(row=kpi_rows(ws)["1-1-K01"], column=columns(ws)["前年度の実績（R6）"])
    assert (cell.value, cell.number_format) == (324081, "#,##0")
    other = ws.cell(row=kpi_rows(ws)["1-1-K02"], column=columns(ws)["前年度の実績（R6）"])
    assert other.value == "－"


def test_a_department_gets_only_the_kpis_of_its_items(tmp_path):
    ws = load_workbook(template(tmp_path, "--department", "河川課"))["実績"]
    assert list(kpi_rows(ws)) == ["1-3-K01", "1-3-K02", "1-3-K03", "1-3-K04"]
    assert ws["A1"].value.endswith("（所管課: 河川課）")
    window = load_workbook(template(tmp_path, "--department", "葵区戸籍住民課"))["実績"]
    assert list(kpi_rows(window)) == ["1-2-K01", "1-2-K02", "1-1-K01"]  # 再掲 in 1-2


def test_an_unknown_department_is_refused_with_the_known_ones(tmp_path):
    with pytest.raises(CommandError) as caught:
        template(tmp_path, "--department", "財政課")
    assert "所管課「財政課」は計画にありません" in str(caught.value)
    assert "指定できる所管課:" in str(caught.value)
    assert all(name in str(caught.value) for name in ("DX推進課", "危機管理課", "河川課"))


def test_a_year_with_no_kpi_to_enter_is_refused(tmp_path):
    with pytest.raises(
        CommandError, match="令和17年度（2035年度）に実績を入力できるKPIがありません"
    ):
        template(tmp_path, fy="2035")


def test_the_howto_sheet_explains_filling_in_and_sending_back(tmp_path):
    ws = load_workbook(template(tmp_path))["記入方法"]
    text = "\n".join(str(cell.value) for row in ws.iter_rows() for cell in row if cell.value)
    assert "黄色のセル（実績値・備考）だけに入力してください" in text
    assert "未着手・着手・完了" in text
    assert "空欄のままにしてください" in text
    assert "DX推進課へ送ってください" in text


def test_a_filled_in_template_imports_without_any_editing(tmp_path, capsys):
    path = template(tmp_path)
    fill(
        path,
        {
            "1-1-K01": "３２４，０８１件",
            "1-3-K01": "65％",
            "1-3-K02": "１０時間",
            "1-1-K03": "着手",
            "2-3-K01": 120,
        },
        notes={"1-1-K01": "速報値"},
    )
    call_command("import_actuals", str(path))
    assert "追加 5 件" in capsys.readouterr().out
    assert actual("1-1-K01", 2025).value == Decimal(324081)
    assert actual("1-1-K01", 2025).note == "速報値"
    assert actual("1-3-K01", 2025).value == Decimal(65)
    assert actual("1-3-K02", 2025).value == Decimal(10)
    assert actual("1-1-K03", 2025).stage == "着手"
    assert actual("2-3-K01", 2025).value == Decimal(120)
    assert Actual.objects.count() == 5


def test_an_unfilled_template_imports_nothing_and_says_so(tmp_path):
    result = import_actuals(path=template(tmp_path))
    assert not (result.added or result.changed or result.unchanged)
    assert len(result.skipped_blank) == 46  # every KPI but 3-1-K01 (設定予定)
    assert result.summary() == (
        "実績値が入力された行がありません（実績値が空欄の行 46 件を読み飛ばしました）。"
        "何も保存していません。"
    )
    assert not Actual.objects.exists()


def test_a_template_with_demo_figures_says_so(tmp_path):
    from pdca.demo_actuals import load_demo_actuals

    load_demo_actuals(user=system_user())
    ws = load_workbook(template(tmp_path))["実績"]
    assert ws["A3"].value == "前年度の実績にデモ用の架空の実績値を含みます"
    assert header_row(ws) == 4
    Actual.objects.filter(is_demo=True, fiscal_year=2025).delete()
    path = template(tmp_path)
    fill(path, {"1-1-K01": "330,000"})
    result = import_actuals(path=path)
    assert [row.kpi.code for row in result.added] == ["1-1-K01"]

"""The Excel round by clicking: a department head downloads the input file for a year, fills in
the yellow cells (openpyxl, as Excel would save them), uploads it, reads the preview, confirms,
and sees the figures on the KPI page. A file with a bad row saves nothing and names the row.
"""

import re
from decimal import Decimal

import openpyxl
from playwright.sync_api import expect

from kpis.models import Actual
from tests.browser.checks import axe_problems, overflow_problems
from tests.browser.conftest import PHONE

HEADER_ROW = 4  # kpis/templates.py: title, instructions, demo note, then the headings


def fill_in(path, values: dict[str, str]):
    """Type ``values`` (KPI code → 実績値) into the downloaded file's yellow cells and save."""
    workbook = openpyxl.load_workbook(path)
    sheet = workbook["実績"]
    headings = [cell.value for cell in sheet[HEADER_ROW]]
    code_column = headings.index("KPIコード") + 1
    value_column = headings.index("実績値") + 1
    filled = set()
    for row in range(HEADER_ROW + 1, sheet.max_row + 1):
        code = sheet.cell(row, code_column).value
        if code in values:
            sheet.cell(row, value_column).value = values[code]
            filled.add(code)
    assert filled == set(values), f"入力ファイルにない KPI: {set(values) - filled}"
    workbook.save(path)


def download_input_file(page, tmp_path, year):
    section = page.get_by_role("region", name=re.compile("入力ファイルを作る"))
    section.get_by_role("textbox", name=re.compile("^年度")).fill(year)
    with page.expect_download() as download:
        section.get_by_role("button", name=re.compile("ダウンロード")).click()
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    assert path.suffix == ".xlsx"
    return path


def upload(page, path):
    section = page.get_by_role("region", name=re.compile("ファイルを確認する"))
    section.get_by_label(re.compile("実績を入力したファイル")).set_input_files(path)
    section.get_by_role("button", name="内容を確認する").click()


def test_input_file_download_fill_upload_preview_confirm(demo_site, open_context, tmp_path):
    page = open_context("kiki-head", viewport=PHONE).new_page()
    problems = []
    page.goto("/staff/")
    page.get_by_role("link", name="Excelで入力").click()
    path = download_input_file(page, tmp_path, "R8")
    fill_in(path, {"1-3-K01": "68", "1-3-K02": "8", "1-3-K04": "75"})

    # A value that is not a number: nothing is saved, the row and what to do are named.
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(path.read_bytes())
    fill_in(bad, {"1-3-K02": "たくさん"})
    upload(page, bad)
    expect(page.get_by_role("alert")).to_contain_text("bad.xlsx は取り込めません")
    expect(page.get_by_role("alert")).to_contain_text(re.compile(r"\d+行目 実績値「たくさん」"))
    problems += axe_problems(page, "取り込めないファイルの結果")
    problems += overflow_problems(page, "取り込めないファイルの結果")
    assert not Actual.objects.filter(fiscal_year=2026).exists()

    # The filled-in file: the preview says what would be added, and saves nothing yet.
    upload(page, path)
    preview = page.get_by_role("status").filter(has_text="を取り込むと")
    expect(preview).to_contain_text("追加 3 件")
    expect(preview).to_contain_text("1-3-K04")
    problems += axe_problems(page, "取り込む内容の確認")
    problems += overflow_problems(page, "取り込む内容の確認")
    assert not Actual.objects.filter(fiscal_year=2026).exists()

    page.get_by_role("button", name="この内容で取り込む").click()
    expect(page.get_by_role("status")).to_contain_text("3 件")
    problems += axe_problems(page, "取り込んだあと")
    saved = dict(
        Actual.objects.filter(fiscal_year=2026).values_list("kpi__code", "value").order_by("kpi")
    )
    assert saved == {"1-3-K01": Decimal(68), "1-3-K02": Decimal(8), "1-3-K04": Decimal(75)}

    # The figure on the KPI page, reached through the item page.
    page.goto("/staff/items/1-3/")
    page.get_by_role("link", name=re.compile("浸水センサ")).first.click()
    trend = page.get_by_role("table", name=re.compile("年度ごとの実績と評価"))
    expect(trend.get_by_role("row", name=re.compile("令和8年度"))).to_contain_text("75")

    assert not problems, "\n".join(problems)

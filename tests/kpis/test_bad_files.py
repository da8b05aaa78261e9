"""Every file in tests/fixtures/bad_files/ is refused in plain Japanese and saves nothing.

The files are written by tests/fixtures/make_bad_files.py (its docstrings say why each is bad);
tests/bad_files_benchmark.py prints how long each refusal takes.
"""

import re
from pathlib import Path

import pytest
from openpyxl import Workbook

from kpis.importing import ImportRefused, import_actuals
from kpis.models import Actual

pytestmark = pytest.mark.django_db

FOLDER = Path(__file__).resolve().parent.parent / "fixtures" / "bad_files"
BAD_FILES = sorted(path for path in FOLDER.iterdir() if path.is_file())
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


def test_the_corpus_has_at_least_forty_small_files():
    assert len(BAD_FILES) >= 40
    assert all(path.stat().st_size < 100 * 1024 for path in BAD_FILES)


@pytest.mark.parametrize("path", BAD_FILES, ids=[path.name for path in BAD_FILES])
def test_it_refuses_a_bad_file_in_japanese_and_saves_nothing(path):
    before = Actual.objects.count()
    with pytest.raises(ImportRefused) as caught:
        import_actuals(path=path)
    first = caught.value.errors[0]
    assert JAPANESE.search(first), first
    assert Actual.objects.count() == before


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("merged_value_cells.xlsx", "2〜3行目 実績値: セルが結合されています（C2:C3）"),
        ("merged_code_cells.xlsx", "2〜3行目 KPIコード: セルが結合されています（A2:A3）"),
        (
            "hidden_row_with_bad_value.xlsx",
            "3行目 実績値「たくさん」: この行は非表示になっています",
        ),
        ("hidden_value_column.xlsx", "C列（実績値）が非表示になっています"),
        ("date_cell_in_year.xlsx", "2行目 年度「2026/4/1」: 日付ではなく年度を入力してください"),
        ("date_text_era_in_year.csv", "2行目 年度「R8.4.1」: 日付ではなく年度を入力してください"),
        ("date_cell_in_value.xlsx", "2行目 実績値「2025/3/31」: 日付として入力されています"),
        ("entity_bomb_in_sheet.xlsx", "安全のため読み込まない記述"),
        ("entity_bomb_after_long_comment.xlsx", "安全のため読み込まない記述"),
        ("zip_bomb.xlsx", "展開後50MB超"),
        ("csv_text_named_xlsx.xlsx", "中身はCSV（テキスト）です"),
        ("legacy_excel_named_xlsx.xlsx", "古い形式のExcelファイル（.xls）"),
        ("formula_with_cached_error.xlsx", "2行目 実績値「#DIV/0!」: Excelのエラー値です"),
        ("man_with_other_unit_on_percent_kpi.csv", "このKPIの単位「％」と違います"),
        ("man_on_percent_kpi.csv", "割合（％）の値に「万」は使えません"),
        ("reiwa_gannen_outside_window.csv", "令和元年度（2019年度）は計画の期間外です"),
        ("row_past_the_limit.xlsx", "行が多すぎます"),
        ("sheet_not_well_formed.xlsx", "シート「実績」を読めません"),
    ],
)
def test_the_refusal_says_what_is_wrong_and_where(name, message):
    with pytest.raises(ImportRefused) as caught:
        import_actuals(path=FOLDER / name)
    assert message in caught.value.errors[0]


# ---- and what is still fine -------------------------------------------------------------


def test_merged_cells_in_a_column_the_importer_ignores_are_fine(tmp_path):
    book = Workbook()
    ws = book.active
    ws.title = "実績"
    ws.append(["項目", "KPIコード", "年度", "実績値"])
    ws.append(["1-1 行政サービスのオンライン化", "1-1-K01", "R6", "324,081件"])
    ws.append([None, "1-1-K02", "R6", "1,200"])
    ws.merge_cells("A2:A3")
    ws.merge_cells("A1:A1")
    book.save(tmp_path / "merged.xlsx")
    result = import_actuals(path=tmp_path / "merged.xlsx")
    assert len(result.added) == 2


def test_a_hidden_row_left_blank_is_skipped_like_any_blank_row(tmp_path):
    book = Workbook()
    ws = book.active
    ws.append(["KPIコード", "年度", "実績値"])
    ws.append(["1-1-K01", "R6", "324081"])
    ws.append(["1-1-K02", "R6", None])
    ws.row_dimensions[3].hidden = True
    book.save(tmp_path / "hidden.xlsx")
    result = import_actuals(path=tmp_path / "hidden.xlsx")
    assert (len(result.added), result.skipped_blank) == (1, [3])


def test_the_kpis_own_unit_and_multipliers_still_read(tmp_path):
    path = tmp_path / "units.csv"
    path.write_text(
        "KPIコード,年度,実績値\r\n1-1-K01,R6,32.4万件\r\n1-3-K01,R7,65\r\n3-2-K02,R7,31億円\r\n",
        encoding="utf-8",
    )
    import_actuals(path=path)
    values = dict(Actual.objects.values_list("kpi__code", "value"))
    assert values == {"1-1-K01": 324000, "1-3-K01": 65, "3-2-K02": 31}

"""Every file in tests/fixtures/bad_files/ is refused in plain Japanese and saves nothing.

The files are written by tests/fixtures/make_bad_files.py (its docstrings say why each is bad) and,
for numbers with two readings (``number_<family>_…``), tests/fixtures/make_bad_number_files.py;
tests/import_benchmark.py prints what each refusal costs in time and memory. REASONS says, for every file,
what its refusal must tell the person (where and why); a refusal that does not yet say it well is
an xfail with the message it should have.
"""

import re
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill

from kpis.importing import ImportRefused
from kpis.models import Actual
from tests.helpers import import_actuals

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


def wrong(name, should_say, what_is_wrong):
    """A file whose refusal does not yet say what it should: the test expects the better message."""
    return pytest.param(
        name, should_say, marks=pytest.mark.xfail(strict=True, reason=what_is_wrong)
    )


# Every file in the folder, with the part of its refusal a person needs: where (row, column,
# sheet) and why. A new bad file must come with its line here.
REASONS = [
    # containers: the file itself
    ("csv_text_named_xlsx.xlsx", "拡張子は .xlsx ですが、中身はCSV（テキスト）です"),
    ("empty.csv", "ファイルが空です"),
    ("empty.xlsx", "ファイルが空です"),
    ("legacy_excel.xls", ".xls 形式のファイルは読み込めません"),
    ("legacy_excel_named_csv.csv", "拡張子は .csv ですが、中身は古い形式のExcelファイル（.xls）"),
    (
        "legacy_excel_named_xlsx.xlsx",
        "拡張子は .xlsx ですが、中身は古い形式のExcelファイル（.xls）",
    ),
    ("macro_workbook.xlsm", ".xlsm 形式のファイルは読み込めません"),
    ("notes.txt", "読み込めるのは .csv と .xlsx のファイルです"),
    ("truncated_zip.xlsx", "Excelファイル（.xlsx）として読めません。ファイルが壊れていないか"),
    ("utf16_text.csv", "CSVの文字コードがUTF-16です"),
    ("xlsx_bytes_named_csv.csv", "拡張子は .csv ですが、中身はExcelファイルです"),
    (
        "zip_without_workbook.xlsx",
        "Excelファイル（.xlsx）として読めません。ファイルが壊れていないか",
    ),
    # CSV parsed strictly: each problem with its line
    (
        "open_quote_swallows_rows.csv",
        'CSVの3行目で始まる「"」で囲まれた値が5行目まで続き、その間の行が1つの値として読まれて',
    ),
    (
        "open_quote_to_end_of_file.csv",
        'CSVの3行目で始まる「"」（ダブルクォーテーション）が閉じられていません',
    ),
    ("text_after_closing_quote.csv", 'CSVの2行目: 「"」で囲んだ値のすぐあとに文字があります'),
    ("nul_bytes_in_a_row.csv", "CSVの3行目に、文字ではないデータ（ヌル文字）が入っています"),
    (
        "nul_padding_after_last_row.csv",
        "CSVの6行目に、文字ではないデータ（ヌル文字）が入っています",
    ),
    (
        "header_repeated_mid_file.csv",
        "3行目: 見出しの行がもう一度あります（1行目と同じ見出しです）",
    ),
    (
        "header_repeated_mid_sheet.xlsx",
        "5行目: 見出しの行がもう一度あります（1行目と同じ見出しです）",
    ),
    ("tab_separated.csv", "CSVの1行目は、コンマ（,）ではなくタブで区切られています"),
    (
        "semicolon_separated.csv",
        "CSVの1行目は、コンマ（,）ではなくセミコロン（;）で区切られています",
    ),
    (
        "fullwidth_comma_separated.csv",
        "CSVの1行目は、コンマ（,）ではなく全角のコンマ（，）で区切られて",
    ),
    (
        "tab_separated_row_pasted_mid_file.csv",
        "CSVの4行目は、コンマ（,）ではなくタブで区切られています",
    ),
    ("note_over_cell_limit.csv", "CSVの2行目に長すぎる値があります（32,767文字超）"),
    ("value_over_cell_limit.csv", "CSVの2行目に長すぎる値があります（32,767文字超）"),
    ("utf16_unicode_text.csv", "CSVの文字コードがUTF-16です（Excelの「Unicode テキスト」"),
    ("utf16_without_bom.csv", "CSVの文字コードがUTF-16です"),
    # bounded cost: counted while reading, whatever the zip declares
    ("shared_strings_over_count.xlsx", "Excelファイルの中身が大きすぎます（文字列が100,000個超）"),
    ("sheet_part_over_size.xlsx", "Excelファイルの中身が大きすぎます（1つの部品が展開後20MB超）"),
    ("cells_over_limit.xlsx", "Excelファイルの中身が大きすぎます（セルが200,000個超）"),
    (
        "declared_size_understated.xlsx",
        "Excelファイル（.xlsx）として読めません。ファイルが壊れていないか",
    ),
    # bombs and broken XML
    (
        "dimension_claims_whole_sheet.xlsx",
        "2行目 実績値「たくさん」: 「たくさん」は数値として読めません",
    ),
    (
        "entity_bomb_after_long_comment.xlsx",
        "安全のため読み込まない記述（XMLの DOCTYPE・ENTITY 宣言）",
    ),
    ("entity_bomb_in_sheet.xlsx", "安全のため読み込まない記述（XMLの DOCTYPE・ENTITY 宣言）"),
    ("external_entity.xlsx", "安全のため読み込まない記述（XMLの DOCTYPE・ENTITY 宣言）"),
    ("row_past_the_limit.xlsx", "行が多すぎます（10,000行超）"),
    (
        "sheet_not_well_formed.xlsx",
        "シート「実績」を読めません。ファイルが壊れていないか確認してください",
    ),
    ("zip_bomb.xlsx", "Excelファイルの中身が大きすぎます（展開後50MB超）"),
    # sheets and headers
    (
        "cover_sheet_active_no_jisseki.xlsx",
        "シートが複数あり（「表紙」、「入力」、「Sheet3」）、「実績」という名前のシートがありません",
    ),
    ("duplicate_value_header.csv", "1行目: 見出し「実績値」の列が2つあります（C列とD列）"),
    ("extra_headers_only.xlsx", "見出しの行が見つかりません。KPIコード、年度、実績値"),
    (
        "header_below_row_ten.xlsx",
        "見出しの行が見つかりません（1〜10行目を探しました）。12行目にある見出しの行を",
    ),
    ("header_only.csv", "取り込む行がありません（見出しの下に実績の行がありません）"),
    ("header_without_value.csv", "1行目: 見出し「実績値」の列がありません"),
    ("header_without_year.xlsx", "1行目: 見出し「年度」の列がありません"),
    ("jisseki_sheet_empty.xlsx", "見出しの行が見つかりません。KPIコード、年度、実績値"),
    # what a person could not see
    ("hidden_row_with_bad_value.xlsx", "3行目 実績値「たくさん」: この行は非表示になっています"),
    ("hidden_row_with_unknown_code.xlsx", "3行目 実績値「5」: この行は非表示になっています"),
    ("hidden_value_column.xlsx", "C列（実績値）が非表示になっています"),
    ("merged_code_cells.xlsx", "2〜3行目 KPIコード: セルが結合されています（A2:A3）"),
    ("merged_value_cells.xlsx", "2〜3行目 実績値: セルが結合されています（C2:C3）"),
    # … and more of it: hidden sheets, zero sizes, formats and colours that hide the value
    (
        "very_hidden_jisseki_sheet.xlsx",
        "シート「実績」は、Excelの画面からは再表示できない形で隠されています",
    ),
    ("hidden_jisseki_sheet_behind_cover.xlsx", "シート「実績」は非表示になっています"),
    (
        "zero_height_row_with_value.xlsx",
        "3行目 実績値「1200」: この行は高さが0で、中身が見えません",
    ),
    (
        "rows_zero_height_by_default.xlsx",
        "3行目 実績値「1200」: この行は高さが0で、中身が見えません",
    ),
    ("zero_width_value_column.xlsx", "C列（実績値）の幅が0で、中身が見えません"),
    ("zero_width_note_column_with_note.xlsx", "D列（備考）の幅が0で、中身が見えません"),
    ("hidden_note_column_with_note.xlsx", "D列（備考）が非表示になっています"),
    (
        "value_hidden_by_semicolons.xlsx",
        "3行目 実績値「1200」: C3セルの表示形式「;;;」のため、値が画面に表示されていません",
    ),
    (
        "zero_hidden_by_empty_zero_section.xlsx",
        "2行目 実績値「0」: C2セルの表示形式「#,##0;-#,##0;」のため、値が画面に表示されていません",
    ),
    (
        "note_hidden_by_semicolons.xlsx",
        "2行目 備考「内部メモ: 数値は暫定」: D2セルの表示形式「;;;」のため",
    ),
    (
        "white_theme_text_on_no_fill.xlsx",
        "3行目 実績値「1200」: C3セルの文字が背景と同じ（またはほとんど同じ）色で、値が見えません",
    ),
    (
        "yellow_text_on_yellow_fill.xlsx",
        "3行目 実績値「65」: C3セルの文字が背景と同じ（またはほとんど同じ）色で",
    ),
    (
        "grey_text_on_same_grey_fill.xlsx",
        "2行目 実績値「324081」: C2セルの文字が背景と同じ（またはほとんど同じ）色で",
    ),
    (
        "white_by_number_format.xlsx",
        "2行目 実績値「324081」: C2セルの表示形式「[White]#,##0」で、文字が背景と同じ",
    ),
    ("duplicate_sheet_member.xlsx", "Excelファイルの中に、同じ名前の部品が2つ入っています"),
    (
        "duplicate_shared_strings_member.xlsx",
        "Excelファイルの中に、同じ名前の部品が2つ入っています",
    ),
    (
        "member_names_differ_only_in_case.xlsx",
        "Excelファイルの中に、同じ名前の部品が2つ入っています",
    ),
    # percent-formatted cells: read as the percentage shown, refused where it is no value
    (
        "percent_cell_on_count_kpi.xlsx",
        "2行目 実績値「98.2%」: セルの表示形式がパーセント（％）ですが、このKPIは単位「件」で測ります",
    ),
    (
        "percent_cell_on_milestone_kpi.xlsx",
        "2行目 実績値「50%」: セルの表示形式がパーセント（％）ですが、このKPIは段階",
    ),
    (
        "year_cell_formatted_as_percent.xlsx",
        "2行目 年度「202400%」: 「202400%」は年度として読めません",
    ),
    # formulas and Excel errors
    ("error_value_without_formula.xlsx", "2行目 実績値「#N/A」: Excelのエラー値です"),
    (
        "formula_in_code_without_cached_value.xlsx",
        "2行目 KPIコード: 数式の計算結果が保存されていません",
    ),
    ("formula_text_in_value.csv", "2行目 実績値「=1+1」: 「=1+1」は数値として読めません"),
    ("formula_with_cached_error.xlsx", "2行目 実績値「#DIV/0!」: Excelのエラー値です"),
    (
        "formula_with_cached_text.xlsx",
        "2行目 実績値「たくさん」: 「たくさん」は数値として読めません",
    ),
    ("formula_without_cached_value.xlsx", "2行目 実績値: 数式の計算結果が保存されていません"),
    # years
    ("date_cell_in_value.xlsx", "2行目 実績値「2025/3/31」: 日付として入力されています"),
    ("date_cell_in_year.xlsx", "2行目 年度「2026/4/1」: 日付ではなく年度を入力してください"),
    ("date_text_era_in_year.csv", "2行目 年度「R8.4.1」: 日付ではなく年度を入力してください"),
    ("date_text_slash_in_year.csv", "2行目 年度「2026/4/1」: 日付ではなく年度を入力してください"),
    (
        "fullwidth_year_outside_window.csv",
        "2行目 年度「Ｒ１２」: 令和12年度（2030年度）は計画の期間外です",
    ),
    ("h31_outside_window.csv", "2行目 年度「H31年度」: 令和元年度（2019年度）は計画の期間外です"),
    ("negative_year_u2212.csv", "2行目 年度「\u22122025」: 「\u22122025」は年度として読めません"),
    (
        "reiwa_gannen_outside_window.csv",
        "2行目 年度「令和元年度」: 令和元年度（2019年度）は計画の期間外です",
    ),
    (
        "year_as_number_outside_window.xlsx",
        "2行目 年度「2023」: 令和5年度（2023年度）は計画の期間外です。1-3-K01 は令和6年度から",
    ),
    # values
    ("boolean_value.xlsx", "2行目 実績値「TRUE」: 「TRUE」は数値として読めません"),
    ("double_triangle_value.csv", "2行目 実績値「△△5」: 「△△5」は数値として読めません"),
    (
        "fullwidth_digits_with_letters.csv",
        "2行目 実績値「１２ａｂ」: 「１２ａｂ」は数値として読めません（数値のあとの「ab」",
    ),
    ("fullwidth_number_too_long.csv", "実績値: この値は合計 18 桁以内でなければなりません"),
    ("man_on_percent_kpi.csv", "2行目 実績値「3万％」: 割合（％）の値に「万」は使えません"),
    (
        "man_with_other_unit_on_percent_kpi.csv",
        "2行目 実績値「1.2万人」: 「1.2万人」の単位「人」は、このKPIの単位「％」と違います",
    ),
    (
        "number_for_milestone_kpi.csv",
        "2行目 実績値「50」: 「50」は段階として読めません（未着手・着手・完了",
    ),
    (
        "other_unit_on_count_kpi.csv",
        "2行目 実績値「5人」: 「5人」の単位「人」は、このKPIの単位「件」と違います",
    ),
    (
        "sen_en_on_count_kpi.csv",
        "2行目 実績値「5千円」: 「5千円」は数値として読めません（数値のあとの「円」",
    ),
    ("stage_for_numeric_kpi.csv", "2行目 実績値「着手」: このKPIは数値で測ります"),
    (
        "trailing_u2212_value.csv",
        "2行目 実績値「５\u2212」: 「５\u2212」は数値として読めません（数値のあとの「-」",
    ),
    ("value_without_code.csv", "2行目 KPIコード: KPIコードが空欄です"),
    # numbers with two readings (tests/fixtures/make_bad_number_files.py)
    (
        "number_separator_commas_between_digits.csv",
        "3行目 実績値「1,2,3」: 「1,2,3」は「,」が3桁ごとの位置にないので、1,234 のように",
    ),
    (
        "number_separator_decimal_comma.csv",
        "3行目 実績値「98,2」: 「98,2」は「,」が3桁ごとの位置にないので、小数なら「98.2」",
    ),
    (
        "number_separator_decimal_comma_text_cell.xlsx",
        "3行目 実績値「76,5%」: 「76,5%」は「,」が3桁ごとの位置にないので、小数なら「76.5」",
    ),
    (
        "number_separator_fullwidth_commas.xlsx",
        "3行目 実績値「３２，４０，８１」: 「３２，４０，８１」は「,」が3桁ごとの位置にない",
    ),
    (
        "number_separator_grouped_by_four.csv",
        "3行目 実績値「32,4081件」: 「32,4081件」は「,」が3桁ごとの位置にないので",
    ),
    (
        "number_separator_stray_commas.csv",
        "3行目 実績値「,5,」: 「,5,」は「,」が3桁ごとの位置にないので",
    ),
    (
        "number_separator_two_digit_group.xlsx",
        "3行目 実績値「1,23」: 「1,23」は「,」が3桁ごとの位置にないので、小数なら「1.23」",
    ),
    (
        "number_spaced_after_comma.xlsx",
        "3行目 実績値「330, 000」: 「330, 000」は数字の間に空白があり",
    ),
    (
        "number_spaced_digits.csv",
        "3行目 実績値「330 000」: 「330 000」は数字の間に空白があり、1つの数値か2つの数値か"
        "決まらないので、空白を消して入力してください",
    ),
    (
        "number_spaced_fullwidth_space.csv",
        "3行目 実績値「３３０\u3000０００件」: 「３３０\u3000０００件」は数字の間に空白があり",
    ),
    (
        "number_spaced_no_break_space.xlsx",
        "3行目 実績値「330\u00a0000」: 「330\u00a0000」は数字の間に空白があり",
    ),
    (
        "number_negative_count_minus.csv",
        "3行目 実績値「-5件」: 「-5件」はマイナスの値ですが、「件」で数える値はマイナスにならない"
        "ので、0以上の値を入力してください",
    ),
    (
        "number_negative_count_numeric_cell.xlsx",
        "3行目 実績値「-5」: 「-5」はマイナスの値ですが、「地点」で数える値はマイナスにならない",
    ),
    (
        "number_negative_count_triangle.xlsx",
        "3行目 実績値「▲3社」: 「▲3社」はマイナスの値ですが、「社」で数える値はマイナスにならない",
    ),
    (
        "number_negative_hours_u2212.csv",
        "3行目 実績値「\u22122時間」: 「\u22122時間」はマイナスの値ですが、このKPIは計画の"
        "現状値・目標値にマイナスがないので、0以上の値を入力してください",
    ),
    (
        "number_negative_share_numeric_cell.xlsx",
        "3行目 実績値「-3」: 「-3」はマイナスの値ですが、このKPIは計画の現状値・目標値に"
        "マイナスがない",
    ),
    (
        "number_minus_zero_decimal.csv",
        "3行目 実績値「▲0.0」: 「▲0.0」はマイナスの付いた0で、0なのか0に丸めたマイナスの値なのか"
        "決まらないので、0なら「0」と入力してください",
    ),
    (
        "number_minus_zero_rounded_by_format.xlsx",
        "3行目 実績値「-0.4」: 「-0.4」はマイナスの値ですが、「地点」で数える値はマイナスにならない",
    ),
    (
        "number_minus_zero_text_cell.xlsx",
        "3行目 実績値「-0」: 「-0」はマイナスの付いた0で、0なのか0に丸めたマイナスの値なのか",
    ),
    (
        "number_minus_zero_triangle.csv",
        "3行目 実績値「△0」: 「△0」はマイナスの付いた0で、0なのか0に丸めたマイナスの値なのか",
    ),
    (
        "number_share_just_over_100.csv",
        "3行目 実績値「100.5％」: 「100.5％」は100％を超えていますが、このKPIは割合（％）で"
        "0〜100の範囲なので",
    ),
    (
        "number_share_over_100_percent.csv",
        "3行目 実績値「250%」: 「250%」は100％を超えていますが、このKPIは割合（％）で",
    ),
    (
        "number_share_point_left_out.xlsx",
        "3行目 実績値「982」: 「982」は100％を超えていますが、このKPIは割合（％）で",
    ),
    # codes, duplicates, encodings
    (
        "duplicate_kpi_and_year.csv",
        "3行目 KPIコード「1-1-K01」: 1-1-K01 の令和6年度（2024年度）は2行目にもあります",
    ),
    (
        "duplicate_kpi_and_year.xlsx",
        "3行目 KPIコード「1-1-K01」: 1-1-K01 の令和6年度（2024年度）は2行目にもあります",
    ),
    ("good_rows_then_one_bad.xlsx", "4行目 実績値「半日」: 「半日」は数値として読めません"),
    ("shift_jis_with_bad_row.csv", "3行目 実績値「約千件」: 「約千件」は数値として読めません"),
    (
        "unknown_fullwidth_kpi_code.xlsx",
        "2行目 KPIコード「１－１－Ｋ９９」: このKPIコードは計画にありません",
    ),
    ("unknown_kpi_code.csv", "3行目 KPIコード「9-9-K99」: このKPIコードは計画にありません"),
    ("utf8_bom_with_bad_row.csv", "3行目 実績値「六割」: 「六割」は数値として読めません"),
]
REASON_NAMES = [getattr(case, "values", case)[0] for case in REASONS]


def test_every_bad_file_has_its_reason_in_the_table_and_only_once():
    names = {path.name for path in BAD_FILES}
    without_reason = sorted(names - set(REASON_NAMES))
    without_file = sorted(set(REASON_NAMES) - names)
    assert not without_reason, f"add these files and their refusal to REASONS: {without_reason}"
    assert not without_file, f"these REASONS have no file in the folder: {without_file}"
    assert len(REASON_NAMES) == len(set(REASON_NAMES)), "a file is listed twice in REASONS"


@pytest.mark.parametrize(("name", "message"), REASONS, ids=REASON_NAMES)
def test_the_refusal_says_what_is_wrong_and_where(name, message):
    with pytest.raises(ImportRefused) as caught:
        import_actuals(path=FOLDER / name)
    assert message in caught.value.errors[0], caught.value.errors


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


def test_a_percent_cell_on_a_percent_kpi_is_the_percentage_a_person_sees(tmp_path):
    book = Workbook()
    ws = book.active
    ws.title = "実績"
    ws.append(["KPIコード", "年度", "実績値"])
    ws.append(["1-3-K01", "R7", 0.982])
    ws.append(["1-3-K01", "R6", 0.65])
    ws["C2"].number_format = "0.0%"
    ws["C3"].number_format = "0%"  # shows 65%
    book.save(tmp_path / "percent.xlsx")
    import_actuals(path=tmp_path / "percent.xlsx")
    values = dict(Actual.objects.values_list("fiscal_year", "value"))
    assert values == {2025: Decimal("98.2"), 2024: Decimal(65)}


def test_what_a_person_can_see_is_read_even_when_formatted(tmp_path):
    """Dark text on a light fill, white text on a dark fill, a hidden helper sheet and a hidden
    column the importer ignores, a number typed in a text (@) cell, a formula that gives ""."""
    book = Workbook()
    ws = book.active
    ws.title = "実績"
    ws.append(["KPIコード", "年度", "実績値", "備考", "作業用"])
    ws.append(["1-1-K01", "R6", 324081, "速報値", "メモ"])
    ws.append(["1-1-K02", "R6", 1200, None, "メモ"])
    ws["C2"].fill = PatternFill("solid", fgColor="FFF2CC")
    ws["C3"].font = Font(color="FFFFFF")
    ws["C3"].fill = PatternFill("solid", fgColor="1F4E78")
    ws["C3"].number_format = "@"
    ws.column_dimensions["E"].hidden = True
    book.create_sheet("リスト").sheet_state = "hidden"
    book["リスト"].append(["未着手", "着手", "完了"])
    path = tmp_path / "formatted.xlsx"
    book.save(path)
    result = import_actuals(path=path)
    assert len(result.added) == 2


def test_a_note_typed_over_two_lines_in_a_csv_is_fine(tmp_path):
    path = tmp_path / "note.csv"
    path.write_text(
        'KPIコード,年度,実績値,備考\r\n1-1-K01,R6,324081,"速報値\r\n確定は6月"\r\n'
        "1-1-K02,R6,1200,\r\n",
        encoding="utf-8",
    )
    import_actuals(path=path)
    assert Actual.objects.get(kpi__code="1-1-K01").note == "速報値\r\n確定は6月"
    assert Actual.objects.count() == 2

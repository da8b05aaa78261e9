"""The file reader alone: a .csv or .xlsx becomes numbered rows of raw cells plus the layout facts
a person could not see; what the rows mean (KPIs, headers) is not its business."""

import datetime
import zipfile

import pytest
from openpyxl import Workbook

from shizuoka_dx.tabular import (
    HIDDEN,
    MAX_FILE_BYTES,
    MAX_ROWS,
    FileRefused,
    Merge,
    column_letter,
    read_grid,
)


def read(path, **kwargs):
    return read_grid(path, **{"sheet": "データ", "subject": "明細", **kwargs})


def refusal(path, **kwargs) -> list[str]:
    with pytest.raises(FileRefused) as caught:
        read(path, **kwargs)
    return caught.value.errors


def test_a_shift_jis_csv_becomes_numbered_rows_of_text(tmp_path):
    path = tmp_path / "any.csv"
    path.write_bytes("名前,数\r\n静岡,１２\r\n\r\n清水,\r\n".encode("cp932"))
    grid = read(path)
    assert grid.rows == [(1, ["名前", "数"]), (2, ["静岡", "１２"]), (3, []), (4, ["清水", ""])]
    assert not (grid.layout.hidden_rows or grid.layout.merged or grid.layout.formula_cells)


def test_an_xlsx_gives_raw_values_and_what_a_person_could_not_see(tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.title = "データ"
    sheet.append(["名前", "日付", "数"])
    sheet.append(["静岡", datetime.datetime(2026, 4, 1), 12])
    sheet.append(["清水", None, "=1+1"])  # a formula openpyxl saves without a result
    sheet.append(["蒲原", None, 3.5])
    sheet.row_dimensions[4].hidden = True
    sheet.column_dimensions["B"].hidden = True
    sheet.merge_cells("A2:A3")
    book.create_sheet("表紙")
    path = tmp_path / "any.xlsx"
    book.save(path)

    grid = read(path)

    assert grid.rows[1] == (2, ["静岡", datetime.datetime(2026, 4, 1), 12])
    assert grid.rows[3] == (4, ["蒲原", None, 3.5])
    assert grid.layout.hidden_rows == {4: HIDDEN}
    assert grid.layout.hidden_columns == {1: HIDDEN}
    assert grid.layout.merged == [Merge("A2:A3", 2, 0, 3, 0)]
    assert grid.layout.formula_cells == [(3, 2)]


def test_the_caller_names_the_sheet_and_what_the_rows_hold(tmp_path):
    book = Workbook()
    book.active.title = "表紙"
    book.create_sheet("入力")
    path = tmp_path / "two.xlsx"
    book.save(path)
    assert refusal(path) == [
        "シートが複数あり（「表紙」、「入力」）、「データ」という名前のシートがありません。"
        "明細を入力したシートの名前を「データ」にしてください。"
    ]
    assert read(path, sheet="入力").rows == []


def test_a_workbook_of_one_sheet_is_read_whatever_its_name(tmp_path):
    book = Workbook()
    book.active.title = "Sheet1"
    book.active.append(["a", 1])
    path = tmp_path / "one.xlsx"
    book.save(path)
    assert read(path).rows == [(1, ["a", 1])]


def test_too_many_rows_says_what_the_file_should_hold(tmp_path):
    path = tmp_path / "long.csv"
    path.write_text("x\n" * (MAX_ROWS + 1), encoding="utf-8")
    assert refusal(path) == [
        f"行が多すぎます（{MAX_ROWS:,}行超）。明細の行だけのファイルにしてください。"
    ]


def test_an_entity_declaration_is_refused_before_any_parsing(tmp_path):
    path = tmp_path / "entity.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("xl/workbook.xml", '<!DOCTYPE x [<!ENTITY a "aaaa">]><workbook/>')
    (message,) = refusal(path)
    assert "安全のため読み込まない記述（XMLの DOCTYPE・ENTITY 宣言）" in message


@pytest.mark.parametrize(
    ("name", "content", "says"),
    [
        ("missing.csv", None, "が見つかりません"),
        ("empty.csv", b"", "ファイルが空です。"),
        ("big.csv", b"x" * (MAX_FILE_BYTES + 1), "ファイルが大きすぎます（5.0MB）"),
        ("old.xls", b"x", ".xls 形式のファイルは読み込めません"),
        ("notes.txt", b"x", "読み込めるのは .csv と .xlsx のファイルです"),
        ("text.xlsx", b"a,b\n1,2\n", "中身はCSV（テキスト）です"),
        ("utf16.csv", "名称,金額\n".encode("utf-16"), "CSVの文字コードがUTF-16です"),
    ],
)
def test_each_unreadable_file_gets_one_japanese_sentence(tmp_path, name, content, says):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    errors = refusal(path)
    assert len(errors) == 1 and says in errors[0], errors


def test_columns_are_named_as_excel_names_them():
    assert [column_letter(i) for i in (0, 2, 25, 26, 27, 701, 702)] == [
        "A",
        "C",
        "Z",
        "AA",
        "AB",
        "ZZ",
        "AAA",
    ]

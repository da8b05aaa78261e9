"""The file reader alone: a .csv or .xlsx becomes numbered rows of raw cells plus the layout facts
a person could not see; what the rows mean (KPIs, headers) is not its business."""

import datetime
import re
import warnings
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.styles.colors import Color

from shizuoka_dx.tabular import (
    FORMAT_HIDES,
    HIDDEN,
    MAX_CELL_CHARS,
    MAX_FILE_BYTES,
    MAX_LINES,
    MAX_ROWS,
    SAME_COLOUR,
    ZERO_SIZE,
    FileRefused,
    Merge,
    Unseen,
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
    path.write_text("x\n" * (MAX_LINES + 1), encoding="utf-8")
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


# ---- what a person sees ----------------------------------------------------------------


def book_with(rows, *, title="データ"):
    book = Workbook()
    sheet = book.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    return book, sheet


def saved(tmp_path, book, name="any.xlsx"):
    path = tmp_path / name
    book.save(path)
    return path


def edited(path, member, edit):
    """Rewrite one member of a saved workbook, as another program (or Excel) would store it."""
    with zipfile.ZipFile(path) as archive:
        parts = [(info, archive.read(info)) for info in archive.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, content in parts:
            if info.filename == member:
                content = edit(content.decode()).encode()
            archive.writestr(info.filename, content)
    return path


def test_a_percent_cell_gives_the_percentage_shown(tmp_path):
    book, sheet = book_with([["率", 0.982, 0.3, 0.5, -0.05]])
    sheet["B1"].number_format = "0.0%"
    sheet["C1"].number_format = "0%"
    sheet["D1"].number_format = '0.0"%"'  # a quoted % is only a character: no ×100
    sheet["E1"].number_format = "0%;[Red]-0%"
    path = edited(  # a sum saved with a binary rounding error, as Excel stores it
        saved(tmp_path, book),
        "xl/worksheets/sheet1.xml",
        lambda xml: re.sub(r'(<c r="C1"[^>]*><v>)[^<]+', r"\g<1>0.30000000000000004", xml),
    )
    grid = read(path)
    assert grid.rows == [(1, ["率", 0.982, 0.30000000000000004, 0.5, -0.05])]
    assert grid.layout.percent_cells == {(1, 1): "98.2%", (1, 2): "30%", (1, 4): "-5%"}


def test_formats_and_colours_that_hide_a_value_are_reported_cell_by_cell(tmp_path):
    book, sheet = book_with(
        [["見える", 1, 0, "文字", 5, 6, 7, 8, None]],
    )
    sheet["B1"].number_format = ";;;"
    sheet["C1"].number_format = "0;-0;;@"  # zero shown as nothing
    sheet["D1"].number_format = ";;;"
    sheet["E1"].font = Font(color="FFFFFF")  # white on no fill
    sheet["F1"].font = Font(color="FFFFFF")
    sheet["F1"].fill = PatternFill("solid", fgColor="1F4E78")  # white on dark blue: seen
    sheet["G1"].fill = PatternFill("solid", fgColor="FFFF00")  # black on yellow: seen
    sheet["H1"].font = Font(color=Color(theme=0, tint=-0.05))  # 5 % grey on white
    sheet["I1"].number_format = ";;;"  # empty: nothing to hide
    grid = read(saved(tmp_path, book))
    assert grid.layout.unseen_cells == {
        (1, 1): Unseen(FORMAT_HIDES, ";;;"),
        (1, 2): Unseen(FORMAT_HIDES, "0;-0;;@"),
        (1, 3): Unseen(FORMAT_HIDES, ";;;"),
        (1, 4): Unseen(SAME_COLOUR),
        (1, 7): Unseen(SAME_COLOUR),
    }


def test_zero_height_rows_and_zero_width_columns_are_reported(tmp_path):
    book, _sheet = book_with([["a", "b", "c"], ["d", "e", "f"], ["g", "h", "i"]])
    path = edited(
        saved(tmp_path, book),
        "xl/worksheets/sheet1.xml",
        lambda xml: xml.replace('<row r="2">', '<row r="2" ht="0" customHeight="1">').replace(
            "<sheetData>",
            '<cols><col min="2" max="3" width="0" customWidth="1"/></cols><sheetData>',
        ),
    )
    layout = read(path).layout
    assert layout.hidden_rows == {2: ZERO_SIZE}
    assert layout.hidden_columns == {1: ZERO_SIZE, 2: ZERO_SIZE}


@pytest.mark.parametrize(
    ("state", "says"),
    [
        ("hidden", "シート「データ」は非表示になっています。シートを再表示"),
        ("veryHidden", "シート「データ」は、Excelの画面からは再表示できない形で隠されています"),
    ],
)
def test_a_hidden_sheet_is_never_read(tmp_path, state, says):
    book, _sheet = book_with([["隠れた", 999]])
    book.create_sheet("表紙").append(["見える", 1])
    book["データ"].sheet_state = state
    book.active = 1
    (message,) = refusal(saved(tmp_path, book))
    assert message.startswith(says), message


def test_a_hidden_sheet_that_is_not_read_does_not_matter(tmp_path):
    book, _sheet = book_with([["見える", 1]])
    book.create_sheet("リスト").sheet_state = "veryHidden"
    assert read(saved(tmp_path, book)).rows == [(1, ["見える", 1])]


@pytest.mark.parametrize("second", ["xl/worksheets/sheet1.xml", "XL/Worksheets/Sheet1.xml"])
def test_a_zip_holding_a_member_twice_is_refused(tmp_path, second):
    book, _sheet = book_with([["a", 1]])
    path = saved(tmp_path, book)
    with zipfile.ZipFile(path) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with zipfile.ZipFile(path, "a") as archive:
            archive.writestr(second, sheet.replace(b">1<", b">2<"))
    (message,) = refusal(path)
    assert "同じ名前の部品が2つ入っています" in message


def test_japanese_date_formats_phonetic_readings_and_escapes_read_as_excel_shows(tmp_path):
    book, _sheet = book_with([[45748, "x", "y"]])
    path = saved(tmp_path, book)
    strings = (
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<si><t>静岡</t><rPh sb="0" eb="2"><t>シズオカ</t></rPh></si>'
        "<si><r><t>行1_x000D_</t></r><r><t>行2</t></r></si></sst>"
    )
    edited(
        path,
        "xl/styles.xml",
        lambda xml: xml.replace(
            "</cellXfs>", '<xf numFmtId="31" fontId="0" fillId="0" borderId="0"/></cellXfs>'
        ),
    )
    edited(
        path,
        "xl/worksheets/sheet1.xml",
        lambda xml: re.sub(
            r"<sheetData>.*</sheetData>",
            '<sheetData><row r="1"><c r="A1" s="1"><v>45748</v></c>'
            '<c r="B1" t="s"><v>0</v></c><c r="C1" t="s"><v>1</v></c></row></sheetData>',
            xml,
        ),
    )
    edited(
        path,
        "xl/_rels/workbook.xml.rels",
        lambda xml: xml.replace(
            "</Relationships>",
            '<Relationship Id="rId99" Type="http://schemas.openxmlformats.org/officeDocument/'
            '2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>',
        ),
    )
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("xl/sharedStrings.xml", strings)
    assert read(path).rows == [(1, [datetime.datetime(2025, 4, 1), "静岡", "行1\r行2"])]


# ---- bounded cost ----------------------------------------------------------------------


def test_each_part_is_read_once_and_the_sheet_in_one_pass(tmp_path, monkeypatch):
    from shizuoka_dx import tabular

    book, sheet = book_with([["a", 1], ["b", "=1+1"]])
    sheet.row_dimensions[2].hidden = True
    sheet.merge_cells("A1:A2")
    opened = []
    chunks = tabular._Archive.chunks

    def counted(self, name):
        opened.append(name)
        return chunks(self, name)

    monkeypatch.setattr(tabular._Archive, "chunks", counted)
    grid = read(saved(tmp_path, book))
    assert grid.layout.formula_cells == [(2, 1)] and grid.layout.hidden_rows == {2: HIDDEN}
    assert sorted(opened) == sorted(set(opened))
    assert opened.count("xl/worksheets/sheet1.xml") == 1


@pytest.mark.parametrize(
    ("limit", "value", "says"),
    [
        ("MAX_MEMBER_BYTES", 2_000, "1つの部品が展開後"),
        ("MAX_CELLS", 50, "セルが50個超"),
        ("MAX_SHARED_STRINGS", 5, "文字列が5個超"),
        ("MAX_ELEMENTS", 100, "書式や文字列などの情報が多すぎます"),
    ],
)
def test_what_the_reader_builds_is_counted_while_reading(tmp_path, monkeypatch, limit, value, says):
    from shizuoka_dx import tabular

    book, _sheet = book_with([[f"文字{n}", n] for n in range(40)])
    path = saved(tmp_path, book)
    strings = "".join(f"<si><t>文字{n}</t></si>" for n in range(40))
    edited(
        path,
        "xl/_rels/workbook.xml.rels",
        lambda xml: xml.replace(
            "</Relationships>",
            '<Relationship Id="rId99" Type="http://schemas.openxmlformats.org/officeDocument/'
            '2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>',
        ),
    )
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr(
            "xl/sharedStrings.xml",
            f'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">{strings}</sst>',
        )
    monkeypatch.setattr(tabular, limit, value)
    (message,) = refusal(path)
    assert message.startswith("Excelファイルの中身が大きすぎます（") and says in message, message


def test_merged_cells_are_counted_too(tmp_path, monkeypatch):
    from shizuoka_dx import tabular

    book, sheet = book_with([["a", "b"]] * 12)
    for row in range(1, 12, 2):
        sheet.merge_cells(f"A{row}:A{row + 1}")
    monkeypatch.setattr(tabular, "MAX_MERGES", 5)
    (message,) = refusal(saved(tmp_path, book))
    assert "結合セルが5個超" in message


def test_the_reader_uses_no_private_openpyxl_api():
    source = (Path(__file__).resolve().parents[2] / "shizuoka_dx" / "tabular.py").read_text()
    assert "_get_source" not in source
    assert not re.search(r"from openpyxl[\w.]* import _", source)


# ---- CSV, strictly ---------------------------------------------------------------------

LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
CODES = {"CSV", "UTF", "Shift_JIS", "Shift", "JIS", "Excel"}


@pytest.mark.parametrize(
    ("text", "says"),
    [
        (
            'a,b\r\n1,"x\r\n2,y\r\n',
            'CSVの2行目で始まる「"」（ダブルクォーテーション）が閉じられていません',
        ),
        ('a,b\r\n1,"x\r\n2,y"\r\n3,z\r\n', 'CSVの2行目で始まる「"」で囲まれた値が3行目まで続き'),
        ('a,b\r\n1,"x"y\r\n', 'CSVの2行目: 「"」で囲んだ値のすぐあとに文字があります'),
        ("a,b\r\n1,2\r\n3\x004\r\n", "CSVの3行目に、文字ではないデータ（ヌル文字）"),
        ("a\tb\tc\r\n1\t2\t3\r\n", "CSVの1行目は、コンマ（,）ではなくタブで区切られています"),
        ("a;b;c\r\n", "CSVの1行目は、コンマ（,）ではなくセミコロン（;）で区切られています"),
        ("a,b,c\r\n1，2，3\r\n", "CSVの2行目は、コンマ（,）ではなく全角のコンマ（，）で区切られて"),
        ("a,b\r\n1," + "x" * (MAX_CELL_CHARS + 1) + "\r\n", "CSVの2行目に長すぎる値があります"),
        ('a,b\r\n1,"' + "x" * 140_000 + '"\r\n', "CSVの2行目に長すぎる値があります"),
    ],
    ids=[
        "open-quote",
        "swallowed",
        "after-quote",
        "nul",
        "tab",
        "semicolon",
        "fullwidth",
        "long",
        "csv-limit",
    ],
)
def test_a_csv_is_read_strictly_with_the_line_in_japanese(tmp_path, text, says):
    path = tmp_path / "strict.csv"
    path.write_text(text, encoding="utf-8", newline="")
    (message,) = refusal(path)
    assert message.startswith(says), message
    assert not set(LATIN_WORD.findall(message)) - CODES, message


def test_a_csv_in_utf16_says_so_with_or_without_a_bom(tmp_path):
    for data in ("a,b\r\n".encode("utf-16"), "a,b\r\n1,2\r\n".encode("utf-16-le")):
        path = tmp_path / "utf16.csv"
        path.write_bytes(data)
        (message,) = refusal(path)
        assert message.startswith("CSVの文字コードがUTF-16です"), message


def test_a_title_with_a_separator_like_character_and_notes_over_lines_are_fine(tmp_path):
    path = tmp_path / "fine.csv"
    path.write_text(
        '令和6年度；実績\r\na,b\r\n1,"一行目\r\n二行目、続き"\r\n', encoding="utf-8", newline=""
    )
    assert read(path).rows == [
        (1, ["令和6年度；実績"]),
        (2, ["a", "b"]),
        (3, ["1", "一行目\r\n二行目、続き"]),
    ]

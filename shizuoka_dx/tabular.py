"""Reading an uploaded .csv or .xlsx safely into a grid of raw cells, and what a person could not
see in it. Nothing here knows what the rows mean: the caller names the sheet to read and what the
rows hold (for its messages), and decides which of the layout facts matter.

Every refusal is a ``FileRefused`` with one plain Japanese line. An .xlsx is checked before
openpyxl parses it (size, unpacked size, XML entity declarations); its sheet is read twice (saved
values, and formulas to find those without a saved result) and its XML once more for the facts
the read-only reader skips: hidden rows and columns, merged cells.
"""

import csv
import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from defusedxml import DefusedXmlException

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_UNPACKED_BYTES = 50 * 1024 * 1024
MAX_ROWS = 10_000
MAX_COLUMNS = 200
PROLOG_BYTES = 64 * 1024  # the head of each XML member searched for entity declarations
OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls and other old Office files
ENCODINGS = ("utf-8-sig", "cp932")
UNSAFE_XML = (
    "Excelファイルの中に、安全のため読み込まない記述（XMLの DOCTYPE・ENTITY 宣言）があります。"
    "Excelで開いて「Excel ブック (*.xlsx)」として保存し直してください。"
)
NOT_XLSX = "Excelファイル（.xlsx）として読めません。ファイルが壊れていないか確認してください。"


class FileRefused(Exception):
    """The file cannot be read; ``errors`` holds one Japanese line per problem."""

    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


class Merge(NamedTuple):
    ref: str  # as Excel shows it: "A2:A3"
    first_row: int
    first_column: int  # 0-based
    last_row: int
    last_column: int  # 0-based


@dataclass
class SheetLayout:
    """What a sheet hides from the person who checked it: hidden rows and columns, merged cells,
    and formulas whose result was never saved. Empty for a CSV."""

    hidden_rows: set[int] = field(default_factory=set)  # row numbers (1 = first row)
    hidden_columns: set[int] = field(default_factory=set)  # 0-based column indexes
    merged: list[Merge] = field(default_factory=list)
    formula_cells: list[tuple[int, int]] = field(default_factory=list)  # (row, 0-based column)


@dataclass
class Grid:
    """The cells as read: ``rows`` pairs the row number people see (1 = the first line of the
    file) with that row's raw values (str, numbers, dates, None), at most MAX_COLUMNS of them."""

    rows: list[tuple[int, list]]
    layout: SheetLayout = field(default_factory=SheetLayout)


def read_grid(path: Path, *, sheet: str, subject: str) -> Grid:
    """Read a .csv or .xlsx file; raises FileRefused.

    ``sheet`` is the sheet to read when a workbook has several (a workbook of one sheet is read
    whatever its name); ``subject`` says what the rows hold (「実績」), for the messages.
    """
    path = Path(path)
    if not path.exists():
        raise FileRefused([f"ファイル「{path}」が見つかりません。"])
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise FileRefused(
            [f"ファイルが大きすぎます（{size / 1024 / 1024:.1f}MB）。5MB以下にしてください。"]
        )
    if size == 0:
        raise FileRefused(["ファイルが空です。"])
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _csv_grid(path.read_bytes(), subject=subject)
    if suffix == ".xlsx":
        return _xlsx_grid(path, sheet=sheet, subject=subject)
    if suffix in {".xls", ".xlsm", ".xlsb"}:
        raise FileRefused(
            [
                f"{suffix} 形式のファイルは読み込めません。"
                "Excelで「Excel ブック (*.xlsx)」として保存し直してください。"
            ]
        )
    raise FileRefused(["読み込めるのは .csv と .xlsx のファイルです。"])


def column_letter(index: int) -> str:
    """The column as Excel names it: 0 → A, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def _too_many_rows(subject: str) -> FileRefused:
    return FileRefused(
        [f"行が多すぎます（{MAX_ROWS:,}行超）。{subject}の行だけのファイルにしてください。"]
    )


# ---- CSV -------------------------------------------------------------------------------


def _decode(data: bytes) -> str:
    for encoding in ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise FileRefused(
        ["CSVの文字コードが分かりません。UTF-8 または Shift_JIS で保存してください。"]
    )


def _csv_grid(data: bytes, *, subject: str) -> Grid:
    if data.startswith(b"PK\x03\x04"):
        raise FileRefused(
            ["拡張子は .csv ですが、中身はExcelファイルです。拡張子を .xlsx にしてください。"]
        )
    if data.startswith(OLE_SIGNATURE):
        raise FileRefused(
            [
                "拡張子は .csv ですが、中身は古い形式のExcelファイル（.xls）です。"
                "Excelで「CSV UTF-8」か「Excel ブック (*.xlsx)」として保存し直してください。"
            ]
        )
    text = _decode(data)
    if "\x00" in text:
        raise FileRefused(["CSVとして読めません（テキストファイルではありません）。"])
    try:
        lines = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise FileRefused([f"CSVとして読めません（{exc}）。"]) from None
    if len(lines) > MAX_ROWS:
        raise _too_many_rows(subject)
    return Grid(list(enumerate(lines, start=1)))


# ---- xlsx: the archive -----------------------------------------------------------------


def _check_archive(path: Path) -> None:
    """Refuse a file that is not a zip, unpacks too large, or declares XML entities, before
    openpyxl parses anything: a small file can unpack to hundreds of MB."""
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            unpacked = sum(info.file_size for info in infos)
            names = {info.filename for info in infos}
            if unpacked > MAX_UNPACKED_BYTES:
                raise FileRefused(
                    [
                        "Excelファイルの中身が大きすぎます（展開後50MB超）。必要な行だけのファイルにしてください。"
                    ]
                )
            if "xl/workbook.xml" not in names:
                raise FileRefused([NOT_XLSX])
            for info in infos:
                if info.filename.endswith((".xml", ".rels")) and _declares_entities(archive, info):
                    raise FileRefused([UNSAFE_XML])
    except FileRefused:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError):
        raise FileRefused([_not_a_zip_message(path)]) from None
    except Exception:  # zlib and zipfile raise many kinds for a damaged archive
        raise FileRefused([NOT_XLSX]) from None


def _declares_entities(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bool:
    with archive.open(info) as member:
        head = member.read(PROLOG_BYTES)
    markers = (b"<!DOCTYPE", b"<!ENTITY")
    wide = tuple(marker.decode().encode("utf-16-le") for marker in markers)
    return any(marker in head for marker in markers + wide)


def _not_a_zip_message(path: Path) -> str:
    with open(path, "rb") as handle:
        head = handle.read(4096)
    if head.startswith(OLE_SIGNATURE):
        return (
            "拡張子は .xlsx ですが、中身は古い形式のExcelファイル（.xls）か、"
            "パスワードで保護されたファイルです。パスワードを外して、"
            "Excelで「Excel ブック (*.xlsx)」として保存し直してください。"
        )
    if b"\x00" not in head:
        for encoding in ENCODINGS:
            try:
                text = head.decode(encoding)
            except UnicodeDecodeError:
                continue
            if "," in text or "\t" in text:
                return "拡張子は .xlsx ですが、中身はCSV（テキスト）です。拡張子を .csv にしてください。"
    return NOT_XLSX


# ---- xlsx: the sheet -------------------------------------------------------------------


def _xlsx_grid(path: Path, *, sheet: str, subject: str) -> Grid:
    _check_archive(path)

    from openpyxl import load_workbook

    try:
        values_book = load_workbook(path, read_only=True, data_only=True)
        formulas_book = load_workbook(path, read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        if _unsafe_xml(exc):
            raise FileRefused([UNSAFE_XML]) from None
        raise FileRefused(
            [f"Excelファイル（.xlsx）として読めません（{type(exc).__name__}）。"]
        ) from None
    sheet_name = sheet
    try:
        sheet_name = _pick_sheet(values_book.sheetnames, sheet=sheet, subject=subject)
        return _read_sheet(values_book[sheet_name], formulas_book[sheet_name], subject=subject)
    except FileRefused:
        raise
    except Exception as exc:  # a damaged sheet fails only while it is read
        if _unsafe_xml(exc):
            raise FileRefused([UNSAFE_XML]) from None
        raise FileRefused(
            [
                f"シート「{sheet_name}」を読めません（{type(exc).__name__}）。ファイルが壊れていないか確認してください。"
            ]
        ) from None
    finally:
        values_book.close()
        formulas_book.close()


def _unsafe_xml(exc: BaseException) -> bool:
    """defusedxml refused an entity or DTD (openpyxl may wrap that in a ValueError)."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, DefusedXmlException):
            return True
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return False


def _pick_sheet(names: list[str], *, sheet: str, subject: str) -> str:
    if sheet in names:
        return sheet
    if len(names) == 1:
        return names[0]
    listed = "、".join(f"「{name}」" for name in names)
    raise FileRefused(
        [
            f"シートが複数あり（{listed}）、「{sheet}」という名前のシートがありません。"
            f"{subject}を入力したシートの名前を「{sheet}」にしてください。"
        ]
    )


def _read_sheet(values_sheet, formulas_sheet, *, subject: str) -> Grid:
    # A sheet may declare itself A1:XFD1048576; read only the rows and cells it really has.
    values_sheet.reset_dimensions()
    formulas_sheet.reset_dimensions()
    values = values_sheet.iter_rows(values_only=True)
    formulas = formulas_sheet.iter_rows(values_only=True)
    rows = []
    layout = _sheet_layout(values_sheet, subject=subject)
    for number, (row, raw_row) in enumerate(zip(values, formulas, strict=False), start=1):
        if number > MAX_ROWS:
            raise _too_many_rows(subject)
        cells = list(row[:MAX_COLUMNS])
        for column, (value, raw) in enumerate(zip(cells, raw_row, strict=False)):
            if value is None and _is_formula(raw):
                layout.formula_cells.append((number, column))
        rows.append((number, cells))
    return Grid(rows, layout)


def _is_formula(raw) -> bool:
    if isinstance(raw, str):
        return raw.startswith("=")
    return raw is not None and type(raw).__name__ in {"ArrayFormula", "DataTableFormula"}


def _sheet_layout(sheet, *, subject: str) -> SheetLayout:
    """Hidden rows and columns and merged cells, read from the sheet's XML (the read-only reader
    skips them)."""
    from openpyxl.utils.cell import range_boundaries
    from openpyxl.xml.functions import iterparse  # defusedxml's when installed

    layout = SheetLayout()
    row_number = 0
    with sheet._get_source() as source:
        for _event, element in iterparse(source):
            tag = element.tag.rsplit("}", 1)[-1]
            if tag == "row":
                row_number = int(element.get("r") or row_number + 1)
                if _true(element.get("hidden")):
                    layout.hidden_rows.add(row_number)
                if row_number > MAX_ROWS:
                    raise _too_many_rows(subject)
                element.clear()
            elif tag == "col":
                if _true(element.get("hidden")):
                    first, last = int(element.get("min")), int(element.get("max"))
                    layout.hidden_columns.update(range(first - 1, min(last, MAX_COLUMNS)))
            elif tag == "mergeCell":
                ref = element.get("ref") or ""
                try:
                    min_col, min_row, max_col, max_row = range_boundaries(ref)
                except (ValueError, TypeError):
                    continue
                if None not in (min_col, min_row, max_col, max_row):
                    layout.merged.append(Merge(ref, min_row, min_col - 1, max_row, max_col - 1))
    return layout


def _true(value) -> bool:
    return value in {"1", "true"}

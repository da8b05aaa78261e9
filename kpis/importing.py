"""Importing KPI actuals from CSV or Excel: every row or none.

Reading (``read_rows``) turns a file into numbered rows of raw cells; checking (``check_rows``)
turns them into actuals to save or into per-row Japanese errors. Saving is not done here: it is
the yearly cycle's one write path (pdca/services/imports.py → pdca/services/actuals.py).

An .xlsx is checked before openpyxl parses it (size, unpacked size, XML entity declarations), and
what a person could not see when checking it is refused rather than read: merged cells, hidden
rows with a value, hidden KPIコード/年度/実績値 columns, formulas without a saved result.
"""

import csv
import datetime
import io
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from defusedxml import DefusedXmlException

from kpis.models import Kpi
from kpis.parsing import ParsedValue, ValueParseError, normalize_text, parse_actual
from shizuoka_dx.fiscal import FiscalYearError, format_fiscal_year, parse_fiscal_year

MAX_FILE_BYTES = 5 * 1024 * 1024
PROGRESS_EVERY = 200  # rows between progress lines
MAX_UNPACKED_BYTES = 50 * 1024 * 1024
SHEET_NAME = "実績"
HEADER_SEARCH_ROWS = 10
OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls and other old Office files
MAX_ROWS = 10_000
MAX_COLUMNS = 200
PROLOG_BYTES = 64 * 1024
TOO_MANY_ROWS = f"行が多すぎます（{MAX_ROWS:,}行超）。実績の行だけのファイルにしてください。"
UNSAFE_XML = (
    "Excelファイルの中に、安全のため読み込まない記述（XMLの DOCTYPE・ENTITY 宣言）があります。"
    "Excelで開いて「Excel ブック (*.xlsx)」として保存し直してください。"
)
NOT_XLSX = "Excelファイル（.xlsx）として読めません。ファイルが壊れていないか確認してください。"

COLUMNS = {
    "kpi_code": ("kpi_code", "kpiコード", "kpi code", "コード"),
    "fiscal_year": ("fiscal_year", "年度"),
    "value": ("value", "実績値", "実績"),
    "note": ("note", "備考"),
}
COLUMN_LABELS = {"kpi_code": "KPIコード", "fiscal_year": "年度", "value": "実績値", "note": "備考"}
REQUIRED = ("kpi_code", "fiscal_year", "value")


class ImportRefused(Exception):
    """The file cannot be imported at all (format, size, sheet, headers), or some rows are wrong.

    ``errors`` lists one Japanese line per problem; nothing was saved.
    """

    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass
class Row:
    number: int  # the row number people see in Excel (1 = the first line of the file)
    cells: dict[str, object]


@dataclass
class CheckedRow:
    number: int
    kpi: Kpi
    fiscal_year: int
    parsed: ParsedValue
    note: str


# ---- reading files ---------------------------------------------------------------------


def read_rows(path: Path) -> list[Row]:
    path = Path(path)
    if not path.exists():
        raise ImportRefused([f"ファイル「{path}」が見つかりません。"])
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise ImportRefused(
            [f"ファイルが大きすぎます（{size / 1024 / 1024:.1f}MB）。5MB以下にしてください。"]
        )
    if size == 0:
        raise ImportRefused(["ファイルが空です。"])
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _csv_rows(path.read_bytes())
    if suffix == ".xlsx":
        return _xlsx_rows(path)
    if suffix in {".xls", ".xlsm", ".xlsb"}:
        raise ImportRefused(
            [
                f"{suffix} 形式のファイルは読み込めません。"
                "Excelで「Excel ブック (*.xlsx)」として保存し直してください。"
            ]
        )
    raise ImportRefused(["読み込めるのは .csv と .xlsx のファイルです。"])


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp932"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportRefused(
        ["CSVの文字コードが分かりません。UTF-8 または Shift_JIS で保存してください。"]
    )


def _csv_rows(data: bytes) -> list[Row]:
    if data.startswith(b"PK\x03\x04"):
        raise ImportRefused(
            ["拡張子は .csv ですが、中身はExcelファイルです。拡張子を .xlsx にしてください。"]
        )
    if data.startswith(OLE_SIGNATURE):
        raise ImportRefused(
            [
                "拡張子は .csv ですが、中身は古い形式のExcelファイル（.xls）です。"
                "Excelで「CSV UTF-8」か「Excel ブック (*.xlsx)」として保存し直してください。"
            ]
        )
    text = _decode(data)
    if "\x00" in text:
        raise ImportRefused(["CSVとして読めません（テキストファイルではありません）。"])
    try:
        lines = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise ImportRefused([f"CSVとして読めません（{exc}）。"]) from None
    if len(lines) > MAX_ROWS:
        raise ImportRefused([TOO_MANY_ROWS])
    return _rows_from_grid(enumerate(lines, start=1))


@dataclass
class SheetLayout:
    """What a sheet hides from the person who checked it: hidden rows and columns, merged cells,
    and formulas whose result was never saved."""

    hidden_rows: set[int] = field(default_factory=set)  # row numbers (1 = first row)
    hidden_columns: set[int] = field(default_factory=set)  # 0-based column indexes
    merged: list[tuple[str, int, int, int, int]] = field(default_factory=list)
    # (ref, first row, first column (0-based), last row, last column (0-based))
    formula_cells: list[tuple[int, int]] = field(default_factory=list)


def _check_archive(path: Path) -> None:
    """Refuse a file that is not a zip, unpacks too large, or declares XML entities, before
    openpyxl parses anything: a small file can unpack to hundreds of MB."""
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            unpacked = sum(info.file_size for info in infos)
            names = {info.filename for info in infos}
            if unpacked > MAX_UNPACKED_BYTES:
                raise ImportRefused(
                    [
                        "Excelファイルの中身が大きすぎます（展開後50MB超）。必要な行だけのファイルにしてください。"
                    ]
                )
            if "xl/workbook.xml" not in names:
                raise ImportRefused([NOT_XLSX])
            for info in infos:
                if info.filename.endswith((".xml", ".rels")) and _declares_entities(archive, info):
                    raise ImportRefused([UNSAFE_XML])
    except ImportRefused:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError):
        raise ImportRefused([_not_a_zip_message(path)]) from None
    except Exception:  # zlib and zipfile raise many kinds for a damaged archive
        raise ImportRefused([NOT_XLSX]) from None


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
        for encoding in ("utf-8-sig", "cp932"):
            try:
                text = head.decode(encoding)
            except UnicodeDecodeError:
                continue
            if "," in text or "\t" in text:
                return "拡張子は .xlsx ですが、中身はCSV（テキスト）です。拡張子を .csv にしてください。"
    return NOT_XLSX


def _xlsx_rows(path: Path) -> list[Row]:
    _check_archive(path)

    from openpyxl import load_workbook

    try:
        values_book = load_workbook(path, read_only=True, data_only=True)
        formulas_book = load_workbook(path, read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        if _unsafe_xml(exc):
            raise ImportRefused([UNSAFE_XML]) from None
        raise ImportRefused(
            [f"Excelファイル（.xlsx）として読めません（{type(exc).__name__}）。"]
        ) from None
    sheet_name = SHEET_NAME
    try:
        sheet_name = _pick_sheet(values_book.sheetnames)
        values_sheet = values_book[sheet_name]
        formulas_sheet = formulas_book[sheet_name]
        grid, layout = _read_sheet(values_sheet, formulas_sheet)
    except ImportRefused:
        raise
    except Exception as exc:  # a damaged sheet fails only while it is read
        if _unsafe_xml(exc):
            raise ImportRefused([UNSAFE_XML]) from None
        raise ImportRefused(
            [
                f"シート「{sheet_name}」を読めません（{type(exc).__name__}）。ファイルが壊れていないか確認してください。"
            ]
        ) from None
    finally:
        values_book.close()
        formulas_book.close()
    return _rows_from_grid(grid, layout=layout)


def _unsafe_xml(exc: BaseException) -> bool:
    """defusedxml refused an entity or DTD (openpyxl may wrap that in a ValueError)."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, DefusedXmlException):
            return True
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return False


def _read_sheet(values_sheet, formulas_sheet) -> tuple[list, SheetLayout]:
    # A sheet may declare itself A1:XFD1048576; read only the rows and cells it really has.
    values_sheet.reset_dimensions()
    formulas_sheet.reset_dimensions()
    values = values_sheet.iter_rows(values_only=True)
    formulas = formulas_sheet.iter_rows(values_only=True)
    grid = []
    layout = _sheet_layout(values_sheet)
    for number, (row, raw_row) in enumerate(zip(values, formulas, strict=False), start=1):
        if number > MAX_ROWS:
            raise ImportRefused([TOO_MANY_ROWS])
        cells = list(row[:MAX_COLUMNS])
        for column, (value, raw) in enumerate(zip(cells, raw_row, strict=False)):
            if value is None and _is_formula(raw):
                layout.formula_cells.append((number, column))
        grid.append((number, cells))
    return grid, layout


def _is_formula(raw) -> bool:
    if isinstance(raw, str):
        return raw.startswith("=")
    return raw is not None and type(raw).__name__ in {"ArrayFormula", "DataTableFormula"}


def _sheet_layout(sheet) -> SheetLayout:
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
                    raise ImportRefused([TOO_MANY_ROWS])
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
                    layout.merged.append((ref, min_row, min_col - 1, max_row, max_col - 1))
    return layout


def _true(value) -> bool:
    return value in {"1", "true"}


def _pick_sheet(names: list[str]) -> str:
    if SHEET_NAME in names:
        return SHEET_NAME
    if len(names) == 1:
        return names[0]
    listed = "、".join(f"「{name}」" for name in names)
    raise ImportRefused(
        [
            f"シートが複数あり（{listed}）、「{SHEET_NAME}」という名前のシートがありません。"
            f"実績を入力したシートの名前を「{SHEET_NAME}」にしてください。"
        ]
    )


def _header_key(cell) -> str | None:
    if cell is None:
        return None
    text = normalize_text(cell).lower()
    for key, aliases in COLUMNS.items():
        if text in aliases:
            return key
    return None


def _rows_from_grid(grid: Iterable, layout: SheetLayout | None = None) -> list[Row]:
    grid = list(grid)
    layout = layout or SheetLayout()
    header_at = None
    for index, (_number, cells) in enumerate(grid[:HEADER_SEARCH_ROWS]):
        keys = [_header_key(cell) for cell in cells]
        if "kpi_code" in keys and "value" in keys:
            header_at = index
            break
    if header_at is None:
        expected = "、".join(COLUMN_LABELS[key] for key in REQUIRED)
        raise ImportRefused(
            [
                f"見出しの行が見つかりません。{expected}（または kpi_code, fiscal_year, value）の列が必要です。"
            ]
        )
    header_number, header_cells = grid[header_at]
    positions: dict[str, int] = {}
    errors = []
    for column, cell in enumerate(header_cells):
        key = _header_key(cell)
        if key is None:
            continue
        if key in positions:
            errors.append(
                f"{header_number}行目: 見出し「{COLUMN_LABELS[key]}」の列が2つあります（{_column_letter(positions[key])}列と{_column_letter(column)}列）。"
            )
        positions.setdefault(key, column)
    missing = [COLUMN_LABELS[key] for key in REQUIRED if key not in positions]
    if missing:
        errors.append(f"{header_number}行目: 見出し「{'」「'.join(missing)}」の列がありません。")
    if errors:
        raise ImportRefused(errors)
    label_at = {column: COLUMN_LABELS[key] for key, column in positions.items()}
    for key in REQUIRED:
        column = positions[key]
        if column in layout.hidden_columns:
            errors.append(
                f"{_column_letter(column)}列（{COLUMN_LABELS[key]}）が非表示になっています。"
                "列を再表示して内容を確かめてから、保存し直してください。"
            )
    for ref, first_row, first_column, last_row, last_column in sorted(
        layout.merged, key=lambda merge: (merge[1], merge[2])
    ):
        if last_row <= header_number:
            continue
        touched = [c for c in sorted(label_at) if first_column <= c <= last_column]
        if not touched:
            continue
        labels = "・".join(label_at[c] for c in touched)
        rows_text = (
            f"{max(first_row, header_number + 1)}行目"
            if first_row == last_row
            else f"{max(first_row, header_number + 1)}〜{last_row}行目"
        )
        errors.append(
            f"{rows_text} {labels}: セルが結合されています（{ref}）。"
            "結合を解除して、1行に1つずつ値を入力してください。"
        )
    for number, column in sorted(layout.formula_cells):
        if number > header_number and column in label_at:
            errors.append(
                f"{number}行目 {label_at[column]}: 数式の計算結果が保存されていません。"
                "Excelで開いて保存し直すか、値を直接入力してください。"
            )
    if errors:
        raise ImportRefused(errors)
    rows = []
    for number, cells in grid[header_at + 1 :]:
        values = {
            key: cells[column] if column < len(cells) else None for key, column in positions.items()
        }
        if all(_blank(value) for value in values.values()):
            continue
        if number in layout.hidden_rows and not _blank(values.get("value")):
            errors.append(
                f"{number}行目 実績値{_shown(values['value'])}: この行は非表示になっています。"
                "行を再表示（フィルターの解除）して内容を確かめてから、保存し直してください。"
            )
            continue
        rows.append(Row(number, values))
    if errors:
        raise ImportRefused(errors)
    return rows


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


# ---- checking rows ---------------------------------------------------------------------


_DATE_TEXT = re.compile(
    r"^(?:\d{4}|(?:令和|平成|R|H)\s*(?:元|\d{1,2}))\s*[/.\-年]\s*\d{1,2}\s*[/.\-月]\s*\d{1,2}\s*日?$",
    re.IGNORECASE,
)
EXCEL_ERRORS = {"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA"}
DATE_TYPES = (datetime.date, datetime.time, datetime.timedelta)


def shown(value) -> str:
    """A cell's value as the person typed it: 「2026/4/1」 for a date, 「2024」 for 2024.0."""
    if isinstance(value, datetime.datetime):
        text = f"{value.year}/{value.month}/{value.day}"
        if value.time() != datetime.time():
            text += f" {value.hour}:{value.minute:02d}"
        return text
    if isinstance(value, datetime.date):
        return f"{value.year}/{value.month}/{value.day}"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _shown(value) -> str:
    return "" if value is None else f"「{shown(value)}」"


def check_fiscal_year(kpi: Kpi, raw) -> int:
    if isinstance(raw, DATE_TYPES) or (
        isinstance(raw, str) and _DATE_TEXT.match(normalize_text(raw))
    ):
        raise FiscalYearError(
            "日付ではなく年度を入力してください（例: 令和8年度、R8、2026）。"
            "セルが日付の書式のときは、書式を「文字列」にしてから入力し直してください。"
        )
    year = parse_fiscal_year(raw)
    start, end = kpi.fiscal_year_window()
    if not start <= year <= end:
        raise FiscalYearError(
            f"{format_fiscal_year(year)}は計画の期間外です。{kpi.code} は"
            f"{format_fiscal_year(start, western=False)}から{format_fiscal_year(end, western=False)}までの実績を入力できます。"
        )
    return year


def check_rows(
    rows: list[Row], *, allowed: set[str] | None = None, progress=None
) -> tuple[list[CheckedRow], list[int], list[str]]:
    """Check every row; ``allowed`` limits the KPI codes (a department's own items)."""
    kpis = {kpi.code: kpi for kpi in Kpi.objects.all()}
    checked: list[CheckedRow] = []
    blank: list[int] = []
    errors: list[str] = []
    seen: dict[tuple[str, int], int] = {}
    for count, row in enumerate(rows, start=1):
        if progress and count % PROGRESS_EVERY == 0:
            progress(f"確認中: {count} / {len(rows)} 行")

        def error(key, value, message, row=row):
            errors.append(f"{row.number}行目 {COLUMN_LABELS[key]}{_shown(value)}: {message}")

        excel_error = next(
            (
                key
                for key, value in row.cells.items()
                if isinstance(value, str) and value.strip().upper() in EXCEL_ERRORS
            ),
            None,
        )
        if excel_error:
            error(
                excel_error,
                row.cells[excel_error],
                "Excelのエラー値です。数式やセルの内容を確かめて、値を入力し直してください。",
            )
            continue
        raw_code = row.cells.get("kpi_code")
        code = normalize_text(raw_code).upper().replace("ー", "-") if not _blank(raw_code) else ""
        if not code:
            error("kpi_code", None, "KPIコードが空欄です。")
            continue
        kpi = kpis.get(code)
        if kpi is None:
            error("kpi_code", raw_code, "このKPIコードは計画にありません。")
            continue
        if allowed is not None and code not in allowed:
            error(
                "kpi_code",
                raw_code,
                "担当する重点項目のKPIではないため、取り込めません（DX推進課にご依頼ください）。",
            )
            continue
        raw_value = row.cells.get("value")
        if _blank(raw_value):
            blank.append(row.number)
            continue
        try:
            year = check_fiscal_year(kpi, row.cells.get("fiscal_year"))
        except FiscalYearError as exc:
            error("fiscal_year", row.cells.get("fiscal_year"), str(exc))
            continue
        try:
            parsed = parse_actual(raw_value, milestone=kpi.is_milestone, unit=kpi.unit)
        except ValueParseError as exc:
            error("value", raw_value, str(exc))
            continue
        if (code, year) in seen:
            error(
                "kpi_code",
                raw_code,
                f"{code} の{format_fiscal_year(year)}は{seen[(code, year)]}行目にもあります。1行にまとめてください。",
            )
            continue
        seen[(code, year)] = row.number
        note = row.cells.get("note")
        checked.append(
            CheckedRow(row.number, kpi, year, parsed, "" if _blank(note) else shown(note).strip())
        )
    return checked, blank, errors

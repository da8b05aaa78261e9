"""Importing KPI actuals from CSV or Excel: every row or none.

Reading (``read_rows``) turns a file into numbered rows of raw cells; checking (``check_rows``)
turns them into actuals to save or into per-row Japanese errors; ``import_actuals`` saves them in one
transaction, model validation included, and rolls everything back on any error or on a dry run.
"""

import csv
import io
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction

from kpis.calculations import DEFAULT_BASELINE_FISCAL_YEAR
from kpis.models import Actual, Kpi
from kpis.parsing import ParsedValue, ValueParseError, normalize_text, parse_actual
from shizuoka_dx.fiscal import FiscalYearError, format_fiscal_year, parse_fiscal_year

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_UNPACKED_BYTES = 50 * 1024 * 1024
SHEET_NAME = "実績"
HEADER_SEARCH_ROWS = 10

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


@dataclass
class ImportResult:
    added: list[CheckedRow] = field(default_factory=list)
    changed: list[tuple[CheckedRow, str]] = field(default_factory=list)  # (row, old display)
    unchanged: list[CheckedRow] = field(default_factory=list)
    skipped_blank: list[int] = field(default_factory=list)
    dry_run: bool = False

    def summary(self) -> str:
        verb = "取り込むと" if self.dry_run else "取り込みました:"
        text = (
            f"{verb} 追加 {len(self.added)} 件、更新 {len(self.changed)} 件、"
            f"変更なし {len(self.unchanged)} 件"
        )
        if self.skipped_blank:
            text += f"、実績値が空欄の行 {len(self.skipped_blank)} 件は読み飛ばし"
        if self.dry_run:
            text += "（確認のみ。保存していません）"
        return text

    def lines(self) -> list[str]:
        out = []
        for row in self.added:
            out.append(
                f"{row.number}行目 追加: {row.kpi.code} {format_fiscal_year(row.fiscal_year)} "
                f"= {row.parsed.display()}"
            )
        for row, old in self.changed:
            out.append(
                f"{row.number}行目 更新: {row.kpi.code} {format_fiscal_year(row.fiscal_year)} "
                f"{old} → {row.parsed.display()}"
            )
        for row in self.unchanged:
            out.append(
                f"{row.number}行目 変更なし: {row.kpi.code} {format_fiscal_year(row.fiscal_year)}"
            )
        return out


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
    text = _decode(data)
    if "\x00" in text:
        raise ImportRefused(["CSVとして読めません（テキストファイルではありません）。"])
    try:
        lines = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise ImportRefused([f"CSVとして読めません（{exc}）。"]) from None
    return _rows_from_grid(enumerate(lines, start=1))


def _xlsx_rows(path: Path) -> list[Row]:
    # Check the zip before openpyxl unpacks it: a small file can unpack to hundreds of MB.
    try:
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError):
        raise ImportRefused(
            ["Excelファイル（.xlsx）として読めません。ファイルが壊れていないか確認してください。"]
        ) from None
    if unpacked > MAX_UNPACKED_BYTES:
        raise ImportRefused(
            [
                "Excelファイルの中身が大きすぎます（展開後50MB超）。必要な行だけのファイルにしてください。"
            ]
        )
    if "xl/workbook.xml" not in names:
        raise ImportRefused(["Excelファイル（.xlsx）として読めません。"])

    from openpyxl import load_workbook

    try:
        values_book = load_workbook(path, read_only=True, data_only=True)
        formulas_book = load_workbook(path, read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        raise ImportRefused(
            [f"Excelファイル（.xlsx）として読めません（{type(exc).__name__}）。"]
        ) from None
    try:
        sheet_name = _pick_sheet(values_book.sheetnames)
        values = values_book[sheet_name].iter_rows(values_only=True)
        formulas = formulas_book[sheet_name].iter_rows(values_only=True)
        grid = []
        formula_errors = []
        for number, (row, raw_row) in enumerate(zip(values, formulas, strict=False), start=1):
            cells = list(row)
            for column, (value, raw) in enumerate(zip(cells, raw_row, strict=False)):
                if value is None and isinstance(raw, str) and raw.startswith("="):
                    formula_errors.append((number, column))
            grid.append((number, cells))
    finally:
        values_book.close()
        formulas_book.close()
    rows = _rows_from_grid(grid, formula_cells=formula_errors)
    return rows


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


def _rows_from_grid(grid: Iterable, formula_cells=()) -> list[Row]:
    grid = list(grid)
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
    formula_at = {(number, column) for number, column in formula_cells}
    for number, column in sorted(formula_at):
        if number > header_number and column in positions.values():
            key = next(k for k, c in positions.items() if c == column)
            errors.append(
                f"{number}行目 {COLUMN_LABELS[key]}: 数式の計算結果が保存されていません。"
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
        rows.append(Row(number, values))
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


def fiscal_year_window(kpi: Kpi) -> tuple[int, int]:
    """The FYs an actual may be entered for: the baseline FY up to the target FY + 1."""
    start = kpi.baseline_fiscal_year or DEFAULT_BASELINE_FISCAL_YEAR
    end = (kpi.target_fiscal_year or start) + 1
    return start, end


def check_fiscal_year(kpi: Kpi, raw) -> int:
    year = parse_fiscal_year(raw)
    start, end = fiscal_year_window(kpi)
    if not start <= year <= end:
        raise FiscalYearError(
            f"{format_fiscal_year(year)}は計画の期間外です。{kpi.code} は"
            f"{format_fiscal_year(start, western=False)}から{format_fiscal_year(end, western=False)}までの実績を入力できます。"
        )
    return year


def check_rows(rows: list[Row]) -> tuple[list[CheckedRow], list[int], list[str]]:
    kpis = {kpi.code: kpi for kpi in Kpi.objects.all()}
    checked: list[CheckedRow] = []
    blank: list[int] = []
    errors: list[str] = []
    seen: dict[tuple[str, int], int] = {}
    for row in rows:

        def error(key, value, message, row=row):
            shown = "" if value is None else f"「{value}」"
            errors.append(f"{row.number}行目 {COLUMN_LABELS[key]}{shown}: {message}")

        raw_code = row.cells.get("kpi_code")
        code = normalize_text(raw_code).upper().replace("ー", "-") if not _blank(raw_code) else ""
        if not code:
            error("kpi_code", None, "KPIコードが空欄です。")
            continue
        kpi = kpis.get(code)
        if kpi is None:
            error("kpi_code", raw_code, "このKPIコードは計画にありません。")
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
            CheckedRow(row.number, kpi, year, parsed, "" if _blank(note) else str(note).strip())
        )
    return checked, blank, errors


# ---- saving ----------------------------------------------------------------------------


class _DryRun(Exception):
    pass


def save_rows(checked: list[CheckedRow], *, user=None, dry_run: bool = False) -> ImportResult:
    """Save checked rows in one transaction; any model validation error rolls back all of them."""
    result = ImportResult(dry_run=dry_run)
    errors: list[str] = []
    try:
        with transaction.atomic():
            existing = {
                (a.kpi_id, a.fiscal_year): a
                for a in Actual.objects.filter(kpi__in={row.kpi for row in checked})
            }
            for row in checked:
                actual = existing.get((row.kpi.pk, row.fiscal_year))
                if actual is None:
                    actual = Actual(kpi=row.kpi, fiscal_year=row.fiscal_year)
                    target = result.added
                else:
                    same = (
                        actual.value == row.parsed.value
                        and actual.stage == row.parsed.stage
                        and actual.note == row.note
                        and not actual.is_demo
                    )
                    if same:
                        result.unchanged.append(row)
                        continue
                    target = None
                    old = actual.display_value + ("（デモ）" if actual.is_demo else "")
                actual.value = row.parsed.value
                actual.stage = row.parsed.stage
                actual.note = row.note
                actual.is_demo = False
                actual.entered_by = user
                try:
                    actual.full_clean()
                except ValidationError as exc:
                    for field_name, messages in exc.message_dict.items():
                        label = {"value": "実績値", "stage": "実績値", "fiscal_year": "年度"}.get(
                            field_name, field_name
                        )
                        errors.append(f"{row.number}行目 {label}: {' '.join(messages)}")
                    continue
                actual.save()
                if target is None:
                    result.changed.append((row, old))
                else:
                    target.append(row)
            if errors:
                raise ImportRefused(errors)
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    return result


def import_actuals(*, path: Path, user=None, dry_run: bool = False) -> ImportResult:
    """Read, check and save a file of actuals; raises ImportRefused (nothing saved) on any error."""
    rows = read_rows(path)
    checked, blank, errors = check_rows(rows)
    if errors:
        raise ImportRefused(errors)
    if not checked and not blank:
        raise ImportRefused(["取り込む行がありません（見出しの下に実績の行がありません）。"])
    result = save_rows(checked, user=user, dry_run=dry_run)
    result.skipped_blank = blank
    return result

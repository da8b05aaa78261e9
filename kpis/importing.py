"""Importing KPI actuals from CSV or Excel: every row or none.

Reading a file safely is the shared kernel's job (shizuoka_dx/tabular.py: a file → a grid of raw
cells and what a person could not see in it). Here the grid becomes rows (``read_rows``: the
header row found and mapped; in the columns that matter, hidden or zero-size rows and columns,
merged cells, formulas without a result, values hidden by their format or colour, and a second
header row refused; percent-formatted numbers taken as the text shown, 「98.2%」), and the rows
become actuals to save or per-row Japanese errors (``check_rows``, which also refuses a
percent-formatted value for a KPI not measured in ％). Saving
is not done here: it is the yearly cycle's one write path (pdca/services/imports.py →
pdca/services/actuals.py).
"""

import datetime
from dataclasses import dataclass
from pathlib import Path

from kpis.models import Kpi
from kpis.parsing import (
    ParsedValue,
    ValueParseError,
    check_fiscal_year,
    normalize_text,
    parse_actual,
    typed,
)
from shizuoka_dx.fiscal import FiscalYearError, format_fiscal_year
from shizuoka_dx.spreadsheets import unguard_cell
from shizuoka_dx.tabular import (
    FORMAT_HIDES,
    HEADING_ROWS,
    MAX_ROWS,
    ZERO_SIZE,
    FileRefused,
    Grid,
    Unseen,
    column_letter,
    read_grid,
    too_many_rows,
)

PROGRESS_EVERY = 200  # rows between progress lines
SHEET_NAME = "実績"
SUBJECT = "実績"  # what the rows hold, in the reader's messages
HEADER_SEARCH_ROWS = HEADING_ROWS

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
    percent: frozenset[str] = frozenset()  # keys whose cell was shown as a percentage


@dataclass
class CheckedRow:
    number: int
    kpi: Kpi
    fiscal_year: int
    parsed: ParsedValue
    note: str


# ---- grid to rows ----------------------------------------------------------------------


def read_rows(path: Path) -> list[Row]:
    try:
        grid = read_grid(path, sheet=SHEET_NAME, subject=SUBJECT)
    except FileRefused as exc:
        raise ImportRefused(exc.errors) from None
    return rows_from_grid(grid)


def _header_key(cell) -> str | None:
    if cell is None:
        return None
    text = normalize_text(cell).lower()
    for key, aliases in COLUMNS.items():
        if text in aliases:
            return key
    return None


def _is_header(cells) -> bool:
    """A header row names the KPI code or the value column, and at least one other column."""
    keys = {_header_key(cell) for cell in cells} - {None}
    return bool(keys & {"kpi_code", "value"}) and len(keys) >= 2


def _no_header(lines) -> str:
    searched = f"1〜{HEADER_SEARCH_ROWS}行目を探しました"
    later = next((number for number, cells in lines if _is_header(cells)), None)
    if later is not None:
        return (
            f"見出しの行が見つかりません（{searched}）。{later}行目にある見出しの行を、"
            f"上の行を削除するなどして{HEADER_SEARCH_ROWS}行目までに移してください。"
        )
    expected = "、".join(COLUMN_LABELS[key] for key in REQUIRED)
    return (
        f"見出しの行が見つかりません。{expected}の見出しがある行を、"
        f"{HEADER_SEARCH_ROWS}行目までに入れてください（{searched}）。"
    )


def rows_from_grid(grid: Grid) -> list[Row]:
    """Find and map the header row, refuse what a person could not see in the mapped columns,
    and return the non-blank rows below the header keyed by column (kpi_code, fiscal_year, …)."""
    layout, lines = grid.layout, grid.rows
    header_at = next(
        (
            index
            for index, (number, cells) in enumerate(lines)
            if number <= HEADER_SEARCH_ROWS and _is_header(cells)
        ),
        None,
    )
    if header_at is None:
        raise ImportRefused([_no_header(lines)])
    header_number, header_cells = lines[header_at]
    positions: dict[str, int] = {}
    errors = []
    for column, cell in enumerate(header_cells):
        key = _header_key(cell)
        if key is None:
            continue
        if key in positions:
            errors.append(
                f"{header_number}行目: 見出し「{COLUMN_LABELS[key]}」の列が2つあります（{column_letter(positions[key])}列と{column_letter(column)}列）。"
            )
        positions.setdefault(key, column)
    missing = [COLUMN_LABELS[key] for key in REQUIRED if key not in positions]
    if missing:
        errors.append(
            f"{header_number}行目: 見出し「{'」「'.join(missing)}」の列がありません。"
            "見出しの行に、この列を加えてください。"
        )
    if errors:
        raise ImportRefused(errors)
    label_at = {column: COLUMN_LABELS[key] for key, column in positions.items()}
    below = lines[header_at + 1 :]
    for key, column in positions.items():
        how = layout.hidden_columns.get(column)
        if how is None:
            continue
        holds_data = any(column < len(cells) and not _blank(cells[column]) for _n, cells in below)
        if key in REQUIRED or holds_data:
            errors.append(_hidden_column(column, COLUMN_LABELS[key], how))
    for ref, first_row, first_column, last_row, last_column in sorted(
        layout.merged, key=lambda merge: (merge.first_row, merge.first_column)
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
    for (number, column), unseen in sorted(layout.unseen_cells.items()):
        if number > header_number and column in label_at:
            value = _cell(lines, number, column)
            if not _blank(value):
                errors.append(
                    f"{number}行目 {label_at[column]}{_shown(value)}: "
                    + _unseen(unseen, f"{column_letter(column)}{number}")
                )
    if errors:
        raise ImportRefused(errors)
    rows = []
    for number, cells in below:
        values = {
            key: cells[column] if column < len(cells) else None for key, column in positions.items()
        }
        if all(_blank(value) for value in values.values()):
            continue
        if (
            _header_key(values["kpi_code"]) == "kpi_code"
            and _header_key(values["value"]) == "value"
        ):
            errors.append(
                f"{number}行目: 見出しの行がもう一度あります（{header_number}行目と同じ見出しです）。"
                "2つ目の見出しの行を消してから、保存し直してください。"
            )
            continue
        how = layout.hidden_rows.get(number)
        if how is not None and not _blank(values.get("value")):
            errors.append(f"{number}行目 実績値{_shown(values['value'])}: " + _hidden_row(how))
            continue
        percent = {
            key
            for key, column in positions.items()
            if (number, column) in layout.percent_cells and values[key] is not None
        }
        for key in percent:
            values[key] = layout.percent_cells[(number, positions[key])]
        rows.append(Row(number, values, frozenset(percent)))
    if errors:
        raise ImportRefused(errors)
    if len(rows) > MAX_ROWS:  # the heading and the rows above it are not counted
        raise ImportRefused(too_many_rows(SUBJECT).errors)
    return rows


def _cell(lines, number: int, column: int):
    for line_number, cells in lines:
        if line_number == number:
            return cells[column] if column < len(cells) else None
    return None


def _hidden_column(column: int, label: str, how: str) -> str:
    if how == ZERO_SIZE:
        return (
            f"{column_letter(column)}列（{label}）の幅が0で、中身が見えません。"
            "列の幅を広げて内容を確かめてから、保存し直してください。"
        )
    return (
        f"{column_letter(column)}列（{label}）が非表示になっています。"
        "列を再表示して内容を確かめてから、保存し直してください。"
    )


def _hidden_row(how: str) -> str:
    if how == ZERO_SIZE:
        return (
            "この行は高さが0で、中身が見えません。"
            "行の高さを広げて内容を確かめてから、保存し直してください。"
        )
    return (
        "この行は非表示になっています。"
        "行を再表示（フィルターの解除）して内容を確かめてから、保存し直してください。"
    )


def _unseen(unseen: Unseen, cell: str) -> str:
    if unseen.how == FORMAT_HIDES:
        return (
            f"{cell}セルの表示形式「{unseen.detail}」のため、値が画面に表示されていません。"
            "表示形式を「標準」に戻して内容を確かめてから、保存し直してください。"
        )
    if unseen.detail:
        return (
            f"{cell}セルの表示形式「{unseen.detail}」で、文字が背景と同じ（またはほとんど同じ）色に"
            "なり、値が見えません。表示形式を「標準」に戻して内容を確かめてから、保存し直してください。"
        )
    return (
        f"{cell}セルの文字が背景と同じ（またはほとんど同じ）色で、値が見えません。"
        "文字の色を「自動」に戻して内容を確かめてから、保存し直してください。"
    )


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


# ---- checking rows ---------------------------------------------------------------------


EXCEL_ERRORS = {"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA"}


def shown(value) -> str:
    """A cell's value as the person typed it: 「2026/4/1」 for a date, 「2024」 for 2024.0."""
    if isinstance(value, datetime.datetime):
        text = f"{value.year}/{value.month}/{value.day}"
        if value.time() != datetime.time():
            text += f" {value.hour}:{value.minute:02d}"
        return text
    if isinstance(value, datetime.date):
        return f"{value.year}/{value.month}/{value.day}"
    return typed(value)


def _shown(value) -> str:
    return "" if value is None else f"「{shown(value)}」"


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
        if "value" in row.percent and normalize_text(kpi.unit) != "%":
            measured = "段階（未着手・着手・完了）" if kpi.is_milestone else f"単位「{kpi.unit}」"
            error(
                "value",
                raw_value,
                f"セルの表示形式がパーセント（％）ですが、このKPIは{measured}で測ります。"
                "セルの表示形式を「標準」にして、値を入力し直してください。",
            )
            continue
        try:
            parsed = parse_actual(raw_value, kpi.spec)
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
        # A note from one of our exports comes back with its formula guard: undo it.
        note = "" if _blank(note) else unguard_cell(shown(note).strip())
        checked.append(CheckedRow(row.number, kpi, year, parsed, note))
    return checked, blank, errors

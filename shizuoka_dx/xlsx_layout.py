"""Writing xlsx sheets people print: named styles, a cell writer that sizes rows to their text,
A4 print set-up, and sheet names Excel accepts. Knows nothing of the plan; the Form ①/② layouts
that use it are in pdca/workbooks.py and kpis/template_workbook.py."""

import math
import unicodedata
from collections.abc import Collection

from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.worksheet import Worksheet

from shizuoka_dx.spreadsheets import xlsx_cell

SHEET_NAME_LIMIT = 31  # Excel's limit, in UTF-16 code units
FORBIDDEN_IN_SHEET_NAMES = "[]:*?/\\"

INTEGER_FORMAT = "#,##0"
DECIMAL_FORMAT = "#,##0.0##"
RATE_FORMAT = "#,##0.0"

_thin = Side(style="thin", color="808080")
BORDER = Border(left=_thin, right=_thin, top=_thin, bottom=_thin)
WRAP = Alignment(wrap_text=True, vertical="top")
CENTER = Alignment(wrap_text=True, vertical="center", horizontal="center")
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
LABEL_FILL = PatternFill("solid", fgColor="F2F2F2")
PDCA_FILL = PatternFill("solid", fgColor="FFF2CC")
TITLE_FONT = Font(bold=True, size=14)
SECTION_FONT = Font(bold=True, size=12)
BOLD = Font(bold=True)
NOTICE_FONT = Font(bold=True, color="C00000")
LINK_FONT = Font(color="0563C1", underline="single")
LINE_HEIGHT = 15.0  # points per line of 11-point text


def sheet_name_length(name: str) -> int:
    return len(name.encode("utf-16-le")) // 2


def _truncate(name: str, limit: int) -> str:
    while sheet_name_length(name) > limit:
        name = name[:-1]
    return name


def sheet_title(wanted: str, taken: Collection[str]) -> str:
    """A sheet name Excel accepts: no []:*?/\\, at most 31 characters, unique (ignoring case)."""
    name = "".join("_" if ch in FORBIDDEN_IN_SHEET_NAMES else ch for ch in wanted)
    name = "".join(ch for ch in name if unicodedata.category(ch) != "Cc").strip().strip("'")
    name = _truncate(name or "シート", SHEET_NAME_LIMIT).rstrip("'")
    lowered = {existing.casefold() for existing in taken}
    candidate, number = name, 1
    while candidate.casefold() in lowered:
        number += 1
        suffix = f"_{number}"
        candidate = _truncate(name, SHEET_NAME_LIMIT - len(suffix)).rstrip("'") + suffix
    return candidate


def number_format(value) -> str:
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
        return INTEGER_FORMAT
    return DECIMAL_FORMAT


# ---- writing cells ---------------------------------------------------------------------


def text_width(text: str) -> int:
    """Width in Excel's column units: a full-width character takes two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WFA" else 1 for ch in text)


def lines_for(text, width: float) -> int:
    room = max(width - 1.5, 1)
    return sum(max(1, math.ceil(text_width(part) / room)) for part in str(text).split("\n"))


class SheetWriter:
    """Writes styled, bordered cells onto a grid of fixed column widths and sizes the rows."""

    def __init__(self, ws: Worksheet, widths: list[float]):
        self.ws = ws
        self.widths = widths
        self.row = 1
        self._lines: dict[int, float] = {}
        for index, width in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(index)].width = width

    @property
    def last_column(self) -> int:
        return len(self.widths)

    def put(
        self,
        column: int,
        value,
        *,
        row: int | None = None,
        span: int = 1,
        rows: int = 1,
        font: Font | None = None,
        fill: PatternFill | None = None,
        align: Alignment = WRAP,
        border: bool = True,
        fmt: str | None = None,
    ):
        row = self.row if row is None else row
        cell = self.ws.cell(row=row, column=column, value=xlsx_cell(value))
        cell.alignment = align
        if font:
            cell.font = font
        if fill:
            cell.fill = fill
        if isinstance(value, int | float) and not isinstance(value, bool):
            cell.number_format = fmt or number_format(value)
        if span > 1 or rows > 1:
            self.ws.merge_cells(
                start_row=row,
                start_column=column,
                end_row=row + rows - 1,
                end_column=column + span - 1,
            )
        if border:
            for r in range(row, row + rows):
                for c in range(column, column + span):
                    self.ws.cell(row=r, column=c).border = BORDER
        if isinstance(value, str) and value:
            width = sum(self.widths[column - 1 : column - 1 + span])
            needed = lines_for(value, width) / rows
            if font is not None and font.size and font.size > 11:
                needed *= font.size / 11
            for r in range(row, row + rows):
                self._lines[r] = max(self._lines.get(r, 1), needed)
        return cell

    def next(self, count: int = 1) -> None:
        self.row += count

    def finish(self, *, title_rows: int) -> None:
        for row, lines in self._lines.items():
            self.ws.row_dimensions[row].height = round(max(lines, 1) * LINE_HEIGHT + 3, 1)
        setup_print(self.ws, title_rows=title_rows)


def setup_print(ws: Worksheet, *, title_rows: int) -> None:
    """A4 landscape, fitted to the page width, the title rows frozen and repeated on each page."""
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = ws.ORIENTATION_LANDSCAPE
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.5
    ws.print_options.horizontalCentered = True
    ws.oddFooter.center.text = "&P / &N"
    if title_rows:
        ws.freeze_panes = f"A{title_rows + 1}"
        ws.print_title_rows = f"1:{title_rows}"


def link_to(cell, sheet_name: str) -> None:
    quoted = sheet_name.replace("'", "''")
    cell.hyperlink = Hyperlink(ref=cell.coordinate, location=f"'{quoted}'!A1")
    cell.font = LINK_FONT


def split_columns(widths: list[float], first: int, last: int, parts: int) -> list[tuple[int, int]]:
    """Columns first..last cut into ``parts`` runs of about equal width: [(start, span), …]."""
    columns = list(range(first, last + 1))
    total = sum(widths[c - 1] for c in columns)
    runs, start, acc = [], first, 0.0
    for column in columns:
        acc += widths[column - 1]
        remaining_parts = parts - len(runs) - 1
        remaining_columns = last - column
        if remaining_parts <= 0:
            continue
        if (acc >= total * (len(runs) + 1) / parts or remaining_columns == remaining_parts) and (
            remaining_columns >= remaining_parts
        ):
            runs.append((start, column - start + 1))
            start = column + 1
    runs.append((start, last - start + 1))
    return runs

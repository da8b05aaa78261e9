"""Writing xlsx sheets people print: named styles, a cell writer that sizes rows to their text,
A4 print set-up, and sheet names Excel accepts. Knows nothing of the plan; the Form ①/② layouts
that use it are in pdca/workbooks.py and kpis/template_workbook.py."""

import functools
import math
import unicodedata
import weakref
from collections.abc import Collection
from copy import copy
from decimal import Decimal
from xml.sax.saxutils import escape as xml_escape

from openpyxl.cell import WriteOnlyCell
from openpyxl.compat import safe_string
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet._writer import WorksheetWriter
from openpyxl.worksheet.cell_range import CellRange, MultiCellRange
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
    return SheetNames(taken).add(wanted)


class SheetNames:
    """The names of a workbook's sheets so far; ``add`` makes the next one valid and unique
    (each check is a set lookup, so a workbook of thousands of sheets stays quick)."""

    def __init__(self, taken: Collection[str] = ()):
        self._folded = {name.casefold() for name in taken}

    def add(self, wanted: str) -> str:
        name = "".join("_" if ch in FORBIDDEN_IN_SHEET_NAMES else ch for ch in wanted)
        name = "".join(ch for ch in name if unicodedata.category(ch) != "Cc").strip().strip("'")
        name = _truncate(name or "シート", SHEET_NAME_LIMIT).rstrip("'")
        candidate, number = name, 1
        while candidate.casefold() in self._folded:
            number += 1
            suffix = f"_{number}"
            candidate = _truncate(name, SHEET_NAME_LIMIT - len(suffix)).rstrip("'") + suffix
        self._folded.add(candidate.casefold())
        return candidate


def number_format(value) -> str:
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
        return INTEGER_FORMAT
    return DECIMAL_FORMAT


# ---- writing cells ---------------------------------------------------------------------


@functools.lru_cache(maxsize=8192)
def _char_width(ch: str) -> int:
    return 2 if unicodedata.east_asian_width(ch) in "WFA" else 1


def text_width(text: str) -> int:
    """Width in Excel's column units: a full-width character takes two."""
    return len(text) if text.isascii() else sum(map(_char_width, text))


def lines_for(text, width: float) -> int:
    room = max(width - 1.5, 1)
    return sum(max(1, math.ceil(text_width(part) / room)) for part in str(text).split("\n"))


# Style arrays resolved so far, per workbook (shared by all its sheets' writers).
_STYLES: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


class _Pending:
    """A cell of a write-only sheet, kept until its sheet is finished (rows go out in order)."""

    __slots__ = ("font", "link", "style", "value")

    def __init__(self, value, style):
        self.value = value
        self.style = style
        self.font = None  # set by ``link_to``
        self.link = None


class SheetWriter:
    """Writes styled, bordered cells onto a grid of fixed column widths and sizes the rows.

    Each combination of font, fill, alignment, border and number format is resolved by openpyxl
    once per sheet and then copied onto every cell that uses it: assigning style objects cell by
    cell makes openpyxl hash them each time, which cost most of a large workbook's time.

    On a normal worksheet cells are written as they come. On a write-only worksheet (a workbook
    opened with ``write_only=True``, for workbooks of thousands of sheets) they are kept until
    ``finish`` and then streamed out row by row, so only one sheet is ever held in memory."""

    def __init__(self, ws: Worksheet, widths: list[float]):
        self.ws = ws
        self.widths = widths
        self.row = 1
        self._lines: dict[int, float] = {}
        self._styles = _STYLES.setdefault(ws.parent, {})
        self._merges: list[CellRange] = []
        self._streaming = isinstance(ws, WriteOnlyWorksheet)
        self._pending: dict[int, dict[int, _Pending]] = {}
        for index, width in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(index)].width = width

    @property
    def last_column(self) -> int:
        return len(self.widths)

    def _style(self, font, fill, align, border, fmt):
        """The openpyxl style array for this combination (resolved once, then copied)."""
        key = (id(font), id(fill), id(align), border, fmt)
        known = self._styles.get(key)
        if known is None:
            probe = WriteOnlyCell(self.ws)
            if align is not None:
                probe.alignment = align
            if font is not None:
                probe.font = font
            if fill is not None:
                probe.fill = fill
            if border:
                probe.border = BORDER
            if fmt is not None:
                probe.number_format = fmt
            # The objects are kept with the array so that their ids stay theirs.
            known = self._styles[key] = (copy(probe._style), font, fill, align)
        return known[0]

    def _write(self, row: int, column: int, value, style):
        if self._streaming:
            pending = _Pending(value, style)
            self._pending.setdefault(row, {})[column] = pending
            return pending
        cell = self.ws.cell(row=row, column=column, value=value)
        cell._style = copy(style)
        return cell

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
        value = xlsx_cell(value)
        if isinstance(value, int | float) and not isinstance(value, bool):
            fmt = fmt or number_format(value)
        else:
            fmt = None
        cell = self._write(row, column, value, self._style(font, fill, align, border, fmt))
        if span > 1 or rows > 1:
            self._merges.append(
                CellRange(
                    min_col=column, min_row=row, max_col=column + span - 1, max_row=row + rows - 1
                )
            )
            if border:
                edge = self._style(None, None, None, True, None)
                for r in range(row, row + rows):
                    for c in range(column, column + span):
                        if (r, c) != (row, column):
                            self._write(r, c, None, edge)
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
        # Merged ranges never overlap here (each cell is written once): added in one go, as
        # openpyxl would compare each new range with every earlier one.
        self.ws.merged_cells.ranges.update(self._merges)
        for row, lines in self._lines.items():
            self.ws.row_dimensions[row].height = round(max(lines, 1) * LINE_HEIGHT + 3, 1)
        setup_print(self.ws, title_rows=title_rows)
        if self._streaming:
            self._stream()

    def _stream(self) -> None:
        """Write the sheet's rows out now, in the XML openpyxl itself would write, and close
        the sheet (its file waits for the workbook's save)."""
        links = []
        rows = []
        book = self.ws.parent
        for number in sorted(self._pending):
            cells = self._pending[number]
            attributes = "".join(
                f' {key}="{value}"' for key, value in self.ws.row_dimensions.get(number, {})
            )
            out = [f'<row r="{number}"{attributes}>']
            for column in sorted(cells):
                pending = cells[column]
                ref = f"{get_column_letter(column)}{number}"
                style = pending.style
                if pending.font is not None:
                    probe = WriteOnlyCell(self.ws)
                    probe._style = copy(style)
                    probe.font = pending.font
                    style = probe._style
                if pending.link is not None:
                    links.append(Hyperlink(ref=ref, location=pending.link))
                out.append(_cell_xml(ref, book._cell_styles.add(style), pending.value))
            out.append("</row>")
            rows.append("".join(out))
        self._pending.clear()
        self.ws._writer = _RowsWriter(self.ws, "".join(rows), links)
        self.ws._writer.write_top()
        self.ws.close()
        # Written to its file: what only the writing needed can go (a workbook of thousands of
        # sheets keeps every sheet object until it is saved).
        self.ws.merged_cells = MultiCellRange()
        self.ws.row_dimensions.clear()
        self.ws._hyperlinks = []


def _cell_xml(ref: str, style_id: int, value) -> str:
    """One ``<c>`` element as openpyxl writes it for a write-only sheet (inline strings)."""
    head = f'<c r="{ref}" s="{style_id}"'
    if value is None or value == "":
        return head + ' t="n"/>'
    if isinstance(value, bool):
        return f'{head} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int | float | Decimal):
        return f'{head} t="n"><v>{safe_string(value)}</v></c>'
    text = str(value)
    stripped = text.strip()
    space = ' xml:space="preserve"' if stripped and stripped != text else ""
    return f'{head} t="inlineStr"><is><t{space}>{xml_escape(text)}</t></is></c>'


class _RowsWriter(WorksheetWriter):
    """openpyxl's writer of a write-only sheet, given the sheet's rows already as XML (and the
    links in them): openpyxl builds an element per cell, which cost most of a large workbook's
    time. Everything around the rows (views, columns, merged cells, links, print set-up) is
    openpyxl's own."""

    def __init__(self, ws, rows_xml: str, links: list):
        super().__init__(ws)
        self.rows_xml = rows_xml
        self.ws._hyperlinks = links

    def write_rows(self):
        xf = self.xf.send(True)
        with xf.element("sheetData"):
            xf._file(self.rows_xml)  # already XML: written as it is
        self.xf.send(None)


class _UniquelyNamedSheet(WriteOnlyWorksheet):
    """A write-only sheet whose name ``SheetNames`` has already made unique: openpyxl would
    compare it with every other sheet's name, which for thousands of sheets costs seconds."""

    _WorkbookChild__title = None  # no earlier title: openpyxl skips its duplicate check


def add_sheet(book, name: str):
    """A new sheet named ``name`` (from ``SheetNames.add``) at the end of ``book``."""
    if not book.write_only:
        return book.create_sheet(name)
    sheet = _UniquelyNamedSheet(parent=book, title=name)
    book._add_sheet(sheet)
    return sheet


def setup_print(ws: Worksheet, *, title_rows: int) -> None:
    """A4 landscape, fitted to the page width, the title rows frozen and repeated on each page."""
    ws.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    ws.page_setup.orientation = Worksheet.ORIENTATION_LANDSCAPE
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
    """Make a cell ``SheetWriter.put`` returned a link to the top of another sheet."""
    quoted = sheet_name.replace("'", "''")
    if isinstance(cell, _Pending):
        cell.link = f"'{quoted}'!A1"
    else:
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

"""SheetWriter writes the same sheet into a normal workbook and into a streamed (write-only) one,
whose rows it renders as XML itself: every value, style, merged range, link and row height
must read back the same."""

import io

from openpyxl import Workbook, load_workbook

from shizuoka_dx.xlsx_layout import (
    BOLD,
    CENTER,
    HEADER_FILL,
    TITLE_FONT,
    SheetNames,
    SheetWriter,
    add_sheet,
    link_to,
)


def fill(book) -> None:
    target = add_sheet(book, "様式②_1-1_①A")
    sheet = SheetWriter(add_sheet(book, "表紙"), [11, 30, 12, 12])
    sheet.put(1, "タイトル <&> \"引用\" 'x'", span=4, font=TITLE_FONT, border=False)
    sheet.next()
    sheet.put(1, "見出し", font=BOLD, fill=HEADER_FILL, align=CENTER)
    sheet.put(2, "  前後に空白  ", rows=2)
    sheet.put(3, 327900)
    sheet.put(4, 98.25, fmt="#,##0.0")
    sheet.next()
    sheet.put(1, "=SUM(A1:A2)")  # guarded: text, never a formula
    sheet.put(3, None, span=2)
    sheet.next()
    link_to(sheet.put(1, target.title), target.title)
    sheet.put(2, "改行を\n含む長い文章" * 5, span=3)
    sheet.finish(title_rows=1)
    SheetWriter(target, [10]).finish(title_rows=0)


def saved(write_only: bool):
    book = Workbook(write_only=write_only)
    if not write_only:
        book.remove(book.active)
    fill(book)
    buffer = io.BytesIO()
    book.save(buffer)
    return load_workbook(buffer)["表紙"]


def describe(ws) -> dict:
    cells = {
        cell.coordinate: (
            cell.value,
            cell.data_type,
            cell.number_format,
            repr(cell.font),
            repr(cell.fill),
            repr(cell.alignment),
            repr(cell.border),
            cell.hyperlink.location if cell.hyperlink else None,
        )
        for row in ws.iter_rows()
        for cell in row
        if cell.has_style or cell.value is not None
    }
    return {
        "cells": cells,
        "merged": sorted(str(r) for r in ws.merged_cells.ranges),
        "heights": {r: d.height for r, d in ws.row_dimensions.items() if d.height},
        "widths": {c: d.width for c, d in ws.column_dimensions.items()},
        "print": (ws.freeze_panes, ws.print_title_rows, ws.page_setup.orientation),
    }


def test_a_streamed_sheet_reads_back_exactly_as_a_normal_one():
    normal, streamed = describe(saved(False)), describe(saved(True))
    assert streamed == normal
    assert normal["cells"]["A3"][:2] == ("'=SUM(A1:A2)", "s")
    assert normal["cells"]["B2"][0] == "  前後に空白  "
    assert normal["cells"]["A4"][-1] == "'様式②_1-1_①A'!A1"
    assert normal["merged"] == ["A1:D1", "B2:B3", "B4:D4", "C3:D3"]


def test_sheet_names_stay_unique_ignoring_case_and_short_enough():
    names = SheetNames(["表紙"])
    assert [names.add(n) for n in ["a", "A", "a", "表紙", "x" * 40]] == [
        "a",
        "A_2",
        "a_3",
        "表紙_2",
        "x" * 31,
    ]

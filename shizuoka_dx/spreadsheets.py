"""Writing cells that spreadsheet programs open safely."""

import csv
import io
import re
from pathlib import Path

from django.core.management.base import CommandError
from django.http import HttpResponse
from django.utils.http import content_disposition_header

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# A plain number written as text (「-5.1」): a spreadsheet reads it as that number and runs nothing.
_PLAIN_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
# Control characters an .xlsx file cannot hold (openpyxl refuses them); tab, LF and CR are allowed.
_XLSX_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


GUARD = "'"


def _needs_guard(text: str) -> bool:
    """Text a spreadsheet would run as a formula, once any guards in front are taken away.

    Counting the guards makes the escape reversible: 「'=x」 typed by a person is written
    「''=x」 and read back as 「'=x」, while 「'abc」 and 「-5.1」 are written as they are."""
    bare = text.lstrip(GUARD)
    return bare.startswith(FORMULA_TRIGGERS) and not _PLAIN_NUMBER.fullmatch(bare)


def safe_cell(value):
    """Text that a spreadsheet would run as a formula gets a leading apostrophe; numbers stay."""
    if isinstance(value, str) and _needs_guard(value):
        return GUARD + value
    return "" if value is None else value


def unguard_cell(value):
    """The inverse of ``safe_cell``: a cell of one of our exports, read back, is the value that
    was exported (the admin's import of its own export changes nothing)."""
    if isinstance(value, str) and value.startswith(GUARD) and _needs_guard(value[1:]):
        return value[1:]
    return value


def xlsx_cell(value):
    """``safe_cell`` for an .xlsx cell: control characters Excel cannot store are dropped first.

    None stays None (an empty cell), numbers stay numbers.
    """
    if value is None:
        return None
    if isinstance(value, str):
        value = _XLSX_ILLEGAL.sub("", value)
    return safe_cell(value)


def csv_bytes(header: list[str], rows) -> bytes:
    """UTF-8 with BOM and CRLF line ends, as Japanese Excel expects."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([safe_cell(value) for value in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def xlsx_bytes(book) -> bytes:
    """A workbook as the bytes of an .xlsx file."""
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def xlsx_file_response(content: bytes, filename: str) -> HttpResponse:
    """An .xlsx file's bytes as a download, with a Japanese file name that every browser keeps."""
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


def xlsx_response(book, filename: str) -> HttpResponse:
    """A workbook as a download, with a Japanese file name that every browser keeps."""
    return xlsx_file_response(xlsx_bytes(book), filename)


def check_xlsx_path(path: Path, *, example: str) -> None:
    """For a command's ``--output``: a Japanese CommandError unless it names an .xlsx file."""
    if path.suffix.lower() != ".xlsx":
        raise CommandError(
            f"書き出し先「{path}」の拡張子を .xlsx にしてください（例: --output {example}）。"
        )


def save_xlsx(book, path: Path) -> None:
    """Save a workbook where a command was told to, or say in Japanese that the folder is missing."""
    if path.parent and not path.parent.exists():
        raise CommandError(f"書き出し先のフォルダ「{path.parent}」がありません。")
    book.save(path)

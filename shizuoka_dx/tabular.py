"""Reading an uploaded .csv or .xlsx safely into a grid of raw cells, and what a person could not
see in it. Nothing here knows what the rows mean: the caller names the sheet to read and what the
rows hold (for its messages), and decides which of the layout facts matter.

Every refusal is a ``FileRefused`` with one plain Japanese line that says what to do; no Python
error text or exception name ever reaches it.

A CSV is parsed strictly: an unterminated quote, a quoted value that swallows the following lines,
NUL bytes, a separator other than the comma, a value over Excel's cell limit and UTF-16 text are
refused with their line.

An .xlsx is read by this module itself, in one streaming pass per part (expat, no DOCTYPE ever
allowed), so that the cost is bounded before anything large is built: each zip member is
decompressed through a counter and refused past ``MAX_MEMBER_BYTES`` whatever its header claims,
and the shared strings, cells and rows are counted as they are read. The workbook is found as
Excel finds it (``_rels/.rels``); a zip holding the same member twice is refused (Excel and Python
would read different copies). The sheet read must be visible. Its one pass gives the saved values,
the formulas without a saved result, and the layout facts: hidden or zero-height rows, hidden or
zero-width columns, merged cells, cells whose number format or colour hides their value, and
percent-formatted numbers with the text a person sees (0.982 shown as 「98.2%」).
"""

import codecs
import colorsys
import csv
import io
import posixpath
import re
import zipfile
from dataclasses import dataclass, field
from decimal import Context, InvalidOperation
from pathlib import Path
from typing import NamedTuple
from xml.parsers import expat

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_UNPACKED_BYTES = 50 * 1024 * 1024  # the zip's declared total, checked before reading
MAX_MEMBER_BYTES = 20 * 1024 * 1024  # each part as it really unpacks, counted while reading
MAX_MEMBERS = 2_000
MAX_ROWS = 10_000  # rows of data: a file of exactly this many (below its heading) is read
HEADING_ROWS = 10  # the rows a heading, and a title above it, may take above the data
MAX_LINES = MAX_ROWS + HEADING_ROWS  # what the reader reads at most, headings included
MAX_COLUMNS = 200
MAX_CELLS = 200_000  # cell elements in the sheet read, filled or only formatted
MAX_SHARED_STRINGS = 100_000
MAX_SHARED_CHARS = 5_000_000
MAX_STYLE_RECORDS = 100_000  # number formats, fonts, fills and cell formats together
MAX_MERGES = 10_000
MAX_ELEMENTS = 1_200_000  # XML elements in all the parts read, whatever they are
MAX_CELL_CHARS = 32_767  # Excel's own limit for one cell
CHUNK_BYTES = 64 * 1024
OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls and other old Office files
ENCODINGS = ("utf-8-sig", "cp932")
UNSAFE_XML = (
    "Excelファイルの中に、安全のため読み込まない記述（XMLの DOCTYPE・ENTITY 宣言）があります。"
    "Excelで開いて「Excel ブック (*.xlsx)」として保存し直してください。"
)
NOT_XLSX = "Excelファイル（.xlsx）として読めません。ファイルが壊れていないか確認してください。"
RESAVE = "Excelで開いて「Excel ブック (*.xlsx)」として保存し直してください。"
TOO_BIG_INSIDE = (
    "Excelファイルの中身が大きすぎます（{what}）。必要な行だけを新しいブックに貼り付けて、"
    "保存し直してください。"
)

# Why a person could not see a row, a column or a cell (SheetLayout).
HIDDEN = "hidden"  # a row or column hidden (or filtered out)
ZERO_SIZE = "zero_size"  # a row of zero height, a column of zero width
FORMAT_HIDES = "format"  # the number format shows nothing of the value (「;;;」)
SAME_COLOUR = "colour"  # the text has (almost) the colour of its background
MIN_CONTRAST = 1.15  # below this contrast ratio, text cannot be told from its background


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


class Unseen(NamedTuple):
    """Why a person cannot see a cell's value: FORMAT_HIDES (``detail`` is the number format) or
    SAME_COLOUR (``detail`` is the number format when its colour, 「[White]」, is the cause)."""

    how: str
    detail: str = ""


@dataclass
class SheetLayout:
    """What a sheet hides from the person who checked it. Empty for a CSV.

    Rows are numbered as Excel numbers them (1 = first row), columns from 0 (A).
    """

    hidden_rows: dict[int, str] = field(default_factory=dict)  # row → HIDDEN or ZERO_SIZE
    hidden_columns: dict[int, str] = field(default_factory=dict)  # column → HIDDEN or ZERO_SIZE
    merged: list[Merge] = field(default_factory=list)
    formula_cells: list[tuple[int, int]] = field(default_factory=list)  # no saved result
    unseen_cells: dict[tuple[int, int], Unseen] = field(default_factory=dict)  # filled cells only
    percent_cells: dict[tuple[int, int], str] = field(default_factory=dict)  # → 「98.2%」


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


def too_many_rows(subject: str) -> FileRefused:
    """More than MAX_ROWS rows of data (the reader stops at MAX_LINES; whoever finds the
    heading counts the rows below it)."""
    return FileRefused(
        [f"行が多すぎます（{MAX_ROWS:,}行超）。{subject}の行だけのファイルにしてください。"]
    )


# ---- CSV -------------------------------------------------------------------------------

SEPARATORS = {"\t": "タブ", ";": "セミコロン（;）", "，": "全角のコンマ（，）"}
CSV_RESAVE = "表計算ソフトで開いて「CSV UTF-8（コンマ区切り）」で保存し直してください。"


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
    if _is_utf16(data):
        raise FileRefused(
            [
                "CSVの文字コードがUTF-16です（Excelの「Unicode テキスト」などで保存したファイルです）。"
                + CSV_RESAVE
            ]
        )
    text = _decode(data)
    nul = text.find("\x00")
    if nul >= 0:
        raise FileRefused(
            [
                f"CSVの{_line_at(text, nul)}行目に、文字ではないデータ（ヌル文字）が入っています。"
                + CSV_RESAVE
            ]
        )
    return Grid(_csv_records(text, subject=subject))


def _is_utf16(data: bytes) -> bool:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return True
    head = data[:400]
    # Without a byte order mark: ASCII text in UTF-16 has a zero in every other byte.
    return len(head) >= 8 and (
        head[1::2].count(0) > len(head) * 0.4 or head[::2].count(0) > len(head) * 0.4
    )


def _decode(data: bytes) -> str:
    for encoding in ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise FileRefused(
        ["CSVの文字コードが分かりません。UTF-8 または Shift_JIS で保存してください。"]
    )


def _line_at(text: str, index: int) -> int:
    return text.count("\n", 0, index) + 1


def _csv_records(text: str, *, subject: str) -> list[tuple[int, list]]:
    """Records numbered as a spreadsheet shows them (a quoted value over several lines stays in
    one row); problems are reported with the line of the file where they are."""
    source = io.StringIO(text, newline="")
    reader = csv.reader(source, strict=True)
    records: list[tuple[int, list]] = []
    line = 0  # the last line of the file read so far
    while True:
        start = line + 1
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise FileRefused([_csv_error(str(exc), start, reader.line_num)]) from None
        line = reader.line_num
        if len(records) >= MAX_LINES:
            raise too_many_rows(subject)
        if line > start:
            _check_spanning(fields, start, line)
        if len(fields) == 1:
            _check_separator(fields[0], start)
        for value in fields:
            if len(value) > MAX_CELL_CHARS:
                raise FileRefused([_too_long(start)])
        records.append((len(records) + 1, fields[:MAX_COLUMNS]))
    return records


def _csv_error(text: str, start: int, line: int) -> str:
    if "unexpected end of data" in text:
        return (
            f'CSVの{start}行目で始まる「"」（ダブルクォーテーション）が閉じられていません。'
            '値を囲む「"」の閉じ忘れを直すか、値の中の「"」を「""」と2つ重ねてください。'
        )
    if "field larger than field limit" in text:
        return _too_long(start)
    if "expected after" in text:
        return (
            f'CSVの{line}行目: 「"」で囲んだ値のすぐあとに文字があります。'
            '値全体を「"」で囲み、値の中の「"」は「""」と2つ重ねてください。'
        )
    return f"CSVの{line}行目を読めません。" + CSV_RESAVE


def _too_long(start: int) -> str:
    return (
        f"CSVの{start}行目に長すぎる値があります（{MAX_CELL_CHARS:,}文字超）。"
        '「"」の閉じ忘れがないか、値が正しいかを確かめてください。'
    )


def _check_spanning(fields: list[str], start: int, end: int) -> None:
    """A quoted value over several lines is fine for a note typed with Alt+Enter, but not when
    the lines it holds look like rows: then a quote was left open and swallowed them."""
    for value in fields:
        lines = value.splitlines()
        if len(lines) > 1 and any("," in part for part in lines[1:]):
            raise FileRefused(
                [
                    f'CSVの{start}行目で始まる「"」で囲まれた値が{end}行目まで続き、'
                    'その間の行が1つの値として読まれてしまいます。「"」の閉じ忘れを直してください。'
                ]
            )


def _check_separator(value: str, line: int) -> None:
    for separator, name in SEPARATORS.items():
        if value.count(separator) >= 2:
            raise FileRefused(
                [f"CSVの{line}行目は、コンマ（,）ではなく{name}で区切られています。" + CSV_RESAVE]
            )


# ---- xlsx: the archive -----------------------------------------------------------------


class _Refused(Exception):
    """Internal: one message, raised from inside a parser callback."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class _Broken(Exception):
    """Internal: a part is not what it should be (bad XML, a missing part, a wrong value)."""


class _Archive:
    """The zip as Excel reads it: each part looked up without regard to case (as the Office
    format says), read as it really unpacks, never more than ``MAX_MEMBER_BYTES``."""

    def __init__(self, path: Path):
        self.zip = zipfile.ZipFile(path)
        infos = self.zip.infolist()
        if len(infos) > MAX_MEMBERS:
            raise _Refused(TOO_BIG_INSIDE.format(what=f"部品が{MAX_MEMBERS:,}個超"))
        if sum(info.file_size for info in infos) > MAX_UNPACKED_BYTES:
            raise _Refused(
                "Excelファイルの中身が大きすぎます（展開後50MB超）。"
                "必要な行だけのファイルにしてください。"
            )
        self.parts: dict[str, zipfile.ZipInfo] = {}
        for info in infos:
            key = info.filename.lower()
            if key in self.parts:
                raise _Refused(
                    "Excelファイルの中に、同じ名前の部品が2つ入っています"
                    "（Excelとこのシステムで別々の内容を読むおそれがあります）。" + RESAVE
                )
            self.parts[key] = info
        self.elements = 0  # counted by every part's parser, against MAX_ELEMENTS

    def close(self) -> None:
        self.zip.close()

    def has(self, name: str) -> bool:
        return name.lower() in self.parts

    def chunks(self, name: str):
        info = self.parts.get(name.lower())
        if info is None:
            raise _Broken(name)
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise _Broken(name)  # Excel writes only these; others decompress without a bound
        read = 0
        with self.zip.open(info) as member:
            while chunk := member.read(CHUNK_BYTES):
                read += len(chunk)
                if read > MAX_MEMBER_BYTES:
                    raise _Refused(
                        TOO_BIG_INSIDE.format(
                            what=f"1つの部品が展開後{MAX_MEMBER_BYTES // 1024 // 1024}MB超"
                        )
                    )
                yield chunk


class _Parser:
    """One part streamed through expat: local names only, no DOCTYPE, entities or external
    references. Subclasses define ``start(name, attrs)``, ``end(name)`` and may collect text
    while ``self.collecting`` is true."""

    def __init__(self):
        self.collecting = False
        self.text: list[str] = []

    def parse(self, archive: _Archive, name: str) -> None:
        self.archive = archive
        parser = expat.ParserCreate()  # names as written; _local() drops a prefix (x:c)
        parser.buffer_text = True
        parser.StartDoctypeDeclHandler = _refuse_doctype
        parser.EntityDeclHandler = _refuse_doctype
        parser.ExternalEntityRefHandler = _refuse_doctype
        parser.StartElementHandler = self._start
        parser.EndElementHandler = self._end
        parser.CharacterDataHandler = self._data
        try:
            for chunk in archive.chunks(name):
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
        except expat.ExpatError:
            raise _Broken(name) from None

    def _start(self, name, attrs):
        self.count()
        self.start(_LOCAL.get(name) or _local(name), attrs)

    def count(self):
        self.archive.elements += 1
        if self.archive.elements > MAX_ELEMENTS:
            raise _Refused(TOO_BIG_INSIDE.format(what="書式や文字列などの情報が多すぎます"))

    def _end(self, name):
        self.end(_LOCAL.get(name) or _local(name))

    def _data(self, data):
        if self.collecting:
            self.text.append(data)

    def start(self, name, attrs):
        pass

    def end(self, name):
        pass

    def take_text(self) -> str:
        text = "".join(self.text)
        self.text = []
        return text


_LOCAL: dict[str, str] = {}


def _local(name: str) -> str:
    """An element's name without its prefix: 「x:row」 → 「row」."""
    local = name.rpartition(":")[2]
    if len(_LOCAL) < 10_000:
        _LOCAL[name] = local
    return local


def _refuse_doctype(*_args):
    raise _Refused(UNSAFE_XML)


def _attr(attrs: dict, local: str):
    """An attribute by its local name, with or without a namespace (r:id)."""
    if local in attrs:
        return attrs[local]
    for key, value in attrs.items():
        if key.rpartition(":")[2] == local and not key.startswith("xmlns"):
            return value
    return None


def _true(value) -> bool:
    return value in {"1", "true"}


class _Relationships(_Parser):
    def __init__(self, base: str):
        super().__init__()
        self.base = base
        self.targets: dict[str, str] = {}  # Id → part name
        self.by_type: dict[str, str] = {}  # last part of Type → part name

    def start(self, name, attrs):
        if name != "Relationship" or attrs.get("TargetMode") == "External":
            return
        target = attrs.get("Target") or ""
        part = target[1:] if target.startswith("/") else posixpath.join(self.base, target)
        part = posixpath.normpath(part)
        self.targets[attrs.get("Id") or ""] = part
        self.by_type.setdefault((attrs.get("Type") or "").rpartition("/")[2], part)


def _relationships(archive: _Archive, part: str) -> _Relationships:
    folder, name = posixpath.split(part)
    rels = _Relationships(folder)
    rels_part = posixpath.join(folder, "_rels", name + ".rels")
    if archive.has(rels_part):
        rels.parse(archive, rels_part)
    return rels


class _SheetEntry(NamedTuple):
    name: str
    state: str  # visible, hidden, veryHidden
    rid: str


class _WorkbookPart(_Parser):
    def __init__(self):
        super().__init__()
        self.sheets: list[_SheetEntry] = []
        self.date1904 = False

    def start(self, name, attrs):
        if name == "sheet":
            self.sheets.append(
                _SheetEntry(
                    attrs.get("name") or "", attrs.get("state") or "visible", _attr(attrs, "id")
                )
            )
        elif name == "workbookPr":
            self.date1904 = _true(attrs.get("date1904"))


# ---- xlsx: colours and number formats --------------------------------------------------

# Office's default theme, in the order a colour's ``theme`` index counts them (lt1, dk1, lt2,
# dk2, accents, links): used when a workbook has no theme part.
DEFAULT_THEME = [
    "FFFFFF",
    "000000",
    "E7E6E6",
    "44546A",
    "4472C4",
    "ED7D31",
    "A5A5A5",
    "FFC000",
    "5B9BD5",
    "70AD47",
    "0563C1",
    "954F72",
]
FORMAT_COLOURS = {
    "black": "000000",
    "white": "FFFFFF",
    "red": "FF0000",
    "green": "00FF00",
    "blue": "0000FF",
    "yellow": "FFFF00",
    "magenta": "FF00FF",
    "cyan": "00FFFF",
    "黒": "000000",
    "白": "FFFFFF",
    "赤": "FF0000",
    "緑": "00FF00",
    "青": "0000FF",
    "黄": "FFFF00",
    "紫": "FF00FF",
    "水": "00FFFF",
}
# Built-in number formats Excel does not store in the file: the common ones, and the Japanese
# date and time formats (27–36, 50–58), given here as a code of the same kind.
BUILTIN_FORMATS = {
    0: "General",
    1: "0",
    2: "0.00",
    3: "#,##0",
    4: "#,##0.00",
    9: "0%",
    10: "0.00%",
    11: "0.00E+00",
    12: "# ?/?",
    13: "# ??/??",
    14: "yyyy/m/d",
    15: "d-mmm-yy",
    16: "d-mmm",
    17: "mmm-yy",
    18: "h:mm AM/PM",
    19: "h:mm:ss AM/PM",
    20: "h:mm",
    21: "h:mm:ss",
    22: "yyyy/m/d h:mm",
    37: "#,##0 ;(#,##0)",
    38: "#,##0 ;[Red](#,##0)",
    39: "#,##0.00;(#,##0.00)",
    40: "#,##0.00;[Red](#,##0.00)",
    45: "mm:ss",
    46: "[h]:mm:ss",
    47: "mmss.0",
    48: "##0.0E+0",
    49: "@",
    **{number: 'yyyy"年"m"月"d"日"' for number in (*range(27, 32), *range(34, 37), *range(50, 59))},
    32: 'h"時"mm"分"',
    33: 'h"時"mm"分"ss"秒"',
}
_SECTION_TOKENS = re.compile(r'"[^"]*"|\\.|_.|\*.|\[[^\]]*\]|.', re.DOTALL)
_DATE_LETTERS = set("ymdhsegYMDHSEG")


def _luminance(rgb: str) -> float:
    def channel(hex_pair: str) -> float:
        value = int(hex_pair, 16) / 255
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(rgb[i : i + 2]) for i in (0, 2, 4))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _contrast(first: str, second: str) -> float:
    light, dark = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def _tinted(rgb: str, tint: float) -> str:
    r, g, b = (int(rgb[i : i + 2], 16) / 255 for i in (0, 2, 4))
    hue, light, saturation = colorsys.rgb_to_hls(r, g, b)
    light = light * (1 + tint) if tint < 0 else light * (1 - tint) + tint
    return "".join(
        f"{round(v * 255):02X}" for v in colorsys.hls_to_rgb(hue, min(max(light, 0), 1), saturation)
    )


class _Section(NamedTuple):
    shows_value: bool
    percent: bool
    colour: str | None  # a [Red] or [白] in the format


def _sections(code: str) -> list[str]:
    sections, current = [], []
    for token in _SECTION_TOKENS.findall(code):
        if token == ";":
            sections.append("".join(current))
            current = []
        else:
            current.append(token)
    sections.append("".join(current))
    return sections


def _section(code: str, *, text: bool) -> _Section:
    """What one section of a number format does with the value: does the value appear at all
    (a digit placeholder, 「General」, a date part, or 「@」 for text), is it shown ×100 with
    「%」, and does the format set the colour."""
    shows = percent = False
    colour = None
    general = code.lower().replace(" ", "")
    if "general" in general or "g/標準" in general:
        shows = True
    for token in _SECTION_TOKENS.findall(code):
        if token.startswith("["):
            inner = token[1:-1].strip().lower()
            if inner in FORMAT_COLOURS:
                colour = FORMAT_COLOURS[inner]
            elif inner[:1] in {"h", "m", "s"}:  # [h]:mm elapsed time
                shows = True
            continue
        if token[:1] in {'"', "\\", "_", "*"}:
            continue
        if token == "@":
            shows = shows or text
        elif token in "0#?" or (token in _DATE_LETTERS and not text):
            shows = shows or not text
        elif token == "%":
            percent = True
    return _Section(shows, percent and not text, colour)


class _Look(NamedTuple):
    """How a cell format shows a value: its number format, text colour and background."""

    code: str
    font: str  # RRGGBB
    fill: str  # RRGGBB
    date: bool
    elapsed: bool

    def section(self, kind: str) -> _Section:
        """The section that shows a value of this ``kind``: TEXT, POSITIVE, NEGATIVE or ZERO."""
        sections = _sections(self.code)
        if any(re.search(r"\[[<>=]", part) for part in sections):
            return _Section(True, "%" in self.code, None)  # conditions: not second-guessed
        if kind == TEXT:
            if len(sections) >= 4:
                return _section(sections[3], text=True)
            return _Section(True, False, _section(sections[0], text=True).colour)
        if len(sections) == 1 and "@" in _SECTION_TOKENS.findall(sections[0]):
            # 「@」 (text): a number in it is shown as typed
            return _Section(True, False, _section(sections[0], text=True).colour)
        if len(sections) == 1 or kind == POSITIVE or (len(sections) == 2 and kind == ZERO):
            part = sections[0]
        elif kind == NEGATIVE:
            part = sections[1]
        else:
            part = sections[2]
        return _section(part, text=False)


TEXT, POSITIVE, NEGATIVE, ZERO, OTHER = "text", "positive", "negative", "zero", "other"


class _Verdict(NamedTuple):
    """What a cell format does to a value of one kind, worked out once per format and kind."""

    unseen: Unseen | None
    percent: bool
    date: bool
    elapsed: bool


def _verdict(look: _Look, kind: str) -> _Verdict:
    section = _SHOWN if kind == OTHER else look.section(kind)
    unseen = None
    if not section.shows_value:
        unseen = Unseen(FORMAT_HIDES, look.code)
    elif _contrast(section.colour or look.font, look.fill) < MIN_CONTRAST:
        unseen = Unseen(SAME_COLOUR, look.code if section.colour else "")
    number = kind in {POSITIVE, NEGATIVE, ZERO}
    return _Verdict(unseen, number and section.percent, number and look.date, look.elapsed)


class _Styles(_Parser):
    """The cell formats of styles.xml (cellXfs), with their number format, font colour and fill,
    and the theme's colours."""

    def __init__(self, theme: list[str]):
        super().__init__()
        self.theme = theme
        self.palette: list[str] = []
        self.formats: dict[int, str] = {}
        self.fonts: list[str] = []
        self.fills: list[str] = []
        self.cell_formats: list[tuple[int, int, int]] = []  # numFmtId, fontId, fillId
        self.stack: list[str] = []
        self.records = 0
        self.font_colour = None
        self.fill_pattern = None
        self.fill_colour = None

    def colour(self, attrs, default: str) -> str:
        if _true(attrs.get("auto")):
            return default
        rgb = attrs.get("rgb")
        if rgb and re.fullmatch(r"[0-9A-Fa-f]{6,8}", rgb):
            colour = rgb[-6:].upper()
        elif attrs.get("theme") is not None:
            index = int(attrs["theme"])
            colour = self.theme[index] if 0 <= index < len(self.theme) else default
        elif attrs.get("indexed") is not None:
            index = int(attrs["indexed"])
            palette = self.palette or _DEFAULT_PALETTE
            if index < len(palette):
                colour = palette[index]
            else:
                colour = "FFFFFF" if index == 65 else "000000"  # system background, foreground
        else:
            return default
        tint = float(attrs.get("tint") or 0)
        return _tinted(colour, tint) if tint else colour

    def start(self, name, attrs):
        stack = self.stack
        stack.append(name)
        if name in {"numFmt", "font", "fill", "xf"}:
            self.records += 1
            if self.records > MAX_STYLE_RECORDS:
                raise _Refused(TOO_BIG_INSIDE.format(what="書式が多すぎます"))
        path = tuple(stack[-4:])
        if path[-2:] == ("numFmts", "numFmt"):
            self.formats[int(attrs.get("numFmtId") or 0)] = attrs.get("formatCode") or ""
        elif path[-2:] == ("indexedColors", "rgbColor"):
            self.palette.append((attrs.get("rgb") or "FF000000")[-6:].upper())
        elif path[-2:] == ("fonts", "font"):
            self.font_colour = "000000"
        elif path[-3:] == ("fonts", "font", "color"):
            self.font_colour = self.colour(attrs, "000000")
        elif path[-3:] == ("fills", "fill", "patternFill"):
            self.fill_pattern = attrs.get("patternType") or "none"
            self.fill_colour = "000000"
        elif path == ("fills", "fill", "patternFill", "fgColor"):
            self.fill_colour = self.colour(attrs, "000000")
        elif path[-2:] == ("cellXfs", "xf"):
            self.cell_formats.append(
                tuple(int(attrs.get(key) or 0) for key in ("numFmtId", "fontId", "fillId"))
            )

    def end(self, name):
        path = tuple(self.stack[-2:])
        self.stack.pop()
        if path == ("fonts", "font"):
            self.fonts.append(self.font_colour or "000000")
        elif path == ("fills", "fill"):
            solid = self.fill_pattern == "solid"
            self.fills.append(self.fill_colour if solid else "FFFFFF")
            self.fill_pattern = self.fill_colour = None

    def look(self, index: int) -> _Look:
        from openpyxl.styles.numbers import is_date_format, is_timedelta_format

        number_format, font, fill = (
            self.cell_formats[index] if 0 <= index < len(self.cell_formats) else (0, 0, 0)
        )
        code = self.formats.get(number_format) or BUILTIN_FORMATS.get(number_format, "General")
        return _Look(
            code,
            self.fonts[font] if 0 <= font < len(self.fonts) else "000000",
            self.fills[fill] if 0 <= fill < len(self.fills) else "FFFFFF",
            is_date_format(code),
            is_timedelta_format(code),
        )


def _palette() -> list[str]:
    from openpyxl.styles.colors import COLOR_INDEX

    return [colour[-6:].upper() for colour in COLOR_INDEX]


_DEFAULT_PALETTE = _palette()


class _Theme(_Parser):
    ORDER = ("dk1", "lt1", "dk2", "lt2", *(f"accent{n}" for n in range(1, 7)), "hlink", "folHlink")

    def __init__(self):
        super().__init__()
        self.colours: dict[str, str] = {}
        self.current = None

    def start(self, name, attrs):
        if name in self.ORDER and name not in self.colours:
            self.current = name
        elif self.current and name in {"srgbClr", "sysClr"}:
            value = attrs.get("val") if name == "srgbClr" else attrs.get("lastClr")
            if value and re.fullmatch(r"[0-9A-Fa-f]{6}", value):
                self.colours[self.current] = value.upper()
            self.current = None

    def indexed(self) -> list[str]:
        """In the order a colour's ``theme`` index counts them: lt1, dk1, lt2, dk2, …"""
        order = ["lt1", "dk1", "lt2", "dk2", *self.ORDER[4:]]
        return [self.colours.get(key, DEFAULT_THEME[i]) for i, key in enumerate(order)]


class _SharedStrings(_Parser):
    def __init__(self):
        super().__init__()
        self.strings: list[str] = []
        self.chars = 0
        self.phonetic = 0  # inside <rPh>: the reading, not shown in the cell

    def start(self, name, attrs):
        if name == "t" and not self.phonetic:
            self.collecting = True
        elif name == "rPh":
            self.phonetic += 1
        elif name == "si":
            self.text = []

    def end(self, name):
        if name == "t":
            self.collecting = False
        elif name == "rPh":
            self.phonetic -= 1
        elif name == "si":
            value = _unescape(self.take_text())
            self.chars += len(value)
            self.strings.append(value)
            if len(self.strings) > MAX_SHARED_STRINGS:
                raise _Refused(TOO_BIG_INSIDE.format(what=f"文字列が{MAX_SHARED_STRINGS:,}個超"))
            if self.chars > MAX_SHARED_CHARS or len(value) > MAX_CELL_CHARS:
                raise _Refused(TOO_BIG_INSIDE.format(what="文字数が多すぎます"))


_ESCAPED = re.compile(r"_x([0-9A-Fa-f]{4})_")


def _unescape(text: str) -> str:
    """Excel writes characters XML cannot hold as _xHHHH_ (a carriage return is _x000D_)."""
    if "_x" not in text:
        return text
    return _ESCAPED.sub(lambda match: chr(int(match.group(1), 16)), text)


# ---- xlsx: the sheet -------------------------------------------------------------------

_ROUND = Context(prec=15)  # Excel shows at most 15 significant digits


_COLUMNS: dict[str, int] = {}


def _column_index(letters: str) -> int:
    """「A」 → 0, 「AA」 → 26 (cached: a sheet names the same few columns again and again)."""
    index = _COLUMNS.get(letters)
    if index is None:
        if not (0 < len(letters) <= 3 and letters.isascii() and letters.isalpha()):
            raise _Broken("cell reference")
        index = 0
        for letter in letters.upper():
            index = index * 26 + ord(letter) - 64
        index -= 1
        if len(_COLUMNS) < 20_000:
            _COLUMNS[letters] = index
    return index


class _Sheet(_Parser):
    """The sheet in one pass: values, formulas without a result, and what hides them."""

    def __init__(self, *, strings, styles, epoch, subject):
        super().__init__()
        self.strings = strings
        self.styles = styles
        self.verdicts: dict[tuple[int, str], _Verdict] = {}
        self.epoch = epoch
        self.subject = subject
        self.layout = SheetLayout()
        self.rows: list[tuple[int, list]] = []
        self.cells = 0
        self.zero_height = False  # <sheetFormatPr zeroHeight="1">: rows hidden unless sized
        self.zero_width = False
        self.sized_columns: set[int] = set()
        self.row_number = 0
        self.row: list = []
        self.cell = None  # (column, type, style) of the cell being read
        self.column = -1
        self.value_text = None
        self.formula = False
        self.in_inline = False
        self.phonetic = False

    def _start(self, name, attrs):  # the cells' own elements first: most of the events
        self.count()
        if name == "c":
            self._start_cell(attrs)
        elif name == "v":
            self.collecting, self.text = True, []
        else:
            self.start(_LOCAL.get(name) or _local(name), attrs)

    def _end(self, name):
        if name == "v":
            self.collecting = False
            self.value_text = "".join(self.text)
            if len(self.value_text) > MAX_CELL_CHARS:
                raise _Refused(TOO_BIG_INSIDE.format(what="文字数が多すぎます"))
        elif name == "c":
            self._end_cell()
        else:
            self.end(_LOCAL.get(name) or _local(name))

    def start(self, name, attrs):
        if name == "c":
            self._start_cell(attrs)
        elif name == "v":
            self.collecting, self.text = True, []
        elif name == "f":
            self.formula = True
        elif name == "is":
            self.in_inline, self.text = True, []
        elif name == "t" and self.in_inline and not self.phonetic:
            self.collecting = True
        elif name == "rPh":
            self.phonetic = True
        elif name == "row":
            self._start_row(attrs)
        elif name == "col":
            self._column(attrs)
        elif name == "mergeCell":
            self._merge(attrs.get("ref") or "")
        elif name == "sheetFormatPr":
            self.zero_height = _true(attrs.get("zeroHeight"))
            width = attrs.get("defaultColWidth")
            self.zero_width = width is not None and _float(width) < 1

    def end(self, name):
        if name == "v":
            self.collecting = False
            self.value_text = self.take_text()
            if len(self.value_text) > MAX_CELL_CHARS:
                raise _Refused(TOO_BIG_INSIDE.format(what="文字数が多すぎます"))
        elif name == "t" and self.in_inline:
            self.collecting = False
        elif name == "rPh":
            self.phonetic = False
        elif name == "is":
            self.in_inline = False
            self.value_text = self.take_text()
        elif name == "c":
            self._end_cell()
        elif name == "row":
            self._end_row()
        elif name == "sheetData" and self.zero_width:
            for column in range(MAX_COLUMNS):
                if column not in self.sized_columns:
                    self.layout.hidden_columns.setdefault(column, ZERO_SIZE)

    # rows and columns

    def _start_row(self, attrs):
        number = attrs.get("r")
        number = int(number) if number and number.isdigit() else self.row_number + 1
        if number <= self.row_number:
            raise _Broken("row order")
        if number > MAX_LINES:
            raise too_many_rows(self.subject)
        for missing in range(self.row_number + 1, number):
            self.rows.append((missing, []))
        self.row_number = number
        self.row = []
        self.column = -1
        height = attrs.get("ht")
        if _true(attrs.get("hidden")):
            self.layout.hidden_rows[number] = HIDDEN
        elif (height is not None and _float(height) < 1) or (self.zero_height and height is None):
            self.layout.hidden_rows[number] = ZERO_SIZE

    def _end_row(self):
        self.rows.append((self.row_number, self.row))

    def _column(self, attrs):
        first, last = int(attrs.get("min") or 1) - 1, int(attrs.get("max") or 1)
        width = attrs.get("width")
        how = None
        if _true(attrs.get("hidden")):
            how = HIDDEN
        elif width is not None and _float(width) < 1:
            how = ZERO_SIZE
        for column in range(max(first, 0), min(last, MAX_COLUMNS)):
            self.sized_columns.add(column)
            if how:
                self.layout.hidden_columns[column] = how

    def _merge(self, ref: str):
        from openpyxl.utils.cell import range_boundaries

        try:
            min_col, min_row, max_col, max_row = range_boundaries(ref)
        except (ValueError, TypeError):
            return
        if None not in (min_col, min_row, max_col, max_row):
            self.layout.merged.append(Merge(ref, min_row, min_col - 1, max_row, max_col - 1))
            if len(self.layout.merged) > MAX_MERGES:
                raise _Refused(TOO_BIG_INSIDE.format(what=f"結合セルが{MAX_MERGES:,}個超"))

    # cells

    def _start_cell(self, attrs):
        self.cells += 1
        if self.cells > MAX_CELLS:
            raise _Refused(TOO_BIG_INSIDE.format(what=f"セルが{MAX_CELLS:,}個超"))
        ref = attrs.get("r")
        column = _column_index(ref.rstrip("0123456789")) if ref else self.column + 1
        if column <= self.column:
            raise _Broken("cell order")
        self.column = column
        self.cell = (column, attrs.get("t") or "n", int(attrs.get("s") or 0))
        self.value_text = None
        self.formula = False

    def _end_cell(self):
        column, kind, style = self.cell
        if column >= MAX_COLUMNS:
            return
        value = self._value(kind, self.value_text)
        position = (self.row_number, column)
        if value is None and self.formula:
            self.layout.formula_cells.append(position)
        if value is not None and value != "":
            value = self._seen(value, position, style)
        self.row.extend([None] * (column - len(self.row)))
        self.row.append(value)

    def _value(self, kind: str, text: str | None):
        if text is None:
            return None
        if kind == "s":
            index = int(text)
            if not 0 <= index < len(self.strings):
                raise _Broken("shared string")
            return self.strings[index]
        if kind in {"str", "inlineStr"}:
            if len(text) > MAX_CELL_CHARS:
                raise _Refused(TOO_BIG_INSIDE.format(what="文字数が多すぎます"))
            return _unescape(text)
        if kind == "b":
            return text.strip() in {"1", "true"}
        if kind == "e":
            return text
        if kind == "d":
            from openpyxl.utils.datetime import from_ISO8601

            return from_ISO8601(text)
        text = text.strip()
        if not text:
            return None
        if "." in text or "e" in text.lower():
            return float(text)
        return int(text)

    def _seen(self, value, position, style):
        """The value as a person sees it (a date for a date format), noting a percent format
        with the text shown, and a format or colours that hide the value."""
        if isinstance(value, str):
            kind = TEXT
        elif isinstance(value, bool) or not isinstance(value, int | float):
            kind = OTHER
        else:
            kind = POSITIVE if value > 0 else NEGATIVE if value < 0 else ZERO
        verdict = self.verdicts.get((style, kind))
        if verdict is None:
            look = self.styles.look(style) if self.styles else _PLAIN
            verdict = self.verdicts[(style, kind)] = _verdict(look, kind)
        if verdict.unseen:
            self.layout.unseen_cells[position] = verdict.unseen
        if verdict.date:
            from openpyxl.utils.datetime import from_excel

            try:
                return from_excel(value, self.epoch, timedelta=verdict.elapsed)
            except (OverflowError, ValueError):
                return "#VALUE!"
        if verdict.percent:
            self.layout.percent_cells[position] = _percent_text(self.value_text)
        return value


_PLAIN = _Look("General", "000000", "FFFFFF", False, False)
_SHOWN = _Section(True, False, None)


def _float(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise _Broken("number") from None


def _percent_text(raw: str) -> str:
    """0.982 → 「98.2%」: the stored number ×100, to the 15 digits Excel shows."""
    try:
        shown = _ROUND.create_decimal(raw.strip()) * 100
    except InvalidOperation:
        raise _Broken("number") from None
    return f"{shown.normalize():f}%"


def _xlsx_grid(path: Path, *, sheet: str, subject: str) -> Grid:
    archive = None
    try:
        archive = _Archive(path)
        return _read_workbook(archive, sheet=sheet, subject=subject)
    except FileRefused:
        raise
    except _Refused as exc:
        raise FileRefused([exc.message]) from None
    except _BrokenSheet as exc:
        raise FileRefused(
            [f"シート「{exc.name}」を読めません。ファイルが壊れていないか確認してください。"]
        ) from None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError):
        if archive is None:
            raise FileRefused([_not_a_zip_message(path)]) from None
        raise FileRefused([NOT_XLSX]) from None
    except Exception:  # zlib, zipfile and a damaged part raise many kinds
        raise FileRefused([NOT_XLSX]) from None
    finally:
        if archive is not None:
            archive.close()


class _BrokenSheet(Exception):
    def __init__(self, name: str):
        super().__init__(name)
        self.name = name


def _read_workbook(archive: _Archive, *, sheet: str, subject: str) -> Grid:
    package = _relationships(archive, "")
    workbook_part = package.by_type.get("officeDocument", "xl/workbook.xml")
    if not archive.has(workbook_part):
        raise _Refused(NOT_XLSX)
    workbook = _WorkbookPart()
    workbook.parse(archive, workbook_part)
    rels = _relationships(archive, workbook_part)
    entries = {entry.name: entry for entry in workbook.sheets}
    name = _pick_sheet([entry.name for entry in workbook.sheets], sheet=sheet, subject=subject)
    entry = entries[name]
    if entry.state == "veryHidden":
        raise _Refused(
            f"シート「{name}」は、Excelの画面からは再表示できない形で隠されています"
            "（マクロなどで隠したシートです）。"
            f"見えているシートに{subject}を入力したファイルを作り直してください。"
        )
    if entry.state != "visible":
        raise _Refused(
            f"シート「{name}」は非表示になっています。"
            "シートを再表示（シート見出しを右クリック →「再表示」）して内容を確かめてから、"
            "保存し直してください。"
        )
    part = rels.targets.get(entry.rid or "")
    if part is None or not archive.has(part):
        raise _BrokenSheet(name)
    theme = _Theme()
    if "theme" in rels.by_type and archive.has(rels.by_type["theme"]):
        theme.parse(archive, rels.by_type["theme"])
    styles = None
    if "styles" in rels.by_type and archive.has(rels.by_type["styles"]):
        styles = _Styles(theme.indexed())
        styles.parse(archive, rels.by_type["styles"])
    strings = _SharedStrings()
    if "sharedStrings" in rels.by_type and archive.has(rels.by_type["sharedStrings"]):
        strings.parse(archive, rels.by_type["sharedStrings"])
    from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900

    reader = _Sheet(
        strings=strings.strings,
        styles=styles,
        epoch=CALENDAR_MAC_1904 if workbook.date1904 else CALENDAR_WINDOWS_1900,
        subject=subject,
    )
    strings.strings = []
    try:
        reader.parse(archive, part)
    except (_Broken, ValueError, TypeError, IndexError, OverflowError):
        raise _BrokenSheet(name) from None
    return Grid(reader.rows, reader.layout)


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

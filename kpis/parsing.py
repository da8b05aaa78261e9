"""Reading a KPI actual and its fiscal year as people type them: one parser for files, forms,
commands and the admin.

「３２４，０８１件」, "324081", "98.2%", "△12", "−3", "3.2万件" → Decimal; 「着手」 → a stage;
「R7」, 「令和7年度」, 2025 → 2025 within the KPI's window (a date is refused). Errors carry a plain
Japanese message (no row or column: the caller adds where the value came from).

A number is read only when it has one reading; otherwise it is refused, never guessed:
- thousands separators only every three digits from the decimal point (1,234 and 12,345,678;
  not 1,2,3, 98,2, 1,23, 1,2345, 0,5 or ,5,), none after the decimal point;
- no spaces between digits (1 234, 1　234): a space may only stand around the sign or the unit;
- a minus only where the KPI allows it (``KpiSpec.allows_negative``: never on a count, otherwise
  only when the plan itself prints a negative baseline or target);
- a minus zero typed as text (-0, △0, ▲0.0) is refused: in Japanese reports △0 is often a small
  negative rounded to 0, so it has two readings; a numeric cell holding −0 is 0, as Excel shows it;
- a share (``KpiSpec.share``: a ％ KPI whose plan prints only values in 0–100) is never over 100.
"""

import datetime
import math
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal

from kpis.calculations import MILESTONE, KpiSpec
from kpis.models import Kpi, Stage
from shizuoka_dx.fiscal import FiscalYearError, format_fiscal_year, parse_fiscal_year

MINUS_SIGNS = {"\u2212": "-", "\uff0d": "-", "\u2010": "-", "\u2013": "-", "△": "-", "▲": "-"}
MULTIPLIERS = {"万": Decimal(10_000), "千": Decimal(1_000), "億": Decimal(100_000_000)}
PERCENT_UNITS = {"%"}
DATE_TYPES = (datetime.date, datetime.time, datetime.timedelta)
GENERIC_UNITS = {"%", "件", "人", "名", "社", "回", "点", "時間", "地点", "部署", "種類", "業務"}
HUNDRED = Decimal(100)
_NUMBER_RE = re.compile(
    r"^(?P<sign>[+-]?)(?P<digits>[0-9.,]*[0-9][0-9.,]*|[.,]+)(?P<multiplier>[万千億]?)(?P<rest>.*)$"
)
_PLAIN = re.compile(r"^[0-9]+(?:\.[0-9]+)?$")
# Thousands separators every three digits, the first group not starting with 0 (0,5 is a decimal).
_GROUPED = re.compile(r"^[1-9][0-9]{0,2}(?:,[0-9]{3})+(?:\.[0-9]+)?$")
# One comma with one, two or four and more digits after it: what a decimal comma looks like.
_DECIMAL_COMMA = re.compile(r"^[0-9]+,(?:[0-9]{1,2}|[0-9]{4,})$")
# Digits (or their separators) with a space between them: 1 234, 1, 234, 1.5 0.
_SPLIT = re.compile(r"[0-9.,]\s+[0-9.,]")
# A date typed as text where a fiscal year belongs: 2026/4/1, 令和8年4月1日, R8.4.1
_DATE_TEXT = re.compile(
    r"^(?:\d{4}|(?:令和|平成|R|H)\s*(?:元|\d{1,2}))\s*[/.\-年]\s*\d{1,2}\s*[/.\-月]\s*\d{1,2}\s*日?$",
    re.IGNORECASE,
)


class ValueParseError(ValueError):
    """The text is not a value for this KPI; the message says why, in Japanese."""


@dataclass(frozen=True)
class ParsedValue:
    value: Decimal | None = None
    stage: str = ""

    def display(self) -> str:
        if self.stage:
            return self.stage
        return f"{self.value.normalize():f}" if self.value is not None else ""


def normalize_text(raw) -> str:
    text = unicodedata.normalize("NFKC", str(raw)).strip()
    for sign, ascii_minus in MINUS_SIGNS.items():
        text = text.replace(sign, ascii_minus)
    return text


def typed(raw) -> str:
    """A value as the person sees it in the cell: TRUE for a true cell, 2024 for 2024.0."""
    if isinstance(raw, bool):
        return "TRUE" if raw else "FALSE"
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    return str(raw)


def _strip_unit(text: str, unit: str, raw) -> str:
    """Drop a trailing unit: the KPI's own first (「31億円」 stays 31), then a common one, which
    must then be the KPI's own (「5人」 is not a value of a ％ KPI)."""
    own = normalize_text(unit).replace(" ", "") if unit else ""
    if own and text.endswith(own) and len(text) > len(own):
        return text[: -len(own)]
    for candidate in sorted(GENERIC_UNITS, key=len, reverse=True):
        if text.endswith(candidate) and len(text) > len(candidate):
            if own:
                raise ValueParseError(
                    f"「{raw}」の単位「{candidate}」は、このKPIの単位「{unit}」と違います。"
                    f"単位を「{unit}」にするか、数値だけを入力してください。"
                )
            return text[: -len(candidate)]
    return text


def _digits(number: str, raw) -> str:
    """The digits of ``number`` without its thousands separators, if they are where they belong."""
    if "," not in number or not any(ch.isdigit() for ch in number):
        if not _PLAIN.match(number):
            raise ValueParseError(f"「{raw}」は数値として読めません（例: 324,081 や 98.2％）。")
        return number
    if _GROUPED.match(number):
        return number.replace(",", "")
    if _DECIMAL_COMMA.match(number):
        raise ValueParseError(
            f"「{raw}」は「,」が3桁ごとの位置にないので、小数なら「{number.replace(',', '.')}」"
            "のように「.」で入力してください（千以上の数なら 1,234 のように3桁ごとに「,」を付けます）。"
        )
    raise ValueParseError(
        f"「{raw}」は「,」が3桁ごとの位置にないので、1,234 のように3桁ごとに「,」を付けるか、"
        "「,」を付けずに数字だけを入力してください。"
    )


def parse_number(raw, *, unit: str = "", negative: bool = True) -> Decimal:
    """A number with optional thousands separators, sign, 万/千/億, and a trailing unit, read
    only when it has one reading (see the module's docstring). ``negative`` says whether the
    KPI may take a value below zero (it only changes what the message for a minus zero says)."""
    if isinstance(raw, bool):
        raise ValueParseError(
            f"「{typed(raw)}」は数値として読めません（セルに TRUE・FALSE と表示されています）。"
            "数値を入力してください。"
        )
    if isinstance(raw, DATE_TYPES):
        raise ValueParseError(
            "日付として入力されています。数値を入力してください"
            "（セルの書式が日付のときは「文字列」か「標準」にしてから入力し直してください）。"
        )
    if isinstance(raw, int | float | Decimal):
        value = Decimal(str(raw)) if isinstance(raw, float) else Decimal(raw)
        if not value.is_finite() or (isinstance(raw, float) and not math.isfinite(raw)):
            raise ValueParseError(f"「{typed(raw)}」は数値として読めません。")
        return value + 0  # a numeric −0 is 0, as a spreadsheet shows it
    text = normalize_text(raw)
    if not text:
        raise ValueParseError("実績値が空欄です。")
    if _SPLIT.search(text):
        raise ValueParseError(
            f"「{raw}」は数字の間に空白があり、1つの数値か2つの数値か決まらないので、"
            "空白を消して入力してください（例: 1234 または 1,234）。"
        )
    text = re.sub(r"\s+", "", text)
    match = _NUMBER_RE.match(_strip_unit(text, unit, raw))
    if not match:
        raise ValueParseError(f"「{raw}」は数値として読めません（例: 324,081 や 98.2％）。")
    if match.group("rest"):
        hint = f"このKPIの単位は「{unit}」です" if unit else "単位として分かりません"
        raise ValueParseError(
            f"「{raw}」は数値として読めません"
            f"（数値のあとの「{match.group('rest')}」が読めません。{hint}）。"
        )
    multiplier = match.group("multiplier")
    if multiplier and normalize_text(unit) in PERCENT_UNITS:
        raise ValueParseError(
            f"割合（{unit}）の値に「{multiplier}」は使えません。数値だけを入力してください（例: 65％）。"
        )
    value = Decimal(_digits(match.group("digits"), raw))
    if match.group("sign") == "-" and value == 0:
        otherwise = "と、マイナスの値なら丸める前の値を" if negative else "と"
        raise ValueParseError(
            f"「{raw}」はマイナスの付いた0で、0なのか0に丸めたマイナスの値なのか決まらないので、"
            f"0なら「0」{otherwise}入力してください。"
        )
    if match.group("sign") == "-":
        value = -value
    if multiplier:
        value *= MULTIPLIERS[multiplier]
    return value


def check_range(value: Decimal, raw, spec: KpiSpec) -> Decimal:
    """Refuse a value the KPI cannot take: below zero unless ``spec.allows_negative``, over 100
    for a share (``spec.share``)."""
    if value < 0 and not spec.allows_negative:
        if spec.counted:
            why, ask = f"「{spec.unit}」で数える値はマイナスにならない", ""
        else:
            why = "このKPIは計画の現状値・目標値にマイナスがない"
            ask = "（マイナスになりうる指標なら、DX推進課にご相談ください）"
        raise ValueParseError(
            f"「{typed(raw)}」はマイナスの値ですが、{why}ので、0以上の値を入力してください{ask}。"
        )
    if spec.share and value > HUNDRED:
        raise ValueParseError(
            f"「{typed(raw)}」は100％を超えていますが、このKPIは割合（{spec.unit}）で"
            "0〜100の範囲なので、値を確かめて入力し直してください。"
        )
    return value


def parse_stage(raw) -> str:
    text = normalize_text(raw)
    if text in Stage.values:
        return text
    choices = "・".join(Stage.values)
    raise ValueParseError(
        f"「{raw}」は段階として読めません（{choices} のいずれかを入力してください）。"
    )


def parse_actual(raw, spec: KpiSpec) -> ParsedValue:
    """The value of one actual for a KPI (``kpi.spec``): a stage for a milestone KPI, else a
    number the KPI can take."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        raise ValueParseError("実績値が空欄です。")
    if spec.direction == MILESTONE:
        return ParsedValue(stage=parse_stage(raw))
    text = normalize_text(raw) if isinstance(raw, str) else ""
    if text in Stage.values:
        raise ValueParseError(
            f"このKPIは数値で測ります。段階「{text}」ではなく数値を入力してください。"
        )
    value = parse_number(raw, unit=spec.unit, negative=spec.allows_negative)
    return ParsedValue(value=check_range(value, raw, spec))


def check_fiscal_year(kpi: Kpi, raw) -> int:
    """The fiscal year of one actual of ``kpi``: any way people write it, within the KPI's
    window; raises FiscalYearError (a date instead of a year, unreadable, outside the window)."""
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

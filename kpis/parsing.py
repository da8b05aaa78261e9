"""Reading a KPI actual and its fiscal year as people type them: one parser for files, forms,
commands and the admin.

「３２４，０８１件」, "324081", "98.2%", "△12", "−3", "3.2万件" → Decimal; 「着手」 → a stage;
「R7」, 「令和7年度」, 2025 → 2025 within the KPI's window (a date is refused). Errors carry a plain
Japanese message (no row or column: the caller adds where the value came from).
"""

import datetime
import math
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal

from kpis.models import Kpi, Stage
from shizuoka_dx.fiscal import FiscalYearError, format_fiscal_year, parse_fiscal_year

MINUS_SIGNS = {"\u2212": "-", "\uff0d": "-", "\u2010": "-", "\u2013": "-", "△": "-", "▲": "-"}
MULTIPLIERS = {"万": Decimal(10_000), "千": Decimal(1_000), "億": Decimal(100_000_000)}
PERCENT_UNITS = {"%"}
DATE_TYPES = (datetime.date, datetime.time, datetime.timedelta)
GENERIC_UNITS = {"%", "件", "人", "名", "社", "回", "点", "時間", "地点", "部署", "種類", "業務"}
_NUMBER_RE = re.compile(
    r"^(?P<sign>[+-]?)(?P<digits>\d+(?:\.\d+)?)(?P<multiplier>[万千億]?)(?P<rest>.*)$"
)
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


def parse_number(raw, *, unit: str = "") -> Decimal:
    """A number with optional thousands separators, sign, 万/千/億, and a trailing unit."""
    if isinstance(raw, bool):
        raise ValueParseError(f"「{raw}」は数値として読めません。")
    if isinstance(raw, DATE_TYPES):
        raise ValueParseError(
            "日付として入力されています。数値を入力してください"
            "（セルの書式が日付のときは「文字列」か「標準」にしてから入力し直してください）。"
        )
    if isinstance(raw, int | Decimal):
        return Decimal(raw)
    if isinstance(raw, float):
        if not math.isfinite(raw):
            raise ValueParseError(f"「{raw}」は数値として読めません。")
        return Decimal(str(raw))
    text = normalize_text(raw).replace(",", "").replace(" ", "")
    if not text:
        raise ValueParseError("実績値が空欄です。")
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
    value = Decimal(match.group("sign") + match.group("digits"))
    if multiplier:
        value *= MULTIPLIERS[multiplier]
    return value


def parse_stage(raw) -> str:
    text = normalize_text(raw)
    if text in Stage.values:
        return text
    choices = "・".join(Stage.values)
    raise ValueParseError(
        f"「{raw}」は段階として読めません（{choices} のいずれかを入力してください）。"
    )


def parse_actual(raw, *, milestone: bool, unit: str = "") -> ParsedValue:
    """The value of one actual for a KPI: a stage for a milestone KPI, else a number."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        raise ValueParseError("実績値が空欄です。")
    if milestone:
        return ParsedValue(stage=parse_stage(raw))
    text = normalize_text(raw) if isinstance(raw, str) else ""
    if text in Stage.values:
        raise ValueParseError(
            f"このKPIは数値で測ります。段階「{text}」ではなく数値を入力してください。"
        )
    return ParsedValue(value=parse_number(raw, unit=unit))


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

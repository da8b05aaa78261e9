"""Japanese fiscal years: parse what people type, format what people read.

A fiscal year runs from April to March and is stored as the Western year in which it starts
(令和5年度 = R5 = 2023). Only 令和 and 平成 are needed for a plan written in 令和.
"""

import re
import unicodedata

REIWA_START = 2019  # 令和元年度
HEISEI_START = 1989  # 平成元年度
MIN_FISCAL_YEAR = 2000
MAX_FISCAL_YEAR = 2100

ERAS = {"令和": REIWA_START, "R": REIWA_START, "平成": HEISEI_START, "H": HEISEI_START}

_ERA_RE = re.compile(r"^(令和|平成|R|H)\s*(元|\d{1,2})\s*(年度|年)?$", re.IGNORECASE)
_WESTERN_RE = re.compile(r"^(\d{4})\s*(年度|年)?$")


class FiscalYearError(ValueError):
    """The text is not a fiscal year we understand; the message is Japanese and user-facing."""


def normalize(text: str) -> str:
    """NFKC (full-width digits and letters to ASCII) and trimmed."""
    return unicodedata.normalize("NFKC", str(text)).strip()


def parse_fiscal_year(value) -> int:
    """2024, "2024", "２０２４年度", "R6", "Ｒ６", "令和6年度", "令和元年度", "H31年度" → Western start year."""
    if isinstance(value, bool):
        raise FiscalYearError(f"「{value}」は年度として読めません。")
    if isinstance(value, int):
        year = value
    elif isinstance(value, float) and value.is_integer():
        year = int(value)
    else:
        text = normalize(value or "")
        if not text:
            raise FiscalYearError("年度が空欄です。")
        if match := _WESTERN_RE.match(text):
            year = int(match.group(1))
        elif match := _ERA_RE.match(text):
            era = match.group(1).upper() if match.group(1).isascii() else match.group(1)
            number = 1 if match.group(2) == "元" else int(match.group(2))
            if number < 1:
                raise FiscalYearError(f"「{value}」は年度として読めません。")
            year = ERAS[era] + number - 1
        else:
            raise FiscalYearError(f"「{value}」は年度として読めません（例: 2024、R6、令和6年度）。")
    if not MIN_FISCAL_YEAR <= year <= MAX_FISCAL_YEAR:
        raise FiscalYearError(
            f"{year}年度は扱える範囲（{MIN_FISCAL_YEAR}〜{MAX_FISCAL_YEAR}年度）の外です。"
        )
    return year


def fiscal_year_of(day) -> int:
    """The fiscal year a date falls in: April–March (2026-03-31 → 2025)."""
    return day.year if day.month >= 4 else day.year - 1


def era_year(year: int) -> str:
    """2024 → 令和6年度; 2019 → 令和元年度; 2018 → 平成30年度."""
    if year >= REIWA_START:
        number = year - REIWA_START + 1
        return "令和元年度" if number == 1 else f"令和{number}年度"
    number = year - HEISEI_START + 1
    return "平成元年度" if number == 1 else f"平成{number}年度"


def format_fiscal_year(year: int | None, *, western: bool = True) -> str:
    """The one way a fiscal year is shown: 令和6年度（2024年度）."""
    if year is None:
        return "年度不明"
    if not western:
        return era_year(year)
    return f"{era_year(year)}（{year}年度）"


def short_fiscal_year(year: int | None) -> str:
    """2024 → R6, the plan's own short form (used in column headings)."""
    if year is None:
        return "－"
    if year >= REIWA_START:
        return f"R{year - REIWA_START + 1}"
    return f"H{year - HEISEI_START + 1}"

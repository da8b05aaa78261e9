"""Cost-effectiveness of a Form ② system, as pure functions over plain values.

Money is in thousand yen (千円) as the plan prints it; a cost per unit is shown in yen (円).
Every figure comes with its formula in words, so a reader can check it by hand.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from shizuoka_dx.fiscal import era_year
from shizuoka_dx.numbers import format_number

THOUSAND = Decimal(1000)


def yen(value: Decimal) -> str:
    """3.593 → 3.6; 493975.04 → 493,975 (a decimal only where it matters)."""
    step = Decimal(1) if abs(value) >= 100 else Decimal("0.1")
    return f"{value.quantize(step, rounding=ROUND_HALF_UP):,}"


def thousand_yen(value: Decimal) -> str:
    return f"{format_number(value)}千円"


def units(value: Decimal, unit: str) -> str:
    return f"{format_number(value)}{unit}"


@dataclass(frozen=True)
class Figure:
    """A computed amount with the formula that produced it (or why it could not be computed)."""

    value: Decimal | None
    formula: str


def total_cost(
    initial: Decimal | None,
    operating_by_year: Mapping[int, Decimal],
    *,
    initial_note: str = "導入経費は金額の記載なし",
) -> Figure:
    """導入経費 plus every recorded yearly operating cost."""
    if initial is None and not operating_by_year:
        return Figure(None, "導入経費も年度別の運用経費も記録がないため計算できません")
    parts = []
    total = Decimal(0)
    if initial is not None:
        total += initial
        parts.append(f"導入経費 {thousand_yen(initial)}")
    for year in sorted(operating_by_year):
        total += operating_by_year[year]
        parts.append(f"{era_year(year)}運用経費 {thousand_yen(operating_by_year[year])}")
    if initial is None:
        parts.append(f"（{initial_note}）")
    return Figure(total, " ＋ ".join(parts) + f" ＝ {thousand_yen(total)}")


def cost_per_unit(
    *, fiscal_year: int, operating: Decimal | None, quantity: Decimal | None, unit: str
) -> Figure:
    """円/unit = 運用経費（千円）× 1,000 ÷ that year's KPI value."""
    year = era_year(fiscal_year)
    if operating is None:
        return Figure(None, f"{year}の運用経費の記録がないため計算できません")
    if quantity is None:
        return Figure(None, f"{year}のKPIの値がないため計算できません")
    if quantity <= 0:
        return Figure(None, f"{year}のKPIの値が {units(quantity, unit)} のため計算できません")
    per_unit = operating * THOUSAND / quantity
    label = unit or "単位"
    return Figure(
        per_unit,
        f"{year}: {thousand_yen(operating)} × 1,000 ÷ {units(quantity, unit)} ＝ "
        f"約{yen(per_unit)}円/{label}",
    )

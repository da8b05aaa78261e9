"""Cost-effectiveness of a Form ② system, as pure functions over plain values.

Money is in thousand yen (千円) as the plan prints it; a cost per unit is shown in yen (円).
Every figure comes with its formula in words, so a reader can check it by hand.
"""

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


ACTUAL, BUDGET = "actual", "budget"
BASIS_LABELS = {ACTUAL: "決算", BUDGET: "予算"}
KIND_LABELS = {"initial": "導入経費", "operating": "運用経費"}


@dataclass(frozen=True)
class CostLine:
    """One amount of a Form ② record: printed in the plan or recorded, a budget or an actual."""

    fiscal_year: int | None
    kind: str  # "initial" | "operating"
    basis: str  # ACTUAL | BUDGET
    thousand_yen: Decimal
    printed: bool  # from the plan's text (else a recorded figure)
    demo: bool = False
    detail: str = ""  # how it was read, e.g. 「15,000千円／年 × 1/12か月（Ｒ８.３～）」

    @property
    def label(self) -> str:
        year = f"{era_year(self.fiscal_year)} " if self.fiscal_year else ""
        return f"{year}{KIND_LABELS[self.kind]}（{BASIS_LABELS[self.basis]}）"

    @property
    def text(self) -> str:
        """The line as pages print it: a demo figure says so on the line itself."""
        source = "計画書の記載" if self.printed else "記録"
        detail = f"、{self.detail}" if self.detail else ""
        demo = "【デモ】" if self.demo else ""
        return f"{self.label} {thousand_yen(self.thousand_yen)}（{source}{detail}）{demo}"


def prorated(annual: Decimal, months: int | None) -> Decimal:
    """The share of a yearly amount for a year that runs ``months`` months (None: all 12)."""
    if months is None or months >= 12:
        return annual
    return (annual * months / 12).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def first_months(start_month: int) -> int:
    """Months of a fiscal year (April–March) from ``start_month`` on: March → 1, April → 12."""
    return 16 - start_month if start_month >= 4 else 4 - start_month


def merge_lines(printed: list[CostLine], recorded: list[CostLine]) -> list[CostLine]:
    """Printed figures, with recorded ones for the same year, kind and basis in their place;
    a demo figure never takes the place of a printed one (it is left out)."""
    by_key = {(line.fiscal_year, line.kind, line.basis): line for line in printed}
    for line in recorded:
        key = (line.fiscal_year, line.kind, line.basis)
        if line.demo and key in by_key and by_key[key].printed:
            continue
        by_key[key] = line
    return sorted(
        by_key.values(),
        key=lambda line: (line.fiscal_year or 0, line.kind != "initial", line.basis),
    )


def total_of_actuals(lines: list[CostLine]) -> Figure:
    """What has been spent: actual (決算) lines only; budgets are shown apart (budget_texts)."""
    actual = [line for line in lines if line.basis == ACTUAL]
    budgets = [line for line in lines if line.basis == BUDGET]
    apart = "（予算・予定額は合計に含めず、別に示します）" if budgets else ""
    if not actual:
        return Figure(None, f"決算（実績）の記録がないため計算できません{apart}")
    total = sum((line.thousand_yen for line in actual), Decimal(0))
    return Figure(
        total, " ＋ ".join(line.text for line in actual) + f" ＝ {thousand_yen(total)}{apart}"
    )


def budget_texts(lines: list[CostLine]) -> list[str]:
    return [line.text for line in lines if line.basis == BUDGET]


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

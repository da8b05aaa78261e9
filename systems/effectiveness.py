"""Cost-effectiveness of one system from its (prefetched) costs and linked KPI's actuals.

Which figure is which (issue 15, Form ② by year):
- the plan was adopted in 令和7年3月, the last month of FY R6: an amount it prints for R7 or later
  (「20,000千円／年（Ｒ７）」), or marks （予定）, is a **budget**; an earlier one is an **actual**;
- 「無し」 is zero, and zero is a fact, not a budget: 「運用経費：無し」 counts as 0千円;
- a yearly amount that starts mid-year (「15,000千円／年（Ｒ８.３～）」) counts only its months in its
  first year (令和7年度: 1 of 12);
- a recorded figure takes the place of the printed one of the same year, kind and basis, except a
  demo figure, which never does (and is tagged 【デモ】 wherever it appears);
- the total counts actuals only; budgets are listed apart.
"""

from decimal import Decimal

from systems.costs import (
    ACTUAL,
    BUDGET,
    CostLine,
    Figure,
    budget_texts,
    cost_per_unit,
    merge_lines,
    prorated,
    total_of_actuals,
)
from systems.models import System

# The first FY whose printed amounts are budgets (the plan was adopted in 令和7年3月, FY R6).
PRINTED_BUDGETS_FROM = 2025


def _basis(amount: Decimal, planned: bool, fiscal_year: int | None) -> str:
    if amount == 0:
        return ACTUAL  # 「無し」: nothing to spend, whether planned or not
    if planned or (fiscal_year is not None and fiscal_year >= PRINTED_BUDGETS_FROM):
        return BUDGET
    return ACTUAL


def printed_lines(system: System) -> list[CostLine]:
    """The amounts the plan prints for the system (導入経費 once, 運用経費 for its FY)."""
    lines = []
    initial = system.initial_cost_thousand_yen
    if initial is not None:
        year = system.initial_cost_fiscal_year
        lines.append(
            CostLine(
                year,
                "initial",
                _basis(initial, system.initial_cost_planned, year),
                initial,
                printed=True,
                detail="「無し」" if initial == 0 and "無し" in system.initial_cost_text else "",
            )
        )
    annual = system.operating_cost_thousand_yen
    if annual is not None:
        year = system.operating_cost_fiscal_year
        months = system.operating_first_year_months
        detail = ""
        if annual == 0 and "無し" in system.operating_cost_text:
            detail = "「無し」"
        elif months and months < 12:
            detail = (
                f"「{system.operating_cost_text}」の{months}か月分（{annual:,}千円 × {months}/12）"
            )
        lines.append(
            CostLine(
                year,
                "operating",
                _basis(annual, system.operating_cost_planned, year),
                prorated(annual, months),
                printed=True,
                detail=detail,
            )
        )
    return lines


def recorded_lines(system: System) -> list[CostLine]:
    return [
        CostLine(
            record.fiscal_year,
            record.kind,
            record.basis,
            record.thousand_yen,
            printed=False,
            demo=record.is_demo,
            detail=record.note if record.note and not record.is_demo else "",
        )
        for record in system.costs.all()
    ]


def cost_lines(system: System) -> list[CostLine]:
    return merge_lines(printed_lines(system), recorded_lines(system))


def operating_by_year(system: System) -> dict[int, Decimal]:
    """Yearly operating actuals (決算), the printed ones included where no figure replaces them."""
    return {
        line.fiscal_year: line.thousand_yen
        for line in cost_lines(system)
        if line.kind == "operating" and line.basis == ACTUAL and line.fiscal_year
    }


def quantity_by_year(kpi) -> dict[int, Decimal]:
    """The KPI's numbers by FY: its baseline, then its actuals."""
    values = {}
    if kpi.baseline_value is not None and kpi.baseline_fiscal_year:
        values[kpi.baseline_fiscal_year] = kpi.baseline_value
    for actual in kpi.actuals.all():
        if actual.value is not None:
            values[actual.fiscal_year] = actual.value
    return values


def years(system: System, lines: list[CostLine]) -> list[dict]:
    """Form ② by year, oldest first: status, budget and actual, that year's texts."""
    statuses = {entry.fiscal_year: entry for entry in system.years.all()}
    fiscal_years = sorted({line.fiscal_year for line in lines if line.fiscal_year} | set(statuses))
    rows = []
    for year in fiscal_years:
        entry = statuses.get(year)
        of_year = [line for line in lines if line.fiscal_year == year]
        rows.append(
            {
                "fiscal_year": year,
                "status": entry.get_status_display() if entry else "",
                "budget": [line.text for line in of_year if line.basis == BUDGET],
                "actual": [line.text for line in of_year if line.basis == ACTUAL],
                "effects": entry.effects if entry else "",
                "issues": entry.issues if entry else "",
                "actions": entry.actions if entry else "",
                "demo": bool(entry and entry.is_demo) or any(line.demo for line in of_year),
            }
        )
    return rows


def effectiveness(system: System) -> dict:
    lines = cost_lines(system)
    operating = {
        line.fiscal_year: line.thousand_yen
        for line in lines
        if line.kind == "operating" and line.basis == ACTUAL and line.fiscal_year
    }
    result = {
        "lines": lines,
        "total": total_of_actuals(lines),
        "budgets": budget_texts(lines),
        "years": years(system, lines),
        "per_unit": [],
        "unit_kpi": system.unit_kpi,
        "latest_per_unit": None,  # the latest year's cost per unit, when it could be computed
    }
    kpi = system.unit_kpi
    if kpi is not None and not kpi.is_milestone:
        quantities = quantity_by_year(kpi)
        for year, amount in sorted(operating.items()):
            figure = cost_per_unit(
                fiscal_year=year, operating=amount, quantity=quantities.get(year), unit=kpi.unit
            )
            result["per_unit"].append((year, figure))
    if result["per_unit"] and result["per_unit"][-1][1].value is not None:
        result["latest_per_unit"] = result["per_unit"][-1][1]
    return result


def figure_json(figure: Figure) -> dict:
    value = figure.value
    return {
        "value": float(round(value, 1)) if value is not None else None,
        "formula": figure.formula,
    }


def line_json(line: CostLine) -> dict:
    return {
        "fiscal_year": line.fiscal_year,
        "kind": line.kind,
        "basis": line.basis,
        "thousand_yen": float(line.thousand_yen),
        "printed": line.printed,
        "demo": line.demo,
        "text": line.text,
    }

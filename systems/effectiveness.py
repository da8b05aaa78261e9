"""Cost-effectiveness of one system from its (prefetched) costs and linked KPI's actuals."""

from decimal import Decimal

from systems.costs import Figure, cost_per_unit, total_cost
from systems.models import CostRecord, System


def operating_by_year(system: System) -> dict[int, Decimal]:
    """Recorded yearly operating costs, plus the printed one for its FY where none is recorded."""
    years = {
        record.fiscal_year: record.thousand_yen
        for record in system.costs.all()
        if record.kind == CostRecord.Kind.OPERATING
    }
    printed_year = system.operating_cost_fiscal_year
    if (
        printed_year
        and system.operating_cost_thousand_yen is not None
        and not system.operating_cost_planned
        and printed_year not in years
    ):
        years[printed_year] = system.operating_cost_thousand_yen
    return dict(sorted(years.items()))


def quantity_by_year(kpi) -> dict[int, Decimal]:
    """The KPI's numbers by FY: its baseline, then its actuals."""
    values = {}
    if kpi.baseline_value is not None and kpi.baseline_fiscal_year:
        values[kpi.baseline_fiscal_year] = kpi.baseline_value
    for actual in kpi.actuals.all():
        if actual.value is not None:
            values[actual.fiscal_year] = actual.value
    return values


def effectiveness(system: System) -> dict:
    operating = operating_by_year(system)
    planned = system.initial_cost_planned and system.initial_cost_thousand_yen is not None
    initial = None if planned else system.initial_cost_thousand_yen
    note = "導入経費は予定額のため含めていません" if planned else "導入経費は金額の記載なし"
    result = {
        "total": total_cost(initial, operating, initial_note=note),
        "per_unit": [],
        "unit_kpi": system.unit_kpi,
        "latest_per_unit": None,  # the latest year's cost per unit, when it could be computed
    }
    kpi = system.unit_kpi
    if kpi is not None and not kpi.is_milestone:
        quantities = quantity_by_year(kpi)
        for year, amount in operating.items():
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

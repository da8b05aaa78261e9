"""Reads of Form ② systems with their costs, shared by pages, exports and the open data."""

from django.db.models import Prefetch

from kpis.models import Actual
from systems.models import CostRecord, System


def systems_with_costs(actuals=None, costs=None):
    actuals = Actual.objects.all() if actuals is None else actuals
    costs = CostRecord.objects.all() if costs is None else costs
    return System.objects.select_related("department", "unit_kpi").prefetch_related(
        "placements__item__pillar",
        "breakdown",
        Prefetch("costs", queryset=costs),
        Prefetch("unit_kpi__actuals", queryset=actuals),
    )


def form2_systems(actuals=None, costs=None) -> list:
    """Every Form ② record, in the order the plan prints them (by its first item)."""
    systems = systems_with_costs(actuals, costs)

    def printed_position(system):
        return min(
            ((p.item.pillar.number, p.item.order, p.order) for p in system.placements.all()),
            default=(99, 99, 99),
        )

    return sorted(systems, key=printed_position)

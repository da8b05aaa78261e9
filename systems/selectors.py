"""Reads of Form ② systems with their costs, shared by pages, exports and the open data."""

from django.db.models import Prefetch

from kpis.models import Actual
from systems.models import CostRecord, System, SystemPlacement, SystemYear


def systems_with_costs(actuals=None, costs=None, through_year=None):
    """Systems with what their Form ② shows; ``through_year`` (a publication's) keeps the
    yearly records (status and texts) up to that year."""
    actuals = Actual.objects.all() if actuals is None else actuals
    years = SystemYear.objects.all()
    if through_year is not None:
        years = years.filter(fiscal_year__lte=through_year)
    costs = CostRecord.objects.all() if costs is None else costs
    placements = SystemPlacement.objects.select_related("item__pillar")
    return System.objects.select_related("department", "unit_kpi").prefetch_related(
        Prefetch("placements", queryset=placements),
        "breakdown",
        Prefetch("costs", queryset=costs),
        Prefetch("years", queryset=years),
        Prefetch("unit_kpi__actuals", queryset=actuals),
    )


def printed_position(system) -> tuple[int, int, int]:
    """Where the plan first prints a Form ② record: (pillar, item, order on the item)."""
    return min(
        ((p.item.pillar.number, p.item.order, p.order) for p in system.placements.all()),
        default=(99, 99, 99),
    )


def form2_systems(actuals=None, costs=None, through_year=None) -> list:
    """Every Form ② record, in the order the plan prints them (by its first item)."""
    return sorted(systems_with_costs(actuals, costs, through_year), key=printed_position)


def item_systems(item) -> list:
    """The Form ② records placed on ``item``, in the same order as ``form2_systems``."""
    return sorted(systems_with_costs().filter(placements__item=item), key=printed_position)

"""Reads of KPIs and their actuals that several pages and exports share.

Each returns querysets (or lists built from one prefetched queryset), so a page runs a fixed
number of queries however large the plan is.
"""

from django.db.models import Prefetch

from kpis.models import Actual, KpiPlacement
from priorities.models import Initiative, PriorityItem


def plan_items(actuals=None):
    """Every item with all it shows, prefetched: a fixed number of queries for any plan size.

    ``actuals`` narrows the actuals shown (a published snapshot shows only approved ones).
    """
    actuals = Actual.objects.all() if actuals is None else actuals
    placements = KpiPlacement.objects.select_related("kpi", "kpi__successor").prefetch_related(
        Prefetch("kpi__actuals", queryset=actuals.order_by("fiscal_year"))
    )
    initiatives = Initiative.objects.order_by("number").prefetch_related(
        "roadmap", Prefetch("kpi_placements", queryset=placements.order_by("order"))
    )
    return (
        PriorityItem.objects.in_plan_order()
        .select_related("pillar")
        .prefetch_related(
            "bullets",
            "departments",
            "tools",
            Prefetch("initiatives", queryset=initiatives),
        )
    )


def item_kpis(item) -> list:
    """The KPIs printed on an item (its own and repeated ones), once each, in printed order."""
    seen = {}
    for initiative in item.initiatives.all():
        for placement in initiative.kpi_placements.all():
            seen.setdefault(placement.kpi.pk, placement.kpi)
    return list(seen.values())


def years_with_actuals() -> list[int]:
    """The FYs any KPI has an actual for, oldest first (one query, whatever the plan's size)."""
    return list(
        Actual.objects.order_by("fiscal_year").values_list("fiscal_year", flat=True).distinct()
    )

"""Reads the yearly cycle needs in more than one place: the plan's years, and the evaluations
that hold a KPI's actuals fixed."""

from django.db.models import Max, Min

from kpis.calculations import DEFAULT_BASELINE_FISCAL_YEAR
from kpis.models import Actual, Kpi, KpiPlacement
from pdca.models import Evaluation
from priorities.models import RoadmapEntry
from shizuoka_dx.fiscal import FiscalYearError, format_fiscal_year
from systems.models import CostRecord

LOCKING = (Evaluation.Status.APPROVED, Evaluation.Status.PUBLISHED)


def cycle_years() -> range:
    """The fiscal years the plan is evaluated and published for: from the roadmap's first year
    (the year after the usual baseline when there is no roadmap) to one year after the last
    KPI target, the year whose results come in after the plan's end."""
    first = RoadmapEntry.objects.aggregate(first=Min("fiscal_year"))["first"]
    last_target = Kpi.objects.aggregate(last=Max("target_fiscal_year"))["last"]
    first = first or DEFAULT_BASELINE_FISCAL_YEAR + 1
    last = max((last_target or first) + 1, first)
    return range(first, last + 1)


def check_cycle_year(year: int) -> int:
    """``year`` if the plan is evaluated for it, else FiscalYearError with a Japanese message."""
    years = cycle_years()
    if year not in years:
        raise FiscalYearError(
            f"{format_fiscal_year(year)}はこの計画の評価・公表の対象ではありません。"
            f"{format_fiscal_year(years[0], western=False)}から"
            f"{format_fiscal_year(years[-1], western=False)}までの年度を選んでください。"
        )
    return year


def evaluations_over(pairs, *, for_update: bool = False):
    """The evaluations of the items that print each KPI, for each (kpi_id, fiscal_year) in
    ``pairs``, as {(kpi_id, fiscal_year): [evaluation, …]}.

    With ``for_update`` the evaluation rows are locked until the transaction ends, so an
    approval and a change of the figures it approves cannot interleave (PostgreSQL; SQLite
    writers are serialised anyway by immediate transactions)."""
    pairs = set(pairs)
    if not pairs:
        return {}
    kpi_ids = {kpi_id for kpi_id, _ in pairs}
    years = {year for _, year in pairs}
    items_of: dict[int, set[int]] = {}
    for kpi_id, item_id in KpiPlacement.objects.filter(kpi_id__in=kpi_ids).values_list(
        "kpi_id", "initiative__item_id"
    ):
        items_of.setdefault(kpi_id, set()).add(item_id)
    item_ids = set().union(*items_of.values()) if items_of else set()
    queryset = (
        Evaluation.objects.filter(item_id__in=item_ids, fiscal_year__in=years)
        .select_related("item")
        .order_by("pk")
    )
    if for_update:
        queryset = queryset.select_for_update(of=("self",))
    by_item_year: dict[tuple[int, int], Evaluation] = {}
    for evaluation in queryset:
        by_item_year[(evaluation.item_id, evaluation.fiscal_year)] = evaluation
    return {
        (kpi_id, year): [
            by_item_year[(item_id, year)]
            for item_id in sorted(items_of.get(kpi_id, ()))
            if (item_id, year) in by_item_year
        ]
        for kpi_id, year in pairs
    }


def contains_demo_data() -> bool:
    """Whether any actual or recorded cost is a made-up demo value (the pages then say so)."""
    return (
        Actual.objects.filter(is_demo=True).exists()
        or CostRecord.objects.filter(is_demo=True).exists()
    )

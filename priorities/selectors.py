"""Reads of the plan's structure that pages share."""

from django.db.models import Max, Min

from priorities.models import RoadmapEntry


def roadmap_bounds() -> set[int]:
    """The earliest and the latest FY any roadmap entry of the plan names (empty: none does).

    Enough for the roadmap's columns (``pdca.pages.roadmap_columns``), in one query.
    """
    bounds = RoadmapEntry.objects.aggregate(
        Min("fiscal_year"), Max("fiscal_year"), Min("until_fiscal_year"), Max("until_fiscal_year")
    )
    return {year for year in bounds.values() if year is not None}

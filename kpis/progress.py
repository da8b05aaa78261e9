"""Reads that turn KPIs with their (prefetched) actuals into engine results and roll-ups.

Callers prefetch ``actuals`` on the KPIs they pass; nothing here queries the database.
"""

from collections.abc import Iterable, Sequence

from kpis.calculations import DEFAULT_BASELINE_FISCAL_YEAR as FIRST_YEAR
from kpis.calculations import Result, Summary, summarize
from kpis.models import Actual, Kpi


def actuals_by_year(kpi: Kpi) -> dict[int, Actual]:
    return {actual.fiscal_year: actual for actual in kpi.actuals.all()}


def evaluations(kpi: Kpi) -> list[tuple[Actual, Result]]:
    """Every entered actual of ``kpi`` with its evaluation, oldest first."""
    return [
        (actual, kpi.evaluate(actual, fiscal_year=actual.fiscal_year))
        for actual in sorted(kpi.actuals.all(), key=lambda a: a.fiscal_year)
    ]


def years_with_actuals(kpis: Iterable[Kpi]) -> list[int]:
    """The FYs any of ``kpis`` has an actual for, oldest first."""
    return sorted({a.fiscal_year for kpi in kpis for a in kpi.actuals.all()})


def latest_year(kpis: Iterable[Kpi]) -> int | None:
    """The latest FY any of ``kpis`` has an actual for (None: none has one)."""
    years = years_with_actuals(kpis)
    return years[-1] if years else None


def results_at(
    kpis: Iterable[Kpi], fiscal_year: int | None
) -> list[tuple[Kpi, Actual | None, Result | None]]:
    """Each KPI with its actual for ``fiscal_year`` and the engine's verdict (None: no actual)."""
    rows = []
    for kpi in kpis:
        actual = actuals_by_year(kpi).get(fiscal_year) if fiscal_year is not None else None
        # A KPI still to be defined (設定予定) is never graded and never counted as unmeasured.
        spec = kpi.spec_for(fiscal_year) if fiscal_year is not None else kpi.spec
        result = None
        if actual or spec.pending:
            result = kpi.evaluate(actual, fiscal_year=fiscal_year or FIRST_YEAR)
        rows.append((kpi, actual, result))
    return rows


def summarize_kpis(kpis: Sequence[Kpi], fiscal_year: int | None = None) -> Summary:
    """An item's roll-up at ``fiscal_year`` (default: the latest FY any of its KPIs has)."""
    year = fiscal_year if fiscal_year is not None else latest_year(kpis)
    return summarize([result for _kpi, _actual, result in results_at(kpis, year)], year)

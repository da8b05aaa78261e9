"""The staff dashboard: every item's progress at a chosen FY, filters, and what needs attention."""

from dataclasses import dataclass, field

from kpis.calculations import Summary, combine, summarize
from kpis.progress import latest_year, results_at, years_with_actuals
from kpis.selectors import item_kpis, plan_items
from pdca.models import Evaluation
from priorities.models import PriorityItem


@dataclass
class ItemRow:
    item: object
    summary: Summary
    results: list  # (kpi, result or None)
    evaluation: object = None


@dataclass
class PillarRow:
    pillar: object
    summary: Summary
    items: list[ItemRow] = field(default_factory=list)


@dataclass
class Dashboard:
    fiscal_year: int | None
    years: list[int]
    pillars: list[PillarRow]
    attention: list  # (item, kpi, result or None, why)
    overall: Summary
    has_demo: bool = False


def build_dashboard(
    *,
    user,
    fiscal_year: int | None = None,
    pillar: int | None = None,
    department: int | None = None,
    grade: str | None = None,
) -> Dashboard:
    items = list(plan_items().filter(pk__in=PriorityItem.objects.for_user(user).values("pk")))
    kpis_by_item = {item.pk: item_kpis(item) for item in items}
    every_kpi = [kpi for kpis in kpis_by_item.values() for kpi in kpis]
    years = years_with_actuals(every_kpi)
    year = fiscal_year if fiscal_year is not None else latest_year(every_kpi)
    evaluations = {
        e.item_id: e for e in Evaluation.objects.filter(fiscal_year=year, item__in=items)
    }
    has_demo = any(a.is_demo for kpi in every_kpi for a in kpi.actuals.all())
    pillars: dict[int, PillarRow] = {}
    attention = []
    flagged = set()
    for item in items:
        if pillar and item.pillar.number != pillar:
            continue
        if department and department not in {d.pk for d in item.departments.all()}:
            continue
        results = []
        item_attention = []
        for kpi, _actual, result in results_at(kpis_by_item[item.pk], year):
            results.append((kpi, result))
            if result is None:
                item_attention.append((item, kpi, None, "この年度の実績が未入力"))
            elif result.grade in {"C", "D"}:
                item_attention.append((item, kpi, result, f"評価 {result.grade}（{result.label}）"))
        if grade and not any((r.grade if r else "-") == grade for _kpi, r in results):
            continue
        for entry in item_attention:
            if entry[1].pk not in flagged:  # a repeated KPI is listed once
                attention.append(entry)
                flagged.add(entry[1].pk)
        summary = summarize([r for _kpi, r in results], year)
        row = pillars.setdefault(
            item.pillar.number, PillarRow(item.pillar, Summary(year, None, {}))
        )
        row.items.append(ItemRow(item, summary, results, evaluations.get(item.pk)))
    for row in pillars.values():
        row.summary = combine([item_row.summary for item_row in row.items])
    overall = combine([row.summary for row in pillars.values()])
    return Dashboard(year, years, list(pillars.values()), attention, overall, has_demo)

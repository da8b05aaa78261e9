"""The staff dashboard: every item's progress at a chosen FY, filters, and what needs attention.

It reads only what it shows, in a fixed number of queries whatever the plan's size: the items
(code, title, pillar, departments), which KPIs each prints, those KPIs' definitions, the years
that have actuals, the actuals of the chosen year and the evaluations of that year. Nothing of
Form ① (text, roadmap, tools) or Form ②, and no other year's figures, is loaded.
"""

from dataclasses import dataclass, field

from django.conf import settings
from django.urls import reverse

from kpis.calculations import Summary, combine, evaluate, summarize
from kpis.models import Actual, Kpi, KpiPlacement
from pdca.models import Evaluation
from priorities.models import Pillar, PriorityItem


@dataclass
class ItemRef:
    """What the dashboard shows of an item."""

    pk: int
    code: str
    title: str
    pillar: int
    departments: list[str] = field(default_factory=list)
    department_ids: set[int] = field(default_factory=set)
    url: str = ""


def code_links(name: str, argument: str, **others):
    """``reverse(name)`` for many codes at the cost of one: a page of thousands of links stays
    quick. Codes are digits, 「-」 and 「K」, which need no quoting."""
    marker = "0-0"
    head, tail = reverse(name, kwargs={argument: marker, **others}).split(marker, 1)
    return lambda code: f"{head}{code}{tail}"


@dataclass(frozen=True)
class PillarRef:
    number: int
    title: str


@dataclass
class ItemRow:
    item: ItemRef
    summary: Summary
    results: list  # (kpi, result or None)
    evaluation: object = None  # the status label, or None: not written yet
    evaluation_url: str = ""


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
    attention: list  # (item, kpi, result or None, why, the KPI page's address)
    overall: Summary
    has_demo: bool = False


def _items(visible) -> list[ItemRef]:
    items = [
        ItemRef(pk, code, title, pillar)
        for pk, code, title, pillar in visible.order_by("pillar__number", "order").values_list(
            "pk", "code", "title", "pillar__number"
        )
    ]
    by_pk = {item.pk: item for item in items}
    owners = PriorityItem.departments.through.objects.filter(priorityitem__in=visible)
    for item_id, department_id, name in owners.order_by("department__name").values_list(
        "priorityitem_id", "department_id", "department__name"
    ):
        by_pk[item_id].departments.append(name)
        by_pk[item_id].department_ids.add(department_id)
    item_url = code_links("staff:item", "code")
    for item in items:
        item.url = item_url(item.code)
    return items


def _printed_kpis(visible) -> dict[int, list[int]]:
    """The KPIs each item prints, once each, in printed order: {item pk: [kpi pk, …]}."""
    placements = KpiPlacement.objects.filter(initiative__item__in=visible).order_by(
        "initiative__item_id", "initiative__number", "order"
    )
    printed: dict[int, list[int]] = {}
    for item_id, kpi_id in placements.values_list("initiative__item_id", "kpi_id"):
        kpis = printed.setdefault(item_id, [])
        if kpi_id not in kpis:
            kpis.append(kpi_id)
    return printed


def build_dashboard(
    *,
    user,
    fiscal_year: int | None = None,
    pillar: int | None = None,
    department: int | None = None,
    grade: str | None = None,
) -> Dashboard:
    visible = PriorityItem.objects.for_user(user).values("pk")
    items = _items(PriorityItem.objects.filter(pk__in=visible))
    printed = _printed_kpis(visible)
    shown_kpis = KpiPlacement.objects.filter(initiative__item__in=visible).values("kpi_id")
    actuals = Actual.objects.filter(kpi__in=shown_kpis)
    years = list(actuals.order_by("fiscal_year").values_list("fiscal_year", flat=True).distinct())
    year = fiscal_year if fiscal_year is not None else (years[-1] if years else None)
    kpis = {kpi.pk: kpi for kpi in Kpi.objects.filter(pk__in=shown_kpis)}
    band = settings.ACHIEVEMENT_B_BAND
    results = {}
    if year is not None:
        for kpi_id, value, stage in actuals.filter(fiscal_year=year).values_list(
            "kpi_id", "value", "stage"
        ):
            results[kpi_id] = evaluate(
                kpis[kpi_id].spec_for(year), fiscal_year=year, value=value, stage=stage, band=band
            )
        for kpi_id, kpi in kpis.items():
            if kpi_id not in results and kpi.spec_for(year).pending:  # 設定予定: not unmeasured
                results[kpi_id] = evaluate(kpi.spec_for(year), fiscal_year=year, band=band)
    statuses = {
        item_id: Evaluation.Status(status).label
        for item_id, status in Evaluation.objects.filter(
            fiscal_year=year, item__in=visible
        ).values_list("item_id", "status")
    }
    has_demo = actuals.filter(is_demo=True).exists()
    kpi_url = code_links("staff:kpi", "kpi_code")
    evaluation_url = (
        code_links("staff:evaluation", "code", fiscal_year=year) if year else lambda code: ""
    )
    pillar_titles = dict(Pillar.objects.values_list("number", "title"))
    pillars: dict[int, PillarRow] = {}
    attention = []
    flagged = set()
    for item in items:
        if pillar and item.pillar != pillar:
            continue
        if department and department not in item.department_ids:
            continue
        rows = []
        item_attention = []
        for kpi_id in printed.get(item.pk, ()):
            kpi, result = kpis[kpi_id], results.get(kpi_id)
            rows.append((kpi, result))
            if result is not None and result.pending:
                continue
            if result is None:
                item_attention.append((item, kpi, None, "この年度の実績が未入力"))
            elif result.grade in {"C", "D"}:
                why = f"評価 {result.grade}（{result.label}）"
                item_attention.append((item, kpi, result, why))
        if grade and not any((r.grade if r else "-") == grade for _kpi, r in rows):
            continue
        for entry in item_attention:
            if entry[1].pk not in flagged:  # a repeated KPI is listed once
                attention.append((*entry, kpi_url(entry[1].code)))
                flagged.add(entry[1].pk)
        summary = summarize([r for _kpi, r in rows], year)
        row = pillars.setdefault(
            item.pillar,
            PillarRow(
                PillarRef(item.pillar, pillar_titles.get(item.pillar, "")),
                Summary(year, None, {}),
            ),
        )
        row.items.append(
            ItemRow(item, summary, rows, statuses.get(item.pk), evaluation_url(item.code))
        )
    for row in pillars.values():
        row.summary = combine([item_row.summary for item_row in row.items])
    overall = combine([row.summary for row in pillars.values()])
    return Dashboard(year, years, list(pillars.values()), attention, overall, has_demo)

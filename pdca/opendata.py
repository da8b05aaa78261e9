"""The open data: the whole plan and its progress as one JSON document, and a flat KPI table.

The JSON follows ../shared/spec/opendata.schema.json (schema_version "1"). One function builds the
rows (``kpi_rows``) and the views and commands only render them, so the page, the file written by
``export_opendata`` and the CSV can never disagree.
"""

from django.conf import settings
from django.utils import timezone

from kpis.calculations import Summary, combine
from kpis.models import DEMO_NOTICE, Direction, Operator
from kpis.progress import evaluations, latest_year, summarize_kpis
from kpis.selectors import item_kpis, plan_items
from pdca.models import ON_TRACK, StepStatus
from priorities.models import Plan
from shizuoka_dx.numbers import plain_number
from systems.effectiveness import effectiveness, figure_json, line_json
from systems.selectors import form2_systems

SCHEMA_VERSION = "1"


def point(value, fiscal_year, text) -> dict:
    return {"value": plain_number(value), "fiscal_year": fiscal_year, "text": text or None}


def summary_json(summary) -> dict:
    return {
        "fiscal_year": summary.fiscal_year,
        "progress_percent": plain_number(summary.progress_percent),
        "grades": dict(summary.grades),
        "unmeasured": summary.unmeasured,
        "pending": summary.pending,
        "kpi_count": summary.measured + summary.unmeasured + summary.pending,
    }


def kpi_json(kpi) -> dict:
    return {
        "code": kpi.code,
        "name": kpi.name,
        "unit": kpi.unit or None,
        "direction": kpi.direction,
        "cumulative": kpi.cumulative,
        "pending": kpi.pending,
        "lineage": {
            "status": kpi.lineage,
            "label": kpi.get_lineage_display(),
            "successor": kpi.successor.code if kpi.successor_id else None,
        },
        "earlier_definitions": [
            {
                "edition": earlier["edition"],
                "until_fiscal_year": earlier["until_fiscal_year"],
                "name": earlier["definition"]["name"],
                "baseline_text": earlier["definition"]["baseline_text"] or None,
                "target_text": earlier["definition"]["target_text"] or None,
                "pending": earlier["definition"].get("pending", False),
            }
            for earlier in kpi.earlier_specs
        ],
        "baseline": point(kpi.baseline_value, kpi.baseline_fiscal_year, kpi.baseline_text),
        "target": {
            **point(kpi.target_value, kpi.target_fiscal_year, kpi.target_text),
            "operator": kpi.target_operator or None,
        },
        "actuals": [
            {
                "fiscal_year": actual.fiscal_year,
                "value": actual.stage or plain_number(actual.value),
                "rate_percent": plain_number(result.rate_percent),
                "expected_percent": plain_number(result.expected_percent),
                "grade": result.grade,
                "grade_label": result.label,
                "reason": result.reason,
                "note": actual.note,
                "demo": actual.is_demo,
            }
            for actual, result in evaluations(kpi)
        ],
    }


def money_json(obj, prefix: str) -> dict:
    return {
        "thousand_yen": plain_number(getattr(obj, f"{prefix}_thousand_yen")),
        "text": getattr(obj, f"{prefix}_text") or None,
        "fiscal_year": getattr(obj, f"{prefix}_fiscal_year"),
        "planned": getattr(obj, f"{prefix}_planned"),
    }


def system_json(system) -> dict:
    figures = effectiveness(system)
    return {
        "name": system.name,
        "items": [p.item.code for p in system.placements.all()],
        "department": system.department.name if system.department else None,
        "overview": system.overview,
        "configuration": system.configuration,
        "introduced": system.introduced,
        "initial_cost": money_json(system, "initial_cost"),
        "operating_cost": money_json(system, "operating_cost"),
        "cost_breakdown": [
            {
                "name": part.name,
                "initial_cost": money_json(part, "initial_cost"),
                "operating_cost": money_json(part, "operating_cost"),
            }
            for part in system.breakdown.all()
        ],
        "costs": [
            {
                "fiscal_year": cost.fiscal_year,
                "kind": cost.kind,
                "basis": cost.basis,
                "thousand_yen": plain_number(cost.thousand_yen),
                "unit": "千円",
                "demo": cost.is_demo,
            }
            for cost in system.costs.all()
        ],
        "cost_lines": [line_json(line) for line in figures["lines"]],
        "years": figures["years"],
        "effects": system.effects,
        "issues": system.issues,
        "actions": system.actions,
        "unit_kpi": system.unit_kpi.code if system.unit_kpi else None,
        "cost_effectiveness": {
            "total_thousand_yen": figure_json(figures["total"]),
            "budgets": figures["budgets"],
            "yen_per_unit": [
                {"fiscal_year": year, **figure_json(figure)} for year, figure in figures["per_unit"]
            ],
        },
    }


def unpublished_summary_json(fiscal_year, kpi_count: int) -> dict:
    """An item whose year is not published (not approved when the year was published): no
    progress and no grade, only how many KPIs it has."""
    return {
        "fiscal_year": fiscal_year,
        "progress_percent": None,
        "grades": {},
        "unmeasured": 0,
        "pending": 0,
        "kpi_count": kpi_count,
        "published": False,
    }


def year_summary(summary: Summary, fiscal_year) -> Summary:
    """A roll-up stated for the page's year even when none of its items has a figure then."""
    return Summary(fiscal_year, summary.progress, summary.grades, summary.pending)


def step_status(evaluation, entry) -> dict | None:
    """A roadmap step's status in the evaluation's year (None: not recorded)."""
    if evaluation is None:
        return None
    saved = (evaluation.roadmap_statuses or {}).get(str(entry.pk))
    if not saved:
        return None
    return {
        "fiscal_year": evaluation.fiscal_year,
        "status": saved["status"],
        "label": StepStatus(saved["status"]).label,
        "note": saved.get("note") or "",
    }


def roadmap_progress(evaluation) -> dict | None:
    """How many of the item's roadmap steps are on track (予定・実施中・完了) in the year."""
    if evaluation is None or not evaluation.roadmap_statuses:
        return None
    statuses = [saved["status"] for saved in evaluation.roadmap_statuses.values()]
    return {
        "fiscal_year": evaluation.fiscal_year,
        "recorded": len(statuses),
        "on_track": sum(status in ON_TRACK for status in statuses),
        "late": statuses.count(StepStatus.LATE),
        "revised": statuses.count(StepStatus.REVISED),
    }


def evaluation_json(evaluation) -> dict:
    return {
        "fiscal_year": evaluation.fiscal_year,
        "status": evaluation.status,
        "quantitative": evaluation.quantitative,
        "qualitative": evaluation.qualitative,
        "issues": evaluation.issues,
        "countermeasures": evaluation.countermeasures,
        "next_plan": evaluation.next_plan,
        "approved_at": evaluation.approved_at.isoformat() if evaluation.approved_at else None,
        "demo": evaluation.is_demo,
    }


def publisher_json() -> dict:
    """Who publishes the data and under which licence (the Digital Agency's rules for
    machine-readable administrative data: the municipality's code, its name, the licence)."""
    return {
        "publisher": {
            "municipality_code": settings.OPENDATA_MUNICIPALITY_CODE,
            "municipality_name": settings.OPENDATA_MUNICIPALITY_NAME,
        },
        "license": {"name": settings.OPENDATA_LICENSE, "url": settings.OPENDATA_LICENSE_URL},
    }


def edition_json(edition) -> dict | None:
    """The edition a document was built from (number, date, reason, first year it applies to)."""
    if edition is None:
        return None
    return {
        "number": edition.number,
        "date": edition.date_text,
        "published_on": edition.published_on.isoformat() if edition.published_on else None,
        "effective_fiscal_year": edition.effective_fiscal_year,
        "reason": edition.reason,
    }


def build_document(
    *,
    published_fiscal_year: int | None = None,
    actuals=None,
    costs=None,
    evaluations=None,
    unpublished_items=(),
    edition: dict | None = None,
) -> dict:
    """The whole open-data document: live data, or what a publication shows.

    ``actuals`` and ``costs`` narrow what is shown (None: everything entered); ``evaluations``
    are the approved CHECK/ACT texts to include, one per item at most.

    Every roll-up is of one fiscal year, the document's (``summary.fiscal_year``): the published
    year, or (live data) the latest year any KPI has an actual for. An item of
    ``unpublished_items`` (codes: not approved when its year was published) gets no progress
    and no grade counts for that year, even where a KPI it repeats has a published actual; a
    pillar's and the plan's roll-ups add up their published items (a KPI printed on two items
    counts in both, so the plan's counts are the sum of its pillars').
    """
    plan = Plan.objects.order_by("pk").first()
    if edition is None and plan is not None:
        edition = edition_json(plan.editions.order_by("-number").first())
    items = list(plan_items(actuals))
    year = published_fiscal_year
    if year is None:
        year = latest_year(kpi for item in items for kpi in item_kpis(item))
    unpublished = set(unpublished_items)
    evaluation_by_item = {e.item_id: e for e in (evaluations or [])}
    item_entries = []
    summaries_by_pillar: dict[int, list] = {}
    pillars: dict[int, dict] = {}
    has_demo = False
    for item in items:
        kpis = item_kpis(item)
        if item.code in unpublished:
            summary_entry = unpublished_summary_json(year, len(kpis))
        else:
            summary = summarize_kpis(kpis, year)
            summaries_by_pillar.setdefault(item.pillar.number, []).append(summary)
            summary_entry = summary_json(summary)
        pillars.setdefault(
            item.pillar.number,
            {"number": item.pillar.number, "title": item.pillar.title, "items": []},
        )["items"].append(item.code)
        has_demo = has_demo or any(a.is_demo for kpi in kpis for a in kpi.actuals.all())
        item_entries.append(
            {
                "code": item.code,
                "title": item.title,
                "pillar": item.pillar.number,
                "has_form2": item.has_form2,
                "departments": [d.name for d in item.departments.all()],
                "printed_departments": item.departments_text or None,
                "tools_heading": item.tools_heading or None,
                "as_is": item.narrative("as_is"),
                "to_be": item.narrative("to_be"),
                "gap": item.narrative("gap"),
                "systems": [tool.name for tool in item.tools.all()],
                "tools": [
                    {
                        "label": tool.label,
                        "name": tool.name,
                        "department": tool.department_text or None,
                        "repeated": tool.repeated,
                    }
                    for tool in item.tools.all()
                ],
                "initiatives": [
                    {
                        "number": initiative.number,
                        "name": initiative.name,
                        "ref": initiative.ref or None,
                        "repeated": initiative.repeated,
                        "group": initiative.group or None,
                        "kpi_note": initiative.kpi_note or None,
                        "roadmap": [
                            {
                                "fiscal_year": entry.fiscal_year,
                                "until_fiscal_year": entry.until_fiscal_year,
                                "text": entry.text,
                                "year_inferred": entry.year_inferred,
                                "year_note": entry.year_note or None,
                                "status": step_status(evaluation_by_item.get(item.pk), entry),
                            }
                            for entry in initiative.roadmap.all()
                        ],
                        "kpis": [
                            {**kpi_json(p.kpi), "printed_as": p.note or None}
                            for p in initiative.kpi_placements.all()
                        ],
                    }
                    for initiative in item.initiatives.all()
                ],
                "summary": summary_entry,
                "roadmap_progress": roadmap_progress(evaluation_by_item.get(item.pk)),
                **(
                    {"evaluation": evaluation_json(evaluation_by_item[item.pk])}
                    if item.pk in evaluation_by_item
                    else {}
                ),
            }
        )
    pillar_summaries = []
    for number, pillar in pillars.items():
        pillar_summary = year_summary(combine(summaries_by_pillar.get(number, [])), year)
        pillar_summaries.append(pillar_summary)
        pillar["summary"] = summary_json(pillar_summary)
        pillar["summary"]["unpublished_items"] = [c for c in pillar["items"] if c in unpublished]
    overall = year_summary(combine(pillar_summaries), year)
    # Each year's Form ② (status, texts) is public only with a publication that covers it.
    through_year = published_fiscal_year
    if through_year is None and costs is not None:
        through_year = 0  # the plan-only document: no yearly records
    systems = [
        system_json(system) for system in form2_systems(actuals, costs, through_year=through_year)
    ]
    has_demo = has_demo or any(c["demo"] for s in systems for c in s["costs"])
    has_demo = has_demo or any(y["demo"] for s in systems for y in s["years"])
    document = {
        "schema_version": SCHEMA_VERSION,
        "generated_at": timezone.localtime().isoformat(timespec="seconds"),
        **publisher_json(),
        "published_fiscal_year": published_fiscal_year,
        "plan": {
            "title": plan.title if plan else "",
            "established": plan.established if plan else "",
            "basic_policies": plan.basic_policies if plan else [],
            "purpose": plan.purpose if plan else "",
            "supplement": plan.supplement if plan else "",
            "sections": plan.sections if plan else [],
        },
        "edition": edition,
        "pillars": list(pillars.values()),
        "items": item_entries,
        "systems": systems,
        "summary": {
            **summary_json(overall),
            "distinct_kpi_count": len({k.pk for item in items for k in item_kpis(item)}),
            "unpublished_items": sorted(unpublished),
        },
        "contains_demo_data": has_demo,
    }
    if has_demo:
        document["notice"] = DEMO_NOTICE
    return document


def one_decimal(value) -> str | None:
    return None if value is None else f"{value:.1f}"


CSV_HEADER = [
    "項目番号",
    "重点項目",
    "KPIコード",
    "指標名",
    "単位",
    "目指す方向",
    "累計",
    "現状値",
    "現状値の年度",
    "現状値（計画書の記載）",
    "目標値",
    "目標の条件",
    "目標年度",
    "目標値（計画書の記載）",
    "最新実績の年度",
    "最新実績",
    "達成率（％）",
    "評価",
    "評価の理由",
    "デモ用の架空の値",
    # Metadata on every row (one header row, no merged cells: machine-readable open data).
    "全国地方公共団体コード",
    "地方公共団体名",
    "計画の版",
    "ライセンス",
    "データ作成日時",
]


def kpi_rows(document: dict):
    """One row per KPI (where it is first printed), from the open-data document."""
    publisher = document.get("publisher") or publisher_json()["publisher"]
    edition = document.get("edition")
    metadata = [
        publisher["municipality_code"],
        publisher["municipality_name"],
        f"第{edition['number']}版（{edition['date']}）" if edition else "",
        (document.get("license") or publisher_json()["license"])["name"],
        document.get("published_at") or document.get("generated_at") or "",
    ]
    seen = set()
    for item in document["items"]:
        for initiative in item["initiatives"]:
            for kpi in initiative["kpis"]:
                if kpi["code"] in seen:
                    continue
                seen.add(kpi["code"])
                latest = kpi["actuals"][-1] if kpi["actuals"] else None
                yield [
                    item["code"],
                    item["title"],
                    kpi["code"],
                    kpi["name"],
                    kpi["unit"] or "",
                    Direction(kpi["direction"]).label,
                    "累計" if kpi["cumulative"] else "",
                    kpi["baseline"]["value"],
                    kpi["baseline"]["fiscal_year"],
                    kpi["baseline"]["text"] or "",
                    kpi["target"]["value"],
                    Operator(kpi["target"]["operator"]).label if kpi["target"]["operator"] else "",
                    kpi["target"]["fiscal_year"],
                    kpi["target"]["text"] or "",
                    latest["fiscal_year"] if latest else None,
                    latest["value"] if latest else None,
                    one_decimal(latest["rate_percent"]) if latest else None,
                    latest["grade"] if latest else "",
                    latest["reason"] if latest else "",
                    ("はい" if latest["demo"] else "") if latest else "",
                    *metadata,
                ]

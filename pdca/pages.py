"""What the item page and the KPI page show, in one small shape for both audiences.

The public pages build it from the published snapshot (``*_from_snapshot``: the open-data
dicts), the staff pages from the models as the selectors fetch them (``*_from_models``: live
data, one item at a time). One template draws it either way, so the two pages cannot drift
apart. Nothing here queries the database or computes a grade: the snapshot carries the engine's
verdicts, and the models are evaluated by the engine through ``kpis.progress``.
"""

import re
from dataclasses import dataclass, field
from decimal import Decimal

from kpis.calculations import KpiSpec, Result, Summary
from kpis.charts import trend_figure
from kpis.models import Operator
from kpis.progress import evaluations, summarize_kpis
from kpis.selectors import item_kpis
from pdca.presentation import find_item, roadmap_entry_years, years_with_actuals
from systems.effectiveness import effectiveness

PLAN_COLUMNS = (2024, 2025, 2026)  # the roadmap's printed R6 / R7 / R8 columns


# ---- the shape -------------------------------------------------------------------------


@dataclass(frozen=True)
class Measurement:
    """One entered actual with the engine's verdict on it."""

    fiscal_year: int
    value: Decimal | str  # a number, or a milestone KPI's stage (未着手・着手・完了)
    demo: bool
    note: str
    result: Result


@dataclass(frozen=True)
class KpiView:
    code: str
    name: str
    unit: str
    spec: KpiSpec
    baseline_text: str  # as the plan prints them
    target_text: str
    actuals: list[Measurement]  # oldest first
    printed_as: str = ""  # 再掲・共通… where the KPI is repeated
    lineage: dict | None = None  # 継続・統合・見直し・廃止 and the successor's code
    earlier: list = field(default_factory=list)  # definitions of earlier editions

    @property
    def pending(self) -> bool:
        """設定予定: the plan has not defined how it is measured yet (never graded)."""
        return self.spec.pending

    @property
    def operator_label(self) -> str:
        return Operator(self.spec.operator).label if self.spec.operator else ""

    @property
    def latest(self) -> Measurement | None:
        return self.actuals[-1] if self.actuals else None

    @property
    def newest_first(self) -> list[Measurement]:
        return list(reversed(self.actuals))

    @property
    def has_demo(self) -> bool:
        return any(actual.demo for actual in self.actuals)


@dataclass(frozen=True)
class RoadmapSpan:
    fiscal_year: int | None
    until_fiscal_year: int | None
    text: str
    year_inferred: bool = False  # the year is a reading of the plan's text, not printed
    year_note: str = ""  # why it was read so, where the reading has a reason of its own
    status: dict | None = None  # this year's status from the published evaluation


@dataclass(frozen=True)
class InitiativeView:
    number: int
    name: str
    ref: str
    repeated: bool
    kpi_note: str
    roadmap: list[RoadmapSpan]
    kpis: list[KpiView]
    group: str = ""  # a heading printed over several initiatives


@dataclass(frozen=True)
class RoadmapCell:
    text: str
    span: int
    unknown: bool = False  # the entry's FY is not known: it fills the row
    inferred: bool = False  # its FY is a reading (「推定」)
    note: int | None = None  # the number of its own note under the table
    status: dict | None = None  # the step's status in the published year


@dataclass(frozen=True)
class PrintedTable:
    """A table the plan prints inside its Form ① text (5-2's survey): its bullets' cells are
    separated by tabs. Header rows come first (until the first row of figures); in a header row
    an empty cell after a filled one widens that one (the plan's merged heading)."""

    header: list[list[tuple[str, int]]]  # (text, colspan)
    rows: list[list[str]]  # the first cell heads its row


def _is_figure(cell: str) -> bool:
    return bool(re.fullmatch(r"[\d.,]+\s*[%％]?", cell.strip()))


def printed_table(lines: list[str]) -> PrintedTable:
    header, rows = [], []
    for line in lines:
        cells = line.split("\t")
        if not rows and not all(_is_figure(cell) for cell in cells[1:] if cell):
            merged: list[tuple[str, int]] = []
            for cell in cells:
                if not cell and merged and merged[-1][0]:
                    merged[-1] = (merged[-1][0], merged[-1][1] + 1)
                else:
                    merged.append((cell, 1))
            header.append(merged)
        else:
            rows.append(cells)
    return PrintedTable(header, rows)


def narrative_blocks(texts: list[str]) -> list[str | PrintedTable]:
    """Form ① bullets as the page shows them: text, and each run of tab-separated bullets (a table
    printed in the plan) as one table."""
    blocks: list[str | PrintedTable] = []
    run: list[str] = []
    for text in [*texts, None]:
        if text is not None and "\t" in text:
            run.append(text)
            continue
        if run:
            blocks.append(printed_table(run))
            run = []
        if text is not None:
            blocks.append(text)
    return blocks


@dataclass(frozen=True)
class RoadmapRows:
    initiative: InitiativeView
    rows: list[list[RoadmapCell]]


@dataclass(frozen=True)
class RoadmapNote:
    number: int
    text: str
    note: str


@dataclass(frozen=True)
class YearCell:
    """One FY column of a KPI row: the actual (None: none entered), or not published."""

    fiscal_year: int
    actual: Measurement | None
    unpublished: bool = False


@dataclass(frozen=True)
class KpiRow:
    """One KPI placement of the item (or an initiative without KPIs: ``kpi`` None)."""

    initiative: InitiativeView
    kpi: KpiView | None
    cells: list[YearCell] = field(default_factory=list)  # one per FY column
    current: Measurement | None = None  # the actual of the page's year


@dataclass(frozen=True)
class ToolView:
    label: str
    name: str
    department: str
    repeated: bool


@dataclass(frozen=True)
class CostText:
    text: str  # as printed
    planned: bool


@dataclass(frozen=True)
class CostPart:
    name: str
    initial_cost: CostText
    operating_cost: CostText


@dataclass(frozen=True)
class SystemCard:
    """A Form ② record as the item page shows it (``pk`` only on staff pages, for the link)."""

    pk: int | None
    name: str
    department: str
    overview: str
    configuration: str
    introduced: str
    initial_cost: CostText
    operating_cost: CostText
    breakdown: list[CostPart]
    effects: str
    issues: str
    actions: str
    total_formula: str
    per_unit_formulas: list[str]
    budgets: list[str] = field(default_factory=list)  # budget lines, not in the total
    years: list[dict] = field(default_factory=list)  # Form ② by year (status, budget, actual…)


@dataclass(frozen=True)
class PillarView:
    number: int
    title: str


@dataclass(frozen=True)
class PublishedEvaluation:
    """The approved CHECK/ACT texts a publication shows (public pages only)."""

    fiscal_year: int
    demo: bool
    quantitative: str
    qualitative: str
    issues: str
    countermeasures: str
    next_plan: str


@dataclass(frozen=True)
class ItemPage:
    """Form ① of one item (with its Form ② records) as the item page draws it."""

    code: str
    title: str
    pillar: PillarView
    departments: list[str]
    summary: Summary
    as_is: list[str]
    to_be: list[str]
    gap: list[str]
    roadmap_years: list[int]
    roadmap: list[RoadmapRows]
    roadmap_notes: list[RoadmapNote]
    kpi_years: list[int]
    kpi_rows: list[KpiRow]
    tools: list[ToolView]
    systems: list[SystemCard]
    evaluation: PublishedEvaluation | None = None
    printed_departments: str = ""  # as Form ① prints them; "" when it prints none
    tools_heading: str = ""
    roadmap_progress: dict | None = None  # steps on track in the published year
    fiscal_year: int | None = None  # the page's year: every roll-up on it is of this year
    published: bool = True  # False: the item was not approved when its year was published

    @property
    def has_inferred_years(self) -> bool:
        return any(cell.inferred for group in self.roadmap for row in group.rows for cell in row)

    @property
    def as_is_blocks(self) -> list[str | PrintedTable]:
        return narrative_blocks(self.as_is)

    @property
    def to_be_blocks(self) -> list[str | PrintedTable]:
        return narrative_blocks(self.to_be)

    @property
    def gap_blocks(self) -> list[str | PrintedTable]:
        return narrative_blocks(self.gap)

    @property
    def kpi_table_width(self) -> int:
        """Columns of the KPI table: initiative, KPI, baseline, target, one per FY, latest."""
        return len(self.kpi_years) + 4


@dataclass(frozen=True)
class ItemRef:
    """The item a KPI page is reached from (for the breadcrumbs)."""

    code: str
    title: str


# ---- rules both audiences share ---------------------------------------------------------


def roadmap_columns(entry_years: set[int]) -> list[int]:
    """The FY columns of the roadmap table: from the earliest to the latest FY any roadmap entry
    of the plan names, never narrower than the printed R6–R8."""
    years = set(entry_years) | set(PLAN_COLUMNS)
    return list(range(min(years), max(years) + 1))


def kpi_columns(roadmap_years: list[int], actual_years) -> list[int]:
    """FY columns for KPI tables: the roadmap's years plus any year with an actual."""
    return sorted(set(roadmap_years) | set(actual_years))


def roadmap_rows(
    spans: list[RoadmapSpan], years: list[int], notes: dict[int, int] | None = None
) -> list[list[RoadmapCell]]:
    """One table row per roadmap entry: the entry's text across its FY columns.

    An entry whose FY is not known fills the whole row and says so; one whose FY is a reading is
    marked as such (``notes``: the number of its own note, by the span's id).
    """
    notes = notes or {}
    rows = []
    for span in spans:
        start, end = span.fiscal_year, span.until_fiscal_year or span.fiscal_year
        if start is None or start not in years:
            rows.append([RoadmapCell(span.text, len(years), unknown=True, status=span.status)])
            continue
        end = min(end, years[-1])
        before = years.index(start)
        after = len(years) - years.index(end) - 1
        row = []
        if before:
            row.append(RoadmapCell("", before))
        row.append(
            RoadmapCell(
                span.text,
                years.index(end) - before + 1,
                inferred=span.year_inferred,
                note=notes.get(id(span)),
                status=span.status,
            )
        )
        if after:
            row.append(RoadmapCell("", after))
        rows.append(row)
    return rows or [[RoadmapCell("", len(years))]]


def kpi_table(
    initiatives: list[InitiativeView],
    years: list[int],
    fiscal_year: int | None = None,
    published: bool = True,
) -> list[KpiRow]:
    """One row per KPI placement, with its actual (or None) in each FY column and the actual of
    the page's ``fiscal_year``. An item not ``published`` for that year shows no figure of it,
    not even a repeated KPI's that another item published."""
    rows = []
    for initiative in initiatives:
        if not initiative.kpis:
            rows.append(KpiRow(initiative, None))
        for kpi in initiative.kpis:
            by_year = {actual.fiscal_year: actual for actual in kpi.actuals}
            hidden = {fiscal_year} if not published else set()
            cells = [
                YearCell(year, None, unpublished=True)
                if year in hidden
                else YearCell(year, by_year.get(year))
                for year in years
            ]
            current = None if fiscal_year in hidden else by_year.get(fiscal_year)
            rows.append(KpiRow(initiative, kpi, cells, current))
        if initiative.kpis and initiative.kpi_note:  # a printed remark about its KPIs
            rows.append(KpiRow(initiative, None))
    return rows


def _item_page(*, initiatives, entry_years, actual_years, **fields) -> ItemPage:
    roadmap_years = roadmap_columns(entry_years)
    kpi_years = kpi_columns(roadmap_years, actual_years)
    notes = [span for initiative in initiatives for span in initiative.roadmap if span.year_note]
    numbers = {id(span): number for number, span in enumerate(notes, start=1)}
    return ItemPage(
        roadmap_years=roadmap_years,
        roadmap=[
            RoadmapRows(initiative, roadmap_rows(initiative.roadmap, roadmap_years, numbers))
            for initiative in initiatives
        ],
        roadmap_notes=[
            RoadmapNote(number, span.text, span.year_note)
            for number, span in enumerate(notes, start=1)
        ],
        kpi_years=kpi_years,
        kpi_rows=kpi_table(
            initiatives,
            kpi_years,
            fields.get("fiscal_year"),
            fields.get("published", True),
        ),
        **fields,
    )


def kpi_page(kpi: KpiView, item: ItemRef) -> dict:
    """The context the KPI page draws, for either audience."""
    return {
        "kpi": kpi,
        "item": item,
        "chart": trend_figure(
            kpi.spec,
            unit=kpi.unit,
            actuals=[(a.fiscal_year, a.value, a.result.grade) for a in kpi.actuals],
        ),
    }


# ---- public: from the published snapshot ------------------------------------------------


def _decimal(value) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def spec_from_snapshot(kpi: dict) -> KpiSpec:
    baseline, target = kpi["baseline"], kpi["target"]
    return KpiSpec(
        direction=kpi["direction"],
        target=_decimal(target["value"]),
        target_fiscal_year=target["fiscal_year"],
        baseline=_decimal(baseline["value"]),
        baseline_fiscal_year=baseline["fiscal_year"],
        operator=target["operator"] or "",
        cumulative=kpi["cumulative"],
        baseline_text=baseline["text"] or "",
        unit=kpi["unit"] or "",
        pending=kpi.get("pending", False),
    )


def kpi_from_snapshot(kpi: dict) -> KpiView:
    return KpiView(
        code=kpi["code"],
        name=kpi["name"],
        unit=kpi["unit"] or "",
        spec=spec_from_snapshot(kpi),
        baseline_text=kpi["baseline"]["text"] or "",
        target_text=kpi["target"]["text"] or "",
        printed_as=kpi.get("printed_as") or "",
        lineage=kpi.get("lineage"),
        earlier=kpi.get("earlier_definitions") or [],
        actuals=[
            Measurement(
                fiscal_year=actual["fiscal_year"],
                value=actual["value"]
                if isinstance(actual["value"], str)
                else _decimal(actual["value"]),
                demo=actual["demo"],
                note=actual["note"],
                result=Result(
                    actual["fiscal_year"],
                    _decimal(actual["rate_percent"]),
                    _decimal(actual["expected_percent"]),
                    actual["grade"],
                    actual["reason"],
                ),
            )
            for actual in kpi["actuals"]
        ],
    )


def _cost_from_snapshot(cost: dict) -> CostText:
    return CostText(cost["text"] or "", cost["planned"])


def system_from_snapshot(system: dict) -> SystemCard:
    effectiveness = system["cost_effectiveness"]
    return SystemCard(
        pk=None,
        name=system["name"],
        department=system["department"] or "",
        overview=system["overview"],
        configuration=system["configuration"],
        introduced=system["introduced"],
        initial_cost=_cost_from_snapshot(system["initial_cost"]),
        operating_cost=_cost_from_snapshot(system["operating_cost"]),
        breakdown=[
            CostPart(
                part["name"],
                _cost_from_snapshot(part["initial_cost"]),
                _cost_from_snapshot(part["operating_cost"]),
            )
            for part in system["cost_breakdown"]
        ],
        effects=system["effects"],
        issues=system["issues"],
        actions=system["actions"],
        total_formula=effectiveness["total_thousand_yen"]["formula"],
        per_unit_formulas=[figure["formula"] for figure in effectiveness["yen_per_unit"]],
        budgets=effectiveness.get("budgets", []),
        years=system.get("years", []),
    )


def item_from_snapshot(document: dict, code: str) -> ItemPage | None:
    """The item ``code`` as the snapshot shows it (None: the snapshot has no such item)."""
    item = find_item(document, code)
    if item is None:
        return None
    pillar = next(p for p in document["pillars"] if p["number"] == item["pillar"])
    summary = item["summary"]
    evaluation = item.get("evaluation")
    return _item_page(
        fiscal_year=document["summary"]["fiscal_year"],
        published=summary.get("published", True),
        code=item["code"],
        title=item["title"],
        pillar=PillarView(pillar["number"], pillar["title"]),
        departments=item["departments"],
        printed_departments=item.get("printed_departments") or "",
        roadmap_progress=item.get("roadmap_progress"),
        tools_heading=item.get("tools_heading") or "",
        summary=Summary(
            summary["fiscal_year"],
            _decimal(summary["progress_percent"]),
            summary["grades"],
            summary.get("pending", 0),
        ),
        as_is=item["as_is"],
        to_be=item["to_be"],
        gap=item["gap"],
        initiatives=[
            InitiativeView(
                number=initiative["number"],
                name=initiative["name"],
                ref=initiative["ref"] or "",
                repeated=initiative["repeated"],
                group=initiative.get("group") or "",
                kpi_note=initiative["kpi_note"] or "",
                roadmap=[
                    RoadmapSpan(
                        entry["fiscal_year"],
                        entry["until_fiscal_year"],
                        entry["text"],
                        entry.get("year_inferred", False),
                        entry.get("year_note") or "",
                        entry.get("status"),
                    )
                    for entry in initiative["roadmap"]
                ],
                kpis=[kpi_from_snapshot(kpi) for kpi in initiative["kpis"]],
            )
            for initiative in item["initiatives"]
        ],
        entry_years=roadmap_entry_years(document["items"]),
        actual_years=years_with_actuals(document["items"]),
        tools=[
            ToolView(tool["label"], tool["name"], tool["department"] or "", tool["repeated"])
            for tool in item["tools"]
        ],
        systems=[
            system_from_snapshot(system)
            for system in document["systems"]
            if code in system["items"]
        ],
        evaluation=PublishedEvaluation(
            fiscal_year=evaluation["fiscal_year"],
            demo=evaluation["demo"],
            quantitative=evaluation["quantitative"],
            qualitative=evaluation["qualitative"],
            issues=evaluation["issues"],
            countermeasures=evaluation["countermeasures"],
            next_plan=evaluation["next_plan"],
        )
        if evaluation
        else None,
    )


# ---- staff: from the models, as the selectors fetch them ---------------------------------


def kpi_from_models(kpi, printed_as: str = "") -> KpiView:
    """A KPI with its actuals prefetched, each evaluated by the engine now."""
    return KpiView(
        code=kpi.code,
        name=kpi.name,
        unit=kpi.unit,
        spec=kpi.spec,
        baseline_text=kpi.baseline_text,
        target_text=kpi.target_text,
        printed_as=printed_as,
        lineage={
            "status": kpi.lineage,
            "label": kpi.get_lineage_display(),
            "successor": kpi.successor.code if kpi.successor_id else None,
        },
        earlier=[
            {
                "edition": e["edition"],
                "until_fiscal_year": e["until_fiscal_year"],
                "name": e["definition"]["name"],
                "baseline_text": e["definition"]["baseline_text"],
                "target_text": e["definition"]["target_text"],
                "pending": e["definition"].get("pending", False),
            }
            for e in kpi.earlier_specs
        ],
        actuals=[
            Measurement(
                fiscal_year=actual.fiscal_year,
                value=actual.stage or actual.value,
                demo=actual.is_demo,
                note=actual.note,
                result=result,
            )
            for actual, result in evaluations(kpi)
        ],
    )


def _cost_from_models(record, prefix: str) -> CostText:
    return CostText(getattr(record, f"{prefix}_text"), getattr(record, f"{prefix}_planned"))


def system_from_models(system) -> SystemCard:
    """A Form ② record from ``systems.selectors.systems_with_costs``."""
    figures = effectiveness(system)
    return SystemCard(
        pk=system.pk,
        name=system.name,
        department=system.department.name if system.department else "",
        overview=system.overview,
        configuration=system.configuration,
        introduced=system.introduced,
        initial_cost=_cost_from_models(system, "initial_cost"),
        operating_cost=_cost_from_models(system, "operating_cost"),
        breakdown=[
            CostPart(
                part.name,
                _cost_from_models(part, "initial_cost"),
                _cost_from_models(part, "operating_cost"),
            )
            for part in system.breakdown.all()
        ],
        effects=system.effects,
        issues=system.issues,
        actions=system.actions,
        total_formula=figures["total"].formula,
        per_unit_formulas=[figure.formula for _year, figure in figures["per_unit"]],
        budgets=figures["budgets"],
        years=figures["years"],
    )


def item_from_models(item, *, systems, entry_years: set[int], actual_years) -> ItemPage:
    """An item from ``kpis.selectors.plan_items`` with its Form ② ``systems``
    (``systems.selectors.item_systems``); ``entry_years`` and ``actual_years`` are the whole
    plan's, so the columns match the public page's."""
    return _item_page(
        code=item.code,
        title=item.title,
        pillar=PillarView(item.pillar.number, item.pillar.title),
        departments=[department.name for department in item.departments.all()],
        printed_departments=item.departments_text,
        tools_heading=item.tools_heading,
        summary=summarize_kpis(item_kpis(item)),
        as_is=item.narrative("as_is"),
        to_be=item.narrative("to_be"),
        gap=item.narrative("gap"),
        initiatives=[
            InitiativeView(
                number=initiative.number,
                name=initiative.name,
                ref=initiative.ref,
                repeated=initiative.repeated,
                group=initiative.group,
                kpi_note=initiative.kpi_note,
                roadmap=[
                    RoadmapSpan(
                        entry.fiscal_year,
                        entry.until_fiscal_year,
                        entry.text,
                        entry.year_inferred,
                        entry.year_note,
                    )
                    for entry in initiative.roadmap.all()
                ],
                kpis=[
                    kpi_from_models(placement.kpi, placement.note)
                    for placement in initiative.kpi_placements.all()
                ],
            )
            for initiative in item.initiatives.all()
        ],
        entry_years=entry_years,
        actual_years=actual_years,
        tools=[
            ToolView(tool.label, tool.name, tool.department_text, tool.repeated)
            for tool in item.tools.all()
        ],
        systems=[system_from_models(system) for system in systems],
    )

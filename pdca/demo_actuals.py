"""Demo actuals: made-up figures so a newcomer sees a living plan. Never the city's numbers.

Every row made here has ``is_demo=True``; pages and exports say 「デモ用の架空の実績値を含みます」
wherever one is shown. The figures are deterministic (same plan → same demo) and chosen so that
every grade (A, B, C, D and 未測定) appears at the latest demo year. Real actuals are never
overwritten: a (KPI, FY) that already has a real actual is left alone.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction

from kpis.calculations import AT_MOST, STAGED, THRESHOLD, expected_progress
from kpis.models import Actual, Kpi
from kpis.parsing import ParsedValue
from pdca.services.actuals import ANY, ActualChange, ActualsRefused, actual_delete, apply_actuals
from pdca.services.costs import CostRefused, cost_delete, cost_save
from systems.models import CostRecord, System

DEMO_YEARS = (2024, 2025)  # R6, R7
DEMO_NOTE = "デモ用の架空の値（計画書にはない、画面確認用の値です）"
# For numeric KPIs: the share of the expected progress reached at the last demo year.
SCENARIOS = ("A", "B", "C", "A", "D", "B", "A", "C", "-")
SHARE_OF_EXPECTED = {"A": Decimal("1.15"), "B": Decimal("0.8"), "C": Decimal("0.35")}
STAGES = {"A": "完了", "B": "着手", "C": "着手", "D": "未着手"}


@dataclass
class DemoReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    kept_real: int = 0
    costs: int = 0


def _round(value: Decimal, unit: str) -> Decimal:
    step = Decimal("0.1") if unit in {"％", "%"} else Decimal(1)
    return value.quantize(step, rounding=ROUND_HALF_UP)


def demo_value(kpi: Kpi, scenario: str, year: int) -> tuple[Decimal | None, str]:
    """A made-up actual for ``kpi`` in ``year`` that should land on ``scenario``'s grade."""
    spec = kpi.spec
    last = DEMO_YEARS[-1]
    if spec.kind == STAGED:
        if year < last:
            return None, "着手" if scenario in {"A", "B", "C"} else "未着手"
        return None, STAGES[scenario]
    target = spec.target
    if spec.kind == THRESHOLD:
        # Met gives A; a rate of 80% gives B; 50% gives C (a threshold KPI cannot fall to D).
        rate = {"B": Decimal("0.8"), "C": Decimal("0.5"), "D": Decimal("0.5")}.get(scenario)
        if rate is None or year < last:
            floor = spec.baseline if spec.baseline is not None else target
            value = target * Decimal("0.9") if spec.operator == AT_MOST else max(target, floor)
        else:
            value = target / rate if spec.operator == AT_MOST else target * rate
        return _round(value, kpi.unit), ""
    baseline = spec.baseline if spec.baseline is not None else Decimal(0)
    expected_last = expected_progress(spec, last)
    if scenario == "D" and baseline <= 0:
        scenario = "C"  # falling below a zero baseline would need a negative count
    if scenario == "D":
        rate = Decimal(-5)
    else:
        rate = expected_last * SHARE_OF_EXPECTED[scenario]
    if year < last:
        rate = rate * expected_progress(spec, year) / expected_last if expected_last else rate
    value = baseline + (target - baseline) * rate / Decimal(100)
    return _round(value, kpi.unit), ""


@transaction.atomic
def load_demo_actuals(*, user) -> DemoReport:
    """Write the demo actuals and costs through the one write path, as ``user`` (the system
    account); a real figure, or one held by an approved evaluation, is left as it is."""
    report = DemoReport()
    kpis = list(Kpi.objects.in_plan_order())
    existing = {(a.kpi_id, a.fiscal_year): a for a in Actual.objects.all()}
    for index, kpi in enumerate(kpis):
        scenario = SCENARIOS[index % len(SCENARIOS)]
        if scenario == "-" or kpi.pending:  # 設定予定: no actual until it is defined
            continue
        for year in DEMO_YEARS:
            if kpi.baseline_fiscal_year and year < kpi.baseline_fiscal_year:
                continue
            value, stage = demo_value(kpi, scenario, year)
            actual = existing.get((kpi.pk, year))
            if actual is not None and not actual.is_demo:
                report.kept_real += 1
                continue
            change = ActualChange(kpi, year, ParsedValue(value, stage), DEMO_NOTE)
            try:
                result = apply_actuals(
                    [change], user=user, reason="デモ用の架空の値を読み込み", demo=True
                )
            except ActualsRefused:
                report.kept_real += 1  # an approved year stays as it was approved
                continue
            report.created += len(result.added)
            report.updated += len(result.changed)
            report.unchanged += len(result.unchanged)
    report.costs = _load_demo_costs(user=user)
    return report


def _load_demo_costs(*, user) -> int:
    """Yearly operating costs near the printed ones, for the systems that print a number."""
    made = 0
    factors = {2024: Decimal("0.97"), 2025: Decimal("1.02")}
    printed = System.objects.filter(
        operating_cost_thousand_yen__gt=0, operating_cost_planned=False
    ).exclude(operating_cost_fiscal_year__isnull=True)
    for system in printed:
        for year, factor in factors.items():
            if year <= system.operating_cost_fiscal_year:
                continue  # not yet running, or the plan prints that year's figure
            if CostRecord.objects.filter(
                system=system, fiscal_year=year, kind=CostRecord.Kind.OPERATING
            ).exists():
                continue  # a real or earlier demo figure is kept
            try:
                cost_save(
                    system=system,
                    fiscal_year=year,
                    kind=CostRecord.Kind.OPERATING,
                    thousand_yen=(system.operating_cost_thousand_yen * factor).quantize(Decimal(1)),
                    note=DEMO_NOTE,
                    user=user,
                    reason="デモ用の架空の値を読み込み",
                    demo=True,
                )
            except CostRefused:
                continue
            made += 1
    return made


@transaction.atomic
def remove_demo_data(*, user) -> tuple[int, int, int]:
    """Delete every demo actual and demo cost record through the write path (history sees each).
    Returns (actuals, costs, kept): ``kept`` counts the demo figures left in place because a
    real approved or published evaluation holds their year (the write path refuses to delete
    them; reopening the evaluation first lets a second run remove them)."""
    actuals = costs = kept = 0
    for actual in Actual.objects.filter(is_demo=True).select_related("kpi"):
        try:
            actual_delete(actual=actual, user=user, seen=ANY, reason="デモ用の架空の値を削除")
        except ActualsRefused:
            kept += 1
            continue
        actuals += 1
    for record in CostRecord.objects.filter(is_demo=True).select_related("system"):
        try:
            cost_delete(record=record, user=user, reason="デモ用の架空の値を削除")
        except CostRefused:
            kept += 1
            continue
        costs += 1
    return actuals, costs, kept

"""The achievement (達成率) engine: PRODUCT.md §3, as pure functions over plain values.

No ORM, no request, no clock: callers pass the KPI's definition, the fiscal year and the actual.
Every page, export and API computes rates and grades through this module and nothing else.

Rules, for a KPI with baseline b (FY bf), target t (FY tf) and an actual a for FY y:
1. directional:  rate = (a − b) / (t − b) × 100; a missing baseline counts as 0 (and says so);
2. threshold (以上/以下, or t = b): met → 100; else a / t × 100 (以上) or t / a × 100 (以下);
3. cumulative: the actual is the running total, then as rule 1;
4. milestone: 未着手 0, 着手 50, 完了 100;
5. expected = clamp((y − bf) / (tf − bf), 0, 1) × 100 (bf = 2023 when unknown); threshold: 100;
6. grade: none → "-"; expected 0 → A if rate ≥ 0 else D; rate ≤ 0 → D; rate ≥ expected → A;
   rate ≥ band × expected → B; else C;
7. reason: one Japanese line with the formula and its inputs;
8. roll-up: mean of the measured rates clamped to [0, 100], with grade and unmeasured counts;
9. rates are reported rounded to one decimal.
"""

import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from shizuoka_dx.fiscal import era_year

HUNDRED = Decimal(100)
ZERO = Decimal(0)
DEFAULT_BASELINE_FISCAL_YEAR = 2023  # R5, the plan's usual 現状
DEFAULT_B_BAND = Decimal("0.6")

INCREASE, DECREASE, MAINTAIN, MILESTONE = "increase", "decrease", "maintain", "milestone"
AT_LEAST, AT_MOST = ">=", "<="
STAGE_RATES = {"未着手": ZERO, "着手": Decimal(50), "完了": HUNDRED}

GRADE_LABELS = {
    "A": "順調",
    "B": "概ね順調",
    "C": "遅れ",
    "D": "後退・未達",
    "-": "未測定",
}
GRADES = ("A", "B", "C", "D", "-")
# A KPI the plan says is still to be defined (「…KPI指標を定める予定」): shown, never graded, and
# not counted as unmeasured either. Its mark is not one of GRADES, so no grade count includes it.
PENDING = "設定予定"
GRADE_LABELS[PENDING] = "設定予定"

DIRECTIONAL, THRESHOLD, STAGED = "directional", "threshold", "milestone"

# Units of things counted one by one: a count is never below zero, whatever the plan prints.
COUNT_UNITS = frozenset(
    {
        "件", "人", "名", "社", "回", "点", "地点", "箇所", "か所", "ヶ所", "部署", "課", "種類",
        "業務", "システム", "ライセンス", "団体", "事業者", "世帯", "校", "施設", "台", "冊", "個",
        "本", "枚", "講座",
    }
)  # fmt: skip
SHARE_UNITS = frozenset({"%"})  # after NFKC: ％ and % alike


@dataclass(frozen=True)
class KpiSpec:
    """What the engine needs to know about a KPI."""

    direction: str
    target: Decimal | None
    target_fiscal_year: int | None
    baseline: Decimal | None = None
    baseline_fiscal_year: int | None = None
    operator: str = ""
    cumulative: bool = False
    baseline_text: str = ""
    unit: str = ""
    pending: bool = False  # 設定予定: the plan has not defined how it is measured yet

    @property
    def kind(self) -> str:
        if self.direction == MILESTONE:
            return STAGED
        if self.operator in (AT_LEAST, AT_MOST):
            return THRESHOLD
        if self.baseline is not None and self.target == self.baseline:
            return THRESHOLD
        return DIRECTIONAL

    @property
    def effective_operator(self) -> str:
        """以上 or 以下 for a threshold KPI; a target equal to its baseline means 以上."""
        return self.operator or AT_LEAST

    @property
    def baseline_counts_as_zero(self) -> bool:
        """A KPI measured by numbers whose baseline has no number: rule 1 counts it as 0."""
        return self.kind != STAGED and self.baseline is None

    @property
    def _unit(self) -> str:
        return unicodedata.normalize("NFKC", self.unit or "").strip()

    @property
    def _printed(self) -> list[Decimal]:
        return [value for value in (self.baseline, self.target) if value is not None]

    @property
    def counted(self) -> bool:
        """Measured in things counted one by one (件, 人, 地点…)."""
        return self._unit in COUNT_UNITS

    @property
    def allows_negative(self) -> bool:
        """The one rule for values below zero: only a KPI whose plan itself prints a negative
        baseline or target (a change that may go either way) takes them; never a count."""
        return not self.counted and any(value < 0 for value in self._printed)

    @property
    def share(self) -> bool:
        """A share in ％ (0–100): a ％ KPI unless its plan prints a value outside 0–100 (a rate
        of change such as 前年比 120％ or −5％ is not a share)."""
        return self._unit in SHARE_UNITS and all(
            ZERO <= value <= HUNDRED for value in self._printed
        )

    @property
    def description(self) -> str:
        """How the KPI is measured, in plain Japanese (the 測り方 line of the KPI page)."""
        if self.pending:
            return "測り方はこれから定めます（設定予定）。評価はしません"
        if self.kind == STAGED:
            stages = "・".join(f"{stage} {number(rate)}%" for stage, rate in STAGE_RATES.items())
            text = f"段階で測ります（{stages}）"
        elif self.operator == AT_LEAST:
            text = "目標値以上で達成（達成していれば 100%）"
        elif self.operator == AT_MOST:
            text = "目標値以下で達成（達成していれば 100%）"
        elif self.kind == THRESHOLD:
            text = "目標値を保てば達成（100%）"
        else:
            text = "現状値から目標値までのうち、どこまで進んだか"
        if self.cumulative:
            text += "。実績は年度末までの累計です"
        return text


def grade_title(grade: str) -> str:
    """A grade as people read it: 「A 順調」…「D 後退・未達」, and 「未測定」 without its mark."""
    label = GRADE_LABELS[grade]
    return label if grade == "-" else f"{grade} {label}"


@dataclass(frozen=True)
class Result:
    """The evaluation of one actual (or of its absence) for one fiscal year."""

    fiscal_year: int
    rate: Decimal | None  # unclamped, unrounded
    expected: Decimal | None
    grade: str
    reason: str

    @property
    def label(self) -> str:
        return GRADE_LABELS[self.grade]

    @property
    def measured(self) -> bool:
        return self.grade not in ("-", PENDING)

    @property
    def pending(self) -> bool:
        return self.grade == PENDING

    @property
    def rate_percent(self) -> Decimal | None:
        return round_percent(self.rate)

    @property
    def expected_percent(self) -> Decimal | None:
        return round_percent(self.expected)

    @property
    def clamped_rate(self) -> Decimal | None:
        return clamp(self.rate, ZERO, HUNDRED) if self.rate is not None else None


@dataclass(frozen=True)
class Summary:
    """A roll-up: progress (clamped mean) with the count of each grade and of unmeasured KPIs."""

    fiscal_year: int | None
    progress: Decimal | None
    grades: Mapping[str, int] = field(default_factory=dict)
    pending: int = 0  # KPIs still to be defined (設定予定): neither graded nor unmeasured

    @property
    def unmeasured(self) -> int:
        return self.grades.get("-", 0)

    @property
    def measured(self) -> int:
        return sum(count for grade, count in self.grades.items() if grade != "-")

    @property
    def progress_percent(self) -> Decimal | None:
        return round_percent(self.progress)


# ---- helpers ---------------------------------------------------------------------------


def clamp(value: Decimal, low: Decimal, high: Decimal) -> Decimal:
    return max(low, min(high, value))


def round_percent(value: Decimal | None) -> Decimal | None:
    if value is None:
        return None
    return value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP) + 0  # + 0 turns −0.0 into 0.0


def number(value: Decimal) -> str:
    """A plain number for the reason line: 298621, 98.2, 7 (no exponent, no trailing zeros)."""
    text = f"{value.normalize():f}"
    return text


def percent(value: Decimal) -> str:
    return f"{round_percent(value)}%"


def expected_progress(spec: KpiSpec, fiscal_year: int) -> Decimal:
    """Rule 5: the share of the way to the target that should be done by the end of FY y."""
    if spec.kind == THRESHOLD:
        return HUNDRED
    start = spec.baseline_fiscal_year or DEFAULT_BASELINE_FISCAL_YEAR
    end = spec.target_fiscal_year
    if end is None:
        return HUNDRED
    if end <= start:
        return HUNDRED if fiscal_year >= end else ZERO
    share = Decimal(fiscal_year - start) / Decimal(end - start)
    return clamp(share, ZERO, Decimal(1)) * HUNDRED


def grade_for(rate: Decimal | None, expected: Decimal, band: Decimal = DEFAULT_B_BAND) -> str:
    """Rule 6, on unrounded numbers."""
    if rate is None:
        return "-"
    if expected == 0:
        return "A" if rate >= 0 else "D"
    if rate <= 0:
        return "D"
    if rate >= expected:
        return "A"
    if rate >= band * expected:
        return "B"
    return "C"


# ---- rules 1-4 -------------------------------------------------------------------------


def _directional(spec: KpiSpec, actual: Decimal) -> tuple[Decimal | None, str]:
    baseline = spec.baseline if spec.baseline is not None else ZERO
    prefix = ""
    if spec.baseline is None:
        printed = spec.baseline_text.split("（")[0].split("(")[0].strip() or "なし"
        prefix = f"現状値が「{printed}」のため 0 として計算: "
    if spec.cumulative:
        prefix += "累計で "
    if spec.target is None or spec.target == baseline:
        return None, prefix + "目標値と現状値が同じため計算できません"
    rate = (actual - baseline) / (spec.target - baseline) * HUNDRED
    formula = (
        f"({number(actual)} − {number(baseline)}) ÷ "
        f"({number(spec.target)} − {number(baseline)}) = {percent(rate)}"
    )
    return rate, prefix + formula


def _threshold(spec: KpiSpec, actual: Decimal) -> tuple[Decimal | None, str]:
    target = spec.target
    if target is None:
        return None, "目標値がないため計算できません"
    if spec.effective_operator == AT_MOST:
        if actual <= target:
            return HUNDRED, f"{number(actual)} ≦ {number(target)}（目標以下）で達成 = 100.0%"
        rate = target / actual * HUNDRED
        return (
            rate,
            f"{number(target)} ÷ {number(actual)} = {percent(rate)}（目標 {number(target)} 以下に未達）",
        )
    if actual >= target:
        return HUNDRED, f"{number(actual)} ≧ {number(target)}（目標以上）で達成 = 100.0%"
    if target == 0:
        return ZERO, f"{number(actual)} ＜ 0（目標 0 以上に未達）= 0.0%"
    rate = actual / target * HUNDRED
    return (
        rate,
        f"{number(actual)} ÷ {number(target)} = {percent(rate)}（目標 {number(target)} 以上に未達）",
    )


def _staged(stage: str) -> tuple[Decimal | None, str]:
    rate = STAGE_RATES[stage]
    return rate, f"段階「{stage}」= {percent(rate)}"


def evaluate(
    spec: KpiSpec,
    *,
    fiscal_year: int,
    value: Decimal | None = None,
    stage: str = "",
    band: Decimal = DEFAULT_B_BAND,
) -> Result:
    """Evaluate one actual (a number, or a stage for a milestone KPI) for ``fiscal_year``."""
    year = era_year(fiscal_year)
    if spec.pending:
        return Result(
            fiscal_year,
            None,
            None,
            PENDING,
            "KPIの測り方がまだ定められていない（設定予定）ため評価しません",
        )
    expected = expected_progress(spec, fiscal_year)
    if spec.kind == STAGED:
        if not stage:
            return Result(fiscal_year, None, expected, "-", f"{year}の実績が未入力です")
        if stage not in STAGE_RATES:
            raise ValueError(f"unknown stage {stage!r}")
        rate, formula = _staged(stage)
    else:
        if value is None:
            return Result(fiscal_year, None, expected, "-", f"{year}の実績が未入力です")
        rate, formula = (_threshold if spec.kind == THRESHOLD else _directional)(spec, value)
    grade = grade_for(rate, expected, band)
    return Result(fiscal_year, rate, expected, grade, _reason(formula, rate, expected, grade, year))


def _reason(formula: str, rate, expected: Decimal, grade: str, year: str) -> str:
    outcome = f"→ {grade}（{GRADE_LABELS[grade]}）"
    if rate is None:
        return f"{formula} {outcome}"
    if expected == 0:
        return f"{formula}、{year}は現状値の年度（期待値 0.0%）{outcome}"
    ratio = (rate / expected).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return f"{formula}、{year}の期待値 {percent(expected)} の {number(ratio)} 倍 {outcome}"


# ---- rule 3: yearly increments of a cumulative KPI --------------------------------------


def yearly_increments(
    running_totals: Mapping[int, Decimal], baseline: Decimal | None = None
) -> dict[int, Decimal]:
    """Turn end-of-year running totals into the amount added in each year."""
    increments = {}
    previous = baseline if baseline is not None else ZERO
    for year in sorted(running_totals):
        increments[year] = running_totals[year] - previous
        previous = running_totals[year]
    return increments


# ---- rule 8: roll-ups ------------------------------------------------------------------


def summarize(results: Iterable[Result | None], fiscal_year: int | None) -> Summary:
    """Roll up KPI results (None = no actual) into an item's progress and grade counts."""
    grades = dict.fromkeys(GRADES, 0)
    rates = []
    pending = 0
    for result in results:
        if result is not None and result.pending:
            pending += 1
            continue
        if result is None or not result.measured:
            grades["-"] += 1
            continue
        grades[result.grade] += 1
        rates.append(result.clamped_rate)
    progress = sum(rates, ZERO) / len(rates) if rates else None
    return Summary(fiscal_year, progress, grades, pending)


def combine(summaries: Sequence[Summary]) -> Summary:
    """A pillar's (or the plan's) roll-up: the mean of its items' progress, counts added."""
    grades = dict.fromkeys(GRADES, 0)
    for summary in summaries:
        for grade, count in summary.grades.items():
            grades[grade] += count
    measured = [s.progress for s in summaries if s.progress is not None]
    progress = sum(measured, ZERO) / len(measured) if measured else None
    years = [s.fiscal_year for s in summaries if s.fiscal_year is not None]
    pending = sum(s.pending for s in summaries)
    return Summary(max(years) if years else None, progress, grades, pending)

"""The 達成率 engine (PRODUCT.md §3), on the plan's real edge cases and on invariants."""

from decimal import Decimal as D

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from kpis.calculations import (
    KpiSpec,
    combine,
    evaluate,
    expected_progress,
    grade_for,
    summarize,
    yearly_increments,
)

# The plan's own KPIs, as the engine sees them.
HOURS_1_3 = KpiSpec("decrease", D(7), 2026, baseline=D(12), baseline_fiscal_year=2024)
WAITING_1_2 = KpiSpec(
    "decrease",
    D(10),
    2026,
    baseline=None,
    baseline_fiscal_year=2023,
    operator="<=",
    baseline_text="新規（R5）",
)
SECURITY_2_5 = KpiSpec(
    "increase", D(90), 2026, baseline=D("98.2"), baseline_fiscal_year=2023, operator=">="
)
MOBILE_4_3 = KpiSpec("maintain", D(100), 2026, baseline=D(100), baseline_fiscal_year=2023)
PORTAL_1_1 = KpiSpec(
    "increase", D(10000), 2026, baseline=None, baseline_fiscal_year=2023, baseline_text="‐ （R5）"
)
NEW_USERS_1_2 = KpiSpec(
    "increase", D(60000), 2026, baseline=None, baseline_fiscal_year=2023, baseline_text="新規（R5）"
)
SUPPORT_4_1 = KpiSpec(
    "increase", D(75), 2026, baseline=D(20), baseline_fiscal_year=2024, cumulative=True
)
MIGRATION_1_1 = KpiSpec("milestone", None, 2026)
ONLINE_1_1 = KpiSpec("increase", D(375000), 2026, baseline=D(298621), baseline_fiscal_year=2023)

CASES = [
    # (name, spec, FY, value, stage, rate, expected, grade)
    ("1-3 hours 12→7, 10 in R7", HOURS_1_3, 2025, D(10), "", D(40), D(50), "B"),
    ("1-3 hours reached 7 in R8", HOURS_1_3, 2026, D(7), "", D(100), D(100), "A"),
    ("1-3 hours got worse", HOURS_1_3, 2025, D(13), "", D(-20), D(50), "D"),
    ("1-3 hours in the baseline FY", HOURS_1_3, 2024, D(12), "", D(0), D(0), "A"),
    ("1-2 ≤10% met", WAITING_1_2, 2025, D(8), "", D(100), D(100), "A"),
    ("1-2 ≤10% at 12.5", WAITING_1_2, 2025, D("12.5"), "", D(80), D(100), "B"),
    ("1-2 ≤10% at 20", WAITING_1_2, 2025, D(20), "", D(50), D(100), "C"),
    ("2-5 ≥90% met above", SECURITY_2_5, 2024, D(95), "", D(100), D(100), "A"),
    ("2-5 ≥90% missed", SECURITY_2_5, 2025, D(45), "", D(50), D(100), "C"),
    ("4-3 100%→100% kept", MOBILE_4_3, 2025, D(100), "", D(100), D(100), "A"),
    ("4-3 100%→100% at 99", MOBILE_4_3, 2025, D(99), "", D(99), D(100), "B"),
    (
        "1-1 portal from ‐",
        PORTAL_1_1,
        2025,
        D(5000),
        "",
        D(50),
        D("66.66666666666666666666666667"),
        "B",
    ),
    (
        "1-2 new from 新規",
        NEW_USERS_1_2,
        2024,
        D(30000),
        "",
        D(50),
        D("33.33333333333333333333333333"),
        "A",
    ),
    (
        "4-1 cumulative 20→75",
        SUPPORT_4_1,
        2025,
        D(52),
        "",
        D("58.18181818181818181818181818"),
        D(50),
        "A",
    ),
    (
        "1-1 migration started",
        MIGRATION_1_1,
        2025,
        None,
        "着手",
        D(50),
        D("66.66666666666666666666666667"),
        "B",
    ),
    ("1-1 migration done", MIGRATION_1_1, 2026, None, "完了", D(100), D(100), "A"),
    (
        "1-1 migration not started",
        MIGRATION_1_1,
        2025,
        None,
        "未着手",
        D(0),
        D("66.66666666666666666666666667"),
        "D",
    ),
    ("1-1 over-achieved in R8", ONLINE_1_1, 2026, D(400000), "", D("132.7"), D(100), "A"),
    ("1-1 worse than baseline", ONLINE_1_1, 2025, D(290000), "", None, None, "D"),
    ("1-1 baseline FY, below", ONLINE_1_1, 2023, D(290000), "", None, D(0), "D"),
    ("1-1 nothing entered", ONLINE_1_1, 2025, None, "", None, None, "-"),
]


@pytest.mark.parametrize(
    ("name", "spec", "year", "value", "stage", "rate", "expected", "grade"),
    CASES,
    ids=[case[0] for case in CASES],
)
def test_it_grades_the_plans_edge_cases(name, spec, year, value, stage, rate, expected, grade):
    result = evaluate(spec, fiscal_year=year, value=value, stage=stage)
    assert result.grade == grade
    if rate is not None:
        assert result.rate_percent == rate.quantize(D("0.1"))
    if expected is not None:
        assert result.expected == expected


def test_the_reason_shows_the_formula_and_its_inputs():
    result = evaluate(HOURS_1_3, fiscal_year=2025, value=D(10))
    assert result.reason == (
        "(10 − 12) ÷ (7 − 12) = 40.0%、令和7年度の期待値 50.0% の 0.8 倍 → B（概ね順調）"
    )
    assert result.label == "概ね順調"


def test_the_reason_says_a_missing_baseline_counts_as_zero():
    reason = evaluate(NEW_USERS_1_2, fiscal_year=2025, value=D(30000)).reason
    assert reason.startswith(
        "現状値が「新規」のため 0 として計算: (30000 − 0) ÷ (60000 − 0) = 50.0%"
    )


def test_the_reason_explains_a_threshold():
    met = evaluate(SECURITY_2_5, fiscal_year=2025, value=D(95)).reason
    assert "95 ≧ 90（目標以上）で達成 = 100.0%" in met
    missed = evaluate(WAITING_1_2, fiscal_year=2025, value=D(20)).reason
    assert "10 ÷ 20 = 50.0%（目標 10 以下に未達）" in missed


def test_the_reason_names_the_stage_and_the_baseline_year():
    assert evaluate(MIGRATION_1_1, fiscal_year=2025, stage="着手").reason.startswith(
        "段階「着手」= 50.0%"
    )
    assert (
        "令和5年度は現状値の年度（期待値 0.0%）→ A"
        in evaluate(ONLINE_1_1, fiscal_year=2023, value=D(298621)).reason
    )


def test_unmeasured_says_so():
    result = evaluate(ONLINE_1_1, fiscal_year=2025)
    assert (result.grade, result.label, result.rate) == ("-", "未測定", None)
    assert "未入力" in result.reason


@pytest.mark.parametrize(
    "spec, description",
    [
        (MIGRATION_1_1, "段階で測ります（未着手 0%・着手 50%・完了 100%）"),
        (SECURITY_2_5, "目標値以上で達成（達成していれば 100%）"),
        (WAITING_1_2, "目標値以下で達成（達成していれば 100%）"),
        (MOBILE_4_3, "目標値を保てば達成（100%）"),
        (HOURS_1_3, "現状値から目標値までのうち、どこまで進んだか"),
        (SUPPORT_4_1, "現状値から目標値までのうち、どこまで進んだか。実績は年度末までの累計です"),
    ],
)
def test_the_description_says_how_each_kind_of_kpi_is_measured(spec, description):
    assert spec.description == description


def test_only_a_numeric_kpi_without_a_baseline_number_counts_it_as_zero():
    assert PORTAL_1_1.baseline_counts_as_zero
    assert not HOURS_1_3.baseline_counts_as_zero
    assert not MIGRATION_1_1.baseline_counts_as_zero


def test_expected_progress_starts_in_r5_when_no_baseline_year_is_printed():
    spec = KpiSpec("increase", D(10), 2026, baseline=D(0), baseline_fiscal_year=None)
    assert expected_progress(spec, 2023) == 0
    assert expected_progress(spec, 2026) == 100
    assert expected_progress(spec, 2030) == 100
    assert expected_progress(spec, 2020) == 0
    assert expected_progress(SECURITY_2_5, 2023) == 100


def test_the_b_band_is_a_setting():
    assert grade_for(D(35), D(50), band=D("0.6")) == "B"
    assert grade_for(D(35), D(50), band=D("0.8")) == "C"


def test_cumulative_yearly_increments():
    assert yearly_increments({2024: D(20), 2025: D(52), 2026: D(75)}) == {
        2024: D(20),
        2025: D(32),
        2026: D(23),
    }
    assert yearly_increments({2025: D(7)}, baseline=D(4)) == {2025: D(3)}


def test_an_items_progress_is_the_clamped_mean_of_measured_kpis():
    over = evaluate(ONLINE_1_1, fiscal_year=2026, value=D(400000))  # 132.7% → 100
    behind = evaluate(HOURS_1_3, fiscal_year=2026, value=D(12))  # 0% → D
    worse = evaluate(HOURS_1_3, fiscal_year=2026, value=D(13))  # −20% → 0
    summary = summarize([over, behind, worse, None], 2026)
    assert summary.progress == D(100) / 3
    assert summary.progress_percent == D("33.3")
    assert dict(summary.grades) == {"A": 1, "B": 0, "C": 0, "D": 2, "-": 1}
    assert summary.unmeasured == 1


def test_nothing_measured_has_no_progress():
    summary = summarize([None, None], None)
    assert summary.progress is None
    assert summary.unmeasured == 2


def test_a_pillars_progress_is_the_mean_of_its_items():
    first = summarize([evaluate(HOURS_1_3, fiscal_year=2026, value=D(7))], 2026)  # 100
    second = summarize([evaluate(HOURS_1_3, fiscal_year=2025, value=D(10))], 2025)  # 40
    empty = summarize([None], None)
    pillar = combine([first, second, empty])
    assert pillar.progress == D(70)
    assert pillar.fiscal_year == 2026
    assert pillar.grades["A"] == 1 and pillar.grades["B"] == 1 and pillar.unmeasured == 1


# ---- invariants ------------------------------------------------------------------------

values = st.decimals(
    min_value=-1000, max_value=1000, places=2, allow_nan=False, allow_infinity=False
)
years = st.integers(min_value=2023, max_value=2027)
RANK = {"D": 0, "C": 1, "B": 2, "A": 3}


@given(baseline=values, target=values, first=values, second=values, year=years)
def test_moving_toward_the_target_never_lowers_the_rate(baseline, target, first, second, year):
    assume(baseline != target)
    direction = "increase" if target > baseline else "decrease"
    spec = KpiSpec(direction, target, 2026, baseline=baseline, baseline_fiscal_year=2023)
    # `second` is at least as far along from baseline toward target as `first`.
    assume((second - first) * (target - baseline) >= 0)
    low = evaluate(spec, fiscal_year=year, value=first)
    high = evaluate(spec, fiscal_year=year, value=second)
    assert high.rate >= low.rate


positive = st.decimals(min_value="0.01", max_value=1000, places=2)


@given(target=positive, a=positive, b=positive)
def test_a_threshold_rate_never_falls_as_the_actual_improves(target, a, b):
    first, second = sorted([a, b])
    at_least = KpiSpec("increase", target, 2026, operator=">=")
    assert (
        evaluate(at_least, fiscal_year=2025, value=second).rate
        >= evaluate(at_least, fiscal_year=2025, value=first).rate
    )
    at_most = KpiSpec("decrease", target, 2026, operator="<=")
    assert (
        evaluate(at_most, fiscal_year=2025, value=first).rate
        >= evaluate(at_most, fiscal_year=2025, value=second).rate
    )


@given(baseline=values, target=values, actual=values, year=years)
def test_an_increase_kpi_and_its_mirrored_decrease_get_the_same_rate(
    baseline, target, actual, year
):
    assume(target > baseline)
    increase = KpiSpec("increase", target, 2026, baseline=baseline, baseline_fiscal_year=2023)
    decrease = KpiSpec("decrease", -target, 2026, baseline=-baseline, baseline_fiscal_year=2023)
    up = evaluate(increase, fiscal_year=year, value=actual)
    down = evaluate(decrease, fiscal_year=year, value=-actual)
    assert up.rate == down.rate
    assert up.grade == down.grade


@given(baseline=values, target=values, first=values, second=values, year=years)
def test_grades_are_ordered_as_the_rate_rises(baseline, target, first, second, year):
    assume(target > baseline)
    spec = KpiSpec("increase", target, 2026, baseline=baseline, baseline_fiscal_year=2023)
    low, high = sorted([first, second])
    assert (
        RANK[evaluate(spec, fiscal_year=year, value=low).grade]
        <= RANK[evaluate(spec, fiscal_year=year, value=high).grade]
    )

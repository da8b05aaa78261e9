"""Due-date arithmetic of the update round, with time travel: ``today`` is always passed in,
and the Japanese fiscal year starts on 1 April (令和7年度 = 2025-04-01 … 2026-03-31)."""

from datetime import date

import pytest

from shizuoka_dx.deadlines import (
    days_left,
    default_due_dates,
    describe_days_left,
    due_date_errors,
    fiscal_year_end,
    fiscal_year_start,
    format_date,
    reminder_reason,
)
from shizuoka_dx.fiscal import fiscal_year_of


@pytest.mark.parametrize(
    ("year", "expected"),
    [
        (2025, (date(2026, 5, 31), date(2026, 6, 30))),  # 令和7年度, as in the issue
        (2026, (date(2027, 5, 31), date(2027, 6, 30))),
        (2019, (date(2020, 5, 31), date(2020, 6, 30))),  # 令和元年度
    ],
)
def test_it_suggests_the_end_of_may_and_june_after_the_fiscal_year(year, expected):
    assert default_due_dates(year) == expected
    # The suggestion is in the next fiscal year: the year reported on has ended by then.
    assert all(fiscal_year_of(day) == year + 1 for day in expected)


def test_a_fiscal_year_runs_from_the_first_of_april_to_the_end_of_march():
    assert fiscal_year_start(2025) == date(2025, 4, 1)
    assert fiscal_year_end(2025) == date(2026, 3, 31)
    assert fiscal_year_of(date(2026, 3, 31)) == 2025
    assert fiscal_year_of(date(2026, 4, 1)) == 2026


@pytest.mark.parametrize(
    ("due", "today", "left"),
    [
        (date(2026, 5, 31), date(2026, 5, 31), 0),
        (date(2026, 5, 31), date(2026, 5, 17), 14),
        # Across the end of a fiscal year (31 March → 1 April) nothing special happens.
        (date(2026, 4, 1), date(2026, 3, 31), 1),
        (date(2026, 5, 31), date(2026, 3, 31), 61),
        # A leap day counts (2028 is a leap year).
        (date(2028, 3, 1), date(2028, 2, 28), 2),
        (date(2027, 3, 1), date(2027, 2, 28), 1),
        (date(2026, 5, 31), date(2026, 6, 10), -10),
    ],
)
def test_days_left_counts_calendar_days_across_fiscal_years(due, today, left):
    assert days_left(due, today) == left


@pytest.mark.parametrize(
    ("left", "text"), [(5, "あと5日"), (1, "あと1日"), (0, "今日が期限"), (-3, "3日超過")]
)
def test_days_left_reads_as_plain_japanese(left, text):
    assert describe_days_left(left) == text


DUE = date(2026, 5, 31)


@pytest.mark.parametrize(
    ("today", "reason"),
    [
        (date(2026, 5, 16), None),  # 15 days before
        (date(2026, 5, 17), "期限の14日前"),
        (date(2026, 5, 24), "期限の7日前"),
        (date(2026, 5, 30), "期限の1日前"),
        (date(2026, 5, 31), None),  # the due date itself: yesterday's reminder said so
        (date(2026, 6, 1), "期限を1日過ぎています"),
        (date(2026, 6, 2), None),
        (date(2026, 6, 8), "期限を8日過ぎています"),
        (date(2026, 6, 15), "期限を15日過ぎています"),
        (date(2026, 3, 31), None),  # the previous fiscal year: long before
    ],
)
def test_reminders_go_out_14_7_and_1_days_before_then_weekly_once_overdue(today, reason):
    assert reminder_reason(DUE, today) == reason


def test_the_reminder_days_and_the_overdue_rhythm_are_settings():
    assert reminder_reason(DUE, date(2026, 5, 28), before=(3,)) == "期限の3日前"
    assert reminder_reason(DUE, date(2026, 5, 24), before=(3,)) is None
    assert reminder_reason(DUE, date(2026, 6, 4), overdue_every=3) == "期限を4日過ぎています"
    assert reminder_reason(DUE, date(2026, 6, 3), overdue_every=3) is None


def test_it_accepts_due_dates_from_the_first_day_of_the_year_to_the_end_of_the_next():
    assert due_date_errors(2025, date(2025, 4, 1), date(2027, 3, 31)) == []
    assert due_date_errors(2025, date(2026, 5, 31), date(2026, 5, 31)) == []


@pytest.mark.parametrize(
    ("actuals", "evaluations", "message"),
    [
        (
            date(2025, 3, 31),
            date(2026, 6, 30),
            "実績の入力期限（2025年3月31日（月））は、令和7年度の初日",
        ),
        (
            date(2026, 5, 31),
            date(2027, 4, 1),
            "評価の期限（2027年4月1日（木））は、令和7年度の初日",
        ),
        (
            date(2026, 6, 30),
            date(2026, 5, 31),
            "評価の期限（2026年5月31日（日））は、実績の入力期限",
        ),
    ],
)
def test_it_refuses_due_dates_outside_the_round_in_one_japanese_sentence(
    actuals, evaluations, message
):
    errors = due_date_errors(2025, actuals, evaluations)
    assert len(errors) == 1
    assert errors[0].startswith(message)


def test_dates_are_written_with_the_day_of_the_week():
    assert format_date(date(2026, 5, 31)) == "2026年5月31日（日）"
    assert format_date(None) == "－"


@pytest.mark.parametrize("text", ["2026-05-31", "2026/5/31", "２０２６年５月３１日", " 2026.5.31 "])
def test_it_reads_a_date_as_people_type_it(text):
    from shizuoka_dx.deadlines import parse_date

    assert parse_date(text) == date(2026, 5, 31)


@pytest.mark.parametrize("text", ["5月31日", "2026-02-30", "R8.5.31", ""])
def test_it_refuses_what_is_not_a_whole_date(text):
    from shizuoka_dx.deadlines import parse_date

    with pytest.raises(ValueError):
        parse_date(text)

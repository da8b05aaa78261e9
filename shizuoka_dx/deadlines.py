"""Due dates of the yearly update round, as plain date arithmetic (no database, no clock).

Every function takes ``today`` from its caller, so tests can travel in time and a command can be
run "as of" another day (``send_reminders --today 2026-05-24``). Fiscal years run April–March
and are stored as the Western year they start in (令和7年度 = 2025, 2025-04-01 … 2026-03-31).
"""

import re
import unicodedata
from datetime import date

from shizuoka_dx.fiscal import era_year

# Reminders go out this many days before a due date (REMINDER_DAYS), and, once a due date has
# passed, on the first day after it and then every OVERDUE_EVERY days (REMINDER_OVERDUE_EVERY).
DEFAULT_REMINDER_DAYS = (14, 7, 1)
DEFAULT_OVERDUE_EVERY = 7


def fiscal_year_start(year: int) -> date:
    return date(year, 4, 1)


def fiscal_year_end(year: int) -> date:
    return date(year + 1, 3, 31)


def default_due_dates(year: int) -> tuple[date, date]:
    """What the open-round page suggests for the round of FY ``year``: actuals by 31 May and
    evaluations by 30 June after the year has ended (令和7年度 → 2026-05-31, 2026-06-30)."""
    return date(year + 1, 5, 31), date(year + 1, 6, 30)


def due_date_errors(year: int, actuals_due: date, evaluations_due: date) -> list[str]:
    """What is wrong with the due dates of FY ``year``'s round, in Japanese (empty: fine).

    A due date falls between the first day of that fiscal year and the last day of the next one
    (the figures of 令和7年度 are asked for while 令和8年度 runs), and evaluations are due on or
    after the actuals they evaluate."""
    errors = []
    first, last = fiscal_year_start(year), fiscal_year_end(year + 1)
    for label, due in (("実績の入力期限", actuals_due), ("評価の期限", evaluations_due)):
        if not first <= due <= last:
            errors.append(
                f"{label}（{format_date(due)}）は、{era_year(year)}の初日（{format_date(first)}）"
                f"から翌年度の末日（{format_date(last)}）までの日付にしてください。"
            )
    if evaluations_due < actuals_due:
        errors.append(
            f"評価の期限（{format_date(evaluations_due)}）は、実績の入力期限"
            f"（{format_date(actuals_due)}）と同じ日かそれより後にしてください。"
        )
    return errors


def days_left(due: date, today: date) -> int:
    """Days from ``today`` to ``due``: 0 on the due date itself, negative once it has passed."""
    return (due - today).days


def describe_days_left(left: int) -> str:
    """「あと5日」「今日が期限」「3日超過」."""
    if left > 0:
        return f"あと{left}日"
    if left == 0:
        return "今日が期限"
    return f"{-left}日超過"


def reminder_reason(
    due: date,
    today: date,
    *,
    before: tuple[int, ...] = DEFAULT_REMINDER_DAYS,
    overdue_every: int = DEFAULT_OVERDUE_EVERY,
) -> str | None:
    """Why a reminder about something due on ``due`` goes out ``today`` (None: not today).

    ``before`` days ahead of the due date, then on the first day after it and every
    ``overdue_every`` days after that (1, 8, 15 … days overdue with the default)."""
    left = days_left(due, today)
    if left in before:
        return f"期限の{left}日前"
    if left < 0 and (-left - 1) % overdue_every == 0:
        return f"期限を{-left}日過ぎています"
    return None


WEEKDAYS = "月火水木金土日"


def format_date(day: date | None) -> str:
    """2026-05-31 → 「2026年5月31日（日）」."""
    if day is None:
        return "－"
    return f"{day.year}年{day.month}月{day.day}日（{WEEKDAYS[day.weekday()]}）"


_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")


def parse_date(text: str) -> date:
    """2026-05-31, 2026/5/31, ２０２６年５月３１日 → a date; ValueError otherwise."""
    match = _DATE.match(unicodedata.normalize("NFKC", str(text)).strip())
    if not match:
        raise ValueError(text)
    return date(*(int(part) for part in match.groups()))

"""The one write path for the yearly update round (Round, RoundDeadline): open it, move its due
dates (with a reason), give a department dates of its own, close it.

Each function is one DX-staff action: atomic, refused with a Japanese sentence (RoundRefused)
when the person may not or the dates do not fit, and recorded in the history with who and why.
"""

from datetime import date

from django.db import IntegrityError, transaction

from pdca.models import Round, RoundDeadline
from pdca.selectors import check_cycle_year
from priorities import permissions
from priorities.models import Department
from shizuoka_dx.deadlines import due_date_errors, format_date
from shizuoka_dx.fiscal import FiscalYearError, format_fiscal_year
from shizuoka_dx.history import delete_recorded, save_recorded

NOT_ALLOWED = "更新ラウンドを開始・変更できるのはDX推進課の職員です。"


class RoundRefused(Exception):
    """The action is not possible; the message says why, in Japanese."""


def _check(user, year: int, actuals_due: date, evaluations_due: date) -> None:
    if not permissions.can_manage_round(user):
        raise RoundRefused(NOT_ALLOWED)
    try:
        check_cycle_year(year)
    except FiscalYearError as exc:
        raise RoundRefused(str(exc)) from None
    errors = due_date_errors(year, actuals_due, evaluations_due)
    if errors:
        raise RoundRefused(" ".join(errors))


@transaction.atomic
def round_open(
    *, fiscal_year: int, actuals_due: date, evaluations_due: date, user, demo: bool = False
) -> Round:
    """Open the round of ``fiscal_year``: one per year (a second one is refused). ``demo``
    marks the demo's round (load_plan --demo), which --remove-demo deletes again."""
    _check(user, fiscal_year, actuals_due, evaluations_due)
    if Round.objects.filter(fiscal_year=fiscal_year).exists():
        raise RoundRefused(
            f"{format_fiscal_year(fiscal_year)}の更新ラウンドはすでに開始しています。"
            "期限を変えるときは、理由を書いて延長してください。"
        )
    round_ = Round(
        fiscal_year=fiscal_year,
        actuals_due=actuals_due,
        evaluations_due=evaluations_due,
        opened_by=user,
        is_demo=demo,
    )
    reason = f"更新ラウンドを開始（実績 {format_date(actuals_due)}、評価 {format_date(evaluations_due)}）"
    if demo:
        reason = "デモ用の" + reason
    try:
        with transaction.atomic():
            save_recorded(round_, user=user, reason=reason)
    except IntegrityError:  # opened by someone else a moment ago
        raise RoundRefused(
            f"{format_fiscal_year(fiscal_year)}の更新ラウンドはすでに開始しています。"
        ) from None
    return round_


def _locked(round_: Round) -> Round:
    return Round.objects.select_for_update().get(pk=round_.pk)


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise RoundRefused(
            "期限を変える理由を記入してください（履歴と所管課へのお知らせに残ります）。"
        )
    return reason


@transaction.atomic
def round_extend(
    *, round: Round, actuals_due: date, evaluations_due: date, reason: str, user
) -> Round:
    """Move the round's own due dates (usually later), with a reason kept in the history."""
    current = _locked(round)
    _check(user, current.fiscal_year, actuals_due, evaluations_due)
    reason = _reason(reason)
    if (current.actuals_due, current.evaluations_due) == (actuals_due, evaluations_due):
        raise RoundRefused("期限が前と同じです。変える日付を入力してください。")
    _check_departments_keep_order(current, actuals_due, evaluations_due)
    current.actuals_due = actuals_due
    current.evaluations_due = evaluations_due
    save_recorded(current, user=user, reason=f"期限を変更: {reason}")
    return current


def _check_departments_keep_order(current: Round, actuals_due: date, evaluations_due: date):
    """A department with only one date of its own takes the other from the round: the round's
    new dates must keep that department's evaluations on or after its actuals."""
    for deadline in RoundDeadline.objects.filter(round=current).select_related("department"):
        own_actuals = deadline.actuals_due or actuals_due
        own_evaluations = deadline.evaluations_due or evaluations_due
        if own_evaluations < own_actuals:
            raise RoundRefused(
                f"{deadline.department.name}の評価の期限（{format_date(own_evaluations)}）が、"
                f"実績の入力期限（{format_date(own_actuals)}）より前になります。"
                f"先に{deadline.department.name}の期限を変えてください。"
            )


@transaction.atomic
def round_set_department_dates(
    *,
    round: Round,
    department: Department,
    actuals_due: date | None,
    evaluations_due: date | None,
    reason: str,
    user,
) -> RoundDeadline | None:
    """Give ``department`` due dates of its own in this round (a blank date keeps the round's);
    both blank removes them. Returns the department's dates, or None once removed."""
    current = _locked(round)
    reason = _reason(reason)
    effective_actuals = actuals_due or current.actuals_due
    effective_evaluations = evaluations_due or current.evaluations_due
    _check(user, current.fiscal_year, effective_actuals, effective_evaluations)
    existing = RoundDeadline.objects.filter(round=current, department=department).first()
    if actuals_due is None and evaluations_due is None:
        if existing is None:
            raise RoundRefused(f"{department.name}には独自の期限がありません。")
        delete_recorded(existing, user=user, reason=f"課の期限を取り消し: {reason}")
        return None
    deadline = existing or RoundDeadline(round=current, department=department)
    if existing and (existing.actuals_due, existing.evaluations_due) == (
        actuals_due,
        evaluations_due,
    ):
        raise RoundRefused("期限が前と同じです。変える日付を入力してください。")
    deadline.actuals_due = actuals_due
    deadline.evaluations_due = evaluations_due
    label = "課の期限を変更" if existing else "課の期限を設定"
    save_recorded(deadline, user=user, reason=f"{label}（{department.name}）: {reason}")
    return deadline


@transaction.atomic
def round_close(*, round: Round, user, reopen: bool = False) -> Round:
    """End the round (no more reminders), or open it again."""
    if not permissions.can_manage_round(user):
        raise RoundRefused(NOT_ALLOWED)
    current = _locked(round)
    target = Round.Status.OPEN if reopen else Round.Status.CLOSED
    if current.status == target:
        raise RoundRefused(f"この更新ラウンドはすでに「{current.get_status_display()}」です。")
    current.status = target
    save_recorded(
        current, user=user, reason="更新ラウンドを再開" if reopen else "更新ラウンドを終了"
    )
    return current

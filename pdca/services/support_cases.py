"""The one write path for the PMO register (plan §5): DX staff enter and correct support cases;
each write checks permission and the version seen, validates, and records who, when and why."""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction

from pdca.models import SupportCase
from priorities import permissions
from shizuoka_dx.deadlines import format_date
from shizuoka_dx.fiscal import MAX_FISCAL_YEAR, MIN_FISCAL_YEAR
from shizuoka_dx.history import delete_recorded, save_recorded

FIELDS = ("title", "department", "category", "mode", "started_on", "ended_on", "stage", "item",
          "note")  # fmt: skip


class SupportCaseRefused(Exception):
    """Nothing was saved; the message is one Japanese sentence."""


FIRST_DAY, LAST_DAY = date(MIN_FISCAL_YEAR, 4, 1), date(MAX_FISCAL_YEAR + 1, 3, 31)


def _check_dates(case: SupportCase) -> None:
    """A date typed wrong (1999 for 2025, or 9999) would count the case in every year of the
    plan, or in none: only the years the app handles (2000〜2100年度)."""
    for name in ("started_on", "ended_on"):
        day = getattr(case, name)
        if isinstance(day, date) and not FIRST_DAY <= day <= LAST_DAY:
            label = SupportCase._meta.get_field(name).verbose_name
            raise SupportCaseRefused(
                f"{label}（{format_date(day)}）は、{MIN_FISCAL_YEAR}年度から{MAX_FISCAL_YEAR}"
                "年度までの日付にしてください。"
            )


def _check(user, case: SupportCase | None, seen) -> None:
    if not permissions.is_dx_staff(user):
        raise SupportCaseRefused("支援案件を登録・修正できるのはDX推進課の職員です。")
    if case is not None and seen is not None and seen != case.version:
        raise SupportCaseRefused(
            "この画面を開いたあとに、別の人がこの支援案件を修正しました。開き直してください。"
        )


@transaction.atomic
def support_case_save(
    *, values: dict, user, case: SupportCase | None = None, seen=None, reason: str = ""
) -> SupportCase:
    """Register a case (``case`` None) or correct one from the version the person saw."""
    if case is not None:
        case = SupportCase.objects.select_for_update().get(pk=case.pk)
    _check(user, case, seen)
    if case is None:
        case = SupportCase()
    else:
        case.version += 1
    for name in FIELDS:
        if name in values:
            setattr(case, name, values[name])
    _check_dates(case)
    case.entered_by = user
    try:
        save_recorded(case, user=user, reason=reason or "PMOの支援案件を登録・修正")
    except ValidationError as exc:
        raise SupportCaseRefused(" ".join(exc.messages)) from None
    return case


@transaction.atomic
def support_case_delete(*, case: SupportCase, user, seen=None, reason: str) -> None:
    case = SupportCase.objects.select_for_update().get(pk=case.pk)
    _check(user, case, seen)
    delete_recorded(case, user=user, reason=reason)

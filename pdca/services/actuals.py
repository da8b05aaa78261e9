"""Writes to KPI actuals that pages make (the import has its own all-or-nothing path)."""

from django.db import IntegrityError, transaction

from kpis.models import Actual, Kpi
from kpis.parsing import ParsedValue


class ActualConflict(Exception):
    """Someone else saved this (KPI, FY) since the page was opened; the message is Japanese."""


@transaction.atomic
def actual_record(
    *,
    kpi: Kpi,
    fiscal_year: int,
    parsed: ParsedValue,
    note: str,
    user,
    version: int | None = None,
) -> tuple[Actual, bool]:
    """Create or correct one FY's actual; returns (actual, created).

    ``version`` is the version the person saw (None: they saw no actual for this FY). A
    different current version means someone else saved in between: refused, never overwritten.
    Model validation (including the lock of an approved evaluation) applies.
    """
    actual = Actual.objects.select_for_update().filter(kpi=kpi, fiscal_year=fiscal_year).first()
    created = actual is None
    if created:
        actual = Actual(kpi=kpi, fiscal_year=fiscal_year)
    elif version is None:
        raise ActualConflict(
            f"この年度の実績はすでに登録されています（現在の値「{actual.display_value}」）。"
            "修正する場合は、実績の表の「修正」から開いてください。"
        )
    elif version != actual.version:
        raise ActualConflict(
            "この年度の実績は、この画面を開いたあとに別の人が登録・修正しました。"
            f"現在の値は「{actual.display_value}」です。画面を開き直して確認してから、もう一度入力してください。"
        )
    else:
        actual.version += 1
    actual.value = parsed.value
    actual.stage = parsed.stage
    actual.note = note
    actual.is_demo = False
    actual.entered_by = user
    actual._history_user = user
    actual.full_clean()
    try:
        with transaction.atomic():
            actual.save()
    except IntegrityError:  # someone created the same (KPI, FY) a moment ago
        raise ActualConflict(
            "この年度の実績は、いま別の人が登録しました。画面を開き直して確認してください。"
        ) from None
    return actual, created

"""Writes to KPI actuals that pages make (the import has its own all-or-nothing path)."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from kpis.models import Actual, Kpi
from kpis.parsing import ParsedValue


@transaction.atomic
def actual_record(
    *, kpi: Kpi, fiscal_year: int, parsed: ParsedValue, note: str, user
) -> tuple[Actual, bool]:
    """Create or correct one FY's actual; returns (actual, created). Model validation applies."""
    actual = Actual.objects.select_for_update().filter(kpi=kpi, fiscal_year=fiscal_year).first()
    created = actual is None
    if created:
        actual = Actual(kpi=kpi, fiscal_year=fiscal_year)
    actual.value = parsed.value
    actual.stage = parsed.stage
    actual.note = note
    actual.is_demo = False
    actual.entered_by = user
    actual.full_clean()
    try:
        with transaction.atomic():
            actual.save()
    except IntegrityError:  # someone created the same (KPI, FY) a moment ago
        raise ValidationError(
            "このKPIのこの年度の実績は、いま別の人が登録しました。画面を開き直してください。"
        ) from None
    return actual, created

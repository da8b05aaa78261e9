"""Validators shared by the apps' models."""

from django.core.exceptions import ValidationError

from shizuoka_dx.fiscal import MAX_FISCAL_YEAR, MIN_FISCAL_YEAR


def validate_fiscal_year(value):
    if value is not None and not MIN_FISCAL_YEAR <= value <= MAX_FISCAL_YEAR:
        raise ValidationError(
            "年度は%(low)s〜%(high)sの西暦（年度の始まる年）で入力してください。",
            code="fiscal_year_range",
            params={"low": MIN_FISCAL_YEAR, "high": MAX_FISCAL_YEAR},
        )


def validate_not_negative(value):
    if value is not None and value < 0:
        raise ValidationError("マイナスの金額は入力できません。", code="negative")

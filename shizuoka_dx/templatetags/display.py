"""Template filters for fiscal years and numbers, available in every template (TEMPLATES builtins)."""

from django import template

from shizuoka_dx.deadlines import describe_days_left, format_date
from shizuoka_dx.fiscal import format_fiscal_year, short_fiscal_year
from shizuoka_dx.numbers import format_number, format_percent, format_value, printed

register = template.Library()


@register.filter
def fy(year):
    """{{ 2024|fy }} → 令和6年度（2024年度）"""
    return format_fiscal_year(year)


@register.filter
def fy_era(year):
    """{{ 2024|fy_era }} → 令和6年度"""
    return format_fiscal_year(year, western=False)


@register.filter
def fy_short(year):
    """{{ 2024|fy_short }} → R6"""
    return short_fiscal_year(year)


@register.filter
def num(value):
    """298621 → 298,621; 98.2 → 98.2; None → －; text (a stage) as it is."""
    if value is None or value == "":
        return "－"
    if isinstance(value, str):
        return value
    return format_number(value)


@register.filter
def percent(value):
    """40.0 → 40.0%; None → －"""
    return format_percent(value)


@register.filter
def with_unit(value, unit):
    """{{ actual.value|with_unit:kpi.unit }} → 60人, 64% (one percent style); a stage as it is."""
    return format_value(value, unit)


@register.filter(name="printed")
def printed_text(text):
    """Text as the plan prints it, with 「％」 shown as 「%」 like every other figure."""
    return printed(text)


@register.filter
def bar_width(value):
    """A progress value clamped to 0–100 for a CSS width."""
    if value is None:
        return 0
    return max(0, min(100, float(value)))


@register.simple_tag
def item_url(code, archive_year=None, archive_version=None):
    """The public page of an item: the current publication, or an earlier one under /published/
    (a year's latest version, or the version asked for)."""
    from django.urls import reverse

    if archive_year and archive_version:
        return reverse(
            "public:archive_version_item",
            kwargs={"fiscal_year": archive_year, "version": archive_version, "code": code},
        )
    if archive_year:
        return reverse("public:archive_item", kwargs={"fiscal_year": archive_year, "code": code})
    return reverse("public:item", kwargs={"code": code})


@register.simple_tag
def archive_url(archive_year, archive_version=None):
    """The list page of an earlier publication: a year's latest version, or the one asked for."""
    from django.urls import reverse

    if archive_version:
        return reverse(
            "public:archive_version",
            kwargs={"fiscal_year": archive_year, "version": archive_version},
        )
    return reverse("public:archive", kwargs={"fiscal_year": archive_year})


@register.filter
def iso_datetime(value):
    """'2026-03-31T10:00:00+09:00' → 2026年3月31日 10:00 (as stored in a published snapshot)."""
    from datetime import datetime

    from django.utils import timezone

    if not value:
        return ""
    moment = timezone.localtime(datetime.fromisoformat(value))
    return f"{moment.year}年{moment.month}月{moment.day}日 {moment:%H:%M}"


@register.filter
def person(user):
    """A user's name as people know it (full name, else user name); － for nobody."""
    if user is None:
        return "－"
    from shizuoka_dx.history import person_name

    return person_name(user)


@register.filter
def get_item(mapping, key):
    """``mapping[key]`` in a template (None when missing)."""
    return mapping.get(key) if mapping else None


@register.filter
def days_left(value):
    """A number of days to a due date, in words: 「あと5日」「今日が期限」「3日超過」."""
    if value is None:
        return "－"
    return describe_days_left(int(value))


@register.filter
def long_date(value):
    """A date as 「2026年5月31日（日）」 (－ for none)."""
    return format_date(value or None)


@register.filter
def any_has(rows, name):
    """Whether any of ``rows`` (dicts or objects) has a value for ``name``: a table leaves out a
    line that would say 「－」 in every column."""
    for row in rows or ():
        value = row.get(name) if isinstance(row, dict) else getattr(row, name, None)
        if value:
            return True
    return False

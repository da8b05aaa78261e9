"""The KPI's admin. It is registered by pdca/admin.py, which adds where the KPI is printed (its
placements, as an inline and on their own page): moving a KPI to or from an item must respect the
approved evaluations, which live in the pdca layer. Actuals are written there too."""

from import_export.admin import ImportExportMixin

from kpis.models import Actual
from kpis.resources import KpiResource
from shizuoka_dx.admin import ReadOnlyInline, RecordedAdmin
from shizuoka_dx.resources import FORMATS


class ActualInline(ReadOnlyInline):
    """The KPI's actuals (changed on their own admin page or the staff pages)."""

    model = Actual
    fields = ["fiscal_year", "value", "stage", "note", "is_demo", "entered_by"]


class KpiAdmin(ImportExportMixin, RecordedAdmin):
    resource_classes = [KpiResource]
    formats = FORMATS
    list_display = [
        "code",
        "name",
        "unit",
        "direction",
        "cumulative",
        "baseline_text",
        "target_text",
        "target_operator",
    ]
    list_filter = ["direction", "cumulative", "target_operator", "item__pillar"]
    search_fields = ["code", "name", "baseline_text", "target_text"]
    list_select_related = ["item"]
    inlines = [ActualInline]  # pdca/admin.py puts the placements first
    fieldsets = [
        (None, {"fields": ["code", "item", "order", "name", "unit", "direction", "cumulative"]}),
        ("現状値", {"fields": ["baseline_text", "baseline_value", "baseline_fiscal_year"]}),
        (
            "目標値",
            {"fields": ["target_text", "target_value", "target_fiscal_year", "target_operator"]},
        ),
    ]

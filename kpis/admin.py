from django.contrib import admin
from import_export.admin import ImportExportMixin

from kpis.models import Actual, Kpi, KpiPlacement
from kpis.resources import KpiResource
from shizuoka_dx.admin import ReadOnlyInline, RecordedAdmin
from shizuoka_dx.resources import FORMATS


class ActualInline(ReadOnlyInline):
    """The KPI's actuals (changed on their own admin page or the staff pages)."""

    model = Actual
    fields = ["fiscal_year", "value", "stage", "note", "is_demo", "entered_by"]


class KpiPlacementInline(admin.TabularInline):
    model = KpiPlacement
    autocomplete_fields = ["initiative"]
    extra = 0


@admin.register(Kpi)
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
    inlines = [KpiPlacementInline, ActualInline]
    fieldsets = [
        (None, {"fields": ["code", "item", "order", "name", "unit", "direction", "cumulative"]}),
        ("現状値", {"fields": ["baseline_text", "baseline_value", "baseline_fiscal_year"]}),
        (
            "目標値",
            {"fields": ["target_text", "target_value", "target_fiscal_year", "target_operator"]},
        ),
    ]


@admin.register(KpiPlacement)
class KpiPlacementAdmin(RecordedAdmin):
    list_display = ["kpi", "initiative", "order", "note"]
    list_filter = ["note"]
    search_fields = ["kpi__code", "initiative__name"]
    list_select_related = ["kpi", "initiative__item"]

from django.contrib import admin
from import_export.admin import ImportExportMixin
from simple_history.admin import SimpleHistoryAdmin

from kpis.models import Actual, Kpi, KpiPlacement
from pdca.resources import ActualResource, KpiResource
from shizuoka_dx.resources import FORMATS


class ActualInline(admin.TabularInline):
    model = Actual
    fields = ["fiscal_year", "value", "stage", "note", "is_demo", "entered_by"]
    readonly_fields = ["entered_by"]
    extra = 0


@admin.register(Kpi)
class KpiAdmin(ImportExportMixin, SimpleHistoryAdmin):
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
    inlines = [ActualInline]
    fieldsets = [
        (None, {"fields": ["code", "item", "order", "name", "unit", "direction", "cumulative"]}),
        ("現状値", {"fields": ["baseline_text", "baseline_value", "baseline_fiscal_year"]}),
        (
            "目標値",
            {"fields": ["target_text", "target_value", "target_fiscal_year", "target_operator"]},
        ),
    ]


@admin.register(Actual)
class ActualAdmin(ImportExportMixin, SimpleHistoryAdmin):
    resource_classes = [ActualResource]
    formats = FORMATS
    list_display = ["kpi", "fiscal_year", "value", "stage", "is_demo", "entered_by", "updated_at"]
    list_filter = ["fiscal_year", "is_demo", "kpi__item__pillar"]
    search_fields = ["kpi__code", "kpi__name", "note"]
    list_select_related = ["kpi", "entered_by"]
    autocomplete_fields = ["kpi"]
    readonly_fields = ["entered_by", "entered_at", "updated_at"]

    def save_model(self, request, obj, form, change):
        obj.entered_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(KpiPlacement)
class KpiPlacementAdmin(SimpleHistoryAdmin):
    list_display = ["kpi", "initiative", "order", "note"]
    list_filter = ["note"]
    search_fields = ["kpi__code", "initiative__name"]
    list_select_related = ["kpi", "initiative__item"]

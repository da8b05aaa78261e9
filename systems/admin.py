"""Form ②'s admin. The system's own admin is registered by pdca/admin.py, which adds the items
that show it (its placements, as an inline and on their own page): moving a system to or from an
item must respect the approved evaluations, which live in the pdca layer. Yearly cost records are
written there too."""

from django.contrib import admin
from import_export.admin import ImportExportMixin

from shizuoka_dx.admin import ReadOnlyInline, RecordedAdmin
from shizuoka_dx.resources import FORMATS
from systems.models import CostBreakdown, CostRecord
from systems.resources import SystemResource

COST_FIELDSETS = [
    (
        "導入経費",
        {
            "fields": [
                "initial_cost_text",
                "initial_cost_thousand_yen",
                "initial_cost_fiscal_year",
                "initial_cost_planned",
            ]
        },
    ),
    (
        "運用経費／年",
        {
            "fields": [
                "operating_cost_text",
                "operating_cost_thousand_yen",
                "operating_cost_fiscal_year",
                "operating_cost_planned",
            ]
        },
    ),
]


class CostBreakdownInline(admin.StackedInline):
    model = CostBreakdown
    extra = 0


class CostRecordInline(ReadOnlyInline):
    """The system's yearly costs (changed on their own admin page)."""

    model = CostRecord
    fields = ["fiscal_year", "kind", "thousand_yen", "note", "is_demo"]


class SystemAdmin(ImportExportMixin, RecordedAdmin):
    resource_classes = [SystemResource]
    formats = FORMATS
    list_display = [
        "name",
        "department",
        "introduced",
        "initial_cost_text",
        "operating_cost_text",
    ]
    list_filter = ["department", "items"]
    search_fields = ["name", "overview", "effects", "issues", "actions"]
    list_select_related = ["department"]
    inlines = [CostBreakdownInline, CostRecordInline]  # pdca/admin.py puts the placements first
    fieldsets = [
        (None, {"fields": ["name", "department", "overview", "configuration", "introduced"]}),
        *COST_FIELDSETS,
        ("効果・課題（CHECK）と今後（ACT）", {"fields": ["effects", "issues", "actions"]}),
    ]


@admin.register(CostBreakdown)
class CostBreakdownAdmin(RecordedAdmin):
    list_display = ["system", "name", "initial_cost_text", "operating_cost_text"]
    search_fields = ["name", "system__name"]
    list_select_related = ["system"]

"""Admin import/export of KPI definitions, keyed on KPI and item codes (never database ids)."""

from import_export import fields, widgets

from kpis.models import Kpi
from priorities.models import PriorityItem
from shizuoka_dx.resources import SafeResource


class KpiResource(SafeResource):
    item = fields.Field(
        attribute="item", column_name="item", widget=widgets.ForeignKeyWidget(PriorityItem, "code")
    )

    class Meta:
        model = Kpi
        import_id_fields = ["code"]
        fields = [
            "code",
            "item",
            "order",
            "name",
            "unit",
            "direction",
            "cumulative",
            "baseline_value",
            "baseline_fiscal_year",
            "baseline_text",
            "target_value",
            "target_fiscal_year",
            "target_text",
            "target_operator",
        ]
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True

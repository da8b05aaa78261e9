"""Admin import/export of Form ② systems, keyed on system names (yearly cost records are the
yearly cycle's: pdca/resources.py)."""

from import_export import fields, widgets

from kpis.models import Kpi
from priorities.models import Department
from shizuoka_dx.resources import SafeResource
from systems.models import System

COST_FIELDS = [
    f"{kind}_cost_{part}"
    for kind in ("initial", "operating")
    for part in ("text", "thousand_yen", "fiscal_year", "planned")
]


class SystemResource(SafeResource):
    department = fields.Field(
        attribute="department",
        column_name="department",
        widget=widgets.ForeignKeyWidget(Department, "name"),
    )
    unit_kpi = fields.Field(
        attribute="unit_kpi", column_name="unit_kpi", widget=widgets.ForeignKeyWidget(Kpi, "code")
    )

    class Meta:
        model = System
        import_id_fields = ["name"]
        fields = [
            "name",
            "department",
            "unit_kpi",
            "overview",
            "configuration",
            "introduced",
            *COST_FIELDS,
            "effects",
            "issues",
            "actions",
        ]
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True

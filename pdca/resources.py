"""Admin import/export of KPIs and actuals, keyed on KPI and item codes (never database ids)."""

from import_export import fields, widgets

from kpis.importing import check_fiscal_year
from kpis.models import Actual, Kpi
from kpis.parsing import ValueParseError, parse_actual
from priorities.models import PriorityItem
from shizuoka_dx.fiscal import FiscalYearError
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


class ActualResource(SafeResource):
    """Columns kpi_code, fiscal_year, value, note — read exactly as import_actuals reads them
    (full-width digits, units, 令和 years, stages for milestone KPIs)."""

    kpi_code = fields.Field(
        attribute="kpi", column_name="kpi_code", widget=widgets.ForeignKeyWidget(Kpi, "code")
    )
    fiscal_year = fields.Field(attribute="fiscal_year", column_name="fiscal_year")
    value = fields.Field(attribute="value", column_name="value", widget=widgets.DecimalWidget())
    stage = fields.Field(attribute="stage", column_name="stage")
    note = fields.Field(attribute="note", column_name="note")
    is_demo = fields.Field(attribute="is_demo", column_name="is_demo", readonly=True)

    class Meta:
        model = Actual
        import_id_fields = ["kpi_code", "fiscal_year"]
        fields = ["kpi_code", "fiscal_year", "value", "stage", "note", "is_demo"]
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True

    def before_import_row(self, row, **kwargs):
        """One parser for files, forms and the admin: turn what people type into value/stage."""
        kpi = Kpi.objects.filter(code=str(row.get("kpi_code") or "").strip()).first()
        if kpi is None:
            raise ValueError(f"KPIコード「{row.get('kpi_code')}」は計画にありません。")
        try:
            row["fiscal_year"] = check_fiscal_year(kpi, row.get("fiscal_year"))
        except FiscalYearError as exc:
            raise ValueError(f"年度: {exc}") from None
        raw = row.get("value")
        if raw in (None, "") and row.get("stage"):
            raw = row.get("stage")
        try:
            parsed = parse_actual(raw, milestone=kpi.is_milestone, unit=kpi.unit)
        except ValueParseError as exc:
            raise ValueError(f"実績値: {exc}") from None
        row["value"] = parsed.value
        row["stage"] = parsed.stage
        row["note"] = row.get("note") or ""

    def before_save_instance(self, instance, row, **kwargs):
        user = kwargs.get("user")
        instance.entered_by = user if getattr(user, "is_authenticated", False) else None
        instance.is_demo = False
        instance._change_reason = "管理画面から取り込み"
        if instance.pk:
            instance.version += 1

"""Admin import/export of the yearly figures (KPI actuals, Form ② cost records), keyed on codes
and names (never database ids). Importing writes through the same services as every other
channel (pdca/services/actuals.py, costs.py): the same locks, years, permission and history.

An export carries each record's ``version``; a row that keeps it is refused on import if the
record changed in between (the file was made from older figures). A row without a version may
only add a record: over an existing one it is refused (what it was made from is unknown), so a
figure entered between the preview and the confirmation is never overwritten either.
"""

from decimal import Decimal

from import_export import fields, widgets

from kpis import resources as kpi_resources
from kpis.models import Actual, Kpi
from kpis.parsing import ParsedValue, ValueParseError, check_fiscal_year, parse_actual
from pdca.services.actuals import ActualsRefused, actual_save
from pdca.services.costs import CostRefused, cost_save
from pdca.services.revisions import GRADING_FIELDS, kpi_correction_refusal
from shizuoka_dx.fiscal import FiscalYearError, format_fiscal_year
from shizuoka_dx.numbers import format_number
from shizuoka_dx.resources import SafeResource
from systems.models import CostRecord, System


def _seen(row, current) -> int | None:
    """The version the row was made from; None (a new record) when the file has none. A row
    without a version over an existing record (``current``, its display) is refused."""
    raw = row.get("version")
    if raw in (None, ""):
        if current is not None:
            raise ValueError(
                f"{current}はすでにあります。変えるときは、管理画面から書き出したファイルを使い、"
                "version 列（版）を消さずに取り込んでください。"
            )
        return None
    try:
        return int(Decimal(str(raw)))
    except (ArithmeticError, ValueError):
        raise ValueError(
            f"版「{raw}」は数字ではありません。書き出したときの値のままにしてください。"
        ) from None


class ActualResource(SafeResource):
    """Columns kpi_code, fiscal_year, value, note (, version) — read exactly as import_actuals
    reads them (full-width digits, units, 令和 years, stages for milestone KPIs)."""

    kpi_code = fields.Field(
        attribute="kpi", column_name="kpi_code", widget=widgets.ForeignKeyWidget(Kpi, "code")
    )
    fiscal_year = fields.Field(attribute="fiscal_year", column_name="fiscal_year")
    value = fields.Field(attribute="value", column_name="value", widget=widgets.DecimalWidget())
    stage = fields.Field(attribute="stage", column_name="stage")
    note = fields.Field(attribute="note", column_name="note")
    is_demo = fields.Field(attribute="is_demo", column_name="is_demo", readonly=True)
    version = fields.Field(attribute="version", column_name="version", readonly=True)

    class Meta:
        model = Actual
        import_id_fields = ["kpi_code", "fiscal_year"]
        fields = ["kpi_code", "fiscal_year", "value", "stage", "note", "is_demo", "version"]
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True

    def before_import_row(self, row, **kwargs):
        """One parser for files, forms and the admin: turn what people type into value/stage."""
        code = str(row.get("kpi_code") or "").strip()
        if not code:
            raise ValueError("KPIコードが空欄です。")
        kpi = Kpi.objects.filter(code=code).first()
        if kpi is None:
            raise ValueError(f"KPIコード「{code}」は計画にありません。")
        try:
            row["fiscal_year"] = check_fiscal_year(kpi, row.get("fiscal_year"))
        except FiscalYearError as exc:
            raise ValueError(f"年度: {exc}") from None
        raw = row.get("value")
        if raw in (None, "") and row.get("stage"):
            raw = row.get("stage")
        try:
            parsed = parse_actual(raw, kpi.spec)
        except ValueParseError as exc:
            raise ValueError(f"実績値: {exc}") from None
        row["value"] = parsed.value
        row["stage"] = parsed.stage
        row["note"] = row.get("note") or ""

    def save_instance(self, instance, is_create, row, **kwargs):
        current = Actual.objects.filter(kpi=instance.kpi, fiscal_year=instance.fiscal_year).first()
        shown = (
            f"{instance.kpi.code} の{format_fiscal_year(instance.fiscal_year)}の実績"
            f"（現在の値「{current.display_value}」）"
            if current
            else None
        )
        seen = _seen(row, shown)
        try:
            saved, _ = actual_save(
                kpi=instance.kpi,
                fiscal_year=instance.fiscal_year,
                parsed=ParsedValue(instance.value, instance.stage),
                note=instance.note,
                user=kwargs.get("user"),
                seen=seen,
                reason="管理画面から取り込み",
            )
        except ActualsRefused as exc:
            raise ValueError(" ".join(exc.errors)) from None
        instance.pk = saved.pk

    def delete_instance(self, instance, row, **kwargs):
        raise ValueError("管理画面の取り込みでは実績を削除できません。")


class CostRecordResource(SafeResource):
    system = fields.Field(
        attribute="system", column_name="system", widget=widgets.ForeignKeyWidget(System, "name")
    )
    version = fields.Field(attribute="version", column_name="version", readonly=True)

    class Meta:
        model = CostRecord
        import_id_fields = ["system", "fiscal_year", "kind", "basis"]
        fields = [
            "system", "fiscal_year", "kind", "basis", "thousand_yen", "note", "is_demo", "version"
        ]  # fmt: skip
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True

    def before_import(self, dataset, **kwargs):
        """A file from before budgets and actuals were told apart has no ``basis`` column: its
        figures are actuals (決算), as they were then."""
        if dataset.headers and "basis" not in dataset.headers:
            dataset.append_col([CostRecord.Basis.ACTUAL] * len(dataset), header="basis")
        return super().before_import(dataset, **kwargs)

    def before_import_row(self, row, **kwargs):
        if not str(row.get("basis") or "").strip():
            row["basis"] = CostRecord.Basis.ACTUAL
        return super().before_import_row(row, **kwargs)

    def save_instance(self, instance, is_create, row, **kwargs):
        current = CostRecord.objects.filter(
            system=instance.system,
            fiscal_year=instance.fiscal_year,
            kind=instance.kind,
            basis=instance.basis,
        ).first()
        shown = (
            f"{instance.system.name} の{format_fiscal_year(instance.fiscal_year)}の"
            f"{current.get_kind_display()}（現在の値「{format_number(current.thousand_yen)}千円」）"
            if current
            else None
        )
        seen = _seen(row, shown)
        try:
            saved, _ = cost_save(
                system=instance.system,
                fiscal_year=instance.fiscal_year,
                kind=instance.kind,
                basis=instance.basis,
                thousand_yen=instance.thousand_yen,
                note=instance.note or "",
                user=kwargs.get("user"),
                seen=seen,
                reason="管理画面から取り込み",
            )
        except CostRefused as exc:
            raise ValueError(str(exc)) from None
        instance.pk = saved.pk

    def delete_instance(self, instance, row, **kwargs):
        raise ValueError("管理画面の取り込みでは経費を削除できません。")


class KpiResource(kpi_resources.KpiResource):
    """KPIs corrected by an admin import: like the admin's form, what decides a KPI's grades is
    refused under a year already approved or published (``kpi_correction_refusal``). It keeps
    the name KpiResource: the admin's export form names its fields after the class."""

    def before_save_instance(self, instance, row, **kwargs):
        super().before_save_instance(instance, row, **kwargs)
        saved = Kpi.objects.filter(pk=instance.pk).first() if instance.pk else None
        if saved is None:
            return
        changed = [f for f in GRADING_FIELDS if getattr(saved, f) != getattr(instance, f)]
        message = kpi_correction_refusal(saved, changed)
        if message:
            raise ValueError(f"{instance.code}: {message}")

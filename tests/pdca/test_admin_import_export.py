"""django-import-export in the admin: codes not ids, preview first, all or nothing, safe exports."""

import io
from decimal import Decimal

import pytest
import tablib
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from kpis.models import Actual, Kpi
from pdca.resources import ActualResource, CostRecordResource
from systems.models import CostRecord, System

pytestmark = pytest.mark.django_db


def dataset(headers, *rows):
    data = tablib.Dataset(headers=headers)
    for row in rows:
        data.append(row)
    return data


def test_actuals_import_by_kpi_code_reading_what_people_type(dx_staff):
    result = ActualResource().import_data(
        user=dx_staff,
        dataset=dataset(
            ["kpi_code", "fiscal_year", "value", "note"],
            ["1-1-K01", "令和6年度", "３２４，０８１件", "速報"],
            ["1-1-K03", "R7", "着手", ""],
        ),
    )
    assert not result.has_errors() and not result.has_validation_errors()
    assert Actual.objects.get(kpi__code="1-1-K01", fiscal_year=2024).value == Decimal(324081)
    assert Actual.objects.get(kpi__code="1-1-K03", fiscal_year=2025).stage == "着手"


def test_a_bad_row_rolls_back_the_good_ones_for_exceptions_and_validation_errors(dx_staff):
    bad_code = dataset(
        ["kpi_code", "fiscal_year", "value", "note"],
        ["1-1-K01", "R6", "324081", ""],
        ["9-9-K01", "R6", "1", ""],
    )
    result = ActualResource().import_data(user=dx_staff, dataset=bad_code)
    assert result.has_errors()
    assert not Actual.objects.exists()

    system = System.objects.get(name="電子申請システム")
    negative = dataset(
        ["system", "fiscal_year", "kind", "thousand_yen", "note"],
        [system.name, 2024, "operating", "1100", ""],
        [system.name, 2025, "operating", "-5", ""],
    )
    result = CostRecordResource().import_data(user=dx_staff, dataset=negative)
    assert result.has_validation_errors()
    assert not CostRecord.objects.exists()


def test_the_admin_import_previews_before_saving(admin_client):
    csv = b"kpi_code,fiscal_year,value,note\r\n1-1-K01,R6,324081,\r\n"
    response = admin_client.post(
        "/admin/kpis/actual/import/",
        {
            "resource": 0,
            "format": 0,
            "import_file": SimpleUploadedFile("a.csv", csv, content_type="text/csv"),
        },
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "1-1-K01" in page
    assert not Actual.objects.exists()  # only a preview so far
    confirm = response.context["confirm_form"]
    data = {name: confirm[name].value() for name in confirm.fields}
    response = admin_client.post("/admin/kpis/actual/process_import/", data)
    assert response.status_code == 302
    assert Actual.objects.get(kpi__code="1-1-K01").value == Decimal(324081)


def test_department_heads_have_no_admin_import(client, head_a):
    client.force_login(head_a)
    assert client.get("/admin/kpis/actual/import/").status_code == 302


def test_exports_are_excel_friendly_and_formula_free(admin_client):
    kpi = Kpi.objects.get(code="1-1-K01")
    kpi.name = "=HYPERLINK(1)"
    kpi.save()
    form = admin_client.get("/admin/kpis/kpi/export/").context["form"]
    fields = {name: "on" for name in form.fields if name.startswith("kpiresource_")}
    response = admin_client.post("/admin/kpis/kpi/export/", {"format": 0, "resource": 0, **fields})
    body = response.content
    assert body.startswith(b"\xef\xbb\xbf")
    text = body.decode("utf-8-sig")
    assert "'=HYPERLINK(1)" in text
    assert "1-1-K01,1-1," in text  # codes, not database ids
    response = admin_client.post("/admin/kpis/kpi/export/", {"format": 1, "resource": 0, **fields})
    book = load_workbook(io.BytesIO(response.content))
    values = [c for row in book.active.iter_rows() for c in row]
    assert all(c.data_type != "f" for c in values)
    assert any(c.value == "'=HYPERLINK(1)" for c in values)


# ---- round trips: an export re-imports with no change -----------------------------------

# Text a spreadsheet would run (escaped on export), text that only looks escaped, and line ends
# that an .xlsx turns into LF.
TRICKY = ["=1+1", "+cmd", "-2+3", "@SUM(A1)", "\t=2+2", "'=x", "''+y", "'quoted", "-", "a\r\nb"]


@pytest.fixture
def tricky_records(dx_staff):
    """Actuals, cost records, KPIs and systems whose text is every case of TRICKY."""
    from kpis.parsing import ParsedValue
    from pdca.services import actuals, costs

    counted, share, staged = (Kpi.objects.get(code=c) for c in ("1-1-K01", "1-3-K01", "1-1-K03"))
    notes = iter(TRICKY)
    for kpi, parsed, years in [
        (counted, ParsedValue(Decimal("324081")), range(2023, 2028)),
        (share, ParsedValue(Decimal("98.2")), range(2024, 2027)),
        (staged, ParsedValue(None, "着手"), range(2024, 2026)),
    ]:
        for year in years:
            actuals.actual_save(
                kpi=kpi,
                fiscal_year=year,
                parsed=parsed,
                note=next(notes),
                user=dx_staff,
                seen=actuals.ANY,
                reason="準備",
            )
    for system, text in zip(System.objects.order_by("name"), TRICKY, strict=False):
        costs.cost_save(
            system=system,
            fiscal_year=2024,
            kind="operating",
            thousand_yen=Decimal("1100.5"),
            note=text,
            user=dx_staff,
            reason="準備",
        )
        system.overview = text
        system.save()
    for kpi, text in zip(Kpi.objects.order_by("code"), TRICKY, strict=False):
        kpi.baseline_text = text
        kpi.save()


def _snapshot():
    return {
        "actuals": list(
            Actual.objects.values_list(
                "kpi__code", "fiscal_year", "value", "stage", "note", "version"
            )
        ),
        "costs": list(
            CostRecord.objects.values_list(
                "system__name", "fiscal_year", "thousand_yen", "note", "version"
            )
        ),
        "kpis": list(Kpi.objects.values_list("code", "name", "baseline_text", "target_value")),
        "systems": list(System.objects.values_list("name", "overview", "effects")),
        "history": Actual.history.count()
        + CostRecord.history.count()
        + Kpi.history.count()
        + System.history.count(),
    }


ADMIN_PAGES = [
    ("/admin/kpis/actual/", "actualresource_"),
    ("/admin/systems/costrecord/", "costrecordresource_"),
    ("/admin/kpis/kpi/", "kpiresource_"),
    ("/admin/systems/system/", "systemresource_"),
]


@pytest.mark.parametrize(("page", "prefix"), ADMIN_PAGES, ids=[p for p, _ in ADMIN_PAGES])
@pytest.mark.parametrize(("format_index", "name"), [(0, "export.csv"), (1, "export.xlsx")])
def test_an_admin_export_reimports_with_no_change(
    admin_client, tricky_records, page, prefix, format_index, name
):
    form = admin_client.get(f"{page}export/").context["form"]
    fields = {field: "on" for field in form.fields if field.startswith(prefix)}
    exported = admin_client.post(
        f"{page}export/", {"format": format_index, "resource": 0, **fields}
    ).content
    before = _snapshot()
    response = admin_client.post(
        f"{page}import/",
        {
            "resource": 0,
            "format": format_index,
            "import_file": SimpleUploadedFile(name, exported),
        },
    )
    result = response.context["result"]
    assert not result.has_errors() and not result.has_validation_errors()
    assert result.totals["skip"] == len(result.rows) > 0, [
        (row.import_type, row.diff) for row in result.rows if row.import_type != "skip"
    ]
    confirm = response.context["confirm_form"]
    admin_client.post(
        f"{page}process_import/", {field: confirm[field].value() for field in confirm.fields}
    )
    assert _snapshot() == before


def test_a_cost_file_without_the_version_column_is_saved(dx_staff):
    system = System.objects.get(name="電子申請システム")
    result = CostRecordResource().import_data(
        user=dx_staff,
        dataset=dataset(
            ["system", "fiscal_year", "kind", "thousand_yen", "note"],
            [system.name, 2024, "operating", "1100", "決算"],
        ),
    )
    assert not result.has_errors() and not result.has_validation_errors()
    assert CostRecord.objects.get(system=system, fiscal_year=2024).thousand_yen == 1100


def _xlsx(rows, *, hide_row=None):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    if hide_row:
        sheet.row_dimensions[hide_row].hidden = True
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_an_admin_xlsx_import_is_read_like_every_upload_and_refuses_hidden_rows():
    from shizuoka_dx.resources import CheckedXlsx

    data = _xlsx(
        [
            ["kpi_code", "fiscal_year", "value", "note"],
            ["1-1-K01", "R6", 1, ""],
            ["1-1-K01", "R7", 999, ""],
        ],
        hide_row=3,
    )
    with pytest.raises(ValueError, match="3行目は非表示"):
        CheckedXlsx().create_dataset(data)


def test_an_admin_csv_import_is_strict():
    from shizuoka_dx.resources import CsvWithBom

    text = 'kpi_code,fiscal_year,value,note\n1-1-K01,R6,"324081,\n1-1-K02,R6,5,\n'
    with pytest.raises(ValueError, match="閉じ"):
        CsvWithBom().create_dataset(text)

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

"""The yearly round through the staff pages: template download, upload, preview, confirm."""

import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from kpis.models import Actual
from priorities.models import Department

pytestmark = pytest.mark.django_db

CSV = "kpi_code,fiscal_year,value,note\r\n{rows}"


def upload(client, text, name="actuals.csv"):
    file = SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")
    return client.post("/staff/actuals/import/preview/", {"file": file})


def test_a_head_downloads_their_departments_template(client, head_a):
    client.force_login(head_a)
    department = Department.objects.get(name="危機管理課")
    response = client.get(f"/staff/actuals/template.xlsx?fiscal_year=R7&department={department.pk}")
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.content))
    cells = {str(v) for row in book["実績"].iter_rows(values_only=True) for v in row if v}
    assert "1-3-K02" in cells
    assert not any(cell.startswith("1-1-K") for cell in cells)


def test_a_template_for_a_year_outside_the_plan_is_refused_with_the_years_to_choose(client, head_a):
    client.force_login(head_a)
    department = Department.objects.get(name="危機管理課")
    response = client.get(
        f"/staff/actuals/template.xlsx?fiscal_year=2099&department={department.pk}"
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "はこの計画の評価・公表の対象ではありません" in page
    assert "令和6年度から令和9年度までの年度を選んでください" in page


def test_preview_then_confirm_saves_and_says_what_changed(client, head_a):
    client.force_login(head_a)
    response = upload(client, CSV.format(rows="1-3-K02,R7,１０時間,速報\r\n"))
    page = response.content.decode()
    assert response.status_code == 200
    assert "取り込むと 追加 1 件" in page
    assert "1-3-K02 令和7年度（2025年度） = 10" in page
    assert not Actual.objects.exists()
    response = client.post("/staff/actuals/import/confirm/")
    assert response.status_code == 302
    actual = Actual.objects.get(kpi__code="1-3-K02", fiscal_year=2025)
    assert (actual.value, actual.entered_by, actual.note) == (Decimal(10), head_a, "速報")
    assert "取り込みました: 追加 1 件" in client.get("/staff/actuals/import/").content.decode()
    assert actual.history.latest().history_change_reason == "取り込み（actuals.csv）"


def test_the_preview_shows_every_field_that_changes_notes_included(client, head_a):
    client.force_login(head_a)
    upload(client, CSV.format(rows="1-3-K02,R7,10,速報\r\n1-3-K02,R8,9,\r\n1-3-K04,R7,12,\r\n"))
    client.post("/staff/actuals/import/confirm/")
    rows = '1-3-K02,R7,10,確定値\r\n1-3-K02,R8,8,\r\n1-3-K04,R7,12,"\'=1+1"\r\n'
    page = upload(client, CSV.format(rows=rows)).content.decode()
    assert "取り込むと 追加 0 件、更新 3 件、変更なし 0 件" in page
    # Only the note changes: still an update, old → new note.
    assert (
        "2行目 更新: 1-3-K02 令和7年度（2025年度） 実績値 10 のまま、備考 「速報」 → 「確定値」"
        in page
    )
    assert "3行目 更新: 1-3-K02 令和8年度（2026年度） 実績値 9 → 8</li>" in page
    # A note exported with its formula guard comes back as it was written.
    assert (
        "4行目 更新: 1-3-K04 令和7年度（2025年度） 実績値 12 のまま、備考 （なし） → 「=1+1」"
        in page
    )
    client.post("/staff/actuals/import/confirm/")
    notes = dict(
        Actual.objects.filter(kpi__code__in=["1-3-K02", "1-3-K04"])
        .values_list("kpi__code", "note")
        .filter(fiscal_year=2025)
    )
    assert notes == {"1-3-K02": "確定値", "1-3-K04": "=1+1"}


def test_a_bad_file_shows_every_error_and_saves_nothing(client, dx_staff):
    client.force_login(dx_staff)
    response = upload(client, CSV.format(rows="1-3-K02,R7,たくさん,\r\n9-9-K01,R7,1,\r\n"))
    assert response.status_code == 400
    page = response.content.decode()
    assert "2行目 実績値「たくさん」" in page
    assert "3行目 KPIコード「9-9-K01」" in page
    assert "何も保存していません" in page
    assert client.post("/staff/actuals/import/confirm/").status_code == 302
    assert not Actual.objects.exists()


def test_a_head_cannot_import_another_departments_kpi(client, head_b):
    client.force_login(head_b)
    response = upload(client, CSV.format(rows="1-3-K02,R7,10,\r\n"))
    assert response.status_code == 400
    assert "担当する重点項目のKPIではないため" in response.content.decode()
    assert not Actual.objects.exists()


def test_a_cancelled_preview_saves_nothing(client, dx_staff):
    client.force_login(dx_staff)
    upload(client, CSV.format(rows="1-1-K01,R6,324081,\r\n"))
    client.post("/staff/actuals/import/cancel/")
    assert client.post("/staff/actuals/import/confirm/").status_code == 302
    assert not Actual.objects.exists()


def test_the_forms_workbook_download_is_scoped_to_the_users_items(client, head_a):
    client.force_login(head_a)
    response = client.get("/staff/forms.xlsx?fiscal_year=R7")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames[0] == "表紙"
    assert "様式①_1-3" in book.sheetnames
    assert "様式①_1-1" not in book.sheetnames


def test_the_page_offers_the_forms_workbook_by_pillar_or_item(client, dx_staff):
    client.force_login(dx_staff)
    page = client.get("/staff/actuals/import/").content.decode()
    assert '<option value="pillar-2">柱2 行政運営の効率化と生産性向上</option>' in page
    response = client.get("/staff/forms.xlsx?fiscal_year=R7&scope=pillar-2")
    book = load_workbook(io.BytesIO(response.content))
    assert "様式①_2-1" in book.sheetnames and "様式①_1-1" not in book.sheetnames

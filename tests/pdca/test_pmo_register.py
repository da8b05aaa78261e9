"""The PMO register (issue 15, item 5): DX staff enter support cases; the plan's printed 33
cases (R6) stay beside the count of registered ones; a public summary per year; a staff list
with filters and CSV/xlsx export."""

import csv
import io
from datetime import date

import pytest
from openpyxl import load_workbook

from pdca.models import SupportCase
from pdca.services.support_cases import SupportCaseRefused, support_case_save
from priorities.models import Department, PriorityItem

pytestmark = pytest.mark.django_db


def case(user, **values):
    base = {
        "title": "生成AIの導入支援", "department": Department.objects.get(name="DX推進課"),
        "category": "tool", "mode": "accompany", "started_on": date(2024, 6, 1),
        "ended_on": date(2025, 5, 31), "stage": "done",
        "item": PriorityItem.objects.get(code="2-3"), "note": "",
    }  # fmt: skip
    return support_case_save(values={**base, **values}, user=user)


def test_cases_are_counted_in_every_year_they_ran_beside_the_printed_figure(client, dx_staff):
    case(dx_staff)  # R6 and R7
    case(dx_staff, title="統合型GIS", category="base", mode="spread",
         started_on=date(2025, 10, 1), ended_on=None, stage="executing")  # fmt: skip
    page = client.get("/pmo/").content.decode()
    assert "伴走したシステム開発やツール導入等 33件（令和６年度実績）" in page
    rows = {
        line.split("</th>")[0].split(">")[-1]: line
        for line in page.split('<tr><th scope="row">')[1:]
    }
    assert '<td class="numeric">1件</td>' in rows["令和6年度"]
    assert '<td class="numeric">2件</td>' in rows["令和7年度"]


def test_only_dx_staff_register_and_dates_must_be_in_order(dx_staff, head_a):
    with pytest.raises(SupportCaseRefused, match="DX推進課の職員"):
        case(head_a)
    with pytest.raises(SupportCaseRefused, match="終了日は開始日以降"):
        case(dx_staff, started_on=date(2025, 4, 1), ended_on=date(2025, 3, 1))
    assert not SupportCase.objects.exists()


def test_a_stale_form_cannot_overwrite_a_newer_case(dx_staff):
    saved = case(dx_staff)
    support_case_save(values={"stage": "stopped"}, user=dx_staff, case=saved, seen=1)
    with pytest.raises(SupportCaseRefused, match="別の人が"):
        support_case_save(values={"stage": "done"}, user=dx_staff, case=saved, seen=1)
    assert saved.history.count() == 2


def test_the_staff_page_registers_filters_and_exports(client, dx_staff):
    client.force_login(dx_staff)
    department = Department.objects.get(name="DX推進課")
    response = client.post(
        "/staff/pmo/new/",
        {"title": "RPAの横展開", "department": department.pk, "category": "tool",
         "mode": "spread", "started_on": "2025-04-01", "ended_on": "", "stage": "executing",
         "item": "", "note": ""},
    )  # fmt: skip
    assert response.status_code == 302
    case(dx_staff)
    page = client.get("/staff/pmo/?mode=spread").content.decode()
    assert "RPAの横展開" in page and "生成AIの導入支援" not in page
    body = client.get("/staff/pmo/?year=2024&format=csv").content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0][0] == "件名" and [r[0] for r in rows[1:]] == ["生成AIの導入支援"]
    assert rows[1][-1] == "221007"
    book = load_workbook(io.BytesIO(client.get("/staff/pmo/?format=xlsx").content))
    assert book["支援案件"].max_row == 3

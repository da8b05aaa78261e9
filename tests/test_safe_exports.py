"""Plan text that looks like a formula never runs as one in what we hand out: the Form ①/②
workbook, the actuals template and /opendata/plan.csv. Numbers stay numbers."""

import csv
import io
import re

import pytest
from django.core.management import call_command
from openpyxl import load_workbook

from kpis.models import Kpi
from pdca.demo_actuals import load_demo_actuals
from priorities.models import Initiative, NarrativeBullet, RoadmapEntry
from priorities.roles import system_user
from shizuoka_dx.spreadsheets import safe_cell, unguard_cell, xlsx_cell
from systems.models import System

pytestmark = pytest.mark.django_db

HOSTILE = ["=1+1", "+cmd", "-2+3", "@SUM(A1)", "\t=2+2", "\r=3+3"]
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


@pytest.fixture
def hostile_plan():
    """Hostile strings in every kind of plan text the exports show, plus demo numbers."""
    load_demo_actuals(user=system_user())
    as_is = NarrativeBullet.objects.get(item__code="1-1", section="as_is", order=1)
    as_is.text = HOSTILE[0]
    as_is.save()
    kpi = Kpi.objects.get(code="1-1-K01")
    kpi.name = HOSTILE[1]
    kpi.baseline_text = HOSTILE[2]
    kpi.save()
    Initiative.objects.filter(item__code="1-1", number=1).update(name=HOSTILE[3])
    RoadmapEntry.objects.filter(text="概念設計").update(text=HOSTILE[4])
    System.objects.filter(name="電子申請システム").update(overview=HOSTILE[5])
    return HOSTILE


def assert_no_formula(values):
    """Each (where, data_type, value): no formula, no text a spreadsheet would run."""
    for where, data_type, value in values:
        assert data_type != "f", where
        if isinstance(value, str):
            assert not value.startswith("="), where
            assert not value.startswith(TRIGGERS) or PLAIN_NUMBER.fullmatch(value), where


def cells(book):
    return [
        (f"{ws.title}!{cell.coordinate}", cell.data_type, cell.value)
        for ws in book.worksheets
        for row in ws.iter_rows()
        for cell in row
        if cell.value is not None
    ]


def test_it_escapes_formula_text_and_leaves_numbers_alone():
    assert [safe_cell(text) for text in HOSTILE] == ["'" + text for text in HOSTILE]
    assert safe_cell("-5.1") == "-5.1"  # a negative rate stays a number for the spreadsheet
    assert safe_cell(-5.1) == -5.1
    assert safe_cell(None) == ""
    assert xlsx_cell(None) is None
    assert xlsx_cell("\x01=1+1\x07") == "'=1+1"  # control characters an .xlsx cannot hold


@pytest.mark.parametrize(
    "value",
    [
        *HOSTILE,
        "'=1+1",
        "''=1+1",
        "'+",
        "'",
        "''",
        "'abc",
        "-5.1",
        "'-5.1",
        "abc",
        "",
        -5.1,
        3,
        None,
    ],
)
def test_the_escape_is_undone_exactly_on_import(value):
    assert unguard_cell(safe_cell(value)) == ("" if value is None else value)


def test_an_apostrophe_people_typed_is_kept_unless_a_formula_follows():
    assert safe_cell("'abc") == "'abc" and unguard_cell("'abc") == "'abc"
    assert safe_cell("'=x") == "''=x" and unguard_cell("''=x") == "'=x"


def test_the_forms_workbook_has_no_formula_and_keeps_numbers(tmp_path, hostile_plan):
    path = tmp_path / "forms.xlsx"
    call_command("export_forms", "--fy", "R7", "--output", str(path))
    book = load_workbook(path)
    found = cells(book)
    assert_no_formula(found)
    texts = [value for _where, _type, value in found if isinstance(value, str)]
    for text in hostile_plan:
        # XML reads a stored CR back as LF; what matters is the apostrophe in front.
        escaped = "'" + text.replace("\r", "\n")
        assert any(value.startswith(escaped) for value in texts), text
    ws = book["様式①_1-1"]
    row = next(r for r in ws.iter_rows() if r[0].value == "1-1-K01")
    numbers = [cell for cell in row if cell.data_type == "n" and cell.value is not None]
    assert numbers and all(isinstance(cell.value, int | float) for cell in numbers)
    assert row[5].value == 327900 and row[5].number_format == "#,##0"


def test_the_actuals_template_has_no_formula_and_keeps_numbers(tmp_path, hostile_plan):
    path = tmp_path / "template.xlsx"
    call_command("actuals_template", "--fy", "R7", "--output", str(path))
    book = load_workbook(path)
    assert_no_formula(cells(book))
    ws = book["実績"]
    row = next(r for r in ws.iter_rows() if r[1].value == "1-1-K01")
    assert row[2].value == "'+cmd"
    assert row[5].value == "'-2+3"
    assert row[7].value == 327900 and row[7].data_type == "n"


def test_the_open_data_csv_has_no_formula_and_keeps_numbers(client, hostile_plan, publish):
    publish(2025)
    response = client.get("/opendata/plan.csv")
    text = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    header, body = rows[0], rows[1:]
    assert_no_formula(
        (f"{n}行目 {header[i]}", "s", value)
        for n, row in enumerate(body, start=2)
        for i, value in enumerate(row)
    )
    by_code = {row[header.index("KPIコード")]: row for row in body}
    assert by_code["1-1-K01"][header.index("指標名")] == "'+cmd"
    assert by_code["1-1-K01"][header.index("現状値（計画書の記載）")] == "'-2+3"
    assert by_code["1-1-K01"][header.index("現状値")] == "298621"
    rates = [row[header.index("達成率（％）")] for row in body]
    negative = [rate for rate in rates if rate.startswith("-")]
    assert negative and all(PLAIN_NUMBER.fullmatch(rate) for rate in negative)


def test_the_round_overview_downloads_have_no_formula(client, dx_staff, django_user_model):
    """Item titles and people's names go into the update round's CSV and xlsx."""
    from datetime import date

    from pdca.services.round import round_open
    from priorities.models import PriorityItem
    from tests.conftest import make_user

    PriorityItem.objects.filter(code="1-3").update(title=HOSTILE[0])
    evil = make_user(django_user_model, "evil", group="所管課長", departments=["危機管理課"])
    evil.last_name = HOSTILE[1]
    evil.save()
    round_open(
        fiscal_year=2025,
        actuals_due=date(2026, 5, 31),
        evaluations_due=date(2026, 6, 30),
        user=dx_staff,
    )
    client.force_login(dx_staff)
    text = client.get("/staff/round/overview.csv?view=items").content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert_no_formula((f"{n}行目", "s", value) for n, row in enumerate(rows, 1) for value in row)
    assert any(row[0] == "1-3 =1+1" for row in rows)  # begins with the code: nothing to run
    names = next(row for row in rows if row[0].startswith("1-3"))[rows[0].index("課長")]
    assert names == "'+cmd"  # the only head: the cell starts with it, guarded
    book = load_workbook(io.BytesIO(client.get("/staff/round/overview.xlsx?view=items").content))
    assert_no_formula(cells(book))

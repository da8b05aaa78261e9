import csv
import io
import json
from pathlib import Path

import jsonschema
import pytest
from django.core.management import call_command

from pdca.opendata import build_document

pytestmark = pytest.mark.django_db

# The open-data contract. It is a copy of spec/opendata.schema.json from the project's shared
# specification (outside this repository; identical to it when copied, 2026-11-25). The copy in
# tests/ is what the open data must satisfy and what README.md links to: change it deliberately,
# in the same commit as the open-data change, never by fetching it at test time.
SCHEMA = Path(__file__).resolve().parent.parent / "opendata.schema.json"


def schema():
    return json.loads(SCHEMA.read_text(encoding="utf-8"))


def test_the_open_data_validates_against_the_schema(client):
    response = client.get("/opendata/plan.json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    document = response.json()
    jsonschema.validate(document, schema())
    assert len(document["items"]) == 18
    assert len(document["systems"]) == 16
    assert document["pillars"][0]["items"] == ["1-1", "1-2", "1-3", "1-4"]


def test_the_open_data_counts_each_kpi_once_by_code():
    document = build_document()
    codes = {
        kpi["code"]
        for item in document["items"]
        for initiative in item["initiatives"]
        for kpi in initiative["kpis"]
    }
    assert len(codes) == 47


def test_the_open_data_shows_a_repeated_kpi_in_both_items():
    document = build_document()
    items = {item["code"]: item for item in document["items"]}
    repeated = items["1-2"]["initiatives"][2]["kpis"][0]
    assert (repeated["code"], repeated["printed_as"]) == ("1-1-K01", "再掲")
    assert repeated["baseline"] == {"value": 298621, "fiscal_year": 2023, "text": "298,621件（R5）"}


def test_money_is_in_thousand_yen_with_the_printed_text():
    document = build_document()
    system = next(s for s in document["systems"] if s["name"] == "電子申請システム")
    assert system["items"] == ["1-1"]
    assert system["initial_cost"] == {
        "thousand_yen": 13365,
        "text": "13,365千円",
        "fiscal_year": None,
        "planned": False,
    }
    assert system["operating_cost"]["fiscal_year"] == 2023


def test_the_command_writes_the_same_document(tmp_path):
    target = tmp_path / "plan.json"
    call_command("export_opendata", output=target)
    written = json.loads(target.read_text(encoding="utf-8"))
    jsonschema.validate(written, schema())
    assert written["items"] == build_document()["items"]


def test_the_csv_opens_in_japanese_excel(client):
    response = client.get("/opendata/plan.csv")
    assert response.status_code == 200
    body = response.content
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][:4] == ["項目番号", "重点項目", "KPIコード", "指標名"]
    assert len(rows) == 1 + 47
    first = dict(zip(rows[0], rows[1], strict=True))
    assert first["KPIコード"] == "1-1-K01"
    assert first["現状値"] == "298621"
    assert first["目標年度"] == "2026"


def test_every_document_and_csv_row_names_the_publisher_licence_and_edition(client):
    document = build_document()
    jsonschema.validate(document, schema())
    assert document["publisher"] == {"municipality_code": "221007", "municipality_name": "静岡市"}
    assert document["license"]["name"] == "CC BY 4.0"
    assert (
        document["edition"]["number"] == 1 and document["edition"]["published_on"] == "2025-03-01"
    )
    body = client.get("/opendata/plan.csv").content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    header = rows[0]
    assert len(set(header)) == len(header)  # one header row, every column named once
    for row in rows[1:]:
        line = dict(zip(header, row, strict=True))
        assert line["全国地方公共団体コード"] == "221007"
        assert line["地方公共団体名"] == "静岡市"
        assert line["計画の版"] == "第1版（令和７年３月）"
        assert line["ライセンス"] == "CC BY 4.0"
        assert line["データ作成日時"][:4].isdigit() and "T" in line["データ作成日時"]

"""Publishing a fiscal year: a frozen snapshot is what the public sees."""

import json
from pathlib import Path
from zoneinfo import ZoneInfo

import jsonschema
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from kpis.models import Actual, Kpi
from pdca.models import Evaluation, PublishedSnapshot
from priorities.models import PriorityItem

from .test_opendata import schema

pytestmark = pytest.mark.django_db


def add_actual(code, year, value):
    return Actual.objects.create(kpi=Kpi.objects.get(code=code), fiscal_year=year, value=value)


def test_before_any_publication_the_public_sees_the_plan_but_no_progress(client):
    add_actual("1-3-K02", 2025, 10)
    page = client.get("/").content.decode()
    assert "進捗はまだ公表されていません" in page
    item = client.get("/items/1-3/").content.decode()
    assert "②12時間（R6）" in item  # the plan itself is public
    assert "40.0%" not in item
    document = client.get("/opendata/plan.json").json()
    assert all(
        not kpi["actuals"]
        for entry in document["items"]
        for initiative in entry["initiatives"]
        for kpi in initiative["kpis"]
    )
    jsonschema.validate(document, schema())


def test_publishing_stops_while_items_are_unapproved_and_lists_them():
    Evaluation.objects.create(
        item=PriorityItem.objects.get(code="1-1"), fiscal_year=2025, status="approved"
    )
    with pytest.raises(CommandError) as caught:
        call_command("publish_fiscal_year", "R7")
    message = str(caught.value)
    assert "1-2 窓口におけるデジタル技術の活用" in message
    assert "1-1 行政" not in message
    assert not PublishedSnapshot.objects.exists()


def test_a_forced_publication_shows_its_reason_and_leaves_out_unapproved_years(client):
    add_actual("1-1-K01", 2025, 330000)
    add_actual("1-3-K02", 2025, 10)
    Evaluation.objects.create(
        item=PriorityItem.objects.get(code="1-1"), fiscal_year=2025, status="approved"
    )
    call_command("publish_fiscal_year", "令和7年度", "--force", "議会報告の日程のため")
    page = client.get("/").content.decode()
    assert "議会報告の日程のため" in page
    assert "1-3" in page.split("承認が済んでいない重点項目")[1][:300]
    document = client.get("/opendata/plan.json").json()
    assert document["published_fiscal_year"] == 2025
    jsonschema.validate(document, schema())
    kpis = {
        kpi["code"]: kpi
        for item in document["items"]
        for initiative in item["initiatives"]
        for kpi in initiative["kpis"]
    }
    assert [a["value"] for a in kpis["1-1-K01"]["actuals"]] == [330000]
    assert kpis["1-3-K02"]["actuals"] == []


def test_the_public_sees_the_frozen_snapshot_not_later_edits(client, publish):
    actual = add_actual("1-3-K02", 2025, 10)
    publish(2025)
    # Staff keep working on the next cycle: a new actual for 2026 is not public.
    add_actual("1-3-K02", 2026, 7)
    page = client.get("/items/1-3/").content.decode()
    assert "40.0%" in page
    assert "令和7年度（2025年度）</strong>までの実績と評価を掲載しています" in page
    document = client.get("/opendata/plan.json").json()
    kpi = next(
        kpi
        for item in document["items"]
        for initiative in item["initiatives"]
        for kpi in initiative["kpis"]
        if kpi["code"] == "1-3-K02"
    )
    assert [a["fiscal_year"] for a in kpi["actuals"]] == [2025]
    assert Actual.objects.get(pk=actual.pk).value == 10


def test_earlier_publications_stay_available(client, publish):
    add_actual("1-3-K02", 2024, 12)
    publish(2024)
    add_actual("1-3-K02", 2025, 10)
    publish(2025)
    assert client.get("/opendata/plan.json").json()["published_fiscal_year"] == 2025
    older = client.get("/opendata/2024/plan.json").json()
    assert older["published_fiscal_year"] == 2024
    archive = client.get("/published/2024/").content.decode()
    assert "これは過去の公表です" in archive
    assert 'href="/published/2024/items/1-3/"' in archive
    assert client.get("/published/2024/items/1-3/").status_code == 200
    assert client.get("/published/2019/").status_code == 404
    assert 'href="/published/2024/"' in client.get("/").content.decode()


def test_export_opendata_published_writes_the_latest_snapshot(tmp_path, client, publish):
    with pytest.raises(CommandError, match="まだ公表した年度がありません"):
        call_command("export_opendata", "--published", output=tmp_path / "none.json")
    add_actual("1-3-K02", 2025, 10)
    publish(2025)
    target = tmp_path / "published.json"
    call_command("export_opendata", "--published", output=target)
    assert (
        json.loads(Path(target).read_text(encoding="utf-8"))
        == client.get("/opendata/plan.json").json()
    )


def test_the_publish_button_is_the_same_as_the_command(client, dx_staff):
    client.force_login(dx_staff)
    response = client.post(
        "/staff/publish/", {"confirmed": "True", "fiscal_year": "R7", "force_reason": ""}
    )
    assert response.status_code == 400
    assert "承認されていない重点項目があります" in response.content.decode()
    response = client.post(
        "/staff/publish/", {"confirmed": "True", "fiscal_year": "R7", "force_reason": "試行"}
    )
    assert response.status_code == 302
    assert PublishedSnapshot.objects.get(fiscal_year=2025).published_by == dx_staff
    assert (
        "令和7年度（2025年度）の進捗を公表しました"
        in client.get("/staff/publish/").content.decode()
    )


def kpi_actuals(document, code):
    return next(
        [a["value"] for a in kpi["actuals"]]
        for item in document["items"]
        for initiative in item["initiatives"]
        for kpi in initiative["kpis"]
        if kpi["code"] == code
    )


def test_republishing_keeps_every_version_and_shows_the_latest(client, publish):
    actual = add_actual("1-3-K02", 2025, 10)
    first = publish(2025)
    actual.value = 9  # a correction after the first publication
    actual.save()
    second = publish(2025)
    assert [(s.fiscal_year, s.version) for s in PublishedSnapshot.objects.all()] == [
        (2025, 2),
        (2025, 1),
    ]
    assert kpi_actuals(first.document, "1-3-K02") == [10]
    # The index, the open data and the year's page show version 2 …
    assert kpi_actuals(client.get("/opendata/plan.json").json(), "1-3-K02") == [9]
    assert kpi_actuals(client.get("/opendata/2025/plan.json").json(), "1-3-K02") == [9]
    assert "60.0%" in client.get("/items/1-3/").content.decode()  # (9 − 12) ÷ (7 − 12)
    year_page = client.get("/published/2025/").content.decode()
    assert "第2版（このページ）（最新）" in year_page
    assert 'href="/published/2025/v1/"' in year_page
    jst = first.published_at.astimezone(ZoneInfo("Asia/Tokyo"))
    assert f"{jst.year}年{jst.month}月{jst.day}日 {jst:%H:%M}" in year_page
    assert 'href="/published/2025/items/1-3/"' in year_page
    # … and version 1 stays as it was, with links that stay inside it.
    v1 = client.get("/published/2025/v1/").content.decode()
    assert "第1版（このページ）" in v1
    assert "この版の後に公表し直しています（最新は第2版）" in v1
    assert 'href="/published/2025/v1/items/1-3/"' in v1
    item_v1 = client.get("/published/2025/v1/items/1-3/").content.decode()
    assert "40.0%" in item_v1  # (10 − 12) ÷ (7 − 12)
    assert "この版の後に公表し直しています（最新は第2版）" in item_v1
    assert 'href="/published/2025/v1/"' in item_v1
    assert "60.0%" in client.get("/published/2025/v2/items/1-3/").content.decode()
    assert second.version == 2


def test_a_forced_version_says_so_and_why_in_the_list(client, publish):
    Evaluation.objects.create(
        item=PriorityItem.objects.get(code="1-1"), fiscal_year=2025, status="approved"
    )
    call_command("publish_fiscal_year", "R7", "--force", "議会報告の日程のため")
    publish(2025)
    page = client.get("/published/2025/").content.decode()
    rows = page.split('id="versions"')[1].split("</table>")[0]
    assert "はい（理由：議会報告の日程のため）" in rows
    assert "いいえ" in rows
    assert "<caption" in rows and 'scope="col"' in rows


def test_an_unknown_version_is_not_found_in_japanese(client, publish):
    publish(2025)
    response = client.get("/published/2025/v7/")
    assert response.status_code == 404
    assert "令和7年度（2025年度）の第7版の公表はありません。" in response.content.decode()
    assert client.get("/published/2025/v7/items/1-3/").status_code == 404
    assert client.get("/published/2024/v1/").status_code == 404
    assert client.get("/published/2025/v1/items/9-9/").status_code == 404

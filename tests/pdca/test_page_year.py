"""One fiscal year per page: every roll-up, chart and count on a public page is of the year it
states at its top, and an item whose year was not published says so instead of a number."""

import json
import re

import pytest

from kpis.models import Actual, Kpi
from pdca.models import Evaluation
from pdca.services.publication import publish_fiscal_year
from priorities.models import PriorityItem
from priorities.roles import system_user

pytestmark = pytest.mark.django_db


def actual(code, year, value):
    Actual.objects.create(kpi=Kpi.objects.get(code=code), fiscal_year=year, value=value)


def approve(year, *, except_codes=()):
    for item in PriorityItem.objects.exclude(code__in=except_codes):
        Evaluation.objects.update_or_create(
            item=item,
            fiscal_year=year,
            defaults={"status": Evaluation.Status.APPROVED, "qualitative": "テスト"},
        )


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.fixture
def forced_r7():
    """R6 published for every item; R7 published by force with 1-2 unapproved. 1-1-K01 is
    printed on 1-1 and repeated (再掲) on 1-2, so its R7 actual is public through 1-1."""
    actual("1-1-K01", 2024, 300000)
    actual("1-3-K02", 2024, 11)
    actual("1-1-K01", 2025, 327900)
    approve(2024)
    publish_fiscal_year(fiscal_year=2024, user=system_user())
    approve(2025, except_codes=["1-2"])
    return publish_fiscal_year(fiscal_year=2025, user=system_user(), force_reason="試験")


def test_it_states_the_year_at_the_top_of_the_index_and_item_pages(client, forced_r7):
    for path in ["/", "/items/1-1/", "/items/1-1/kpis/1-1-K01/"]:
        page = client.get(path).content.decode()
        heading = page.index("</h1>")
        assert "対象年度：<strong>令和7年度（2025年度）</strong>" in page[heading : heading + 400]


def test_an_unpublished_item_says_so_instead_of_an_average_from_a_repeated_kpi(client, forced_r7):
    page = text(client.get("/items/1-2/").content.decode())
    assert "この重点項目の令和7年度の実績と評価は公表していません" in page
    assert "達成率の平均" not in page
    assert "327,900" not in page  # 1-1-K01's R7 actual, public only on 1-1
    assert "未公表" in page
    card = text(client.get("/").content.decode()).split(" 1-2 ")[1].split(" 1-3 ")[0]
    assert "令和7年度の実績は公表していません" in card
    assert "%" not in card


def test_an_item_without_an_actual_of_the_year_shows_no_earlier_average(client, forced_r7):
    # 1-3 has an R6 actual only: its R7 roll-up has no progress, and no R6 figure stands in.
    page = text(client.get("/items/1-3/").content.decode())
    assert "令和7年度の実績はありません" in page
    assert "令和6年度の実績）" not in page
    assert "令和7年度の達成率と評価" in page


def test_the_headline_counts_add_up_to_the_pillar_counts(client, forced_r7):
    response = client.get("/")
    page = response.content.decode()
    chart = json.loads(re.search(r'id="grade-chart"[^>]*>(.*?)</script>', page).group(1))
    headline = chart["data"][0]["y"]
    pillars = [
        [int(n) for n in re.findall(r"<li>(?:[ABCD] [^ <]+|未測定) (\d+)件</li>", block)]
        for block in re.findall(
            r'<section class="pillar".*?<ul class="grade-counts"[^>]*>(.*?)</ul>', page, re.S
        )
    ]
    assert len(pillars) == 5
    assert headline == [sum(column) for column in zip(*pillars, strict=True)]
    assert sum(headline[:4]) == 1  # 1-1-K01 graded on 1-1 only: 1-2 is not published
    assert "1-2）のKPI" in page and "含めていません" in page
    table = text(page).split("評価ごとのKPIの数（令和7年度）")[1]
    assert f"合計 {sum(headline)}件" in table


def test_every_roll_up_of_the_open_data_is_of_the_published_year(client, forced_r7):
    document = client.get("/opendata/plan.json").json()
    assert document["summary"]["fiscal_year"] == 2025
    assert {p["summary"]["fiscal_year"] for p in document["pillars"]} == {2025}
    assert {i["summary"]["fiscal_year"] for i in document["items"]} == {2025}
    unpublished = next(i for i in document["items"] if i["code"] == "1-2")["summary"]
    assert unpublished["published"] is False
    assert unpublished["progress_percent"] is None
    assert document["summary"]["unpublished_items"] == ["1-2"]

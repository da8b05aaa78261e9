"""Roadmap years that are readings are marked 「推定」 with a note why; a table the plan prints in
its Form ① text (5-2's survey) is shown as a table."""

import re

import pytest

from pdca.pages import PrintedTable, narrative_blocks
from priorities.models import RoadmapEntry

pytestmark = pytest.mark.django_db


def test_tab_separated_bullets_make_one_table_with_merged_headings():
    blocks = narrative_blocks(
        [
            "前の文",
            "\t小学校\t\t中学校\t",
            "質問項目\tA\tB\tA\tB",
            "静岡市\t34%\t39%\t21%\t35%",
            "全国\t25%\t44%\t31%\t41%",
            "後の文",
        ]
    )
    assert blocks[0] == "前の文" and blocks[2] == "後の文"
    table = blocks[1]
    assert isinstance(table, PrintedTable)
    assert table.header == [
        [("", 1), ("小学校", 2), ("中学校", 2)],
        [("質問項目", 1), ("A", 1), ("B", 1), ("A", 1), ("B", 1)],
    ]
    assert table.rows == [
        ["静岡市", "34%", "39%", "21%", "35%"],
        ["全国", "25%", "44%", "31%", "41%"],
    ]


def test_the_5_2_survey_is_a_table_not_bullets(client):
    page = client.get("/items/5-2/").content.decode()
    table = page.split('<caption id="as-is-table-6">')[1].split("</table>")[0]
    assert '<th scope="col" colspan="2">小 学 校（６年生）</th>' in table
    assert (
        '<th scope="row">静岡市</th><td class="numeric">34%</td><td class="numeric">39%</td>'
        in table
    )
    assert "静岡市 34% 39%" not in page


def test_every_roadmap_year_read_from_the_text_is_marked_with_why(client):
    assert not RoadmapEntry.objects.filter(fiscal_year__isnull=True).exists()
    assert not RoadmapEntry.objects.filter(year_inferred=False).exists()
    page = client.get("/items/3-3/").content.decode()
    roadmap = page.split('<caption id="roadmap-table">')[1].split("</section>")[0]
    assert (
        roadmap.count('<span class="tag tag-inferred">推定')
        == RoadmapEntry.objects.filter(initiative__item__code="3-3").count()
    )
    assert "年度の記載なし" not in page
    assert "ロードマップの表のどの年度の欄に書かれているかが残っていません" in roadmap
    note = re.search(r'<li id="roadmap-note-1" value="1">(.*?)</li>', roadmap).group(1)
    assert note.startswith("※1「サイト更新」：") and "令和7年度の欄と読みました" in note
    assert 'href="#roadmap-note-1"' in roadmap


def test_the_open_data_says_which_roadmap_years_are_readings(client):
    document = client.get("/opendata/plan.json").json()
    entries = [
        entry
        for item in document["items"]
        for initiative in item["initiatives"]
        for entry in initiative["roadmap"]
    ]
    assert entries and all(entry["year_inferred"] is True for entry in entries)
    site = next(entry for entry in entries if entry["text"] == "サイト更新")
    assert (site["fiscal_year"], site["until_fiscal_year"]) == (2025, 2025)
    assert "平成28年度" in site["year_note"]

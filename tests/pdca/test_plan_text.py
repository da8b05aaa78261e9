"""The whole plan on the public site (issue 15, item 2): sections 1–3 and 5 as text pages in
the plan's order, section 4 being the items; section 5 as printed, with the PMO heading."""

import pytest

from pdca.opendata import build_document
from priorities.models import Plan

pytestmark = pytest.mark.django_db


def test_the_contents_list_the_sections_in_the_plans_order(client):
    page = client.get("/plan/").content.decode()
    titles = [
        "1．アクションプラン策定の目的と基本方針",
        "2．アクションプランの役割と活用方法",
        "3．アクションプランの説明",
        "4．アクションプラン",
        "5．全庁的なデジタル化・DXに資する取組",
    ]
    positions = [page.index(title) for title in titles]
    assert positions == sorted(positions)
    assert 'href="/plan/1/"' in page and 'href="/plan/5/"' in page
    assert 'href="/plan/4/"' not in page  # section 4 is the items, on the front page


def test_section_1_shows_the_purpose_and_the_basic_policy(client):
    page = client.get("/plan/1/").content.decode()
    assert (
        "『静岡市デジタル化推進アクションプラン』（以下、「アクションプラン」とする。）を新たに策定します。"
        in page
    )
    assert "随時更新を行います。" in page
    assert "<h2" in page and "基本方針" in page


def test_section_2_names_check_and_action(client):
    page = client.get("/plan/2/").content.decode()
    assert "【Check】整備した様式を用いて" in page
    assert "アクションプランは随時更新・公開し" in page
    assert '<caption id="table-' in page  # the PDCA figure's words as a table (a labelled region)


def test_section_5_keeps_its_printed_order_and_the_pmo_heading(client):
    page = client.get("/plan/5/").content.decode()
    order = ["DX部門が担う庁内のPMO*機能", "【横展開】", "【伴走支援】", "PMO機能の強化（DX部門）",
             "33件（令和６年度実績）", "【基盤】", "＊PMO＝Project Management Office"]  # fmt: skip
    positions = [page.index(text) for text in order]
    assert positions == sorted(positions)
    assert '<th scope="row">伴走したシステム開発やツール導入等</th>' in page


def test_section_4_and_unknown_sections_are_not_text_pages(client):
    assert client.get("/plan/4/").status_code == 404
    assert client.get("/plan/9/").status_code == 404


def test_the_open_data_and_every_edition_carry_the_sections():
    sections = build_document()["plan"]["sections"]
    assert [s["number"] for s in sections] == [1, 2, 3, 4, 5]
    edition = Plan.objects.get().editions.get(number=1)
    assert edition.document["plan"]["sections"] == sections


def test_4_2s_figure_is_no_longer_a_bare_number_bullet():
    item = next(i for i in build_document()["items"] if i["code"] == "4-2")
    assert "396" not in item["as_is"]
    assert "静岡市\t396（推定）" in item["as_is"]

"""The yearly cycle done by clicking, as the README's "Try it by hand" describes it: a department
head enters an actual and writes and submits the item's evaluation, a second head of the same
department approves it, DX staff publish the year, and the public sees the figure.

Everything goes through the pages (login form, links, buttons) in Chromium; axe checks each page
in a state the page sweep (test_pages.py) never reaches: after a save, submitted, approved,
published.
"""

import re

from playwright.sync_api import expect

from kpis.models import Actual
from pdca.models import Evaluation, PublishedSnapshot
from tests.browser.checks import axe_problems

DEMO_PASSWORD = "shizuoka-demo-2025"  # priorities/management/commands/create_demo_users.py


def field(page, label):
    """The text box whose label starts with ``label`` (labels may end in 「（必須）」)."""
    return page.get_by_role("textbox", name=re.compile("^" + re.escape(label)))


def log_in(page, username):
    page.goto("/")
    page.get_by_role("link", name="職員ログイン").click()
    field(page, "ユーザー名").fill(username)
    field(page, "パスワード").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("ダッシュボード")


def log_out(page):
    page.get_by_role("button", name="ログアウト").click()
    expect(page.get_by_role("link", name="職員ログイン")).to_be_visible()


def test_a_year_from_entry_to_publication_by_clicking(demo_site, open_context):
    page = open_context().new_page()
    problems = []

    # 1. 危機管理課長 enters 1-3-K04's 令和7年度 actual on the KPI page, reached by links.
    log_in(page, "kiki-head")
    page.get_by_role("link", name=re.compile(r"^1-3 ")).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("効果的な危機管理情報の提供")
    page.get_by_role("link", name=re.compile("浸水センサ")).first.click()
    field(page, "年度").fill("令和7年度")
    field(page, "実績値").fill("４８地点")  # as people type it: 全角, with the unit
    field(page, "備考・出典").fill("危機管理課調べ")
    page.get_by_role("button", name="保存する").click()
    expect(page.get_by_role("status")).to_contain_text("令和7年度（2025年度）の実績を登録しました")
    provenance = page.get_by_role("table", name=re.compile("入力者・承認者・出典"))
    expect(provenance.get_by_role("row", name=re.compile("令和7年度"))).to_contain_text("48")
    problems += axe_problems(page, "実績を保存したKPIページ")
    actual = Actual.objects.get(kpi__code="1-3-K04", fiscal_year=2025)
    assert actual.value == 48 and actual.entered_by.username == "kiki-head"

    # 2. ... writes the 令和7年度 evaluation and submits it.
    page.goto("/staff/items/1-3/")
    page.get_by_role("link", name=re.compile("^令和7年度")).first.click()
    page.get_by_role("button", name="実績から文案を作り直す").click()
    expect(field(page, "達成状況の分析（定量）")).to_have_value(re.compile("実績 48地点"))
    field(page, "達成状況の分析（定性）").fill(
        "浸水センサの設置が進み、48地点で把握できるようになった。"
    )
    field(page, "課題").fill("センサの電池交換の手間。")
    field(page, "対策").fill("交換の時期を台帳で管理する。")
    field(page, "次年度の取組（PLAN・DO）").fill("設置を120地点まで広げる。")
    page.get_by_role("button", name="保存して提出する").click()
    expect(page.get_by_text("状態：提出済み")).to_be_visible()
    # Four eyes: the submitter cannot approve, and the page names who can.
    expect(page.get_by_role("button", name="承認する")).to_have_count(0)
    expect(page.get_by_text("承認できる人：危機管理課 副課長（デモ）")).to_be_visible()
    problems += axe_problems(page, "提出した評価")
    evaluation_url = page.url
    log_out(page)

    # 3. The second head of 危機管理課 approves it.
    log_in(page, "kiki-head-2")
    page.goto(evaluation_url)
    page.get_by_role("button", name="承認する").click()
    expect(page.get_by_text("状態：承認済み")).to_be_visible()
    problems += axe_problems(page, "承認した評価")
    evaluation = Evaluation.objects.get(item__code="1-3", fiscal_year=2025)
    assert evaluation.status == Evaluation.Status.APPROVED
    assert evaluation.approved_by.username == "kiki-head-2"
    log_out(page)

    # 4. DX staff publish 令和7年度 (other items are not approved yet: a reason is required).
    log_in(page, "dx-staff")
    page.get_by_role("link", name=re.compile("公表")).first.click()
    field(page, "公表する年度").fill("R7")
    page.get_by_role("button", name="公表する").click()
    expect(page.get_by_role("alert")).to_contain_text("理由を記入して公表してください")
    field(page, "未承認の項目があるまま公表する理由").fill("議会への中間報告のため")
    page.get_by_role("button", name="公表する").click()
    # Nothing is published yet: a page says what will be, and asks again.
    expect(page.get_by_role("heading", level=1)).to_contain_text("公表しますか")
    assert not PublishedSnapshot.objects.filter(fiscal_year=2025).exists()
    problems += axe_problems(page, "公表の確認")
    page.get_by_role("button", name="公表する").click()
    expect(page.get_by_role("status")).to_contain_text("令和7年度")
    problems += axe_problems(page, "公表したあとの公表ページ")
    assert PublishedSnapshot.objects.filter(fiscal_year=2025).exists()
    log_out(page)

    # 5. The public: / now states 令和7年度, and 1-3's figure is there, reached by clicking.
    page.goto("/")
    expect(page.locator("main")).to_contain_text("令和7年度")
    expect(page.locator("main")).to_contain_text("議会への中間報告のため")
    page.get_by_role("link", name=re.compile(r"^1-3")).first.click()
    kpis = page.get_by_role("table", name=re.compile("1-3のKPI"))
    expect(kpis.get_by_role("row", name=re.compile("1-3-K04"))).to_contain_text("48")
    page.get_by_role("link", name=re.compile("1-3-K04|浸水センサ")).first.click()
    trend = page.get_by_role("table", name=re.compile("年度ごとの実績と評価"))
    expect(trend.get_by_role("row", name=re.compile("令和7年度"))).to_contain_text("48")
    problems += axe_problems(page, "公表後の公開KPIページ")

    assert not problems, "\n".join(problems)

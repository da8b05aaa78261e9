"""The update round's pages: 「わたしの作業」 first on /staff/, the DX overview (rights, counts,
sorting and filters by address, CSV and xlsx), opening and extending a round from the page, and
the overview going from red to green as the work is done (with time travel)."""

import csv
import io
import re
from datetime import date

import pytest
from openpyxl import load_workbook

from pdca import rounds
from pdca.models import Evaluation, Round, RoundDeadline
from pdca.services.round import round_open
from priorities.models import Department, PriorityItem
from tests.pdca.test_round import enter, expected_kpis

pytestmark = pytest.mark.django_db

R7 = 2025


@pytest.fixture
def round_r7(dx_staff):
    return round_open(
        fiscal_year=R7,
        actuals_due=date(2026, 5, 31),
        evaluations_due=date(2026, 6, 30),
        user=dx_staff,
    )


@pytest.fixture
def on(monkeypatch):
    """Travel to a day: the pages count from it."""

    def travel(day):
        monkeypatch.setattr(rounds, "today", lambda: day)

    return travel


def login(client, user):
    client.force_login(user)
    return client


# ---- わたしの作業 -------------------------------------------------------------------------


def test_a_head_sees_their_work_first_with_due_dates_days_left_and_links(
    client, head_a, round_r7, on
):
    on(date(2026, 5, 24))
    page = login(client, head_a).get("/staff/").content.decode()
    assert page.index("わたしの作業（令和7年度の更新）") < page.index("注意が必要なKPI")
    assert "残っている作業は <strong>5件</strong>です" in page
    assert '<a href="/staff/kpis/1-3-K01/"><strong>実績を入力する</strong>：1-3-K01' in page
    assert "期限 2026年5月31日（日）" in page and "あと7日" in page
    assert (
        '<a href="/staff/items/1-3/evaluations/2025/"><strong>評価を書いて提出する</strong>' in page
    )
    assert "あと37日" in page
    assert "/staff/kpis/1-4-K01/" not in page  # 広報課's


def test_overdue_work_says_so_in_words_not_only_in_red(client, head_a, round_r7, on):
    on(date(2026, 6, 3))
    page = login(client, head_a).get("/staff/").content.decode()
    assert "期限超過 4件" in page
    assert "！ 3日超過" in page


def test_a_head_with_everything_done_is_thanked(client, head_a, round_r7, on):
    on(date(2026, 5, 24))
    for code in expected_kpis("1-3"):
        enter(code)
    Evaluation.objects.create(
        item=PriorityItem.objects.get(code="1-3"), fiscal_year=R7, status=Evaluation.Status.APPROVED
    )
    page = login(client, head_a).get("/staff/").content.decode()
    assert "あなたの担当に残っている作業はありません" in page


def test_dx_staff_see_the_round_and_the_way_to_the_overview_instead(client, dx_staff, round_r7):
    page = login(client, dx_staff).get("/staff/").content.decode()
    assert "わたしの作業" not in page
    assert 'href="/staff/round/"' in page


def test_without_a_round_dx_staff_are_offered_to_open_one(client, dx_staff, head_a):
    assert 'href="/staff/round/open/"' in login(client, dx_staff).get("/staff/").content.decode()
    page = login(client, head_a).get("/staff/").content.decode()
    assert "わたしの作業" not in page and "/staff/round/open/" not in page


# ---- the overview ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/staff/round/",
        "/staff/round/overview.csv",
        "/staff/round/overview.xlsx",
        "/staff/round/open/",
        "/staff/round/2025/",
    ],
)
def test_the_round_pages_are_for_dx_staff_only(client, head_a, round_r7, path):
    assert client.get(path).status_code == 302  # anonymous: to the login page
    assert login(client, head_a).get(path).status_code == 403


def test_the_overview_shows_counts_and_late_departments_in_red_with_days(
    client, dx_staff, round_r7, on, head_a
):
    on(date(2026, 6, 3))
    enter("1-3-K01")
    response = login(client, dx_staff).get("/staff/round/")
    assert response.status_code == 200
    page = response.content.decode()
    state = response.context["state"]
    rows = {row.key: row for row in response.context["rows"]}
    crisis = rows["危機管理課"]
    assert crisis.missing == len(expected_kpis("1-3")) - 1
    assert crisis.actuals_overdue == 3
    assert '<tr class="row-overdue">' in page and "3日超過" in page
    assert (
        f"{len({c for i in state.items for c, _ in i.missing})} / {len({c for i in state.items for c, _ in i.kpis})}"
        in page
    )
    # head_a has no e-mail address: named as unreachable.
    assert "連絡できない：kiki-head（メールアドレス未登録）" in page


def test_it_sorts_and_filters_by_the_address(client, dx_staff, round_r7, on):
    on(date(2026, 6, 3))
    enter("1-3-K01")
    client = login(client, dx_staff)
    by_missing = client.get("/staff/round/?sort=missing&order=desc").context["rows"]
    assert [r.missing for r in by_missing] == sorted((r.missing for r in by_missing), reverse=True)
    by_name = client.get("/staff/round/?sort=name&order=asc").context["rows"]
    assert [r.key for r in by_name] == sorted(r.key for r in by_name)
    items = client.get("/staff/round/?view=items&sort=name&order=asc").context["rows"]
    assert [r.key for r in items][:3] == ["1-1", "1-2", "1-3"]
    crisis = Department.objects.get(name="危機管理課")
    only = client.get(f"/staff/round/?view=items&department={crisis.pk}").context["rows"]
    assert [r.key for r in only] == ["1-3"]
    done_rows = client.get("/staff/round/?show=done").context["rows"]
    assert all(r.done for r in done_rows)
    page = client.get("/staff/round/?sort=missing&order=desc").content.decode()
    assert 'aria-sort="descending"' in page
    assert (
        'href="?fy=2025&amp;view=departments&amp;sort=missing&amp;order=asc&amp;show=all"' in page
    )


def test_the_overview_goes_from_red_to_green(client, dx_staff, round_r7, on):
    on(date(2026, 6, 3))
    client = login(client, dx_staff)
    crisis = Department.objects.get(name="危機管理課")
    url = f"/staff/round/?view=items&department={crisis.pk}"
    (row,) = client.get(url).context["rows"]
    assert row.overdue and not row.done
    for code in expected_kpis("1-3"):
        enter(code)
    Evaluation.objects.create(
        item=PriorityItem.objects.get(code="1-3"), fiscal_year=R7, status=Evaluation.Status.APPROVED
    )
    response = client.get(url)
    (row,) = response.context["rows"]
    assert row.done and row.overdue == 0
    assert '<tr class="row-done">' in response.content.decode()
    assert "✓ 完了" in response.content.decode()


def test_the_csv_has_a_bom_and_the_overview_s_rows(client, dx_staff, round_r7, on):
    on(date(2026, 6, 3))
    enter("1-3-K01")
    response = login(client, dx_staff).get("/staff/round/overview.csv?sort=name&order=asc")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    header, rows = table[0], table[1:]
    assert header[:6] == ["所管課", "状態", "重点項目数", "KPI数", "未入力の実績", "未作成"]
    crisis = next(row for row in rows if row[0] == "危機管理課")
    assert crisis[1] == "期限超過（3日）"
    assert int(crisis[4]) == len(expected_kpis("1-3")) - 1
    assert crisis[header.index("実績の期限")] == "2026-05-31"
    assert crisis[header.index("実績の超過日数")] == "3"
    assert crisis[header.index("メールアドレス未登録の課長")] == ""
    assert [row[0] for row in rows] == sorted(row[0] for row in rows)


def test_the_xlsx_has_the_same_rows_with_late_days_in_red(client, dx_staff, round_r7, on):
    on(date(2026, 6, 3))
    response = login(client, dx_staff).get(
        "/staff/round/overview.xlsx?view=items&sort=name&order=asc"
    )
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet.title == "重点項目別"
    assert sheet["A1"].value.startswith(
        "令和7年度（2025年度） 更新ラウンドの状況（2026年6月3日（水）現在）"
    )
    header = [cell.value for cell in sheet[2]]
    assert header[:3] == ["重点項目", "所管課", "状態"]
    rows = {row[0].value.split()[0]: row for row in sheet.iter_rows(min_row=3)}
    assert len(rows) == PriorityItem.objects.count()
    late = rows["1-3"][header.index("実績の超過日数")]
    assert late.value == 3 and late.font.color.rgb.endswith("C00000")
    assert rows["1-3"][header.index("所管課")].value == "危機管理課、河川課"


# ---- opening and changing a round from the page -----------------------------------------


def test_dx_staff_open_a_round_from_the_page_with_suggested_dates(client, dx_staff, on):
    on(date(2026, 4, 10))  # 令和8年度 has begun: 令和7年度 is the year to ask about
    client = login(client, dx_staff)
    page = client.get("/staff/round/open/").content.decode()
    assert (
        'value="令和7年度"' in page
        and 'value="2026-05-31"' in page
        and 'value="2026-06-30"' in page
    )
    response = client.post(
        "/staff/round/open/",
        {"fiscal_year": "R7", "actuals_due": "2026-05-31", "evaluations_due": "2026/6/30"},
    )
    assert response.status_code == 302 and response["Location"] == "/staff/round/2025/"
    assert Round.objects.get().evaluations_due == date(2026, 6, 30)


def test_a_bad_date_is_named_in_japanese_and_nothing_is_opened(client, dx_staff):
    response = login(client, dx_staff).post(
        "/staff/round/open/",
        {"fiscal_year": "R7", "actuals_due": "2026-06-30", "evaluations_due": "2026-05-31"},
    )
    assert response.status_code == 400
    assert (
        "評価の期限（2026年5月31日（日））は、実績の入力期限（2026年6月30日（火））と同じ日かそれより後にしてください。"
        in response.content.decode()
    )
    assert not Round.objects.exists()


def test_extending_from_the_page_needs_a_reason_and_shows_in_the_history(
    client, dx_staff, round_r7
):
    client = login(client, dx_staff)
    refused = client.post(
        "/staff/round/2025/extend/",
        {"actuals_due": "2026-06-15", "evaluations_due": "2026-06-30", "reason": ""},
    )
    assert refused.status_code == 400
    done = client.post(
        "/staff/round/2025/extend/",
        {"actuals_due": "2026-06-15", "evaluations_due": "2026-06-30", "reason": "決算の確定待ち"},
    )
    assert done.status_code == 302
    page = client.get("/staff/round/2025/").content.decode()
    assert "期限を変更: 決算の確定待ち" in page
    # The history reads dates in words (readable history, pages2).
    words = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))
    assert "実績の入力期限：2026年5月31日 → 2026年6月15日" in words


def test_a_department_s_dates_are_set_on_the_round_page(client, dx_staff, round_r7):
    crisis = Department.objects.get(name="危機管理課")
    response = login(client, dx_staff).post(
        "/staff/round/2025/department/",
        {
            "department": crisis.pk,
            "actuals_due": "2026-06-20",
            "evaluations_due": "",
            "reason": "災害対応",
        },
    )
    assert response.status_code == 302
    assert RoundDeadline.objects.get().actuals_due == date(2026, 6, 20)
    page = client.get("/staff/round/").content.decode()
    assert "課の期限" in page


def test_a_head_cannot_change_a_round(client, head_a, round_r7):
    client = login(client, head_a)
    assert (
        client.post(
            "/staff/round/2025/extend/",
            {"actuals_due": "2026-07-31", "evaluations_due": "2026-08-31", "reason": "x"},
        ).status_code
        == 403
    )
    assert client.post("/staff/round/2025/close/").status_code == 403
    assert (
        client.post(
            "/staff/round/open/",
            {"fiscal_year": "R8", "actuals_due": "2027-05-31", "evaluations_due": "2027-06-30"},
        ).status_code
        == 403
    )
    round_r7.refresh_from_db()
    assert round_r7.actuals_due == date(2026, 5, 31) and round_r7.is_open
    assert Round.objects.count() == 1


def test_a_head_sees_the_work_of_every_open_round_and_none_of_a_closed_one(
    client, dx_staff, head_a, round_r7, on
):
    from pdca.services.round import round_close

    on(date(2026, 5, 24))
    round_open(
        fiscal_year=2026,
        actuals_due=date(2027, 5, 31),
        evaluations_due=date(2027, 6, 30),
        user=dx_staff,
    )
    page = login(client, head_a).get("/staff/").content.decode()
    assert page.index("わたしの作業（令和8年度の更新）") < page.index(
        "わたしの作業（令和7年度の更新）"
    )
    round_close(round=round_r7, user=dx_staff)
    page = client.get("/staff/").content.decode()
    assert "令和7年度の更新" not in page and "わたしの作業（令和8年度の更新）" in page


def test_the_round_page_previews_today_s_reminders_and_sends_them_once(
    client, dx_staff, head_a, round_r7, on, mailoutbox
):
    head_a.email = "kiki@example.jp"
    head_a.save()
    on(date(2026, 5, 24))  # 7 days before the actuals' due date
    client = login(client, dx_staff)
    page = client.get("/staff/round/2025/").content.decode()
    assert "今日のお知らせ（2026年5月24日（日））" in page
    assert "kiki-head（kiki@example.jp）：【期限のお知らせ】令和7年度の実績・評価" in page
    response = client.post("/staff/round/2025/remind/", follow=True)
    assert "期限のお知らせを 1 人に送りました。" in response.content.decode()
    again = client.post("/staff/round/2025/remind/", follow=True).content.decode()
    assert "今日すでに送っていた 1 人には送っていません。" in again
    assert [m.to for m in mailoutbox] == [["kiki@example.jp"]]
    on(date(2026, 5, 25))
    assert (
        "今日はお知らせを送る日ではありません（期限の14・7・1日前"
        in client.get("/staff/round/2025/").content.decode()
    )

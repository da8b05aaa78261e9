"""The yearly CHECK/ACT of an item, from draft to publication, through the pages."""

from decimal import Decimal

import pytest

from kpis.models import Actual, Kpi
from pdca.models import Evaluation

pytestmark = pytest.mark.django_db

URL = "/staff/items/1-3/evaluations/2025/"
TEXT = {
    "quantitative": "満足度は64%、発信までの時間は9時間",
    "qualitative": "周知活動で利用が増えた",
    "issues": "高齢者の利用が少ない",
    "countermeasures": "出張講座を開く",
    "next_plan": "地区ごとの説明会",
}


def login(client, user):
    client.force_login(user)
    return client


def evaluation():
    return Evaluation.objects.get(item__code="1-3", fiscal_year=2025)


def save_draft(client, **changes):
    current = Evaluation.objects.filter(item__code="1-3", fiscal_year=2025).first()
    data = {**TEXT, **changes, "version": current.version if current else 1}
    return client.post(URL, data)


def submit(client, **changes):
    """「保存して提出する」: the page's own form, saved and submitted in one step."""
    return save_draft(client, action="submit", **changes)


def test_the_page_starts_with_the_engines_analysis(client, head_a):
    Actual.objects.create(kpi=Kpi.objects.get(code="1-3-K02"), fiscal_year=2025, value=10)
    page = login(client, head_a).get(URL).content.decode()
    assert (
        "サイト上で災害関連情報を発信するまでの時間：実績 10時間、達成率 40.0%、評価 B（概ね順調）"
        in page
    )
    assert not Evaluation.objects.exists()  # nothing is saved by looking


def test_draft_submitted_approved_published(client, head_a, head_a2, dx_staff):
    login(client, head_a)
    assert save_draft(client).status_code == 302
    assert evaluation().status == "draft"
    assert evaluation().last_edited_by == head_a
    response = submit(client)
    assert response.status_code == 302
    assert evaluation().status == "submitted"

    # The head who submitted it may not approve it.
    client.post(URL + "approve/", {"version": evaluation().version})
    assert evaluation().status == "submitted"
    assert "提出した人は承認できません" in client.get(URL).content.decode()

    login(client, head_a2)
    client.post(URL + "approve/", {"version": evaluation().version})
    assert evaluation().status == "approved"
    assert evaluation().approved_by == head_a2

    login(client, dx_staff)
    response = client.post(
        "/staff/publish/", {"confirmed": "True", "fiscal_year": "R7", "force_reason": "試行"}
    )
    assert response.status_code == 302
    assert evaluation().status == "published"
    public = client.get("/items/1-3/").content.decode()
    assert "周知活動で利用が増えた" in public
    assert "出張講座を開く" in public


def test_submitting_needs_every_part_written(client, head_a):
    login(client, head_a)
    save_draft(client, next_plan="")
    assert submit(client, next_plan="").status_code == 400
    assert evaluation().status == "draft"
    assert "次年度の取組（PLAN・DO）" in client.get(URL).content.decode()


def test_a_submitted_evaluation_can_be_sent_back_with_a_comment(client, head_a, head_a2):
    login(client, head_a)
    submit(client)
    login(client, head_a2)
    client.post(URL + "return/", {"version": evaluation().version, "comment": ""})
    assert evaluation().status == "submitted"  # a comment is required
    client.post(URL + "return/", {"version": evaluation().version, "comment": "数値を確認して"})
    assert evaluation().status == "draft"
    assert "数値を確認して" in client.get(URL).content.decode()


def test_approval_locks_the_items_actuals_until_dx_staff_reopen(client, head_a, head_a2, dx_staff):
    actual = Actual.objects.create(kpi=Kpi.objects.get(code="1-3-K02"), fiscal_year=2025, value=10)
    login(client, head_a)
    submit(client)
    login(client, head_a2)
    client.post(URL + "approve/", {"version": evaluation().version})

    response = client.post(
        "/staff/kpis/1-3-K02/", {"fiscal_year": "R7", "value": "8", "version": actual.version}
    )
    assert response.status_code == 400
    assert "承認済みのため、実績は変更できません" in response.content.decode()
    assert Actual.objects.get(pk=actual.pk).value == Decimal(10)

    # A department head cannot reopen an approved evaluation; DX staff can, with a reason.
    client.post(URL + "return/", {"version": evaluation().version, "comment": "直したい"})
    assert evaluation().status == "approved"
    login(client, dx_staff)
    client.post(URL + "return/", {"version": evaluation().version, "comment": "集計の誤りを修正"})
    assert evaluation().status == "draft"
    response = client.post(
        "/staff/kpis/1-3-K02/", {"fiscal_year": "R7", "value": "8", "version": actual.version}
    )
    assert response.status_code == 302
    assert Actual.objects.get(pk=actual.pk).value == Decimal(8)


def test_a_stale_page_cannot_overwrite_a_newer_evaluation(client, head_a, head_a2):
    login(client, head_a)
    save_draft(client)
    stale_version = evaluation().version
    login(client, head_a2)
    save_draft(client, qualitative="先に保存した内容")
    login(client, head_a)
    response = client.post(URL, {**TEXT, "qualitative": "後から保存", "version": stale_version})
    assert response.status_code == 400
    assert "ほかの人がこの評価を先に更新しました" in response.content.decode()
    assert evaluation().qualitative == "先に保存した内容"


def test_a_head_of_another_department_cannot_touch_the_evaluation(client, head_a, head_b):
    login(client, head_a)
    save_draft(client)
    login(client, head_b)
    assert client.get(URL).status_code == 404
    assert client.post(URL, {**TEXT, "version": 2}).status_code == 404
    assert client.post(URL, {**TEXT, "version": 2, "action": "submit"}).status_code == 404
    assert evaluation().status == "draft"

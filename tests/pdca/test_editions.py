"""Editions of the plan (issue 15, item 1): DX staff propose a revision, the head of DX approves
it (four eyes), publishing makes it the current edition with a number, a date and a reason; the
public change log, the side-by-side changes, earlier editions readable; each year graded against
the edition in force for it; the open data names its edition."""

import io
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from kpis.models import Actual, Kpi
from pdca.models import Evaluation, PlanRevision
from pdca.opendata import build_document
from pdca.services import revisions as service
from pdca.services.revisions import RevisionRefused
from pdca.workflow import Action
from priorities.models import PlanEdition
from priorities.permissions import DEPARTMENT_HEAD_GROUP, DX_STAFF_GROUP
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

R7, R8 = 2025, 2026


@pytest.fixture
def dx_head(django_user_model):
    """The head of DX: a 所管課長 of DX推進課, who approves revisions of the plan."""
    return make_user(
        django_user_model, "dx-head", group=DEPARTMENT_HEAD_GROUP, departments=["DX推進課"]
    )


def draft(user, *, effective=R8, **values):
    revision = service.revision_create(
        title="目標の見直し", reason="国の目標が上がったため", effective_fiscal_year=effective,
        user=user,
    )  # fmt: skip
    return service.revision_set(
        revision=revision, target="kpi", key=values.pop("code", "1-1-K01"), values=values,
        user=user,
    )  # fmt: skip


def publish(revision, staff, head):
    revision = service.revision_act(revision=revision, action=Action.SUBMIT, user=staff)
    revision = service.revision_act(revision=revision, action=Action.APPROVE, user=head)
    return service.revision_publish(revision=revision, user=staff)


def test_the_seed_is_edition_1_of_march_2025():
    edition = PlanEdition.objects.get()
    assert edition.number == 1
    assert edition.date_text == "令和７年３月"
    assert edition.reason == "策定"
    assert edition.published_on.isoformat() == "2025-03-01"
    assert len(edition.document["items"]) == 18
    assert build_document()["edition"]["number"] == 1


def test_a_target_changed_in_edition_2_changes_the_grade_only_from_its_year_on(dx_staff, dx_head):
    kpi = Kpi.objects.get(code="1-1-K01")  # 298,621件（R5） → 375,000件（R8）
    Actual.objects.create(kpi=kpi, fiscal_year=R7, value=Decimal(350000))
    Actual.objects.create(kpi=kpi, fiscal_year=R8, value=Decimal(375000))
    before = {year: kpi.evaluate(a, fiscal_year=year) for year, a in ((R7, kpi.actuals.get(
        fiscal_year=R7)), (R8, kpi.actuals.get(fiscal_year=R8)))}  # fmt: skip
    assert before[R7].grade == "A" and before[R8].grade == "A"
    revision = draft(dx_staff, target_value=Decimal(400000), target_text="400,000件（R8）")
    edition = publish(revision, dx_staff, dx_head)
    assert edition.number == 2
    kpi.refresh_from_db()
    assert kpi.target_value == Decimal(400000)
    r7 = kpi.evaluate(kpi.actuals.get(fiscal_year=R7), fiscal_year=R7)
    r8 = kpi.evaluate(kpi.actuals.get(fiscal_year=R8), fiscal_year=R8)
    assert r7.grade == "A" and "375000" in r7.reason  # R7: edition 1's target still
    assert r8.grade == "B" and "400000" in r8.reason  # R8 on: edition 2's
    assert kpi.earlier_specs[0]["edition"] == 1
    assert kpi.earlier_specs[0]["until_fiscal_year"] == R7


def test_3_1s_kpi_is_defined_by_a_revision_and_graded_from_its_year(dx_staff, dx_head):
    revision = draft(
        dx_staff,
        code="3-1-K01",
        pending=False,
        name="デジタル技術を活用した取組の件数",
        unit="件",
        direction="increase",
        baseline_text="0件（R7）",
        baseline_value=Decimal(0),
        baseline_fiscal_year=R7,
        target_text="3件（R8）",
        target_value=Decimal(3),
        target_fiscal_year=R8,
    )
    publish(revision, dx_staff, dx_head)
    kpi = Kpi.objects.get(code="3-1-K01")
    assert not kpi.pending and kpi.spec_for(R7).pending  # R7 and before: 設定予定 still
    Actual.objects.create(kpi=kpi, fiscal_year=R8, value=Decimal(3))
    assert kpi.evaluate(kpi.actuals.get(), fiscal_year=R8).grade == "A"
    assert kpi.evaluate(None, fiscal_year=R7).grade == "設定予定"


def test_the_person_who_submitted_or_last_edited_cannot_approve(
    dx_staff, dx_head, django_user_model
):
    both = make_user(
        django_user_model, "dx-both", group=DX_STAFF_GROUP, departments=["DX推進課"],
    )  # fmt: skip
    both.groups.add(*dx_head.groups.all())
    revision = draft(both, target_text="380,000件（R8）", target_value=Decimal(380000))
    revision = service.revision_act(revision=revision, action=Action.SUBMIT, user=both)
    with pytest.raises(RevisionRefused, match="提出した人は承認できません"):
        service.revision_act(revision=revision, action=Action.APPROVE, user=both)
    with pytest.raises(RevisionRefused, match="DX推進課の課長です"):
        service.revision_act(revision=revision, action=Action.APPROVE, user=dx_staff)
    with pytest.raises(RevisionRefused, match="承認"):  # not approved yet: cannot be published
        service.revision_publish(revision=revision, user=dx_staff)
    service.revision_act(revision=revision, action=Action.APPROVE, user=dx_head)
    assert PlanRevision.objects.get().approved_by == dx_head


def test_a_head_of_dx_cannot_draft_and_a_department_head_cannot_approve(head_a, dx_staff):
    with pytest.raises(Exception):  # noqa: B017 - PermissionDenied: only DX staff draft
        service.revision_create(title="x", reason="x", effective_fiscal_year=R8, user=head_a)
    revision = draft(dx_staff, target_value=Decimal(380000))
    revision = service.revision_act(revision=revision, action=Action.SUBMIT, user=dx_staff)
    with pytest.raises(RevisionRefused, match="DX推進課の課長です"):
        service.revision_act(revision=revision, action=Action.APPROVE, user=head_a)


def test_a_revision_cannot_regrade_an_approved_year(dx_staff, dx_head):
    Evaluation.objects.create(
        item_id=Kpi.objects.get(code="1-1-K01").item_id, fiscal_year=R7, status="approved"
    )
    revision = draft(dx_staff, effective=R7, target_value=Decimal(400000))
    with pytest.raises(RevisionRefused, match="承認済みのため、その年度から適用するKPIの変更"):
        publish(revision, dx_staff, dx_head)
    assert Kpi.objects.get(code="1-1-K01").target_value == Decimal(375000)
    assert PlanEdition.objects.count() == 1


def test_a_change_made_meanwhile_refuses_the_publication(dx_staff, dx_head):
    revision = draft(dx_staff, target_value=Decimal(400000))
    kpi = Kpi.objects.get(code="1-1-K01")
    kpi.target_value = Decimal(390000)
    kpi.save()
    with pytest.raises(RevisionRefused, match="改訂案を作ったあとに変わりました"):
        publish(revision, dx_staff, dx_head)


def test_text_changes_are_shown_side_by_side_and_earlier_editions_stay_readable(
    client, dx_staff, dx_head
):
    revision = service.revision_create(
        title="3-1の記載", reason="事業名の変更", effective_fiscal_year=R8, user=dx_staff
    )
    revision = service.revision_set(
        revision=revision, target="initiative", key="3-1/1", values={"name": "大谷・小鹿地区の新しいまちづくり"},
        user=dx_staff,
    )  # fmt: skip
    publish(revision, dx_staff, dx_head)
    log = client.get("/revisions/").content.decode()
    assert "第2版" in log and "事業名の変更" in log and "第1版" in log
    diff = client.get("/revisions/2/").content.decode()
    assert "大谷・小鹿地区まちづくり計画推進事業" in diff  # before
    assert "大谷・小鹿地区の新しいまちづくり" in diff  # after
    assert "3-1 取組1" in diff
    old = client.get("/editions/1/items/3-1/").content.decode()
    assert "大谷・小鹿地区まちづくり計画推進事業" in old and "第1版" in old
    new = client.get("/editions/2/items/3-1/").content.decode()
    assert "大谷・小鹿地区の新しいまちづくり" in new
    assert client.get("/editions/3/").status_code == 404
    assert build_document()["edition"]["number"] == 2


def test_load_plan_refuses_to_overwrite_a_revised_plan(dx_staff, dx_head):
    publish(draft(dx_staff, target_value=Decimal(400000)), dx_staff, dx_head)
    with pytest.raises(CommandError, match="第2版"):
        call_command("load_plan", fixtures=settings.PLAN_FIXTURES_DIR, stdout=io.StringIO())
    assert Kpi.objects.get(code="1-1-K01").target_value == Decimal(400000)


def test_the_staff_pages_walk_a_revision_from_draft_to_edition(client, dx_staff, dx_head):
    client.force_login(dx_staff)
    response = client.post(
        "/staff/revisions/",
        {"title": "3-1のKPIを定める", "reason": "取組内容が決まったため",
         "effective_fiscal_year": "R8"},
    )  # fmt: skip
    assert response.status_code == 302
    url = response["Location"]
    page = client.get(url + "?kpi=3-1-K01").content.decode()
    assert "取組内容毎にKPI指標を定める予定" in page
    data = {
        "step": "kpi", "kpi_code": "3-1-K01", "version": "1", "name": "官民連携サービスの数",
        "unit": "件", "direction": "increase", "baseline_text": "0件（R7）",
        "baseline_value": "0", "baseline_fiscal_year": "2025", "target_text": "3件（R8）",
        "target_value": "3", "target_fiscal_year": "2026", "target_operator": "",
        "lineage": "continued", "successor": "",
    }  # fmt: skip
    assert client.post(url, data).status_code == 302
    page = client.get(url).content.decode()
    assert "官民連携サービスの数" in page and "設定予定" in page
    assert client.post(url, {"step": "submit", "version": "2"}).status_code == 302
    assert "承認する" not in client.get(url).content.decode()
    client.force_login(dx_head)
    assert client.post(url, {"step": "approve", "version": "3"}).status_code == 302
    client.force_login(dx_staff)
    response = client.post(url, {"step": "publish", "version": "4"})
    assert response.status_code == 302 and response["Location"] == "/revisions/2/"
    client.logout()
    diff = client.get("/revisions/2/").content.decode()
    assert "官民連携サービスの数" in diff and "取組内容毎にKPI指標を定める予定" in diff


def test_make_runs_load_keeps_a_revised_plan_and_says_so(dx_staff, dx_head):
    publish(draft(dx_staff, target_value=Decimal(400000)), dx_staff, dx_head)
    err = io.StringIO()
    call_command(
        "load_plan", "--keep-changed-plan", fixtures=settings.PLAN_FIXTURES_DIR,
        stdout=io.StringIO(), stderr=err,
    )  # fmt: skip
    assert "計画は読み込まず、いまの計画を残しました" in err.getvalue()
    assert Kpi.objects.get(code="1-1-K01").target_value == Decimal(400000)


def test_the_change_log_speaks_plain_japanese_never_codes(client, dx_staff, dx_head):
    from pdca.views.revisions import change_rows

    rows = change_rows(
        [
            {"target": "kpi", "key": "1-1-K01", "field": "direction", "old": "milestone",
             "new": "increase"},
            {"target": "kpi", "key": "1-1-K01", "field": "target_fiscal_year", "old": 2026,
             "new": 2027},
            {"target": "kpi", "key": "1-1-K01", "field": "target_operator", "old": "",
             "new": ">="},
        ]
    )  # fmt: skip
    assert [(r["old"], r["new"]) for r in rows] == [
        ("完了目標", "増やす"),
        ("令和8年度（2026年度）", "令和9年度（2027年度）"),
        ("（空欄）", "以上"),
    ]
    publish(draft(dx_staff, target_operator=">="), dx_staff, dx_head)
    page = client.get("/revisions/2/").content.decode()
    assert "以上" in page and "&gt;=" not in page


def test_a_kpi_merged_by_a_revision_reads_through_its_editions(client, dx_staff, dx_head):
    successor = Kpi.objects.get(code="1-1-K02")
    revision = draft(dx_staff, lineage="merged", successor=successor,
                     target_value=Decimal(400000), target_text="400,000件（R8）")  # fmt: skip
    publish(revision, dx_staff, dx_head)
    kpi = Kpi.objects.get(code="1-1-K01")
    assert kpi.lineage == "merged" and kpi.successor == successor
    document = build_document()
    item = next(i for i in document["items"] if i["code"] == "1-1")
    data = item["initiatives"][0]["kpis"][0]
    assert data["lineage"] == {"status": "merged", "label": "統合", "successor": "1-1-K02"}
    assert data["earlier_definitions"][0]["edition"] == 1
    assert data["earlier_definitions"][0]["target_text"] == "375,000件（R8）"
    diff = client.get("/revisions/2/").content.decode()
    assert "統合" in diff and "1-1-K02" in diff
    client.force_login(dx_staff)
    page = client.get("/staff/kpis/1-1-K01/").content.decode()
    assert "計画の改訂での扱い" in page and "引き継いだKPI：1-1-K02" in page
    assert "第1版" in page and "令和7年度" in page and "375,000件（R8）" in page

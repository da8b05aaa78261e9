"""Holes found by attacking the update round, the revisions of the plan (editions), the PMO
register and the staff accounts from outside, as a person would meet them (a crafted URL, an
admin form, a head's address added the same day, an account given more rights). Each test shows
one hole and that it is closed."""

import csv as csv_module
import io
import re
from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from kpis.models import Kpi
from pdca.models import EmailMessageRecord, Evaluation
from pdca.services import mail
from pdca.services.round import round_open
from priorities import permissions
from priorities.models import Department, PriorityItem
from priorities.permissions import DEPARTMENT_HEAD_GROUP
from tests.test_history import admin_form_data

pytestmark = pytest.mark.django_db

R7 = 2025


def login(client, user):
    client.force_login(user)
    return client


# ---- query strings a person can type: never a server error ----------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/staff/pmo/?year=%C2%B2",  # "²": str.isdigit() says yes, int() says no
        "/staff/pmo/?department=%C2%B2",
        "/staff/pmo/?department=99999999999999999999",  # larger than the database's integer
        "/staff/pmo/?year=99999999999999999999&format=csv",
        "/staff/systems/{system}/?year=%C2%B2",
    ],
)
def test_odd_numbers_in_a_staff_pages_query_are_ignored_not_a_server_error(client, dx_staff, url):
    from systems.models import System

    login(client, dx_staff)
    response = client.get(url.format(system=System.objects.order_by("pk").first().pk))
    assert response.status_code == 200


def test_odd_numbers_posted_to_a_revision_are_refused_in_japanese(client, dx_staff):
    from pdca.services.revisions import revision_create

    revision = revision_create(
        title="試し", reason="試し", effective_fiscal_year=2026, user=dx_staff
    )
    login(client, dx_staff)
    url = f"/staff/revisions/{revision.pk}/"
    for data in ({"step": "submit", "version": "²"}, {"step": "drop", "index": "²"}):
        response = client.post(url, data)
        assert response.status_code == 400
        assert "変更" in response.content.decode()


# ---- reminders: a head given an address the same day --------------------------------------


def test_a_head_given_an_e_mail_address_later_that_day_still_gets_the_days_reminder(
    mailoutbox, dx_staff, head_a, capsys
):
    """The morning run could not reach 危機管理課's head (no address) and recorded that; DX staff
    add the address; the next run said 「本日は送信済み」 and sent nothing all day."""
    round_open(
        fiscal_year=R7,
        actuals_due=date(2026, 5, 31),
        evaluations_due=date(2026, 6, 30),
        user=dx_staff,
    )
    call_command("send_reminders", "--today", "2026-05-24")
    assert mailoutbox == []
    head_a.email = "kiki@example.jp"
    head_a.save()
    call_command("send_reminders", "--today", "2026-05-24")
    assert [m.to for m in mailoutbox] == [["kiki@example.jp"]]
    record = EmailMessageRecord.objects.get(recipient=head_a)
    assert (record.status, record.to_address) == (EmailMessageRecord.Status.SENT, "kiki@example.jp")
    # … and once sent, a third run sends nothing more.
    call_command("send_reminders", "--today", "2026-05-24")
    assert len(mailoutbox) == 1
    assert mail.send_reminders(today=date(2026, 5, 24)).reminders[0].outcome == mail.ALREADY


# ---- accounts: DX staff cannot make someone the head of DX (who approves revisions) -----------


def test_dx_staff_cannot_make_a_head_the_head_of_dx_on_the_users_page(client, dx_staff, head_a):
    """A head of DX推進課 approves the plan's revisions (four eyes with DX staff). DX staff could
    give any head DX推進課 (or invite one there) and have their own revision approved by an
    account they control."""
    login(client, dx_staff)
    dx = Department.objects.get(name="DX推進課")
    crisis = Department.objects.get(name="危機管理課")
    data = {
        "full_name": "kiki-head",
        "email": "kiki@example.jp",
        "role": "head",
        "departments": [crisis.pk, dx.pk],
        "is_active": "on",
        "reason": "兼務",
    }
    response = client.post(f"/staff/users/{head_a.pk}/", data)
    assert response.status_code == 400
    assert "システム管理者" in response.content.decode()
    head_a = type(head_a).objects.get(pk=head_a.pk)
    assert not permissions.is_head_of_dx(head_a)

    response = client.post(
        "/staff/users/invite/",
        {
            "username": "new-dx-head",
            "full_name": "新しい課長",
            "email": "new@example.jp",
            "departments": [dx.pk],
        },
    )
    assert response.status_code == 400
    assert "システム管理者" in response.content.decode()
    assert not type(head_a).objects.filter(username="new-dx-head").exists()


def test_dx_staff_cannot_take_over_the_head_of_dxs_account(client, dx_staff, django_user_model):
    """Changing the head of DX's address and sending the set-password link there gave DX staff
    the account that approves their revisions."""
    from tests.conftest import make_user

    head_of_dx = make_user(
        django_user_model, "dx-head", group=DEPARTMENT_HEAD_GROUP, departments=["DX推進課"]
    )
    head_of_dx.email = "dx-head@example.jp"
    head_of_dx.save()
    login(client, dx_staff)
    url = f"/staff/users/{head_of_dx.pk}/"
    data = {
        "full_name": "dx-head",
        "email": "mine@example.jp",
        "role": "head",
        "departments": [Department.objects.get(name="DX推進課").pk],
        "is_active": "on",
        "reason": "アドレス変更",
    }
    assert client.post(url, data).status_code == 403
    head_of_dx.refresh_from_db()
    assert head_of_dx.email == "dx-head@example.jp"
    assert client.post(f"{url}invitation/").status_code == 302
    assert not EmailMessageRecord.objects.filter(recipient=head_of_dx).exists()
    # The head of DX is still a head, who keeps their own departments' work.
    assert Group.objects.get(name=DEPARTMENT_HEAD_GROUP).user_set.filter(pk=head_of_dx.pk)


# ---- the admin: a KPI's target is not corrected under an approved year ----------------------


def test_the_admin_refuses_a_new_target_for_a_kpi_whose_year_is_approved(client, dx_staff):
    """Changing 1-1-K01's target number in /admin/ regraded 令和7年度, already approved (A → C on
    the staff pages, and the next publication), while the printed target text stayed 375,000件.
    A new target goes through a revision of the plan, from a year not yet approved."""
    kpi = Kpi.objects.get(code="1-1-K01")
    item = PriorityItem.objects.get(code="1-1")
    Evaluation.objects.create(item=item, fiscal_year=R7, status=Evaluation.Status.APPROVED)
    login(client, dx_staff)
    url = f"/admin/kpis/kpi/{kpi.pk}/change/"
    page = client.get(url)
    inlines = [f.formset.prefix for f in page.context["inline_admin_formsets"]]
    data = admin_form_data(client, url, inlines=inlines)
    data["target_value"] = "3000000"
    data["change_reason"] = "目標値の訂正"
    response = client.post(url, data)
    assert response.status_code == 200
    assert "計画の改訂" in response.content.decode()
    kpi.refresh_from_db()
    assert kpi.target_value == Decimal("375000")

    # A name (no effect on grades) is still corrected in the admin.
    data = admin_form_data(client, url, inlines=inlines)
    data["name"] = kpi.name + "（訂正）"
    data["change_reason"] = "誤字の訂正"
    assert client.post(url, data).status_code == 302
    kpi.refresh_from_db()
    assert kpi.name.endswith("（訂正）")


def test_the_admin_import_refuses_a_new_target_for_a_kpi_whose_year_is_approved(client, dx_staff):
    """The same correction as a file on the KPIs' admin import page was saved."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    Evaluation.objects.create(
        item=PriorityItem.objects.get(code="1-1"),
        fiscal_year=R7,
        status=Evaluation.Status.APPROVED,
    )
    login(client, dx_staff)
    kpi = Kpi.objects.select_related("item").get(code="1-1-K01")
    row = {
        "code": kpi.code, "item": kpi.item.code, "order": kpi.order, "name": kpi.name,
        "unit": kpi.unit, "direction": kpi.direction, "cumulative": int(kpi.cumulative),
        "baseline_value": kpi.baseline_value, "baseline_fiscal_year": kpi.baseline_fiscal_year,
        "baseline_text": kpi.baseline_text, "target_value": 3000000,
        "target_fiscal_year": kpi.target_fiscal_year, "target_text": kpi.target_text,
        "target_operator": kpi.target_operator,
    }  # fmt: skip
    out = io.StringIO()
    writer = csv_module.writer(out)
    writer.writerow(row)
    writer.writerow(["" if v is None else v for v in row.values()])
    csv = out.getvalue().encode("utf-8-sig")
    response = client.post(
        "/admin/kpis/kpi/import/",
        {
            "resource": 0,
            "format": 0,
            "import_file": SimpleUploadedFile("kpis.csv", csv, content_type="text/csv"),
        },
    )
    page = response.content.decode()
    if "confirm_form" in (response.context or {}) and response.context["confirm_form"]:
        confirm = response.context["confirm_form"]
        data = {name: confirm[name].value() for name in confirm.fields}
        client.post("/admin/kpis/kpi/process_import/", data)
    assert Kpi.objects.get(code="1-1-K01").target_value == Decimal("375000")
    assert "計画の改訂" in page


def test_a_word_in_a_number_column_of_the_kpi_import_is_named_in_japanese(client, dx_staff):
    """A shifted column (a comma inside an unquoted 「298,621件」) put text in target_value: the
    import page showed 「[<class 'decimal.ConversionSyntax'>]」."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    login(client, dx_staff)
    csv = "code,item,target_value\r\n1-1-K01,1-1,375千件\r\n".encode("utf-8-sig")
    response = client.post(
        "/admin/kpis/kpi/import/",
        {
            "resource": 0,
            "format": 0,
            "import_file": SimpleUploadedFile("kpis.csv", csv, content_type="text/csv"),
        },
    )
    page = response.content.decode()
    assert "ConversionSyntax" not in page and "&lt;class" not in page
    assert "列「target_value」の「375千件」は数値として読めません" in page
    assert Kpi.objects.get(code="1-1-K01").target_value == Decimal("375000")


def test_a_head_deactivated_after_a_failed_e_mail_never_gets_it(
    mailoutbox, dx_staff, head_a, monkeypatch
):
    """The SMTP server failed in the morning; 危機管理課's head left (利用停止) at noon; the next
    run sent the kept reminder to the person who had left."""
    head_a.email = "kiki@example.jp"
    head_a.save()
    round_open(
        fiscal_year=R7,
        actuals_due=date(2026, 5, 31),
        evaluations_due=date(2026, 6, 30),
        user=dx_staff,
    )

    def refuse(self, *args, **kwargs):
        raise OSError("接続できません")

    monkeypatch.setattr("django.core.mail.message.EmailMessage.send", refuse)
    mail.send_reminders(today=date(2026, 5, 24))
    monkeypatch.undo()
    head_a.is_active = False
    head_a.save()
    report = mail.send_reminders(today=date(2026, 5, 24))
    assert mailoutbox == []
    assert report.waiting_sent == 0
    record = EmailMessageRecord.objects.get(recipient=head_a)
    assert record.status != EmailMessageRecord.Status.SENT
    assert "利用停止" in record.error


@pytest.mark.parametrize("started_on", ["1999-01-01", "9999-12-31"])
def test_a_support_case_dated_outside_the_years_the_app_handles_is_refused(
    client, dx_staff, started_on
):
    """1999-01-01 (ongoing) was counted in every year of the plan on /pmo/; 9999-12-31 in none."""
    from pdca.models import SupportCase

    login(client, dx_staff)
    response = client.post(
        "/staff/pmo/new/",
        {
            "title": "打ち間違い",
            "department": Department.objects.get(name="DX推進課").pk,
            "category": "tool",
            "mode": "accompany",
            "started_on": started_on,
            "ended_on": "",
            "stage": "planning",
            "item": "",
            "note": "",
        },
    )
    assert response.status_code == 400
    assert "開始日（" in response.content.decode()
    assert "2000年度から2100年度までの日付にしてください" in response.content.decode()
    assert not SupportCase.objects.exists()


def test_a_due_date_typed_in_full_width_is_read(client, dx_staff):
    """「２０２６／５／３１」 (a Japanese input method's digits) was 「日付として読めません」 on the
    round's page, though the help says 2026/5/31 may be typed and the commands read it."""
    from pdca.models import Round

    login(client, dx_staff)
    response = client.post(
        "/staff/round/open/",
        {
            "fiscal_year": "令和７年度",
            "actuals_due": "２０２６／５／３１",
            "evaluations_due": "２０２６年６月３０日",
        },
    )
    assert response.status_code == 302, response.content.decode()[-3000:]
    round_ = Round.objects.get(fiscal_year=R7)
    assert (round_.actuals_due, round_.evaluations_due) == (date(2026, 5, 31), date(2026, 6, 30))


def test_two_dx_staff_changing_one_head_at_once_never_undo_each_other(
    client, dx_staff, head_a, django_user_model
):
    """Two tabs (or two DX staff) open 危機管理課's head; one adds 河川課, the other then fixes the
    e-mail from the page opened before: the second save put the departments back as its page
    showed them, and 河川課 was silently gone."""
    from django.test import Client

    from tests.conftest import make_user

    other = make_user(django_user_model, "dx-staff-2", group="DX推進課職員")
    crisis = Department.objects.get(name="危機管理課")
    river = Department.objects.get(name="河川課")
    url = f"/staff/users/{head_a.pk}/"
    first, second = login(client, dx_staff), login(Client(), other)
    page = second.get(url).content.decode()
    seen = re.search(r'name="seen" value="(\d*)"', page)
    assert seen, "the page carries what it showed"
    data = {
        "full_name": "kiki-head",
        "email": "",
        "role": "head",
        "departments": [crisis.pk],
        "is_active": "on",
        "seen": seen.group(1),
    }
    done = first.post(url, {**data, "departments": [crisis.pk, river.pk], "reason": "兼務"})
    assert done.status_code == 302
    late = second.post(url, {**data, "email": "kiki@example.jp", "reason": "アドレス登録"})
    assert late.status_code == 400
    assert "別の人がこのアカウントを変更しました" in late.content.decode()
    head_a.refresh_from_db()
    assert {d.name for d in head_a.departments.all()} == {"危機管理課", "河川課"}
    assert head_a.email == ""


@pytest.mark.parametrize("url", ["/revisions/", "/plan/2/", "/plan/3/", "/plan/5/", "/items/1-1/"])
def test_every_scrolling_table_is_a_labelled_region_a_keyboard_reaches(client, url):
    """A wide table scrolls inside its box (.table-wrap): without tabindex a keyboard user cannot
    scroll it, and without a name a screen reader announces an anonymous region (WCAG 2.1.1,
    4.1.2). The change log, the plan's text and Form ② by year had bare boxes."""
    page = client.get(url).content.decode()
    boxes = re.findall(r'<div class="table-wrap"[^>]*>', page)
    assert boxes
    for box in boxes:
        named = re.fullmatch(
            r'<div class="table-wrap" role="region" aria-labelledby="([^"]+)" tabindex="0">', box
        )
        assert named, box
        assert f'id="{named.group(1)}"' in page


def test_extending_the_round_never_puts_a_departments_evaluations_before_its_actuals(
    client, dx_staff
):
    """河川課 had only its own evaluation date (12月5日), its actuals following the round's; the
    round's actuals were then moved to 12月20日: 河川課's evaluations fell due before the actuals
    they evaluate, which the round's own dates may never do."""
    from pdca.models import Round, RoundDeadline

    round_open(
        fiscal_year=R7,
        actuals_due=date(2026, 5, 31),
        evaluations_due=date(2026, 6, 30),
        user=dx_staff,
    )
    river = Department.objects.get(name="河川課")
    login(client, dx_staff)
    response = client.post(
        "/staff/round/2025/department/",
        {"department": river.pk, "actuals_due": "", "evaluations_due": "2026-06-05", "reason": "x"},
    )
    assert response.status_code == 302
    response = client.post(
        "/staff/round/2025/extend/",
        {"actuals_due": "2026-06-20", "evaluations_due": "2026-06-30", "reason": "延長"},
    )
    assert response.status_code == 400
    assert "河川課の評価の期限（2026年6月5日" in response.content.decode()
    assert Round.objects.get().actuals_due == date(2026, 5, 31)
    assert RoundDeadline.objects.get().evaluations_due == date(2026, 6, 5)


def test_dx_staff_cannot_make_a_head_the_head_of_dx_in_the_admin_either(client, dx_staff, head_a):
    """/admin/ → 所管課 → DX推進課 → 所属する職員: adding a head there made them head of DX."""
    dx = Department.objects.get(name="DX推進課")
    login(client, dx_staff)
    url = f"/admin/priorities/department/{dx.pk}/change/"
    before = set(dx.members.values_list("pk", flat=True))
    response = client.post(
        url, {"name": "DX推進課", "members": [*before, head_a.pk], "change_reason": "兼務"}
    )
    assert response.status_code in (200, 302)
    assert set(dx.members.values_list("pk", flat=True)) == before
    assert not permissions.is_head_of_dx(type(head_a).objects.get(pk=head_a.pk))
    assert (
        client.post(f"/admin/priorities/department/{dx.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    assert Department.objects.filter(name="DX推進課").exists()
    # Another department's members are still kept there by DX staff.
    river = Department.objects.get(name="河川課")
    response = client.post(
        f"/admin/priorities/department/{river.pk}/change/",
        {"name": "河川課", "members": [head_a.pk], "change_reason": "兼務"},
    )
    assert response.status_code == 302
    assert head_a in river.members.all()


def test_a_revision_cannot_say_a_kpi_or_an_item_was_taken_over_by_itself(dx_staff):
    """「1-1-K02 は 1-1-K02 に統合」 was accepted, and the KPI page's lineage then pointed to
    itself."""
    from pdca.services.revisions import RevisionRefused, revision_create, revision_set

    revision = revision_create(
        title="統合", reason="統合", effective_fiscal_year=2026, user=dx_staff
    )
    kpi = Kpi.objects.get(code="1-1-K02")
    with pytest.raises(RevisionRefused, match="このKPI自身は選べません"):
        revision_set(
            revision=revision,
            target="kpi",
            key=kpi.code,
            values={"lineage": "merged", "successor": kpi},
            user=dx_staff,
        )
    item = PriorityItem.objects.get(code="1-1")
    with pytest.raises(RevisionRefused, match="この重点項目自身は選べません"):
        revision_set(
            revision=revision,
            target="item",
            key=item.code,
            values={"lineage": "merged", "successor": item},
            user=dx_staff,
        )
    revision.refresh_from_db()
    assert revision.changes == []

"""Staff accounts managed by DX staff: inviting a head (a set-password link by e-mail, through
Django's password reset, in Japanese), assigning departments on one page, deactivating a leaver,
every change in the history; and what DX staff may not touch here."""

import re

import pytest

from pdca.models import AccountEvent, EmailMessageRecord
from pdca.services.mail import LINK_PLACEHOLDER
from priorities.models import Department

pytestmark = pytest.mark.django_db


def login(client, user):
    client.force_login(user)
    return client


def invite(client, **extra):
    river = Department.objects.get(name="河川課")
    data = {
        "username": "kasen-kacho",
        "full_name": "河川課長 静岡太郎",
        "email": "kasen@example.jp",
        "departments": [river.pk],
        **extra,
    }
    return client.post("/staff/users/invite/", data)


def test_dx_staff_invite_a_head_who_sets_a_password_from_the_e_mail(
    client, dx_staff, mailoutbox, django_user_model
):
    response = invite(login(client, dx_staff))
    user = django_user_model.objects.get(username="kasen-kacho")
    assert response.status_code == 302 and response["Location"] == f"/staff/users/{user.pk}/"
    assert not user.has_usable_password()
    assert [d.name for d in user.departments.all()] == ["河川課"]
    assert user.groups.filter(name="所管課長").exists()
    (message,) = mailoutbox
    assert message.to == ["kasen@example.jp"]
    assert message.subject == "【デジタル化推進アクションプラン 進捗管理】パスワード設定のご案内"
    assert "ユーザー名：kasen-kacho" in message.body and "7日間" in message.body
    link = re.search(r"http://127\.0\.0\.1:8000(/accounts/reset/\S+/)", message.body).group(1)
    # The record keeps the e-mail but never the link (whoever reads it cannot take the account).
    record = EmailMessageRecord.objects.get(recipient=user)
    assert LINK_PLACEHOLDER in record.body and link not in record.body and record.status == "sent"

    client.logout()
    form_page = client.get(link, follow=True)
    assert "kasen-kacho さんのパスワードを決めてください" in form_page.content.decode()
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "kawa-no-nagare-2026", "new_password2": "kawa-no-nagare-2026"},
    )
    assert done.status_code == 302 and done["Location"] == "/accounts/reset/done/"
    assert "パスワードを設定しました" in client.get("/accounts/reset/done/").content.decode()
    logged_in = client.post(
        "/accounts/login/", {"username": "kasen-kacho", "password": "kawa-no-nagare-2026"}
    )
    assert logged_in.status_code == 302 and logged_in["Location"] == "/staff/"
    # The link works once.
    client.logout()
    again = client.get(link, follow=True).content.decode()
    assert "このリンクは使えません" in again

    event = AccountEvent.objects.get(user=user)
    assert event.action == "invited" and event.actor == dx_staff
    assert ["所管課", "", "河川課"] in event.changes


def test_an_invitation_names_what_is_wrong_in_japanese(client, dx_staff, head_a):
    client = login(client, dx_staff)
    taken = invite(client, username="kiki-head")
    assert taken.status_code == 400
    assert "ユーザー名「kiki-head」はすでに使われています。" in taken.content.decode()
    bad = invite(client, username="x", email="not-an-address", departments=[])
    page = bad.content.decode()
    assert "ユーザー名は3文字以上の半角英数字" in page
    assert "メールアドレスの形（例: name@city.example.jp）で入力してください。" in page


def test_departments_role_and_leaving_are_changed_on_one_page_with_a_reason(
    client, dx_staff, head_a
):
    client = login(client, dx_staff)
    river, crisis = Department.objects.get(name="河川課"), Department.objects.get(name="危機管理課")
    url = f"/staff/users/{head_a.pk}/"
    data = {
        "full_name": "kiki-head",
        "email": "kiki@example.jp",
        "role": "head",
        "departments": [crisis.pk, river.pk],
        "is_active": "on",
    }
    assert client.post(url, {**data, "reason": ""}).status_code == 400
    assert client.post(url, {**data, "reason": "4月の人事異動"}).status_code == 302
    head_a.refresh_from_db()
    assert {d.name for d in head_a.departments.all()} == {"危機管理課", "河川課"}
    assert head_a.email == "kiki@example.jp"
    # Membership is also in the department's own history, with who and why.
    record = Department.history.filter(id=river.pk).latest("history_date")
    assert (record.history_user, record.history_change_reason) == (dx_staff, "4月の人事異動")

    assert client.post(url, {**data, "is_active": "", "reason": "退職"}).status_code == 302
    head_a.refresh_from_db()
    assert not head_a.is_active
    page = client.get(url).content.decode()
    assert "利用停止" in page and "退職" in page and "4月の人事異動" in page
    actions = list(AccountEvent.objects.filter(user=head_a).values_list("action", flat=True))
    assert actions == ["deactivated", "changed"]


def test_a_deactivated_head_is_logged_out_and_cannot_log_in(client, dx_staff, head_a):
    from django.test import Client

    from tests.conftest import PASSWORD

    theirs = Client()
    theirs.force_login(head_a)
    assert theirs.get("/staff/").status_code == 200
    login(client, dx_staff).post(
        f"/staff/users/{head_a.pk}/",
        {
            "full_name": "kiki-head",
            "email": "",
            "role": "head",
            "departments": [Department.objects.get(name="危機管理課").pk],
            "is_active": "",
            "reason": "退職",
        },
    )
    assert theirs.get("/staff/").status_code == 302
    refused = Client().post("/accounts/login/", {"username": "kiki-head", "password": PASSWORD})
    assert refused.status_code == 200  # the form again, not a redirect to /staff/


def test_dx_staff_cannot_change_dx_staff_administrators_or_themselves_here(
    client, dx_staff, django_user_model
):
    from tests.conftest import make_user

    other_dx = make_user(django_user_model, "dx-2", group="DX推進課職員", departments=["DX推進課"])
    admin = django_user_model.objects.create_superuser("root", password="x-very-long-password")
    client = login(client, dx_staff)
    for user in (other_dx, admin, dx_staff):
        data = {
            "full_name": "x",
            "email": "",
            "role": "head",
            "departments": [],
            "is_active": "on",
            "reason": "昇格",
        }
        assert client.post(f"/staff/users/{user.pk}/", data).status_code == 403
    assert not admin.groups.exists() and not other_dx.groups.filter(name="所管課長").exists()


def test_heads_cannot_manage_accounts(client, head_a, head_a2):
    client = login(client, head_a)
    assert client.get("/staff/users/").status_code == 403
    assert invite(client).status_code == 403
    assert client.post(f"/staff/users/{head_a2.pk}/invitation/").status_code == 403


def test_the_list_shows_who_cannot_be_reached(client, dx_staff, head_a):
    page = login(client, dx_staff).get("/staff/users/").content.decode()
    assert "未登録（メールが届きません）" in page
    assert "招待中（パスワード未設定）" not in page  # head_a has a password


def test_the_invitation_is_sent_again_once_a_day(client, dx_staff, head_a, mailoutbox):
    head_a.email = "kiki@example.jp"
    head_a.save()
    client = login(client, dx_staff)
    client.post(f"/staff/users/{head_a.pk}/invitation/")
    client.post(f"/staff/users/{head_a.pk}/invitation/")
    assert len(mailoutbox) == 1
    page = client.get(f"/staff/users/{head_a.pk}/").content.decode()
    assert "今日すでに招待メールを送っています" in page

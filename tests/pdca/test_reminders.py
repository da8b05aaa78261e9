"""E-mails: the daily reminder (one per head per round per day, whatever runs it, even two at
once), its Japanese content, the workflow's notices (submitted → the approvers, returned or
approved → the submitter), unreachable heads, a failing server, and every e-mail recorded."""

import threading
from datetime import date

import pytest
from django.core import mail as django_mail
from django.core.management import call_command
from django.db import connection

from pdca.loading import load_plan
from pdca.models import EmailMessageRecord, Evaluation
from pdca.services import evaluations as evaluation_services
from pdca.services import mail
from pdca.services.round import round_close, round_open
from priorities.models import PriorityItem
from priorities.roles import ensure_roles

R7 = 2025
ACTUALS_DUE = date(2026, 5, 31)
EVALUATIONS_DUE = date(2026, 6, 30)
SEVEN_DAYS_BEFORE = date(2026, 5, 24)


def open_r7(user):
    return round_open(
        fiscal_year=R7, actuals_due=ACTUALS_DUE, evaluations_due=EVALUATIONS_DUE, user=user
    )


@pytest.fixture
def heads(head_a, head_a2, head_b):
    for user, address in (
        (head_a, "kiki@example.jp"),
        (head_a2, "kiki2@example.jp"),
        (head_b, "koho@example.jp"),
    ):
        user.email = address
        user.save()
    return head_a, head_a2, head_b


@pytest.mark.django_db
def test_each_head_gets_one_japanese_e_mail_listing_what_they_owe(mailoutbox, dx_staff, heads):
    head_a, _head_a2, _head_b = heads
    open_r7(dx_staff)
    report = mail.send_reminders(today=SEVEN_DAYS_BEFORE)
    assert sorted(m.to[0] for m in mailoutbox) == [
        "kiki2@example.jp",
        "kiki@example.jp",
        "koho@example.jp",
    ]
    message = next(m for m in mailoutbox if m.to == ["kiki@example.jp"])
    assert (
        message.subject
        == "【期限のお知らせ】令和7年度の実績・評価（5件、期限 2026年5月31日（日））"
    )
    body = message.body
    assert body.startswith("kiki-head 様\n")
    assert "あなたの担当に残っている作業が 5 件あります。" in body
    assert "（実績の入力の期限の7日前のお知らせです。）" in body
    assert "■ 実績の入力（期限 2026年5月31日（日）、あと7日）4件" in body
    assert "■ 評価の記入と提出（期限 2026年6月30日（火）、あと37日）1件" in body
    assert "http://127.0.0.1:8000/staff/kpis/1-3-K01/" in body
    assert "http://127.0.0.1:8000/staff/items/1-3/evaluations/2025/" in body
    assert "1-4" not in body  # 広報課's item is not 危機管理課's business
    assert report.count(mail.SENT) == 3
    # Every e-mail is recorded: to whom, why, when, what.
    records = EmailMessageRecord.objects.filter(kind=EmailMessageRecord.Kind.REMINDER)
    assert records.count() == 3
    record = records.get(recipient=head_a)
    assert (record.reason, record.day, record.status) == (
        "reminder:2025",
        SEVEN_DAYS_BEFORE,
        "sent",
    )
    assert record.body == body and record.sent_at is not None


@pytest.mark.django_db
def test_running_twice_the_same_day_sends_nothing_more(mailoutbox, dx_staff, heads):
    open_r7(dx_staff)
    mail.send_reminders(today=SEVEN_DAYS_BEFORE)
    again = mail.send_reminders(today=SEVEN_DAYS_BEFORE)
    assert len(mailoutbox) == 3
    assert again.count(mail.ALREADY) == 3
    assert EmailMessageRecord.objects.count() == 3


@pytest.mark.django_db
def test_it_writes_only_on_reminder_days_and_again_when_overdue(mailoutbox, dx_staff, heads):
    open_r7(dx_staff)
    assert mail.send_reminders(today=date(2026, 5, 25)).reminders == []  # 6 days before
    assert mailoutbox == []
    mail.send_reminders(today=date(2026, 5, 30))  # 1 day before
    assert len(mailoutbox) == 3
    mail.send_reminders(today=date(2026, 6, 1))  # overdue since yesterday
    assert len(mailoutbox) == 6
    overdue = mailoutbox[-1]
    assert overdue.subject.startswith("【期限超過】")
    assert "1日超過" in overdue.body


@pytest.mark.django_db
def test_nothing_is_sent_or_recorded_on_a_dry_run(mailoutbox, dx_staff, heads, capsys):
    open_r7(dx_staff)
    call_command("send_reminders", "--dry-run", "--today", "2026-05-24")
    out = capsys.readouterr().out
    assert mailoutbox == [] and not EmailMessageRecord.objects.exists()
    assert "件名: 【期限のお知らせ】令和7年度の実績・評価" in out
    assert "送信しません（--dry-run）" in out
    assert "お知らせの対象 3 人（送信予定 3 人）" in out


@pytest.mark.django_db
def test_a_head_without_an_e_mail_address_is_recorded_as_unreachable(
    mailoutbox, dx_staff, head_a, capsys
):
    open_r7(dx_staff)
    call_command("send_reminders", "--today", "2026-05-24")
    assert mailoutbox == []
    record = EmailMessageRecord.objects.get(recipient=head_a)
    assert record.status == EmailMessageRecord.Status.UNREACHABLE
    assert "メールアドレスが未登録のため送れません" in capsys.readouterr().out


@pytest.mark.django_db
def test_a_closed_round_sends_no_reminders(mailoutbox, dx_staff, heads):
    round_close(round=open_r7(dx_staff), user=dx_staff)
    assert mail.send_reminders(today=SEVEN_DAYS_BEFORE).reminders == []
    assert mailoutbox == []


@pytest.mark.django_db
def test_a_head_with_nothing_left_gets_nothing(mailoutbox, dx_staff, heads):
    from tests.pdca.test_round import enter, expected_kpis

    open_r7(dx_staff)
    for code in expected_kpis("1-3"):
        enter(code)
    Evaluation.objects.create(
        item=PriorityItem.objects.get(code="1-3"), fiscal_year=R7, status=Evaluation.Status.APPROVED
    )
    mail.send_reminders(today=SEVEN_DAYS_BEFORE)
    assert [m.to for m in mailoutbox] == [["koho@example.jp"]]


@pytest.mark.django_db
def test_a_failed_e_mail_is_kept_and_sent_by_the_next_run(
    mailoutbox, dx_staff, heads, settings, monkeypatch
):
    open_r7(dx_staff)

    def refuse(self, *args, **kwargs):
        raise OSError("接続できません")

    monkeypatch.setattr("django.core.mail.message.EmailMessage.send", refuse)
    report = mail.send_reminders(today=SEVEN_DAYS_BEFORE)
    assert report.count(mail.FAILED) == 3
    assert set(EmailMessageRecord.objects.values_list("status", flat=True)) == {"failed"}
    monkeypatch.undo()
    again = mail.send_reminders(today=SEVEN_DAYS_BEFORE)
    assert again.count(mail.ALREADY) == 3 and again.waiting_sent == 3
    assert len(mailoutbox) == 3
    assert set(EmailMessageRecord.objects.values_list("status", flat=True)) == {"sent"}


# ---- the workflow's notices --------------------------------------------------------------


def _submit(item_code, user):
    item = PriorityItem.objects.get(code=item_code)
    evaluation = evaluation_services.evaluation_open(item=item, fiscal_year=R7, user=user)
    fields = dict.fromkeys(evaluation_services.EDITABLE_FIELDS, "記入")
    return evaluation_services.evaluation_save(
        evaluation=evaluation, user=user, version=evaluation.version, fields=fields, submit=True
    )


@pytest.mark.django_db
def test_a_submission_asks_the_other_heads_to_approve(mailoutbox, heads):
    head_a, head_a2, _head_b = heads
    _submit("1-3", head_a)
    (notice,) = mailoutbox
    assert notice.to == ["kiki2@example.jp"]
    assert notice.subject == "【承認のお願い】1-3 令和7年度の評価が提出されました"
    assert "kiki-head さんが、次の評価を提出しました。" in notice.body
    assert "http://127.0.0.1:8000/staff/items/1-3/evaluations/2025/" in notice.body
    record = EmailMessageRecord.objects.get()
    assert (record.kind, record.recipient, record.status) == ("submitted", head_a2, "sent")


@pytest.mark.django_db
def test_the_submitter_hears_of_a_return_with_its_reason_and_of_an_approval(mailoutbox, heads):
    head_a, head_a2, _head_b = heads
    evaluation = _submit("1-3", head_a)
    evaluation = evaluation_services.evaluation_return(
        evaluation=evaluation, user=head_a2, version=evaluation.version, comment="数字が違います"
    )
    returned = mailoutbox[-1]
    assert returned.to == ["kiki@example.jp"]
    assert returned.subject == "【差し戻し】1-3 令和7年度の評価"
    assert "理由：数字が違います" in returned.body
    fields = dict.fromkeys(evaluation_services.EDITABLE_FIELDS, "直しました")
    evaluation = evaluation_services.evaluation_save(
        evaluation=evaluation, user=head_a, version=evaluation.version, fields=fields, submit=True
    )
    evaluation_services.evaluation_approve(
        evaluation=evaluation, user=head_a2, version=evaluation.version
    )
    approved = mailoutbox[-1]
    assert approved.to == ["kiki@example.jp"]
    assert approved.subject == "【承認されました】1-3 令和7年度の評価"
    assert [m.subject.split("】")[0] for m in mailoutbox] == [
        "【承認のお願い",
        "【差し戻し",
        "【承認のお願い",
        "【承認されました",
    ]
    assert EmailMessageRecord.objects.count() == 4


@pytest.mark.django_db
def test_no_notice_is_sent_when_the_action_is_refused(mailoutbox, heads):
    head_a, _head_a2, _head_b = heads
    evaluation = _submit("1-3", head_a)
    mailoutbox.clear()
    with pytest.raises(evaluation_services.WorkflowError):
        evaluation_services.evaluation_approve(
            evaluation=evaluation, user=head_a, version=evaluation.version
        )
    assert mailoutbox == []


# ---- two runs at once --------------------------------------------------------------------


@pytest.fixture
def plan(transactional_db, settings):
    load_plan(directory=settings.PLAN_FIXTURES_DIR)
    ensure_roles()


def test_two_runs_at_once_send_one_e_mail_per_head(plan, dx_staff, heads, settings):
    """Two cron jobs (or a cron job and a person) at the same moment: the unique constraint on
    (recipient, reason, day) lets exactly one of them record, and so send, each e-mail."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    django_mail.outbox = []
    open_r7(dx_staff)
    barrier = threading.Barrier(2)
    reports = []

    def run():
        try:
            barrier.wait(timeout=10)
            reports.append(mail.send_reminders(today=SEVEN_DAYS_BEFORE))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(reports) == 2
    assert sorted(m.to[0] for m in django_mail.outbox) == [
        "kiki2@example.jp",
        "kiki@example.jp",
        "koho@example.jp",
    ]
    assert sum(r.count(mail.SENT) for r in reports) == 3
    assert sum(r.count(mail.ALREADY) for r in reports) == 3
    assert EmailMessageRecord.objects.count() == 3


@pytest.mark.django_db
def test_an_e_mail_left_sending_by_a_dead_process_is_sent_later_but_never_twice_at_once(
    mailoutbox, dx_staff, heads
):
    from datetime import timedelta

    from django.utils import timezone

    head_a, head_a2, _head_b = heads
    now = timezone.now()
    for user, claimed in (
        (head_a, now - timedelta(hours=2)),
        (head_a2, now - timedelta(minutes=1)),
    ):
        EmailMessageRecord.objects.create(
            recipient=user,
            to_address=user.email,
            kind="submitted",
            reason=f"submitted:test:{user.pk}",
            day=SEVEN_DAYS_BEFORE,
            subject="件名",
            body="本文",
            status="sending",
            claimed_at=claimed,
            attempts=1,
        )
    assert mail.deliver_waiting() == 1
    assert [m.to for m in mailoutbox] == [["kiki@example.jp"]]
    # The one claimed a minute ago may still be on its way: left alone.
    assert EmailMessageRecord.objects.get(recipient=head_a2).status == "sending"


@pytest.mark.django_db
def test_a_reminder_being_sent_is_never_taken_by_another_run_sending_what_waits(mailoutbox, heads):
    """The interleaving two cron runs can make: one records a reminder, the other sends what
    is waiting before the first has sent it. The reminder is recorded as being sent by the run
    that recorded it, so the other leaves it alone and each run reports what it did."""
    head_a = heads[0]
    message = mail.record(
        recipient=head_a, kind=EmailMessageRecord.Kind.REMINDER, reason="reminder:2025",
        day=date(2026, 5, 24), subject="件名", body="本文", claim=True,
    )  # fmt: skip
    assert mail.deliver_waiting() == 0  # the other run
    assert mailoutbox == []
    assert mail.deliver(message.pk, claimed=True) == EmailMessageRecord.Status.SENT
    assert [m.to for m in mailoutbox] == [[head_a.email]]

"""Every e-mail the app sends: the daily reminders of the update round, the notices of the
evaluation workflow (submitted → the approvers; returned or approved → the submitter) and the
invitation of a new head. The one writer of ``EmailMessageRecord``.

Sending is in two steps, so that nothing is sent twice and nothing is lost:

1. ``record`` writes the e-mail (to whom, why, what) as a row. The unique constraint on
   (recipient, reason, day) refuses a second row for the same reason on the same day, on both
   databases and across processes: of two ``send_reminders`` running at once, one inserts and
   sends, the other's insert fails and it sends nothing. A person without an e-mail address
   gets a row too, marked unreachable (the overview lists them).
2. ``deliver`` claims a row (pending or failed → sending, one conditional UPDATE, so two
   workers never send the same row), sends it through Django's mail backend (the console by
   default, SMTP when EMAIL_HOST is set) and marks it sent or failed (a failed row is tried
   again by the next ``send_reminders`` run).

Notices are recorded inside the workflow action's transaction and handed to the background
worker (``send_emails``, django-tasks: with the database queue the task is committed together
with the action; without a running worker ``send_reminders`` sends what is still waiting).
Reminders are sent by the ``send_reminders`` command itself (run daily from cron).
"""

import logging
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django_tasks import task

from pdca import workflow
from pdca.models import EmailMessageRecord, Evaluation, Round
from pdca.rounds import round_state
from priorities.permissions import DEPARTMENT_HEAD_GROUP
from shizuoka_dx.deadlines import describe_days_left, format_date, reminder_reason
from shizuoka_dx.fiscal import format_fiscal_year

logger = logging.getLogger(__name__)

Kind = EmailMessageRecord.Kind
Status = EmailMessageRecord.Status
MAX_ATTEMPTS = 5
STALE_SENDING = timedelta(hours=1)
SIGNATURE = (
    "――――――――――――――――――――\n"
    "静岡市 DX推進課（デジタル化推進アクションプラン 進捗管理）\n"
    "このメールはシステムから自動で送っています。ご不明な点はDX推進課にお問い合わせください。"
)


def absolute(path: str) -> str:
    """An address people can open from an e-mail: SITE_URL + the path."""
    return settings.SITE_URL.rstrip("/") + path


def name_of(user) -> str:
    return user.get_full_name() or user.get_username()


# ---- 1. recording ----------------------------------------------------------------------------


def record(
    *,
    recipient,
    kind: str,
    reason: str,
    day: date,
    subject: str,
    body: str,
    round=None,
    claim: bool = False,
) -> EmailMessageRecord | None:
    """Write one e-mail to be sent; None when one for the same reason was already recorded for
    ``recipient`` on ``day`` (by this process or another one). ``claim``: recorded as being
    sent by the caller, who sends it at once (``deliver(pk, claimed=True)``), so that another run
    sending what is waiting never takes it in between."""
    sendable = bool(recipient.email)
    message = EmailMessageRecord(
        recipient=recipient,
        to_address=recipient.email or "",
        kind=kind,
        reason=reason[:100],
        day=day,
        round=round,
        subject=subject[:200],
        body=body,
        status=Status.PENDING if sendable else Status.UNREACHABLE,
    )
    if claim and sendable:
        message.status, message.attempts, message.claimed_at = Status.SENDING, 1, timezone.now()
    try:
        with transaction.atomic():
            message.save()
    except IntegrityError:
        return _reached_now(message)
    return message


def _reached_now(message: EmailMessageRecord) -> EmailMessageRecord | None:
    """The day's e-mail for this reason was recorded as unreachable (no address then) and the
    person has an address now: that record becomes the e-mail to send, once (the update takes
    only a row still unreachable, so of two runs at once one sends it). Otherwise None."""
    if not message.to_address:
        return None
    key = {"recipient": message.recipient, "reason": message.reason, "day": message.day}
    taken = EmailMessageRecord.objects.filter(**key, status=Status.UNREACHABLE).update(
        status=Status.PENDING,
        to_address=message.to_address,
        subject=message.subject,
        body=message.body,
    )
    return EmailMessageRecord.objects.get(**key) if taken else None


# ---- 2. delivering ---------------------------------------------------------------------------


def _sendable() -> Q:
    """Waiting, failed before, or left "sending" by a process that died while sending (an
    SMTP server answers in seconds: after STALE_SENDING nobody is still sending it)."""
    stale = timezone.now() - STALE_SENDING
    return Q(status__in=[Status.PENDING, Status.FAILED]) | Q(
        status=Status.SENDING, claimed_at__lt=stale
    )


def deliver(message_id: int, *, claimed: bool = False) -> str:
    """Send one recorded e-mail if nobody else is sending it (``claimed``: the caller recorded
    it as its own, ``record(claim=True)``); returns its status afterwards."""
    if not claimed:
        claimed = EmailMessageRecord.objects.filter(
            _sendable(), pk=message_id, attempts__lt=MAX_ATTEMPTS
        ).update(status=Status.SENDING, attempts=F("attempts") + 1, claimed_at=timezone.now())
    message = EmailMessageRecord.objects.select_related("recipient").get(pk=message_id)
    if not claimed:
        return message.status
    if not message.recipient.is_active:  # left (利用停止) since it was recorded: never sent
        EmailMessageRecord.objects.filter(pk=message_id).update(
            status=Status.UNREACHABLE, error="利用停止中の職員のため送りませんでした。"
        )
        return Status.UNREACHABLE
    body = message.body
    if message.kind == Kind.INVITATION:  # the link is made now and never stored
        body = body.replace(LINK_PLACEHOLDER, set_password_url(message.recipient))
    try:
        EmailMessage(
            subject=message.subject,
            body=body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[message.to_address],
        ).send()
    except Exception as exc:  # SMTP refused, timed out …: kept, tried again by the next run
        logger.warning("メール %s を送信できませんでした: %s", message_id, exc)
        EmailMessageRecord.objects.filter(pk=message_id).update(
            status=Status.FAILED, error=str(exc)[:1000]
        )
        return Status.FAILED
    EmailMessageRecord.objects.filter(pk=message_id).update(
        status=Status.SENT, sent_at=timezone.now(), error=""
    )
    return Status.SENT


def deliver_waiting() -> int:
    """Send every e-mail still waiting (no worker took it) or that failed before; the count sent."""
    waiting = EmailMessageRecord.objects.filter(_sendable(), attempts__lt=MAX_ATTEMPTS).order_by(
        "pk"
    )
    return sum(deliver(pk) == Status.SENT for pk in waiting.values_list("pk", flat=True))


@task()
def send_emails(message_ids: list[int]) -> int:
    """The background worker's task: send the recorded e-mails (the workflow's notices)."""
    return sum(deliver(pk) == Status.SENT for pk in message_ids)


def hand_to_worker(messages: list) -> None:
    ids = [m.pk for m in messages if m is not None and m.status == Status.PENDING]
    if ids:
        send_emails.enqueue(ids)


# ---- invitations ------------------------------------------------------------------------------

LINK_PLACEHOLDER = "［パスワードを設定するページのアドレス（送るときに作り、記録には残しません）］"


def set_password_url(user) -> str:
    """Django's password-reset link for ``user``: works once, for PASSWORD_RESET_TIMEOUT (7
    days), and no longer once the password is set."""
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return absolute(reverse("password_reset_confirm", kwargs={"uidb64": uid, "token": token}))


def send_invitation(user, *, actor) -> EmailMessageRecord | None:
    """The set-password e-mail to a new (or forgetful) head; None if already sent today."""
    days = settings.PASSWORD_RESET_TIMEOUT // 86400
    body = (
        f"{name_of(user)} 様\n\n"
        f"{name_of(actor)} さん（DX推進課）が、デジタル化推進アクションプランの進捗管理に"
        "あなたのアカウントを用意しました。\n"
        "次のページでパスワードを設定すると、担当する重点項目の実績の入力と評価の記入・承認が"
        "できるようになります。\n\n"
        f"ユーザー名：{user.get_username()}\n"
        f"パスワードを設定するページ：\n{LINK_PLACEHOLDER}\n\n"
        f"このリンクは{days}日間、1回だけ使えます。期限が過ぎたときは、DX推進課に再送を"
        "依頼してください。\n"
        f"設定した後は {absolute(reverse('login'))} からログインしてください。\n"
        "心当たりのない場合は、このメールを削除してください。\n\n"
        f"{SIGNATURE}\n"
    )
    message = record(
        recipient=user,
        kind=Kind.INVITATION,
        reason=f"invitation:{user.pk}",
        day=timezone.localdate(),
        subject="【デジタル化推進アクションプラン 進捗管理】パスワード設定のご案内",
        body=body,
    )
    hand_to_worker([message])
    return message


# ---- the workflow's notices ------------------------------------------------------------------


def _evaluation_lines(evaluation: Evaluation) -> tuple[str, str]:
    item = evaluation.item
    url = absolute(
        reverse(
            "staff:evaluation", kwargs={"code": item.code, "fiscal_year": evaluation.fiscal_year}
        )
    )
    what = f"{item.code} {item.title}　{format_fiscal_year(evaluation.fiscal_year)}の評価"
    return what, url


def _round_line(fiscal_year: int, today: date) -> str:
    round_ = Round.objects.filter(fiscal_year=fiscal_year).first()
    if round_ is None:
        return ""
    left = describe_days_left((round_.evaluations_due - today).days)
    return f"評価の期限（承認まで）は {format_date(round_.evaluations_due)}（{left}）です。\n"


def approvers_of(evaluation: Evaluation) -> list:
    """The active heads who may approve ``evaluation`` now (four eyes: never the submitter or
    the last editor)."""
    heads = (
        get_user_model()
        .objects.filter(
            is_active=True,
            groups__name=DEPARTMENT_HEAD_GROUP,
            departments__in=evaluation.item.departments.all(),
        )
        .distinct()
        .prefetch_related("groups", "departments")
        .order_by("pk")
    )
    return workflow.approvers(evaluation, heads)


def notify_submitted(evaluation: Evaluation, *, actor) -> list:
    """To every head who may approve: 「承認をお願いします」."""
    today = timezone.localdate()
    what, url = _evaluation_lines(evaluation)
    messages = []
    for approver in approvers_of(evaluation):
        body = (
            f"{name_of(approver)} 様\n\n"
            f"{name_of(actor)} さんが、次の評価を提出しました。内容を確認して、承認するか、"
            "理由を書いて差し戻してください。\n\n"
            f"・{what}\n  {url}\n\n"
            f"{_round_line(evaluation.fiscal_year, today)}"
            "提出した人と最後に編集した人は承認できないため、あなたに依頼しています。\n\n"
            f"{SIGNATURE}\n"
        )
        messages.append(
            record(
                recipient=approver,
                kind=Kind.SUBMITTED,
                reason=f"submitted:{evaluation.pk}:{evaluation.version}",
                day=today,
                subject=f"【承認のお願い】{evaluation.item.code} {format_fiscal_year(evaluation.fiscal_year, western=False)}の評価が提出されました",
                body=body,
            )
        )
    hand_to_worker(messages)
    return messages


def notify_submitter(evaluation: Evaluation, *, submitter, actor, kind: str, comment="") -> list:
    """To the person who submitted: returned (with the reason) or approved."""
    if submitter is None or not submitter.is_active:
        return []
    today = timezone.localdate()
    what, url = _evaluation_lines(evaluation)
    era = format_fiscal_year(evaluation.fiscal_year, western=False)
    if kind == Kind.APPROVED:
        subject = f"【承認されました】{evaluation.item.code} {era}の評価"
        lead = f"{name_of(actor)} さんが、あなたの提出した次の評価を承認しました。"
        after = "この年度の実績は変更できなくなりました。公表はDX推進課が行います。\n"
    else:
        subject = f"【差し戻し】{evaluation.item.code} {era}の評価"
        lead = f"{name_of(actor)} さんが、次の評価を下書きに戻しました。"
        after = (
            f"理由：{comment}\n\n内容を直して、もう一度提出してください。\n"
            f"{_round_line(evaluation.fiscal_year, today)}"
        )
    body = f"{name_of(submitter)} 様\n\n{lead}\n\n・{what}\n  {url}\n\n{after}\n{SIGNATURE}\n"
    message = record(
        recipient=submitter,
        kind=kind,
        reason=f"{kind}:{evaluation.pk}:{evaluation.version}",
        day=today,
        subject=subject,
        body=body,
    )
    hand_to_worker([message])
    return [message]


# ---- the daily reminders ---------------------------------------------------------------------

KIND_HEADINGS = {
    "actual": "実績の入力",
    "evaluation": "評価の記入と提出",
    "approval": "提出された評価の承認",
}


DEADLINE_NAMES = {"actual": "実績の入力", "evaluation": "評価", "approval": "評価"}


@dataclass
class Reminder:
    head: object  # rounds.Head
    round: Round
    why: list[str]
    subject: str
    body: str
    outcome: str = ""  # sent, already sent today, unreachable, failed, dry run


@dataclass
class ReminderReport:
    today: date
    reminders: list[Reminder] = field(default_factory=list)
    waiting_sent: int = 0

    def count(self, outcome: str) -> int:
        return sum(r.outcome == outcome for r in self.reminders)


SENT, ALREADY, UNREACHABLE, FAILED, DRY_RUN = (
    "送信しました",
    "本日は送信済みのため送りません",
    "メールアドレスが未登録のため送れません",
    "送信できませんでした（次回もう一度送ります）",
    "送信しません（--dry-run）",
)


def reminder_text(state, head, tasks, why) -> tuple[str, str]:
    """The subject and body of one head's reminder: everything they owe in the round."""
    era = format_fiscal_year(state.fiscal_year)
    overdue = any(task.overdue for task in tasks)
    earliest = min(task.due for task in tasks)
    subject = (
        f"【{'期限超過' if overdue else '期限のお知らせ'}】{format_fiscal_year(state.fiscal_year, western=False)}の"
        f"実績・評価（{len(tasks)}件、期限 {format_date(earliest)}）"
    )
    lines = [
        f"{head.name} 様",
        "",
        f"デジタル化推進アクションプランの{era}の更新（照会）で、"
        f"あなたの担当に残っている作業が {len(tasks)} 件あります。",
        f"（{'、'.join(why)}のお知らせです。）",
        "",
    ]
    groups: dict[tuple, list] = {}
    for owed in tasks:
        groups.setdefault((owed.kind, owed.due), []).append(owed)
    for (kind, due), group in sorted(groups.items(), key=lambda g: (g[0][1], g[0][0])):
        left = describe_days_left((due - state.today).days)
        lines.append(f"■ {KIND_HEADINGS[kind]}（期限 {format_date(due)}、{left}）{len(group)}件")
        for owed in group:
            lines.append(f"・{owed.item_code} {owed.item_title}")
            lines.append(f"  {owed.what}")
            if owed.note:
                lines.append(f"  {owed.note}")
            lines.append(f"  {absolute(owed.url)}")
        lines.append("")
    lines += [
        f"作業の一覧（わたしの作業）：{absolute(reverse('staff:dashboard'))}",
        "期限に間に合わない場合は、DX推進課にご相談ください。",
        "",
        SIGNATURE,
        "",
    ]
    return subject, "\n".join(lines)


def send_reminders(
    *, today: date, dry_run: bool = False, fiscal_year: int | None = None
) -> ReminderReport:
    """Each department head with work in an open round, on a reminder day of any of its due
    dates (REMINDER_DAYS before it; the day after it and every REMINDER_OVERDUE_EVERY days
    after), gets one e-mail listing everything they owe. Never twice a day for a round.
    ``fiscal_year`` limits it to that year's round (the button on the round's page)."""
    report = ReminderReport(today=today)
    before = tuple(settings.REMINDER_DAYS)
    every = settings.REMINDER_OVERDUE_EVERY
    open_rounds = Round.objects.filter(status=Round.Status.OPEN).order_by("fiscal_year")
    if fiscal_year is not None:
        open_rounds = open_rounds.filter(fiscal_year=fiscal_year)
    for round_ in open_rounds:
        state = round_state(round_, today=today)
        work = state.head_work()
        recipients = get_user_model().objects.in_bulk([head.pk for head, _ in work])
        for head, tasks in work:
            why = sorted(
                {
                    f"{DEADLINE_NAMES[t.kind]}の{reason}"
                    for t in tasks
                    if (reason := reminder_reason(t.due, today, before=before, overdue_every=every))
                }
            )
            if not why:
                continue
            subject, body = reminder_text(state, head, tasks, why)
            reminder = Reminder(head, round_, why, subject, body)
            report.reminders.append(reminder)
            if dry_run:
                reminder.outcome = UNREACHABLE if not head.reachable else DRY_RUN
                continue
            message = record(
                recipient=recipients[head.pk],
                kind=Kind.REMINDER,
                reason=f"reminder:{round_.fiscal_year}",
                day=today,
                subject=subject,
                body=body,
                round=round_,
                claim=True,
            )
            if message is None:
                reminder.outcome = ALREADY
            elif message.status == Status.UNREACHABLE:
                reminder.outcome = UNREACHABLE
            else:
                sent = deliver(message.pk, claimed=True) == Status.SENT
                reminder.outcome = SENT if sent else FAILED
    if not dry_run:
        report.waiting_sent = deliver_waiting()
    return report


def unreachable_heads() -> list:
    """Active department heads without an e-mail address (the overview lists them)."""
    return list(
        get_user_model()
        .objects.filter(is_active=True, groups__name=DEPARTMENT_HEAD_GROUP)
        .filter(Q(email="") | Q(email__isnull=True))
        .order_by("last_name", "username")
    )

"""The yearly cycle's records: each item's evaluation (CHECK・ACT) and each publication; and what
the staff pages keep between requests in the database, so that any app server can answer the next
one: an uploaded file waiting between its preview and its confirmation, and background work.

The tables keep their first names (``priorities_…``): these models moved here from the
priorities app when the PDCA layer got an app of its own, without touching stored data.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from priorities.models import PriorityItem
from shizuoka_dx.fiscal import format_fiscal_year
from shizuoka_dx.validators import validate_fiscal_year


class EvaluationQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(item__in=PriorityItem.objects.for_user(user))


class Evaluation(models.Model):
    """The yearly CHECK and ACT of one item: analysis, issues, countermeasures, next year's plan."""

    class Status(models.TextChoices):
        DRAFT = "draft", "下書き"
        SUBMITTED = "submitted", "提出済み（承認待ち）"
        APPROVED = "approved", "承認済み"
        PUBLISHED = "published", "公表済み"

    item = models.ForeignKey(
        PriorityItem, verbose_name="重点項目", on_delete=models.CASCADE, related_name="evaluations"
    )
    fiscal_year = models.PositiveSmallIntegerField("年度", validators=[validate_fiscal_year])
    status = models.CharField("状態", max_length=10, choices=Status.choices, default=Status.DRAFT)
    quantitative = models.TextField(
        "達成状況の分析（定量）",
        blank=True,
        help_text="KPIの達成率と評価から作った文案を修正できます。",
    )
    qualitative = models.TextField("達成状況の分析（定性）", blank=True)
    issues = models.TextField("課題", blank=True)
    countermeasures = models.TextField("対策", blank=True)
    next_plan = models.TextField("次年度の取組（PLAN・DO）", blank=True)
    # Each roadmap step's status this year, set with the evaluation (issue 15, item 3):
    # {"<RoadmapEntry pk>": {"status": "doing", "note": "…"}}.
    roadmap_statuses = models.JSONField("ロードマップの進捗", default=dict, blank=True)
    return_comment = models.TextField("差し戻し・再開の理由", blank=True)
    last_edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="最後に編集した人",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="提出した人",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    submitted_at = models.DateTimeField("提出日時", null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="承認した人",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    approved_at = models.DateTimeField("承認日時", null=True, blank=True)
    published_at = models.DateTimeField("公表日時", null=True, blank=True)
    is_demo = models.BooleanField("デモ用の架空の評価", default=False)
    version = models.PositiveIntegerField("版", default=1)
    updated_at = models.DateTimeField("更新日時", auto_now=True)
    history = HistoricalRecords(table_name="priorities_historicalevaluation")

    objects = EvaluationQuerySet.as_manager()

    class Meta:
        db_table = "priorities_evaluation"
        verbose_name = "年度評価（CHECK・ACT）"
        verbose_name_plural = "年度評価（CHECK・ACT）"
        ordering = ["item__pillar__number", "item__order", "fiscal_year"]
        constraints = [
            models.UniqueConstraint(
                fields=["item", "fiscal_year"],
                name="unique_evaluation_per_item_and_fiscal_year",
                violation_error_message="この項目のこの年度の評価はすでにあります。",
            )
        ]

    def __str__(self):
        return f"{self.item.code} {self.fiscal_year}年度 評価（{self.get_status_display()}）"

    @property
    def locks_actuals(self) -> bool:
        return self.status in {self.Status.APPROVED, self.Status.PUBLISHED}


class StepStatus(models.TextChoices):
    """A roadmap step's status in a fiscal year. 予定・実施中・完了 are on track."""

    PLANNED = "planned", "予定"
    DOING = "doing", "実施中"
    DONE = "done", "完了"
    LATE = "late", "遅れ"
    REVISED = "revised", "見直し"


ON_TRACK = {StepStatus.PLANNED, StepStatus.DOING, StepStatus.DONE}


class PublishedSnapshot(models.Model):
    """What the public sees for a fiscal year: the open-data document frozen at publication."""

    fiscal_year = models.PositiveSmallIntegerField("年度", validators=[validate_fiscal_year])
    version = models.PositiveIntegerField(
        "版", default=1, help_text="同じ年度を公表し直すたびに1つ増えます。以前の版も残ります。"
    )
    document = models.JSONField("公表した内容（オープンデータ）")
    published_at = models.DateTimeField("公表日時")
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="公表した人",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    forced_reason = models.TextField("未承認の項目があるまま公表した理由", blank=True)
    correction_reason = models.TextField(
        "訂正の理由", blank=True, help_text="公表済みの年度を公表し直すとき、何をなぜ直したか。"
    )
    corrections = models.JSONField(
        "前の版からの訂正", default=list, blank=True, help_text="変わった値（何が、前、後）。"
    )
    history = HistoricalRecords(
        excluded_fields=["document", "corrections"],
        table_name="priorities_historicalpublishedsnapshot",
    )

    class Meta:
        db_table = "priorities_publishedsnapshot"
        verbose_name = "公表した年度"
        verbose_name_plural = "公表した年度"
        ordering = ["-fiscal_year", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["fiscal_year", "version"], name="unique_publication_version"
            )
        ]

    def __str__(self):
        return f"{self.fiscal_year}年度の公表（第{self.version}版）"


class PlanRevision(models.Model):
    """A proposed revision of the plan: a list of changes to its text, KPI definitions, roadmap
    and systems, with the reason and the first fiscal year it applies to.

    下書き ──提出──► 承認待ち ──承認──► 承認済み ──公表──► 公表済み（第N版）
      ▲   ◄──差し戻し──┘
    DX staff write and submit it; the head of DX (a 所管課長 of DX推進課) who neither submitted
    it nor edited it last approves it (four eyes, as for evaluations); DX staff publish it,
    which applies the changes through pdca/services/revisions.py and makes the next edition.
    Each change: {"target": "kpi", "key": "3-1-K01", "field": "name", "old": …, "new": …}."""

    class Status(models.TextChoices):
        DRAFT = "draft", "下書き"
        SUBMITTED = "submitted", "提出済み（承認待ち）"
        APPROVED = "approved", "承認済み"
        PUBLISHED = "published", "公表済み"

    title = models.CharField("改訂の件名", max_length=200)
    reason = models.TextField("改訂の理由", help_text="公開する改訂履歴に載ります。")
    effective_fiscal_year = models.PositiveSmallIntegerField(
        "適用する最初の年度",
        validators=[validate_fiscal_year],
        help_text="この年度から新しい版で評価します。それより前の年度は前の版のままです。",
    )
    status = models.CharField("状態", max_length=10, choices=Status.choices, default=Status.DRAFT)
    changes = models.JSONField("変更の内容", default=list, blank=True)
    return_comment = models.TextField("差し戻しの理由", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="作成した人", on_delete=models.SET_NULL,
        null=True, blank=True, related_name="+",
    )  # fmt: skip
    last_edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="最後に編集した人", on_delete=models.SET_NULL,
        null=True, blank=True, related_name="+",
    )  # fmt: skip
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="提出した人", on_delete=models.SET_NULL,
        null=True, blank=True, related_name="+",
    )  # fmt: skip
    submitted_at = models.DateTimeField("提出日時", null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="承認した人", on_delete=models.SET_NULL,
        null=True, blank=True, related_name="+",
    )  # fmt: skip
    approved_at = models.DateTimeField("承認日時", null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="公表した人", on_delete=models.SET_NULL,
        null=True, blank=True, related_name="+",
    )  # fmt: skip
    published_at = models.DateTimeField("公表日時", null=True, blank=True)
    edition = models.OneToOneField(
        "priorities.PlanEdition", verbose_name="公表した版", on_delete=models.PROTECT,
        null=True, blank=True, related_name="revision",
    )  # fmt: skip
    version = models.PositiveIntegerField("版（同時編集の確認用）", default=1)
    updated_at = models.DateTimeField("更新日時", auto_now=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "計画の改訂案"
        verbose_name_plural = "計画の改訂案"
        ordering = ["-pk"]

    def __str__(self):
        return f"{self.title}（{self.get_status_display()}）"


class SupportCase(models.Model):
    """One case of the DX division's PMO support (plan §5: 伴走したシステム開発やツール導入等):
    entered by DX staff through pdca/services/support_cases.py."""

    class Category(models.TextChoices):
        BASE = "base", "基盤"
        TOOL = "tool", "ツール"
        SKILLS = "skills", "育成"

    class Mode(models.TextChoices):
        ACCOMPANY = "accompany", "伴走支援"
        SPREAD = "spread", "横展開"

    class Stage(models.TextChoices):
        PLANNING = "planning", "企画・計画"
        EXECUTING = "executing", "遂行"
        DONE = "done", "完了"
        STOPPED = "stopped", "中止"

    title = models.CharField("件名", max_length=200)
    department = models.ForeignKey(
        "priorities.Department", verbose_name="支援した課", on_delete=models.PROTECT,
        related_name="support_cases",
    )  # fmt: skip
    category = models.CharField("分野", max_length=10, choices=Category.choices)
    mode = models.CharField("支援の形", max_length=10, choices=Mode.choices)
    started_on = models.DateField("開始日")
    ended_on = models.DateField("終了日", null=True, blank=True)
    stage = models.CharField("段階", max_length=10, choices=Stage.choices)
    item = models.ForeignKey(
        PriorityItem, verbose_name="関連する重点項目", on_delete=models.SET_NULL, null=True,
        blank=True, related_name="support_cases",
    )  # fmt: skip
    note = models.TextField("備考", blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="入力した人", on_delete=models.SET_NULL,
        null=True, blank=True, related_name="+",
    )  # fmt: skip
    updated_at = models.DateTimeField("更新日時", auto_now=True)
    version = models.PositiveIntegerField("版", default=1)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "PMOの支援案件"
        verbose_name_plural = "PMOの支援案件"
        ordering = ["-started_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ended_on__isnull=True)
                | models.Q(ended_on__gte=models.F("started_on")),
                name="support_case_dates_in_order",
                violation_error_message="終了日は開始日以降にしてください。",
            )
        ]

    def __str__(self):
        return self.title

    def active_in(self, fiscal_year: int) -> bool:
        """Supported during the fiscal year (April to March)."""
        from datetime import date

        start, end = date(fiscal_year, 4, 1), date(fiscal_year + 1, 3, 31)
        return self.started_on <= end and (self.ended_on is None or self.ended_on >= start)


class PendingUpload(models.Model):
    """An uploaded actuals file between its preview and its confirmation (pdca/uploads.py).

    Kept in the database, not on one server's disk: the preview may be answered by one app server
    (or a background worker) and the confirmation by another. Removed when the preview is refused
    or fails, on confirm and on cancel; ``cleanup_uploads`` removes what is left after a day.
    """

    token = models.CharField("受付番号", max_length=64, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="アップロードした人", on_delete=models.CASCADE
    )
    name = models.CharField("ファイル名", max_length=255)
    content = models.BinaryField("ファイルの内容")
    size = models.PositiveIntegerField("大きさ（バイト）")
    # The version of every figure the preview showed ("KPI:FY" → version), set once a preview
    # succeeded; confirming passes them back (pdca/services/imports.py).
    seen = models.JSONField("確認したときの版", null=True, blank=True)
    created_at = models.DateTimeField("アップロードした日時", default=timezone.now, db_index=True)

    class Meta:
        verbose_name = "確認待ちのアップロード"
        verbose_name_plural = "確認待ちのアップロード"

    def __str__(self):
        return self.name

    @property
    def previewed(self) -> bool:
        return self.seen is not None


class BackgroundJob(models.Model):
    """Long work done by a worker (pdca/tasks.py) for one person: its progress, then its result.

    The status page (/staff/jobs/<id>/) reads it from any app server. Only the person who started
    it sees it; the work runs with that person's rights, checked again when it runs.
    """

    class Kind(models.TextChoices):
        FORMS_WORKBOOK = "forms_workbook", "様式（Excel）の書き出し"
        IMPORT_PREVIEW = "import_preview", "取り込む内容の確認"
        IMPORT_CONFIRM = "import_confirm", "実績の取り込み"
        PUBLISH = "publish", "進捗の公表"
        REMINDERS = "reminders", "期限のお知らせの送信"

    class Status(models.TextChoices):
        QUEUED = "queued", "順番を待っています"
        RUNNING = "running", "処理しています"
        DONE = "done", "終わりました"
        REFUSED = "refused", "できませんでした"
        FAILED = "failed", "問題が起きて止まりました"

    FINISHED = (Status.DONE, Status.REFUSED, Status.FAILED)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField("処理", max_length=20, choices=Kind.choices)
    status = models.CharField("状態", max_length=10, choices=Status.choices, default=Status.QUEUED)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="始めた人",
        on_delete=models.CASCADE,
        related_name="+",
    )
    params = models.JSONField("指定した内容", default=dict)
    progress_done = models.PositiveIntegerField("進んだ数", default=0)
    progress_total = models.PositiveIntegerField("全体の数", default=0)
    progress_text = models.CharField("いまの作業", max_length=200, blank=True)
    result = models.JSONField("結果", default=dict)
    file_name = models.CharField("結果のファイル名", max_length=200, blank=True)
    file = models.BinaryField("結果のファイル", null=True, blank=True)
    created_at = models.DateTimeField("始めた日時", default=timezone.now, db_index=True)
    started_at = models.DateTimeField("処理を始めた日時", null=True, blank=True)
    finished_at = models.DateTimeField("終わった日時", null=True, blank=True)

    class Meta:
        verbose_name = "バックグラウンド処理"
        verbose_name_plural = "バックグラウンド処理"

    def __str__(self):
        return f"{self.get_kind_display()}（{self.get_status_display()}）"

    @property
    def finished(self) -> bool:
        return self.status in self.FINISHED

    @property
    def percent(self) -> int | None:
        if not self.progress_total:
            return None
        return min(100, round(100 * self.progress_done / self.progress_total))


class Round(models.Model):
    """The yearly update round (照会) of one fiscal year: when actuals and evaluations are due.

    The fiscal year is the one reported on (令和7年度's round collects 令和7年度's actuals in the
    spring of 令和8年度). Departments may get other due dates (``RoundDeadline``). Written only by
    pdca/services/round.py, with who, when and why in the history."""

    class Status(models.TextChoices):
        OPEN = "open", "実施中"
        CLOSED = "closed", "終了"

    fiscal_year = models.PositiveSmallIntegerField(
        "年度", unique=True, validators=[validate_fiscal_year]
    )
    actuals_due = models.DateField("実績の入力期限")
    evaluations_due = models.DateField("評価の期限（承認まで）")
    status = models.CharField("状態", max_length=10, choices=Status.choices, default=Status.OPEN)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="開始した人",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    opened_at = models.DateTimeField("開始日時", default=timezone.now)
    is_demo = models.BooleanField("デモ用のラウンド", default=False)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "更新ラウンド（照会）"
        verbose_name_plural = "更新ラウンド（照会）"
        ordering = ["-fiscal_year"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(evaluations_due__gte=models.F("actuals_due")),
                name="round_evaluations_due_after_actuals_due",
                violation_error_message="評価の期限は、実績の入力期限と同じ日かそれより後にしてください。",
            )
        ]

    def __str__(self):
        return f"{format_fiscal_year(self.fiscal_year)}の更新ラウンド"

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN


class RoundDeadline(models.Model):
    """Other due dates for one department in a round (a blank date keeps the round's own)."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="deadlines")
    department = models.ForeignKey(
        "priorities.Department", verbose_name="所管課", on_delete=models.CASCADE, related_name="+"
    )
    actuals_due = models.DateField("実績の入力期限", null=True, blank=True)
    evaluations_due = models.DateField("評価の期限（承認まで）", null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "所管課ごとの期限"
        verbose_name_plural = "所管課ごとの期限"
        constraints = [
            models.UniqueConstraint(
                fields=["round", "department"], name="unique_round_deadline_per_department"
            )
        ]

    def __str__(self):
        return f"{self.round} {self.department}"


class EmailMessageRecord(models.Model):
    """Every e-mail the app sends (or could not send): to whom, when, why and what it said.

    ``reason`` says what the e-mail is about (「reminder:2025」 for the daily reminder of the
    令和7年度 round, 「submitted:<evaluation>:<version>」 for a notice); the unique constraint on
    (recipient, reason, day) is what makes "never twice for the same reason on the same day"
    hold even when two processes send at once: the second insert fails and sends nothing."""

    class Kind(models.TextChoices):
        REMINDER = "reminder", "期限のお知らせ"
        SUBMITTED = "submitted", "承認の依頼"
        RETURNED = "returned", "差し戻しのお知らせ"
        APPROVED = "approved", "承認のお知らせ"
        INVITATION = "invitation", "利用開始のご案内"

    class Status(models.TextChoices):
        PENDING = "pending", "送信待ち"
        SENDING = "sending", "送信中"
        SENT = "sent", "送信済み"
        FAILED = "failed", "送信できませんでした"
        UNREACHABLE = "unreachable", "宛先なし（メールアドレス未登録）"

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="宛先の人",
        on_delete=models.PROTECT,
        related_name="+",
    )
    to_address = models.EmailField("宛先のメールアドレス", blank=True)
    kind = models.CharField("種類", max_length=20, choices=Kind.choices)
    reason = models.CharField("理由", max_length=100)
    day = models.DateField("日付", db_index=True)
    round = models.ForeignKey(
        Round, verbose_name="更新ラウンド", on_delete=models.SET_NULL, null=True, blank=True
    )
    subject = models.CharField("件名", max_length=200)
    body = models.TextField("本文")
    status = models.CharField("状態", max_length=12, choices=Status.choices, default=Status.PENDING)
    error = models.TextField("送信できなかった理由", blank=True)
    created_at = models.DateTimeField("記録した日時", default=timezone.now, db_index=True)
    claimed_at = models.DateTimeField("送信を始めた日時", null=True, blank=True)
    sent_at = models.DateTimeField("送信日時", null=True, blank=True)
    attempts = models.PositiveSmallIntegerField("送信を試みた回数", default=0)

    class Meta:
        verbose_name = "送信したメール"
        verbose_name_plural = "送信したメール"
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "reason", "day"],
                name="one_email_per_person_reason_and_day",
                violation_error_message="同じ理由のメールは、同じ日に同じ人へ一度しか送りません。",
            )
        ]

    def __str__(self):
        return f"{self.day} {self.get_kind_display()} {self.to_address or '（宛先なし）'}"


class AccountEvent(models.Model):
    """A change to a staff account made by DX staff (invited, role, departments, e-mail,
    deactivated), with who did it and why. Department membership is also kept in the
    departments' own history (priorities.Department.history)."""

    class Action(models.TextChoices):
        INVITED = "invited", "招待"
        CHANGED = "changed", "変更"
        DEACTIVATED = "deactivated", "利用停止"
        REACTIVATED = "reactivated", "利用再開"
        INVITATION_SENT = "invitation_sent", "招待メールの再送"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="対象の人",
        on_delete=models.CASCADE,
        related_name="account_events",
    )
    action = models.CharField("操作", max_length=20, choices=Action.choices)
    changes = models.JSONField("変わった内容", default=list)
    reason = models.CharField("理由", max_length=200, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="操作した人",
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    at = models.DateTimeField("日時", default=timezone.now)

    class Meta:
        verbose_name = "アカウントの変更履歴"
        verbose_name_plural = "アカウントの変更履歴"
        ordering = ["-at", "-pk"]

    def __str__(self):
        return f"{self.user} {self.get_action_display()}"

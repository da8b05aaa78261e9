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

    item = models.ForeignKey(PriorityItem, on_delete=models.CASCADE, related_name="evaluations")
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

"""The yearly cycle's records: each item's evaluation (CHECK・ACT) and each publication.

The tables keep their first names (``priorities_…``): these models moved here from the
priorities app when the PDCA layer got an app of its own, without touching stored data.
"""

from django.conf import settings
from django.db import models
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
    history = HistoricalRecords(
        excluded_fields=["document"], table_name="priorities_historicalpublishedsnapshot"
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

"""The plan, its pillars and priority items, and each item's Form ① (様式①) content."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from simple_history.models import HistoricalRecords

from shizuoka_dx.history import BothSidesHistory
from shizuoka_dx.validators import validate_fiscal_year


class Plan(models.Model):
    title = models.CharField("計画名", max_length=200)
    established = models.CharField(
        "策定（印字どおり）", max_length=50, help_text="例: 令和７年３月"
    )
    basic_policies = models.JSONField("基本方針", default=list, blank=True)
    purpose = models.TextField("策定の目的", blank=True)
    supplement = models.TextField("全庁的な取組（補足）", blank=True)
    printed_figures = models.JSONField(
        "計画書に印字された実績",
        default=dict,
        blank=True,
        help_text="例: 伴走支援の件数 33件（令和６年度実績）。登録した件数の横に示します。",
    )
    sections = models.JSONField(
        "計画の本文（章ごと）",
        default=list,
        blank=True,
        help_text="1〜3章と5章の本文を、計画の順に（見出し・段落・表）。4章は重点項目です。",
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = "計画"
        verbose_name_plural = "計画"

    def __str__(self):
        return self.title


class Lineage(models.TextChoices):
    """What became of a KPI or item across editions of the plan."""

    CONTINUED = "continued", "継続"
    MERGED = "merged", "統合"
    REVISED = "revised", "見直し"
    RETIRED = "retired", "廃止"


class Department(models.Model):
    name = models.CharField("課名", max_length=100, unique=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name="所属する職員",
        related_name="departments",
        blank=True,
    )
    # Membership decides who sees and approves what, so its changes are kept too, whichever
    # side they are made from (``department.members.add`` or ``user.departments.set``).
    history = BothSidesHistory(m2m_fields=[members])

    class Meta:
        verbose_name = "所管課"
        verbose_name_plural = "所管課"
        ordering = ["name"]

    def __str__(self):
        return self.name


class Pillar(models.Model):
    plan = models.ForeignKey(
        Plan, verbose_name="計画", on_delete=models.CASCADE, related_name="pillars"
    )
    number = models.PositiveSmallIntegerField("番号")
    title = models.CharField("基本方針の柱", max_length=200)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "基本方針の柱"
        verbose_name_plural = "基本方針の柱"
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="unique_pillar_number_per_plan")
        ]

    def __str__(self):
        return f"{self.number}. {self.title}"


class PriorityItemQuerySet(models.QuerySet):
    def in_plan_order(self):
        return self.order_by("pillar__number", "order")

    def for_user(self, user):
        """The items a user may see on staff pages: all for DX staff, their own for heads."""
        from priorities.permissions import department_ids, is_department_head, is_dx_staff

        if is_dx_staff(user):
            return self
        if is_department_head(user):
            return self.filter(departments__in=department_ids(user)).distinct()
        return self.none()


class PriorityItem(models.Model):
    pillar = models.ForeignKey(
        Pillar, verbose_name="基本方針の柱", on_delete=models.PROTECT, related_name="items"
    )
    code = models.CharField(
        "項目番号",
        max_length=10,
        unique=True,
        help_text="例: 1-1（柱の番号-項目の番号）",
    )
    order = models.PositiveSmallIntegerField("柱の中での順番")
    title = models.CharField("重点項目名", max_length=200)
    has_form2 = models.BooleanField("様式②あり", default=False)
    tools_heading = models.CharField(
        "主な業務システムの見出し（印字どおり）",
        max_length=200,
        blank=True,
        help_text="例: 標準化対象各業務システム（各所管課）",
    )
    departments_text = models.CharField(
        "所管課（印字どおり）",
        max_length=300,
        blank=True,
        help_text="様式①に印字された所管課。印字がない項目は空欄（公開ページに所管を出しません）。",
    )
    departments = models.ManyToManyField(
        Department, verbose_name="所管課", related_name="items", blank=True
    )
    lineage = models.CharField(
        "版をまたいだ扱い", max_length=10, choices=Lineage.choices, default=Lineage.CONTINUED
    )
    successor = models.ForeignKey(
        "self", verbose_name="引き継いだ重点項目", on_delete=models.SET_NULL, null=True,
        blank=True, related_name="predecessors",
    )  # fmt: skip

    objects = PriorityItemQuerySet.as_manager()
    history = BothSidesHistory(m2m_fields=[departments])

    class Meta:
        verbose_name = "重点項目"
        verbose_name_plural = "重点項目"
        ordering = ["pillar__number", "order"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(code__regex=r"^[1-9]-[1-9][0-9]{0,2}$"),
                name="item_code_format",
                violation_error_message="項目番号は「1-1」の形で入力してください。",
            )
        ]

    def __str__(self):
        return f"{self.code} {self.title}"

    def get_absolute_url(self):
        return reverse("public:item", kwargs={"code": self.code})

    def clean(self):
        if self.successor_id and self.successor_id == self.pk:
            raise ValidationError(
                {"successor": "引き継いだ重点項目に、この重点項目自身は選べません。"}
            )

    def narrative(self, section: str) -> list[str]:
        """The texts of one 現状 / 目指す姿 / 課題 block, in order (``bullets`` prefetched)."""
        bullets = sorted(self.bullets.all(), key=lambda bullet: bullet.order)
        return [bullet.text for bullet in bullets if bullet.section == section]


class NarrativeBullet(models.Model):
    """One bullet of Form ①'s 現状 / 目指す姿 / 課題 blocks."""

    class Section(models.TextChoices):
        AS_IS = "as_is", "現状（As-Is）"
        TO_BE = "to_be", "目指す姿（To-be）"
        GAP = "gap", "課題（Gap）"

    item = models.ForeignKey(
        PriorityItem, verbose_name="重点項目", on_delete=models.CASCADE, related_name="bullets"
    )
    section = models.CharField("欄", max_length=10, choices=Section.choices)
    order = models.PositiveSmallIntegerField("順番")
    text = models.TextField("記載内容")
    history = HistoricalRecords()

    class Meta:
        verbose_name = "現状・目指す姿・課題の記載"
        verbose_name_plural = "現状・目指す姿・課題の記載"
        ordering = ["item", "section", "order"]
        constraints = [
            models.UniqueConstraint(
                fields=["item", "section", "order"], name="unique_bullet_position"
            )
        ]

    def __str__(self):
        return f"{self.item.code} {self.get_section_display()} {self.order}"


class Initiative(models.Model):
    """A 主な取組 row of Form ①."""

    item = models.ForeignKey(
        PriorityItem, verbose_name="重点項目", on_delete=models.CASCADE, related_name="initiatives"
    )
    number = models.PositiveSmallIntegerField("番号")
    name = models.CharField("取組名", max_length=200)
    ref = models.CharField("推進プランの番号", max_length=20, blank=True, help_text="例: 1-1-2")
    repeated = models.BooleanField("再掲", default=False)
    group = models.CharField(
        "取組のまとまり（印字どおり）",
        max_length=200,
        blank=True,
        help_text="複数の取組の上に印字された見出し。例: 区役所窓口改革推進事業",
    )
    kpi_note = models.TextField("KPIについての記載（省略の理由など）", blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "主な取組"
        verbose_name_plural = "主な取組"
        ordering = ["item", "number"]
        constraints = [
            models.UniqueConstraint(fields=["item", "number"], name="unique_initiative_number")
        ]

    def __str__(self):
        return f"{self.item.code} {self.number}. {self.name}"


class RoadmapEntry(models.Model):
    initiative = models.ForeignKey(
        Initiative, verbose_name="取組", on_delete=models.CASCADE, related_name="roadmap"
    )
    order = models.PositiveSmallIntegerField("順番")
    fiscal_year = models.PositiveSmallIntegerField(
        "開始年度", null=True, blank=True, validators=[validate_fiscal_year]
    )
    until_fiscal_year = models.PositiveSmallIntegerField(
        "終了年度", null=True, blank=True, validators=[validate_fiscal_year]
    )
    text = models.CharField("内容", max_length=300)
    # The text extraction of the plan keeps no column positions: a year read from the order and
    # meaning of the phrases (not printed beside them) is a reading, shown as 「推定」.
    year_inferred = models.BooleanField("年度は推定", default=False)
    year_note = models.CharField("年度の推定の理由", max_length=300, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "ロードマップ"
        verbose_name_plural = "ロードマップ"
        ordering = ["initiative", "order"]
        constraints = [
            models.UniqueConstraint(fields=["initiative", "order"], name="unique_roadmap_position"),
            models.CheckConstraint(
                condition=models.Q(until_fiscal_year__isnull=True)
                | models.Q(fiscal_year__isnull=True)
                | models.Q(until_fiscal_year__gte=models.F("fiscal_year")),
                name="roadmap_years_in_order",
                violation_error_message="終了年度は開始年度以降にしてください。",
            ),
        ]

    def __str__(self):
        return self.text

    def covers(self, year: int) -> bool:
        if self.fiscal_year is None:
            return False
        return self.fiscal_year <= year <= (self.until_fiscal_year or self.fiscal_year)


class FormTool(models.Model):
    """A row of Form ①'s 主な業務システム/活用ツール list."""

    item = models.ForeignKey(
        PriorityItem, verbose_name="重点項目", on_delete=models.CASCADE, related_name="tools"
    )
    order = models.PositiveSmallIntegerField("順番")
    label = models.CharField("記号", max_length=5, blank=True, help_text="例: ①")
    name = models.CharField("システム・ツール名", max_length=200)
    department_text = models.CharField("所管課（印字どおり）", max_length=200, blank=True)
    departments = models.ManyToManyField(Department, verbose_name="所管課", blank=True)
    repeated = models.BooleanField("再掲", default=False)
    system = models.ForeignKey(
        "systems.System",
        verbose_name="様式②の記録",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="form_tools",
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = "主な業務システム/活用ツール"
        verbose_name_plural = "主な業務システム/活用ツール"
        ordering = ["item", "order"]
        constraints = [
            models.UniqueConstraint(fields=["item", "order"], name="unique_tool_position")
        ]

    def __str__(self):
        return f"{self.label}{self.name}"


class PlanEdition(models.Model):
    """One published edition of the plan (第N版): the plan's text as it stood then.

    The seed is edition 1 (令和7年3月, 策定). A revision (pdca: ``PlanRevision``) proposed by DX
    staff and approved by the head of DX becomes the next edition when it is published; its
    ``document`` keeps the whole plan as that edition reads, so earlier editions stay readable.
    A KPI is graded, year by year, against the edition in force for that year
    (``effective_fiscal_year``; ``Kpi.spec_for``)."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="editions")
    number = models.PositiveSmallIntegerField("版")
    date_text = models.CharField("改訂日（表示）", max_length=50, help_text="例: 令和７年３月")
    published_on = models.DateField("改訂日")
    effective_fiscal_year = models.PositiveSmallIntegerField(
        "適用する最初の年度", validators=[validate_fiscal_year]
    )
    reason = models.TextField("改訂の理由")
    document = models.JSONField("この版の計画（全文）", default=dict)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="公表した人",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    published_at = models.DateTimeField("公表日時", null=True, blank=True)

    class Meta:
        verbose_name = "計画の版"
        verbose_name_plural = "計画の版"
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="unique_edition_number")
        ]

    def __str__(self):
        return f"第{self.number}版（{self.date_text}）"

"""Form ② (様式②): the business systems and tools, their costs and what to do with them."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from shizuoka_dx.validators import validate_fiscal_year, validate_not_negative


def _printed(label):
    return models.CharField(f"{label}（印字どおり）", max_length=200, blank=True)


def _thousand_yen(label):
    return models.DecimalField(
        f"{label}（千円）",
        max_digits=14,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[validate_not_negative],
        help_text="未定・無しのときは空欄",
    )


def _cost_year(label):
    return models.PositiveSmallIntegerField(
        f"{label}の年度", null=True, blank=True, validators=[validate_fiscal_year]
    )


def _planned(label):
    return models.BooleanField(f"{label}は予定額", default=False)


def _non_negative(prefix: str, table: str) -> models.CheckConstraint:
    field = f"{prefix}_thousand_yen"
    return models.CheckConstraint(
        condition=Q(**{f"{field}__isnull": True}) | Q(**{f"{field}__gte": 0}),
        name=f"{table}_{prefix}_not_negative",
        violation_error_message="マイナスの金額は入力できません。",
    )


class CostPair(models.Model):
    """導入経費 and 運用経費／年, each as printed beside the parsed thousand-yen amount."""

    initial_cost_text = _printed("導入経費")
    initial_cost_thousand_yen = _thousand_yen("導入経費")
    initial_cost_fiscal_year = _cost_year("導入経費")
    initial_cost_planned = _planned("導入経費")
    operating_cost_text = _printed("運用経費／年")
    operating_cost_thousand_yen = _thousand_yen("運用経費／年")
    operating_cost_fiscal_year = _cost_year("運用経費／年")
    operating_cost_planned = _planned("運用経費／年")
    operating_first_year_months = models.PositiveSmallIntegerField(
        "運用経費の初年度の月数",
        null=True,
        blank=True,
        help_text="年度の途中から稼働するとき、その年度に稼働する月数"
        "（「15,000千円／年（Ｒ８.３～）」なら令和7年度は1か月）。空欄は12か月。",
    )

    class Meta:
        abstract = True


class SystemQuerySet(models.QuerySet):
    def for_user(self, user):
        """Form ② records of the items the user may see."""
        from priorities.models import PriorityItem

        return self.filter(items__in=PriorityItem.objects.for_user(user)).distinct()


class System(CostPair):
    name = models.CharField("システム・ツール名", max_length=200, unique=True)
    department = models.ForeignKey(
        "priorities.Department",
        verbose_name="所管課",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="systems",
    )
    items = models.ManyToManyField(
        "priorities.PriorityItem",
        through="SystemPlacement",
        related_name="systems",
        verbose_name="様式②を載せている重点項目",
    )
    unit_kpi = models.ForeignKey(
        "kpis.Kpi",
        verbose_name="費用対効果の分母にするKPI",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="運用経費をこのKPIの値で割り、1件あたりの費用を示します（例: 電子申請の受付件数）。",
    )
    overview = models.TextField("概要", blank=True)
    configuration = models.TextField("構成", blank=True)
    introduced = models.CharField("導入年度（印字どおり）", max_length=100, blank=True)
    effects = models.TextField("効果", blank=True)
    issues = models.TextField("課題", blank=True)
    actions = models.TextField("利益最大化のために何をすべきか", blank=True)
    history = HistoricalRecords()

    objects = SystemQuerySet.as_manager()

    class Meta:
        verbose_name = "業務システム（様式②）"
        verbose_name_plural = "業務システム（様式②）"
        ordering = ["name"]
        constraints = [
            _non_negative("initial_cost", "system"),
            _non_negative("operating_cost", "system"),
        ]

    def __str__(self):
        return self.name


class SystemPlacement(models.Model):
    item = models.ForeignKey(
        "priorities.PriorityItem", verbose_name="重点項目", on_delete=models.CASCADE
    )
    system = models.ForeignKey(
        System, verbose_name="業務システム", on_delete=models.CASCADE, related_name="placements"
    )
    order = models.PositiveSmallIntegerField("様式②の順番")
    label = models.CharField("記号", max_length=5, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "様式②の掲載"
        verbose_name_plural = "様式②の掲載"
        ordering = ["item", "order"]
        constraints = [
            models.UniqueConstraint(fields=["item", "system"], name="unique_system_per_item")
        ]

    def __str__(self):
        return f"{self.item.code} {self.label}{self.system.name}"


class CostBreakdown(CostPair):
    """A sub-tool with costs of its own inside one Form ② record (e.g. AI-OCR)."""

    system = models.ForeignKey(
        System, verbose_name="業務システム", on_delete=models.CASCADE, related_name="breakdown"
    )
    order = models.PositiveSmallIntegerField("順番")
    name = models.CharField("内訳名", max_length=200)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "経費の内訳"
        verbose_name_plural = "経費の内訳"
        ordering = ["system", "order"]
        constraints = [
            models.UniqueConstraint(fields=["system", "order"], name="unique_breakdown_position"),
            _non_negative("initial_cost", "breakdown"),
            _non_negative("operating_cost", "breakdown"),
        ]

    def __str__(self):
        return f"{self.system.name}：{self.name}"


class CostRecord(models.Model):
    """A recorded cost for one fiscal year (導入 or 運用), in thousand yen: the budget (予算) or
    the actual spent (決算). Only actuals count in a system's total; budgets are shown apart."""

    class Kind(models.TextChoices):
        INITIAL = "initial", "導入経費"
        OPERATING = "operating", "運用経費"

    class Basis(models.TextChoices):
        ACTUAL = "actual", "決算（実績）"
        BUDGET = "budget", "予算"

    system = models.ForeignKey(
        System, verbose_name="業務システム", on_delete=models.CASCADE, related_name="costs"
    )
    fiscal_year = models.PositiveSmallIntegerField("年度", validators=[validate_fiscal_year])
    kind = models.CharField("種類", max_length=10, choices=Kind.choices)
    basis = models.CharField(
        "予算・決算", max_length=10, choices=Basis.choices, default=Basis.ACTUAL
    )
    thousand_yen = models.DecimalField(
        "金額（千円）", max_digits=14, decimal_places=1, validators=[validate_not_negative]
    )
    note = models.TextField("備考・出典", blank=True)
    is_demo = models.BooleanField("デモ用の架空の値", default=False)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="入力した人",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    updated_at = models.DateTimeField("更新日時", auto_now=True, null=True)
    version = models.PositiveIntegerField("版", default=1)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "年度別の経費（予算・決算）"
        verbose_name_plural = "年度別の経費（予算・決算）"
        ordering = ["system", "fiscal_year", "kind", "basis"]
        constraints = [
            models.UniqueConstraint(
                fields=["system", "fiscal_year", "kind", "basis"],
                name="unique_cost_per_system_year_kind_basis",
                violation_error_message="このシステムのこの年度・種類・予算決算の経費はすでに登録されています。",
            ),
            models.CheckConstraint(
                condition=Q(thousand_yen__gte=0),
                name="cost_record_not_negative",
                violation_error_message="マイナスの金額は入力できません。",
            ),
        ]

    def __str__(self):
        return f"{self.system.name} {self.fiscal_year} {self.get_kind_display()}"


class SystemYear(models.Model):
    """Form ② for one fiscal year (様式②を定期更新): the system's operating status and that
    year's 効果 / 課題 / 利益最大化. The plan's own texts stay on ``System`` (as printed)."""

    class Status(models.TextChoices):
        RUNNING = "running", "稼働中"
        PLANNED = "planned", "導入予定"
        RENEWAL = "renewal", "更改予定"
        RETIRED = "retired", "廃止"

    system = models.ForeignKey(System, on_delete=models.CASCADE, related_name="years")
    fiscal_year = models.PositiveSmallIntegerField("年度", validators=[validate_fiscal_year])
    status = models.CharField("稼働状況", max_length=10, choices=Status.choices)
    effects = models.TextField("効果", blank=True)
    issues = models.TextField("課題", blank=True)
    actions = models.TextField("利益最大化のために何をすべきか", blank=True)
    is_demo = models.BooleanField("デモ用の架空の値", default=False)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="入力した人",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    updated_at = models.DateTimeField("更新日時", auto_now=True, null=True)
    version = models.PositiveIntegerField("版", default=1)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "年度別の様式②（稼働状況・効果・課題）"
        verbose_name_plural = "年度別の様式②（稼働状況・効果・課題）"
        ordering = ["system", "fiscal_year"]
        constraints = [
            models.UniqueConstraint(
                fields=["system", "fiscal_year"],
                name="unique_system_year",
                violation_error_message="このシステムのこの年度の記録はすでにあります。",
            )
        ]

    def __str__(self):
        return f"{self.system.name} {self.fiscal_year}年度（{self.get_status_display()}）"

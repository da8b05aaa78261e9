"""KPI definitions (効果・KPI on Form ①) and their yearly actuals."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from kpis.calculations import DEFAULT_BASELINE_FISCAL_YEAR, KpiSpec, Result, evaluate
from priorities.models import Lineage
from shizuoka_dx.numbers import format_number
from shizuoka_dx.validators import validate_fiscal_year

DEMO_NOTICE = "デモ用の架空の実績値を含みます"

# What says how a KPI is measured: a revision that changes any of these keeps the old values
# for the years before it applies (Kpi.earlier_specs).
SPEC_FIELDS = (
    "name",
    "unit",
    "direction",
    "cumulative",
    "baseline_value",
    "baseline_fiscal_year",
    "baseline_text",
    "target_value",
    "target_fiscal_year",
    "target_text",
    "target_operator",
    "pending",
)


def _json_value(value):
    return str(value) if isinstance(value, Decimal) else value


def _decimal(value):
    return None if value is None else Decimal(str(value))


class Direction(models.TextChoices):
    INCREASE = "increase", "増やす"
    DECREASE = "decrease", "減らす"
    MAINTAIN = "maintain", "維持する"
    MILESTONE = "milestone", "完了目標"


class Operator(models.TextChoices):
    AT_LEAST = ">=", "以上"
    AT_MOST = "<=", "以下"


class Stage(models.TextChoices):
    NOT_STARTED = "未着手", "未着手"
    STARTED = "着手", "着手"
    DONE = "完了", "完了"


class KpiQuerySet(models.QuerySet):
    def in_plan_order(self):
        return self.order_by("item__pillar__number", "item__order", "order")

    def for_user(self, user):
        """KPIs printed on an item the user may see (a repeated KPI counts for both items)."""
        from priorities.models import PriorityItem

        visible = PriorityItem.objects.for_user(user)
        return self.filter(placements__initiative__item__in=visible).distinct()


class Kpi(models.Model):
    code = models.CharField(
        "KPIコード",
        max_length=20,
        unique=True,
        help_text="{項目番号}-K{2桁}。最初に記載された項目とその中の順番（例: 1-3-K02）",
    )
    item = models.ForeignKey(
        "priorities.PriorityItem",
        verbose_name="最初に記載された重点項目",
        on_delete=models.PROTECT,
        related_name="own_kpis",
    )
    order = models.PositiveSmallIntegerField("項目内の順番")
    name = models.CharField("指標名", max_length=300)
    unit = models.CharField("単位", max_length=20, blank=True)
    direction = models.CharField("目指す方向", max_length=10, choices=Direction.choices)
    cumulative = models.BooleanField("累計・延べ", default=False)
    baseline_value = models.DecimalField(
        "現状値", max_digits=18, decimal_places=4, null=True, blank=True
    )
    baseline_fiscal_year = models.PositiveSmallIntegerField(
        "現状値の年度", null=True, blank=True, validators=[validate_fiscal_year]
    )
    baseline_text = models.CharField("現状値（印字どおり）", max_length=300, blank=True)
    target_value = models.DecimalField(
        "目標値", max_digits=18, decimal_places=4, null=True, blank=True
    )
    target_fiscal_year = models.PositiveSmallIntegerField(
        "目標年度", null=True, blank=True, validators=[validate_fiscal_year]
    )
    target_text = models.CharField("目標値（印字どおり）", max_length=300, blank=True)
    target_operator = models.CharField(
        "目標の条件", max_length=2, choices=Operator.choices, blank=True
    )
    pending = models.BooleanField(
        "設定予定",
        default=False,
        help_text="計画書が「KPI指標を定める予定」としているKPI。表示しますが評価せず、"
        "未測定にも数えません。実績は入力できません。計画の改訂で測り方を定めると外れます。",
    )
    # The definitions of earlier editions, each valid up to a fiscal year: a revision that
    # changes how the KPI is measured from FY e keeps the old one here ("until_fiscal_year":
    # e − 1), so a year is always graded against the edition in force for it (spec_for).
    earlier_specs = models.JSONField("以前の版の定義", default=list, blank=True, editable=False)
    lineage = models.CharField(
        "版をまたいだ扱い",
        max_length=10,
        choices=Lineage.choices,
        default=Lineage.CONTINUED,
        help_text="計画の改訂で、このKPIを続けるか、ほかのKPIに統合・見直し・廃止したか。",
    )
    successor = models.ForeignKey(
        "self", verbose_name="引き継いだKPI", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="predecessors",
    )  # fmt: skip
    initiatives = models.ManyToManyField(
        "priorities.Initiative",
        through="KpiPlacement",
        related_name="kpis",
        verbose_name="記載されている取組",
    )

    objects = KpiQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "KPI"
        verbose_name_plural = "KPI"
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(code__regex=r"^[1-9]-[1-9][0-9]{0,2}-K[0-9]{2}$"),
                name="kpi_code_format",
                violation_error_message="KPIコードは「1-3-K02」の形で入力してください。",
            ),
            models.CheckConstraint(
                condition=~Q(direction="milestone") | Q(target_operator=""),
                name="milestone_kpi_has_no_operator",
                violation_error_message="完了目標のKPIには「以上・以下」を付けられません。",
            ),
        ]

    def __str__(self):
        return f"{self.code} {self.name}"

    def clean(self):
        errors = {}
        if self.pending:
            pass  # 設定予定: how it is measured is not defined yet
        elif self.direction != Direction.MILESTONE and self.target_value is None:
            errors["target_value"] = "数値で測るKPIには目標値（数値）が必要です。"
        if (
            self.direction == Direction.MAINTAIN
            and self.target_value is not None
            and self.baseline_value is not None
            and self.target_value != self.baseline_value
        ):
            errors["direction"] = "「維持する」は目標値と現状値が同じときだけ選べます。"
        if (
            self.baseline_fiscal_year
            and self.target_fiscal_year
            and self.target_fiscal_year < self.baseline_fiscal_year
        ):
            errors["target_fiscal_year"] = "目標年度は現状値の年度以降にしてください。"
        if self.successor_id and self.successor_id == self.pk:
            errors["successor"] = "引き継いだKPIに、このKPI自身は選べません。"
        if self.item_id and self.code and not self.code.startswith(f"{self.item.code}-K"):
            errors["code"] = (
                f"KPIコードは最初に記載された項目の番号（{self.item.code}-K…）で始めてください。"
            )
        if errors:
            raise ValidationError(errors)

    def fiscal_year_window(self) -> tuple[int, int]:
        """The FYs an actual may be entered for: the baseline FY up to the target FY + 1."""
        start = self.baseline_fiscal_year or DEFAULT_BASELINE_FISCAL_YEAR
        end = (self.target_fiscal_year or start) + 1
        return start, end

    @property
    def is_milestone(self) -> bool:
        return self.direction == Direction.MILESTONE

    @property
    def spec(self) -> KpiSpec:
        """The definition of the current edition."""
        return KpiSpec(
            direction=self.direction,
            target=self.target_value,
            target_fiscal_year=self.target_fiscal_year,
            baseline=self.baseline_value,
            baseline_fiscal_year=self.baseline_fiscal_year,
            operator=self.target_operator,
            cumulative=self.cumulative,
            baseline_text=self.baseline_text,
            unit=self.unit,
            pending=self.pending,
        )

    def definition(self) -> dict:
        """The fields that say how the KPI is measured, as JSON (kept per edition)."""
        return {name: _json_value(getattr(self, name)) for name in SPEC_FIELDS}

    def edition_for(self, fiscal_year: int) -> dict | None:
        """The earlier edition's definition in force for ``fiscal_year`` (None: the current)."""
        for earlier in sorted(self.earlier_specs, key=lambda e: e["until_fiscal_year"]):
            if fiscal_year <= earlier["until_fiscal_year"]:
                return earlier
        return None

    def spec_for(self, fiscal_year: int) -> KpiSpec:
        """The definition in force for ``fiscal_year``: a target changed by a later edition
        changes the grade only from the year that edition applies to."""
        earlier = self.edition_for(fiscal_year)
        if earlier is None:
            return self.spec
        d = earlier["definition"]
        return KpiSpec(
            direction=d["direction"],
            target=_decimal(d["target_value"]),
            target_fiscal_year=d["target_fiscal_year"],
            baseline=_decimal(d["baseline_value"]),
            baseline_fiscal_year=d["baseline_fiscal_year"],
            operator=d["target_operator"],
            cumulative=d["cumulative"],
            baseline_text=d["baseline_text"],
            unit=d["unit"],
            pending=d.get("pending", False),
        )

    def evaluate(self, actual: "Actual | None", *, fiscal_year: int) -> Result:
        """The engine's verdict on ``actual`` (None: nothing entered) for ``fiscal_year``,
        against the edition in force for that year."""
        return evaluate(
            self.spec_for(fiscal_year),
            fiscal_year=fiscal_year,
            value=actual.value if actual else None,
            stage=actual.stage if actual else "",
            band=settings.ACHIEVEMENT_B_BAND,
        )


class KpiPlacement(models.Model):
    """Where a KPI is printed: its own initiative, and any initiative that repeats it (再掲/共通)."""

    initiative = models.ForeignKey(
        "priorities.Initiative",
        verbose_name="取組",
        on_delete=models.CASCADE,
        related_name="kpi_placements",
    )
    kpi = models.ForeignKey(
        Kpi, verbose_name="KPI", on_delete=models.CASCADE, related_name="placements"
    )
    order = models.PositiveSmallIntegerField("取組の中での順番")
    note = models.CharField("記載（再掲・共通など）", max_length=20, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "KPIの記載箇所"
        verbose_name_plural = "KPIの記載箇所"
        ordering = ["initiative", "order"]
        constraints = [
            models.UniqueConstraint(fields=["initiative", "kpi"], name="unique_kpi_per_initiative")
        ]

    def __str__(self):
        return f"{self.initiative} ← {self.kpi.code}"


class ActualQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(kpi__in=Kpi.objects.for_user(user))


class Actual(models.Model):
    """The measured value of one KPI for one fiscal year (年度末の値; 累計KPIは年度末までの累計)."""

    kpi = models.ForeignKey(
        Kpi, verbose_name="KPI", on_delete=models.CASCADE, related_name="actuals"
    )
    fiscal_year = models.PositiveSmallIntegerField("年度", validators=[validate_fiscal_year])
    value = models.DecimalField("実績値", max_digits=18, decimal_places=4, null=True, blank=True)
    stage = models.CharField("段階", max_length=5, choices=Stage.choices, blank=True)
    note = models.TextField("備考・出典", blank=True)
    is_demo = models.BooleanField(
        "デモ用の架空の値", default=False, help_text="計画書にない、画面確認用の値です。"
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="入力した人",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    entered_at = models.DateTimeField("入力日時", auto_now_add=True)
    updated_at = models.DateTimeField("更新日時", auto_now=True)
    version = models.PositiveIntegerField("版", default=1)
    history = HistoricalRecords()

    objects = ActualQuerySet.as_manager()

    class Meta:
        verbose_name = "実績"
        verbose_name_plural = "実績"
        ordering = ["kpi", "fiscal_year"]
        constraints = [
            models.UniqueConstraint(
                fields=["kpi", "fiscal_year"],
                name="unique_actual_per_kpi_and_fiscal_year",
                violation_error_message="このKPIのこの年度の実績はすでに登録されています。",
            ),
            models.CheckConstraint(
                condition=(Q(value__isnull=False) & Q(stage=""))
                | (Q(value__isnull=True) & ~Q(stage="")),
                name="actual_has_value_or_stage",
                violation_error_message="実績は数値か段階（未着手・着手・完了）のどちらか一方を入力してください。",
            ),
        ]

    def __str__(self):
        return f"{self.kpi.code} {self.fiscal_year}: {self.display_value}"

    @property
    def display_value(self) -> str:
        if self.stage:
            return self.stage
        return format_number(self.value)

    def clean(self):
        if not self.kpi_id:
            return
        # The lock of an approved evaluation, the plan's years and the version are checked by
        # the one write path, pdca/services/actuals.py; here only what the value itself must be.
        kpi = self.kpi
        if kpi.is_milestone and not self.stage:
            raise ValidationError(
                {"stage": "このKPIは段階（未着手・着手・完了）で入力してください。"}
            )
        if not kpi.is_milestone and self.stage:
            raise ValidationError(
                {"value": "このKPIは数値で測ります。段階（未着手・着手・完了）は入力できません。"}
            )

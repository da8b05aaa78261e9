"""The one write path for the plan's revisions and editions (issue 15, item 1).

DX staff draft a revision (a list of changes: text, KPI definitions and targets, roadmap,
systems), submit it; the head of DX approves it (four eyes: never the one who submitted it or
edited it last; pdca/workflow.py holds the table); DX staff publish it, which applies every
change to the plan through ``save_recorded`` (who, when, why in the history) and makes the next
edition (``PlanEdition``: number, date, reason, first fiscal year it applies to, and the whole
plan as it now reads). A KPI whose definition changes keeps the old one for the years before
the edition applies (``Kpi.earlier_specs``), so each year is graded against the edition in
force for it.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from kpis.models import SPEC_FIELDS, Actual, Kpi
from pdca import workflow
from pdca.models import Evaluation, PlanRevision
from pdca.selectors import LOCKING, check_cycle_year
from pdca.workflow import Action
from priorities import permissions
from priorities.models import Initiative, NarrativeBullet, Plan, PlanEdition, RoadmapEntry
from priorities.models import PriorityItem as Item
from shizuoka_dx.fiscal import FiscalYearError, format_fiscal_year
from shizuoka_dx.history import save_recorded
from systems.models import CostRecord, System

LOADED_REASON = "策定"


class RevisionRefused(Exception):
    """Nothing was saved; the message is one Japanese sentence."""


# ---- what a revision may change -----------------------------------------------------------


@dataclass(frozen=True)
class Target:
    label: str
    model: type
    fields: tuple[str, ...]

    def find(self, key: str, *, for_update: bool = False):
        queryset = self.model.objects
        if for_update:
            queryset = queryset.select_for_update(of=("self",))
        try:
            return queryset.filter(**_lookup(self, key)).first()
        except (ValueError, IndexError):
            return None

    def field_label(self, field: str) -> str:
        return str(self.model._meta.get_field(field).verbose_name)


TARGETS = {
    "plan": Target("計画", Plan, ("purpose", "supplement")),
    "item": Target("重点項目", Item, ("title", "lineage", "successor")),
    "bullet": Target("現状・目指す姿・課題の記載", NarrativeBullet, ("text",)),
    "initiative": Target("主な取組", Initiative, ("name", "group", "kpi_note")),
    "roadmap": Target("ロードマップ", RoadmapEntry, ("text", "fiscal_year", "until_fiscal_year")),
    "kpi": Target("KPI", Kpi, (*SPEC_FIELDS, "lineage", "successor")),
    "system": Target(
        "業務システム（様式②）",
        System,
        ("overview", "configuration", "introduced", "effects", "issues", "actions"),
    ),
}


def _lookup(target: Target, key: str) -> dict:
    parts = key.split("/")
    model = target.model
    if model is Plan:
        return {}
    if model is Item:
        return {"code": key}
    if model is NarrativeBullet:
        return {"item__code": parts[0], "section": parts[1], "order": int(parts[2])}
    if model is Initiative:
        return {"item__code": parts[0], "number": int(parts[1])}
    if model is RoadmapEntry:
        return {
            "initiative__item__code": parts[0],
            "initiative__number": int(parts[1]),
            "order": int(parts[2]),
        }
    if model is Kpi:
        return {"code": key}
    return {"pk": int(key)}  # System: its name may itself change


def describe(target: str, key: str) -> str:
    """What a change is about, in words: 「KPI 3-1-K01」「1-1 現状（As-Is）2」…"""
    parts = key.split("/")
    if target == "plan":
        return "計画"
    if target == "item":
        return f"重点項目 {key}"
    if target == "bullet":
        section = NarrativeBullet.Section(parts[1]).label
        return f"{parts[0]} {section} {parts[2]}つめ"
    if target == "initiative":
        return f"{parts[0]} 取組{parts[1]}"
    if target == "roadmap":
        return f"{parts[0]} 取組{parts[1]} ロードマップ{parts[2]}"
    if target == "kpi":
        return f"KPI {key}"
    system = System.objects.filter(pk=int(key)).first()
    return f"業務システム「{system.name if system else key}」"


def field_value(obj, name: str):
    """A field's stored value (a foreign key as the related row's id)."""
    return value_json(getattr(obj, obj._meta.get_field(name).attname))


def set_field(obj, name: str, value) -> None:
    field = obj._meta.get_field(name)
    setattr(obj, field.attname, field.to_python(value))


def value_json(value):
    """A field's value as a revision stores it (JSON: decimals as text)."""
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    return value


def _check_user(user, revision, action: Action) -> None:
    reason = workflow.revision_refusal(user, revision, action)
    if reason:
        raise RevisionRefused(reason)


def _check_version(revision: PlanRevision, seen) -> None:
    if seen is not None and seen != revision.version:
        raise RevisionRefused(
            "この画面を開いたあとに、別の人がこの改訂案を変更しました。開き直してください。"
        )


def current_edition(plan=None) -> PlanEdition | None:
    plan = plan or Plan.objects.order_by("pk").first()
    if plan is None:
        return None
    return plan.editions.order_by("-number").first()


def _check_effective_year(year: int) -> None:
    try:
        check_cycle_year(year)
    except FiscalYearError as exc:
        raise RevisionRefused(str(exc)) from None
    edition = current_edition()
    if edition and year < edition.effective_fiscal_year:
        raise RevisionRefused(
            f"いまの版（第{edition.number}版）は{format_fiscal_year(edition.effective_fiscal_year)}"
            "から適用しています。それより前の年度から適用する改訂はできません。"
        )


# ---- drafting -----------------------------------------------------------------------------


@transaction.atomic
def revision_create(*, title: str, reason: str, effective_fiscal_year: int, user) -> PlanRevision:
    if not permissions.is_dx_staff(user):
        raise PermissionDenied
    _check_effective_year(effective_fiscal_year)
    revision = PlanRevision(
        title=title,
        reason=reason,
        effective_fiscal_year=effective_fiscal_year,
        created_by=user,
        last_edited_by=user,
    )
    try:
        save_recorded(revision, user=user, reason="計画の改訂案を作成")
    except ValidationError as exc:
        raise RevisionRefused(" ".join(exc.messages)) from None
    return revision


def _locked(revision_id: int) -> PlanRevision:
    return PlanRevision.objects.select_for_update().get(pk=revision_id)


@transaction.atomic
def revision_set(
    *, revision: PlanRevision, target: str, key: str, values: dict, user, seen=None
) -> PlanRevision:
    """Propose ``values`` (field → new value) for one record; a value equal to the plan's drops
    that field's change. The record with all proposed values must pass its own validation."""
    revision = _locked(revision.pk)
    _check_user(user, revision, Action.EDIT)
    _check_version(revision, seen)
    spec = TARGETS.get(target)
    obj = spec.find(key) if spec else None
    if obj is None:
        raise RevisionRefused("変更する記載が計画に見つかりません。画面を開き直してください。")
    unknown = set(values) - set(spec.fields)
    if unknown:
        raise RevisionRefused("この記載では変更できない項目が含まれています。")
    changes = [c for c in revision.changes if not (c["target"] == target and c["key"] == key)]
    proposed = [c for c in revision.changes if c["target"] == target and c["key"] == key]
    merged = {c["field"]: c["new"] for c in proposed}
    merged.update(
        {field: value_json(getattr(value, "pk", value)) for field, value in values.items()}
    )
    for field, new in merged.items():
        set_field(obj, field, new)
    try:
        obj.full_clean()
    except ValidationError as exc:
        raise RevisionRefused(" ".join(exc.messages)) from None
    fresh = spec.find(key)
    for field, new in merged.items():
        old = field_value(fresh, field)
        if old != new:
            changes.append({"target": target, "key": key, "field": field, "old": old, "new": new})
    revision.changes = changes
    revision.last_edited_by = user
    revision.version += 1
    save_recorded(revision, user=user, reason=f"改訂案の変更: {describe(target, key)}")
    return revision


@transaction.atomic
def revision_drop(*, revision: PlanRevision, index: int, user, seen=None) -> PlanRevision:
    """Take one change out of the draft."""
    revision = _locked(revision.pk)
    _check_user(user, revision, Action.EDIT)
    _check_version(revision, seen)
    if not 0 <= index < len(revision.changes):
        raise RevisionRefused("取り消す変更が見つかりません。画面を開き直してください。")
    revision.changes = [c for i, c in enumerate(revision.changes) if i != index]
    revision.last_edited_by = user
    revision.version += 1
    save_recorded(revision, user=user, reason="改訂案から変更を1件取り消し")
    return revision


# ---- the workflow -------------------------------------------------------------------------


@transaction.atomic
def revision_act(
    *, revision: PlanRevision, action: Action, user, comment: str = "", seen=None
) -> PlanRevision:
    """提出 (submit), 承認 (approve) or 差し戻し (return, with a reason)."""
    revision = _locked(revision.pk)
    _check_user(user, revision, action)
    _check_version(revision, seen)
    step = workflow.revision_transition(revision.status, action)
    if step.needs_reason and not comment.strip():
        raise RevisionRefused("差し戻しの理由を書いてください。")
    if action == Action.SUBMIT and not revision.changes:
        raise RevisionRefused(
            "変更が1件もないため提出できません。変更を加えてから提出してください。"
        )
    now = timezone.now()
    if action == Action.SUBMIT:
        revision.submitted_by, revision.submitted_at = user, now
        revision.return_comment = ""
    elif action == Action.APPROVE:
        revision.approved_by, revision.approved_at = user, now
    elif action == Action.RETURN:
        revision.return_comment = comment.strip()
    revision.status = step.target
    revision.version += 1
    label = workflow.ACTION_LABELS[action]
    save_recorded(
        revision, user=user, reason=f"改訂案を{label}" + (f": {comment}" if comment else "")
    )
    return revision


def reiwa_month(day: date) -> str:
    """2026-12-01 → 令和８年１２月 (as the plan prints 令和７年３月)."""
    year = day.year - 2018
    digits = str.maketrans("0123456789", "０１２３４５６７８９")
    return f"令和{str(year).translate(digits)}年{str(day.month).translate(digits)}月"


def _refuse_locked_years(revision: PlanRevision, kpi_codes: set[str]) -> None:
    """A definition that changes a KPI from FY e must not regrade a year already approved."""
    if not kpi_codes:
        return
    locked = (
        Evaluation.objects.filter(
            status__in=LOCKING,
            fiscal_year__gte=revision.effective_fiscal_year,
            item__initiatives__kpi_placements__kpi__code__in=kpi_codes,
        )
        .select_related("item")
        .order_by("fiscal_year", "item__code")
        .first()
    )
    if locked:
        raise RevisionRefused(
            f"{locked.item.code} の{format_fiscal_year(locked.fiscal_year, western=False)}の評価は"
            f"{locked.get_status_display()}のため、その年度から適用するKPIの変更はできません。"
            f"適用する年度を{format_fiscal_year(locked.fiscal_year + 1, western=False)}以降にするか、"
            "評価を再開してください。"
        )


# A KPI's fields that decide its grades (the rate and A–D): what a correction outside a revision
# may not change under a year already approved or published.
GRADING_FIELDS = (
    "direction",
    "cumulative",
    "baseline_value",
    "baseline_fiscal_year",
    "target_value",
    "target_fiscal_year",
    "target_operator",
    "pending",
)


def kpi_correction_refusal(kpi: Kpi, changed) -> str | None:
    """Why a correction of ``kpi`` outside a revision (the admin) may not change the fields
    ``changed`` now (None: it may). Such a correction holds for every year, so a field that
    decides grades is refused while any year of its items is approved or published: that year
    would be regraded under its approval. A revision of the plan changes it from a later year."""
    fields = [field for field in changed if field in GRADING_FIELDS]
    if kpi.pk is None or not fields:
        return None
    locked = (
        Evaluation.objects.filter(
            status__in=LOCKING, item__initiatives__kpi_placements__kpi_id=kpi.pk
        )
        .select_related("item")
        .order_by("-fiscal_year", "item__code")
        .first()
    )
    if locked is None:
        return None
    labels = "、".join(str(Kpi._meta.get_field(field).verbose_name) for field in fields)
    return (
        f"{locked.item.code} の{format_fiscal_year(locked.fiscal_year, western=False)}の評価は"
        f"{locked.get_status_display()}のため、達成度を決める項目（{labels}）はここでは変えられま"
        "せん（承認した年度の達成度が変わってしまいます）。目標などを変えるときは、職員ページの"
        f"「計画の改訂」で{format_fiscal_year(locked.fiscal_year + 1, western=False)}以降から"
        "適用する改訂案を作ってください。計画書の誤記の訂正なら、先に評価を再開してください。"
    )


def edition_document(edition: dict) -> dict:
    """The whole plan as it now reads (text, KPIs, roadmap, systems), without any figure."""
    from pdca.opendata import build_document

    return build_document(
        actuals=Actual.objects.none(),
        costs=CostRecord.objects.none(),
        evaluations=[],
        edition=edition,
    )


@transaction.atomic
def revision_publish(*, revision: PlanRevision, user, seen=None, today: date | None = None):
    """Apply an approved revision to the plan and make it the current edition."""
    list(Plan.objects.select_for_update())
    revision = _locked(revision.pk)
    _check_user(user, revision, Action.PUBLISH)
    _check_version(revision, seen)
    _check_effective_year(revision.effective_fiscal_year)
    plan = Plan.objects.order_by("pk").first()
    previous = current_edition(plan)
    number = (previous.number if previous else 0) + 1
    why = f"計画の改訂（第{number}版）: {revision.title}"
    grouped: dict[tuple[str, str], list[dict]] = {}
    for change in revision.changes:
        grouped.setdefault((change["target"], change["key"]), []).append(change)
    _refuse_locked_years(revision, {key for target, key in grouped if target == "kpi"})
    for (target, key), changes in grouped.items():
        spec = TARGETS[target]
        obj = spec.find(key, for_update=True)
        if obj is None:
            raise RevisionRefused(f"{describe(target, key)}が計画に見つかりません。")
        for change in changes:
            now = field_value(obj, change["field"])
            if now != change["old"]:
                raise RevisionRefused(
                    f"{describe(target, key)}の「{spec.field_label(change['field'])}」は、改訂案を"
                    f"作ったあとに変わりました（いまは「{now}」）。改訂案を作り直してください。"
                )
        if target == "kpi" and previous is not None:
            obj.earlier_specs = [
                *obj.earlier_specs,
                {
                    "edition": previous.number,
                    "until_fiscal_year": revision.effective_fiscal_year - 1,
                    "definition": obj.definition(),
                },
            ]
        for change in changes:
            set_field(obj, change["field"], change["new"])
        try:
            save_recorded(obj, user=user, reason=why)
        except ValidationError as exc:
            raise RevisionRefused(f"{describe(target, key)}: {' '.join(exc.messages)}") from None
    day = today or timezone.localdate()
    info = {
        "number": number,
        "date": reiwa_month(day),
        "published_on": day.isoformat(),
        "effective_fiscal_year": revision.effective_fiscal_year,
        "reason": revision.reason,
    }
    edition = PlanEdition.objects.create(
        plan=plan,
        number=number,
        date_text=info["date"],
        published_on=day,
        effective_fiscal_year=revision.effective_fiscal_year,
        reason=f"{revision.title}: {revision.reason}",
        document=edition_document(info),
        published_by=user,
        published_at=timezone.now(),
    )
    revision.status = PlanRevision.Status.PUBLISHED
    revision.edition = edition
    revision.published_by, revision.published_at = user, timezone.now()
    revision.version += 1
    save_recorded(revision, user=user, reason=why)
    return edition


def ensure_first_edition(*, plan: Plan, user, first_fiscal_year: int) -> PlanEdition:
    """The seed is edition 1 (its 策定 date as printed, e.g. 令和７年３月): made once by load_plan."""
    edition = plan.editions.filter(number=1).first()
    if edition is not None:
        return edition
    established_on = _established_on(plan.established)
    info = {
        "number": 1,
        "date": plan.established,
        "published_on": established_on.isoformat(),
        "effective_fiscal_year": first_fiscal_year,
        "reason": LOADED_REASON,
    }
    return PlanEdition.objects.create(
        plan=plan,
        number=1,
        date_text=plan.established,
        published_on=established_on,
        effective_fiscal_year=first_fiscal_year,
        reason=LOADED_REASON,
        document=edition_document(info),
        published_by=user,
        published_at=timezone.now(),
    )


def _established_on(text: str) -> date:
    """令和７年３月 → 2025-03-01 (the first of the printed month; 2025-03-01 if unreadable)."""
    import re
    import unicodedata

    match = re.search(r"令和(\d+|元)年(\d+)月", unicodedata.normalize("NFKC", text or ""))
    if not match:
        return date(2025, 3, 1)
    year = 1 if match.group(1) == "元" else int(match.group(1))
    return date(2018 + year, int(match.group(2)), 1)

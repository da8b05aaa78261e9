"""The yearly cycle: an item's evaluation from draft to approval, and publishing a fiscal year.

Each function is one user action: atomic, checked against the rules in permissions.py and the
evaluation's version (a page that is out of date gets a conflict, never a silent overwrite), and
it records who did it (and why, where a reason is given) in the history.
"""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from kpis.models import Actual
from kpis.progress import results_at
from kpis.selectors import item_kpis, plan_items
from pdca.models import Evaluation, PublishedSnapshot
from pdca.opendata import build_document
from priorities import permissions
from priorities.models import PriorityItem
from shizuoka_dx.fiscal import format_fiscal_year
from systems.models import CostRecord

EDITABLE_FIELDS = ("quantitative", "qualitative", "issues", "countermeasures", "next_plan")
CONFLICT = "ほかの人がこの評価を先に更新しました。画面を開き直して最新の内容を確認してから、もう一度操作してください。"


class WorkflowError(Exception):
    """The action is not possible now; the message says why, in Japanese."""


@dataclass
class PublishBlocked(Exception):
    unapproved: list[PriorityItem]

    def __str__(self):
        codes = "、".join(item.code for item in self.unapproved)
        return f"承認されていない重点項目があります（{codes}）。"


def record(obj, *, user, reason: str = ""):
    """Validate and save, telling the history who did it and why."""
    obj._history_user = user
    if reason:
        obj._change_reason = reason
    obj.full_clean()
    obj.save()


def quantitative_draft(item: PriorityItem, fiscal_year: int) -> str:
    """A first draft of the quantitative analysis, in words, from the achievement engine."""
    full = plan_items().get(pk=item.pk)
    lines = []
    for kpi, actual, result in results_at(item_kpis(full), fiscal_year):
        if actual is None:
            lines.append(f"・{kpi.name}：{format_fiscal_year(fiscal_year)}の実績は未入力です。")
            continue
        lines.append(
            f"・{kpi.name}：実績 {actual.display_value}{kpi.unit if actual.value is not None else ''}、"
            f"達成率 {result.rate_percent}%、評価 {result.grade}（{result.label}）。"
        )
    return "\n".join(lines)


@transaction.atomic
def evaluation_open(*, item: PriorityItem, fiscal_year: int, user) -> Evaluation:
    """The item's evaluation for the FY, started as a draft with the engine's analysis if new."""
    if not permissions.can_view_item(user, item):
        raise PermissionDenied
    evaluation = Evaluation.objects.filter(item=item, fiscal_year=fiscal_year).first()
    if evaluation is not None:
        return evaluation
    if not permissions.can_edit_item(user, item):
        raise PermissionDenied
    evaluation = Evaluation(
        item=item,
        fiscal_year=fiscal_year,
        quantitative=quantitative_draft(item, fiscal_year),
        last_edited_by=user,
    )
    try:
        with transaction.atomic():
            record(evaluation, user=user, reason="評価を作成")
    except IntegrityError:  # created by someone else a moment ago
        return Evaluation.objects.get(item=item, fiscal_year=fiscal_year)
    return evaluation


def _locked(evaluation: Evaluation, version: int) -> Evaluation:
    current = (
        Evaluation.objects.select_for_update()
        .select_related("item")
        .prefetch_related("item__departments")
        .get(pk=evaluation.pk)
    )
    if current.version != version:
        raise WorkflowError(CONFLICT)
    return current


@transaction.atomic
def evaluation_update(*, evaluation: Evaluation, user, version: int, **fields) -> Evaluation:
    current = _locked(evaluation, version)
    if not permissions.can_edit_item(user, current.item):
        raise PermissionDenied
    if current.status != Evaluation.Status.DRAFT:
        raise WorkflowError(
            f"この評価は「{current.get_status_display()}」のため編集できません。"
            "編集するには、差し戻してもらってください。"
        )
    for name in EDITABLE_FIELDS:
        if name in fields:
            setattr(current, name, fields[name])
    current.last_edited_by = user
    current.version += 1
    record(current, user=user, reason="評価を編集")
    return current


@transaction.atomic
def evaluation_submit(*, evaluation: Evaluation, user, version: int) -> Evaluation:
    current = _locked(evaluation, version)
    if not permissions.can_edit_item(user, current.item):
        raise PermissionDenied
    if current.status != Evaluation.Status.DRAFT:
        raise WorkflowError("提出できるのは下書きの評価だけです。")
    missing = [
        current._meta.get_field(n).verbose_name
        for n in EDITABLE_FIELDS
        if not getattr(current, n).strip()
    ]
    if missing:
        raise WorkflowError(f"提出する前に「{'」「'.join(missing)}」を記入してください。")
    current.status = Evaluation.Status.SUBMITTED
    current.submitted_by = user
    current.submitted_at = timezone.now()
    current.version += 1
    record(current, user=user, reason="提出")
    return current


@transaction.atomic
def evaluation_approve(*, evaluation: Evaluation, user, version: int) -> Evaluation:
    current = _locked(evaluation, version)
    if current.status != Evaluation.Status.SUBMITTED:
        raise WorkflowError("承認できるのは提出済みの評価だけです。")
    if current.last_edited_by_id == user.pk:
        raise WorkflowError(
            "最後に編集した人は承認できません。所管課のほかの課長に承認を依頼してください。"
        )
    if not permissions.can_approve(user, current):
        raise PermissionDenied
    current.status = Evaluation.Status.APPROVED
    current.approved_by = user
    current.approved_at = timezone.now()
    current.version += 1
    record(current, user=user, reason="承認")
    return current


@transaction.atomic
def evaluation_return(*, evaluation: Evaluation, user, version: int, comment: str) -> Evaluation:
    """Back to draft with a comment: sent back by the approver, or reopened by DX staff."""
    current = _locked(evaluation, version)
    if not comment.strip():
        raise WorkflowError("差し戻し・再開の理由を記入してください。")
    if current.status == Evaluation.Status.PUBLISHED:
        raise WorkflowError("公表済みの評価は差し戻せません。次の年度の評価で対応してください。")
    if current.status == Evaluation.Status.DRAFT:
        raise WorkflowError("この評価はすでに下書きです。")
    if not permissions.can_return(user, current):
        raise PermissionDenied
    action = "再開" if current.status == Evaluation.Status.APPROVED else "差し戻し"
    current.status = Evaluation.Status.DRAFT
    current.return_comment = comment.strip()
    current.approved_by = None
    current.approved_at = None
    current.version += 1
    record(current, user=user, reason=f"{action}: {comment.strip()}")
    return current


def unapproved_items(fiscal_year: int) -> list[PriorityItem]:
    done = Evaluation.objects.filter(
        fiscal_year=fiscal_year,
        status__in=[Evaluation.Status.APPROVED, Evaluation.Status.PUBLISHED],
    ).values("item_id")
    return list(PriorityItem.objects.in_plan_order().exclude(pk__in=done))


def snapshot_document(fiscal_year: int, *, published_at, forced_reason: str = "") -> dict:
    """The open data as the public will see it for ``fiscal_year``: earlier years' actuals, this
    year's actuals of approved items only, and the approved evaluations' CHECK/ACT."""
    approved = list(
        Evaluation.objects.filter(
            fiscal_year=fiscal_year,
            status__in=[Evaluation.Status.APPROVED, Evaluation.Status.PUBLISHED],
        )
    )
    approved_items = [e.item_id for e in approved]
    actuals = Actual.objects.filter(
        Q(fiscal_year__lt=fiscal_year)
        | Q(fiscal_year=fiscal_year, kpi__placements__initiative__item__in=approved_items)
    ).distinct()
    costs = CostRecord.objects.filter(fiscal_year__lte=fiscal_year)
    document = build_document(
        published_fiscal_year=fiscal_year, actuals=actuals, costs=costs, evaluations=approved
    )
    document["published_at"] = published_at.isoformat(timespec="seconds")
    document["forced_reason"] = forced_reason or None
    document["unapproved_items"] = [item.code for item in unapproved_items(fiscal_year)]
    return document


@transaction.atomic
def publish_fiscal_year(*, fiscal_year: int, user, force_reason: str = "") -> PublishedSnapshot:
    """Freeze what the public sees for ``fiscal_year``; refuse while items are unapproved,
    unless a reason is given (the public page then shows it)."""
    if user is not None and not permissions.can_publish(user):
        raise PermissionDenied
    waiting = unapproved_items(fiscal_year)
    if waiting and not force_reason.strip():
        raise PublishBlocked(waiting)
    now = timezone.now()
    snapshot = PublishedSnapshot.objects.filter(
        fiscal_year=fiscal_year
    ).first() or PublishedSnapshot(fiscal_year=fiscal_year)
    snapshot.document = snapshot_document(
        fiscal_year, published_at=now, forced_reason=force_reason.strip() if waiting else ""
    )
    snapshot.published_at = now
    snapshot.published_by = user
    snapshot.forced_reason = force_reason.strip() if waiting else ""
    reason = f"{format_fiscal_year(fiscal_year)}を公表"
    if snapshot.forced_reason:
        reason += f"（未承認の項目あり: {snapshot.forced_reason}）"
    record(snapshot, user=user, reason=reason)
    for evaluation in Evaluation.objects.filter(
        fiscal_year=fiscal_year, status=Evaluation.Status.APPROVED
    ):
        evaluation.status = Evaluation.Status.PUBLISHED
        evaluation.published_at = now
        evaluation.version += 1
        record(evaluation, user=user, reason="公表")
    return snapshot


def latest_snapshot() -> PublishedSnapshot | None:
    return PublishedSnapshot.objects.order_by("-fiscal_year").first()

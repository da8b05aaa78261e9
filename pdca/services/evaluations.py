"""The one write path for evaluations: every action of the state machine in pdca/workflow.py.

Each function is one user action: atomic, refused (WorkflowError, a Japanese sentence) when the
workflow table refuses it, checked against the version the person saw (a page that is out of date
gets a conflict, never a silent overwrite), and recorded with who did it and why. A person's
edit or action clears the demo flag: a demo evaluation someone has worked on is real.
"""

from django.db import IntegrityError, transaction
from django.utils import timezone

from kpis.progress import results_at
from kpis.selectors import item_kpis, plan_items
from pdca import workflow
from pdca.models import Evaluation, StepStatus
from pdca.selectors import check_cycle_year
from pdca.services import mail
from pdca.workflow import Action
from priorities import permissions
from priorities.models import PriorityItem, RoadmapEntry
from shizuoka_dx.fiscal import FiscalYearError, format_fiscal_year
from shizuoka_dx.history import delete_recorded, save_recorded

EDITABLE_FIELDS = ("quantitative", "qualitative", "issues", "countermeasures", "next_plan")
CONFLICT = "ほかの人がこの評価を先に更新しました。画面を開き直して最新の内容を確認してから、もう一度操作してください。"


class WorkflowError(Exception):
    """The action is not possible now; the message says why, in Japanese."""


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


def _check_year(fiscal_year: int) -> None:
    try:
        check_cycle_year(fiscal_year)
    except FiscalYearError as exc:
        raise WorkflowError(str(exc)) from None


@transaction.atomic
def evaluation_open(*, item: PriorityItem, fiscal_year: int, user) -> Evaluation:
    """The item's evaluation for the FY, started as a draft with the engine's analysis if new."""
    _check_year(fiscal_year)
    if not permissions.can_edit_item(user, item):
        raise WorkflowError("この重点項目の評価を作成できるのは、所管課の課長とDX推進課です。")
    evaluation = Evaluation.objects.filter(item=item, fiscal_year=fiscal_year).first()
    if evaluation is not None:
        return evaluation
    evaluation = Evaluation(
        item=item,
        fiscal_year=fiscal_year,
        quantitative=quantitative_draft(item, fiscal_year),
        last_edited_by=user,
    )
    try:
        with transaction.atomic():
            save_recorded(evaluation, user=user, reason="評価を作成")
    except IntegrityError:  # created by someone else a moment ago
        return Evaluation.objects.get(item=item, fiscal_year=fiscal_year)
    return evaluation


def _locked(evaluation: Evaluation, version: int) -> Evaluation:
    current = (
        Evaluation.objects.select_for_update(of=("self",))
        .select_related("item")
        .prefetch_related("item__departments")
        .get(pk=evaluation.pk)
    )
    if current.version != version:
        raise WorkflowError(CONFLICT)
    return current


def _step(current: Evaluation, user, action: Action) -> None:
    reason = workflow.refusal(user, current, action)
    if reason:
        raise WorkflowError(reason)
    current.status = workflow.transition(current.status, action).target
    current.version += 1
    if action != Action.PUBLISH:  # a person's work makes a demo evaluation real
        current.is_demo = False


def checked_statuses(evaluation: Evaluation, statuses: dict) -> dict:
    """The roadmap steps' statuses as stored: only the item's own steps, known statuses, a note
    of at most 1,000 characters; a step left blank is left out."""
    own = {
        str(pk)
        for pk in RoadmapEntry.objects.filter(initiative__item_id=evaluation.item_id).values_list(
            "pk", flat=True
        )
    }
    kept = {}
    for key, value in (statuses or {}).items():
        status, note = value.get("status") or "", (value.get("note") or "").strip()
        if not status and not note:
            continue
        if str(key) not in own:
            raise WorkflowError("この重点項目にないロードマップの進捗は保存できません。")
        if status not in StepStatus.values:
            raise WorkflowError(
                "ロードマップの進捗は 予定・実施中・完了・遅れ・見直し から選んでください。"
            )
        if len(note) > 1000:
            raise WorkflowError("ロードマップの進捗の補足は1,000字以内で書いてください。")
        kept[str(key)] = {"status": status, "note": note}
    return kept


@transaction.atomic
def evaluation_save(
    *, evaluation: Evaluation, user, version: int, fields: dict, submit: bool = False
) -> Evaluation:
    """Save the text of a draft, and submit it in the same step when ``submit`` (nothing typed
    is lost between saving and submitting)."""
    current = _locked(evaluation, version)
    _step(current, user, Action.EDIT)
    changed = False
    for name in EDITABLE_FIELDS:
        if name in fields and getattr(current, name) != fields[name]:
            setattr(current, name, fields[name])
            changed = True
    if "roadmap_statuses" in fields:
        statuses = checked_statuses(current, fields["roadmap_statuses"])
        if statuses != current.roadmap_statuses:
            current.roadmap_statuses = statuses
            changed = True
    if changed:
        current.last_edited_by = user
    if submit:
        missing = [
            str(current._meta.get_field(n).verbose_name)
            for n in EDITABLE_FIELDS
            if not getattr(current, n).strip()
        ]
        if missing:
            raise WorkflowError(f"提出する前に「{'」「'.join(missing)}」を記入してください。")
        _step(current, user, Action.SUBMIT)
        current.submitted_by = user
        current.submitted_at = timezone.now()
        current.return_comment = ""
    save_recorded(current, user=user, reason="編集して提出" if submit else "評価を編集")
    if submit:  # the heads who may approve it are told (recorded now, sent by the worker)
        mail.notify_submitted(current, actor=user)
    return current


@transaction.atomic
def evaluation_approve(*, evaluation: Evaluation, user, version: int) -> Evaluation:
    current = _locked(evaluation, version)
    _step(current, user, Action.APPROVE)
    current.approved_by = user
    current.approved_at = timezone.now()
    save_recorded(current, user=user, reason="承認")
    mail.notify_submitter(
        current, submitter=current.submitted_by, actor=user, kind=mail.Kind.APPROVED
    )
    return current


@transaction.atomic
def evaluation_return(*, evaluation: Evaluation, user, version: int, comment: str) -> Evaluation:
    """Back to draft with a reason: sent back while submitted, or reopened by DX staff after
    approval (which unlocks that year's actuals again)."""
    current = _locked(evaluation, version)
    comment = comment.strip()
    action = Action.REOPEN if current.status == Evaluation.Status.APPROVED else Action.RETURN
    _step(current, user, action)
    if not comment:
        raise WorkflowError("差し戻し・再開の理由を記入してください。")
    current.return_comment = comment
    submitter = current.submitted_by
    current.submitted_by = None
    current.submitted_at = None
    current.approved_by = None
    current.approved_at = None
    label = workflow.ACTION_LABELS[action]
    save_recorded(current, user=user, reason=f"{label}: {comment}")
    mail.notify_submitter(
        current, submitter=submitter, actor=user, kind=mail.Kind.RETURNED, comment=comment
    )
    return current


def mark_published(evaluation: Evaluation, *, user, now) -> None:
    """Called by publication only, inside its transaction."""
    _step(evaluation, user, Action.PUBLISH)
    evaluation.published_at = now
    save_recorded(evaluation, user=user, reason="公表")


# ---- the demo (load_plan --demo / --remove-demo) -----------------------------------------


@transaction.atomic
def demo_evaluation_create(
    *, item: PriorityItem, fiscal_year: int, status: str, texts: dict, user
) -> Evaluation:
    """A made-up evaluation in ``status``, marked as demo, for trying the cycle on a laptop.
    Recorded in the history as the system account's; never over an existing evaluation."""
    _check_year(fiscal_year)
    now = timezone.now()
    evaluation = Evaluation(
        item=item, fiscal_year=fiscal_year, status=status, is_demo=True, **texts
    )
    if status != Evaluation.Status.DRAFT:
        evaluation.submitted_at = now
    if status in (Evaluation.Status.APPROVED, Evaluation.Status.PUBLISHED):
        evaluation.approved_at = now
    save_recorded(evaluation, user=user, reason="デモ用の架空の評価を作成")
    return evaluation


@transaction.atomic
def demo_evaluations_remove(*, user) -> int:
    """Delete the evaluations still marked as demo (anything a person worked on is no longer)."""
    removed = 0
    for evaluation in Evaluation.objects.select_for_update(of=("self",)).filter(is_demo=True):
        delete_recorded(evaluation, user=user, reason="デモ用の架空の評価を削除")
        removed += 1
    return removed

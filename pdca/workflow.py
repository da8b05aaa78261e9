"""The evaluation's state machine: one table of what can happen, from which state, by whom.

    下書き ──提出──► 提出済み ──承認──► 承認済み ──公表──► 公表済み
      ▲   ◄──差し戻し──┘                   │
      └──────────────再開────────────────────┘

The services (pdca/services/evaluations.py) refuse what the table refuses; the evaluation page
shows exactly the actions ``allowed`` returns, and says why the others are not offered
(``refusal``). Who may:

- edit, submit: someone who may edit the item (its department's heads, DX staff);
- approve: a head of one of the item's departments who neither submitted it nor edited it last
  (four eyes: the approver is a different person from both);
- send back: the item's heads or DX staff, while it waits for approval;
- reopen: DX staff, after approval and before publication (a reason is required);
- publish: DX staff, through publishing the fiscal year.
"""

from dataclasses import dataclass
from enum import StrEnum

from pdca.models import Evaluation, PlanRevision
from priorities import permissions

Status = Evaluation.Status


class Action(StrEnum):
    EDIT = "edit"
    SUBMIT = "submit"
    APPROVE = "approve"
    RETURN = "return"
    REOPEN = "reopen"
    PUBLISH = "publish"


ACTION_LABELS = {
    Action.EDIT: "編集",
    Action.SUBMIT: "提出",
    Action.APPROVE: "承認",
    Action.RETURN: "差し戻し",
    Action.REOPEN: "再開",
    Action.PUBLISH: "公表",
}


@dataclass(frozen=True)
class Transition:
    source: Status
    action: Action
    target: Status
    needs_reason: bool = False


TRANSITIONS = [
    Transition(Status.DRAFT, Action.EDIT, Status.DRAFT),
    Transition(Status.DRAFT, Action.SUBMIT, Status.SUBMITTED),
    Transition(Status.SUBMITTED, Action.APPROVE, Status.APPROVED),
    Transition(Status.SUBMITTED, Action.RETURN, Status.DRAFT, needs_reason=True),
    Transition(Status.APPROVED, Action.REOPEN, Status.DRAFT, needs_reason=True),
    Transition(Status.APPROVED, Action.PUBLISH, Status.PUBLISHED),
]
_BY_KEY = {(t.source, t.action): t for t in TRANSITIONS}


def transition(status: str, action: Action) -> Transition | None:
    return _BY_KEY.get((Status(status), action))


def _is_item_head(user, evaluation) -> bool:
    return permissions.is_department_head(user) and permissions.owns(user, evaluation.item)


def refusal(user, evaluation, action: Action) -> str | None:
    """Why ``user`` may not take ``action`` on ``evaluation`` now (None: they may), in Japanese."""
    step = transition(evaluation.status, action)
    if step is None:
        return (
            f"この評価は「{evaluation.get_status_display()}」のため、"
            f"{ACTION_LABELS[action]}できません。"
        )
    if action in (Action.EDIT, Action.SUBMIT):
        if not permissions.can_edit_item(user, evaluation.item):
            return "この重点項目の評価を編集できるのは、所管課の課長とDX推進課です。"
        return None
    if action == Action.APPROVE:
        if not _is_item_head(user, evaluation):
            return "承認できるのは、この重点項目の所管課の課長です。"
        if evaluation.submitted_by_id == user.pk:
            return "提出した人は承認できません。所管課のほかの課長に承認を依頼してください。"
        if evaluation.last_edited_by_id == user.pk:
            return "最後に編集した人は承認できません。所管課のほかの課長に承認を依頼してください。"
        return None
    if action == Action.RETURN:
        if not (_is_item_head(user, evaluation) or permissions.is_dx_staff(user)):
            return "差し戻しできるのは、所管課の課長とDX推進課です。"
        return None
    if action in (Action.REOPEN, Action.PUBLISH):
        if not permissions.is_dx_staff(user):
            return f"{ACTION_LABELS[action]}できるのはDX推進課です。"
        return None
    return None  # pragma: no cover - every action is handled above


def allowed(user, evaluation) -> set[Action]:
    """The actions the page offers ``user`` (publishing happens per fiscal year, not here)."""
    return {
        t.action
        for t in TRANSITIONS
        if t.source == evaluation.status
        and t.action != Action.PUBLISH
        and refusal(user, evaluation, t.action) is None
    }


def approvers(evaluation, users) -> list:
    """Of ``users`` (with departments and groups prefetched), those who may approve now."""
    if evaluation.status != Status.SUBMITTED:
        return []
    return [user for user in users if refusal(user, evaluation, Action.APPROVE) is None]


# ---- revisions of the plan (editions) -----------------------------------------------------
#
#     下書き ──提出──► 承認待ち ──承認──► 承認済み ──公表──► 公表済み（第N版）
#       ▲   ◄──差し戻し──┘
#
# - edit, submit: DX staff;
# - approve: the head of DX (a 所管課長 of DX推進課) who neither submitted it nor edited it last;
# - send back: the head of DX or DX staff, while it waits for approval (a reason is required);
# - publish: DX staff, once approved: the changes are applied and the next edition is made.

RevisionStatus = PlanRevision.Status

REVISION_TRANSITIONS = [
    Transition(RevisionStatus.DRAFT, Action.EDIT, RevisionStatus.DRAFT),
    Transition(RevisionStatus.DRAFT, Action.SUBMIT, RevisionStatus.SUBMITTED),
    Transition(RevisionStatus.SUBMITTED, Action.APPROVE, RevisionStatus.APPROVED),
    Transition(RevisionStatus.SUBMITTED, Action.RETURN, RevisionStatus.DRAFT, needs_reason=True),
    Transition(RevisionStatus.APPROVED, Action.PUBLISH, RevisionStatus.PUBLISHED),
]
_REVISION_BY_KEY = {(t.source, t.action): t for t in REVISION_TRANSITIONS}


def revision_transition(status: str, action: Action) -> Transition | None:
    return _REVISION_BY_KEY.get((RevisionStatus(status), action))


def revision_refusal(user, revision, action: Action) -> str | None:
    """Why ``user`` may not take ``action`` on the plan's ``revision`` now (None: they may)."""
    if revision_transition(revision.status, action) is None:
        return (
            f"この改訂案は「{revision.get_status_display()}」のため、"
            f"{ACTION_LABELS[action]}できません。"
        )
    if action in (Action.EDIT, Action.SUBMIT, Action.PUBLISH):
        if not permissions.is_dx_staff(user):
            return f"計画の改訂案を{ACTION_LABELS[action]}できるのはDX推進課の職員です。"
        return None
    if action == Action.APPROVE:
        if not permissions.is_head_of_dx(user):
            return "計画の改訂を承認できるのは、DX推進課の課長です。"
        if revision.submitted_by_id == user.pk:
            return "提出した人は承認できません。DX推進課のほかの課長に承認を依頼してください。"
        if revision.last_edited_by_id == user.pk:
            return (
                "最後に編集した人は承認できません。DX推進課のほかの課長に承認を依頼してください。"
            )
        return None
    if action == Action.RETURN:
        if not (permissions.is_head_of_dx(user) or permissions.is_dx_staff(user)):
            return "差し戻しできるのは、DX推進課の課長と職員です。"
        return None
    return f"計画の改訂案は{ACTION_LABELS[action]}できません。"


def revision_allowed(user, revision) -> set[Action]:
    return {
        t.action
        for t in REVISION_TRANSITIONS
        if t.source == revision.status and revision_refusal(user, revision, t.action) is None
    }

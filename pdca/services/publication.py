"""Publishing a fiscal year: freeze what the public sees as a new version of that year's
snapshot. Earlier versions are kept; the public pages show the latest and list the others."""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from kpis.models import Actual
from pdca.models import Evaluation, PublishedSnapshot
from pdca.opendata import build_document
from pdca.selectors import LOCKING, check_cycle_year
from pdca.services.evaluations import mark_published
from priorities import permissions
from priorities.models import Plan, PriorityItem
from shizuoka_dx.fiscal import format_fiscal_year
from shizuoka_dx.history import delete_recorded, save_recorded
from systems.models import CostRecord


@dataclass
class PublishBlocked(Exception):
    unapproved: list[PriorityItem]

    def __str__(self):
        codes = "、".join(item.code for item in self.unapproved)
        return f"承認されていない重点項目があります（{codes}）。"


def unapproved_items(fiscal_year: int) -> list[PriorityItem]:
    done = Evaluation.objects.filter(fiscal_year=fiscal_year, status__in=LOCKING).values("item_id")
    return list(PriorityItem.objects.in_plan_order().exclude(pk__in=done))


def check_publishable(fiscal_year: int, force_reason: str = "") -> list[PriorityItem]:
    """The items still unapproved; raises PublishBlocked while there are any and no reason is
    given. The staff page asks before starting the work in the background; publishing asks again."""
    waiting = unapproved_items(fiscal_year)
    if waiting and not force_reason.strip():
        raise PublishBlocked(waiting)
    return waiting


def snapshot_document(fiscal_year: int, *, published_at, forced_reason: str = "") -> dict:
    """The open data as the public will see it for ``fiscal_year``: earlier years' actuals, this
    year's actuals of approved items only, and the approved evaluations' CHECK/ACT."""
    approved = list(Evaluation.objects.filter(fiscal_year=fiscal_year, status__in=LOCKING))
    approved_items = [e.item_id for e in approved]
    actuals = Actual.objects.filter(
        Q(fiscal_year__lt=fiscal_year)
        | Q(fiscal_year=fiscal_year, kpi__placements__initiative__item__in=approved_items)
    ).distinct()
    costs = CostRecord.objects.filter(fiscal_year__lte=fiscal_year)
    waiting = [item.code for item in unapproved_items(fiscal_year)]
    document = build_document(
        published_fiscal_year=fiscal_year,
        actuals=actuals,
        costs=costs,
        evaluations=approved,
        unpublished_items=waiting,
    )
    document["published_at"] = published_at.isoformat(timespec="seconds")
    document["forced_reason"] = forced_reason or None
    document["unapproved_items"] = waiting
    return document


def _kpi_figures(document: dict) -> dict[str, tuple]:
    """Each KPI's published figures: (code, year) → (value, grade)."""
    figures = {}
    for item in document.get("items", []):
        for initiative in item["initiatives"]:
            for kpi in initiative["kpis"]:
                for actual in kpi["actuals"]:
                    figures[(kpi["code"], actual["fiscal_year"])] = (
                        actual["value"],
                        actual["grade"],
                    )
    return figures


EVALUATION_PARTS = {
    "quantitative": "達成状況の分析（定量）",
    "qualitative": "達成状況の分析（定性）",
    "issues": "課題",
    "countermeasures": "対策",
    "next_plan": "次年度の取組",
}


def corrections_between(before: dict, after: dict) -> list[dict]:
    """What a new version of a year's publication changed: each KPI figure and evaluation text
    that differs (what, before, after), in the plan's order; empty when nothing did."""
    changes = []
    old, new = _kpi_figures(before), _kpi_figures(after)
    for key in sorted(set(old) | set(new), key=lambda k: (k[0], k[1])):
        if old.get(key) == new.get(key):
            continue
        code, year = key

        def shown(figure):
            return "（なし）" if figure is None else f"{figure[0]}（評価 {figure[1]}）"

        changes.append(
            {
                "what": f"{code} {format_fiscal_year(year, western=False)}の実績",
                "before": shown(old.get(key)),
                "after": shown(new.get(key)),
            }
        )
    old_items = {i["code"]: i.get("evaluation") or {} for i in before.get("items", [])}
    for item in after.get("items", []):
        previous, current = old_items.get(item["code"], {}), item.get("evaluation") or {}
        for field, label in EVALUATION_PARTS.items():
            if previous.get(field, "") != current.get(field, ""):
                changes.append(
                    {
                        "what": f"{item['code']} の評価「{label}」",
                        "before": previous.get(field) or "（なし）",
                        "after": current.get(field) or "（なし）",
                    }
                )
    return changes


@transaction.atomic
def publish_fiscal_year(
    *, fiscal_year: int, user, force_reason: str = "", correction_reason: str = ""
) -> PublishedSnapshot:
    """Freeze what the public sees for ``fiscal_year`` as a new version; refuse while items are
    unapproved, unless a reason is given (the public page then shows it)."""
    if not permissions.can_publish(user):
        raise PermissionDenied
    check_cycle_year(fiscal_year)
    # Two publications at once (a double click) take their version numbers one after the other:
    # the plan's row is locked even for a year without evaluations to lock.
    list(Plan.objects.select_for_update())
    # Lock this year's evaluations so none is reopened while the snapshot is taken.
    list(Evaluation.objects.select_for_update(of=("self",)).filter(fiscal_year=fiscal_year))
    waiting = check_publishable(fiscal_year, force_reason)
    now = timezone.now()
    reason_shown = force_reason.strip() if waiting else ""
    previous = (
        PublishedSnapshot.objects.filter(fiscal_year=fiscal_year).order_by("-version").first()
    )
    document = snapshot_document(fiscal_year, published_at=now, forced_reason=reason_shown)
    corrections = corrections_between(previous.document, document) if previous else []
    correction_reason = correction_reason.strip() if previous else ""
    if previous:
        document["correction"] = {
            "version": previous.version + 1,
            "reason": correction_reason or None,
            "published_at": document["published_at"],
            "changes": corrections,
        }
    snapshot = PublishedSnapshot(
        fiscal_year=fiscal_year,
        version=(previous.version if previous else 0) + 1,
        document=document,
        published_at=now,
        published_by=user,
        forced_reason=reason_shown,
        correction_reason=correction_reason,
        corrections=corrections,
    )
    reason = f"{format_fiscal_year(fiscal_year)}を公表（第{snapshot.version}版）"
    if reason_shown:
        reason += f"（未承認の項目あり: {reason_shown}）"
    if correction_reason:
        reason += f"（訂正: {correction_reason}）"
    save_recorded(snapshot, user=user, reason=reason)
    for evaluation in Evaluation.objects.filter(
        fiscal_year=fiscal_year, status=Evaluation.Status.APPROVED
    ).select_related("item"):
        mark_published(evaluation, user=user, now=now)
    return snapshot


def latest_snapshot() -> PublishedSnapshot | None:
    return PublishedSnapshot.objects.order_by("-fiscal_year", "-version").first()


@transaction.atomic
def remove_demo_publications(*, user) -> int:
    """Delete every publication that showed demo data (load_plan --remove-demo)."""
    removed = 0
    for snapshot in PublishedSnapshot.objects.select_for_update(of=("self",)):
        if snapshot.document.get("contains_demo_data"):
            delete_recorded(snapshot, user=user, reason="デモを含む公表を削除")
            removed += 1
    return removed

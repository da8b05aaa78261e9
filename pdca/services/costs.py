"""The one write path for Form ②'s yearly records: costs (budget and actual) and each year's
operating status with its 効果 / 課題 / 利益最大化 (admin, admin import, staff page, demo loader).

Checks, in order: permission (DX staff maintain costs), the fiscal year (not after the plan's
last year), the lock (an approved or published evaluation of an item that shows the system holds
that year's figures), the version the person saw, the model's validation. Records who and why.
"""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from pdca.models import Evaluation
from pdca.selectors import LOCKING, cycle_years
from pdca.services.actuals import ANY
from priorities import permissions
from shizuoka_dx.fiscal import format_fiscal_year
from shizuoka_dx.history import delete_recorded, save_recorded
from systems.models import CostRecord, System, SystemYear


class CostRefused(Exception):
    """Nothing was saved; the message is one Japanese sentence."""


def cost_refusal(*, system: System, fiscal_year: int, user) -> str | None:
    """Why ``user`` may not change ``system``'s cost for ``fiscal_year`` now (None: they may)."""
    if not permissions.is_dx_staff(user):
        return "経費の実績を入力・修正できるのはDX推進課の職員です。"
    last = cycle_years()[-1]
    if fiscal_year > last:
        return (
            f"{format_fiscal_year(fiscal_year)}は計画の期間より後です。"
            f"{format_fiscal_year(last, western=False)}までの経費を入力できます。"
        )
    _lock(system)
    # Lock every evaluation of the items that show the system for that year, whatever its
    # state: an approval under way then waits for this write (locking only those approved
    # already let an approval commit between this check and the save).
    evaluations = (
        Evaluation.objects.select_for_update(of=("self",))
        .select_related("item")
        .filter(item__systems=system, fiscal_year=fiscal_year)
        .order_by("pk")
    )
    locked = next((e for e in evaluations if e.status in LOCKING), None)
    if locked:
        return (
            f"{locked.item.code} の{format_fiscal_year(fiscal_year, western=False)}の評価は"
            f"{locked.get_status_display()}のため、この年度の経費は変更できません。"
            "変更が必要な場合は、DX推進課で評価を再開してください。"
        )
    return None


def _lock(system: System) -> None:
    """The system's row, before anything else of a cost write (the order every writer keeps:
    system, cost record, evaluations): a move of the system to another item
    (pdca/services/placements.py) locks it too, so the items that show it stay as read until
    this write commits."""
    list(System.objects.select_for_update(of=("self",)).filter(pk=system.pk))


def _check(record: CostRecord | None, seen, *, system, fiscal_year, user) -> None:
    reason = cost_refusal(system=system, fiscal_year=fiscal_year, user=user)
    if reason:
        raise CostRefused(reason)
    if seen is ANY:
        return
    current = record.version if record else None
    if seen != current:
        raise CostRefused(
            "確認したあとに、別の人がこの経費を登録・修正しました。画面を開き直して確認してください。"
        )


@transaction.atomic
def cost_save(
    *,
    system: System,
    fiscal_year: int,
    kind: str,
    thousand_yen: Decimal,
    note: str,
    user,
    reason: str,
    seen=ANY,
    demo: bool = False,
    basis: str = CostRecord.Basis.ACTUAL,
) -> tuple[CostRecord, bool]:
    """Create or correct one cost record (a budget or an actual); returns (record, created)."""
    _lock(system)
    record = (
        CostRecord.objects.select_for_update(of=("self",))
        .filter(system=system, fiscal_year=fiscal_year, kind=kind, basis=basis)
        .first()
    )
    _check(record, seen, system=system, fiscal_year=fiscal_year, user=user)
    created = record is None
    if created:
        record = CostRecord(system=system, fiscal_year=fiscal_year, kind=kind, basis=basis)
    else:
        record.version += 1
    record.thousand_yen = thousand_yen
    record.note = note
    record.is_demo = demo
    record.entered_by = user
    _save(record, user=user, reason=reason, taken="同じ経費")
    return record, created


@transaction.atomic
def cost_delete(*, record: CostRecord, user, reason: str, seen=ANY) -> None:
    _lock(record.system)
    current = CostRecord.objects.select_for_update(of=("self",)).filter(pk=record.pk).first()
    if current is None:
        return
    _check(current, seen, system=current.system, fiscal_year=current.fiscal_year, user=user)
    delete_recorded(current, user=user, reason=reason)


@transaction.atomic
def system_year_save(
    *,
    system: System,
    fiscal_year: int,
    status: str,
    effects: str,
    issues: str,
    actions: str,
    user,
    reason: str,
    seen=ANY,
    demo: bool = False,
) -> tuple[SystemYear, bool]:
    """Create or correct one year's Form ② (status, 効果, 課題, 利益最大化); same rules as a cost:
    DX staff, the plan's years, the lock of an approved year, the version seen."""
    _lock(system)
    record = (
        SystemYear.objects.select_for_update(of=("self",))
        .filter(system=system, fiscal_year=fiscal_year)
        .first()
    )
    _check(record, seen, system=system, fiscal_year=fiscal_year, user=user)
    created = record is None
    if created:
        record = SystemYear(system=system, fiscal_year=fiscal_year)
    else:
        record.version += 1
    record.status = status
    record.effects = effects
    record.issues = issues
    record.actions = actions
    record.is_demo = demo
    record.entered_by = user
    _save(record, user=user, reason=reason, taken="同じ年度の記録")
    return record, created


def _save(record, *, user, reason: str, taken: str) -> None:
    """Validate and save a cost or a year's Form ② record with its history row; a record that
    another person created meanwhile (the unique key) is refused, naming ``taken``."""
    try:
        with transaction.atomic():
            save_recorded(record, user=user, reason=reason)
    except ValidationError as exc:
        raise CostRefused(" ".join(exc.messages)) from None
    except IntegrityError:
        raise CostRefused(
            f"いま別の人が{taken}を登録しました。画面を開き直して確認してください。"
        ) from None

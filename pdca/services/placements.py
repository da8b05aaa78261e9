"""The one write path for where a KPI or a system is printed: ``KpiPlacement`` (a KPI on one of
an item's initiatives) and ``SystemPlacement`` (a system on an item's Form ②). Channels: the
admin (the placement pages and the inlines on the KPI and system pages) and ``load_plan``.

The rule: an approved or published evaluation holds the figures of the KPIs and systems its
item shows for that year (pdca/services/actuals.py and costs.py refuse to change them). So a
change that adds a KPI (system) to an item, or removes it from one, is refused while the KPI has
an actual (the system a cost record) in a fiscal year for which the item it leaves or joins has
such an evaluation: moving it away would unlock the figure, and moving it back would put a
changed figure under the approval. A change that leaves the KPI's items as they were (another
initiative of the same item, the order, the note) is always allowed.

Writes lock the KPI (system) rows first, as the actual (cost) services do, then the evaluations
concerned, so a move and an entry of a figure or an approval cannot interleave.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from kpis.models import Actual, Kpi, KpiPlacement
from pdca.models import Evaluation
from pdca.selectors import LOCKING
from priorities.models import Initiative, PriorityItem
from shizuoka_dx.fiscal import format_fiscal_year
from shizuoka_dx.history import delete_recorded, save_recorded
from systems.models import CostRecord, System, SystemPlacement

REOPEN_FIRST = "先にDX推進課に評価の再開を依頼してください。"


class PlacementRefused(Exception):
    """Nothing was saved; the message is one Japanese sentence."""


@dataclass(frozen=True)
class Move:
    """A KPI or a system whose items change: the ids of the items that show it, before and
    after."""

    subject: Kpi | System
    before: frozenset[int]
    after: frozenset[int]


@dataclass(frozen=True)
class Refusal:
    item: PriorityItem
    fiscal_year: int
    message: str


def _sentence(move: Move, evaluation: Evaluation) -> str:
    item = evaluation.item.code
    held = (
        f"{item} の{format_fiscal_year(evaluation.fiscal_year, western=False)}の評価は"
        f"{evaluation.get_status_display()}"
    )
    if isinstance(move.subject, Kpi):
        code = move.subject.code
        if evaluation.item_id in move.before:
            return f"{held}で {code} のこの年度の実績を含むため、{code} を {item} から外すには、{REOPEN_FIRST}"
        return f"{held}のため、この年度の実績がある {code} を {item} に加えるには、{REOPEN_FIRST}"
    name = f"「{move.subject.name}」"
    if evaluation.item_id in move.before:
        return f"{held}で{name}のこの年度の経費を含むため、{name}を {item} の様式②から外すには、{REOPEN_FIRST}"
    return f"{held}のため、この年度の経費がある{name}を {item} の様式②に加えるには、{REOPEN_FIRST}"


def move_refusal(moves: Iterable[Move], *, lock: bool = False) -> Refusal | None:
    """Why the moves may not be made (for the first move refused: its earliest held year, then
    item), or None.

    With ``lock`` the evaluations looked at are locked until the transaction ends."""
    for move in moves:
        changed = move.before ^ move.after
        if not changed:
            continue
        if isinstance(move.subject, Kpi):
            figures = Actual.objects.filter(kpi=move.subject)
        else:
            figures = CostRecord.objects.filter(system=move.subject)
        years = set(figures.values_list("fiscal_year", flat=True))
        if not years:
            continue
        evaluations = (
            Evaluation.objects.filter(item_id__in=changed, fiscal_year__in=years)
            .select_related("item")
            .order_by("pk")
        )
        if lock:
            evaluations = evaluations.select_for_update(of=("self",))
        held = sorted(
            (e for e in evaluations if e.status in LOCKING),
            key=lambda e: (e.fiscal_year, e.item.code),
        )
        if held:
            return Refusal(held[0].item, held[0].fiscal_year, _sentence(move, held[0]))
    return None


# ---- what a set of placement changes does to each KPI's (system's) items --------------------


def _moves(model, subject_field: str, item_of, removed, added) -> list[Move]:
    """``removed``: pks of stored placements taken away (changed or deleted); ``added``:
    (subject, place) of the placements there will be instead (new or changed)."""
    removed = {pk for pk in removed if pk is not None}
    added = list(added)
    subjects = {subject.pk for subject, _ in added}
    subjects |= set(
        model.objects.filter(pk__in=removed).values_list(f"{subject_field}_id", flat=True)
    )
    before: dict[int, set[int]] = {pk: set() for pk in subjects}
    after: dict[int, set[int]] = {pk: set() for pk in subjects}
    rows = model.objects.filter(**{f"{subject_field}_id__in": subjects}).values_list(
        "pk", f"{subject_field}_id", item_of
    )
    for pk, subject_id, item_id in rows:
        before[subject_id].add(item_id)
        if pk not in removed:
            after[subject_id].add(item_id)
    for subject, item_id in added:
        after[subject.pk].add(item_id)
    objects = {s.pk: s for s, _ in added}
    related = model._meta.get_field(subject_field).related_model
    objects.update(related.objects.in_bulk(subjects - objects.keys()))
    return [
        Move(objects[pk], frozenset(before[pk]), frozenset(after[pk]))
        for pk in sorted(subjects)
        if before[pk] != after[pk]
    ]


def kpi_moves(*, removed: Iterable[int] = (), added: Iterable[tuple[Kpi, Initiative]] = ()):
    items = {initiative.pk: initiative.item_id for _, initiative in added}
    return _moves(
        KpiPlacement,
        "kpi",
        "initiative__item_id",
        removed,
        [(kpi, items[initiative.pk]) for kpi, initiative in added],
    )


def system_moves(*, removed: Iterable[int] = (), added: Iterable[tuple[System, PriorityItem]] = ()):
    return _moves(
        SystemPlacement, "system", "item_id", removed, [(s, item.pk) for s, item in added]
    )


def kpi_placement_refusal(
    *, removed: Iterable[int] = (), added: Iterable[tuple[Kpi, Initiative]] = ()
) -> str | None:
    """Why the stored placements ``removed`` (pks) may not be replaced by ``added`` ((KPI,
    initiative) pairs) now, or None. Changing a placement is removing it and adding the new."""
    refusal = move_refusal(kpi_moves(removed=removed, added=added))
    return refusal.message if refusal else None


def system_placement_refusal(
    *, removed: Iterable[int] = (), added: Iterable[tuple[System, PriorityItem]] = ()
) -> str | None:
    refusal = move_refusal(system_moves(removed=removed, added=added))
    return refusal.message if refusal else None


# ---- writes -----------------------------------------------------------------------------------


def _write(model, subject_field, moves, saved, deleted, *, user, reason) -> None:
    subjects = {getattr(p, f"{subject_field}_id") for p in [*saved, *deleted]}
    subjects |= set(
        model.objects.filter(pk__in=[p.pk for p in [*saved, *deleted] if p.pk]).values_list(
            f"{subject_field}_id", flat=True
        )
    )
    related = model._meta.get_field(subject_field).related_model
    list(related.objects.select_for_update(of=("self",)).filter(pk__in=subjects).order_by("pk"))
    refusal = move_refusal(moves(), lock=True)
    if refusal:
        raise PlacementRefused(refusal.message)
    try:
        for placement in deleted:
            if placement.pk is not None:
                delete_recorded(placement, user=user, reason=reason)
        for placement in saved:
            with transaction.atomic():
                save_recorded(placement, user=user, reason=reason)
    except ValidationError as exc:
        raise PlacementRefused(" ".join(exc.messages)) from None
    except IntegrityError:
        raise PlacementRefused(
            "いま別の人が同じ記載箇所を登録しました。画面を開き直して確認してください。"
        ) from None


@transaction.atomic
def kpi_placements_save(
    *, saved: Iterable[KpiPlacement] = (), deleted: Iterable[KpiPlacement] = (), user, reason: str
) -> None:
    """Save (add or change) and delete KPI placements together, or none of them."""
    saved, deleted = list(saved), list(deleted)

    def moves():
        return kpi_moves(
            removed=[p.pk for p in [*saved, *deleted]],
            added=[(p.kpi, p.initiative) for p in saved],
        )

    _write(KpiPlacement, "kpi", moves, saved, deleted, user=user, reason=reason)


@transaction.atomic
def system_placements_save(
    *,
    saved: Iterable[SystemPlacement] = (),
    deleted: Iterable[SystemPlacement] = (),
    user,
    reason: str,
) -> None:
    """Save (add or change) and delete Form ② placements together, or none of them."""
    saved, deleted = list(saved), list(deleted)

    def moves():
        return system_moves(
            removed=[p.pk for p in [*saved, *deleted]],
            added=[(p.system, p.item) for p in saved],
        )

    _write(SystemPlacement, "system", moves, saved, deleted, user=user, reason=reason)


# ---- load_plan: the plan's placements before and after a load --------------------------------


@dataclass(frozen=True)
class Placed:
    """Which items show each KPI and each system (ids)."""

    kpis: dict[int, frozenset[int]]
    systems: dict[int, frozenset[int]]


def _items_of(model, subject_field: str, item_of: str) -> dict[int, frozenset[int]]:
    items: dict[int, set[int]] = {}
    for subject_id, item_id in model.objects.values_list(f"{subject_field}_id", item_of):
        items.setdefault(subject_id, set()).add(item_id)
    return {pk: frozenset(ids) for pk, ids in items.items()}


def placed_now() -> Placed:
    return Placed(
        _items_of(KpiPlacement, "kpi", "initiative__item_id"),
        _items_of(SystemPlacement, "system", "item_id"),
    )


def moves_since(before: Placed) -> list[Move]:
    """What changed between ``before`` and now (a KPI or system new since has no figures)."""
    now = placed_now()
    moves = []
    for model, old, new in ((Kpi, before.kpis, now.kpis), (System, before.systems, now.systems)):
        changed = {
            pk
            for pk in old.keys() | new.keys()
            if old.get(pk, frozenset()) != new.get(pk, frozenset())
        }
        for pk, subject in sorted(model.objects.in_bulk(changed).items()):
            moves.append(Move(subject, old.get(pk, frozenset()), new.get(pk, frozenset())))
    return moves

"""The one write path for KPI actuals: the KPI page, the Excel upload, ``import_actuals``, the
admin, admin import and the demo loader all call ``apply_actuals`` (or its one-row forms).

For every row it checks, in this order, and refuses with one Japanese sentence per problem:
1. permission: the user may edit one of the items that print the KPI;
2. the KPI's fiscal-year window (baseline FY to target FY + 1);
3. the lock: no approved or published evaluation holds this KPI's figure for that FY (the KPI
   and evaluation rows are locked with SELECT … FOR UPDATE while the write runs);
4. the version the person saw (``seen``) is still the current one: no lost update;
5. the model's own validation (value or stage, as the KPI measures).
Then it saves every row or none, clears the demo flag (unless the demo loader writes), sets who
entered it, and records who, when and why in the history: a history row for every actual added
or changed. All rows are checked first (reads in a fixed number of queries, the existing actuals
and the evaluations locked), then written together: one bulk insert and one bulk update, each with
its history rows (``shizuoka_dx.history.create_all_recorded`` / ``update_all_recorded``), so a
file of 10,000 rows costs a few dozen statements rather than eight a row.
"""

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from kpis.models import Actual, Kpi, KpiPlacement
from kpis.parsing import ParsedValue
from pdca.selectors import LOCKING, evaluations_over
from priorities import permissions
from priorities.models import PriorityItem
from shizuoka_dx.fiscal import format_fiscal_year
from shizuoka_dx.history import create_all_recorded, delete_recorded, update_all_recorded

FIELD_LABELS = {"value": "実績値", "stage": "実績値", "fiscal_year": "年度", "note": "備考"}
ANY = object()  # ``seen`` for a channel that shows no earlier value (a command's file);
# ``seen=None`` means the person saw no actual for this KPI and FY


class ActualsRefused(Exception):
    """Nothing was saved; ``errors`` has one Japanese line per problem."""

    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass(frozen=True)
class ActualChange:
    """One requested change. ``parsed`` None deletes the actual; ``row`` is where it came from
    (a file's row number) for messages; ``seen`` is the version the person saw."""

    kpi: Kpi
    fiscal_year: int
    parsed: ParsedValue | None
    note: str = ""
    seen: object = ANY
    row: int | None = None


@dataclass(frozen=True)
class Before:
    """An actual as it was before a change: what a preview compares the change with."""

    parsed: ParsedValue
    note: str
    is_demo: bool
    display: str  # the value as shown, 「（デモ）」 after a demo value


@dataclass
class ActualsResult:
    added: list[ActualChange] = field(default_factory=list)
    changed: list[tuple[ActualChange, str]] = field(default_factory=list)  # (change, old value)
    unchanged: list[ActualChange] = field(default_factory=list)
    deleted: list[tuple[ActualChange, str]] = field(default_factory=list)
    actuals: list[Actual] = field(default_factory=list)
    # The version each (kpi_id, FY) had before this call (None: no actual): what a preview showed.
    before: dict[tuple[int, int], int | None] = field(default_factory=dict)
    # Each changed actual as it was (value, note, demo flag): what a preview says will change.
    previous: dict[tuple[int, int], Before] = field(default_factory=dict)


class _DryRun(Exception):
    pass


def _where(change: ActualChange) -> str:
    place = f"{change.kpi.code} の{format_fiscal_year(change.fiscal_year)}"
    return f"{change.row}行目（{place}）" if change.row else place


def _same(actual: Actual, change: ActualChange, demo: bool) -> bool:
    return (
        actual.value == change.parsed.value
        and actual.stage == change.parsed.stage
        and actual.note == change.note
        and actual.is_demo == demo
    )


def _editable(user, kpi_ids: set[int]) -> set[int]:
    """The KPIs ``user`` may enter actuals for: those printed on an item they may edit
    (``permissions.can_edit_item``), in three queries however many KPIs."""
    items_of: dict[int, set[int]] = {}
    for kpi_id, item_id in KpiPlacement.objects.filter(kpi_id__in=kpi_ids).values_list(
        "kpi_id", "initiative__item_id"
    ):
        items_of.setdefault(kpi_id, set()).add(item_id)
    item_ids = set().union(*items_of.values()) if items_of else set()
    allowed = {
        item.pk
        for item in PriorityItem.objects.filter(pk__in=item_ids).prefetch_related("departments")
        if permissions.can_edit_item(user, item)
    }
    return {kpi_id for kpi_id, items in items_of.items() if items & allowed}


# The database refuses an actual with both a value and a stage, or neither; the same rule is
# checked here first, with the constraint's own message, so a file's row is named.
VALUE_OR_STAGE = next(
    constraint
    for constraint in Actual._meta.constraints
    if constraint.name == "actual_has_value_or_stage"
)


def _problems(actual: Actual) -> dict[str, list[str]]:
    """The model's validation of one actual, without a query: its fields (digits, the fiscal
    year), ``Actual.clean`` (value or stage, as the KPI measures) and the value-or-stage
    constraint. The KPI and the user are known to exist; uniqueness is the caller's (the
    existing actuals are locked, and the database's unique constraint stands behind it)."""
    problems: dict[str, list[str]] = {}
    try:
        actual.full_clean(
            exclude=["kpi", "entered_by"], validate_unique=False, validate_constraints=False
        )
    except ValidationError as exc:
        problems.update(exc.message_dict)
    if (actual.value is None) == (actual.stage == ""):
        problems.setdefault("value", []).append(VALUE_OR_STAGE.get_violation_error_message())
    return problems


def apply_actuals(
    changes: list[ActualChange],
    *,
    user,
    reason: str,
    dry_run: bool = False,
    demo: bool = False,
) -> ActualsResult:
    """Save every change or none (ActualsRefused lists every problem); ``dry_run`` checks and
    reports what would happen, inside the same transaction and under the same locks, and
    writes nothing (not even a history row)."""
    if user is None:
        raise ValueError("apply_actuals needs the user (or the system account) behind the change")
    result = ActualsResult()
    try:
        with transaction.atomic():
            result = _apply(changes, user=user, reason=reason, demo=demo, dry_run=dry_run)
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    return result


SAVED_FIELDS = ["value", "stage", "note", "is_demo", "entered_by", "version", "updated_at"]


def _apply(changes, *, user, reason, demo, dry_run=False) -> ActualsResult:
    """Check every change against the locked state, then write them all in a few statements:
    one bulk insert and one bulk update (each with its history rows), whatever the number."""
    pairs = {(change.kpi.pk, change.fiscal_year) for change in changes}
    kpi_ids = {kpi_id for kpi_id, _ in pairs}
    # The KPI rows first: a move of the KPI to another item (pdca/services/placements.py) locks
    # them too, so the items read next are the ones the KPI stays on until this commits.
    list(Kpi.objects.select_for_update(of=("self",)).filter(pk__in=kpi_ids).order_by("pk"))
    locks = evaluations_over(pairs, for_update=True)
    existing = {
        (a.kpi_id, a.fiscal_year): a
        for a in Actual.objects.select_for_update(of=("self",)).filter(kpi_id__in=kpi_ids)
        if (a.kpi_id, a.fiscal_year) in pairs
    }
    kpis = Kpi.objects.in_bulk(kpi_ids)
    editable = _editable(user, kpi_ids)
    result = ActualsResult()
    errors: list[str] = []
    added: dict[tuple[int, int], tuple[ActualChange, Actual]] = {}
    updated: list[Actual] = []
    deleted: list[Actual] = []
    for change in changes:
        kpi = kpis[change.kpi.pk]
        where = _where(change)
        if kpi.pk not in editable:
            errors.append(
                f"{where}: この重点項目の実績は入力できません。所管課かDX推進課に依頼してください。"
            )
            continue
        if change.parsed is not None and kpi.spec_for(change.fiscal_year).pending:
            errors.append(
                f"{where}: {kpi.code} は測り方がまだ定められていない「設定予定」のKPIのため、"
                "実績は入力できません。計画の改訂で測り方を定めてから入力してください。"
            )
            continue
        start, end = kpi.fiscal_year_window()
        if not start <= change.fiscal_year <= end:
            errors.append(
                f"{where}: 計画の期間外です。{kpi.code} は{format_fiscal_year(start, western=False)}から"
                f"{format_fiscal_year(end, western=False)}までの実績を入力できます。"
            )
            continue
        pair = (kpi.pk, change.fiscal_year)
        locked = [e for e in locks.get(pair, []) if e.status in LOCKING]
        if locked:
            evaluation = locked[0]
            errors.append(
                f"{where}: {evaluation.item.code} の{format_fiscal_year(change.fiscal_year, western=False)}の評価は"
                f"{evaluation.get_status_display()}のため、実績は変更できません。"
                "変更が必要な場合は、DX推進課に評価の再開を依頼してください。"
            )
            continue
        actual = existing.get(pair)
        if actual is not None:
            actual.kpi = kpi  # read once for all rows: validation looks at the KPI
        result.before[pair] = actual.version if actual else None
        conflict = _version_conflict(actual, change)
        if conflict:
            errors.append(f"{where}: {conflict}")
            continue
        if change.parsed is None:
            if actual is not None:
                result.deleted.append((change, actual.display_value))
                deleted.append(actual)
            continue
        if actual is None:
            if pair in added:  # the same figure twice in one call: the second finds it taken
                errors.append(f"{where}: {_taken_message(change)}")
                continue
            actual = Actual(kpi=kpi, fiscal_year=change.fiscal_year)
            bucket = "added"
        elif _same(actual, change, demo):
            result.unchanged.append(change)
            result.actuals.append(actual)
            continue
        else:
            bucket = "changed"
            old = actual.display_value + ("（デモ）" if actual.is_demo else "")
            result.previous[pair] = Before(
                ParsedValue(actual.value, actual.stage), actual.note, actual.is_demo, old
            )
            actual.version += 1
        actual.value = change.parsed.value
        actual.stage = change.parsed.stage
        actual.note = change.note
        actual.is_demo = demo
        actual.entered_by = user
        problems = _problems(actual)
        if problems:
            for name, messages in problems.items():
                label = FIELD_LABELS.get(name, "実績値")
                errors.extend(f"{where} {label}: {message}" for message in messages)
            continue
        if bucket == "added":
            added[pair] = (change, actual)
            result.added.append(change)
        else:
            updated.append(actual)
            result.changed.append((change, old))
        result.actuals.append(actual)
    if errors:
        raise ActualsRefused(errors)
    if dry_run:  # everything is checked: a dry run stops before the first write
        return result
    for actual in deleted:
        delete_recorded(actual, user=user, reason=reason)
    try:
        with transaction.atomic():
            create_all_recorded(
                [actual for _change, actual in added.values()], user=user, reason=reason
            )
    except IntegrityError:  # created by someone else a moment ago, seen by the database
        taken = set(
            Actual.objects.filter(kpi_id__in={kpi_id for kpi_id, _ in added}).values_list(
                "kpi_id", "fiscal_year"
            )
        )
        raise ActualsRefused(
            [
                f"{_where(change)}: {_taken_message(change)}"
                for pair, (change, _a) in added.items()
                if pair in taken
            ]
            or ["いま別の人が同じ実績を登録しました。画面を開き直して確認してください。"]
        ) from None
    now = timezone.now()
    for actual in updated:
        actual.updated_at = now
    update_all_recorded(updated, SAVED_FIELDS, user=user, reason=reason)
    return result


def _taken_message(change: ActualChange) -> str:
    again = (
        "ファイルを確認して、もう一度取り込んでください。"
        if change.row is not None
        else "画面を開き直して確認してください。"
    )
    return f"いま別の人が同じ実績を登録しました。{again}"


def _version_conflict(actual: Actual | None, change: ActualChange) -> str:
    if change.seen is ANY or change.seen == (actual.version if actual else None):
        return ""
    if change.row is not None:  # a file row whose preview showed another state: upload again
        if actual is None:
            done = "削除しました"
        else:
            verb = "登録" if change.seen is None else "修正"
            done = f"{verb}しました（現在の値「{actual.display_value}」）"
        return (
            f"プレビューで確認したあとに、別の人がこの実績を{done}。"
            "ファイルを確認して、もう一度取り込んでください。"
        )
    if actual is None:
        return "確認したあとに、別の人がこの実績を削除しました。画面を開き直して確認してください。"
    if change.seen is None:
        return (
            f"この年度の実績はすでに登録されています（現在の値「{actual.display_value}」）。"
            "修正する場合は、実績の表の「修正」から開いてください。"
        )
    return (
        "確認したあとに、別の人がこの実績を登録・修正しました。"
        f"現在の値は「{actual.display_value}」です。画面を開き直して確認してから、もう一度入力してください。"
    )


def actual_save(
    *, kpi: Kpi, fiscal_year: int, parsed: ParsedValue, note: str, user, seen, reason: str
) -> tuple[Actual, bool]:
    """One actual from a page or the admin; returns (actual, created)."""
    change = ActualChange(kpi, fiscal_year, parsed, note, seen=seen)
    result = apply_actuals([change], user=user, reason=reason)
    return result.actuals[0], bool(result.added)


def actual_delete(*, actual: Actual, user, seen, reason: str) -> None:
    change = ActualChange(actual.kpi, actual.fiscal_year, None, seen=seen)
    apply_actuals([change], user=user, reason=reason)


def refusal_to_delete(actual: Actual, user) -> str | None:
    """Why ``user`` may not delete ``actual`` now (None: they may), without writing anything."""
    try:
        apply_actuals(
            [ActualChange(actual.kpi, actual.fiscal_year, None)],
            user=user,
            reason="",
            dry_run=True,
        )
    except ActualsRefused as exc:
        return exc.errors[0]
    return None

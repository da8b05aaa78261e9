"""Reading django-simple-history records as lines people can read: who, when, what changed."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import connections, router, transaction
from django.utils import timezone
from simple_history.models import HistoricalRecords
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from shizuoka_dx.fiscal import format_fiscal_year
from shizuoka_dx.numbers import format_number

ACTIONS = {"+": "追加", "~": "変更", "-": "削除"}
SKIPPED_FIELDS = {"id", "version", "updated_at", "entered_at"}
SYSTEM_WHO = "システム（コマンド）"
# One save in the admin writes a row for the object and one per many-to-many change
# (e.g. remove + add); rows of one object by one person with one reason this close together
# are shown as one change.
SAME_CHANGE_WITHIN = timedelta(seconds=2)
# simple-history keeps the reason in a CharField(max_length=100).
REASON_MAX_LENGTH = 100


@dataclass
class Change:
    label: str
    old: str
    new: str


@dataclass
class Entry:
    when: datetime
    who: str
    action: str
    what: str
    reason: str
    changes: list[Change] = field(default_factory=list)


def person_name(user) -> str:
    """A person as colleagues name them: family name first (駿河 花子), else the login name."""
    if user is None:
        return SYSTEM_WHO
    full = " ".join(part for part in (user.last_name, user.first_name) if part)
    return full or user.get_username()


def _display(record, name, model_field=None, unit: str = "") -> str:
    """A value as people read it: a choice by its label (承認済み), a moment in local time to the
    minute, a person by name, a number with its unit."""
    return readable(getattr(record, name, None), model_field, unit)


def readable(value, model_field=None, unit: str = "") -> str:
    """One value of a field in people's words (see ``_display``); the admin's history uses it too."""
    if value is None or value == "":
        return "（空欄）"
    if model_field is not None and model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return "はい" if value else "いいえ"
    if isinstance(value, datetime):
        moment = timezone.localtime(value) if timezone.is_aware(value) else value
        return f"{moment.year}年{moment.month}月{moment.day}日 {moment:%H:%M}"
    if isinstance(value, date):
        return f"{value.year}年{value.month}月{value.day}日"
    if model_field is not None and model_field.name.endswith("fiscal_year"):
        return format_fiscal_year(value, western=False)
    if isinstance(value, Decimal):
        return format_number(value) + unit
    if isinstance(value, int):
        return f"{value}{unit}"
    if hasattr(value, "get_full_name"):
        return person_name(value)
    return str(value)


def _fields(model) -> list:
    return [
        f
        for f in model._meta.fields
        if f.name not in SKIPPED_FIELDS and not f.name.startswith("history_")
    ]


def object_name(obj) -> str:
    """How a related object is named in the history: a person by name, anything else by str."""
    if hasattr(obj, "get_full_name"):
        return person_name(obj)
    return str(obj)


def _m2m_states(records) -> dict[tuple[type, int], dict]:
    """The many-to-many state each historical record kept: {(history model, history_id): {field:
    (frozenset of related pks, {pk: name})}}. Two queries per many-to-many field, however many
    records (so a page's query count does not grow with its history)."""
    by_model = defaultdict(list)
    for record in records:
        by_model[type(record)].append(record.history_id)
    states: dict[tuple[type, int], dict] = {}
    for history_model, history_ids in by_model.items():
        for m2m_field in getattr(history_model, "_history_m2m_fields", ()):
            rows_model = getattr(history_model, m2m_field.name).model
            target = m2m_field.m2m_reverse_field_name()
            target_attname = rows_model._meta.get_field(target).attname
            pairs = rows_model.objects.filter(history_id__in=history_ids).values_list(
                "history_id", target_attname
            )
            members = defaultdict(set)
            for history_id, pk in pairs:
                members[history_id].add(pk)
            related = m2m_field.related_model
            pks = set().union(*members.values()) if members else set()
            names = {
                obj.pk: object_name(obj) for obj in related._default_manager.filter(pk__in=pks)
            }
            for history_id in history_ids:
                states.setdefault((history_model, history_id), {})[m2m_field] = (
                    frozenset(members.get(history_id, ())),
                    names,
                )
    return states


def _m2m_display(pks, names, related) -> str:
    if not pks:
        return "（なし）"
    deleted = f"（削除された{related._meta.verbose_name}）"
    return "、".join(sorted(names.get(pk, deleted) for pk in pks))


def _field_changes(before, after, unit_of=None) -> list[Change]:
    changes = []
    for model_field in _fields(after.instance_type):
        name = model_field.attname
        if getattr(before, name, None) != getattr(after, name, None):
            attribute = model_field.name if model_field.is_relation else name
            unit = unit_of(after, model_field.name) if unit_of else ""
            changes.append(
                Change(
                    str(model_field.verbose_name),
                    _display(before, attribute, model_field, unit),
                    _display(after, attribute, model_field, unit),
                )
            )
    return changes


def _created_values(record, unit_of=None) -> list[Change]:
    """What a new record holds (its filled-in fields), shown as the values it was created with."""
    values = []
    for model_field in _fields(record.instance_type):
        if model_field.is_relation:
            continue  # the record's place (its KPI, item, system) is in its description
        attribute = model_field.attname
        value = getattr(record, attribute, None)
        if value is None or value == "" or value is False:
            continue
        unit = unit_of(record, model_field.name) if unit_of else ""
        shown = _display(record, attribute, model_field, unit)
        values.append(Change(str(model_field.verbose_name), "", shown))
    return values


def _m2m_changes(before, after, m2m) -> list[Change]:
    changes = []
    old_state = m2m.get((type(before), before.history_id), {})
    for m2m_field, (new_pks, names) in m2m.get((type(after), after.history_id), {}).items():
        old_pks, old_names = old_state.get(m2m_field, (frozenset(), {}))
        if old_pks != new_pks:
            related = m2m_field.related_model
            changes.append(
                Change(
                    str(m2m_field.verbose_name),
                    _m2m_display(old_pks, old_names, related),
                    _m2m_display(new_pks, names, related),
                )
            )
    return changes


def _same_change(run: list, record) -> bool:
    """Whether ``record`` was written by the same save as the rows of ``run``: same person, same
    reason, moments later. After a creation, only rows that fill in its many-to-many fields
    count (a value changed just after being entered stays a change of its own)."""
    last = run[-1]
    if not (
        record.history_type == "~"
        and last.history_type != "-"
        and record.history_user_id == last.history_user_id
        and (record.history_change_reason or "") == (last.history_change_reason or "")
        and record.history_date - last.history_date <= SAME_CHANGE_WITHIN
    ):
        return False
    return run[0].history_type != "+" or not _field_changes(last, record)


def _runs(rows: list) -> list[list]:
    runs: list[list] = []
    for record in rows:
        if runs and _same_change(runs[-1], record):
            runs[-1].append(record)
        else:
            runs.append([record])
    return runs


def entries(records, *, describe, unit_of=None) -> list[Entry]:
    """History entries, newest first, for historical records of any models.

    ``records`` is an iterable of historical rows (with ``history_user`` selected);
    ``describe(record)`` names the object a record is about (e.g. 「1-1-K01 令和6年度の実績」).
    Many-to-many fields kept by the history (``m2m_fields``) are compared too. Rows of one object
    saved together (same person, same reason, within ``SAME_CHANGE_WITHIN``) make one entry,
    from the state before the first to the state after the last; a change that changed nothing
    shown here is left out. A new record lists the values it was created with.
    ``unit_of(record, field_name)`` gives the unit a number of that field is shown with (「件」,
    「千円」; default none).
    """
    records = list(records)
    m2m = _m2m_states(records)
    by_object = defaultdict(list)
    for record in records:
        by_object[(record._meta.label, record.id)].append(record)
    out = []
    for rows in by_object.values():
        rows.sort(key=lambda r: (r.history_date, r.history_id))
        before = None
        for run in _runs(rows):
            first, last = run[0], run[-1]
            changes = []
            if first.history_type == "~":
                # Without the state before (history started later), what changed is unknown.
                if before is not None:
                    changes = _field_changes(before, last, unit_of) + _m2m_changes(
                        before, last, m2m
                    )
                if not changes:
                    before = last
                    continue
            elif first.history_type == "+":
                changes = _created_values(last, unit_of)
            out.append(
                Entry(
                    when=last.history_date,
                    who=person_name(first.history_user),
                    action=ACTIONS.get(first.history_type, first.history_type),
                    what=describe(last),
                    reason=first.history_change_reason or "",
                    changes=changes,
                )
            )
            before = last
    out.sort(key=lambda entry: entry.when, reverse=True)
    return out


def _short_reason(reason: str) -> str:
    if len(reason) <= REASON_MAX_LENGTH:
        return reason
    return reason[: REASON_MAX_LENGTH - 1] + "…"


def save_recorded(obj, *, user, reason: str) -> None:
    """Validate and save ``obj``, telling the history who did it and why.

    Only the write services call this (one write path per record); ``user`` is a person or the
    named system account of a command, never None."""
    obj._history_user = user
    obj._change_reason = _short_reason(reason)
    obj.full_clean()
    obj.save()


# Rows per INSERT statement for the bulk writes below.
BULK_BATCH = 500


def create_all_recorded(objs: list, *, user, reason: str) -> list:
    """Insert already validated ``objs`` (one model) in a few statements, with a history row
    for each naming ``user`` and ``reason`` (simple-history's bulk helper: Django's own bulk
    insert would record nothing). Returns the objects with their primary keys."""
    if not objs:
        return []
    return bulk_create_with_history(
        objs,
        type(objs[0]),
        batch_size=BULK_BATCH,
        default_user=user,
        default_change_reason=_short_reason(reason),
    )


def update_all_recorded(objs: list, fields: list[str], *, user, reason: str) -> None:
    """Update ``fields`` of already validated ``objs`` (one model), with a history row for each
    (``bulk_update_with_history`` writes them; a bulk update alone would record nothing).

    The rows are written with one UPDATE statement run for each object (``executemany``, each
    value prepared by its field as ``save`` would): Django's own bulk update builds a CASE
    expression per field and row, which costs more than the writing itself. ``auto_now``
    fields are not touched: the caller sets them."""
    if not objs:
        return
    model = type(objs[0])
    meta = model._meta
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    columns = [meta.get_field(name) for name in fields]
    assignments = ", ".join(f"{quote(column.column)} = %s" for column in columns)
    sql = f"UPDATE {quote(meta.db_table)} SET {assignments} WHERE {quote(meta.pk.column)} = %s"
    rows = [
        [column.get_db_prep_save(getattr(obj, column.attname), connection) for column in columns]
        + [meta.pk.get_db_prep_save(obj.pk, connection)]
        for obj in objs
    ]
    with transaction.atomic(using=connection.alias, savepoint=False):
        with connection.cursor() as cursor:
            cursor.executemany(sql, rows)
        bulk_update_with_history(
            objs,
            model,
            [],  # the rows are written above; this writes their history rows
            batch_size=BULK_BATCH,
            default_user=user,
            default_change_reason=_short_reason(reason),
        )


def delete_recorded(obj, *, user, reason: str) -> None:
    obj._history_user = user
    obj._change_reason = _short_reason(reason)
    obj.delete()


class BothSidesHistory(HistoricalRecords):
    """History with many-to-many fields that records a change made from either side.

    simple-history records ``item.departments.add(d)``, but for the other side
    (``department.items.add(item)``, ``user.departments.set(...)``) it writes nothing useful.
    Here each object on this side whose set changed gets its own row, with the user and reason
    set on the object the change was made from (or the request's user)."""

    def m2m_changed(self, instance, action, attr, pk_set, reverse, **kwargs):
        if not reverse:
            return super().m2m_changed(instance, action, attr, pk_set, reverse, **kwargs)
        if not getattr(settings, "SIMPLE_HISTORY_ENABLED", True) or hasattr(
            instance, "skip_history_when_saving"
        ):
            return None
        m2m_field = self.cls._meta.get_field(attr)
        through = m2m_field.remote_field.through
        this_side = m2m_field.m2m_field_name() + "_id"
        other_side = m2m_field.m2m_reverse_field_name()
        if action == "pre_clear":
            instance._history_before_clear = set(
                through.objects.filter(**{other_side: instance}).values_list(this_side, flat=True)
            )
            return None
        if action in ("post_add", "post_remove"):
            changed = pk_set or set()
        elif action == "post_clear":
            changed = getattr(instance, "_history_before_clear", set())
        else:
            return None
        for obj in self.cls._default_manager.filter(pk__in=changed).order_by("pk"):
            if hasattr(instance, "_history_user"):
                obj._history_user = instance._history_user
            if hasattr(instance, "_change_reason"):
                obj._change_reason = instance._change_reason
            self.create_historical_record(obj, "~")
        return None

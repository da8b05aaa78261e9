"""Reading django-simple-history records as lines people can read: who, when, what changed."""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from shizuoka_dx.numbers import format_number

ACTIONS = {"+": "追加", "~": "変更", "-": "削除"}
SKIPPED_FIELDS = {"id", "version", "updated_at", "entered_at"}


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


def _display(record, name) -> str:
    value = getattr(record, name, None)
    if value is None or value == "":
        return "（空欄）"
    if isinstance(value, bool):
        return "はい" if value else "いいえ"
    if isinstance(value, Decimal):
        return format_number(value)
    return str(value)


def _fields(model) -> list:
    return [
        f
        for f in model._meta.fields
        if f.name not in SKIPPED_FIELDS and not f.name.startswith("history_")
    ]


def entries(records, *, describe) -> list[Entry]:
    """History entries, newest first, for historical records of any models.

    ``records`` is an iterable of historical rows (with ``history_user`` selected);
    ``describe(record)`` names the object a record is about (e.g. 「1-1-K01 令和6年度の実績」).
    """
    records = sorted(records, key=lambda r: (r._meta.label, r.id, r.history_date))
    previous = {}
    out = []
    for record in records:
        key = (record._meta.label, record.id)
        before = previous.get(key)
        changes = []
        if record.history_type == "~" and before is not None:
            for model_field in _fields(record.instance_type):
                name = model_field.attname
                old, new = getattr(before, name, None), getattr(record, name, None)
                if old != new:
                    label = str(model_field.verbose_name)
                    attribute = model_field.name if model_field.is_relation else name
                    changes.append(
                        Change(label, _display(before, attribute), _display(record, attribute))
                    )
            if not changes:
                previous[key] = record
                continue
        user = record.history_user
        out.append(
            Entry(
                when=record.history_date,
                who=(user.get_full_name() or user.username) if user else "システム（コマンド）",
                action=ACTIONS.get(record.history_type, record.history_type),
                what=describe(record),
                reason=record.history_change_reason or "",
                changes=changes,
            )
        )
        previous[key] = record
    out.sort(key=lambda entry: entry.when, reverse=True)
    return out


def save_recorded(obj, *, user, reason: str) -> None:
    """Validate and save ``obj``, telling the history who did it and why.

    Only the write services call this (one write path per record); ``user`` is a person or the
    named system account of a command, never None."""
    obj._history_user = user
    obj._change_reason = reason
    obj.full_clean()
    obj.save()


def delete_recorded(obj, *, user, reason: str) -> None:
    obj._history_user = user
    obj._change_reason = reason
    obj.delete()

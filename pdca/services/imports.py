"""Importing a file of actuals: read it (shizuoka_dx/tabular.py, through kpis/importing.py), check
it (kpis/importing.py), then save every row or none through the one write path
(pdca/services/actuals.py).

A preview is a dry run whose result remembers the version of every actual it showed
(``ImportResult.seen``); confirming passes those versions back, so a figure someone changed
between the preview and the confirmation is refused with its row, never silently overwritten.

``preview_upload`` and ``confirm_upload`` do that for a file uploaded on the Excel page
(pdca/uploads.py): the page calls them at once for a small file, a background worker for a large
one (pdca/tasks.py), with the same user and so the same rights.
"""

from dataclasses import dataclass, field
from pathlib import Path

from kpis.importing import PROGRESS_EVERY, ImportRefused, check_rows, read_rows
from kpis.models import Kpi
from pdca.models import PendingUpload
from pdca.services.actuals import (
    ANY,
    ActualChange,
    ActualsRefused,
    ActualsResult,
    Before,
    apply_actuals,
)
from pdca.uploads import local_copy
from priorities import permissions
from shizuoka_dx.fiscal import format_fiscal_year
from shizuoka_dx.numbers import format_number


@dataclass
class ImportResult:
    applied: ActualsResult
    skipped_blank: list[int] = field(default_factory=list)
    dry_run: bool = False
    seen: dict[str, int | None] = field(default_factory=dict)  # "KPI:FY" → version shown

    @property
    def added(self):
        return self.applied.added

    @property
    def changed(self):
        return self.applied.changed

    @property
    def unchanged(self):
        return self.applied.unchanged

    def summary(self) -> str:
        if self.skipped_blank and not (self.added or self.changed or self.unchanged):
            return (
                f"実績値が入力された行がありません（実績値が空欄の行 {len(self.skipped_blank)} 件を"
                "読み飛ばしました）。何も保存していません。"
            )
        verb = "取り込むと" if self.dry_run else "取り込みました:"
        text = (
            f"{verb} 追加 {len(self.added)} 件、更新 {len(self.changed)} 件、"
            f"変更なし {len(self.unchanged)} 件"
        )
        if self.skipped_blank:
            text += f"、実績値が空欄の行 {len(self.skipped_blank)} 件は読み飛ばし"
        if self.dry_run:
            text += "（確認のみ。保存していません）"
        return text

    def lines(self) -> list[str]:
        """One line per row: what is added, and for an update every field that changes (the
        value, the note, the demo flag), old → new; a row whose only change is its note is an
        update too."""

        def head(change):
            return (
                f"{change.row}行目 {{}}: {change.kpi.code} {format_fiscal_year(change.fiscal_year)}"
            )

        out = [head(c).format("追加") + f" = {c.parsed.display()}{_note(c)}" for c in self.added]
        for change, old in self.changed:
            before = self.applied.previous[(change.kpi.pk, change.fiscal_year)]
            out.append(head(change).format("更新") + " " + "、".join(_changes(change, old, before)))
        out += [head(c).format("変更なし") for c in self.unchanged]
        return out


def _note(change: ActualChange) -> str:
    return f"（備考: {change.note}）" if change.note else ""


def _quoted_note(note: str) -> str:
    return f"「{note}」" if note else "（なし）"


def _shown(parsed) -> str:
    return parsed.stage or format_number(parsed.value)


def _changes(change: ActualChange, old: str, before: Before) -> list[str]:
    """What an update changes, old → new: 「実績値 324,081 → 330,000」, 「備考 「速報値」 →
    「確定値」」; a value that stays is named once so the line still says which figure it is."""
    if before.parsed != change.parsed or before.is_demo:
        parts = [f"実績値 {old} → {_shown(change.parsed)}"]
    else:
        parts = [f"実績値 {old} のまま"]
    if before.note != change.note:
        parts.append(f"備考 {_quoted_note(before.note)} → {_quoted_note(change.note)}")
    return parts


def seen_key(kpi_code: str, fiscal_year: int) -> str:
    return f"{kpi_code}:{fiscal_year}"


def import_actuals(
    *,
    path: Path,
    user,
    dry_run: bool = False,
    allowed: set[str] | None = None,
    source: str = "",
    progress=None,
    seen: dict[str, int | None] | None = None,
) -> ImportResult:
    """Read, check and save a file of actuals; raises ImportRefused (nothing saved) on any error.

    ``allowed`` limits the KPI codes (a department head's own items); ``seen`` holds the
    versions a preview showed (None: the file is saved over whatever is current, as a command
    does); ``progress`` receives a line every few hundred rows.
    """
    rows = read_rows(path)
    if progress and len(rows) >= PROGRESS_EVERY:
        progress(f"{len(rows)} 行を読み込みました")
    checked, blank, errors = check_rows(rows, allowed=allowed, progress=progress)
    if errors:
        raise ImportRefused(errors)
    if not checked and not blank:
        raise ImportRefused(["取り込む行がありません（見出しの下に実績の行がありません）。"])
    changes = [
        ActualChange(
            row.kpi,
            row.fiscal_year,
            row.parsed,
            row.note,
            seen=ANY if seen is None else seen.get(seen_key(row.kpi.code, row.fiscal_year)),
            row=row.number,
        )
        for row in checked
    ]
    name = source or Path(path).name
    if progress and len(rows) >= PROGRESS_EVERY:
        progress("変更点を確かめています" if dry_run else f"{len(changes)} 行を保存しています")
    try:
        applied = apply_actuals(changes, user=user, reason=f"取り込み（{name}）", dry_run=dry_run)
    except ActualsRefused as exc:
        raise ImportRefused(exc.errors) from None
    result = ImportResult(applied, skipped_blank=blank, dry_run=dry_run)
    result.seen = {
        seen_key(c.kpi.code, c.fiscal_year): applied.before.get((c.kpi.pk, c.fiscal_year))
        for c in changes
    }
    return result


GONE = "確認した内容が見つかりません。もう一度ファイルを選んでください。"


def allowed_codes(user) -> set[str] | None:
    """The KPI codes ``user`` may import: all for DX staff (None), their own items' for heads."""
    if permissions.is_dx_staff(user):
        return None
    return set(Kpi.objects.for_user(user).values_list("code", flat=True))


def preview_upload(upload: PendingUpload, *, user, progress=None) -> dict:
    """Check an uploaded file without saving and remember the versions shown on it; the preview
    as the page shows it. Refused or failed, the file is not kept (raises ImportRefused)."""
    kept = False
    try:
        with local_copy(upload) as path:
            result = import_actuals(
                path=path,
                user=user,
                dry_run=True,
                allowed=allowed_codes(user),
                source=upload.name,
                progress=progress,
            )
        kept = PendingUpload.objects.filter(pk=upload.pk).update(seen=result.seen) == 1
        if not kept:  # cancelled, or replaced by another file, meanwhile
            raise ImportRefused([GONE])
    except PendingUpload.DoesNotExist:
        raise ImportRefused([GONE]) from None
    finally:
        if not kept:  # refused, or failed for any reason: nothing waits for a confirmation
            PendingUpload.objects.filter(pk=upload.pk).delete()
    return {
        "file_name": upload.name,
        "upload": upload.token,
        "summary": result.summary(),
        "lines": result.lines(),
    }


def confirm_upload(upload: PendingUpload, *, user, progress=None) -> str:
    """Save what the preview showed (a row someone changed since refuses the whole file); the
    message the page shows. The file is removed whatever happens."""
    try:
        if upload.seen is None:  # never previewed: nothing was shown to confirm
            raise PendingUpload.DoesNotExist
        with local_copy(upload) as path:
            result = import_actuals(
                path=path,
                user=user,
                allowed=allowed_codes(user),
                source=upload.name,
                seen=upload.seen,
                progress=progress,
            )
    except PendingUpload.DoesNotExist:
        raise ImportRefused([GONE]) from None
    finally:
        PendingUpload.objects.filter(pk=upload.pk).delete()
    return f"{upload.name} を{result.summary()}"

"""Shared django-import-export pieces: safe exports, all-or-nothing imports, Excel-friendly CSV."""

import tempfile
from pathlib import Path

import tablib
from import_export import resources
from import_export.formats import base_formats

from shizuoka_dx.spreadsheets import safe_cell, unguard_cell
from shizuoka_dx.tabular import FileRefused, column_letter, read_grid


def _line_ends_as_lf(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def same_but_line_ends(text: str, other: str) -> bool:
    """An .xlsx cell stores a line break as LF whatever was typed (CR LF from a browser's text
    box): the same text to a person."""
    return _line_ends_as_lf(text) == _line_ends_as_lf(other)


class SafeResource(resources.ModelResource):
    """Every resource we offer in the admin.

    - Imports run in one transaction and roll back entirely on any error, including the
      model's own validation (``full_clean``), so nothing is half-saved.
    - Exported text that a spreadsheet would run as a formula is escaped; numbers stay numbers.
    - Importing our own export changes nothing: the escape is undone on every cell, and text that
      differs from the saved text only in its line ends (an .xlsx keeps LF) keeps the saved text.
    """

    def import_row(self, row, instance_loader, **kwargs):
        for column, value in row.items():
            row[column] = unguard_cell(value)
        return super().import_row(row, instance_loader, **kwargs)

    def import_field(self, field, instance, row, is_m2m=False, **kwargs):
        column = field.column_name
        if instance.pk and field.attribute and column in row:
            saved, value = getattr(instance, field.attribute, None), row[column]
            if (
                isinstance(saved, str)
                and isinstance(value, str)
                and value != saved
                and same_but_line_ends(value, saved)
            ):
                row = {**row, column: saved}
        try:
            return super().import_field(field, instance, row, is_m2m, **kwargs)
        except ArithmeticError:  # decimal.InvalidOperation: it would show "[<class 'decimal…'>]"
            raise ValueError(
                f"列「{column}」の「{row.get(column)}」は数値として読めません。"
                "半角の数字で入力してください（例: 375000）。"
            ) from None

    def import_data(self, dataset, **kwargs):
        kwargs["use_transactions"] = True
        kwargs["rollback_on_validation_errors"] = True
        return super().import_data(dataset, **kwargs)

    def before_import(self, dataset, **kwargs):
        """A file without the columns that name each record is refused in words (import-export
        would say it in English, with a traceback)."""
        headers = set(dataset.headers or ())
        missing = [
            self.fields[name].column_name
            for name in self.get_import_id_fields()
            if self.fields[name].column_name not in headers
        ]
        if missing:
            raise ValueError(
                f"ファイルに列「{'」「'.join(missing)}」がありません。"
                "管理画面から書き出したファイルの見出しのまま取り込んでください。"
            )
        return super().before_import(dataset, **kwargs)

    def before_save_instance(self, instance, row, **kwargs):
        instance._change_reason = "管理画面から取り込み"

    def export_field(self, field, instance, **kwargs):
        return safe_cell(super().export_field(field, instance, **kwargs))


AGAIN = "表示して内容を確かめてから、保存し直してください。"


def read_upload(data: bytes, suffix: str) -> tablib.Dataset:
    """An admin import file read like every other upload (shizuoka_dx/tabular.py): bounded,
    strict, and refused when it holds what a person could not see. Raises ValueError with
    Japanese lines, which the import page shows."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"upload{suffix}"
        path.write_bytes(data)
        try:
            grid = read_grid(path, sheet="データ", subject="データ")
        except FileRefused as exc:
            raise ValueError("\n".join(exc.errors)) from None
    layout, problems = grid.layout, []
    filled = {
        (number, column)
        for number, values in grid.rows
        for column, value in enumerate(values)
        if value not in (None, "")
    }
    for number, column in sorted(filled):
        cell = f"{column_letter(column)}{number}"
        if number in layout.hidden_rows:
            problems.append(f"{number}行目は非表示（または高さ0）です。行を再{AGAIN}")
        elif column in layout.hidden_columns:
            problems.append(f"{column_letter(column)}列は非表示（または幅0）です。列を再{AGAIN}")
        elif (number, column) in layout.unseen_cells:
            problems.append(f"{cell}セルの値が表示形式か文字の色のため見えません。値を{AGAIN}")
    problems += [
        f"セルが結合されています（{merge.ref}）。結合を解除してください。"
        for merge in layout.merged
    ]
    problems += [
        f"{column_letter(column)}{number}セルの数式に、保存された結果がありません。"
        "Excelで開いて保存し直してください。"
        for number, column in layout.formula_cells
    ]
    if problems:
        raise ValueError("\n".join(dict.fromkeys(problems)))
    rows = [
        [layout.percent_cells.get((number, column), value) for column, value in enumerate(values)]
        for number, values in grid.rows
        if any(value not in (None, "") for value in values)
    ]
    if not rows:
        raise ValueError("ファイルに見出しの行がありません。")
    width = len(rows[0])
    dataset = tablib.Dataset(headers=[str(h or "").strip() for h in rows[0]])
    for values in rows[1:]:
        dataset.append((list(values) + [None] * width)[:width])
    return dataset


class CsvWithBom(base_formats.CSV):
    """CSV that Japanese Excel opens correctly: UTF-8 with a byte-order mark. Reading is the
    uploads' strict reader (UTF-8 with or without the mark, or Shift_JIS)."""

    def get_title(self):
        return "csv"

    def export_data(self, dataset, **kwargs):
        return "\ufeff" + dataset.export("csv", **kwargs)

    def create_dataset(self, in_stream, **kwargs):
        if isinstance(in_stream, str):
            in_stream = in_stream.encode("utf-8")
        return read_upload(in_stream, ".csv")


class CheckedXlsx(base_formats.XLSX):
    """.xlsx exports as django-import-export writes them; imports through the uploads' reader."""

    def create_dataset(self, in_stream, **kwargs):
        return read_upload(in_stream, ".xlsx")


FORMATS = [CsvWithBom, CheckedXlsx]

"""Shared django-import-export pieces: safe exports, all-or-nothing imports, Excel-friendly CSV."""

from import_export import resources
from import_export.formats import base_formats

from shizuoka_dx.spreadsheets import safe_cell, unguard_cell


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
        return super().import_field(field, instance, row, is_m2m, **kwargs)

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


class CsvWithBom(base_formats.CSV):
    """CSV that Japanese Excel opens correctly: UTF-8 with a byte-order mark.
    Reading accepts UTF-8 with or without the mark."""

    def get_title(self):
        return "csv"

    def export_data(self, dataset, **kwargs):
        return "\ufeff" + dataset.export("csv", **kwargs)

    def create_dataset(self, in_stream, **kwargs):
        if isinstance(in_stream, bytes):
            in_stream = in_stream.decode("utf-8-sig")
        return super().create_dataset(in_stream.lstrip("\ufeff"), **kwargs)


FORMATS = [CsvWithBom, base_formats.XLSX]

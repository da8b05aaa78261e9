"""The admin's shared shape: every save asks why, and the reason goes into the history.

Plan models are corrected in the admin by DX staff; the history then says who, when, what and
why (「変更の理由」, required). Inline rows saved with the page get the same reason.
"""

from django import forms
from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin
from simple_history.template_utils import HistoricalRecordContextHelper

from shizuoka_dx.history import readable

REASON_FIELD = "change_reason"
DELETED = "管理画面で削除"


class ReasonForm(forms.ModelForm):
    change_reason = forms.CharField(
        label="変更の理由",
        max_length=200,
        help_text="履歴に残ります（例: 計画書の誤記を訂正、所管課の変更）。",
    )


class ReadableHistory(HistoricalRecordContextHelper):
    """The admin's history list in people's words: 承認済み not approved, local time to the minute,
    numbers with separators, （空欄） for nothing."""

    def prepare_delta_change_value(self, change, value):
        field = self.model._meta.get_field(change.field)
        if field.many_to_many:
            return super().prepare_delta_change_value(change, value)
        if field.is_relation:
            if value is None or hasattr(value, "_meta"):  # nothing, or the related object itself
                return readable(value)
            pk = getattr(value, "pk", value)  # simple-history's DeletedObject, or a key
            if pk is None:
                return readable(None)
            related = field.related_model._default_manager.filter(pk=pk).first()
            return readable(related) if related else f"（削除された{field.verbose_name}）"
        return readable(value, field)


class HistoryAdmin(SimpleHistoryAdmin):
    """simple-history's admin with its history list in people's words."""

    def get_historical_record_context_helper(self, request, historical_record):
        return ReadableHistory(self.model, historical_record)


class RecordedAdmin(HistoryAdmin):
    form = ReasonForm

    def get_fieldsets(self, request, obj=None):
        fieldsets = [
            (name, {**options, "fields": [f for f in options["fields"] if f != REASON_FIELD]})
            for name, options in super().get_fieldsets(request, obj)
        ]
        return [*fieldsets, ("変更の記録", {"fields": [REASON_FIELD]})]

    def save_model(self, request, obj, form, change):
        obj._change_reason = form.cleaned_data[REASON_FIELD]
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        reason = form.cleaned_data[REASON_FIELD]
        for inline_form in formset.forms:
            inline_form.instance._change_reason = reason
        super().save_formset(request, form, formset, change)

    def delete_model(self, request, obj):
        obj._change_reason = DELETED
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:  # one by one, so the history records each deletion
            self.delete_model(request, obj)


class TabularInline(admin.TabularInline):
    """Django's tabular inline names each column only in the table heading, so a screen reader
    meets a row of unnamed fields: each field is named after its column and row (WCAG 1.3.1,
    4.1.2), e.g. 「コード（2行目）」."""

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)

        class Labelled(formset):
            def add_fields(self, form, index):
                super().add_fields(form, index)
                row = f"{index + 1}行目" if index is not None else "追加する行"
                for name, field in form.fields.items():
                    label = field.label if field.label is not None else name
                    widget = field.widget
                    while hasattr(widget, "widget"):  # RelatedFieldWidgetWrapper: the field
                        widget = widget.widget
                    widget.attrs.setdefault("aria-label", f"{label}（{row}）")

        Labelled.__name__ = formset.__name__
        return Labelled


class ReadOnlyInline(TabularInline):
    """Records shown for reading beside their parent: they change on their own admin page,
    through their one write path (so a locked year never blocks saving the parent)."""

    extra = 0
    show_change_link = True
    can_delete = False

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def has_add_permission(self, request, obj=None):
        return False

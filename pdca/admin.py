"""The admin for the yearly cycle's records. The admin is one more channel: it writes actuals,
costs and where KPIs and systems are printed (placements) only through the services (with a
reason, and the version shown for figures), and is read-only where the services hold the rules
(evaluations follow the workflow on the staff pages; publications are made by publishing).

The KPI and system admins are registered here, from their apps' classes, because their placement
inlines obey the approved evaluations (pdca/services/placements.py)."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.forms.models import BaseInlineFormSet
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html
from import_export.admin import ImportExportMixin

from kpis.admin import KpiAdmin
from kpis.models import Actual, Kpi, KpiPlacement
from kpis.parsing import ParsedValue
from pdca.models import Evaluation, PublishedSnapshot, SupportCase
from pdca.resources import ActualResource, CostRecordResource, KpiResource
from pdca.services.actuals import (
    ActualChange,
    ActualsRefused,
    actual_delete,
    actual_save,
    apply_actuals,
    refusal_to_delete,
)
from pdca.services.costs import CostRefused, cost_delete, cost_refusal, cost_save
from pdca.services.placements import (
    PlacementRefused,
    kpi_placement_refusal,
    kpi_placements_save,
    system_placement_refusal,
    system_placements_save,
)
from pdca.services.revisions import kpi_correction_refusal
from shizuoka_dx.admin import HistoryAdmin, ReasonForm, RecordedAdmin, TabularInline
from shizuoka_dx.resources import FORMATS
from systems.admin import SystemAdmin
from systems.models import CostRecord, System, SystemPlacement, SystemYear

REFUSED = (ActualsRefused, CostRefused, PlacementRefused)


class RecordedChangeForm(forms.ModelForm):
    """An admin form that says why (kept in the history) and which version it was made from."""

    change_reason = forms.CharField(
        label="変更の理由", max_length=200, help_text="履歴に残ります（例: 所管課からの訂正依頼）。"
    )
    seen_version = forms.IntegerField(
        label="開いたときの版", widget=forms.HiddenInput, required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The stored version, not the instance's: the history's "revert" form shows an old
        # version of the record, and reverting is a change made from what is stored now.
        self.fields["seen_version"].initial = (
            type(self.instance)
            .objects.filter(pk=self.instance.pk)
            .values_list("version", flat=True)
            .first()
            if self.instance.pk
            else None
        )


class SaysWhyRefused:
    """The form (and the delete page) checked with the service; a write can still be refused
    when someone changed or approved the year in between. Then nothing was saved: say why, log
    nothing, and go back to the record instead of Django's "added/changed/deleted" message."""

    def _refused(self, request, exc) -> None:
        self.message_user(request, str(exc), messages.ERROR)
        request.service_refused = True

    def construct_change_message(self, request, form, formsets, add=False):
        if getattr(request, "service_refused", False):
            return []  # the transaction is marked for rollback: no more queries, no log entry
        return super().construct_change_message(request, form, formsets, add)

    def log_addition(self, request, obj, message):
        if not getattr(request, "service_refused", False):
            return super().log_addition(request, obj, message)
        return None

    def log_change(self, request, obj, message):
        if not getattr(request, "service_refused", False):
            return super().log_change(request, obj, message)
        return None

    def response_add(self, request, obj, post_url_continue=None):
        if getattr(request, "service_refused", False):
            return HttpResponseRedirect(request.path)
        return super().response_add(request, obj, post_url_continue)

    def response_change(self, request, obj):
        if getattr(request, "service_refused", False):
            return HttpResponseRedirect(request.path)
        return super().response_change(request, obj)

    def response_delete(self, request, obj_display, obj_id):
        if getattr(request, "service_refused", False):
            opts = self.model._meta
            return HttpResponseRedirect(
                reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj_id])
            )
        return super().response_delete(request, obj_display, obj_id)


class ThroughService(SaysWhyRefused):
    """Add, change and delete go through a service; no bulk delete.

    Each admin says how its service checks, saves and deletes one record: ``refusal(instance,
    user, cleaned)``, ``refusal_to_delete(obj, user)``, ``write(obj, user, *, seen, reason)`` and
    ``remove(obj, user, *, reason)``.
    """

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        admin_user = request.user

        class WithService(form):
            def clean(self):
                cleaned = super().clean()
                if not self.errors:
                    message = self.admin.refusal(self.instance, admin_user, cleaned)
                    if message:
                        raise forms.ValidationError(message)
                return cleaned

        WithService.admin = self
        return WithService

    def save_model(self, request, obj, form, change):
        cleaned = form.cleaned_data
        try:
            saved = self.write(
                obj,
                request.user,
                seen=cleaned.get("seen_version"),
                reason=f"管理画面で変更: {cleaned['change_reason']}",
            )
        except REFUSED as exc:
            self._refused(request, exc)
            return
        obj.pk = saved.pk

    def delete_model(self, request, obj):
        try:
            self.remove(obj, request.user, reason="管理画面で削除")
        except REFUSED as exc:
            self._refused(request, exc)
            transaction.set_rollback(True)  # delete_view is atomic: drop its log entry too

    def has_delete_permission(self, request, obj=None):
        if not super().has_delete_permission(request, obj):
            return False
        if obj is None:
            return True
        # The service's check locks rows (SELECT … FOR UPDATE), which PostgreSQL allows only in a
        # transaction, and the admin opens none for a GET (the change page asks this too).
        with transaction.atomic():
            return self.refusal_to_delete(obj, request.user) is None

    def delete_view(self, request, object_id, extra_context=None):
        """A delete the service refuses answers 403 with the service's reason, not a bare 403."""
        obj = self.get_object(request, admin.utils.unquote(object_id))
        if obj is not None and super().has_delete_permission(request, obj):
            with transaction.atomic():  # the check locks rows, as in has_delete_permission
                message = self.refusal_to_delete(obj, request.user)
            if message:
                raise PermissionDenied(message)
        return super().delete_view(request, object_id, extra_context)


class ServiceWriteAdmin(ThroughService, ImportExportMixin, HistoryAdmin):
    """A yearly figure's admin (actuals, costs): written through its service, from the version
    shown, with a reason; admin import and export too."""

    form = RecordedChangeForm
    formats = FORMATS
    identity_fields: tuple[str, ...] = ()

    def get_readonly_fields(self, request, obj=None):
        fixed = ["is_demo", "entered_by", "updated_at", "version"]
        # A record never moves to another KPI, system or year: that would leave a locked year.
        return [*fixed, *self.identity_fields] if obj is not None else fixed

    def process_result(self, result, request):
        """The import's confirm step runs the rows again; one refused there (changed or approved
        since the preview) rolls the whole file back. import-export would still report
        "import finished": say instead that nothing was saved, and why, row by row (the file's
        line numbers, the header being line 1)."""
        if not (result.has_errors() or result.has_validation_errors()):
            return super().process_result(result, request)
        problems = [str(error.error) for error in result.base_errors]
        problems += [
            f"{number + 1}行目: {error.error}"
            for number, errors in result.row_errors()
            for error in errors
        ]
        problems += [
            f"{row.number + 1}行目: {' '.join(row.error.messages)}" for row in result.invalid_rows
        ]
        self.message_user(
            request,
            "確認したあとにデータが変わったため、取り込みませんでした（何も保存していません）。"
            "ファイルを選び直して、もう一度確認してください。",
            messages.ERROR,
        )
        for problem in problems:
            self.message_user(request, problem, messages.ERROR)
        opts = self.model._meta
        return HttpResponseRedirect(
            reverse(
                f"admin:{opts.app_label}_{opts.model_name}_changelist",
                current_app=self.admin_site.name,
            )
        )


@admin.register(Actual)
class ActualAdmin(ServiceWriteAdmin):
    resource_classes = [ActualResource]
    list_display = ["kpi", "fiscal_year", "value", "stage", "is_demo", "entered_by", "updated_at"]
    list_filter = ["fiscal_year", "is_demo", "kpi__item__pillar"]
    search_fields = ["kpi__code", "kpi__name", "note"]
    list_select_related = ["kpi", "entered_by"]
    autocomplete_fields = ["kpi"]
    fields = ["kpi", "fiscal_year", "value", "stage", "note", "change_reason", "seen_version"]
    identity_fields = ("kpi", "fiscal_year")

    def refusal(self, instance, user, cleaned) -> str | None:
        kpi = cleaned.get("kpi") or instance.kpi
        year = cleaned.get("fiscal_year") or instance.fiscal_year
        change = ActualChange(
            kpi,
            year,
            ParsedValue(cleaned.get("value"), cleaned.get("stage") or ""),
            cleaned.get("note") or "",
            seen=cleaned.get("seen_version"),
        )
        try:
            apply_actuals([change], user=user, reason="", dry_run=True)
        except ActualsRefused as exc:
            return " ".join(exc.errors)
        return None

    def refusal_to_delete(self, obj, user) -> str | None:
        return refusal_to_delete(obj, user)

    def write(self, obj, user, *, seen, reason):
        saved, _ = actual_save(
            kpi=obj.kpi,
            fiscal_year=obj.fiscal_year,
            parsed=ParsedValue(obj.value, obj.stage),
            note=obj.note,
            user=user,
            seen=seen,
            reason=reason,
        )
        return saved

    def remove(self, obj, user, *, reason) -> None:
        actual_delete(actual=obj, user=user, seen=obj.version, reason=reason)


@admin.register(CostRecord)
class CostRecordAdmin(ServiceWriteAdmin):
    resource_classes = [CostRecordResource]
    list_display = [
        "system", "fiscal_year", "kind", "basis", "thousand_yen", "is_demo", "entered_by"
    ]  # fmt: skip
    list_filter = ["fiscal_year", "kind", "basis", "is_demo"]
    search_fields = ["system__name", "note"]
    list_select_related = ["system", "entered_by"]
    fields = ["system", "fiscal_year", "kind", "basis", "thousand_yen", "note"]
    fields = [*fields, "change_reason", "seen_version"]
    identity_fields = ("system", "fiscal_year", "kind", "basis")

    def refusal(self, instance, user, cleaned) -> str | None:
        system = cleaned.get("system") or instance.system
        year = cleaned.get("fiscal_year") or instance.fiscal_year
        message = cost_refusal(system=system, fiscal_year=year, user=user)
        if message:
            return message
        current = instance.version if instance.pk else None
        if cleaned.get("seen_version") != current:
            return (
                "この画面を開いたあとに、別の人がこの経費を登録・修正しました。開き直してください。"
            )
        return None

    def refusal_to_delete(self, obj, user) -> str | None:
        return cost_refusal(system=obj.system, fiscal_year=obj.fiscal_year, user=user)

    def write(self, obj, user, *, seen, reason):
        saved, _ = cost_save(
            system=obj.system,
            fiscal_year=obj.fiscal_year,
            kind=obj.kind,
            basis=obj.basis,
            thousand_yen=obj.thousand_yen,
            note=obj.note,
            user=user,
            seen=seen,
            reason=reason,
        )
        return saved

    def remove(self, obj, user, *, reason) -> None:
        cost_delete(record=obj, user=user, seen=obj.version, reason=reason)


# ---- where KPIs and systems are printed (placements) ---------------------------------------
# Moving a KPI or system to or from an item is checked against the approved evaluations of the
# items it leaves and joins (pdca/services/placements.py), on the placement pages and in the
# inlines of the KPI and system pages, before anything is saved; the write goes through the
# service (who, and the reason typed).


def _reason(form) -> str:
    return f"管理画面で変更: {form.cleaned_data['change_reason']}"


class PlacementAdmin(ThroughService, RecordedAdmin):
    """A placement page: ``placed_on`` names what is placed and where (the form's fields); the
    placement rule (``placement_refusal``) checks, and ``placements_save`` writes."""

    placed_on: tuple[str, str]

    def refusal(self, instance, user, cleaned) -> str | None:
        what, where = (cleaned.get(name) for name in self.placed_on)
        if what is None or where is None:
            return None
        return self.placement_refusal(removed=[instance.pk], added=[(what, where)])

    def refusal_to_delete(self, obj, user) -> str | None:
        return self.placement_refusal(removed=[obj.pk])

    def write(self, obj, user, *, seen, reason):
        self.placements_save(saved=[obj], user=user, reason=reason)
        return obj

    def remove(self, obj, user, *, reason) -> None:
        self.placements_save(deleted=[obj], user=user, reason=reason)


class NoteFilter(admin.AllValuesFieldListFilter):
    """The 記載 filter, whose empty value would be a link without text: 「記載なし」."""

    def choices(self, changelist):
        for choice in super().choices(changelist):
            yield {**choice, "display": choice["display"] or "記載なし"}


@admin.register(KpiPlacement)
class KpiPlacementAdmin(PlacementAdmin):
    list_display = ["kpi", "initiative", "order", "note"]
    list_filter = [("note", NoteFilter)]
    search_fields = ["kpi__code", "initiative__name"]
    list_select_related = ["kpi", "initiative__item"]
    placed_on = ("kpi", "initiative")
    placement_refusal = staticmethod(kpi_placement_refusal)
    placements_save = staticmethod(kpi_placements_save)


@admin.register(SystemPlacement)
class SystemPlacementAdmin(PlacementAdmin):
    list_display = ["item", "label", "system", "order"]
    list_filter = ["item"]
    search_fields = ["system__name", "item__code"]
    list_select_related = ["item", "system"]
    placed_on = ("system", "item")
    placement_refusal = staticmethod(system_placement_refusal)
    placements_save = staticmethod(system_placements_save)


class PlacementFormSet(BaseInlineFormSet):
    """The placements of one KPI (system) as the inline shows them: every row added, changed
    or deleted is checked together with the service before anything is saved."""

    place_field = ""  # the field saying where: "initiative" or "item"

    def refusal(self, *, removed, added) -> str | None:
        raise NotImplementedError

    def clean(self):
        super().clean()
        if any(self.errors) or self.instance.pk is None:  # a new KPI (system) has no figures
            return
        removed, added = [], []
        for form in self.forms:
            stored = form.instance.pk
            if self._should_delete_form(form):
                removed.append(stored)
            elif form.has_changed():
                removed.append(stored)
                added.append((self.instance, form.cleaned_data[self.place_field]))
        message = self.refusal(removed=removed, added=added)
        if message:
            raise ValidationError(message)


class KpiPlacementFormSet(PlacementFormSet):
    place_field = "initiative"

    def refusal(self, *, removed, added):
        return kpi_placement_refusal(removed=removed, added=added)


class SystemPlacementFormSet(PlacementFormSet):
    place_field = "item"

    def refusal(self, *, removed, added):
        return system_placement_refusal(removed=removed, added=added)


class KpiPlacementInline(TabularInline):
    model = KpiPlacement
    formset = KpiPlacementFormSet
    autocomplete_fields = ["initiative"]
    extra = 0


class SystemPlacementInline(TabularInline):
    model = SystemPlacement
    formset = SystemPlacementFormSet
    extra = 0


class WithPlacements(SaysWhyRefused):
    """Saves the placement inline through its service (``save_placements``), with the page's
    reason; refused there (a year approved meanwhile), nothing of the page is saved."""

    placement_model: type

    def save_formset(self, request, form, formset, change):
        if formset.model is not self.placement_model:
            return super().save_formset(request, form, formset, change)
        saved = formset.save(commit=False)
        try:
            self.save_placements(
                saved=saved,
                deleted=formset.deleted_objects,
                user=request.user,
                reason=_reason(form),
            )
        except PlacementRefused as exc:
            self._refused(request, exc)
            transaction.set_rollback(True)  # the KPI (system) itself was saved just before
        return None


class KpiCorrectionForm(ReasonForm):
    """A KPI corrected in the admin: what decides its grades is refused under a year already
    approved or published (pdca/services/revisions.py, ``kpi_correction_refusal``)."""

    def clean(self):
        cleaned = super().clean()
        message = kpi_correction_refusal(self.instance, self.changed_data)
        if message:
            raise ValidationError(message)
        return cleaned


@admin.register(Kpi)
class KpiWithPlacementsAdmin(WithPlacements, KpiAdmin):
    form = KpiCorrectionForm
    resource_classes = [KpiResource]
    inlines = [KpiPlacementInline, *KpiAdmin.inlines]
    placement_model = KpiPlacement
    save_placements = staticmethod(kpi_placements_save)


@admin.register(System)
class SystemWithPlacementsAdmin(WithPlacements, SystemAdmin):
    inlines = [SystemPlacementInline, *SystemAdmin.inlines]
    placement_model = SystemPlacement
    save_placements = staticmethod(system_placements_save)


class ReadOnlyAdmin(HistoryAdmin):
    """Readable, history included; nothing is written here. simple_history's "revert" form
    (``<pk>/history/<id>/``) saves on POST with only the view permission, so it is refused."""

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method == "POST":
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)

    def revert_disabled(self, request, obj=None):
        return True

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Evaluation)
class EvaluationAdmin(ReadOnlyAdmin):
    """Read-only: evaluations are written, submitted, approved and reopened on the staff pages,
    which hold the workflow (four eyes, versions, reasons)."""

    list_display = [
        "item",
        "fiscal_year",
        "status",
        "last_edited_by",
        "approved_by",
        "is_demo",
        "staff_page",
    ]
    list_filter = ["fiscal_year", "status", "is_demo", "item__pillar"]
    search_fields = ["item__code", "qualitative", "issues", "countermeasures"]
    list_select_related = ["item", "last_edited_by", "approved_by"]

    @admin.display(description="職員ページ")
    def staff_page(self, obj):
        url = reverse("staff:evaluation", args=[obj.item.code, obj.fiscal_year])
        return format_html('<a href="{}">職員ページで開く</a>', url)


@admin.register(PublishedSnapshot)
class PublishedSnapshotAdmin(ReadOnlyAdmin):
    """Read-only: publish through the staff page or publish_fiscal_year."""

    list_display = ["fiscal_year", "version", "published_at", "published_by", "forced_reason"]
    exclude = ["document"]


@admin.register(SystemYear)
class SystemYearAdmin(ReadOnlyAdmin):
    """Read-only: a year's Form ② is written on the system's staff page, through
    pdca/services/costs.py (DX staff, the plan's years, the lock of an approved year)."""

    list_display = ["system", "fiscal_year", "status", "is_demo", "entered_by", "staff_page"]
    list_filter = ["fiscal_year", "status", "is_demo"]
    search_fields = ["system__name", "effects", "issues", "actions"]
    list_select_related = ["system", "entered_by"]

    @admin.display(description="職員ページ")
    def staff_page(self, obj):
        url = reverse("staff:system", args=[obj.system_id])
        return format_html('<a href="{}?year={}">職員ページで開く</a>', url, obj.fiscal_year)


@admin.register(SupportCase)
class SupportCaseAdmin(ReadOnlyAdmin):
    """Read-only: support cases are entered on /staff/pmo/ through
    pdca/services/support_cases.py (DX staff, the version seen, history)."""

    list_display = ["title", "department", "category", "mode", "started_on", "stage"]
    list_filter = ["category", "mode", "stage"]
    search_fields = ["title", "note"]

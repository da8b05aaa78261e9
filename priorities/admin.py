from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.db.models import ManyToManyField
from simple_history.template_utils import HistoricalRecordContextHelper

from priorities import permissions
from priorities.models import (
    Department,
    FormTool,
    Initiative,
    NarrativeBullet,
    Pillar,
    Plan,
    PriorityItem,
    RoadmapEntry,
)
from shizuoka_dx.admin import RecordedAdmin, TabularInline
from shizuoka_dx.history import object_name


class NamedMembersHelper(HistoricalRecordContextHelper):
    """Many-to-many changes on the admin history page as 「A、B → A、B、C」 (people by name)."""

    def prepare_delta_change_value(self, change, value):
        model_field = self.model._meta.get_field(change.field)
        if not isinstance(model_field, ManyToManyField):
            return super().prepare_delta_change_value(change, value)
        target = model_field.m2m_reverse_field_name()
        names = sorted(object_name(row[target]) for row in value)
        return "、".join(names) or "（なし）"


class ReadableHistoryAdmin(RecordedAdmin):
    def get_historical_record_context_helper(self, request, historical_record):
        return NamedMembersHelper(self.model, historical_record)


@admin.register(Plan)
class PlanAdmin(RecordedAdmin):
    """The plan's name and dates can be corrected here (with a reason); its text, sections and
    printed figures are data of the plan's structure, changed by a revision (/staff/revisions/),
    and shown here in words instead of as JSON."""

    list_display = ["title", "established"]
    exclude = ["sections", "printed_figures", "basic_policies"]
    readonly_fields = ["section_titles", "printed_figure_texts", "basic_policy_texts"]

    @admin.display(description="計画の本文（章）")
    def section_titles(self, obj):
        titles = [f"{s.get('number')}．{s.get('title', '')}" for s in obj.sections or []]
        return "、".join(titles) + "（本文は計画の改訂で変更します）" if titles else "－"

    @admin.display(description="計画書に印字された実績")
    def printed_figure_texts(self, obj):
        texts = [
            entry.get("text", "")
            for entries in (obj.printed_figures or {}).values()
            for entry in entries
        ]
        return "、".join(texts) or "－"

    @admin.display(description="基本方針")
    def basic_policy_texts(self, obj):
        policies = obj.basic_policies or []
        return (
            "、".join(p if isinstance(p, str) else str(p.get("title", "")) for p in policies)
            or "－"
        )


@admin.register(Department)
class DepartmentAdmin(ReadableHistoryAdmin):
    list_display = ["name"]
    search_fields = ["name"]
    filter_horizontal = ["members"]

    # A 所管課長 in DX推進課 is the head of DX, who approves DX staff's revisions of the plan: only
    # the system administrator names them (as on /staff/users/, pdca/services/accounts.py).
    def _guards_head_of_dx(self, request, obj) -> bool:
        return (
            obj is not None
            and obj.name == permissions.DX_DEPARTMENT
            and not request.user.is_superuser
        )

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if self._guards_head_of_dx(request, obj):
            fields += ["name", "members"]
        return fields

    def has_delete_permission(self, request, obj=None):
        if self._guards_head_of_dx(request, obj):
            return False
        return super().has_delete_permission(request, obj)


class PriorityItemInline(TabularInline):
    model = PriorityItem
    fields = ["code", "order", "title", "has_form2"]
    extra = 0
    show_change_link = True


@admin.register(Pillar)
class PillarAdmin(RecordedAdmin):
    list_display = ["number", "title", "plan"]
    inlines = [PriorityItemInline]


class NarrativeBulletInline(TabularInline):
    model = NarrativeBullet
    extra = 0


class FormToolInline(TabularInline):
    model = FormTool
    fields = ["order", "label", "name", "department_text", "departments", "repeated", "system"]
    extra = 0


class InitiativeInline(TabularInline):
    model = Initiative
    fields = ["number", "name", "ref", "repeated", "kpi_note"]
    extra = 0
    show_change_link = True
    # Deleted on its own page only: there the admin asks the placement admin (pdca/admin.py)
    # whether each KPI printed on it may leave the item, as the approved evaluations allow.
    can_delete = False


@admin.register(PriorityItem)
class PriorityItemAdmin(ReadableHistoryAdmin):
    list_display = ["code", "title", "pillar", "has_form2", "department_names"]
    list_filter = ["pillar", "has_form2", "departments"]
    search_fields = ["code", "title", "bullets__text"]
    filter_horizontal = ["departments"]
    # What becomes of an item across editions is decided by a revision of the plan
    # (/staff/revisions/, pdca/services/revisions.py), not here.
    readonly_fields = ["lineage", "successor"]
    inlines = [NarrativeBulletInline, InitiativeInline, FormToolInline]

    def get_queryset(self, request):
        return (
            super().get_queryset(request).select_related("pillar").prefetch_related("departments")
        )

    @admin.display(description="所管課")
    def department_names(self, obj):
        return "、".join(d.name for d in obj.departments.all())


class RoadmapEntryInline(TabularInline):
    model = RoadmapEntry
    extra = 0


@admin.register(Initiative)
class InitiativeAdmin(RecordedAdmin):
    list_display = ["item", "number", "name", "ref", "repeated"]
    list_filter = ["item__pillar", "repeated"]
    search_fields = ["name", "ref", "item__code"]
    list_select_related = ["item"]
    inlines = [RoadmapEntryInline]

    def get_readonly_fields(self, request, obj=None):
        # Another item would move every KPI printed on the initiative with it, past the rule
        # for moving a KPI (pdca/services/placements.py): move the KPIs themselves instead.
        fields = super().get_readonly_fields(request, obj)
        return [*fields, "item"] if obj is not None else fields


@admin.register(NarrativeBullet)
class NarrativeBulletAdmin(RecordedAdmin):
    list_display = ["item", "section", "order", "text"]
    list_filter = ["section", "item__pillar"]
    search_fields = ["text", "item__code"]
    list_select_related = ["item"]


@admin.register(RoadmapEntry)
class RoadmapEntryAdmin(RecordedAdmin):
    list_display = ["initiative", "order", "fiscal_year", "until_fiscal_year", "text"]
    list_filter = ["fiscal_year"]
    search_fields = ["text", "initiative__name"]
    list_select_related = ["initiative__item"]


@admin.register(FormTool)
class FormToolAdmin(RecordedAdmin):
    list_display = ["item", "label", "name", "department_text", "repeated", "system"]
    list_filter = ["repeated", "departments"]
    search_fields = ["name", "department_text"]
    list_select_related = ["item", "system"]


admin.site.unregister(get_user_model())


@admin.register(get_user_model())
class StaffUserAdmin(UserAdmin):
    """Django's user admin, with the dates it records shown rather than typed: nobody edits a
    last login, and its split date/time boxes had no labels (WCAG 1.3.1)."""

    readonly_fields = ["last_login", "date_joined"]

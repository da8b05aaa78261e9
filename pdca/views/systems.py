"""Staff pages for Form ② systems: all systems side by side, and one system's record."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_safe

from pdca.forms import SystemYearForm
from pdca.services.costs import CostRefused, system_year_save
from priorities import permissions
from shizuoka_dx.fiscal import format_fiscal_year
from shizuoka_dx.history import entries
from shizuoka_dx.numbers import plain_number, query_number
from systems.charts import cost_figure
from systems.effectiveness import effectiveness
from systems.models import CostBreakdown, CostRecord, System, SystemYear
from systems.selectors import form2_systems, systems_with_costs


def _int(text) -> int | None:
    return query_number(text)


def _has_demo(systems) -> bool:
    return any(cost.is_demo for system in systems for cost in system.costs.all())


@login_required
@require_safe
def system_list(request):
    visible = set(System.objects.for_user(request.user).values_list("pk", flat=True))
    systems = [system for system in form2_systems() if system.pk in visible]
    chart = cost_figure(
        [
            {
                "name": system.name,
                "initial": plain_number(system.initial_cost_thousand_yen),
                "operating": plain_number(system.operating_cost_thousand_yen),
            }
            for system in systems
        ]
    )
    return render(
        request,
        "systems/list.html",
        {
            "rows": [(system, effectiveness(system)) for system in systems],
            "chart": chart,
            "contains_demo_data": _has_demo(systems),
        },
    )


def system_history(system: System):
    records = [
        *System.history.filter(id=system.pk).select_related("history_user"),
        *CostRecord.history.filter(system_id=system.pk).select_related("history_user"),
        *CostBreakdown.history.filter(system_id=system.pk).select_related("history_user"),
        *SystemYear.history.filter(system_id=system.pk).select_related("history_user"),
    ]

    def describe(record):
        if record.instance_type is CostRecord:
            return f"{format_fiscal_year(record.fiscal_year)}の経費の記録"
        if record.instance_type is CostBreakdown:
            return f"経費の内訳「{record.name}」"
        if record.instance_type is SystemYear:
            return f"{format_fiscal_year(record.fiscal_year)}の様式②（稼働状況・効果・課題）"
        return "様式②の記載"

    def unit_of(record, name):
        return "千円" if name.endswith("thousand_yen") else ""

    return entries(records, describe=describe, unit_of=unit_of)[:50]


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def system_detail(request, pk):
    visible = System.objects.for_user(request.user).values("pk")
    system = systems_with_costs().filter(pk__in=visible, pk=pk).first()
    if system is None:
        raise Http404("担当する重点項目の業務システムに、このシステムはありません。")
    can_edit = permissions.is_dx_staff(request.user)
    existing = {entry.fiscal_year: entry for entry in system.years.all()}
    initial = {}
    editing = existing.get(_int(request.GET.get("year")))
    if editing is not None:
        initial = {
            "fiscal_year": str(editing.fiscal_year),
            "status": editing.status,
            "effects": editing.effects,
            "issues": editing.issues,
            "actions": editing.actions,
            "version": editing.version,
        }
    form = SystemYearForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied
        if form.is_valid() and form.cleaned_data["version"] is None:
            year = form.cleaned_data["fiscal_year"]
            if year in existing:
                form.add_error(
                    "fiscal_year",
                    f"{format_fiscal_year(year)}の記録はすでにあります。"
                    "「この年度を修正する」から開き直してください。",
                )
        if form.is_valid():
            data = form.cleaned_data
            try:
                record, created = system_year_save(
                    system=system,
                    fiscal_year=data["fiscal_year"],
                    status=data["status"],
                    effects=data["effects"],
                    issues=data["issues"],
                    actions=data["actions"],
                    user=request.user,
                    seen=data["version"],
                    reason="様式②の画面で入力",
                )
            except CostRefused as exc:
                form.add_error(None, str(exc))
            else:
                verb = "登録しました" if created else "修正しました"
                messages.success(
                    request,
                    f"{system.name}の{format_fiscal_year(record.fiscal_year)}の様式②を{verb}。",
                )
                return redirect("staff:system", pk=system.pk)
        status = 400
    return render(
        request,
        "systems/detail.html",
        {
            "system": system,
            "figures": effectiveness(system),
            "history": system_history(system),
            "contains_demo_data": _has_demo([system]),
            "form": form,
            "can_edit": can_edit,
            "editable_years": sorted(existing),
        },
        status=status,
    )

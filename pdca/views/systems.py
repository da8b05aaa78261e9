"""Staff pages for Form ② systems: all systems side by side, and one system's record."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_safe

from shizuoka_dx.fiscal import format_fiscal_year
from shizuoka_dx.history import entries
from shizuoka_dx.numbers import plain_number
from systems.charts import cost_figure
from systems.effectiveness import effectiveness
from systems.models import CostBreakdown, CostRecord, System
from systems.selectors import form2_systems, systems_with_costs


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
    ]

    def describe(record):
        if record.instance_type is CostRecord:
            return f"{format_fiscal_year(record.fiscal_year)}の経費の記録"
        if record.instance_type is CostBreakdown:
            return f"経費の内訳「{record.name}」"
        return "様式②の記載"

    def unit_of(record, name):
        return "千円" if name.endswith("thousand_yen") else ""

    return entries(records, describe=describe, unit_of=unit_of)[:50]


@login_required
@require_safe
def system_detail(request, pk):
    visible = System.objects.for_user(request.user).values("pk")
    system = systems_with_costs().filter(pk__in=visible, pk=pk).first()
    if system is None:
        raise Http404("担当する重点項目の業務システムに、このシステムはありません。")
    return render(
        request,
        "systems/detail.html",
        {
            "system": system,
            "figures": effectiveness(system),
            "history": system_history(system),
            "contains_demo_data": _has_demo([system]),
        },
    )

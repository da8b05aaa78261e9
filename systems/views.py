"""Staff pages for Form ② systems: all systems side by side, and one system's record."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe

from priorities.opendata import form2_systems, system_json, systems_with_costs
from systems.charts import cost_figure
from systems.effectiveness import effectiveness


@login_required
@require_safe
def system_list(request):
    systems = form2_systems()
    rows = [(system, system_json(system)) for system in systems]
    chart = cost_figure(
        [
            {
                "name": data["name"],
                "initial": data["initial_cost"]["thousand_yen"],
                "operating": data["operating_cost"]["thousand_yen"],
            }
            for _system, data in rows
        ]
    )
    has_demo = any(cost["demo"] for _s, data in rows for cost in data["costs"])
    return render(
        request,
        "systems/list.html",
        {"rows": rows, "chart": chart, "document": {"contains_demo_data": has_demo}},
    )


@login_required
@require_safe
def system_detail(request, pk):
    system = get_object_or_404(systems_with_costs(), pk=pk)
    data = system_json(system)
    figures = effectiveness(system)
    return render(
        request,
        "systems/detail.html",
        {
            "system": system,
            "data": data,
            "figures": figures,
            "document": {"contains_demo_data": any(c["demo"] for c in data["costs"])},
        },
    )

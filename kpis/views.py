"""KPI pages: the public trend page, and the staff page that also takes one FY's actual."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_safe

from kpis.charts import trend_figure
from kpis.forms import ActualForm
from kpis.models import Actual, Kpi
from kpis.services import actual_record
from priorities.opendata import kpi_json
from priorities.presentation import find_kpi
from priorities.views import item_or_404, public_document
from shizuoka_dx.fiscal import format_fiscal_year


def _kpi_context(kpi: dict, item: dict, document: dict | None = None) -> dict:
    return {
        "kpi": kpi,
        "item": item,
        "chart": trend_figure(kpi),
        "rows": list(reversed(kpi["actuals"])),
        "document": document or {"contains_demo_data": any(a["demo"] for a in kpi["actuals"])},
    }


@require_safe
def kpi_detail(request, code, kpi_code):
    document = public_document()
    item = item_or_404(document, code)
    kpi = find_kpi(item, kpi_code)
    if kpi is None:
        raise Http404(f"重点項目「{code}」にKPI「{kpi_code}」はありません。")
    context = _kpi_context(kpi, item, document)
    context["staff"] = False
    return render(request, "kpis/detail.html", context)


def kpi_or_404(kpi_code: str) -> Kpi:
    queryset = Kpi.objects.select_related("item__pillar").prefetch_related(
        Prefetch("actuals", queryset=Actual.objects.select_related("entered_by")),
        "placements__initiative__item",
    )
    return get_object_or_404(queryset, code=kpi_code)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def staff_kpi_detail(request, kpi_code):
    kpi = kpi_or_404(kpi_code)
    can_edit = request.user.has_perm("kpis.change_actual") and request.user.has_perm(
        "kpis.add_actual"
    )
    form = ActualForm(request.POST or None, kpi=kpi)
    if request.method == "POST":
        if not can_edit:
            return render(request, "403.html", status=403)
        if form.is_valid():
            try:
                actual, created = actual_record(
                    kpi=kpi,
                    fiscal_year=form.cleaned_data["fiscal_year"],
                    parsed=form.cleaned_data["value"],
                    note=form.cleaned_data["note"],
                    user=request.user,
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                verb = "登録しました" if created else "修正しました"
                messages.success(
                    request,
                    f"{kpi.code} の{format_fiscal_year(actual.fiscal_year)}の実績を{verb}。",
                )
                return redirect("staff:kpi", kpi_code=kpi.code)
    item = {"code": kpi.item.code, "title": kpi.item.title}
    context = _kpi_context(kpi_json(kpi), item)
    context.update(
        {
            "staff": True,
            "can_edit": can_edit,
            "form": form,
            "kpi_object": kpi,
            "placements": kpi.placements.all(),
        }
    )
    status = 400 if request.method == "POST" else 200
    return render(request, "kpis/detail.html", context, status=status)

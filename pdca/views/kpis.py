"""KPI pages: the public trend page, and the staff page that also takes one FY's actual."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_safe

from kpis.forms import ActualForm
from kpis.models import Actual, Kpi
from pdca.models import Evaluation
from pdca.pages import ItemRef, kpi_from_models, kpi_from_snapshot, kpi_page
from pdca.presentation import find_kpi
from pdca.public_cache import public_page
from pdca.services.actuals import ActualsRefused, actual_save
from pdca.views.public import item_or_404, public_document
from priorities import permissions
from shizuoka_dx.fiscal import format_fiscal_year
from shizuoka_dx.history import entries


@require_safe
@public_page
def kpi_detail(request, code, kpi_code):
    document = public_document()
    item = item_or_404(document, code)
    kpi = find_kpi(item, kpi_code)
    if kpi is None:
        raise Http404(f"重点項目「{code}」にKPI「{kpi_code}」はありません。")
    context = kpi_page(kpi_from_snapshot(kpi), ItemRef(item["code"], item["title"]))
    context["staff"] = False
    context["contains_demo_data"] = document.get("contains_demo_data", False)
    context["page_year"] = document["summary"]["fiscal_year"]
    context["page_year_source"] = "published" if document.get("published_fiscal_year") else "plan"
    return render(request, "kpis/detail.html", context)


def kpi_for(user, kpi_code: str) -> Kpi:
    queryset = (
        Kpi.objects.for_user(user)
        .select_related("item__pillar", "successor")
        .prefetch_related(
            Prefetch("actuals", queryset=Actual.objects.select_related("entered_by")),
            "placements__initiative__item__departments",
        )
    )
    kpi = queryset.filter(code=kpi_code).first()
    if kpi is None:
        raise Http404(f"担当する重点項目のKPIに「{kpi_code}」はありません。")
    return kpi


def provenance(kpi: Kpi) -> list[dict]:
    """Each actual with who entered it, who approved the evaluation that holds it, and its source."""
    items = [p.initiative.item_id for p in kpi.placements.all()]
    approvals = {
        e.fiscal_year: e
        for e in Evaluation.objects.filter(
            item_id__in=items,
            status__in=[Evaluation.Status.APPROVED, Evaluation.Status.PUBLISHED],
        ).select_related("approved_by", "item")
    }
    return [
        {
            "actual": actual,
            "entered_by": actual.entered_by,
            "approval": approvals.get(actual.fiscal_year),
        }
        for actual in sorted(kpi.actuals.all(), key=lambda a: a.fiscal_year, reverse=True)
    ]


def kpi_history(kpi: Kpi):
    records = [
        *Kpi.history.filter(id=kpi.pk).select_related("history_user"),
        *Actual.history.filter(kpi_id=kpi.pk).select_related("history_user"),
    ]

    def describe(record):
        if record.instance_type is Actual:
            return f"{format_fiscal_year(record.fiscal_year)}の実績"
        return "KPIの定義"

    def unit_of(record, name):
        return kpi.unit if name in ("value", "baseline_value", "target_value") else ""

    return entries(records, describe=describe, unit_of=unit_of)[:50]


def _entered_unlocked(kpi: Kpi, form: ActualForm) -> Actual | None:
    """The actual already entered for the form's year, when the form was opened for a new one
    (no version) and the year is not locked by an approved evaluation (the service says so)."""
    if form.cleaned_data["version"] is not None:
        return None
    year = form.cleaned_data["fiscal_year"]
    existing = next((a for a in kpi.actuals.all() if a.fiscal_year == year), None)
    if existing is None or any(
        row["approval"] for row in provenance(kpi) if row["actual"].fiscal_year == year
    ):
        return None
    return existing


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def staff_kpi_detail(request, kpi_code):
    kpi = kpi_for(request.user, kpi_code)
    items = [placement.initiative.item for placement in kpi.placements.all()]
    can_edit = any(permissions.can_edit_item(request.user, item) for item in items)
    initial = {}
    editing = None
    if request.GET.get("fy"):
        editing = next(
            (a for a in kpi.actuals.all() if str(a.fiscal_year) == request.GET["fy"]), None
        )
        if editing:
            initial = {
                "fiscal_year": str(editing.fiscal_year),
                "value": editing.display_value.replace(",", ""),
                "note": editing.note,
                "version": editing.version,
            }
    form = ActualForm(request.POST or None, kpi=kpi, initial=initial)
    status = 200
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied(
                "このKPIの実績を入力する権限がありません。所管課の課長かDX推進課に依頼してください。"
            )
        existing = _entered_unlocked(kpi, form) if form.is_valid() else None
        if existing is not None:
            # A year already entered, typed in the form for a new one: show its value and let a
            # second press replace it (the version then says which value was seen).
            editing = existing
            data = request.POST.copy()
            data["version"] = existing.version
            form = ActualForm(data, kpi=kpi)
            form.is_valid()
            form.add_error(
                None,
                f"{format_fiscal_year(existing.fiscal_year)}の実績はすでに"
                f"「{existing.display_value}」と入力されています。入力した値に直す場合は、"
                "もう一度「保存する」を押してください。",
            )
        elif form.is_valid():
            try:
                actual, created = actual_save(
                    kpi=kpi,
                    fiscal_year=form.cleaned_data["fiscal_year"],
                    parsed=form.cleaned_data["value"],
                    note=form.cleaned_data["note"],
                    user=request.user,
                    seen=form.cleaned_data["version"],
                    reason="KPIの画面で入力",
                )
            except ActualsRefused as exc:
                for message in exc.errors:
                    form.add_error(None, message)
            else:
                verb = "登録しました" if created else "修正しました"
                messages.success(
                    request,
                    f"{kpi.code} の{format_fiscal_year(actual.fiscal_year)}の実績を{verb}。",
                )
                return redirect("staff:kpi", kpi_code=kpi.code)
        status = 400
    view = kpi_from_models(kpi)
    context = kpi_page(view, ItemRef(kpi.item.code, kpi.item.title))
    context.update(
        {
            "staff": True,
            "contains_demo_data": view.has_demo,
            "can_edit": can_edit,
            "form": form,
            "editing": editing,
            "placements": kpi.placements.all(),
            "provenance": provenance(kpi),
            "history": kpi_history(kpi),
        }
    )
    return render(request, "kpis/detail.html", context, status=status)

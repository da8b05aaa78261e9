"""Public pages (plan and progress, no login), the open data, the staff dashboard and item page."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from kpis.calculations import GRADE_LABELS
from kpis.charts import grade_figure
from priorities.dashboard import build_dashboard
from priorities.models import Department, Pillar
from priorities.opendata import CSV_HEADER, build_document, kpi_rows
from priorities.presentation import (
    find_item,
    kpi_years,
    roadmap_table,
)
from priorities.presentation import (
    kpi_rows as item_kpi_rows,
)
from shizuoka_dx.fiscal import FiscalYearError, parse_fiscal_year
from shizuoka_dx.spreadsheets import csv_bytes
from systems.models import System


def public_document() -> dict:
    """What the public sees (the roles issue will serve the published snapshot here)."""
    return build_document()


def item_or_404(document: dict, code: str) -> dict:
    item = find_item(document, code)
    if item is None:
        raise Http404(f"重点項目「{code}」はありません。")
    return item


@require_safe
def index(request):
    document = public_document()
    items = {item["code"]: item for item in document["items"]}
    pillars = [
        {**pillar, "item_entries": [items[code] for code in pillar["items"]]}
        for pillar in document["pillars"]
    ]
    grades = document["summary"]["grades"]
    context = {
        "document": document,
        "pillars": pillars,
        "grade_rows": [(key, GRADE_LABELS[key], grades.get(key, 0)) for key in GRADE_LABELS],
        "grade_chart": grade_figure(grades),
    }
    return render(request, "public/index.html", context)


def _item_context(document: dict, code: str, *, staff: bool) -> dict:
    item = item_or_404(document, code)
    pillar = next(p for p in document["pillars"] if p["number"] == item["pillar"])
    codes = [entry["code"] for entry in document["items"]]
    position = codes.index(code)
    years, roadmap = roadmap_table(document["items"], item)
    columns = kpi_years(document["items"])
    return {
        "document": document,
        "item": item,
        "pillar": pillar,
        "years": years,
        "roadmap": roadmap,
        "kpi_years": columns,
        "kpi_rows": item_kpi_rows(item, columns),
        "tools": item["tools"],
        "systems": _with_pks(
            [system for system in document["systems"] if code in system["items"]], staff=staff
        ),
        "previous_code": codes[position - 1] if position > 0 else None,
        "next_code": codes[position + 1] if position + 1 < len(codes) else None,
        "staff": staff,
    }


def _with_pks(systems: list[dict], *, staff: bool) -> list[dict]:
    """Staff pages link to each system's page, which is addressed by its database id."""
    if not staff:
        return systems
    pks = dict(
        System.objects.filter(name__in=[s["name"] for s in systems]).values_list("name", "pk")
    )
    return [{**system, "pk": pks.get(system["name"])} for system in systems]


@require_safe
def item_detail(request, code):
    context = _item_context(public_document(), code, staff=False)
    return render(request, "priorities/item.html", context)


@login_required
@require_safe
def staff_item_detail(request, code):
    context = _item_context(build_document(), code, staff=True)
    return render(request, "priorities/item.html", context)


@require_safe
def opendata_json(request):
    return JsonResponse(public_document(), json_dumps_params={"ensure_ascii": False, "indent": 1})


@require_safe
def opendata_csv(request):
    document = public_document()
    response = HttpResponse(
        csv_bytes(CSV_HEADER, kpi_rows(document)), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="plan.csv"'
    return response


def _int_or_none(value):
    try:
        return int(value) if value else None
    except (TypeError, ValueError):
        return None


@login_required
@require_safe
def staff_dashboard(request):
    year = None
    year_error = ""
    if request.GET.get("fy"):
        try:
            year = parse_fiscal_year(request.GET["fy"])
        except FiscalYearError as exc:
            year_error = str(exc)
    grade = request.GET.get("grade") if request.GET.get("grade") in GRADE_LABELS else None
    dashboard = build_dashboard(
        fiscal_year=year,
        pillar=_int_or_none(request.GET.get("pillar")),
        department=_int_or_none(request.GET.get("department")),
        grade=grade,
    )
    context = {
        "dashboard": dashboard,
        "year_error": year_error,
        "pillar_choices": Pillar.objects.order_by("number"),
        "department_choices": Department.objects.order_by("name"),
        "grade_choices": list(GRADE_LABELS.items()),
        "selected": {
            "pillar": _int_or_none(request.GET.get("pillar")),
            "department": _int_or_none(request.GET.get("department")),
            "grade": grade,
        },
        "has_demo": any(
            a.is_demo
            for p in dashboard.pillars
            for row in p.items
            for kpi, _r in row.results
            for a in kpi.actuals.all()
        ),
    }
    return render(request, "staff/dashboard.html", context)


def page_not_found(request, exception):
    # Only our own Http404 messages are shown; Django's resolver passes a dict of tried patterns.
    args = getattr(exception, "args", ())
    message = args[0] if args and isinstance(args[0], str) else ""
    return render(request, "404.html", {"message": message}, status=404)


def permission_denied(request, exception):
    return render(request, "403.html", status=403)

"""Public pages (plan and progress, no login), the open data, and the staff dashboard."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from priorities.opendata import CSV_HEADER, build_document, kpi_rows
from priorities.presentation import roadmap_table
from shizuoka_dx.spreadsheets import csv_bytes


def _public_document() -> dict:
    return build_document()


def _item_or_404(document: dict, code: str) -> dict:
    for item in document["items"]:
        if item["code"] == code:
            return item
    raise Http404(f"重点項目「{code}」はありません。")


@require_safe
def index(request):
    document = _public_document()
    items = {item["code"]: item for item in document["items"]}
    pillars = [
        {**pillar, "item_entries": [items[code] for code in pillar["items"]]}
        for pillar in document["pillars"]
    ]
    return render(request, "public/index.html", {"document": document, "pillars": pillars})


@require_safe
def item_detail(request, code):
    document = _public_document()
    item = _item_or_404(document, code)
    pillar = next(p for p in document["pillars"] if p["number"] == item["pillar"])
    systems = [system for system in document["systems"] if code in system["items"]]
    codes = [entry["code"] for entry in document["items"]]
    position = codes.index(code)
    years, roadmap = roadmap_table(document["items"], item)
    context = {
        "years": years,
        "roadmap": roadmap,
        "tools": item["tools"],
        "document": document,
        "item": item,
        "pillar": pillar,
        "systems": systems,
        "previous_code": codes[position - 1] if position > 0 else None,
        "next_code": codes[position + 1] if position + 1 < len(codes) else None,
    }
    return render(request, "public/item.html", context)


@require_safe
def opendata_json(request):
    return JsonResponse(_public_document(), json_dumps_params={"ensure_ascii": False, "indent": 1})


@require_safe
def opendata_csv(request):
    document = _public_document()
    response = HttpResponse(
        csv_bytes(CSV_HEADER, kpi_rows(document)), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="plan.csv"'
    return response


@login_required
@require_safe
def staff_dashboard(request):
    document = build_document()
    return render(request, "staff/dashboard.html", {"document": document})


def page_not_found(request, exception):
    # Only our own Http404 messages are shown; Django's resolver passes a dict of tried patterns.
    args = getattr(exception, "args", ())
    message = args[0] if args and isinstance(args[0], str) else ""
    return render(request, "404.html", {"message": message}, status=404)

"""Public pages: the plan and its published progress, and the open data. No login, read only.

Every public page reads one document: the latest published snapshot (one query), an earlier
snapshot under /published/<FY>/, or, before the first publication, the plan without actuals.
"""

from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from kpis.charts import grade_figure
from kpis.models import Actual
from pdca.models import PublishedSnapshot
from pdca.opendata import CSV_HEADER, build_document, kpi_rows
from pdca.pages import item_from_snapshot
from pdca.presentation import find_item
from shizuoka_dx.spreadsheets import csv_bytes
from systems.models import CostRecord


def public_document(fiscal_year: int | None = None) -> dict:
    """The latest publication (or the one for ``fiscal_year``); before any, the plan itself."""
    snapshots = PublishedSnapshot.objects.only("document")
    if fiscal_year is not None:
        snapshot = snapshots.filter(fiscal_year=fiscal_year).first()
        if snapshot is None:
            raise Http404(f"{fiscal_year}年度の公表はありません。")
        return {**snapshot.document, "archive": True}
    snapshot = snapshots.order_by("-fiscal_year").first()
    if snapshot is not None:
        return snapshot.document
    document = build_document(actuals=Actual.objects.none(), costs=CostRecord.objects.none())
    document["not_yet_published"] = True
    return document


def item_or_404(document: dict, code: str) -> dict:
    item = find_item(document, code)
    if item is None:
        raise Http404(f"重点項目「{code}」はありません。")
    return item


def index_context(document: dict) -> dict:
    items = {item["code"]: item for item in document["items"]}
    pillars = [
        {**pillar, "item_entries": [items[code] for code in pillar["items"]]}
        for pillar in document["pillars"]
    ]
    return {
        "document": document,
        "pillars": pillars,
        "grade_chart": grade_figure(document["summary"]["grades"]),
        "archive_year": document.get("published_fiscal_year") if document.get("archive") else None,
    }


def item_context(document: dict, code: str) -> dict:
    item = item_from_snapshot(document, code)
    if item is None:
        raise Http404(f"重点項目「{code}」はありません。")
    codes = [entry["code"] for entry in document["items"]]
    position = codes.index(code)
    return {
        "document": document,
        "item": item,
        "previous_code": codes[position - 1] if position > 0 else None,
        "next_code": codes[position + 1] if position + 1 < len(codes) else None,
        "staff": False,
        "archive_year": document.get("published_fiscal_year") if document.get("archive") else None,
    }


def _published_years() -> list[int]:
    return list(
        PublishedSnapshot.objects.order_by("-fiscal_year").values_list("fiscal_year", flat=True)
    )


@require_safe
def index(request):
    context = index_context(public_document())
    context["published_years"] = _published_years()
    return render(request, "public/index.html", context)


@require_safe
def archive_index(request, fiscal_year):
    context = index_context(public_document(fiscal_year))
    context["published_years"] = _published_years()
    return render(request, "public/index.html", context)


@require_safe
def item_detail(request, code):
    return render(request, "priorities/item.html", item_context(public_document(), code))


@require_safe
def archive_item_detail(request, fiscal_year, code):
    document = public_document(fiscal_year)
    return render(request, "priorities/item.html", item_context(document, code))


def _json(document: dict) -> JsonResponse:
    document = {key: value for key, value in document.items() if key != "archive"}
    return JsonResponse(document, json_dumps_params={"ensure_ascii": False, "indent": 1})


@require_safe
def opendata_json(request):
    return _json(public_document())


@require_safe
def archive_opendata_json(request, fiscal_year):
    return _json(public_document(fiscal_year))


@require_safe
def opendata_csv(request):
    document = public_document()
    response = HttpResponse(
        csv_bytes(CSV_HEADER, kpi_rows(document)), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="plan.csv"'
    return response


def page_not_found(request, exception):
    # Only our own Http404 messages are shown; Django's resolver passes a dict of tried patterns.
    args = getattr(exception, "args", ())
    message = args[0] if args and isinstance(args[0], str) else ""
    return render(request, "404.html", {"message": message}, status=404)


def permission_denied(request, exception):
    return render(request, "403.html", status=403)

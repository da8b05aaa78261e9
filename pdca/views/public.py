"""Public pages: the plan and its published progress, and the open data. No login, read only.

Every public page reads one document: the latest published snapshot (one query), an earlier
snapshot under /published/<FY>/ (that year's latest version, or /published/<FY>/v<N>/), or,
before the first publication, the plan without actuals. Each page is drawn once per publication
and then served from the cache (``pdca.public_cache.public_page``).
"""

from django.db.models import Max
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from kpis.charts import grade_figure
from kpis.models import Actual
from pdca.models import PublishedSnapshot
from pdca.opendata import CSV_HEADER, build_document, kpi_rows
from pdca.pages import item_from_snapshot
from pdca.presentation import find_item
from pdca.public_cache import public_page
from shizuoka_dx.fiscal import HEISEI_START, format_fiscal_year
from shizuoka_dx.spreadsheets import csv_bytes
from systems.models import CostRecord


def public_document(fiscal_year: int | None = None, version: int | None = None) -> dict:
    """The latest publication (of the latest year, or of ``fiscal_year``; or that year's
    ``version``); before any publication, the plan itself."""
    snapshots = PublishedSnapshot.objects.only("document").order_by("-fiscal_year", "-version")
    if fiscal_year is not None:
        snapshots = snapshots.filter(fiscal_year=fiscal_year)
        if version is not None:
            snapshots = snapshots.filter(version=version)
        snapshot = snapshots.first()
        if snapshot is None:
            year = _year_name(fiscal_year)
            if version is not None:
                raise Http404(f"{year}の第{version}版の公表はありません。")
            raise Http404(f"{year}の公表はありません。")
        return {**snapshot.document, "archive": True, "archive_version": version}
    snapshot = snapshots.first()
    if snapshot is not None:
        return snapshot.document
    document = build_document(actuals=Actual.objects.none(), costs=CostRecord.objects.none())
    document["not_yet_published"] = True
    return document


def _year_name(fiscal_year: int) -> str:
    if fiscal_year < HEISEI_START:
        return f"{fiscal_year}年度"
    return format_fiscal_year(fiscal_year)


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
    summary = document["summary"]
    unpublished = set(summary.get("unpublished_items") or ())
    return {
        "document": document,
        "pillars": pillars,
        "grade_chart": grade_figure(summary["grades"]),
        "counted_kpis": sum(summary["grades"].values()),
        "unpublished_kpis": sum(items[code]["summary"]["kpi_count"] for code in unpublished),
        **_page_year(document),
        **_archive(document),
    }


def _page_year(document: dict) -> dict:
    """The one fiscal year every figure of a public page is of (stated at its top)."""
    return {
        "page_year": document["summary"]["fiscal_year"],
        "page_year_source": "published" if document.get("published_fiscal_year") else "plan",
    }


def _archive(document: dict) -> dict:
    """Which earlier publication a public page shows: its year (and version, when one was asked
    for), for links that stay inside that publication."""
    if not document.get("archive"):
        return {"archive_year": None, "archive_version": None}
    return {
        "archive_year": document.get("published_fiscal_year"),
        "archive_version": document.get("archive_version"),
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
        **_page_year(document),
        **_archive(document),
    }


def _published_years() -> list[dict]:
    """Each published year once, newest first, with its number of versions."""
    return list(
        PublishedSnapshot.objects.values("fiscal_year")
        .annotate(versions=Max("version"))
        .order_by("-fiscal_year")
    )


def _versions(fiscal_year: int) -> list[PublishedSnapshot]:
    """Every version published for a year, newest first (without the documents)."""
    return list(
        PublishedSnapshot.objects.filter(fiscal_year=fiscal_year)
        .defer("document")
        .order_by("-version")
    )


@require_safe
@public_page
def index(request):
    context = index_context(public_document())
    context["published_years"] = _published_years()
    return render(request, "public/index.html", context)


def _version_context(fiscal_year: int, version: int | None) -> dict:
    """Which version of a year's publication a page shows, and the year's latest version."""
    latest = PublishedSnapshot.objects.filter(fiscal_year=fiscal_year).aggregate(v=Max("version"))
    return {"shown_version": version or latest["v"], "latest_version": latest["v"]}


def _archive_page(request, fiscal_year, version=None):
    context = index_context(public_document(fiscal_year, version))
    context.update(_version_context(fiscal_year, version))
    context["published_years"] = _published_years()
    context["versions"] = _versions(fiscal_year)
    return render(request, "public/index.html", context)


@require_safe
@public_page
def archive_index(request, fiscal_year):
    return _archive_page(request, fiscal_year)


@require_safe
@public_page
def archive_version(request, fiscal_year, version):
    return _archive_page(request, fiscal_year, version)


@require_safe
@public_page
def archive_corrections(request, fiscal_year):
    """The corrections of a year's publication, version by version (what, before, after, why,
    when), the way national statistics list their corrections."""
    versions = _versions(fiscal_year)
    if not versions:
        raise Http404(f"{_year_name(fiscal_year)}の公表はありません。")
    return render(
        request,
        "public/corrections.html",
        {"fiscal_year": fiscal_year, "versions": [v for v in versions if v.version > 1]},
    )


@require_safe
@public_page
def item_detail(request, code):
    return render(request, "priorities/item.html", item_context(public_document(), code))


@require_safe
@public_page
def archive_item_detail(request, fiscal_year, code):
    context = item_context(public_document(fiscal_year), code)
    context.update(_version_context(fiscal_year, None))
    return render(request, "priorities/item.html", context)


@require_safe
@public_page
def archive_version_item_detail(request, fiscal_year, version, code):
    context = item_context(public_document(fiscal_year, version), code)
    context.update(_version_context(fiscal_year, version))
    return render(request, "priorities/item.html", context)


def _json(document: dict) -> JsonResponse:
    document = {key: value for key, value in document.items() if not key.startswith("archive")}
    return JsonResponse(document, json_dumps_params={"ensure_ascii": False, "indent": 1})


@require_safe
@public_page
def opendata_json(request):
    return _json(public_document())


@require_safe
@public_page
def archive_opendata_json(request, fiscal_year):
    return _json(public_document(fiscal_year))


@require_safe
@public_page
def opendata_csv(request):
    document = public_document()
    response = HttpResponse(
        csv_bytes(CSV_HEADER, kpi_rows(document)), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="plan.csv"'
    return response


def japanese_message(exception) -> str:
    """The message an Http404 or PermissionDenied carries, when it is one of ours (Japanese).
    Django's own (「No PriorityItem matches the given query.」, the resolver's dict of tried
    patterns) are never shown."""
    args = getattr(exception, "args", ())
    message = args[0] if args and isinstance(args[0], str) else ""
    if not any("\u3040" <= ch <= "\u9fff" or "\uff00" <= ch <= "\uffef" for ch in message):
        return ""
    return message


def page_not_found(request, exception):
    return render(request, "404.html", {"message": japanese_message(exception)}, status=404)


def permission_denied(request, exception):
    """403, with the reason when the refusal gives one in Japanese."""
    return render(request, "403.html", {"message": japanese_message(exception)}, status=403)


def bad_request(request, exception):
    return render(request, "400.html", status=400)

"""The plan's own text on the public site: sections 1–3 and 5 as pages, in the plan's order
(section 4 is the priority items, on the front page). Read from the document the public pages
show (the latest publication, or the plan before any), so it is the edition the public sees."""

from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_safe

from pdca.public_cache import public_page
from pdca.views.public import public_document


def _sections(document: dict) -> list[dict]:
    return document["plan"].get("sections") or []


@require_safe
@public_page
def contents(request):
    document = public_document()
    return render(
        request, "public/plan.html", {"document": document, "sections": _sections(document)}
    )


@require_safe
@public_page
def section(request, number):
    document = public_document()
    sections = _sections(document)
    found = next(
        (s for s in sections if s["number"] == number and not s.get("priority_items")), None
    )
    if found is None:
        raise Http404(f"計画の本文に「{number}」章はありません。")
    position = sections.index(found)
    return render(
        request,
        "public/plan_section.html",
        {
            "document": document,
            "section": found,
            "previous": sections[position - 1] if position > 0 else None,
            "next": sections[position + 1] if position + 1 < len(sections) else None,
        },
    )

"""Public pages (namespace ``public``); staff pages are in staff_urls.py."""

from django.urls import path

from pdca.views import kpis, plan_text, pmo, public, revisions

# Public pages only read, and only published data (or the plan itself before any publication).
urlpatterns = [
    path("", public.index, name="index"),
    path("items/<str:code>/", public.item_detail, name="item"),
    path("items/<str:code>/kpis/<str:kpi_code>/", kpis.kpi_detail, name="kpi"),
    path("published/<int:fiscal_year>/", public.archive_index, name="archive"),
    path(
        "published/<int:fiscal_year>/corrections/",
        public.archive_corrections,
        name="archive_corrections",
    ),
    path(
        "published/<int:fiscal_year>/items/<str:code>/",
        public.archive_item_detail,
        name="archive_item",
    ),
    # Every version of a year's publication stays readable (republishing adds a version).
    path(
        "published/<int:fiscal_year>/v<int:version>/",
        public.archive_version,
        name="archive_version",
    ),
    path(
        "published/<int:fiscal_year>/v<int:version>/items/<str:code>/",
        public.archive_version_item_detail,
        name="archive_version_item",
    ),
    # The plan's own text (sections 1–3 and 5), in the plan's order.
    path("plan/", plan_text.contents, name="plan"),
    path("plan/<int:number>/", plan_text.section, name="plan_section"),
    path("pmo/", pmo.public_summary, name="pmo"),
    # The plan's editions: the change log, each revision side by side, each edition's text.
    path("revisions/", revisions.revisions, name="revisions"),
    path("revisions/<int:number>/", revisions.revision, name="revision"),
    path("editions/<int:number>/", revisions.edition_index, name="edition"),
    path("editions/<int:number>/items/<str:code>/", revisions.edition_item, name="edition_item"),
    path("opendata/plan.json", public.opendata_json, name="opendata_json"),
    path("opendata/plan.csv", public.opendata_csv, name="opendata_csv"),
    path(
        "opendata/<int:fiscal_year>/plan.json",
        public.archive_opendata_json,
        name="archive_opendata_json",
    ),
]

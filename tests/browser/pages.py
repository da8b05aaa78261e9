"""Every page a person can open, enumerated from the URL patterns and the data (never a hand list
of addresses): for each named URL of the public and staff namespaces, the arguments it takes come
from the database or the published document. A URL pattern added without saying here which pages
it serves fails tests/browser/test_pages.py (``test_every_url_pattern_is_enumerated``).
"""

from django.contrib import admin
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse

from kpis.models import Kpi
from pdca.models import (
    BackgroundJob,
    Evaluation,
    PlanRevision,
    PublishedSnapshot,
    Round,
    SupportCase,
)
from pdca.presentation import item_kpis
from pdca.views.public import public_document
from priorities.models import Plan, PlanEdition, PriorityItem
from systems.models import System

# Named URLs that answer with something other than a page (data, files, POST-only actions), and
# where each is exercised instead.
NOT_PAGES = {
    "public:opendata_json": "JSON (tests/pdca/test_opendata.py)",
    "public:opendata_csv": "CSV (tests/pdca/test_opendata.py)",
    "public:archive_opendata_json": "JSON (tests/pdca/test_opendata.py)",
    "staff:evaluation_approve": "POST only: the approve button, test_yearly_cycle.py",
    "staff:evaluation_return": "POST only (tests/pdca/test_evaluation_workflow.py)",
    "staff:forms_workbook": "xlsx (tests/pdca/test_workbooks.py)",
    "staff:actuals_preview": "POST only: the preview, test_excel_upload.py",
    "staff:actuals_confirm": "POST only: the confirm button, test_excel_upload.py",
    "staff:actuals_cancel": "POST only (tests/pdca/test_excel_views.py)",
    "staff:actuals_template": "xlsx: downloaded in test_excel_upload.py",
    "staff:job_status": "JSON polled by static/js/job.js",
    "staff:job_download": "a file (tests/pdca/test_background_jobs.py)",
    "staff:round_csv": "CSV (tests/pdca/test_round_views.py)",
    "staff:round_xlsx": "xlsx (tests/pdca/test_round_views.py)",
    "staff:round_extend": "POST only (tests/pdca/test_round_views.py)",
    "staff:round_department": "POST only (tests/pdca/test_round_views.py)",
    "staff:round_close": "POST only (tests/pdca/test_round.py)",
    "staff:round_remind": "POST only (tests/pdca/test_reminders.py)",
    "staff:user_resend": "POST only (tests/pdca/test_accounts.py)",
}


# Staff pages only DX staff open (the head of DX also opens the revisions): empty for others.
DX_ONLY = {
    "staff:publish",
    "staff:round_overview",
    "staff:round_open",
    "staff:round_detail",
    "staff:users",
    "staff:user_invite",
    "staff:user_edit",
    "staff:pmo",
    "staff:pmo_new",
    "staff:pmo_case",
    "staff:revisions",
    "staff:revision",
}


def url_names(namespaces=("public", "staff")) -> set[str]:
    names = set()
    for entry in get_resolver().url_patterns:
        if isinstance(entry, URLResolver) and entry.namespace in namespaces:
            for pattern in entry.url_patterns:
                if isinstance(pattern, URLPattern) and pattern.name:
                    names.add(f"{entry.namespace}:{pattern.name}")
    return names


def _urls(name, argument_lists):
    return [reverse(name, args=args) for args in argument_lists]


def public_pages() -> dict[str, list[str]]:
    """URL name → the public pages it serves: every item and KPI of the published document,
    every published year and version, each of its items."""
    document = public_document()
    codes = [item["code"] for item in document["items"]]
    kpis = [(item["code"], kpi["code"]) for item in document["items"] for kpi in item_kpis(item)]
    snapshots = list(PublishedSnapshot.objects.order_by("fiscal_year", "version"))
    years = sorted({s.fiscal_year for s in snapshots})
    editions = list(PlanEdition.objects.order_by("number").values_list("number", flat=True))
    return {
        "public:index": [reverse("public:index")],
        "public:item": _urls("public:item", [(code,) for code in codes]),
        "public:kpi": _urls("public:kpi", kpis),
        "public:archive": _urls("public:archive", [(year,) for year in years]),
        "public:archive_item": _urls(
            "public:archive_item", [(year, code) for year in years for code in codes]
        ),
        "public:archive_version": _urls(
            "public:archive_version", [(s.fiscal_year, s.version) for s in snapshots]
        ),
        "public:archive_version_item": _urls(
            "public:archive_version_item",
            [(s.fiscal_year, s.version, code) for s in snapshots for code in codes],
        ),
        "public:archive_corrections": _urls(
            "public:archive_corrections", [(year,) for year in years]
        ),
        "public:plan": [reverse("public:plan")],
        "public:plan_section": _urls(
            "public:plan_section",
            [
                (section["number"],)
                for plan in Plan.objects.all()
                for section in plan.sections
                if section["number"] != 4  # section 4 is the items themselves
            ],
        ),
        "public:pmo": [reverse("public:pmo")],
        "public:revisions": [reverse("public:revisions")],
        "public:revision": _urls("public:revision", [(n,) for n in editions if n > 1]),
        "public:edition": _urls("public:edition", [(n,) for n in editions]),
        "public:edition_item": _urls(
            "public:edition_item", [(n, code) for n in editions for code in codes]
        ),
    }


def staff_pages(user, *, every=True) -> dict[str, list[str]]:
    """URL name → the staff pages ``user`` may open: every item, KPI and system they see (with
    ``every=False``, the first three of each), one evaluation in each state the data holds and a
    new one (the evaluation page differs by state, not by item), and their jobs."""
    from django.contrib.auth import get_user_model

    from pdca.selectors import cycle_years
    from priorities.permissions import (
        DEPARTMENT_HEAD_GROUP,
        DX_STAFF_GROUP,
        is_dx_staff,
        is_head_of_dx,
    )

    User = get_user_model()

    items = list(PriorityItem.objects.for_user(user).in_plan_order())
    first = slice(None) if every else slice(3)
    one_per_state = {}
    for evaluation in Evaluation.objects.filter(item__in=items).order_by("fiscal_year", "item"):
        one_per_state.setdefault(evaluation.status, (evaluation.item.code, evaluation.fiscal_year))
    evaluated = set(
        Evaluation.objects.filter(item__in=items).values_list("item__code", "fiscal_year")
    )
    new = next(
        (
            (item.code, y)
            for item in items
            for y in cycle_years()
            if (item.code, y) not in evaluated
        ),
        None,
    )
    evaluations = [*one_per_state.values(), *([new] if new else [])]
    years = list(cycle_years())
    pages = {
        "staff:dashboard": [reverse("staff:dashboard")]
        + [f"{reverse('staff:dashboard')}?fy={year}" for year in years[:2]],
        "staff:item": _urls("staff:item", [(item.code,) for item in items][first]),
        "staff:evaluation": _urls("staff:evaluation", evaluations),
        "staff:kpi": _urls(
            "staff:kpi", list(Kpi.objects.for_user(user).in_plan_order().values_list("code"))[first]
        ),
        "staff:actuals_import": [reverse("staff:actuals_import")],
        "staff:job": _urls("staff:job", BackgroundJob.objects.filter(user=user).values_list("pk")),
        "staff:systems": [reverse("staff:systems")],
        "staff:system": _urls(
            "staff:system",
            list(System.objects.for_user(user).order_by("pk").values_list("pk"))[first],
        ),
    }
    pages["staff:publish"] = [reverse("staff:publish")] if is_dx_staff(user) else []
    dx = is_dx_staff(user)
    pages["staff:round_overview"] = [reverse("staff:round_overview")] if dx else []
    pages["staff:round_open"] = [reverse("staff:round_open")] if dx else []
    rounds = Round.objects.order_by("fiscal_year").values_list("fiscal_year")
    pages["staff:round_detail"] = _urls("staff:round_detail", rounds) if dx else []
    heads = (
        User.objects.filter(groups__name=DEPARTMENT_HEAD_GROUP, is_superuser=False)
        .exclude(groups__name=DX_STAFF_GROUP)
        .order_by("pk")
        .values_list("pk")
    )
    pages["staff:users"] = [reverse("staff:users")] if dx else []
    pages["staff:user_invite"] = [reverse("staff:user_invite")] if dx else []
    pages["staff:user_edit"] = _urls("staff:user_edit", list(heads)[first]) if dx else []
    pages["staff:pmo"] = [reverse("staff:pmo")] if dx else []
    pages["staff:pmo_new"] = [reverse("staff:pmo_new")] if dx else []
    cases = SupportCase.objects.order_by("pk").values_list("pk")
    pages["staff:pmo_case"] = _urls("staff:pmo_case", list(cases)[first]) if dx else []
    revisers = dx or is_head_of_dx(user)
    pages["staff:revisions"] = [reverse("staff:revisions")] if revisers else []
    revisions = PlanRevision.objects.order_by("pk").values_list("pk")
    pages["staff:revision"] = _urls("staff:revision", revisions) if revisers else []
    return pages


def admin_pages() -> list[str]:
    """The admin's index, each app's index, and every registered model's list, add form (where
    adding is allowed), import and export pages (django-import-export), and the change form and
    change history of its first record."""
    pages = [reverse("admin:index")]
    apps = set()
    for model, model_admin in admin.site._registry.items():
        meta = model._meta
        apps.add(meta.app_label)
        prefix = f"admin:{meta.app_label}_{meta.model_name}"
        pages.append(reverse(f"{prefix}_changelist"))
        if model_admin.has_add_permission(_FakeRequest()):
            pages.append(reverse(f"{prefix}_add"))
        pages += _optional(f"{prefix}_import", f"{prefix}_export")
        first = model._default_manager.order_by("pk").first()
        if first is not None:
            pages.append(reverse(f"{prefix}_change", args=[first.pk]))
            pages += _optional(f"{prefix}_history", args=[first.pk])
    pages += [reverse("admin:app_list", args=[label]) for label in sorted(apps)]
    return pages


def _optional(*names, args=()) -> list[str]:
    """The URLs of those names that exist (import and export only on import-export admins)."""
    urls = []
    for name in names:
        try:
            urls.append(reverse(name, args=args))
        except NoReverseMatch:
            pass
    return urls


class _FakeRequest:
    """A superuser's request, for asking a ModelAdmin whether adding is possible at all."""

    class user:
        is_active = is_staff = is_superuser = True

        @staticmethod
        def has_perm(*args):
            return True

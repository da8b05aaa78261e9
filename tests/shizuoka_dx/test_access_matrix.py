"""Every URL pattern, walked as anonymous, head of another department, head of the owning
department and DX staff, against the expected status. A new URL without a row here fails."""

from datetime import date

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from pdca.models import BackgroundJob, Evaluation, PlanRevision, Round, RoundDeadline, SupportCase
from pdca.services.round import round_open
from priorities.models import Department, PriorityItem
from systems.models import System

pytestmark = pytest.mark.django_db

ANON, OTHER, OWNER, DX = "anonymous", "head_b", "head_a", "dx_staff"
ROLES = (ANON, OTHER, OWNER, DX)

# name: (kwargs, {role: status}); 1-3 is owned by 危機管理課 (head_a), not by 広報課 (head_b).
ITEM = {"code": "1-3"}
EVALUATION = {"code": "1-3", "fiscal_year": 2025}
EVERYONE_200 = dict.fromkeys(ROLES, 200)
LOGIN_THEN_405 = {ANON: 302, OTHER: 405, OWNER: 405, DX: 405}
OWN_ONLY = {ANON: 302, OTHER: 404, OWNER: 200, DX: 200}
DX_ONLY = {ANON: 302, OTHER: 403, OWNER: 403, DX: 200}
MATRIX = {
    "public:index": ({}, EVERYONE_200),
    "public:item": (ITEM, EVERYONE_200),
    "public:kpi": ({"code": "1-3", "kpi_code": "1-3-K02"}, EVERYONE_200),
    "public:archive": ({"fiscal_year": 2024}, EVERYONE_200),
    "public:archive_item": ({"fiscal_year": 2024, "code": "1-3"}, EVERYONE_200),
    "public:archive_corrections": ({"fiscal_year": 2024}, EVERYONE_200),
    "public:archive_version": ({"fiscal_year": 2024, "version": 1}, EVERYONE_200),
    "public:archive_version_item": (
        {"fiscal_year": 2024, "version": 1, "code": "1-3"},
        EVERYONE_200,
    ),
    "public:plan": ({}, EVERYONE_200),
    "public:plan_section": ({"number": 5}, EVERYONE_200),
    "public:pmo": ({}, EVERYONE_200),
    "public:revisions": ({}, EVERYONE_200),
    "public:revision": ({"number": 1}, EVERYONE_200),
    "public:edition": ({"number": 1}, EVERYONE_200),
    "public:edition_item": ({"number": 1, "code": "1-3"}, EVERYONE_200),
    "public:opendata_json": ({}, EVERYONE_200),
    "public:opendata_csv": ({}, EVERYONE_200),
    "public:archive_opendata_json": ({"fiscal_year": 2024}, EVERYONE_200),
    "staff:dashboard": ({}, {ANON: 302, OTHER: 200, OWNER: 200, DX: 200}),
    "staff:item": (ITEM, OWN_ONLY),
    "staff:evaluation": (EVALUATION, OWN_ONLY),
    "staff:evaluation_approve": (EVALUATION, LOGIN_THEN_405),
    "staff:evaluation_return": (EVALUATION, LOGIN_THEN_405),
    "staff:publish": ({}, {ANON: 302, OTHER: 403, OWNER: 403, DX: 200}),
    "staff:kpi": ({"kpi_code": "1-3-K02"}, OWN_ONLY),
    "staff:systems": ({}, {ANON: 302, OTHER: 200, OWNER: 200, DX: 200}),
    "staff:system": ("crisis-system", OWN_ONLY),
    "staff:forms_workbook": ({}, {ANON: 302, OTHER: 200, OWNER: 200, DX: 200}),
    "staff:actuals_import": ({}, {ANON: 302, OTHER: 200, OWNER: 200, DX: 200}),
    "staff:actuals_preview": ({}, LOGIN_THEN_405),
    "staff:actuals_confirm": ({}, LOGIN_THEN_405),
    "staff:actuals_cancel": ({}, LOGIN_THEN_405),
    # 危機管理課's template: its head and DX staff may make it, 広報課's head may not.
    "staff:actuals_template": ("crisis-template", {ANON: 302, OTHER: 400, OWNER: 200, DX: 200}),
    # Background work is seen by the person who started it only (here 危機管理課's head).
    "staff:job": ("owners-job", {ANON: 302, OTHER: 404, OWNER: 200, DX: 404}),
    "staff:job_status": ("owners-job", {ANON: 302, OTHER: 404, OWNER: 200, DX: 404}),
    "staff:job_download": ("owners-job", {ANON: 302, OTHER: 404, OWNER: 200, DX: 404}),
    # The update round and staff accounts: DX staff only (a head sees their part on /staff/).
    "staff:round_overview": ({}, DX_ONLY),
    "staff:round_csv": ({}, DX_ONLY),
    "staff:round_xlsx": ({}, DX_ONLY),
    "staff:round_open": ({}, DX_ONLY),
    "staff:round_detail": ({"fiscal_year": 2025}, DX_ONLY),
    "staff:round_extend": ({"fiscal_year": 2025}, LOGIN_THEN_405),
    "staff:round_department": ({"fiscal_year": 2025}, LOGIN_THEN_405),
    "staff:round_close": ({"fiscal_year": 2025}, LOGIN_THEN_405),
    "staff:round_remind": ({"fiscal_year": 2025}, LOGIN_THEN_405),
    "staff:users": ({}, DX_ONLY),
    "staff:user_invite": ({}, DX_ONLY),
    "staff:user_edit": ("owner-account", DX_ONLY),
    "staff:user_resend": ("owner-account", LOGIN_THEN_405),
    # Revisions of the plan: DX staff draft and publish, the head of DX approves.
    "staff:revisions": ({}, {ANON: 302, OTHER: 403, OWNER: 403, DX: 200}),
    "staff:revision": ("a-revision", {ANON: 302, OTHER: 403, OWNER: 403, DX: 200}),
    # The PMO register: DX staff only.
    "staff:pmo": ({}, {ANON: 302, OTHER: 403, OWNER: 403, DX: 200}),
    "staff:pmo_new": ({}, {ANON: 302, OTHER: 403, OWNER: 403, DX: 200}),
    "staff:pmo_case": ("a-case", {ANON: 302, OTHER: 403, OWNER: 403, DX: 200}),
    "login": ({}, EVERYONE_200),
    # An invitation's set-password link: a bad link says so (200), for anybody.
    "password_reset_confirm": ({"uidb64": "MQ", "token": "bad-token"}, EVERYONE_200),
    "password_reset_complete": ({}, EVERYONE_200),
    "logout": ({}, dict.fromkeys(ROLES, 405)),
    # For load balancers: no login, the same answer for everybody.
    "healthz": ({}, EVERYONE_200),
}
# State changes: POST without the right role never changes anything.
POST_MATRIX = {
    "staff:evaluation": (EVALUATION, {ANON: 302, OTHER: 404}),
    "staff:evaluation_approve": (EVALUATION, {ANON: 302, OTHER: 404}),
    "staff:evaluation_return": (EVALUATION, {ANON: 302, OTHER: 404}),
    "staff:publish": ({}, {ANON: 302, OTHER: 403, OWNER: 403}),
    "staff:kpi": ({"kpi_code": "1-3-K02"}, {ANON: 302, OTHER: 404}),
    "staff:actuals_preview": ({}, {ANON: 302}),
    "staff:actuals_confirm": ({}, {ANON: 302}),
    "staff:actuals_cancel": ({}, {ANON: 302}),
    "staff:round_open": ({}, {ANON: 302, OTHER: 403, OWNER: 403}),
    "staff:round_extend": ({"fiscal_year": 2025}, {ANON: 302, OTHER: 403, OWNER: 403}),
    "staff:round_department": ({"fiscal_year": 2025}, {ANON: 302, OTHER: 403, OWNER: 403}),
    "staff:round_close": ({"fiscal_year": 2025}, {ANON: 302, OTHER: 403, OWNER: 403}),
    "staff:round_remind": ({"fiscal_year": 2025}, {ANON: 302, OTHER: 403, OWNER: 403}),
    "staff:user_invite": ({}, {ANON: 302, OTHER: 403, OWNER: 403}),
    "staff:user_edit": ("owner-account", {ANON: 302, OTHER: 403, OWNER: 403}),
    "staff:user_resend": ("owner-account", {ANON: 302, OTHER: 403, OWNER: 403}),
    "staff:revisions": ({}, {ANON: 302, OTHER: 403, OWNER: 403}),
    "staff:revision": ("a-revision", {ANON: 302, OTHER: 403, OWNER: 403}),
    "staff:pmo_new": ({}, {ANON: 302, OTHER: 403, OWNER: 403}),
    "staff:pmo_case": ("a-case", {ANON: 302, OTHER: 403, OWNER: 403}),
}


def named_patterns(resolver=None, namespace=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            if entry.app_name == "admin":
                continue  # walked separately below
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from named_patterns(entry, inner)
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{namespace}{entry.name}"


def test_every_url_pattern_has_a_row_in_the_matrix():
    assert set(named_patterns()) == set(MATRIX)


@pytest.fixture
def clients(client, django_user_model, head_a, head_b, dx_staff, publish):
    from django.test import Client

    publish(2024)
    Evaluation.objects.create(item=PriorityItem.objects.get(code="1-3"), fiscal_year=2025)
    round_open(
        fiscal_year=2025,
        actuals_due=date(2026, 5, 31),
        evaluations_due=date(2026, 6, 30),
        user=dx_staff,
    )
    users = {OTHER: head_b, OWNER: head_a, DX: dx_staff}
    result = {ANON: client}
    for role, user in users.items():
        result[role] = Client()
        result[role].force_login(user)
    return result


def url_for(name, kwargs):
    if kwargs == "a-case":
        case = SupportCase.objects.create(
            title="テスト", department=Department.objects.get(name="DX推進課"),
            category="tool", mode="accompany", started_on="2025-04-01", stage="executing",
        )  # fmt: skip
        return reverse(name, kwargs={"pk": case.pk})
    if kwargs == "a-revision":
        revision = PlanRevision.objects.create(
            title="テスト", reason="テスト", effective_fiscal_year=2026
        )
        return reverse(name, kwargs={"pk": revision.pk})
    if kwargs == "crisis-system":
        kwargs = {"pk": System.objects.get(name="静岡市災害時総合情報システム").pk}
    if kwargs == "owners-job":
        owner = PriorityItem.objects.get(code="1-3").departments.get(name="危機管理課")
        job = BackgroundJob.objects.create(
            kind=BackgroundJob.Kind.FORMS_WORKBOOK,
            user=owner.members.get(),
            status=BackgroundJob.Status.DONE,
            file=b"PK",
            file_name="様式_R7_1-3.xlsx",
        )
        return reverse(name, kwargs={"pk": job.pk})
    if kwargs == "owner-account":
        head = PriorityItem.objects.get(code="1-3").departments.get(name="危機管理課")
        return reverse(name, kwargs={"pk": head.members.get().pk})
    if kwargs == "crisis-template":
        department = Department.objects.get(name="危機管理課")
        return reverse(name) + f"?fiscal_year=R7&department={department.pk}"
    return reverse(name, kwargs=kwargs)


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_get_answers_each_role_as_expected(clients, name):
    kwargs, expected = MATRIX[name]
    url = url_for(name, kwargs)
    got = {role: clients[role].get(url).status_code for role in ROLES}
    assert got == expected, url


@pytest.mark.parametrize("name", sorted(POST_MATRIX))
def test_post_by_the_wrong_people_is_refused(clients, name):
    kwargs, expected = POST_MATRIX[name]
    url = url_for(name, kwargs)
    watched = (Evaluation, Round, RoundDeadline, get_user_model())

    def state():
        return [list(model.objects.order_by("pk").values()) for model in watched]

    before = state()
    got = {role: clients[role].post(url, {"version": 1}).status_code for role in expected}
    assert got == expected, url
    assert state() == before


def test_the_admin_is_for_dx_staff_only(clients):
    """DX staff maintain the plan there; user accounts stay with the system administrator."""
    urls = ["/admin/"] + [
        reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        for model in admin.site._registry
        if model._meta.app_label in {"priorities", "kpis", "systems"}
    ]
    for url in urls:
        got = {role: clients[role].get(url).status_code for role in ROLES}
        assert got == {ANON: 302, OTHER: 302, OWNER: 302, DX: 200}, url


def test_user_accounts_are_for_the_system_administrator_only(clients):
    assert clients[DX].get("/admin/auth/user/").status_code == 403

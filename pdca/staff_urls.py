"""Staff pages (namespace ``staff``, under /staff/)."""

from django.urls import path

from pdca.views import excel, jobs, kpis, pmo, revisions, staff, systems, users
from pdca.views import round as round_views

# Everything that needs a login, or changes data, lives under /staff/ (or /admin/).
urlpatterns = [
    path("", staff.dashboard, name="dashboard"),
    path("items/<str:code>/", staff.item_detail, name="item"),
    path(
        "items/<str:code>/evaluations/<int:fiscal_year>/",
        staff.evaluation_detail,
        name="evaluation",
    ),
    path(
        "items/<str:code>/evaluations/<int:fiscal_year>/approve/",
        staff.evaluation_approve,
        name="evaluation_approve",
    ),
    path(
        "items/<str:code>/evaluations/<int:fiscal_year>/return/",
        staff.evaluation_return,
        name="evaluation_return",
    ),
    path("publish/", staff.publish, name="publish"),
    path("forms.xlsx", staff.forms_workbook_download, name="forms_workbook"),
    path("actuals/import/", excel.actuals_import, name="actuals_import"),
    path("actuals/import/preview/", excel.actuals_preview, name="actuals_preview"),
    path("actuals/import/confirm/", excel.actuals_confirm, name="actuals_confirm"),
    path("actuals/import/cancel/", excel.actuals_cancel, name="actuals_cancel"),
    path("actuals/template.xlsx", excel.actuals_template_download, name="actuals_template"),
    path("jobs/<uuid:pk>/", jobs.job_page, name="job"),
    path("jobs/<uuid:pk>/status.json", jobs.job_status, name="job_status"),
    path("jobs/<uuid:pk>/download/", jobs.job_download, name="job_download"),
    path("kpis/<str:kpi_code>/", kpis.staff_kpi_detail, name="kpi"),
    path("systems/", systems.system_list, name="systems"),
    path("systems/<int:pk>/", systems.system_detail, name="system"),
    # The yearly update round (DX staff): overview, downloads, opening, a round's page.
    path("round/", round_views.overview, name="round_overview"),
    path("round/overview.csv", round_views.overview_csv, name="round_csv"),
    path("round/overview.xlsx", round_views.overview_xlsx, name="round_xlsx"),
    path("round/open/", round_views.round_open, name="round_open"),
    path("round/<int:fiscal_year>/", round_views.round_detail, name="round_detail"),
    path("round/<int:fiscal_year>/extend/", round_views.round_extend, name="round_extend"),
    path(
        "round/<int:fiscal_year>/department/",
        round_views.round_department,
        name="round_department",
    ),
    path("round/<int:fiscal_year>/close/", round_views.round_close, name="round_close"),
    path("round/<int:fiscal_year>/remind/", round_views.round_remind, name="round_remind"),
    # Staff accounts (DX staff): invite a head, departments and role, deactivate.
    path("users/", users.user_list, name="users"),
    path("users/invite/", users.user_invite, name="user_invite"),
    path("users/<int:pk>/", users.user_edit, name="user_edit"),
    path("users/<int:pk>/invitation/", users.user_resend, name="user_resend"),
    path("pmo/", pmo.staff_register, name="pmo"),
    path("pmo/new/", pmo.staff_case, name="pmo_new"),
    path("pmo/<int:pk>/", pmo.staff_case, name="pmo_case"),
    path("revisions/", revisions.staff_revisions, name="revisions"),
    path("revisions/<int:pk>/", revisions.staff_revision, name="revision"),
]

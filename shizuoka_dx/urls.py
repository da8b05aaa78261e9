from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from kpis import excel_views
from kpis import views as kpi_views
from priorities import staff_views
from priorities import views as priority_views
from systems import views as system_views

admin.site.site_header = "デジタル化推進アクションプラン 管理画面"
admin.site.site_title = "アクションプラン管理"
admin.site.index_title = "計画・KPI・システムの管理"

# Public pages only read, and only published data (or the plan itself before any publication).
public_patterns = [
    path("", priority_views.index, name="index"),
    path("items/<str:code>/", priority_views.item_detail, name="item"),
    path("items/<str:code>/kpis/<str:kpi_code>/", kpi_views.kpi_detail, name="kpi"),
    path("published/<int:fiscal_year>/", priority_views.archive_index, name="archive"),
    path(
        "published/<int:fiscal_year>/items/<str:code>/",
        priority_views.archive_item_detail,
        name="archive_item",
    ),
    path("opendata/plan.json", priority_views.opendata_json, name="opendata_json"),
    path("opendata/plan.csv", priority_views.opendata_csv, name="opendata_csv"),
    path(
        "opendata/<int:fiscal_year>/plan.json",
        priority_views.archive_opendata_json,
        name="archive_opendata_json",
    ),
]

# Everything that needs a login, or changes data, lives under /staff/ (or /admin/).
staff_patterns = [
    path("", staff_views.dashboard, name="dashboard"),
    path("items/<str:code>/", staff_views.item_detail, name="item"),
    path(
        "items/<str:code>/evaluations/<int:fiscal_year>/",
        staff_views.evaluation_detail,
        name="evaluation",
    ),
    path(
        "items/<str:code>/evaluations/<int:fiscal_year>/submit/",
        staff_views.evaluation_submit,
        name="evaluation_submit",
    ),
    path(
        "items/<str:code>/evaluations/<int:fiscal_year>/approve/",
        staff_views.evaluation_approve,
        name="evaluation_approve",
    ),
    path(
        "items/<str:code>/evaluations/<int:fiscal_year>/return/",
        staff_views.evaluation_return,
        name="evaluation_return",
    ),
    path("publish/", staff_views.publish, name="publish"),
    path("forms.xlsx", staff_views.forms_workbook_download, name="forms_workbook"),
    path("actuals/import/", excel_views.actuals_import, name="actuals_import"),
    path("actuals/template.xlsx", excel_views.actuals_template_download, name="actuals_template"),
    path("kpis/<str:kpi_code>/", kpi_views.staff_kpi_detail, name="kpi"),
    path("systems/", system_views.system_list, name="systems"),
    path("systems/<int:pk>/", system_views.system_detail, name="system"),
]

urlpatterns = [
    path("", include((public_patterns, "public"))),
    path("staff/", include((staff_patterns, "staff"))),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(template_name="registration/login.html"),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
]

handler404 = "priorities.views.page_not_found"
handler403 = "priorities.views.permission_denied"

"""Top-level routing. Apps are included by name (strings), so the shared kernel never imports
the apps above it (see docs/architecture.md)."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from shizuoka_dx import health

admin.site.site_header = "デジタル化推進アクションプラン 管理画面"
admin.site.site_title = "アクションプラン管理"
admin.site.index_title = "計画・KPI・システムの管理"

urlpatterns = [
    path("", include(("pdca.urls", "public"), namespace="public")),
    path("staff/", include(("pdca.staff_urls", "staff"), namespace="staff")),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(template_name="registration/login.html"),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    # The set-password link of an invitation (pdca/services/accounts.py): Django's password
    # reset, in Japanese. The link works once, for PASSWORD_RESET_TIMEOUT.
    path(
        "accounts/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            template_name="registration/password_set_confirm.html"
        ),
        name="password_reset_confirm",
    ),
    path(
        "accounts/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(
            template_name="registration/password_set_complete.html"
        ),
        name="password_reset_complete",
    ),
    path("admin/", admin.site.urls),
    path("healthz", health.healthz, name="healthz"),
]

handler404 = "pdca.views.public.page_not_found"
handler403 = "pdca.views.public.permission_denied"
handler400 = "pdca.views.public.bad_request"

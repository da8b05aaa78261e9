import os
import subprocess
import sys
from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

pytestmark = pytest.mark.django_db


def test_ten_failed_logins_lock_the_account_with_the_same_answer_as_a_wrong_password(
    client, dx_staff
):
    wrong = {"username": "dx-staff", "password": "wrong password"}
    first = client.post("/accounts/login/", wrong)
    for _ in range(9):
        client.post("/accounts/login/", wrong)
    right = client.post(
        "/accounts/login/", {"username": "dx-staff", "password": "correct horse battery staple"}
    )
    assert right.status_code == first.status_code == 200
    assert "_auth_user_id" not in client.session
    assert "正しいユーザー名とパスワードを入力してください" in right.content.decode()
    assert right.content.decode().count("errorlist") == first.content.decode().count("errorlist")


def test_nine_failures_still_let_the_right_password_in(client, dx_staff):
    for _ in range(9):
        client.post("/accounts/login/", {"username": "dx-staff", "password": "nope"})
    right = client.post(
        "/accounts/login/", {"username": "dx-staff", "password": "correct horse battery staple"}
    )
    assert right.status_code == 302


def test_a_session_ends_after_30_idle_minutes_and_each_request_renews_it(
    client, dx_staff, monkeypatch
):
    # The session store reads the time through django.utils.timezone.now: move that clock.
    clock = [timezone.now()]
    monkeypatch.setattr(timezone, "now", lambda: clock[0])

    def staff_page_after(minutes):
        clock[0] += timedelta(minutes=minutes)
        return client.get("/staff/")

    client.force_login(dx_staff)
    assert staff_page_after(29).status_code == 200
    # 58 minutes after logging in, but only 29 since the last page: still logged in.
    assert staff_page_after(29).status_code == 200
    idle = staff_page_after(31)
    assert idle.status_code == 302
    assert idle.url.startswith("/accounts/login/")


def test_state_changes_need_the_csrf_token(dx_staff):
    client = Client(enforce_csrf_checks=True)
    client.force_login(dx_staff)
    response = client.post("/staff/kpis/1-1-K01/", {"fiscal_year": "R6", "value": "1"})
    assert response.status_code == 403


def test_pages_send_a_content_security_policy_that_allows_only_our_own_scripts(client):
    policy = client.get("/").headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "default-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy


def test_pages_have_no_inline_scripts_for_the_policy_to_block(client, publish):
    import re

    publish(2024)
    for path in ["/", "/items/1-3/", "/items/1-3/kpis/1-3-K02/"]:
        page = client.get(path).content.decode()
        for tag in re.findall(r"<script[^>]*>", page):
            assert "src=" in tag or 'type="application/json"' in tag, (path, tag)


def test_an_error_page_shows_no_stack_trace_or_sql(client, monkeypatch):
    from pdca.views import public as views

    def broken(*args, **kwargs):
        raise RuntimeError("SELECT secret FROM table")

    monkeypatch.setattr(views, "public_document", broken)
    client.raise_request_exception = False
    response = client.get("/")
    assert response.status_code == 500
    page = response.content.decode()
    assert "エラーが発生しました" in page
    assert "SELECT" not in page and "Traceback" not in page and "RuntimeError" not in page


def test_production_settings_pass_the_deploy_check():
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "shizuoka_dx.settings",
        "DEBUG": "false",
        "SECRET_KEY": "a-long-random-production-secret-key-for-the-check-0123456789abcdef",
        "ALLOWED_HOSTS": "dx.example.jp",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_refuses_to_start_without_a_secret_key():
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "shizuoka_dx.settings",
        "DEBUG": "false",
        "SECRET_KEY": "",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr

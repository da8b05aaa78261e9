"""What reaches stderr in production: every 500 with its traceback, not the 404 noise."""

import io
import logging

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.fixture
def stderr_log():
    """What the LOGGING setting's stderr handler writes, caught in a string."""
    handler = next(h for h in logging.getLogger("django").handlers if h.name == "stderr")
    caught = io.StringIO()
    real = handler.setStream(caught)
    yield caught
    handler.setStream(real)


def test_a_server_error_is_logged_with_its_traceback(client, monkeypatch, stderr_log):
    from pdca.views import public as views

    def broken(*args, **kwargs):
        raise RuntimeError("the open-data document broke")

    monkeypatch.setattr(views, "public_document", broken)
    client.raise_request_exception = False
    assert client.get("/").status_code == 500
    log = stderr_log.getvalue()
    assert "ERROR django.request: Internal Server Error: /" in log
    assert "Traceback (most recent call last)" in log
    assert "RuntimeError: the open-data document broke" in log


def test_a_page_not_found_is_not_logged(client, stderr_log):
    assert client.get("/wp-login.php").status_code == 404
    assert stderr_log.getvalue() == ""


def test_a_refused_form_post_is_logged_as_a_security_warning(dx_staff, stderr_log):
    client = Client(enforce_csrf_checks=True)
    client.force_login(dx_staff)
    assert client.post("/staff/kpis/1-1-K01/", {"value": "1"}).status_code == 403
    assert "WARNING django.security.csrf: Forbidden (CSRF" in stderr_log.getvalue()

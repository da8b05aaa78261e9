"""Our CSP middleware sends exactly django-csp's header, built once instead of per response."""

import pytest
from csp.constants import NONCE
from csp.decorators import csp_exempt, csp_update
from csp.exceptions import CSPNonceError
from csp.middleware import CSPMiddleware as DjangoCSPMiddleware
from django.http import HttpResponse
from django.test import RequestFactory

from shizuoka_dx import middleware

HEADER = "Content-Security-Policy"


def respond(view, path="/"):
    request = RequestFactory().get(path)
    return request, middleware.CSPMiddleware(view)(request)


def plain(request):
    return HttpResponse("x")


def test_the_header_is_the_one_django_csp_builds():
    request = RequestFactory().get("/")
    expected = DjangoCSPMiddleware(plain)(request)[HEADER]
    assert respond(plain)[1][HEADER] == expected
    assert "script-src 'self'" in expected


def test_the_policy_is_built_once_not_per_response(monkeypatch):
    calls = []
    real = middleware.build_policy
    monkeypatch.setattr(middleware, "build_policy", lambda **kw: calls.append(kw) or real(**kw))
    middleware._cache.clear()
    for _ in range(5):
        assert respond(plain)[1][HEADER]
    assert len(calls) == 2  # the policy and the (empty) report-only policy, once each


def test_a_changed_setting_is_picked_up(settings):
    respond(plain)
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"default-src": ["'none'"]}}
    assert respond(plain)[1][HEADER] == "default-src 'none'"


def test_a_report_only_policy_is_sent_too(settings):
    settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = {"DIRECTIVES": {"img-src": ["'self'"]}}
    response = respond(plain)[1]
    assert "img-src 'self'" in response["Content-Security-Policy-Report-Only"]
    assert HEADER in response


def test_a_view_decorator_still_changes_the_policy_for_its_response():
    response = respond(csp_update({"img-src": ["https://tiles.example"]})(plain))[1]
    assert "https://tiles.example" in response[HEADER]
    assert "https://tiles.example" not in respond(plain)[1][HEADER]


def test_an_exempt_view_gets_no_header():
    assert HEADER not in respond(csp_exempt()(plain))[1]


def test_a_nonce_asked_for_during_the_view_is_in_the_header(settings):
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"script-src": ["'self'", NONCE]}}

    def with_nonce(request):
        return HttpResponse(str(request.csp_nonce))

    _, response = respond(with_nonce)
    assert f"'nonce-{response.content.decode()}'" in response[HEADER]


def test_a_nonce_asked_for_after_the_header_is_written_is_an_error():
    request, _ = respond(plain)
    with pytest.raises(CSPNonceError):
        str(request.csp_nonce)


def test_a_header_the_view_set_itself_is_kept():
    def own(request):
        response = HttpResponse("x")
        response[HEADER] = "default-src 'none'"
        return response

    assert respond(own)[1][HEADER] == "default-src 'none'"

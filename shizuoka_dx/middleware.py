"""Our middleware: django-csp's with its header built once, and Django's session middleware
leaving public pages alone (``SessionMiddleware`` below).

django-csp 4.0 builds the header from the settings for every response, twice (the policy, then the
report-only one): about 40 µs a response on these machines, as much as a trivial view. Our policy
is the same for every response (no nonces, no per-view decorators), so it is built once per
process (and again when a test changes the setting); the middleware then costs a few µs.
A response or request that does carry its own (a django-csp decorator, an exemption, a nonce)
still goes through django-csp's own code, so nothing it supports is lost.
"""

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject
from csp.middleware import CSPMiddleware as DjangoCSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.contrib.sessions.middleware import SessionMiddleware as DjangoSessionMiddleware
from django.core.signals import setting_changed
from django.dispatch import receiver

# What django-csp's decorators leave on a response to change or skip the policy for it.
PER_RESPONSE = (
    "_csp_config",
    "_csp_update",
    "_csp_replace",
    "_csp_exempt",
    "_csp_config_ro",
    "_csp_update_ro",
    "_csp_replace_ro",
    "_csp_exempt_ro",
)
SETTINGS = ("CONTENT_SECURITY_POLICY", "CONTENT_SECURITY_POLICY_REPORT_ONLY")

_cache: dict[str, tuple[tuple[str, str, tuple[str, ...]], ...]] = {}


@receiver(setting_changed)
def _forget(setting, **kwargs):
    if setting in SETTINGS:
        _cache.clear()


def _headers():
    """(header name, value, excluded URL prefixes) for the policy and the report-only one."""
    headers = _cache.get("headers")
    if headers is None:
        headers = tuple(
            (
                header,
                value,
                tuple((getattr(settings, name, None) or {}).get("EXCLUDE_URL_PREFIXES") or ()),
            )
            for header, name, report_only in (
                (HEADER, SETTINGS[0], False),
                (HEADER_REPORT_ONLY, SETTINGS[1], True),
            )
            if (value := build_policy(report_only=report_only))
        )
        _cache["headers"] = headers
    return headers


class CSPMiddleware(DjangoCSPMiddleware):
    def process_response(self, request, response):
        if getattr(request, "_csp_nonce", None) is not None or any(
            hasattr(response, name) for name in PER_RESPONSE
        ):
            return super().process_response(request, response)
        if settings.DEBUG and response.status_code in (404, 500):
            return response  # django-csp leaves Django's debug pages alone too
        for header, value, excluded in _headers():
            if header not in response and not request.path_info.startswith(excluded):
                response[header] = value
        # As django-csp does: a nonce asked for after the header is written is an error.
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)
        return response


class SessionMiddleware(DjangoSessionMiddleware):
    """Django's session middleware, leaving public pages alone.

    A page that marks its request ``public_page`` (pdca/public_cache.py) is the same for everyone
    and never reads the session: it gets no ``Set-Cookie`` and no ``Vary: Cookie``, even for a
    signed-in member of staff, whose session SESSION_SAVE_EVERY_REQUEST would otherwise save and
    send back on every request. Such a page can then be kept by browsers and proxies without
    handing one person's cookie to another. Every other page is handled exactly as by Django.
    """

    def process_response(self, request, response):
        if getattr(request, "public_page", False):
            return response
        return super().process_response(request, response)


class JapaneseErrorPagesMiddleware:
    """Django answers a method a view does not take (``require_POST`` …) with an empty 405; this
    fills it with the site's Japanese page, keeping the status and the Allow header."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code == 405 and not response.content:
            from django.template.loader import render_to_string

            response.content = render_to_string("405.html", request=request)
            response["Content-Type"] = "text/html; charset=utf-8"
        return response

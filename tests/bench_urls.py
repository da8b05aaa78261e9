"""The site's URLs plus ``/bench/trivial/<bytes>/``: the least a Django view can do (a page of
that many bytes) under the same middleware and gunicorn, the yardstick of tests/bench_public.py.
Only the benchmark's settings (tests/bench_settings.py) select this module."""

from functools import cache

from django.http import HttpResponse
from django.urls import path

from shizuoka_dx.urls import handler403, handler404
from shizuoka_dx.urls import urlpatterns as site_urlpatterns

__all__ = ["handler403", "handler404", "urlpatterns"]


@cache
def _body(size: int) -> bytes:
    return b"x" * size


def trivial(request, size):
    return HttpResponse(_body(size), content_type="text/html; charset=utf-8")


urlpatterns = [path("bench/trivial/<int:size>/", trivial), *site_urlpatterns]

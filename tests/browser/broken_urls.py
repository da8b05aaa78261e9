"""The site's URLs plus one deliberately broken page (tests/browser/test_checks.py only): proof
that the browser checks fail on a page that breaks the rules, rather than pass vacuously."""

from django.http import HttpResponse
from django.template import engines
from django.urls import path

from shizuoka_dx.urls import handler403, handler404, urlpatterns

BROKEN = """{% extends "base.html" %}{% block title %}壊れたページ{% endblock %}
{% block content %}
<h1>壊れたページ</h1>
<img src="/static/favicon.svg" width="40" height="40">
<input type="text" name="unnamed">
<div style="width: 900px">この段落は画面より広く、ページが横にはみ出します。</div>
<div style="overflow-x: auto"><table><caption>広い表</caption><tr><td style="white-space: nowrap">
キーボードでは横に送れない表の、画面の幅より長い一行の文章です。キーボードでは横に送れない表の、画面の幅より長い一行の文章です。
</td></tr></table></div>
{% endblock %}"""


def broken(request):
    return HttpResponse(engines["django"].from_string(BROKEN).render({}, request))


urlpatterns = [path("broken/", broken), *urlpatterns]
__all__ = ["handler403", "handler404", "urlpatterns"]

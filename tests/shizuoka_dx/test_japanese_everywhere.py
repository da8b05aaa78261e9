"""Japanese everywhere a user can land: error pages, the CSRF refusal, the admin of every installed
app (models, fields, permissions), and no English word where a person reads."""

import re

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.http import Http404
from django.test import Client
from django.urls import reverse

from pdca.views.public import japanese_message

pytestmark = pytest.mark.django_db

# Words the plan itself prints in Latin letters, and names people type (user names, 「fixtures」
# as the loader's name in the history): not English text of the interface.
PLAN_WORDS = {
    "KPI", "ACT", "CHECK", "PLAN", "DO", "GIS", "RPA", "ICT", "IoT", "SNS", "GIGA", "OCR", "SIM",
    "PMO", "Project Management Office", "CSV", "Gap", "Mac", "Command", "Control", "tCO", "Excel",
    "JSON", "LINE", "IP", "ID", "HTTP Accept", "admin", "fixtures", "dx", "staff", "kiki", "head",
    "system", "unknown", "To", "be", "As", "Is", "AI", "DX", "PDF", "Web", "BPR", "LGWAN", "Wi",
    "Fi", "PC", "UI", "UX", "ASP", "Access Log for admin",
}  # fmt: skip


def english_words(html: str) -> set[str]:
    # scripts, styles, and values shown as data (a password hash's fragments in <bdi>)
    html = re.sub(r"(?s)<script.*?</script>|<style.*?</style>|<bdi>.*?</bdi>", " ", html)
    text = re.sub(r"&[a-z]+;|&#\d+;|\S+@\S+", " ", re.sub(r"<[^>]+>", " ", html))
    return set(re.findall(r"[A-Za-z]{3,}(?: [A-Za-z]{2,})*", text)) - PLAN_WORDS


def test_an_unknown_page_is_japanese_and_hides_djangos_english_message(client):
    response = client.get("/items/9-9/")
    assert response.status_code == 404
    assert "重点項目「9-9」はありません。" in response.content.decode()
    assert japanese_message(Http404("No PriorityItem matches the given query.")) == ""
    assert japanese_message(Http404({"path": "x", "tried": []})) == ""
    assert (
        japanese_message(Http404("重点項目「9-9」はありません。"))
        == "重点項目「9-9」はありません。"
    )


def test_a_refusal_says_why(client, head_a):
    client.force_login(head_a)
    response = client.get("/staff/publish/")
    assert response.status_code == 403
    page = response.content.decode()
    assert "<h1>この操作はできません</h1>" in page
    assert "進捗の公表は、DX推進課の職員だけができます。" in page


def test_a_wrong_method_gets_a_japanese_page_with_its_allow_header(client, dx_staff):
    client.force_login(dx_staff)
    response = client.get("/staff/items/1-3/evaluations/2025/approve/")
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    page = response.content.decode()
    assert "<h1>この方法では開けません</h1>" in page
    assert not english_words(page.split("<h1>")[1])


def test_a_public_page_posted_to_is_a_japanese_405(client):
    response = client.post("/")
    assert response.status_code == 405
    assert "この方法では開けません" in response.content.decode()


def test_a_bad_request_is_a_japanese_page(client):
    response = client.get("/", HTTP_HOST="bad host name")
    assert response.status_code == 400
    assert "リクエストを受け付けられません" in response.content.decode()


def test_a_form_sent_without_its_csrf_token_is_refused_in_japanese(dx_staff):
    client = Client(enforce_csrf_checks=True)
    client.force_login(dx_staff)
    response = client.post("/staff/publish/", {"fiscal_year": "R7"})
    assert response.status_code == 403
    page = response.content.decode()
    assert "画面を開き直して、もう一度操作してください。" in page
    assert "CSRF" not in page


def admin_pages():
    for model, _model_admin in admin.site._registry.items():
        info = model._meta.app_label, model._meta.model_name
        yield reverse("admin:{}_{}_changelist".format(*info))
        obj = model._default_manager.order_by("pk").first()
        if obj is not None:
            yield reverse("admin:{}_{}_change".format(*info), args=[obj.pk])


def test_every_admin_page_of_every_installed_app_is_in_japanese(admin_client, head_a):
    admin_client.get("/accounts/login/")  # an axes access log for its admin page
    index = admin_client.get("/admin/").content.decode()
    for label in [
        "ログインの記録と制限",
        "ログインの試み",
        "ログインの失敗",
        "バックグラウンド処理の記録",
    ]:
        assert label in index
    found = {}
    for path in admin_pages():
        response = admin_client.get(path)
        assert response.status_code == 200, path
        # the permission picker of the user and group pages is checked below, name by name
        page = re.sub(
            r'(?s)<select name="(?:user_)?permissions".*?</select>', "", response.content.decode()
        )
        words = english_words(page)
        if words:
            found[path] = sorted(words)
    assert not found


def test_permission_names_are_japanese():
    names = list(Permission.objects.values_list("name", flat=True))
    assert "「重点項目」を追加できる" in names
    assert "「ログインの試み」を表示できる" in names
    assert "「実績の変更履歴」を変更できる" in names
    assert not [name for name in names if name.startswith("Can ")]

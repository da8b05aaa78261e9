"""Public pages are drawn once per publication and served from the cache: exactly what an uncached
page would be, changed at once by a publication (or a plan edit before the first one), with no
cookie, no Vary: Cookie, an ETag, and at most one query."""

import json
import os
import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pdca import public_cache
from pdca.models import PublishedSnapshot
from pdca.services.publication import remove_demo_publications
from priorities.models import PriorityItem
from priorities.roles import system_user
from tests.helpers import run_python

pytestmark = pytest.mark.django_db

PAGES = [
    "/",
    "/items/1-1/",
    "/items/1-3/",
    "/items/1-3/kpis/1-3-K02/",
    "/opendata/plan.json",
    "/opendata/plan.csv",
]
ARCHIVE_PAGES = [
    "/published/2025/",
    "/published/2025/v1/",
    "/published/2025/items/1-3/",
    "/published/2025/v1/items/1-3/",
    "/opendata/2025/plan.json",
]
DUMMY = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}


def queries(client, path, **headers):
    with CaptureQueriesContext(connection) as context:
        response = client.get(path, headers=headers)
    return response, len(context.captured_queries)


def test_a_cached_page_is_byte_for_byte_the_page_first_drawn(client, publish):
    publish(2025)
    for path in PAGES + ARCHIVE_PAGES:
        first = client.get(path)
        second = client.get(path)
        assert first.status_code == second.status_code == 200, path
        assert second.content == first.content, path
        assert second["Content-Type"] == first["Content-Type"], path
    assert client.get("/opendata/plan.csv")["Content-Disposition"] == (
        'attachment; filename="plan.csv"'
    )


def test_the_cache_changes_nothing_in_what_is_shown(client, publish, settings):
    publish(2025)
    cached = {path: client.get(path) for path in PAGES + ARCHIVE_PAGES}
    cached = {path: client.get(path).content for path in cached}  # now from the cache
    settings.CACHES = DUMMY
    assert queries(client, "/")[1] > 1  # drawn again: nothing is kept
    for path, content in cached.items():
        assert client.get(path).content == content, path


def test_a_cached_page_reads_nothing_within_the_state_interval_then_one_query(
    client, publish, monkeypatch
):
    publish(2025)
    monkeypatch.setattr(public_cache, "STATE_INTERVAL", 60)
    for path in PAGES:
        first, _ = queries(client, path)
        response, count = queries(client, path)
        assert count == 0, path
        assert response.content == first.content
        assert response["ETag"] == first["ETag"]
        assert response["Cache-Control"] == "public, no-cache"
        not_modified, count = queries(client, path, if_none_match=response["ETag"])
        assert not_modified.status_code == 304 and not_modified.content == b""
        assert count == 0
    monkeypatch.setattr(public_cache, "STATE_INTERVAL", 0)
    for path in PAGES:
        assert queries(client, path)[1] == 1, path  # the publication state


def test_a_publication_made_elsewhere_shows_within_the_state_interval(client, publish, monkeypatch):
    """Another process's publication sends this process no signal: it reads the state again
    after STATE_INTERVAL (here a snapshot written without signals stands for it)."""
    first = publish(2024)
    monkeypatch.setattr(public_cache, "STATE_INTERVAL", 0.5)
    assert client.get("/opendata/plan.json").json()["published_fiscal_year"] == 2024
    elsewhere = PublishedSnapshot(
        fiscal_year=2025,
        version=1,
        document={**first.document, "published_fiscal_year": 2025},
        published_at=first.published_at + timedelta(seconds=1),
        published_by=first.published_by,
    )
    PublishedSnapshot.objects.bulk_create([elsewhere])
    assert client.get("/opendata/plan.json").json()["published_fiscal_year"] == 2024
    time.sleep(0.6)
    assert client.get("/opendata/plan.json").json()["published_fiscal_year"] == 2025


def test_publishing_again_changes_every_page_at_once(client, publish):
    publish(2025)
    before = {path: client.get(path) for path in PAGES}
    assert "全2版" not in before["/"].content.decode()
    publish(2025)  # a second version (the index lists the versions)
    after = {path: client.get(path) for path in PAGES}
    assert "公表し直した版を含めて全2版" in after["/"].content.decode()
    for path in PAGES:
        assert after[path]["ETag"] != before[path]["ETag"], path


def test_a_new_years_publication_shows_at_once(client, publish):
    publish(2024)
    assert client.get("/opendata/plan.json").json()["published_fiscal_year"] == 2024
    publish(2025)
    assert client.get("/opendata/plan.json").json()["published_fiscal_year"] == 2025


def test_removing_a_publication_shows_at_once(client, publish):
    snapshot = publish(2025)
    snapshot.document["contains_demo_data"] = True
    snapshot.save()
    assert client.get("/opendata/plan.json").json()["published_fiscal_year"] == 2025
    assert remove_demo_publications(user=system_user()) == 1
    assert client.get("/opendata/plan.json").json().get("published_fiscal_year") is None
    assert "実績はまだ公表されていません" in client.get("/").content.decode()


def test_before_the_first_publication_a_plan_edit_shows_at_once(client):
    assert "効果的な危機管理情報の提供" in client.get("/items/1-3/").content.decode()
    client.get("/")
    _, count = queries(client, "/items/1-3/")
    assert count <= 1
    item = PriorityItem.objects.get(code="1-3")
    item.title = "危機管理情報の提供（改題）"
    item.save()
    assert "危機管理情報の提供（改題）" in client.get("/items/1-3/").content.decode()
    assert "危機管理情報の提供（改題）" in client.get("/").content.decode()


def test_after_a_publication_a_plan_edit_waits_for_the_next_one(client, publish):
    publish(2025)
    item = PriorityItem.objects.get(code="1-3")
    item.title = "危機管理情報の提供（改題）"
    item.save()
    assert "危機管理情報の提供（改題）" not in client.get("/items/1-3/").content.decode()
    publish(2025)
    assert "危機管理情報の提供（改題）" in client.get("/items/1-3/").content.decode()


def test_new_code_never_serves_pages_drawn_by_the_old(client, monkeypatch):
    first = client.get("/")
    monkeypatch.setattr(public_cache, "_render_version", "another-deployment")
    public_cache.forget()  # a new process: the render version is computed once per process
    second = client.get("/")
    assert second["ETag"] != first["ETag"]


def test_an_unknown_item_is_not_kept(client, publish):
    publish(2025)
    for _ in range(2):
        response = client.get("/items/9-9/")
        assert response.status_code == 404
        assert "ETag" not in response


# ---- cookies --------------------------------------------------------------------------------


def no_cookie(response):
    return not response.cookies and "cookie" not in response.get("Vary", "").lower()


@pytest.mark.parametrize("path", [*PAGES, "/items/9-9/"])
def test_public_pages_set_no_cookie_and_do_not_vary_on_it(client, publish, path):
    publish(2025)
    for _ in range(2):  # drawn, then from the cache
        assert no_cookie(client.get(path)), path


@pytest.mark.parametrize("path", PAGES)
def test_public_pages_send_a_signed_in_person_the_same_page_and_no_cookie(
    client, staff_client, publish, path
):
    from django.test import Client

    publish(2025)
    anonymous = Client().get(path)
    signed_in = staff_client.get(path)
    assert no_cookie(signed_in), path
    assert signed_in.content == anonymous.content


def test_the_public_header_links_to_the_staff_pages(client):
    page = client.get("/").content.decode()
    assert '<a href="/staff/">職員ログイン</a>' in page
    assert "ログアウト" not in page


def test_staff_pages_still_keep_and_refresh_the_session(staff_client):
    response = staff_client.get("/staff/")
    assert response.status_code == 200
    assert settings.SESSION_COOKIE_NAME in response.cookies  # SESSION_SAVE_EVERY_REQUEST
    assert "Cookie" in response["Vary"]
    page = response.content.decode()
    assert "ログアウト" in page and "csrfmiddlewaretoken" in page


def test_a_message_waits_for_the_next_staff_page(staff_client, publish):
    from django.contrib.messages import constants

    publish(2025)
    response = staff_client.post(
        "/staff/publish/", {"confirmed": "True", "fiscal_year": "2025"}, follow=False
    )
    assert response.status_code == 302
    assert "進捗を公表しました" not in staff_client.get("/").content.decode()
    staff_page = staff_client.get("/staff/")
    assert any(m.level == constants.SUCCESS for m in staff_page.context["messages"])


def test_without_redis_another_processs_plan_edit_shows_within_the_plan_only_timeout(
    client, monkeypatch
):
    """With each process's own memory as the cache, an edit made by another process (here: an
    update that sends no signal) cannot replace this process's plan token; the plan-only page is
    then kept only PLAN_ONLY_TIMEOUT seconds, in the cache and not in the process's own copies."""
    monkeypatch.setattr(public_cache, "PLAN_ONLY_TIMEOUT", 1)
    assert "効果的な危機管理情報の提供" in client.get("/items/1-3/").content.decode()
    PriorityItem.objects.filter(code="1-3").update(title="別のプロセスで改題")
    assert "別のプロセスで改題" not in client.get("/items/1-3/").content.decode()
    time.sleep(1.1)
    assert "別のプロセスで改題" in client.get("/items/1-3/").content.decode()


# ---- several processes ----------------------------------------------------------------------

# One app process (A) keeps serving pages while other processes edit the plan and publish, all on
# one database and one Redis: A sees each change at once, and a page served again reads nothing
# from the database.
APP_PROCESS = r"""
import json, subprocess, sys
import django
django.setup()
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

client = Client()

def page(path):
    with CaptureQueriesContext(connection) as context:
        response = client.get(path)
    assert response.status_code == 200, response.status_code
    return response.content.decode(), len(context.captured_queries)

def other_process(*args):
    subprocess.run([sys.executable, *args], check=True, capture_output=True)

seen = {}
seen["title_before"] = "効果的な危機管理情報の提供" in page("/items/1-3/")[0]
page("/items/1-3/")
seen["queries_again"] = page("/items/1-3/")[1] <= 1  # the state, at most
other_process("-c", "import django; django.setup()\n"
    "from priorities.models import PriorityItem\n"
    "item = PriorityItem.objects.get(code='1-3'); item.title = '別のプロセスで改題'; item.save()")
seen["title_after"] = "別のプロセスで改題" in page("/items/1-3/")[0]
seen["published_before"] = "これまでの公表" in page("/")[0]
other_process("manage.py", "publish_fiscal_year", "2025", "--force", "テスト")
seen["published_after"] = "これまでの公表" in page("/")[0]
page("/")
seen["queries_published"] = page("/")[1] <= 1
print(json.dumps(seen))
"""


def test_with_redis_edits_and_publications_in_other_processes_show_at_once(
    scratch_database_url, redis_url
):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="shizuoka_dx.settings",
        DATABASE_URL=scratch_database_url,
        REDIS_URL=redis_url,
        DEBUG="true",
    )
    # A database of its own on the suite's engine, holding the plan as load_plan leaves it.
    run_python(env, "manage.py", "migrate", "--noinput")
    run_python(env, "manage.py", "load_plan")
    done = run_python(env, "-c", APP_PROCESS, timeout=120)
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen == {
        "title_before": True,
        "queries_again": True,
        "title_after": True,
        "published_before": False,
        "published_after": True,
        "queries_published": True,
    }

"""Browser tests: Debian's Chromium driven by Playwright against pytest-django's live server.

What they need, and why they never skip: Chromium at /usr/bin/chromium (or $CHROMIUM), Japanese
fonts (fonts-noto-cjk: without them Japanese text is drawn as boxes of another width, so the
overflow checks would measure something else), and axe-core installed by `make setup` (npm ci).
Anything missing fails every browser test with one sentence saying what to install; `.ci/run`
installs Chromium and the fonts.

One browser per test process (session), one live server. The live server sees only committed
rows, so these tests use the transactional database (pytest-django runs them after the others,
and empties the database after each): each test loads the plan, the demo data and the demo users
itself (about 2 s), as tests/pdca/test_concurrency.py does. A test therefore checks many pages at
once and reports every failure together.
"""

import os
import shutil
import subprocess
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

CHROMIUM = Path(os.environ.get("CHROMIUM") or "/usr/bin/chromium")
AXE = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--disable-dev-shm-usage",
]
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


def missing_requirements() -> list[str]:
    """What the browser tests need and this machine lacks, each with how to install it."""
    missing = []
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        missing.append(
            f"Chromium（{CHROMIUM}）がありません。root で `apt-get install -y chromium` を"
            "実行してください（`bash .ci/run` も入れます）。"
        )
    fc_list = shutil.which("fc-list")
    japanese = (
        subprocess.run([fc_list, ":lang=ja", "family"], capture_output=True, text=True).stdout
        if fc_list
        else ""
    )
    if "Noto" not in japanese:
        missing.append(
            "日本語フォント（Noto CJK）がありません。root で `apt-get install -y fonts-noto-cjk` を"
            "実行してください。"
        )
    if not AXE.is_file():
        missing.append(
            f"axe-core（{AXE.relative_to(settings.BASE_DIR)}）がありません。`make setup` を"
            "実行してください（npm ci で入ります）。"
        )
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("Playwright がありません。`make setup` を実行してください。")
    return missing


@pytest.fixture(scope="session")
def browser():
    missing = missing_requirements()
    if missing:
        pytest.fail("ブラウザーテストを実行できません。" + " ".join(missing), pytrace=False)
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop running in this thread; Django then refuses
    # database work here (fixtures, assertions) unless told it is intended (ENVIRONMENT.md).
    # Set only while the browser runs (pytest-django runs these tests after all others), so a
    # command started by an earlier test (`check --deploy`) never inherits it.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            yield chromium
            chromium.close()
    finally:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture
def demo_site(transactional_db, live_server):
    """The site as `make run` leaves it: the plan, demo actuals and evaluations (令和6年度
    published), and the demo users (README). Returns the live server's address."""
    call_command("load_plan", "--demo", stdout=StringIO(), stderr=StringIO())
    call_command("create_demo_users", "--force", stdout=StringIO())
    add_plan_records()
    return live_server.url


def add_plan_records():
    """What DX staff add over a year and the demo does not hold, made through the same services
    as the pages: a PMO support case, and a revision of the plan published as edition 2 (so the
    change log, the side-by-side changes and every edition have pages to check)."""
    from datetime import date

    from kpis.models import Kpi
    from pdca.services import revisions
    from pdca.services.support_cases import support_case_save
    from pdca.workflow import Action
    from priorities.models import Department, PriorityItem

    users = get_user_model().objects
    staff, head = users.get(username="dx-staff"), users.get(username="dx-head")
    support_case_save(
        values={
            "title": "生成AIの導入支援", "department": Department.objects.get(name="DX推進課"),
            "category": "tool", "mode": "accompany", "started_on": date(2024, 6, 1),
            "ended_on": date(2025, 5, 31), "stage": "done",
            "item": PriorityItem.objects.get(code="2-3"), "note": "",
        },
        user=staff,
    )  # fmt: skip
    revision = revisions.revision_create(
        title="指標名の表記を整える", reason="読みやすくするため", effective_fiscal_year=2026,
        user=staff,
    )  # fmt: skip
    kpi = Kpi.objects.get(code="1-1-K01")
    revision = revisions.revision_set(
        revision=revision, target="kpi", key=kpi.code, values={"name": f"{kpi.name}（改訂）"},
        user=staff,
    )  # fmt: skip
    revision = revisions.revision_act(revision=revision, action=Action.SUBMIT, user=staff)
    revision = revisions.revision_act(revision=revision, action=Action.APPROVE, user=head)
    revisions.revision_publish(revision=revision, user=staff)


def session_cookie(username: str, base_url: str) -> dict:
    """A logged-in session for ``username`` as a browser cookie (no login form: the cycle test
    logs in by the form itself)."""
    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    return {"name": cookie.key, "value": cookie.value, "url": base_url}


@pytest.fixture
def open_context(browser, live_server):
    """New browser contexts (each its own cookies) at a viewport, logged in as ``username``
    when given; all closed after the test. Tests that need the data ask for ``demo_site``."""
    contexts = []

    def open_(username=None, viewport=DESKTOP):
        context = browser.new_context(
            base_url=live_server.url, viewport=viewport, locale="ja-JP", timezone_id="Asia/Tokyo"
        )
        context.set_default_timeout(15_000)
        # axe-core in every page from its first moment (tests/browser/checks.py runs it): one
        # compile per page instead of sending 550 KB each time. Like page.evaluate, the
        # DevTools protocol does this, which the page's Content-Security-Policy does not govern.
        context.add_init_script(path=str(AXE))
        if username:
            context.add_cookies([session_cookie(username, live_server.url)])
        contexts.append(context)
        return context

    yield open_
    for context in contexts:
        context.close()

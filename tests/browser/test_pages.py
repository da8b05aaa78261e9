"""Every page, for every role, in Chromium: axe-core (WCAG 2.1 A and AA) finds nothing, and no
page scrolls sideways on a 390 px phone.

Pages come from tests/browser/pages.py (URL patterns × data). Each test visits all its pages and
reports every problem at once.

Widths: every page is opened at 390 px, where both checks run (axe's rules read the page's
markup, which is the same at every width; what the width changes is layout, and the phone is
where layout breaks: sideways overflow, tables scrolling in their own region, which must then be
reachable by keyboard). One page of each kind is also checked by axe at 1366 px, the desktop
layout. The admin is a desktop tool for DX staff: axe at 1366 px.
"""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from pdca.models import BackgroundJob
from tests.browser import pages
from tests.browser.checks import check
from tests.browser.conftest import DESKTOP, PHONE


def flatten(by_name: dict[str, list[str]]) -> list[str]:
    return [url for urls in by_name.values() for url in urls]


def one_of_each(by_name: dict[str, list[str]]) -> list[str]:
    return [urls[0] for urls in by_name.values() if urls]


def report(problems, urls) -> str:
    return f"{len(problems)} 件（{len(urls)} ページ中）:\n" + "\n".join(problems)


def test_every_url_pattern_is_enumerated(db, dx_staff):
    """A new public or staff URL must say which pages it serves (pages.py) or why it is not a
    page (NOT_PAGES): otherwise no browser test would ever open it."""
    enumerated = set(pages.public_pages()) | set(pages.staff_pages(dx_staff))
    assert pages.url_names() - enumerated - set(pages.NOT_PAGES) == set()
    assert enumerated <= pages.url_names()


def test_public_pages_fit_a_phone_and_pass_axe(demo_site, open_context):
    """Every public page as the public sees it (the plan, the published year, every earlier
    version), the login page and the "not found" page."""
    by_name = pages.public_pages()
    assert all(by_name.values()), {name: len(urls) for name, urls in by_name.items()}
    urls = [*flatten(by_name), reverse("login")]
    phone = open_context(viewport=PHONE)
    problems = check(phone, urls)
    problems += check(phone, ["/items/no-such-item/"], status=404)
    problems += check(open_context(viewport=DESKTOP), [*one_of_each(by_name), reverse("login")])
    assert not problems, report(problems, urls)


def start_jobs(user):
    """Background work of ``user`` still under way (the status page then shows its progress)
    and failed (the page says so, with status 500; returned): finished work answers with the
    page that started it."""
    Kind, Status = BackgroundJob.Kind, BackgroundJob.Status
    BackgroundJob.objects.create(
        kind=Kind.FORMS_WORKBOOK,
        status=Status.RUNNING,
        user=user,
        progress_done=3,
        progress_total=18,
        progress_text="1-3 の様式①を書いています",
    )
    BackgroundJob.objects.create(
        kind=Kind.PUBLISH,
        status=Status.QUEUED,
        user=user,
        created_at=timezone.now() - timedelta(minutes=5),  # with the hint about the worker
    )
    failed = BackgroundJob.objects.create(kind=Kind.IMPORT_PREVIEW, status=Status.FAILED, user=user)
    return reverse("staff:job", args=[failed.pk])


@pytest.mark.parametrize(
    ("username", "every"), [("dx-staff", True), ("dx-head", False), ("kiki-head", True)]
)
def test_staff_pages_fit_a_phone_and_pass_axe_for_each_role(
    demo_site, open_context, username, every
):
    """The staff pages each role can open, with their buttons and messages: for DX staff every
    item, KPI and system; for a department head their own (the DX推進課 head owns most items:
    the first three of each, the pages differing from DX staff's only by what the role may do);
    for everyone one evaluation in each state and the status of background work."""
    user = get_user_model().objects.get(username=username)
    failed_job = start_jobs(user)
    by_name = pages.staff_pages(user, every=every)
    by_name["staff:job"].remove(failed_job)
    empty = {name for name, urls in by_name.items() if not urls}
    assert empty <= (pages.DX_ONLY if username != "dx-staff" else set()), empty
    urls = flatten(by_name)
    phone = open_context(username, viewport=PHONE)
    problems = check(phone, urls)
    problems += check(phone, [failed_job], status=500)
    problems += check(open_context(username, viewport=DESKTOP), one_of_each(by_name))
    assert not problems, report(problems, urls)


def test_admin_pages_pass_axe(demo_site, open_context):
    """The admin as DX staff's administrator sees it: the index, each app, every model's list,
    add form and a change form."""
    urls = pages.admin_pages()
    problems = check(open_context("admin", viewport=DESKTOP), urls, overflow=False)
    assert not problems, report(problems, urls)

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

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

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


@pytest.mark.parametrize("username", ["dx-staff", "dx-head", "kiki-head"])
def test_staff_pages_fit_a_phone_and_pass_axe_for_each_role(demo_site, open_context, username):
    """Every staff page each role can open (DX staff: every item, KPI, system and evaluation;
    a department head: their own), with their buttons and messages."""
    user = get_user_model().objects.get(username=username)
    by_name = pages.staff_pages(user)
    urls = flatten(by_name)
    problems = check(open_context(username, viewport=PHONE), urls)
    problems += check(open_context(username, viewport=DESKTOP), one_of_each(by_name))
    assert not problems, report(problems, urls)


def test_admin_pages_pass_axe(demo_site, open_context):
    """The admin as DX staff's administrator sees it: the index, each app, every model's list,
    add form and a change form."""
    urls = pages.admin_pages()
    problems = check(open_context("admin", viewport=DESKTOP), urls, overflow=False)
    assert not problems, report(problems, urls)

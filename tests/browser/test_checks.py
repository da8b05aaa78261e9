"""The checks themselves: they fail on a page that breaks the rules, so that "0 violations" and
"no overflow" in test_pages.py mean something."""

import re

import pytest

from tests.browser.checks import axe_problems, check
from tests.browser.conftest import DESKTOP, PHONE


def rules(problems) -> set[str]:
    return {m.group(1) for p in problems if (m := re.search(r"\[([a-z0-9-]+)\]", p))}


def test_a_broken_page_fails_axe_and_the_overflow_check(open_context, settings):
    settings.ROOT_URLCONF = "tests.browser.broken_urls"
    problems = check(open_context(viewport=PHONE), ["/broken/"])
    assert {"image-alt", "label", "scrollable-region-focusable"} <= rules(problems), problems
    overflow = [p for p in problems if "横にはみ出しています" in p]
    assert len(overflow) == 1 and "ページ幅 9" in overflow[0] and "div" in overflow[0], problems
    unnamed = [p for p in problems if "横にスクロールする領域に名前" in p]
    assert len(unnamed) == 1 and "広い表" in unnamed[0], problems
    # At desktop width the wide paragraph fits: only the markup's violations remain.
    desktop = check(open_context(viewport=DESKTOP), ["/broken/"])
    assert not [p for p in desktop if "横にはみ出しています" in p]
    assert {"image-alt", "label"} <= rules(desktop)


def test_a_page_with_the_wrong_status_is_reported(open_context):
    assert check(open_context(), ["/items/no-such-item/"]) == ["/items/no-such-item/: HTTP 404"]


def test_axe_that_checked_nothing_is_a_failure(open_context):
    """An axe run that passed no rule (not loaded, or nothing checked) never counts as clean."""
    page = open_context().new_page()
    page.goto("/accounts/login/")
    assert axe_problems(page, "ログイン") == []
    page.evaluate("() => { window.axe = {run: async () => ({violations: [], passes: []})}; }")
    with pytest.raises(AssertionError, match="passes is empty"):
        axe_problems(page, "ログイン")


def test_a_machine_without_chromium_is_told_what_to_install(monkeypatch, tmp_path):
    """Without Chromium the browser tests fail (never skip) with what to install."""
    from tests.browser import conftest

    monkeypatch.setattr(conftest, "CHROMIUM", tmp_path / "chromium")
    missing = conftest.missing_requirements()
    assert any("apt-get install -y chromium" in line for line in missing), missing

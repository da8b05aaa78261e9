"""The print stylesheet: A4 landscape, no box split across pages, no heading left alone at a
page's foot, and nothing after it that would override it. The page count itself (an item on at
most 3 pages) is measured in Chromium by tests/print_check.py (README, "Print and phones")."""

import re
from pathlib import Path

from django.conf import settings

CSS = (Path(settings.BASE_DIR) / "static/css/site.css").read_text(encoding="utf-8")


def print_block() -> str:
    start = CSS.index("@media print {")
    depth, index = 0, CSS.index("{", start)
    for index in range(CSS.index("{", start), len(CSS)):
        depth += {"{": 1, "}": -1}.get(CSS[index], 0)
        if depth == 0:
            break
    return CSS[start : index + 1]


def rule_for(block: str, declaration: str) -> str:
    selectors = [s for s, body in re.findall(r"([^{}]+)\{([^}]*)\}", block) if declaration in body]
    return " ".join(selectors)


def test_pages_are_a4_landscape():
    assert re.search(r"@page\s*\{\s*size:\s*A4 landscape;", print_block())


def test_no_box_is_split_across_pages():
    selectors = rule_for(print_block(), "break-inside: avoid")
    for box in [".notice", ".column", ".system > *", ".summary", ".facts", "tr", ".formula"]:
        assert re.search(rf"(^|[\s,]){re.escape(box)}(,|\s|$)", selectors), box


def test_no_heading_is_left_alone_at_the_foot_of_a_page():
    selectors = rule_for(print_block(), "break-after: avoid")
    for heading in ["h1", "h2", "h3", "h4", "caption"]:
        assert re.search(rf"(^|[\s,]){heading}(,|\s|$)", selectors), heading


def test_the_print_rules_come_last_so_no_screen_rule_overrides_them():
    assert CSS.rstrip().endswith(print_block())
    assert CSS.count("@media print") == 1

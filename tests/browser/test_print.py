"""Print (issue 13, item 6): every item page of the public site, printed by Chromium to PDF with
the page's own @page rule, fits on at most 3 A4 landscape pages.

The page's box splits and orphaned headings are the stylesheet's rules (tests/shizuoka_dx/
test_print_css.py); this measures what they add up to on paper, for every item of the plan."""

import re

from tests.browser import pages
from tests.browser.conftest import DESKTOP

MAX_PAGES = 3
A4_LANDSCAPE = (842, 595)  # points, rounded


def page_count(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page[^s]", pdf))


def paper_size(pdf: bytes) -> tuple[int, int]:
    box = re.search(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", pdf)
    return round(float(box.group(1))), round(float(box.group(2)))


def test_every_item_prints_on_at_most_three_a4_landscape_pages(demo_site, open_context):
    context = open_context(viewport=DESKTOP)
    page = context.new_page()
    problems = []
    items = pages.public_pages()["public:item"]
    assert len(items) == 18
    for url in items:
        page.goto(url)
        page.wait_for_load_state("networkidle")
        pdf = page.pdf(prefer_css_page_size=True, print_background=True)
        count = page_count(pdf)
        if paper_size(pdf) != A4_LANDSCAPE:
            problems.append(f"{url}: 用紙が A4 横ではありません（{paper_size(pdf)} pt）")
        if not 1 <= count <= MAX_PAGES:
            problems.append(f"{url}: {count} ページになります（{MAX_PAGES} ページまで）")
    assert not problems, "\n".join(problems)


def test_the_count_sees_every_page():
    """The counter reads a PDF's page objects, not its page tree (/Type /Pages)."""
    two = b"<< /Type /Pages /Count 2 >> << /Type /Page /MediaBox [0 0 841.92 595.2] >> << /Type /Page >>"
    assert page_count(two) == 2
    assert paper_size(two) == A4_LANDSCAPE

"""What the browser tests check on a page: axe-core's WCAG 2.1 A/AA rules and sideways overflow.

Both return plain data (lists of readable strings), so a test can visit many pages and report
every problem at once.
"""

from functools import cache

from tests.browser.conftest import AXE

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@cache
def axe_source() -> str:
    return AXE.read_text(encoding="utf-8")


def run_axe(page) -> dict:
    """axe-core's result for the page as it is now: {"violations": [...], "passes": [...]}.

    The script is evaluated through the DevTools protocol, which the page's
    Content-Security-Policy does not govern, so the page is checked exactly as it is served."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(axe_source())
    return page.evaluate(
        """tags => axe.run(document, {
            runOnly: {type: 'tag', values: tags},
            resultTypes: ['violations'],
        }).then(r => ({
            violations: r.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => ({target: n.target.join(' '), summary: n.failureSummary})),
            })),
            passes: r.passes.map(p => p.id),
        }))""",
        WCAG_TAGS,
    )


def axe_problems(page, where: str) -> list[str]:
    """Every axe violation on the page, one line each (rule, element, why); fails loudly when
    axe did not run at all (no rule passed), so an empty list is never vacuous."""
    result = run_axe(page)
    if not result["passes"]:
        raise AssertionError(f"{where}: axe-core ran no rule (passes is empty)")
    problems = []
    for violation in result["violations"]:
        for node in violation["nodes"][:5]:
            problems.append(
                f"{where}: [{violation['id']}] {violation['help']} — {node['target']}: "
                f"{(node['summary'] or '').splitlines()[-1].strip()}"
            )
    return problems


OVERFLOW = """() => {
    const width = window.innerWidth;
    const page = document.scrollingElement.scrollWidth;
    // A region that scrolls sideways on its own must say what it holds (a labelled region).
    const unlabelled = [...document.body.querySelectorAll('*')].filter(el => {
        const s = getComputedStyle(el).overflowX;
        return (s === 'auto' || s === 'scroll') && el.scrollWidth > el.clientWidth
            && !(el.getAttribute('role') === 'region'
                 && (el.getAttribute('aria-label') || el.getAttribute('aria-labelledby')));
    }).map(el => el.tagName.toLowerCase() + (el.className && typeof el.className === 'string'
        ? '.' + el.className.trim().split(/\\s+/).join('.') : '')
        + ': ' + (el.textContent || '').trim().slice(0, 30));
    if (page <= width) return {page, width, culprits: [], unlabelled};
    // Name the outermost elements that reach past the right edge, outside any region that
    // scrolls on its own (a wide table inside a scrolling wrapper is fine).
    const scrolls = el => {
        for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
            const s = getComputedStyle(p).overflowX;
            if (s === 'auto' || s === 'scroll' || s === 'hidden') return true;
        }
        return false;
    };
    const culprits = [];
    for (const el of document.body.querySelectorAll('*')) {
        const r = el.getBoundingClientRect();
        if (r.right > width + 0.5 && !scrolls(el)
            && !(el.parentElement && el.parentElement.getBoundingClientRect().right > width + 0.5)) {
            const name = el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
                + (el.className && typeof el.className === 'string'
                   ? '.' + el.className.trim().split(/\\s+/).join('.') : '');
            culprits.push(`${name} (右端 ${Math.round(r.right)}px): `
                + (el.textContent || '').trim().slice(0, 40));
            if (culprits.length >= 5) break;
        }
    }
    return {page, width, culprits, unlabelled};
}"""


def overflow_problems(page, where: str) -> list[str]:
    """The page scrolls sideways (document.scrollingElement.scrollWidth > innerWidth), or a
    region that scrolls sideways on its own has no name?"""
    measured = page.evaluate(OVERFLOW)
    problems = [
        f"{where}: 横にスクロールする領域に名前（role=region と aria-label/labelledby）が"
        f"ありません: {region}"
        for region in measured["unlabelled"]
    ]
    if measured["page"] > measured["width"]:
        problems.append(
            f"{where}: 横にはみ出しています（ページ幅 {measured['page']}px > 画面 "
            f"{measured['width']}px）: " + "; ".join(measured["culprits"])
        )
    return problems


def check(context, urls, *, overflow=True, status=200) -> list[str]:
    """Open each URL in one tab: the problems found (a wrong status, axe's violations, and at
    a phone's width, sideways overflow)."""
    page = context.new_page()
    problems = []
    for url in urls:
        response = page.goto(url, wait_until="load")
        if response is None or response.status != status:
            problems.append(f"{url}: HTTP {response.status if response else '応答なし'}")
            continue
        problems += axe_problems(page, url)
        if overflow:
            problems += overflow_problems(page, url)
    page.close()
    return problems

"""Template comments: Django's ``{# … #}`` ends at the line's end; one spread over lines is not a
comment but text on the page (it put an English note on every item's Form ② at once)."""

from pathlib import Path

from django.conf import settings


def test_no_template_spreads_a_short_comment_over_lines():
    offenders = []
    for path in sorted(Path(settings.BASE_DIR, "templates").rglob("*.html")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            opened = line.rfind("{#")
            if opened != -1 and "#}" not in line[opened:]:
                offenders.append(f"{path.relative_to(settings.BASE_DIR)}:{number}")
    assert offenders == [], "{% comment %} を使ってください: " + ", ".join(offenders)


def test_an_item_page_shows_no_template_text(client, db):
    page = client.get("/items/2-3/").content.decode()
    assert "{#" not in page and "#}" not in page
    assert "Form ② by year" not in page

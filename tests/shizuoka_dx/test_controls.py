"""Every control is announced and visible: each help text a field points at (aria-describedby)
is on the page, every form field has its label, charts have no toolbar (English buttons in the
Tab order), and the focus ring is at least 2px on every control."""

import re
from pathlib import Path

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db

FORM_PAGES = [
    ("get", "/accounts/login/", None),
    ("post", "/accounts/login/", {"username": "x", "password": "y"}),
    ("get", "/staff/kpis/1-3-K02/", None),
    ("post", "/staff/kpis/1-3-K02/", {"fiscal_year": "来年", "value": "たくさん"}),
    ("get", "/staff/items/1-3/evaluations/2025/", None),
    ("get", "/staff/publish/", None),
    ("post", "/staff/publish/", {"fiscal_year": "R99"}),
    ("get", "/staff/actuals/import/", None),
    ("get", "/staff/", None),
]


def ids(page: str) -> set[str]:
    return set(re.findall(r'\sid="([^"]+)"', page))


@pytest.mark.parametrize(("method", "path", "data"), FORM_PAGES)
def test_every_help_text_a_field_points_at_is_on_the_page(client, dx_staff, method, path, data):
    if not path.startswith("/accounts/"):
        client.force_login(dx_staff)
    page = getattr(client, method)(path, data).content.decode()
    described = re.findall(r'aria-describedby="([^"]+)"', page)
    present = ids(page)
    missing = [ref for refs in described for ref in refs.split() if ref not in present]
    assert not missing
    if path != "/staff/":
        assert described or method == "post" or "login" in path


@pytest.mark.parametrize(("method", "path", "data"), FORM_PAGES)
def test_every_field_has_a_label(client, dx_staff, method, path, data):
    if not path.startswith("/accounts/"):
        client.force_login(dx_staff)
    page = getattr(client, method)(path, data).content.decode()
    labelled = set(re.findall(r'<label[^>]*\sfor="([^"]+)"', page))
    controls = re.findall(r"<(?:input|select|textarea)\b([^>]*)>", page)
    for attributes in controls:
        if re.search(r'type="(?:hidden|submit)"', attributes):
            continue
        control_id = re.search(r'\sid="([^"]+)"', attributes)
        assert control_id and control_id.group(1) in labelled, attributes


def test_the_kpi_forms_help_is_announced_with_its_field(client, dx_staff):
    client.force_login(dx_staff)
    page = client.get("/staff/kpis/1-3-K02/").content.decode()
    field = re.search(r'<input[^>]*name="fiscal_year"[^>]*>', page).group(0)
    assert 'aria-describedby="id_fiscal_year_helptext"' in field
    assert '<p class="help" id="id_fiscal_year_helptext">例: 2025、R7、令和7年度</p>' in page


def test_charts_are_drawn_without_plotlys_toolbar():
    script = (Path(settings.BASE_DIR) / "static/js/charts.js").read_text()
    assert re.search(r"displayModeBar:\s*false", script)
    assert "modeBarButtons" not in script


def test_the_focus_ring_is_at_least_2px_on_every_control():
    css = (Path(settings.BASE_DIR) / "static/css/site.css").read_text()
    rules = re.findall(r"([^{}]*:focus-visible[^{}]*)\{([^}]*)\}", css)
    assert rules
    selectors = " ".join(selector for selector, _ in rules)
    for control in [
        "a:focus-visible",
        "button:focus-visible",
        "input:focus-visible",
        "select:focus-visible",
        "textarea:focus-visible",
        "summary:focus-visible",
    ]:
        assert control in selectors
    for _selector, body in rules:
        width = re.search(r"outline:\s*(\d+)px solid", body)
        assert width and int(width.group(1)) >= 2
    assert "outline: none" not in css and "outline:none" not in css

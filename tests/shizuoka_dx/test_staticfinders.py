"""plotly.js is served from what `make setup` installed: the basic build from npm (scatter and
bar, what our charts draw) when there, else the full build inside plotly's Python package."""

from pathlib import Path

import plotly
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage

from shizuoka_dx import staticfinders

FULL = Path(plotly.__file__).resolve().parent / "package_data" / "plotly.min.js"


def test_the_basic_build_is_served_when_installed(settings):
    basic = Path(settings.BASE_DIR) / staticfinders.BASIC
    found = Path(finders.find("vendor/plotly.min.js"))
    assert found == (basic if basic.is_file() else FULL)


def test_without_node_modules_the_full_build_of_the_python_package_is_served(settings, tmp_path):
    settings.BASE_DIR = tmp_path
    assert Path(staticfinders.PlotlyFinder().find("vendor/plotly.min.js")) == FULL


def test_collectstatic_lists_it_under_the_public_name(settings, tmp_path):
    basic = tmp_path / staticfinders.BASIC
    basic.parent.mkdir(parents=True)
    basic.write_text("/* plotly.js (basic) */")
    settings.BASE_DIR = tmp_path
    [(name, storage)] = list(staticfinders.PlotlyFinder().list([]))
    assert (storage.prefix, name) == ("vendor", "plotly.min.js")
    with storage.open(name) as handle:
        assert handle.read() == b"/* plotly.js (basic) */"
    assert staticfiles_storage.url("vendor/plotly.min.js").endswith("/plotly.min.js")

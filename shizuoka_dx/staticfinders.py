"""Serve plotly.js as ``{% static 'vendor/plotly.min.js' %}``, never copied into the repository
and never loaded from a CDN.

Our charts use two trace types, scatter and bar. plotly.js's "basic" build (scatter, bar, pie:
1.2 MB, about 400 KB gzipped) draws them; the full build that plotly's Python package ships
(``plotly/package_data/plotly.min.js``, 4.8 MB, 1.5 MB gzipped) draws forty more. `make setup`
installs the basic build from npm into ``node_modules/`` (package.json pins the version plotly's
Python package bundles, so both draw alike). Nothing is fetched at run time: where the basic build
is not installed (no npm on the machine), the full build from the Python package is served
under the same name instead.
"""

from pathlib import Path

import plotly
from django.conf import settings
from django.contrib.staticfiles.finders import BaseFinder
from django.core.files.storage import FileSystemStorage

PUBLIC_PATH = "vendor/plotly.min.js"
BASIC = Path("node_modules") / "plotly.js-basic-dist-min" / "plotly-basic.min.js"
FULL = Path(plotly.__file__).resolve().parent / "package_data" / "plotly.min.js"


def plotly_js() -> Path | None:
    """The smallest installed plotly.js that draws our charts."""
    for candidate in (Path(settings.BASE_DIR) / BASIC, FULL):
        if candidate.is_file():
            return candidate
    return None


class _OneFile(FileSystemStorage):
    """``plotly.min.js`` under the ``vendor`` prefix, whatever the installed file is called."""

    def __init__(self, source: Path):
        super().__init__(location=str(source.parent))
        self.prefix = "vendor"
        self.source = source

    def path(self, name):
        return str(self.source)


class PlotlyFinder(BaseFinder):
    def check(self, **kwargs):
        return []

    def find(self, path, find_all=False, **kwargs):
        source = plotly_js() if path == PUBLIC_PATH else None
        if source is None:
            return [] if find_all else None
        return [str(source)] if find_all else str(source)

    def list(self, ignore_patterns):
        source = plotly_js()
        if source is not None:
            yield Path(PUBLIC_PATH).name, _OneFile(source)

"""What every plotly chart shares: the page's font and layout, and ``plain`` for any text that
came from a person or a file.

Charts are plain dicts in plotly.js's own figure format (``{"data": [...], "layout": {...}}``),
written out by the page as JSON and drawn by static/js/charts.js: no plotly figure objects are
built per request (plotly.py's validation and ``to_json`` cost milliseconds a chart, and its
default template added about 10 KB to each page). tests/shizuoka_dx/test_charts.py checks every
figure against plotly.py's schema.

plotly.js reads chart text as a small HTML dialect (``<a href>``, ``<b>``, ``<br>``), so a name
such as ``<a href=…>`` would become a live link inside the chart. Every text that is data, not
our own wording, goes through ``plain`` first: plotly then shows the characters as they are.
"""

import html

FONT = "Noto Sans JP, Hiragino Sans, BIZ UDPGothic, Meiryo, sans-serif"
GRID = "#e6e6e6"


def plain(text) -> str:
    """Data text for a chart: shown literally, never read as plotly's HTML."""
    return html.escape("" if text is None else str(text), quote=False)


def axis(title: str | None = None, *, grid: bool = False, **extra) -> dict:
    """An axis as our charts draw it: labels kept inside the chart, grid lines only where asked
    (light grey), no zero line (the look plotly.py's default template gave on a white plot)."""
    spec = {"automargin": True, "showgrid": grid, "zeroline": False}
    if grid:
        spec["gridcolor"] = GRID
    if title is not None:
        spec["title"] = {"text": title, "standoff": 15}
    spec.update(extra)
    return spec


def base_layout(**extra) -> dict:
    layout = {
        "font": {"family": FONT, "size": 14, "color": "#1a1a1a"},
        "margin": {"l": 60, "r": 20, "t": 40, "b": 50},
        "height": 360,
        "plot_bgcolor": "#ffffff",
        "paper_bgcolor": "#ffffff",
        "legend": {"orientation": "h", "y": -0.2},
        "hoverlabel": {"font": {"family": FONT}, "align": "left"},
    }
    layout.update(extra)
    return layout


def figure(data: list[dict], layout: dict) -> dict:
    return {"data": data, "layout": layout}

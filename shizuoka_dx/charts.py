"""What every plotly chart shares: the page's font and layout, JSON for static/js/charts.js,
and ``plain`` for any text that came from a person or a file.

plotly.js reads chart text as a small HTML dialect (``<a href>``, ``<b>``, ``<br>``), so a name
such as ``<a href=…>`` would become a live link inside the chart. Every text that is data, not
our own wording, goes through ``plain`` first: plotly then shows the characters as they are.
"""

import html
import json

import plotly.graph_objects as go

FONT = "Noto Sans JP, Hiragino Sans, BIZ UDPGothic, Meiryo, sans-serif"


def plain(text) -> str:
    """Data text for a chart: shown literally, never read as plotly's HTML."""
    return html.escape("" if text is None else str(text), quote=False)


def base_layout(**extra) -> dict:
    layout = {
        "font": {"family": FONT, "size": 14, "color": "#1a1a1a"},
        "margin": {"l": 60, "r": 20, "t": 40, "b": 50},
        "height": 360,
        "plot_bgcolor": "#ffffff",
        "paper_bgcolor": "#ffffff",
        "legend": {"orientation": "h", "y": -0.2},
        "hoverlabel": {"font": {"family": FONT}},
    }
    layout.update(extra)
    return layout


def to_json(figure: go.Figure) -> dict:
    return json.loads(figure.to_json())

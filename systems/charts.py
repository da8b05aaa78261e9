"""The Form ② cost chart: initial vs operating cost per system (thousand yen), as a plain
plotly.js figure dict."""

from shizuoka_dx.charts import axis, base_layout, figure, plain


def cost_figure(rows: list[dict]) -> dict:
    """rows: {"name", "initial", "operating"} with thousand-yen numbers or None (not printed)."""
    names = [plain(row["name"]) for row in rows][::-1]
    largest = max([row[key] or 0 for row in rows for key in ("initial", "operating")], default=0)
    traces = []
    for key, label, color in (
        ("operating", "運用経費（年額）", "#8f5a00"),
        ("initial", "導入経費", "#0017c1"),
    ):
        values = [row[key] for row in rows][::-1]
        traces.append(
            {
                "type": "bar",
                "y": names,
                "x": [v if v is not None else 0 for v in values],
                "name": label,
                "orientation": "h",
                "marker": {"color": color},
                "text": [f"{v:,.0f}千円" if v is not None else "記載なし" for v in values],
                "textposition": "outside",
                "hovertemplate": "%{y}<br>" + label + ": %{text}<extra></extra>",
            }
        )
    layout = base_layout(
        barmode="group",
        height=80 + 48 * len(rows),
        margin={"l": 10, "r": 10, "t": 30, "b": 40},
        xaxis=axis(
            grid=True,
            range=[0, (largest or 1) * 1.25],  # room for the value labels
            tickformat=",d",  # 100,000 — never plotly's SI 100k
            ticksuffix="千円",
            nticks=4,
        ),
        yaxis=axis(),
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "traceorder": "reversed"},
    )
    return figure(traces, layout)

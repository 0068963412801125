"""Charts: Vega-Lite specifications built with altair and rendered to SVG by vl-convert, so the page
needs no script and no CDN. Each chart is paired with a table in the report (its text alternative)."""

from __future__ import annotations

import re
from typing import Any

NHS_BLUE = "#005eb8"
DARK = "#212b32"


def _render(chart: Any, title: str) -> str:
    import vl_convert

    spec = (
        chart.properties(title=title)
        .configure_axis(labelColor=DARK, titleColor=DARK, labelFontSize=12, titleFontSize=12, labelLimit=320)
        .configure_title(color=DARK, fontSize=14, anchor="start")
        .configure_view(stroke=None)
        .to_dict()
    )
    svg = vl_convert.vegalite_to_svg(spec)
    # An inline SVG that assistive technology reads as one image with a name; the table beside it holds
    # the figures.
    svg = re.sub(r"<svg\b", f'<svg role="img" aria-label="{_escape(title)}" focusable="false"', svg, count=1)
    return svg


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")


def bar(
    rows: list[dict[str, Any]],
    category: str,
    value: str,
    title: str,
    value_title: str,
    category_title: str,
    max_value: float | None = None,
) -> str:
    import altair as alt

    if not rows:
        return ""
    scale = alt.Scale(domain=[0, max_value]) if max_value is not None else alt.Undefined
    chart = (
        alt.Chart(alt.Data(values=rows))
        .mark_bar(color=NHS_BLUE)
        .encode(
            x=alt.X(f"{value}:Q", title=value_title, scale=scale),
            y=alt.Y(f"{category}:N", title=category_title, sort=None),
        )
        .properties(width=460, height=max(60, 22 * len(rows)))
    )
    return _render(chart, title)


def histogram(rows: list[dict[str, Any]], title: str) -> str:
    import altair as alt

    if not rows:
        return ""
    values = [
        {
            "band": f"{r['band_from']}–{r['band_from'] + 9 if r['band_from'] < 90 else 100}%",
            "results": r["results"],
            "course": r["course"],
        }
        for r in rows
    ]
    chart = (
        alt.Chart(alt.Data(values=values))
        .mark_bar(color=NHS_BLUE)
        .encode(
            x=alt.X("band:N", title="score", sort=None),
            y=alt.Y("results:Q", title="results"),
            row=alt.Row("course:N", title=None),
        )
        .properties(width=460, height=120)
    )
    return _render(chart, title)

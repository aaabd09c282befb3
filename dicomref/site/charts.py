"""Bar charts drawn as inline SVG at build time: no script, no request, readable in dark mode."""

from __future__ import annotations

from markupsafe import Markup, escape

ROW_HEIGHT = 22
LABEL_WIDTH = 260
BAR_WIDTH = 360


def bar_chart(title: str, rows: list[tuple[str, int, int, str | None]]) -> Markup:
    """One horizontal bar per row: (label, covered, total, link or None); the bar shows covered/total."""
    height = ROW_HEIGHT * len(rows) + 8
    width = LABEL_WIDTH + BAR_WIDTH + 110
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="100%" '
        f'preserveAspectRatio="xMinYMin meet" aria-labelledby="{_chart_id(title)}">',
    ]
    parts.append(f'<title id="{_chart_id(title)}">{escape(title)}</title>')
    for index, (label, covered, total, _link) in enumerate(rows):
        y = 4 + index * ROW_HEIGHT
        share = covered / total if total else 0.0
        filled = round(BAR_WIDTH * share, 1)
        text = escape(label if len(label) <= 38 else label[:37] + "…")
        parts.append(
            f'<g><text class="chart-label" x="{LABEL_WIDTH - 8}" y="{y + 15}" text-anchor="end">{text}</text>'
            f'<rect class="chart-track" x="{LABEL_WIDTH}" y="{y + 3}" width="{BAR_WIDTH}" height="{ROW_HEIGHT - 8}" rx="3"/>'
            f'<rect class="chart-bar" x="{LABEL_WIDTH}" y="{y + 3}" width="{filled}" height="{ROW_HEIGHT - 8}" rx="3"/>'
            f'<text class="chart-value" x="{LABEL_WIDTH + BAR_WIDTH + 8}" y="{y + 15}">{covered}/{total} ({share * 100:.1f}%)</text></g>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def _chart_id(title: str) -> str:
    return "chart-" + "".join(c if c.isalnum() else "-" for c in title.lower()).strip("-")

"""Bar charts drawn as inline SVG at build time: no script, no request, colours from the page's CSS.

Short labels (VRs, modalities) share one line with their bar and figures; long labels (module
names) sit above their bar, so the chart stays readable when a phone scales it down.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH = 540
BAR_HEIGHT = 10
LABEL_CHARS = 36  # long labels are cut to this, the full label kept as the row's tooltip
SHORT_LABEL = 14  # labels up to this long fit beside their bar
SHORT_LABEL_WIDTH = 125
FIGURES_WIDTH = 175


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    total: int
    url: str | None = None  # relative to the site root; the chart adds the page's prefix

    @property
    def share(self) -> float:
        return self.value / self.total if self.total else 0.0

    @property
    def figures(self) -> str:
        return f"{self.value:,}/{self.total:,} ({self.share * 100:.1f}%)"


def _stacked_row(bar: Bar, label: str, y: int) -> tuple[str, int]:
    row = (
        f'<text class="chart-label" x="0" y="{y + 16}">{escape(label)}</text>'
        f'<text class="chart-value" x="{WIDTH}" y="{y + 16}" text-anchor="end">{bar.figures}</text>'
        f'<rect class="chart-track" x="0" y="{y + 23}" width="{WIDTH}" height="{BAR_HEIGHT}" rx="5"/>'
        f'<rect class="chart-bar" x="0" y="{y + 23}" '
        f'width="{round(WIDTH * bar.share, 1)}" height="{BAR_HEIGHT}" rx="5"/>'
    )
    return row, 40


def _inline_row(bar: Bar, label: str, y: int) -> tuple[str, int]:
    track = WIDTH - SHORT_LABEL_WIDTH - FIGURES_WIDTH
    row = (
        f'<text class="chart-label" x="0" y="{y + 17}">{escape(label)}</text>'
        f'<rect class="chart-track" x="{SHORT_LABEL_WIDTH}" y="{y + 8}" width="{track}" height="{BAR_HEIGHT}" rx="5"/>'
        f'<rect class="chart-bar" x="{SHORT_LABEL_WIDTH}" y="{y + 8}" '
        f'width="{round(track * bar.share, 1)}" height="{BAR_HEIGHT}" rx="5"/>'
        f'<text class="chart-value" x="{WIDTH}" y="{y + 17}" text-anchor="end">{bar.figures}</text>'
    )
    return row, 26


def bar_chart(title: str, bars: list[Bar], root: str = "") -> Markup:
    """One row per bar showing value/total; `root` prefixes the bars' links from the page that holds the chart."""
    chart_id = "chart-" + re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    layout = _inline_row if all(len(bar.label) <= SHORT_LABEL for bar in bars) else _stacked_row
    rows, y = [], 0
    for bar in bars:
        label = bar.label if len(bar.label) <= LABEL_CHARS else bar.label[: LABEL_CHARS - 1] + "…"
        row, height = layout(bar, label, y)
        y += height
        if label != bar.label:
            row = f"<title>{escape(bar.label)}</title>" + row
        rows.append(f'<a href="{escape(root + bar.url)}">{row}</a>' if bar.url else f"<g>{row}</g>")
    # A chart of links is a group whose links speak for themselves; one without links is a single image.
    role = "group" if any(bar.url for bar in bars) else "img"
    return Markup(
        f'<svg class="chart" role="{role}" viewBox="0 0 {WIDTH} {y + 4}" width="{WIDTH}" height="{y + 4}" '
        f'aria-labelledby="{chart_id}">'
        f'<title id="{chart_id}">{escape(title)}</title>{"".join(rows)}</svg>'
    )

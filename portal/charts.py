"""Accessible SVG charts rendered on the server: no JavaScript, a title and a
description for assistive technology, values written beside every bar, and a
data table beside the chart on the page. Pure functions; no Flask."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

# Colours with at least 3:1 contrast against white (WCAG 1.4.11), told apart
# by the legend and by the value labels, never by colour alone.
PALETTE = ("#00416a", "#8a4b00", "#2b6b2b", "#6b2c91", "#4a4a4a")


@dataclass(frozen=True)
class Series:
    label: str
    values: Sequence[float | None]  # one per category; None when suppressed


def bar_chart(chart_id: str, title: str, description: str, categories: Sequence[str],
              series: Sequence[Series], *, minimum: float = 1, maximum: float = 3,
              missing: str = "[c]", number: Callable[[float], str] = lambda v: f"{v:.2f}") -> Markup:
    """Horizontal grouped bars, one group per category, one bar per series."""
    label_width, plot_width, right = 200, 330, 50
    bar, gap, group_gap, top = 14, 3, 18, 44 + 18 * len(series)
    group_height = len(series) * (bar + gap) + group_gap
    height = top + group_height * len(categories) + 30
    width = label_width + plot_width + right
    span = maximum - minimum

    def x(value: float) -> float:
        return label_width + plot_width * (min(max(value, minimum), maximum) - minimum) / span

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" '
        f'role="img" aria-labelledby="{chart_id}-title {chart_id}-desc" focusable="false">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>',
    ]
    for index, item in enumerate(series):
        y = 12 + 18 * index
        parts.append(f'<rect x="{label_width}" y="{y}" width="12" height="12" fill="{PALETTE[index % 5]}"/>')
        parts.append(f'<text x="{label_width + 18}" y="{y + 10}" class="legend">{escape(item.label)}</text>')
    ticks = [minimum + step * span / (maximum - minimum) for step in range(int(maximum - minimum) + 1)]
    axis_bottom = height - 24
    for tick in ticks:
        parts.append(f'<line x1="{x(tick):.1f}" x2="{x(tick):.1f}" y1="{top - 6}" y2="{axis_bottom}" class="grid"/>')
        parts.append(f'<text x="{x(tick):.1f}" y="{height - 8}" text-anchor="middle" class="tick">'
                     f'{escape(number(tick).rstrip("0").rstrip("."))}</text>')
    for row, category in enumerate(categories):
        y0 = top + row * group_height
        parts.append(f'<text x="{label_width - 8}" y="{y0 + len(series) * (bar + gap) / 2 + 4:.1f}" '
                     f'text-anchor="end" class="category">{escape(category)}</text>')
        for index, item in enumerate(series):
            y = y0 + index * (bar + gap)
            value = item.values[row]
            if value is None:
                parts.append(f'<text x="{label_width + 4}" y="{y + bar - 3}" class="value missing">'
                             f'{escape(missing)}</text>')
                continue
            parts.append(f'<rect x="{label_width}" y="{y}" width="{max(x(value) - label_width, 1):.1f}" '
                         f'height="{bar}" fill="{PALETTE[index % 5]}"/>')
            parts.append(f'<text x="{x(value) + 4:.1f}" y="{y + bar - 3}" class="value">'
                         f'{escape(number(value))}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))

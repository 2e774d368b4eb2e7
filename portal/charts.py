"""Accessible SVG charts rendered on the server: no JavaScript, a title and a
description for assistive technology, values written beside every bar, and a
data table beside the chart on the page. Pure functions; no Flask.

The label travels with the figure: each chart draws, inside the SVG, its
title, its source line and, for synthetic data, a visible "Demonstration data
/ Data enghreifftiol" mark, so that a chart saved, copied or cropped from the
page still says what it is. Fonts, sizes and colours are set in the SVG
itself, and every label is laid out from its measured width
(:mod:`portal.textmetrics`): wrapped, never cut."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from portal import textmetrics
from portal.attribution import DEMO_MARK

# Colours with at least 3:1 contrast against white (WCAG 1.4.11), told apart
# by the legend and by the value labels, never by colour alone.
PALETTE = ("#00416a", "#8a4b00", "#2b6b2b", "#6b2c91", "#4a4a4a")
TEXT_COLOUR, MUTED, GRID, MARK_COLOUR, MARK_FILL = "#1b1b1b", "#4a4a4a", "#b1b4b6", "#6b3a00", "#fff4e5"

WIDTH = 640          # of the viewBox; the page scales it
PAD = 8              # empty margin inside the SVG, on every side
SIZE = 13            # labels, legend, values, ticks
TITLE_SIZE = 15
SMALL = 12           # the source line
LINE = 1.3           # line height, in ems
MAX_LABEL_SHARE = 0.4  # of the width, at most, for category labels


@dataclass(frozen=True)
class Series:
    label: str
    values: Sequence[float | None]  # one per category; None when suppressed


@dataclass(frozen=True)
class Label:
    """A line of text drawn in a chart, with what it was measured as."""

    text: str
    x: float
    y: float  # baseline
    size: float
    bold: bool
    anchor: str  # start, middle, end
    role: str  # title, mark, legend, category, value, tick, source

    @property
    def width(self) -> float:
        return textmetrics.width(self.text, self.size, self.bold)

    @property
    def left(self) -> float:
        return {"start": self.x, "middle": self.x - self.width / 2, "end": self.x - self.width}[self.anchor]

    @property
    def right(self) -> float:
        return self.left + self.width


class Canvas:
    """SVG parts, and every label drawn (for layout checks)."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.labels: list[Label] = []

    def text(self, text: str, x: float, y: float, *, role: str, size: float = SIZE, bold: bool = False,
             anchor: str = "start", fill: str = TEXT_COLOUR) -> None:
        label = Label(text, x, y, size, bold, anchor, role)
        self.labels.append(label)
        attributes = f' text-anchor="{anchor}"' if anchor != "start" else ""
        attributes += ' font-weight="bold"' if bold else ""
        attributes += f' font-size="{size:g}"' if size != SIZE else ""
        attributes += f' fill="{fill}"' if fill != TEXT_COLOUR else ""
        self.parts.append(f'<text x="{x:.1f}" y="{y:.1f}" class="{role}"{attributes}>{escape(text)}</text>')

    def lines(self, lines: Sequence[str], x: float, top: float, *, role: str, size: float = SIZE,
              bold: bool = False, anchor: str = "start", fill: str = TEXT_COLOUR) -> float:
        """Draw ``lines`` from ``top`` down; return the y below them."""
        for index, line in enumerate(lines):
            self.text(line, x, top + size * (LINE * index + 1), role=role, size=size, bold=bold,
                      anchor=anchor, fill=fill)
        return top + size * LINE * len(lines)


def heading(canvas: Canvas, title: str, demonstration: bool, top: float = PAD) -> float:
    """The title, wrapped to the width, then the demonstration mark when the
    figures are synthetic; return the y below them."""
    y = canvas.lines(textmetrics.wrap(title, WIDTH - 2 * PAD, TITLE_SIZE, True), PAD, top,
                     role="chart-title", size=TITLE_SIZE, bold=True)
    if demonstration:
        mark_lines = textmetrics.wrap(DEMO_MARK, WIDTH - 2 * PAD - 16, SIZE, True)
        box_width = max(textmetrics.width(line, SIZE, True) for line in mark_lines) + 16
        box_height = SIZE * LINE * len(mark_lines) + 8
        y += 6
        canvas.parts.append(f'<rect x="{PAD}" y="{y:.1f}" width="{box_width:.1f}" height="{box_height:.1f}" '
                            f'fill="{MARK_FILL}" stroke="{MARK_COLOUR}" stroke-width="2" '
                            'class="demonstration-mark"/>')
        canvas.lines(mark_lines, PAD + 8, y + 4 - SIZE * (LINE - 1) / 2, role="mark", bold=True,
                     fill=MARK_COLOUR)
        y += box_height
    return y + 8


def footer(canvas: Canvas, source: str | None, top: float) -> float:
    """The source line, wrapped; return the y below it."""
    if not source:
        return top
    return canvas.lines(textmetrics.wrap(source, WIDTH - 2 * PAD, SMALL), PAD, top + 6, role="source",
                        size=SMALL, fill=MUTED)


def svg(canvas: Canvas, chart_id: str, title: str, description: str, height: float) -> Markup:
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {height:.0f}" '
            f'width="{WIDTH}" height="{height:.0f}" role="img" '
            f'aria-labelledby="{chart_id}-title {chart_id}-desc" '
            f'focusable="false" font-family="{escape(textmetrics.FONT_FAMILY)}" font-size="{SIZE}" '
            f'fill="{TEXT_COLOUR}">'
            f'<title id="{chart_id}-title">{escape(title)}</title>'
            f'<desc id="{chart_id}-desc">{escape(description)}</desc>'
            f'<rect width="{WIDTH}" height="{height:.0f}" fill="#ffffff"/>')
    return Markup(head + "".join(canvas.parts) + "</svg>")


def legend(canvas: Canvas, series: Sequence[Series], top: float) -> float:
    """Swatches and labels, flowing onto as many rows as they need."""
    x, y = PAD, top
    row = SIZE * LINE + 4
    for index, item in enumerate(series):
        lines = textmetrics.wrap(item.label, WIDTH - 2 * PAD - 18, SIZE)
        item_width = 18 + max(textmetrics.width(line, SIZE) for line in lines)
        if x > PAD and (len(lines) > 1 or x + item_width > WIDTH - PAD):
            x, y = PAD, y + row
        canvas.parts.append(f'<rect x="{x:.1f}" y="{y + 2:.1f}" width="12" height="12" '
                            f'fill="{PALETTE[index % len(PALETTE)]}"/>')
        bottom = canvas.lines(lines, x + 18, y, role="legend")
        if len(lines) > 1:  # a label of its own rows
            x, y = PAD, bottom + 4
            continue
        x += item_width + 16
    return (y if x == PAD else y + row) + 4


def bar_chart(chart_id: str, title: str, description: str, categories: Sequence[str],
              series: Sequence[Series], *, minimum: float = 1, maximum: float = 3,
              missing: str = "[c]", number: Callable[[float], str] = lambda v: f"{v:.2f}",
              source: str | None = None, demonstration: bool = False) -> Markup:
    """Horizontal grouped bars, one group per category, one bar per series,
    with the title, the source and (for synthetic figures) the demonstration
    mark drawn inside."""
    return bar_chart_canvas(chart_id, title, description, categories, series, minimum=minimum,
                            maximum=maximum, missing=missing, number=number, source=source,
                            demonstration=demonstration)[0]


def bar_chart_canvas(chart_id: str, title: str, description: str, categories: Sequence[str],
                     series: Sequence[Series], *, minimum: float = 1, maximum: float = 3,
                     missing: str = "[c]", number: Callable[[float], str] = lambda v: f"{v:.2f}",
                     source: str | None = None, demonstration: bool = False) -> tuple[Markup, Canvas]:
    """:func:`bar_chart`, with the canvas it was drawn on (every label and
    where it stands)."""
    canvas = Canvas()
    top = heading(canvas, title, demonstration)
    top = legend(canvas, series, top)

    # the label column: as wide as the widest label, up to a share of the width, then wrapped
    widest = max((textmetrics.width(c, SIZE, True) for c in categories), default=0)
    label_width = min(widest, WIDTH * MAX_LABEL_SHARE) + PAD + 8
    wrapped = [textmetrics.wrap(c, label_width - PAD - 8, SIZE, True) for c in categories]
    values = [number(v) for item in series for v in item.values if v is not None] + [missing,
                                                                                      number(maximum)]
    right = max(textmetrics.width(v, SIZE) for v in values) + 4 + PAD
    plot_width = WIDTH - label_width - right
    span = maximum - minimum

    def x(value: float) -> float:
        return label_width + plot_width * (min(max(value, minimum), maximum) - minimum) / span

    bar, gap, group_gap = 14, 3, 14
    bars_height = len(series) * (bar + gap) - gap
    groups = []
    y = top + 4
    for lines in wrapped:
        text_height = SIZE * LINE * len(lines)
        height = max(bars_height, text_height)
        groups.append((y, height))
        y += height + group_gap
    axis_bottom = y - group_gap + 6
    ticks = [minimum + step for step in range(int(span) + 1)]
    for tick in ticks:
        canvas.parts.append(f'<line x1="{x(tick):.1f}" x2="{x(tick):.1f}" y1="{top:.1f}" '
                            f'y2="{axis_bottom:.1f}" '
                            f'stroke="{GRID}" stroke-width="1" class="grid"/>')
        canvas.text(number(tick).rstrip("0").rstrip("."), x(tick), axis_bottom + SIZE + 4, role="tick",
                    anchor="middle")
    for row, (lines, (y0, height)) in enumerate(zip(wrapped, groups)):
        text_top = y0 + (height - SIZE * LINE * len(lines)) / 2
        canvas.lines(lines, label_width - 8, text_top, role="category", bold=True, anchor="end")
        bars_top = y0 + (height - bars_height) / 2
        for index, item in enumerate(series):
            by = bars_top + index * (bar + gap)
            value = item.values[row]
            if value is None:
                canvas.text(missing, label_width + 4, by + bar - 3, role="value missing", fill=MUTED)
                continue
            canvas.parts.append(f'<rect x="{label_width:.1f}" y="{by:.1f}" '
                                f'width="{max(x(value) - label_width, 1):.1f}" height="{bar}" '
                                f'fill="{PALETTE[index % len(PALETTE)]}"/>')
            canvas.text(number(value), x(value) + 4, by + bar - 3, role="value")
    bottom = footer(canvas, source, axis_bottom + SIZE + 10)
    height = bottom + PAD
    return svg(canvas, chart_id, title, description, height), canvas

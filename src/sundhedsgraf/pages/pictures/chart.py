"""A bar chart of a query's answer: one bar per row, from a label column and a number column.

Drawn on the server like the other pictures (_svg: ElementTree, escaped values, a title and a
description for assistive technology, no scripts), so the query page shows it without
JavaScript. Bars are horizontal, each under its label, so the chart is narrow enough to read
on a phone without scrolling sideways (WIDTH); the axis runs from zero (or from the lowest
value, when one is negative) with round ticks. A bar whose label is one of our resources links
to its page.
"""

import math
from dataclasses import dataclass

from . import _svg
from ._svg import el

TEXT = {
    "da": {
        "title": "{value} efter {label}",
        "desc": "Søjlediagram med {n} søjler, {value} for hver {label}: {details}",
        "none": "Ingen rækker.",
    },
    "en": {
        "title": "{value} by {label}",
        "desc": "Bar chart of {n} bars, {value} for each {label}: {details}",
        "none": "No rows.",
    },
}
BAR = "#0b5cad"
PAD = 16.0
BAR_H = 18.0
LABEL_H = 16.0  # the label's line above its bar
GAP = 8.0
PLOT_W = 250.0
VALUE_ROOM = 70.0  # right of the longest bar, for its value
WIDTH = PAD + PLOT_W + VALUE_ROOM + PAD  # 352: at 12 px text on a 390 px phone


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    href: str | None = None  # our page about the row's resource


def number_text(value: float, lang: str) -> str:
    text = f"{value:,.0f}" if value == int(value) and abs(value) < 1e15 else f"{value:,.4g}"
    if lang == "da":  # 1.234,5
        text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return text


def ticks(low: float, high: float) -> list[float]:
    """Round values from low to high, about five of them (1, 2 or 5 times a power of ten)."""
    span = high - low or 1.0
    raw = span / 5
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first = math.floor(low / step) * step
    count = math.ceil((high - first) / step - 1e-9)  # the last tick at or above high
    return [first + i * step for i in range(count + 1)]


def bar_chart(bars: list[Bar], label_name: str, value_name: str, lang: str) -> str:
    """The SVG text of a horizontal bar chart of `bars`, titled from the two column names."""
    _svg.check_lang(lang)
    text = TEXT[lang]
    title = text["title"].format(value=value_name, label=label_name)
    details = "; ".join(f"{b.label}: {number_text(b.value, lang)}" for b in bars[:50])
    if len(bars) > 50:
        details += "; …"
    desc = text["desc"].format(n=len(bars), value=value_name, label=label_name, details=details)

    values = [b.value for b in bars] or [0.0]
    marks = ticks(min(0.0, *values), max(0.0, *values))
    low, high = marks[0], marks[-1]
    scale = PLOT_W / ((high - low) or 1.0)
    shown = [_svg.fit(b.label, 12, WIDTH - 2 * PAD) for b in bars]
    x0 = PAD
    top = PAD
    row = LABEL_H + BAR_H + GAP
    plot_h = max(1, len(bars)) * row + GAP
    height = top + plot_h + 50 + PAD
    axis_label = _svg.fit(value_name, 12, WIDTH - 2 * PAD)

    root = _svg.svg_root(round(WIDTH), round(height), "sg-chart", title, desc, natural=True)
    axis = el(root, "g", class_="axis")
    bottom = top + plot_h
    for mark in marks:
        x = x0 + (mark - low) * scale
        colour = "#5b6770" if mark == 0 else "#e3e8ec"
        el(axis, "line", x1=x, y1=top, x2=x, y2=bottom, stroke=colour, stroke_width=1)
        label = number_text(mark, lang)
        el(axis, "text", label, x=x, y=bottom + 16, text_anchor="middle", fill=_svg.MUTED)
    el(axis, "line", x1=x0, y1=bottom, x2=x0 + PLOT_W, y2=bottom, stroke="#5b6770", stroke_width=1)
    el(axis, "text", axis_label, x=WIDTH / 2, y=bottom + 38, text_anchor="middle")

    group = el(root, "g", class_="bars")
    if not bars:
        el(group, "text", text["none"], x=x0 + 12, y=top + 20, fill=_svg.MUTED)
    zero = x0 + (0 - low) * scale
    for n, (bar, label) in enumerate(zip(bars, shown, strict=True)):
        y = top + GAP + n * row + LABEL_H
        holder = el(group, "g", class_="bar", data_value=bar.value)
        target = el(holder, "a", href=bar.href) if bar.href else el(holder, "g")
        el(target, "title", f"{bar.label}: {number_text(bar.value, lang)}")
        el(target, "text", label, x=x0, y=y - 4)
        end = zero + bar.value * scale
        left, right = min(zero, end), max(zero, end)
        el(target, "rect", x=left, y=y, width=max(right - left, 1.0), height=BAR_H, fill=BAR)
        el(
            target,
            "text",
            number_text(bar.value, lang),
            x=right + 6,
            y=y + BAR_H / 2 + 4,
            fill=_svg.INK,
            class_="value",
        )
    return _svg.to_string(root)

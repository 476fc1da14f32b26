"""The portfolio: initiatives per focus area, or per owner, stacked by outcome status.

Horizontal bars (the names are long), one per focus area or owning organisation, split into
segments by outcome status in a fixed order from delivered to stopped; each segment shows its
count, each bar its total. An initiative with several owners counts once for each of them.
"""

from dataclasses import dataclass, field
from functools import cached_property

from sundhedsgraf.pages.labels import Index

from . import _svg
from ._svg import el

BY = ("focus-area", "owner")
STATUS_ORDER = (
    "in-operation",
    "completed",
    "partly-delivered",
    "ongoing",
    "carried-on-elsewhere",
    "paused",
    "discontinued",
    "never-started",
)
STATUS_COLOUR = {  # fill, text on it
    "in-operation": ("#1a9850", "#ffffff"),
    "completed": ("#66bd63", "#1f2933"),
    "partly-delivered": ("#d9ef8b", "#1f2933"),
    "ongoing": ("#74add1", "#1f2933"),
    "carried-on-elsewhere": ("#c2a5cf", "#1f2933"),
    "paused": ("#fdae61", "#1f2933"),
    "discontinued": ("#f46d43", "#1f2933"),
    "never-started": ("#a50026", "#ffffff"),
}
EXTRA_COLOURS = ("#bababa", "#878787", "#e0e0e0", "#4d4d4d")

TEXT = {
    "da": {
        "focus-area": "Indsatser pr. indsatsområde efter udfald",
        "owner": "Indsatser pr. indsatsejer efter udfald",
        "axis": "Antal indsatser",
        "axis_owner": "Antal indsatser (en indsats med flere ejere tælles hos hver)",
        "desc_focus": (
            "Stablet søjlediagram: {total} indsatser fordelt på {groups} indsatsområder og "
            "opdelt efter udfaldsstatus ved strategiens afslutning. {details}"
        ),
        "desc_owner": (
            "Stablet søjlediagram: {total} indsatser fordelt på {groups} indsatsejere og opdelt "
            "efter udfaldsstatus ved strategiens afslutning; en indsats med flere ejere tælles "
            "hos hver. {details}"
        ),
        "none": "Ingen indsatser.",
        "unknown": "Uden udfaldsstatus",
    },
    "en": {
        "focus-area": "Initiatives per focus area by outcome",
        "owner": "Initiatives per owner by outcome",
        "axis": "Number of initiatives",
        "axis_owner": "Number of initiatives (an initiative with several owners counts for each)",
        "desc_focus": (
            "Stacked bar chart: {total} initiatives in {groups} focus areas, split by outcome "
            "status at the close of the strategy. {details}"
        ),
        "desc_owner": (
            "Stacked bar chart: {total} initiatives by {groups} owners, split by outcome status "
            "at the close of the strategy; an initiative with several owners counts for each. "
            "{details}"
        ),
        "none": "No initiatives.",
        "unknown": "Without outcome status",
    },
}

# Narrow enough to read on a 390 px phone without scrolling sideways: each bar under its name,
# the title and axis name wrapped, an initiative as wide as the widest bar leaves room for.
WIDTH = 360.0
PAD = 16.0
BAR_H = 26.0
LABEL_H = 18.0  # the name's line above its bar
BAR_GAP = 12.0
UNIT_W = 64.0  # pixels per initiative, at most
TOTAL_ROOM = 40.0  # right of the longest bar, for its total
TITLE_SIZE = 18


def _local(iri: str) -> str:
    return iri.rstrip("/").rsplit("/", 1)[-1]


def _data(pub) -> list[dict]:
    return _svg.select(
        pub,
        """SELECT ?i ?id ?status ?fa ?notation ?owner WHERE {
            ?i a sg:Initiative .
            OPTIONAL { ?i dcterms:identifier ?id }
            OPTIONAL { ?i sg:outcomeStatus ?status }
            OPTIONAL { ?i sg:focusArea ?fa OPTIONAL { ?fa skos:notation ?notation } }
            OPTIONAL { ?i sg:owner ?owner } }""",
    )


@dataclass
class Tally:
    """The initiatives of each bar (a focus area or an owner), by outcome status."""

    cells: dict[str, dict[str, set[str]]] = field(default_factory=dict)  # bar -> status -> ini
    numbers: dict[str, str] = field(default_factory=dict)  # initiative -> published number
    notations: dict[str, str] = field(default_factory=dict)  # focus area -> notation
    statuses: set[str] = field(default_factory=set)  # status IRIs, "" for none
    initiatives: set[str] = field(default_factory=set)  # those in some bar

    def total(self, bar: str) -> int:
        return sum(len(v) for v in self.cells[bar].values())


def _tally(rows: list[dict], by: str) -> Tally:
    key = "fa" if by == "focus-area" else "owner"
    tally = Tally()
    for row in rows:
        tally.numbers[row["i"]] = row.get("id", "")
        if row.get("fa") and row.get("notation"):
            tally.notations[row["fa"]] = row["notation"]
        bar = row.get(key)
        if not bar:
            continue
        status = row.get("status", "")
        tally.statuses.add(status)
        tally.initiatives.add(row["i"])
        tally.cells.setdefault(bar, {}).setdefault(status, set()).add(row["i"])
    return tally


def _status_colours(statuses: set[str]) -> dict[str, tuple[str, str]]:
    """{status: (fill, ink)} in the order the segments go: STATUS_ORDER, then any other status,
    then none."""
    known = {_local(s): s for s in statuses if s}
    order = [known[s] for s in STATUS_ORDER if s in known]
    order += sorted(s for s in statuses if s and _local(s) not in STATUS_ORDER)
    if "" in statuses:
        order.append("")
    extra = iter(EXTRA_COLOURS * 4)
    return {s: STATUS_COLOUR.get(_local(s)) or (next(extra, "#999999"), "#1f2933") for s in order}


@dataclass
class Chart:
    """What is drawn, and how it is named in `lang`."""

    tally: Tally
    idx: Index
    lang: str
    by: str
    colours: dict[str, tuple[str, str]]  # status -> (fill, ink), in the segments' order

    @property
    def text(self) -> dict:
        return TEXT[self.lang]

    def status_name(self, status: str) -> str:
        return self.idx.label(status, self.lang) if status else self.text["unknown"]

    def bar_label(self, bar: str) -> str:
        """The label after the focus area's notation."""
        label = self.idx.label(bar, self.lang)
        number = self.tally.notations.get(bar)
        if number and not label.startswith(number):
            label = f"{number} {label}"
        return label

    @cached_property
    def order(self) -> list[str]:
        """The bars, top to bottom: focus areas by notation, owners the largest first."""
        t = self.tally
        if self.by == "focus-area":
            return sorted(t.cells, key=lambda g: (_svg.identifier_key(t.notations.get(g, "")), g))
        return sorted(t.cells, key=lambda g: (-t.total(g), self.bar_label(g).casefold(), g))

    def title_and_desc(self) -> tuple[str, str]:
        cells = self.tally.cells
        details = "; ".join(
            f"{self.bar_label(g)}: "
            + ", ".join(
                f"{self.status_name(s)} {len(cells[g][s])}" for s in self.colours if s in cells[g]
            )
            for g in self.order
        )
        which = {"focus-area": "desc_focus", "owner": "desc_owner"}[self.by]
        desc = self.text[which].format(
            total=len(self.tally.initiatives), groups=len(self.order), details=details
        )
        return self.text[self.by], desc


def portfolio(pub, lang: str, public: str, by: str = "focus-area") -> str:
    """Initiatives per focus area (by="focus-area") or per owner (by="owner"), stacked by
    outcome status, as SVG."""
    _svg.check_lang(lang)
    if by not in BY:
        raise ValueError(f"by must be one of {', '.join(BY)}, not {by!r}")
    tally = _tally(pub.cache.get((_data,), lambda: _data(pub)), by)
    chart = Chart(tally, _svg.index(pub, public), lang, by, _status_colours(tally.statuses))
    title, desc = chart.title_and_desc()

    room = WIDTH - 2 * PAD
    bar_labels = {g: _svg.fit(chart.bar_label(g), 13, room) for g in chart.order}
    scale_max = max(1, max((tally.total(g) for g in tally.cells), default=0))
    unit = min(UNIT_W, (room - TOTAL_ROOM) / scale_max)
    legend_items = [(_swatch(fill), chart.status_name(s)) for s, (fill, _) in chart.colours.items()]
    lines = _svg.wrap(title, TITLE_SIZE, room)
    head = 30 + 24 * (len(lines) - 1)  # the last title line's baseline
    scratch = el(None, "g")
    legend_h = _svg.legend_swatch_row(scratch, PAD, 0, legend_items, room)
    body = head + 22 + legend_h + 14
    plot_h = max(1, len(chart.order)) * (LABEL_H + BAR_H + BAR_GAP) + BAR_GAP
    bottom = body + plot_h
    axis = chart.text["axis"] if chart.by == "focus-area" else chart.text["axis_owner"]
    axis_lines = _svg.wrap(axis, 12, room)
    height = bottom + 40 + 16 * len(axis_lines) + PAD

    root = _svg.svg_root(WIDTH, round(height), f"sg-portfolio-{by}", title, desc, natural=True)
    heading = el(root, "text", x=PAD, y=30, font_size=TITLE_SIZE, font_weight="bold")
    for n, line in enumerate(lines):
        el(heading, "tspan", line, x=PAD, dy=0 if n == 0 else 24)
    legend = el(root, "g", class_="legend")
    _svg.legend_swatch_row(legend, PAD, head + 28, legend_items, room)
    _draw_axis(el(root, "g", class_="axis"), scale_max, unit, body, bottom, axis_lines)
    bars = el(root, "g", class_="bars")
    if not chart.order:
        el(bars, "text", chart.text["none"], x=PAD, y=body + 30, font_size=14, fill=_svg.MUTED)
    for n, g in enumerate(chart.order):
        y = body + BAR_GAP + n * (LABEL_H + BAR_H + BAR_GAP) + LABEL_H
        _draw_bar(bars, chart, g, bar_labels[g], unit, y)
    return _svg.to_string(root)


def _draw_axis(axis, scale_max: int, unit: float, body: float, bottom: float, name: list[str]):
    """Grid lines with their counts, the base line and its name (in lines)."""
    x0, plot_w = PAD, scale_max * unit
    step = next(s for s in (1, 2, 5, 10, 20, 50, 100) if s * unit >= 22 or s == 100)
    for tick in range(0, scale_max + 1, step):
        x = x0 + tick * unit
        el(
            axis,
            "line",
            x1=x,
            y1=body,
            x2=x,
            y2=bottom,
            stroke="#e3e8ec" if tick else "#5b6770",
            stroke_width=1,
        )
        el(axis, "text", str(tick), x=x, y=bottom + 18, text_anchor="middle", fill=_svg.MUTED)
    el(axis, "line", x1=x0, y1=bottom, x2=x0 + plot_w, y2=bottom, stroke="#5b6770", stroke_width=1)
    label = el(axis, "text", x=PAD, y=bottom + 42, font_weight="bold")
    for n, line in enumerate(name):
        el(label, "tspan", line, x=PAD, dy=0 if n == 0 else 16)


def _draw_bar(bars, chart: Chart, g: str, label: str, unit: float, y: float) -> None:
    """A bar's name above it, its segments from PAD rightwards and its total after them."""
    total = chart.tally.total(g)
    bar = el(bars, "g", class_="bar", data_iri=g, data_total=total)
    anchor = _svg.link(bar, chart.idx, g)
    el(anchor, "title", f"{chart.bar_label(g)}: {total}")
    el(anchor, "text", label, x=PAD, y=y - 5, font_size=13)
    x = PAD
    for s, (fill, ink) in chart.colours.items():
        members = chart.tally.cells[g].get(s)
        if members:
            x += _draw_segment(anchor, chart, g, s, members, x, y, unit, fill, ink)
    el(
        anchor,
        "text",
        str(total),
        x=x + 8,
        y=y + BAR_H / 2 + 5,
        fill=_svg.MUTED,
        font_weight="bold",
        class_="total",
    )


def _draw_segment(parent, chart: Chart, g, s, members, x, y, unit, fill, ink) -> float:
    """One status's part of a bar, its count on it; returns its width."""
    count = len(members)
    w = count * unit
    segment = el(parent, "g", class_="segment", data_status=s or None, data_count=count)
    numbers = chart.tally.numbers
    ids = ", ".join(sorted((numbers.get(i) or i for i in members), key=_svg.identifier_key))
    el(segment, "title", f"{chart.bar_label(g)} — {chart.status_name(s)}: {count} ({ids})")
    el(
        segment,
        "rect",
        x=x,
        y=y,
        width=w,
        height=BAR_H,
        fill=fill,
        stroke="#ffffff",
        stroke_width=1.5,
    )
    el(
        segment,
        "text",
        str(count),
        x=x + w / 2,
        y=y + BAR_H / 2 + 5,
        text_anchor="middle",
        fill=ink,
        font_weight="bold",
    )
    return w


def _swatch(fill: str):
    def draw(group, x, y):
        el(group, "rect", x=x, y=y - 8, width=26, height=16, fill=fill)

    return draw

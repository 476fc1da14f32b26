"""The portfolio: initiatives per focus area, or per owner, stacked by outcome status.

Horizontal bars (the names are long), one per focus area or owning organisation, split into
segments by outcome status in a fixed order from delivered to stopped; each segment shows its
count, each bar its total. An initiative with several owners counts once for each of them.
"""

from . import _svg
from ._svg import el, text_width

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

PAD = 30.0
BAR_H = 30.0
BAR_GAP = 14.0
UNIT_W = 64.0  # pixels per initiative
LABEL_LIMIT = 48


def _local(iri: str) -> str:
    return iri.rstrip("/").rsplit("/", 1)[-1]


def _number_key(identifier: str) -> tuple:
    return tuple(int(p) if p.isdigit() else 0 for p in identifier.split(".")) + (identifier,)


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


def portfolio(pub, lang: str, public: str, by: str = "focus-area") -> str:
    """Initiatives per focus area (by="focus-area") or per owner (by="owner"), stacked by
    outcome status, as SVG."""
    _svg.check_lang(lang)
    if by not in BY:
        raise ValueError(f"by must be one of {', '.join(BY)}, not {by!r}")
    public = _svg.normal_public(public)
    text = TEXT[lang]
    rows = _svg.memo(pub, ("portfolio",), lambda: _data(pub))
    labels = _svg.Labels(pub)

    key = "fa" if by == "focus-area" else "owner"
    # group IRI -> status IRI ("" if none) -> set of initiatives
    cells: dict[str, dict[str, set[str]]] = {}
    numbers: dict[str, str] = {}
    notations: dict[str, str] = {}
    statuses: set[str] = set()
    initiatives: set[str] = set()
    for row in rows:
        numbers[row["i"]] = row.get("id", "")
        if row.get("fa") and row.get("notation"):
            notations[row["fa"]] = row["notation"]
        group = row.get(key)
        if not group:
            continue
        status = row.get("status", "")
        statuses.add(status)
        initiatives.add(row["i"])
        cells.setdefault(group, {}).setdefault(status, set()).add(row["i"])

    known = {_local(s): s for s in statuses if s}
    status_order = [known[s] for s in STATUS_ORDER if s in known]
    status_order += sorted(s for s in statuses if s and _local(s) not in STATUS_ORDER)
    if "" in statuses:
        status_order.append("")
    colours = {}
    extra = iter(EXTRA_COLOURS * 4)
    for s in status_order:
        colours[s] = STATUS_COLOUR.get(_local(s)) or (next(extra, "#999999"), "#1f2933")

    def status_name(s: str) -> str:
        return labels(s, lang) if s else text["unknown"]

    def group_label(g: str) -> str:
        label = labels(g, lang)
        number = notations.get(g)
        if number and not label.startswith(number):
            label = f"{number} {label}"
        return label

    totals = {g: sum(len(v) for v in cells[g].values()) for g in cells}
    if by == "focus-area":
        order = sorted(cells, key=lambda g: (_number_key(notations.get(g, "")), g))
    else:
        order = sorted(cells, key=lambda g: (-totals[g], group_label(g).casefold(), g))

    details = "; ".join(
        f"{group_label(g)}: "
        + ", ".join(f"{status_name(s)} {len(cells[g][s])}" for s in status_order if s in cells[g])
        for g in order
    )
    groups_text = {"focus-area": "desc_focus", "owner": "desc_owner"}[by]
    desc = text[groups_text].format(total=len(initiatives), groups=len(order), details=details)
    title = text[by]

    bar_labels = {g: _svg.shorten(group_label(g), LABEL_LIMIT) for g in order}
    label_w = max([text_width(v, 13) for v in bar_labels.values()] + [120.0]) + 20
    top_count = max(totals.values(), default=0)
    scale_max = max(1, top_count)
    x0 = PAD + label_w
    plot_w = scale_max * UNIT_W
    legend_items = [(_swatch(colours[s][0]), status_name(s)) for s in status_order]
    width = max(x0 + plot_w + 60 + PAD, 760.0)
    scratch = el(None, "g")
    legend_h = _svg.legend_swatch_row(scratch, PAD, 0, legend_items, width - 2 * PAD)
    body = 34 + 22 + legend_h + 14
    plot_h = max(1, len(order)) * (BAR_H + BAR_GAP) + BAR_GAP
    height = body + plot_h + 58 + PAD

    root = _svg.svg_root(round(width), round(height), f"sg-portfolio-{by}", title, desc)
    el(root, "text", title, x=PAD, y=34, font_size=20, font_weight="bold")
    legend = el(root, "g", class_="legend")
    _svg.legend_swatch_row(legend, PAD, 34 + 28, legend_items, width - 2 * PAD)

    axis = el(root, "g", class_="axis")
    bottom = body + plot_h
    step = 1 if scale_max <= 15 else 5
    for tick in range(0, scale_max + 1, step):
        x = x0 + tick * UNIT_W
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
    axis_label = text["axis"] if by == "focus-area" else text["axis_owner"]
    el(
        axis,
        "text",
        axis_label,
        x=x0 + plot_w / 2,
        y=bottom + 42,
        text_anchor="middle",
        font_weight="bold",
    )

    bars = el(root, "g", class_="bars")
    if not order:
        el(bars, "text", text["none"], x=x0 + 12, y=body + 30, font_size=14, fill=_svg.MUTED)
    for n, g in enumerate(order):
        y = body + BAR_GAP + n * (BAR_H + BAR_GAP)
        bar = el(bars, "g", class_="bar", data_iri=g, data_total=totals[g])
        anchor = _svg.link(bar, g, pub.base, public)
        el(anchor, "title", f"{group_label(g)}: {totals[g]}")
        el(
            anchor,
            "text",
            bar_labels[g],
            x=x0 - 10,
            y=y + BAR_H / 2 + 5,
            text_anchor="end",
            font_size=13,
        )
        x = x0
        for s in status_order:
            members = cells[g].get(s)
            if not members:
                continue
            count = len(members)
            w = count * UNIT_W
            fill, ink = colours[s]
            segment = el(anchor, "g", class_="segment", data_status=s or None, data_count=count)
            ids = ", ".join(sorted((numbers.get(i) or i for i in members), key=_number_key))
            el(segment, "title", f"{group_label(g)} — {status_name(s)}: {count} ({ids})")
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
            x += w
        el(
            anchor,
            "text",
            str(totals[g]),
            x=x + 8,
            y=y + BAR_H / 2 + 5,
            fill=_svg.MUTED,
            font_weight="bold",
            class_="total",
        )
    return _svg.to_string(root)


def _swatch(fill: str):
    def draw(group, x, y):
        el(group, "rect", x=x, y=y - 8, width=26, height=16, fill=fill)

    return draw

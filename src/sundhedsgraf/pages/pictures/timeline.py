"""The milestones on a time axis, in rows by initiative under their focus area.

Each milestone is a marker: filled where achieved, hollow where planned, dashed and grey where
revised (a target that was missed or moved). A milestone's published date is a period (a year,
half-year, quarter, month or day: sg:periodStart to sg:periodEnd); where it is longer than a
few days a light band spans it and the marker sits in its middle. Labels stand beside the band,
and milestones of an initiative are packed into as many lanes as keep the labels apart.
"""

from dataclasses import dataclass
from datetime import date

from . import _svg
from ._svg import el, text_width

STATUS_ORDER = ("achieved", "planned", "revised")
STATUS_STYLE = {  # fill, stroke, dash, label colour
    "achieved": ("#1b7837", "#1b7837", None, _svg.INK),
    "planned": ("#ffffff", "#2166ac", None, _svg.INK),
    "revised": ("#ffffff", "#8c6d31", "2.5 2", _svg.MUTED),
}
BAND = {"achieved": "#1b7837", "planned": "#2166ac", "revised": "#8c6d31"}

TEXT = {
    "da": {
        "title": "Milepæle {first}–{last}",
        "title_focus": "Milepæle {first}–{last}: {label}",
        "desc": (
            "Tidslinje med {count} milepæle for {initiatives} indsatser på en tidsakse fra "
            "{first} til {last}, i rækker efter indsats og indsatsområde: {counts}. Fyldt "
            "markør: nået; hul: planlagt; stiplet: revideret. Et lyst bånd viser den periode, "
            "den publicerede dato kan betyde (år, halvår, kvartal, måned). Hver milepæl linker "
            "til sin side."
        ),
        "strategy": "Strategiperioden 2018–2024",
        "band": "Periode, datoen kan betyde",
        "none": "Ingen milepæle.",
        "other": "Uden indsats",
        "published": "publiceret som",
        "of": "milepæl for",
    },
    "en": {
        "title": "Milestones {first}–{last}",
        "title_focus": "Milestones {first}–{last}: {label}",
        "desc": (
            "Timeline of {count} milestones of {initiatives} initiatives on a time axis from "
            "{first} to {last}, in rows by initiative and focus area: {counts}. Filled marker: "
            "achieved; hollow: planned; dashed: revised. A light band shows the period the "
            "published date can mean (year, half-year, quarter, month). Every milestone links "
            "to its page."
        ),
        "strategy": "Strategy period 2018–2024",
        "band": "Period the date can mean",
        "none": "No milestones.",
        "other": "Without initiative",
        "published": "published as",
        "of": "milestone of",
    },
}
FALLBACK_STATUS = {
    "da": {"achieved": "nået", "planned": "planlagt", "revised": "revideret"},
    "en": {"achieved": "achieved", "planned": "planned", "revised": "revised"},
}

YEAR_W = 150.0
LANE_H = 22.0
HEADER_H = 30.0
PAD = 30.0
LABEL_LIMIT = 44
ROW_LABEL_LIMIT = 46
MARKER_R = 6.0
LABEL_MARGIN = 300.0  # room right of the axis for the labels of the last milestones


@dataclass
class Milestone:
    iri: str
    status: str  # achieved | planned | revised (the concept's last segment)
    status_iri: str
    precision: str | None
    start: date
    end: date
    initiative: str | None
    of: str | None  # what it is a milestone of (an initiative or a project)
    published: str


@dataclass(frozen=True)
class Spot:
    """Where a milestone is drawn: marker at `xm`, band `xs`–`xe`, label at `tx` (anchored
    `anchor`), in pixels from the start of the time axis."""

    m: Milestone
    label: str
    xm: float
    xs: float
    xe: float
    tx: float
    anchor: str


def _local(iri: str) -> str:
    return iri.rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1]


def _number_key(identifier: str) -> tuple:
    return tuple(int(p) if p.isdigit() else 0 for p in identifier.split(".")) + (identifier,)


def _data(pub) -> dict:
    rows = _svg.select(
        pub,
        """SELECT ?m ?status ?prec ?start ?end ?of ?when WHERE {
            ?m a sg:Milestone ; sg:milestoneStatus ?status ;
               sg:periodStart ?start ; sg:periodEnd ?end .
            OPTIONAL { ?m sg:datePrecision ?prec }
            OPTIONAL { ?m sg:milestoneOf ?of }
            OPTIONAL { ?m sg:dateAsPublished ?when } }""",
    )
    derived = _svg.select(
        pub,
        """SELECT ?m ?i WHERE {
            ?m a sg:Milestone .
            { ?m prov:wasDerivedFrom ?i } UNION { ?m sg:milestoneOf/dcterms:isPartOf* ?i }
            ?i a sg:Initiative }""",
    )
    initiatives = {
        row["i"]: (row["id"], row.get("fa"))
        for row in _svg.select(
            pub,
            """SELECT ?i ?id ?fa WHERE {
                ?i a sg:Initiative ; dcterms:identifier ?id . OPTIONAL { ?i sg:focusArea ?fa } }""",
        )
    }
    focus_areas = {
        row["fa"]: row.get("n", "")
        for row in _svg.select(
            pub, "SELECT ?fa ?n WHERE { ?fa a sg:FocusArea OPTIONAL { ?fa skos:notation ?n } }"
        )
    }
    owner: dict[str, str] = {}
    for row in sorted(derived, key=lambda r: (r["m"], _number_key(initiatives[r["i"]][0]))):
        owner.setdefault(row["m"], row["i"])
    milestones: dict[str, Milestone] = {}
    for row in sorted(rows, key=lambda r: tuple(sorted(r.items()))):
        if row["m"] in milestones:
            continue
        try:
            start = date.fromisoformat(row["start"][:10])
            end = date.fromisoformat(row["end"][:10])
        except ValueError:
            continue
        milestones[row["m"]] = Milestone(
            row["m"],
            _local(row["status"]),
            row["status"],
            row.get("prec"),
            min(start, end),
            max(start, end),
            owner.get(row["m"]),
            row.get("of"),
            row.get("when", ""),
        )
    return {"milestones": milestones, "initiatives": initiatives, "focus_areas": focus_areas}


def _x_of(day: date, first: int) -> float:
    start = date(day.year, 1, 1)
    length = (date(day.year + 1, 1, 1) - start).days
    return (day.year - first + (day - start).days / length) * YEAR_W


def timeline(pub, lang: str, public: str, focus_area: str | None = None) -> str:
    """The milestones on a time axis as SVG, all or those of one focus area's initiatives."""
    _svg.check_lang(lang)
    public = _svg.normal_public(public)
    text = TEXT[lang]
    data = _svg.memo(pub, ("timeline",), lambda: _data(pub))
    labels = _svg.Labels(pub)
    initiatives = data["initiatives"]
    milestones = [
        m
        for m in data["milestones"].values()
        if focus_area is None or (m.initiative and initiatives[m.initiative][1] == focus_area)
    ]
    first = min([2018] + [m.start.year for m in milestones])
    last = max([2026] + [m.end.year for m in milestones])
    years = last - first + 1

    def status_label(m: Milestone) -> str:
        found = labels(m.status_iri, lang)
        return (
            found if found != _local(m.status_iri) else FALLBACK_STATUS[lang].get(m.status, found)
        )

    def initiative_label(iri: str) -> str:
        number = initiatives.get(iri, ("", None))[0]
        label = labels(iri, lang)
        return label if not number or label.startswith(number) else f"{number} {label}"

    # Groups: focus area (by notation) → initiative (by number) → milestones.
    groups: dict[str | None, dict[str | None, list[Milestone]]] = {}
    for m in milestones:
        fa = initiatives[m.initiative][1] if m.initiative else None
        groups.setdefault(fa, {}).setdefault(m.initiative, []).append(m)
    fa_order = sorted(
        groups,
        key=lambda f: (f is None, _number_key(data["focus_areas"].get(f, "") or ""), f or ""),
    )

    row_labels = {
        i: _svg.shorten(initiative_label(i), ROW_LABEL_LIMIT) if i else text["other"]
        for f in groups
        for i in groups[f]
    }
    label_w = max([text_width(v) for v in row_labels.values()] + [200.0]) + 24
    axis_w = years * YEAR_W
    x0 = PAD + label_w  # where the time axis starts

    # Lanes: each milestone occupies its band plus its label; first fit, in time order.
    placed = []  # (fa, initiative, lanes: list of [Spot])
    for fa in fa_order:
        for ini in sorted(
            groups[fa], key=lambda i: (i is None, _number_key(initiatives.get(i, ("",))[0]))
        ):
            lanes: list[list] = []
            ends: list[float] = []
            for m in sorted(groups[fa][ini], key=lambda m: (m.start, m.end, m.iri)):
                xs, xe = (
                    _x_of(m.start, first),
                    _x_of(date.fromordinal(m.end.toordinal() + 1), first),
                )
                xm = (xs + xe) / 2
                label = _svg.shorten(labels(m.iri, lang), LABEL_LIMIT)
                w = text_width(label)
                right = max(xe, xm + MARKER_R)
                if right + 8 + w <= axis_w + LABEL_MARGIN:
                    tx, anchor, lo, hi = right + 6, "start", min(xs, xm - MARKER_R), right + 8 + w
                else:
                    left = min(xs, xm - MARKER_R)
                    tx, anchor, lo, hi = left - 6, "end", left - 8 - w, right
                spot = Spot(m, label, xm, xs, xe, tx, anchor)
                for n, end in enumerate(ends):
                    if end + 10 <= lo:
                        lanes[n].append(spot)
                        ends[n] = hi
                        break
                else:
                    lanes.append([spot])
                    ends.append(hi)
            placed.append((fa, ini, lanes))

    counts = {s: sum(1 for m in milestones if m.status == s) for s in STATUS_ORDER}
    status_names = {}
    for m in milestones:
        status_names.setdefault(m.status, status_label(m))
    for s in STATUS_ORDER:
        status_names.setdefault(s, FALLBACK_STATUS[lang][s])
    count_text = ", ".join(f"{status_names[s]} {counts[s]}" for s in STATUS_ORDER)

    def tooltip(m: Milestone) -> str:
        """Name, status, the date as published and what the milestone belongs to."""
        when = m.start.isoformat()
        when += "" if m.start == m.end else f" – {m.end.isoformat()}"
        parts = [labels(m.iri, lang), status_names.get(m.status, m.status)]
        parts.append(f"{text['published']} “{m.published}” ({when})" if m.published else when)
        if m.of:
            of = initiative_label(m.of) if m.of == m.initiative else labels(m.of, lang)
            parts.append(f"{text['of']} {of}")
        return " — ".join(parts)

    n_ini = len({m.initiative for m in milestones if m.initiative})
    fa_label = labels(focus_area, lang) if focus_area else ""
    if focus_area:
        title = text["title_focus"].format(first=first, last=last, label=fa_label)
    else:
        title = text["title"].format(first=first, last=last)
    desc = text["desc"].format(
        count=len(milestones), initiatives=n_ini, first=first, last=last, counts=count_text
    )

    # Legend.
    legend_items = [(_marker_swatch(s), status_names[s]) for s in STATUS_ORDER]
    legend_items.append((_band_swatch(), text["band"]))
    legend_items.append((_strategy_swatch(), text["strategy"]))
    label_ends = [
        x0 + max(spot.tx + (text_width(spot.label) if spot.anchor == "start" else 0), spot.xe)
        for _fa, _ini, lanes in placed
        for lane in lanes
        for spot in lane
    ]
    width = max([x0 + axis_w] + label_ends) + PAD
    scratch = el(None, "g")
    legend_h = _svg.legend_swatch_row(scratch, PAD, 0, legend_items, width - 2 * PAD)
    top = 34 + 14 + legend_h + 10  # the axis labels' line
    body = top + 24  # the first row
    height_rows = sum(
        (HEADER_H if n == 0 or placed[n - 1][0] != fa else 0) + max(1, len(lanes)) * LANE_H + 8
        for n, (fa, _ini, lanes) in enumerate(placed)
    )
    if not placed:
        height_rows = 60
    height = body + height_rows + 34 + PAD

    root = _svg.svg_root(round(width), round(height), "sg-timeline", title, desc)
    el(root, "text", title, x=PAD, y=34, font_size=20, font_weight="bold")
    legend = el(root, "g", class_="legend")
    _svg.legend_swatch_row(legend, PAD, 34 + 26, legend_items, width - 2 * PAD)

    # Layers: row backgrounds, then the time axis, then the rows' labels and milestones.
    background = el(root, "g", class_="background")
    axis = el(root, "g", class_="axis")
    bottom = body + height_rows
    s0 = x0 + _x_of(date(2018, 1, 1), first)
    s1 = x0 + _x_of(date(2025, 1, 1), first)
    el(
        axis,
        "rect",
        x=s0,
        y=body - 4,
        width=s1 - s0,
        height=bottom - body + 8,
        fill="#3b82c4",
        fill_opacity=0.09,
    )
    for n in range(years + 1):
        x = x0 + n * YEAR_W
        el(axis, "line", x1=x, y1=top - 16, x2=x, y2=bottom + 6, stroke="#c3ccd4", stroke_width=1)
        for q in (1, 2, 3):
            if n < years:
                xq = x + q * YEAR_W / 4
                el(axis, "line", x1=xq, y1=body, x2=xq, y2=bottom, stroke="#e3e8ec", stroke_width=1)
        if n < years:
            year = str(first + n)
            for ty in (top, bottom + 22):
                el(
                    axis,
                    "text",
                    year,
                    x=x + YEAR_W / 2,
                    y=ty,
                    text_anchor="middle",
                    font_weight="bold",
                    fill=_svg.MUTED,
                )

    rows = el(root, "g", class_="rows")
    y = body
    shade = False
    if not placed:
        el(rows, "text", text["none"], x=x0 + 12, y=y + 30, font_size=14, fill=_svg.MUTED)
    for n, (fa, ini, lanes) in enumerate(placed):
        if n == 0 or placed[n - 1][0] != fa:
            header = el(rows, "g", class_="focus-area", data_iri=fa)
            el(
                background,
                "rect",
                x=PAD,
                y=y + 4,
                width=width - 2 * PAD,
                height=HEADER_H - 6,
                fill="#e3e8ec",
            )
            anchor = _svg.link(header, fa, pub.base, public) if fa else el(header, "g")
            number = data["focus_areas"].get(fa, "") if fa else ""
            name = labels(fa, lang) if fa else text["other"]
            heading = f"{number} {name}".strip() if number and not name.startswith(number) else name
            el(anchor, "title", heading)
            el(anchor, "text", heading, x=PAD + 8, y=y + 21, font_weight="bold", font_size=13)
            y += HEADER_H
        row_h = max(1, len(lanes)) * LANE_H + 8
        group = el(rows, "g", class_="initiative", data_iri=ini)
        if shade:
            el(background, "rect", x=PAD, y=y, width=width - 2 * PAD, height=row_h, fill="#f3f5f7")
        shade = not shade
        label_anchor = _svg.link(group, ini, pub.base, public) if ini else el(group, "g")
        if ini:
            el(label_anchor, "title", initiative_label(ini))
        el(label_anchor, "text", row_labels[ini], x=PAD + 8, y=y + 4 + LANE_H / 2 + 4)
        for k, lane in enumerate(lanes):
            cy = y + 4 + k * LANE_H + LANE_H / 2
            for spot in lane:
                link = _svg.link(milestone_group(group, spot.m), spot.m.iri, pub.base, public)
                el(link, "title", tooltip(spot.m))
                _draw_milestone(link, spot, x0, cy)
        y += row_h
    return _svg.to_string(root)


def milestone_group(parent, m: Milestone):
    """The group of one milestone, with what a test or a script may select it by."""
    return el(
        parent,
        "g",
        class_="milestone",
        data_iri=m.iri,
        data_status=m.status,
        data_start=m.start.isoformat(),
        data_end=m.end.isoformat(),
        data_precision=_local(m.precision) if m.precision else None,
    )


def _draw_milestone(link, spot: Spot, x0: float, cy: float) -> None:
    """The band of the period the date can mean, the marker and the label of `spot`."""
    status = spot.m.status
    fill, stroke, dash, ink = STATUS_STYLE.get(status, STATUS_STYLE["planned"])
    if spot.xe - spot.xs > 2 * MARKER_R:
        el(
            link,
            "rect",
            x=x0 + spot.xs,
            y=cy - 4,
            width=spot.xe - spot.xs,
            height=8,
            rx=4,
            fill=BAND.get(status, "#777777"),
            fill_opacity=0.22,
        )
    el(
        link,
        "circle",
        cx=x0 + spot.xm,
        cy=cy,
        r=MARKER_R,
        fill=fill,
        stroke=stroke,
        stroke_width=2,
        stroke_dasharray=dash,
    )
    el(
        link,
        "text",
        spot.label,
        x=x0 + spot.tx,
        y=cy + 4,
        text_anchor=spot.anchor if spot.anchor != "start" else None,
        fill=ink,
        font_size=11.5,
        font_style="italic" if status == "revised" else None,
    )


def _marker_swatch(status: str):
    fill, stroke, dash, _ink = STATUS_STYLE[status]

    def draw(group, x, y):
        el(
            group,
            "circle",
            cx=x + 13,
            cy=y,
            r=MARKER_R,
            fill=fill,
            stroke=stroke,
            stroke_width=2,
            stroke_dasharray=dash,
        )

    return draw


def _band_swatch():
    def draw(group, x, y):
        el(
            group,
            "rect",
            x=x,
            y=y - 4,
            width=26,
            height=8,
            rx=4,
            fill=BAND["planned"],
            fill_opacity=0.22,
        )

    return draw


def _strategy_swatch():
    def draw(group, x, y):
        el(
            group,
            "rect",
            x=x,
            y=y - 8,
            width=26,
            height=16,
            fill="#3b82c4",
            fill_opacity=0.09,
            stroke="#c3ccd4",
        )

    return draw

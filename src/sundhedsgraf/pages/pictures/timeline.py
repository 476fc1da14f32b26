"""The milestones on a time axis, in rows by initiative under their focus area.

Each milestone is a marker: filled where achieved, hollow where planned, dashed and grey where
revised (a target that was missed or moved). A milestone's published date is a period (a year,
half-year, quarter, month or day: sg:periodStart to sg:periodEnd); where it is longer than a
few days a light band spans it and the marker sits in its middle. Labels stand beside the band,
and milestones of an initiative are packed into as many lanes as keep the labels apart.
"""

from dataclasses import dataclass
from datetime import date

from sundhedsgraf.pages.labels import Index

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
    key = _svg.identifier_key
    for row in sorted(derived, key=lambda r: (r["m"], key(initiatives[r["i"]][0]))):
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


@dataclass
class Names:
    """How the timeline names things in `lang`."""

    idx: Index
    lang: str
    initiatives: dict[str, tuple]  # IRI -> (published number, focus area IRI or None)
    focus_areas: dict[str, str]  # IRI -> notation
    statuses: dict[str, str]  # achieved | planned | revised | … -> its name

    @property
    def text(self) -> dict:
        return TEXT[self.lang]

    def label(self, iri: str) -> str:
        return self.idx.label(iri, self.lang)

    def initiative(self, iri: str) -> str:
        """The label after the published number."""
        number = self.initiatives.get(iri, ("", None))[0]
        label = self.label(iri)
        return label if not number or label.startswith(number) else f"{number} {label}"

    def focus_area(self, fa: str | None) -> str:
        """The label after the notation; the name of the group of milestones without one."""
        if not fa:
            return self.text["other"]
        number, name = self.focus_areas.get(fa, ""), self.label(fa)
        return f"{number} {name}".strip() if number and not name.startswith(number) else name

    def tooltip(self, m: Milestone) -> str:
        """Name, status, the date as published and what the milestone belongs to."""
        when = m.start.isoformat()
        when += "" if m.start == m.end else f" – {m.end.isoformat()}"
        parts = [self.label(m.iri), self.statuses.get(m.status, m.status)]
        parts.append(f"{self.text['published']} “{m.published}” ({when})" if m.published else when)
        if m.of:
            of = self.initiative(m.of) if m.of == m.initiative else self.label(m.of)
            parts.append(f"{self.text['of']} {of}")
        return " — ".join(parts)


def _status_names(milestones: list[Milestone], idx: Index, lang: str) -> dict[str, str]:
    """The name of each status: its label, else (unlabelled) our own word for it."""
    names = {}
    for m in milestones:
        if m.status_iri in idx.labels:
            names.setdefault(m.status, idx.label(m.status_iri, lang))
        else:
            names.setdefault(m.status, FALLBACK_STATUS[lang].get(m.status, m.status))
    for s in STATUS_ORDER:
        names.setdefault(s, FALLBACK_STATUS[lang][s])
    return names


@dataclass
class Row:
    """An initiative's milestones, packed into lanes."""

    focus_area: str | None
    initiative: str | None
    label: str  # of the initiative, shortened
    lanes: list[list[Spot]]
    header: bool  # the first row of its focus area, under its heading

    @property
    def height(self) -> float:
        return max(1, len(self.lanes)) * LANE_H + 8


@dataclass
class Frame:
    """The measures of the drawing, in pixels."""

    first: int  # the first year on the axis
    years: int
    x0: float  # where the time axis starts
    width: float
    height: float
    top: float  # the line of the axis's year labels
    body: float  # the top of the first row
    bottom: float  # the bottom of the last row


def timeline(pub, lang: str, public: str, focus_area: str | None = None) -> str:
    """The milestones on a time axis as SVG, all or those of one focus area's initiatives."""
    _svg.check_lang(lang)
    data = pub.cache.get((_data,), lambda: _data(pub))
    initiatives = data["initiatives"]
    milestones = [
        m
        for m in data["milestones"].values()
        if focus_area is None or (m.initiative and initiatives[m.initiative][1] == focus_area)
    ]
    first = min([2018] + [m.start.year for m in milestones])
    last = max([2026] + [m.end.year for m in milestones])
    idx = _svg.index(pub, public)
    statuses = _status_names(milestones, idx, lang)
    names = Names(idx, lang, initiatives, data["focus_areas"], statuses)
    rows = _rows(milestones, names, first, (last - first + 1) * YEAR_W)
    title, desc = _title_and_desc(names, milestones, focus_area, first, last)
    legend_items = [(_marker_swatch(s), statuses[s]) for s in STATUS_ORDER]
    legend_items.append((_band_swatch(), names.text["band"]))
    legend_items.append((_strategy_swatch(), names.text["strategy"]))
    frame = _frame(rows, legend_items, first, last)

    root = _svg.svg_root(round(frame.width), round(frame.height), "sg-timeline", title, desc)
    el(root, "text", title, x=PAD, y=34, font_size=20, font_weight="bold")
    legend = el(root, "g", class_="legend")
    _svg.legend_swatch_row(legend, PAD, 34 + 26, legend_items, frame.width - 2 * PAD)
    # Layers: row backgrounds, then the time axis, then the rows' labels and milestones.
    background = el(root, "g", class_="background")
    _draw_axis(el(root, "g", class_="axis"), frame)
    _draw_rows(el(root, "g", class_="rows"), background, rows, names, frame)
    return _svg.to_string(root)


def _title_and_desc(
    names: Names, milestones: list[Milestone], focus_area: str | None, first: int, last: int
) -> tuple[str, str]:
    text = names.text
    counts = {s: sum(1 for m in milestones if m.status == s) for s in STATUS_ORDER}
    count_text = ", ".join(f"{names.statuses[s]} {counts[s]}" for s in STATUS_ORDER)
    n_ini = len({m.initiative for m in milestones if m.initiative})
    if focus_area:
        title = text["title_focus"].format(first=first, last=last, label=names.label(focus_area))
    else:
        title = text["title"].format(first=first, last=last)
    desc = text["desc"].format(
        count=len(milestones), initiatives=n_ini, first=first, last=last, counts=count_text
    )
    return title, desc


def _rows(milestones: list[Milestone], names: Names, first: int, axis_w: float) -> list[Row]:
    """A row per initiative, grouped by focus area (by notation), initiatives by number."""
    groups: dict[str | None, dict[str | None, list[Milestone]]] = {}
    for m in milestones:
        fa = names.initiatives[m.initiative][1] if m.initiative else None
        groups.setdefault(fa, {}).setdefault(m.initiative, []).append(m)
    key = _svg.identifier_key
    rows = []
    for fa in sorted(groups, key=lambda f: (f is None, key(names.focus_areas.get(f, "")), f or "")):
        for n, ini in enumerate(
            sorted(groups[fa], key=lambda i: (i is None, key(names.initiatives.get(i, ("",))[0])))
        ):
            if ini:
                label = _svg.truncate(names.initiative(ini), ROW_LABEL_LIMIT)
            else:
                label = names.text["other"]
            lanes = _lanes(groups[fa][ini], names, first, axis_w)
            rows.append(Row(fa, ini, label, lanes, header=n == 0))
    return rows


def _lanes(milestones: list[Milestone], names: Names, first: int, axis_w: float) -> list:
    """Lanes of Spots: each milestone occupies its band plus its label; first fit, in time
    order."""
    lanes: list[list[Spot]] = []
    ends: list[float] = []
    for m in sorted(milestones, key=lambda m: (m.start, m.end, m.iri)):
        spot, lo, hi = _spot(m, _svg.truncate(names.label(m.iri), LABEL_LIMIT), first, axis_w)
        for n, end in enumerate(ends):
            if end + 10 <= lo:
                lanes[n].append(spot)
                ends[n] = hi
                break
        else:
            lanes.append([spot])
            ends.append(hi)
    return lanes


def _spot(m: Milestone, label: str, first: int, axis_w: float) -> tuple[Spot, float, float]:
    """Where `m` goes, and the span it takes (band, marker and label): the label right of the
    band, or left of it where the right runs out of room."""
    xs = _x_of(m.start, first)
    xe = _x_of(date.fromordinal(m.end.toordinal() + 1), first)
    xm = (xs + xe) / 2
    w = text_width(label)
    right = max(xe, xm + MARKER_R)
    if right + 8 + w <= axis_w + LABEL_MARGIN:
        tx, anchor, lo, hi = right + 6, "start", min(xs, xm - MARKER_R), right + 8 + w
    else:
        left = min(xs, xm - MARKER_R)
        tx, anchor, lo, hi = left - 6, "end", left - 8 - w, right
    return Spot(m, label, xm, xs, xe, tx, anchor), lo, hi


def _frame(rows: list[Row], legend_items: list, first: int, last: int) -> Frame:
    """Room for the row labels, the axis, the labels past its end, the legend and the rows."""
    years = last - first + 1
    label_w = max([text_width(r.label) for r in rows] + [200.0]) + 24
    x0 = PAD + label_w
    label_ends = [
        x0 + max(spot.tx + (text_width(spot.label) if spot.anchor == "start" else 0), spot.xe)
        for row in rows
        for lane in row.lanes
        for spot in lane
    ]
    width = max([x0 + years * YEAR_W] + label_ends) + PAD
    scratch = el(None, "g")
    legend_h = _svg.legend_swatch_row(scratch, PAD, 0, legend_items, width - 2 * PAD)
    top = 34 + 14 + legend_h + 10
    body = top + 24
    height_rows = sum((HEADER_H if r.header else 0) + r.height for r in rows) if rows else 60
    height = body + height_rows + 34 + PAD
    return Frame(first, years, x0, width, height, top, body, body + height_rows)


def _draw_axis(axis, f: Frame) -> None:
    """The strategy period, the years and their quarters."""
    s0 = f.x0 + _x_of(date(2018, 1, 1), f.first)
    s1 = f.x0 + _x_of(date(2025, 1, 1), f.first)
    el(
        axis,
        "rect",
        x=s0,
        y=f.body - 4,
        width=s1 - s0,
        height=f.bottom - f.body + 8,
        fill="#3b82c4",
        fill_opacity=0.09,
    )
    for n in range(f.years + 1):
        x = f.x0 + n * YEAR_W
        el(
            axis,
            "line",
            x1=x,
            y1=f.top - 16,
            x2=x,
            y2=f.bottom + 6,
            stroke="#c3ccd4",
            stroke_width=1,
        )
        if n == f.years:
            break
        for q in (1, 2, 3):
            xq = x + q * YEAR_W / 4
            el(axis, "line", x1=xq, y1=f.body, x2=xq, y2=f.bottom, stroke="#e3e8ec", stroke_width=1)
        for ty in (f.top, f.bottom + 22):
            el(
                axis,
                "text",
                str(f.first + n),
                x=x + YEAR_W / 2,
                y=ty,
                text_anchor="middle",
                font_weight="bold",
                fill=_svg.MUTED,
            )


def _draw_rows(layer, background, rows: list[Row], names: Names, f: Frame) -> None:
    """Under each focus area's heading, its initiatives' rows, every other one shaded."""
    y = f.body
    if not rows:
        el(layer, "text", names.text["none"], x=f.x0 + 12, y=y + 30, font_size=14, fill=_svg.MUTED)
    for n, row in enumerate(rows):
        if row.header:
            el(
                background,
                "rect",
                x=PAD,
                y=y + 4,
                width=f.width - 2 * PAD,
                height=HEADER_H - 6,
                fill="#e3e8ec",
            )
            heading = el(layer, "g", class_="focus-area", data_iri=row.focus_area)
            _draw_heading(heading, names, row.focus_area, y)
            y += HEADER_H
        if n % 2:
            el(
                background,
                "rect",
                x=PAD,
                y=y,
                width=f.width - 2 * PAD,
                height=row.height,
                fill="#f3f5f7",
            )
        _draw_row(el(layer, "g", class_="initiative", data_iri=row.initiative), names, row, f.x0, y)
        y += row.height


def _draw_heading(group, names: Names, fa: str | None, y: float) -> None:
    anchor = _svg.link(group, names.idx, fa) if fa else el(group, "g")
    heading = names.focus_area(fa)
    el(anchor, "title", heading)
    el(anchor, "text", heading, x=PAD + 8, y=y + 21, font_weight="bold", font_size=13)


def _draw_row(group, names: Names, row: Row, x0: float, y: float) -> None:
    """The initiative's name, then its milestones lane by lane."""
    ini = row.initiative
    label_anchor = _svg.link(group, names.idx, ini) if ini else el(group, "g")
    if ini:
        el(label_anchor, "title", names.initiative(ini))
    el(label_anchor, "text", row.label, x=PAD + 8, y=y + 4 + LANE_H / 2 + 4)
    for k, lane in enumerate(row.lanes):
        cy = y + 4 + k * LANE_H + LANE_H / 2
        for spot in lane:
            link = _svg.link(milestone_group(group, spot.m), names.idx, spot.m.iri)
            el(link, "title", names.tooltip(spot.m))
            _draw_milestone(link, spot, x0, cy)


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

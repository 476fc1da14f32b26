"""What the three pictures share: SVG elements built with ElementTree, text, links, queries.

Every value from the data reaches the SVG as element text or an attribute value through
ElementTree, which escapes it; characters XML cannot carry are dropped first. Nothing here
writes markup by string concatenation. Names and links come from the pages' one labelling
service (`pages.labels.Index`), so a resource is called the same in a picture and on its page.
"""

import re
import xml.etree.ElementTree as ET

from sundhedsgraf.namespaces import prefixes
from sundhedsgraf.pages import i18n, labels
from sundhedsgraf.pages.labels import Index

SVG_NS = "http://www.w3.org/2000/svg"
FONT = "DejaVu Sans, Verdana, Arial, Helvetica, sans-serif"
INK = "#1f2933"
MUTED = "#5b6770"

# Characters XML 1.0 cannot carry (and lone surrogates): dropped from any text from the data.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def check_lang(lang: str) -> str:
    if lang not in i18n.LANGUAGES:
        raise ValueError(f"lang must be one of {', '.join(i18n.LANGUAGES)}, not {lang!r}")
    return lang


def clean(text: str) -> str:
    return _NOT_XML.sub("", text)


def fmt(value) -> str:
    """An attribute value: numbers with at most one decimal, so output is stable and small."""
    if isinstance(value, float):
        text = f"{value:.1f}"
        return text[:-2] if text.endswith(".0") else text
    return clean(str(value))


def el(parent: ET.Element | None, tag: str, text: str | None = None, **attrs) -> ET.Element:
    """An SVG element; `class_` → class, `stroke_width` → stroke-width; None values left out."""
    names = {k: v for k, v in attrs.items() if v is not None}
    attributes = {k.rstrip("_").replace("_", "-"): fmt(v) for k, v in names.items()}
    node = ET.Element(tag, attributes) if parent is None else ET.SubElement(parent, tag, attributes)
    if text is not None:
        node.text = clean(text)
    return node


def svg_root(
    width: float, height: float, ident: str, title: str, desc: str, natural: bool = False
) -> ET.Element:
    """The root: it scales to its frame (a viewBox, no fixed size: the page's stylesheet gives
    the width), or with `natural` keeps one unit a CSS pixel (width and height given: a picture
    too large to read scaled down, shown in a frame that scrolls); a titled and described group
    for assistive technology whose nodes are links (not role img, whose children would be
    hidden and could not be focused)."""
    size = {"width": round(width), "height": round(height)} if natural else {}
    root = el(
        None,
        "svg",
        xmlns=SVG_NS,
        viewBox=f"0 0 {fmt(float(width))} {fmt(float(height))}",
        **size,
        role="group",
        aria_labelledby=f"{ident}-title {ident}-desc",
        font_family=FONT,
        font_size=12,
        fill=INK,
    )
    el(root, "title", title, id=f"{ident}-title")
    el(root, "desc", desc, id=f"{ident}-desc")
    el(root, "rect", x=0, y=0, width=float(width), height=float(height), fill="#ffffff")
    return root


def to_string(root: ET.Element) -> str:
    return ET.tostring(root, encoding="unicode", short_empty_elements=True)


# Approximate advance widths (in em) of DejaVu Sans, the widest of the fonts named in FONT, so a
# box sized by these holds its text in any of them.
_NARROW = set("fijlrtI.,:;'!|()[]{} `")
_WIDE = set("mwMWÆæŒœ@%")


def text_width(text: str, size: float = 12) -> float:
    width = 0.0
    for char in text:
        if char in _NARROW:
            width += 0.36
        elif char in _WIDE:
            width += 0.95
        elif char.isupper() or char.isdigit():
            width += 0.72 if char.isupper() else 0.64
        else:
            width += 0.61
    return width * size


def truncate(text: str, limit: int) -> str:
    """`text` on one line, cut to at most `limit` characters with an ellipsis."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def fit(text: str, size: float, room: float) -> str:
    """`text` on one line, cut with an ellipsis to at most `room` wide at font `size`."""
    text = " ".join(text.split())
    while text_width(text, size) > room and len(text) > 1:
        text = text[:-2].rstrip() + "…"
    return text


def wrap(text: str, size: float, room: float) -> list[str]:
    """`text` in lines at most `room` wide at font `size` (a word wider than that alone)."""
    lines: list[str] = []
    for word in text.split():
        if lines and text_width(lines[-1] + " " + word, size) <= room:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines or [""]


def identifier_key(identifier: str) -> tuple:
    """Sort published numbers such as "2.10" after "2.9"."""
    return tuple(int(p) if p.isdigit() else 0 for p in identifier.split(".")) + (identifier,)


def index(pub, public: str) -> Index:
    """The build's labels and links, the same Index the pages under `public` use."""
    return labels.index(pub, public if public.endswith("/") else public + "/")


def link(parent: ET.Element, idx: Index, iri: str) -> ET.Element:
    """An <a> to our page about `iri` where it has one; else a plain group (a picture links to
    no other site)."""
    url, internal = idx.href(iri)
    return el(parent, "a", href=url) if internal else el(parent, "g")


def select(pub, query: str) -> list[dict[str, str]]:
    """Rows of a SELECT over the union of the build's own graphs (not the linked datasets: a
    register's million typed units would be read for every picture), as plain strings."""
    prologue = "".join(f"PREFIX {name}: <{ns}>\n" for name, ns in prefixes(pub.base).items())
    solutions = pub.store.query(prologue + query, default_graph=list(pub.own_graphs))
    names = [v.value for v in solutions.variables]
    return [{n: s[n].value for n in names if s[n] is not None} for s in solutions]


def legend_swatch_row(
    parent: ET.Element, x: float, y: float, items: list[tuple], max_width: float
) -> float:
    """Lay out legend items (draw(g, x, y) -> width, label) left to right, wrapping; return the
    height used."""
    cx, cy = x, y
    line = 22
    for draw, label in items:
        need = 34 + text_width(label, 12) + 22
        if cx > x and cx + need > x + max_width:
            cx, cy = x, cy + line
        group = el(parent, "g", class_="legend-item")
        draw(group, cx, cy)
        el(group, "text", label, x=cx + 34, y=cy + 4)
        cx += need
    return cy - y + line

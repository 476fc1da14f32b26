"""What the three pictures share: SVG elements built with ElementTree, text, labels, links.

Every value from the data reaches the SVG as element text or an attribute value through
ElementTree, which escapes it; characters XML cannot carry are dropped first. Nothing here
writes markup by string concatenation.
"""

import re
import xml.etree.ElementTree as ET
from urllib.parse import quote

import pyoxigraph as ox

SVG_NS = "http://www.w3.org/2000/svg"
LANGS = ("da", "en")
FONT = "DejaVu Sans, Verdana, Arial, Helvetica, sans-serif"
INK = "#1f2933"
MUTED = "#5b6770"

PREFIXES = """
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX org: <http://www.w3.org/ns/org#>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
"""


def vocabulary(pub) -> str:
    """The sg: namespace of this build (the build rewrites it with the base IRI)."""
    return pub.base + "def#"


# Characters XML 1.0 cannot carry (and lone surrogates): dropped from any text from the data.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def check_lang(lang: str) -> str:
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {', '.join(LANGS)}, not {lang!r}")
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


def svg_root(width: float, height: float, ident: str, title: str, desc: str) -> ET.Element:
    """The root: scalable (viewBox), an image for assistive technology, titled and described."""
    root = el(
        None,
        "svg",
        xmlns=SVG_NS,
        viewBox=f"0 0 {fmt(float(width))} {fmt(float(height))}",
        width=float(width),
        height=float(height),
        role="img",
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


def shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def doc_link(iri: str, base: str, public: str) -> str | None:
    """Our HTML page about a resource: public + doc/ + the path after base + id/; else None."""
    prefix = base + "id/"
    if not iri.startswith(prefix):
        return None
    return public + "doc/" + quote(iri[len(prefix) :], safe="/-._~!$&'()*+,;=:@%")


def normal_public(public: str) -> str:
    return public if public.endswith("/") else public + "/"


def link(parent: ET.Element, iri: str, base: str, public: str) -> ET.Element:
    """An <a> to the resource's page where it has one; else a plain group."""
    href = doc_link(iri, base, public)
    return el(parent, "a", href=href) if href else el(parent, "g")


def select(pub, query: str) -> list[dict[str, str]]:
    """Rows of a SELECT over the union of the build's graphs, as plain strings."""
    rows = []
    prefixes = PREFIXES + f"PREFIX sg: <{vocabulary(pub)}>\n"
    solutions = pub.store.query(prefixes + query, use_default_graph_as_union=True)
    names = [v.value for v in solutions.variables]
    for solution in solutions:
        row = {}
        for name in names:
            term = solution[name]
            if term is not None:
                row[name] = term.value
        rows.append(row)
    return rows


def memo(pub, key: tuple, compute):
    """Derived data remembered on the publication (one build, so never stale)."""
    return pub.cache.get((memo, *key), compute)


class Labels:
    """A resource's rdfs:label or skos:prefLabel in lang, else in the other of da/en, else in
    any language, else the IRI's last segment."""

    def __init__(self, pub):
        self.by_iri: dict[str, dict[str, str]] = memo(pub, ("labels",), lambda: _labels(pub))

    def __call__(self, iri: str, lang: str) -> str:
        found = self.by_iri.get(iri, {})
        other = "en" if lang == "da" else "da"
        for key in (lang, other):
            if key in found:
                return found[key]
        if found:
            return found[sorted(found)[0]]
        tail = re.split(r"[/#]", iri.rstrip("/#"))[-1]
        return tail or iri


def _labels(pub) -> dict[str, dict[str, str]]:
    labels: dict[str, dict[str, str]] = {}
    query = """SELECT ?s ?l ?rank WHERE {
        { ?s rdfs:label ?l BIND(0 AS ?rank) } UNION { ?s skos:prefLabel ?l BIND(1 AS ?rank) }
        FILTER(isIRI(?s)) }"""
    solutions = pub.store.query(PREFIXES + query, use_default_graph_as_union=True)
    ranked = []
    for solution in solutions:
        literal = solution["l"]
        if not isinstance(literal, ox.Literal):
            continue
        ranked.append((int(solution["rank"].value), solution["s"].value, literal))
    for _rank, iri, literal in sorted(ranked, key=lambda r: (r[0], r[1], r[2].value)):
        lang = (literal.language or "").split("-")[0].lower()
        labels.setdefault(iri, {}).setdefault(lang, " ".join(literal.value.split()))
    return labels


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

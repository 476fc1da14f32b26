"""The dependency network: systems, standards, initiatives and the relations between them.

Nodes are the resources at either end of a stated relation (sg:Relation: replaces, depends on,
shown in, delivered via, integrates with, handed over to, carried on by) or of what an initiative
relies on by a dependency-like property (concerns, develops, extends, deploys, uses, phases out:
docs/modelling.md, "What depends on what"). Edges are those relations, coloured
by kind, dashed where the relation is planned, and the involvements, thin and grey.

Layout, deterministic and without randomness: initiatives form the first column in their
published order; every other node gets a column by the longest path of stated relations that
leads to it (cycles broken by a depth-first search in IRI order), so a relation points rightwards.
Within a column, nodes are ordered by the barycentre of their neighbours (a few sweeps), then
placed vertically as close to their neighbours as the spacing allows (least squares under
minimum-distance constraints, by pool-adjacent-violators). Node boxes are sized to their label,
and no two boxes of a column overlap, so no label overlaps another.
"""

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from sundhedsgraf.namespaces import sg
from sundhedsgraf.pages.labels import Index

from . import _svg
from ._svg import el, fmt, text_width

KIND_ORDER = ("initiative", "project", "system", "standard", "organisation", "other")
TOP_CLASSES = {
    "Initiative": "initiative",
    "Project": "project",
    "Programme": "project",
    "System": "system",
    "Standard": "standard",
}
ORG = "http://www.w3.org/ns/org#Organization"

NODE_STYLE = {  # fill, stroke, corner radius, dash
    "initiative": ("#dbeafe", "#1d4ed8", 3, None),
    "project": ("#ede9fe", "#6d28d9", 0, "4 2"),
    "system": ("#dcfce7", "#15803d", 7, None),
    "standard": ("#ffedd5", "#c2410c", 0, None),
    "organisation": ("#f1f5f9", "#475569", 12, None),
    "other": ("#ffffff", "#6b7280", 0, "2 2"),
}
RELATION_KINDS = (
    "replaces",
    "dependsOn",
    "shownIn",
    "deliveredVia",
    "integratesWith",
    "handedOverTo",
    "carriedOnBy",
)
EDGE_STYLE = {  # colour, width
    "replaces": ("#d55e00", 2.2),
    "dependsOn": ("#0072b2", 2.2),
    "shownIn": ("#009e73", 2.0),
    "deliveredVia": ("#e69f00", 2.0),
    "integratesWith": ("#cc79a7", 2.0),
    "handedOverTo": ("#56b4e9", 2.0),
    "carriedOnBy": ("#7a5195", 2.0),
    "involves": ("#a3acb5", 1.0),
    "other": ("#111111", 1.5),
}
EDGE_ORDER = (*RELATION_KINDS, "other", "involves")  # of the legend and the arrowheads
DASH = {"planned": "7 4", "revised": "2 3"}

TEXT = {
    "da": {
        "title": "Afhængighedsnetværk",
        "around": "Netværket omkring {label}",
        "desc": (
            "Netværk med {nodes} knuder og {edges} kanter: systemer, standarder, indsatser og "
            "projekter, forbundet af de relationer, kilden udsiger (erstatter, afhænger af, vist "
            "i, leveret via, integrerer med, overdraget til, videreført af), og af hvad hver "
            "indsats udvikler, udbreder, udbygger, anvender eller udfaser. Stiplet: planlagt. "
            "Hver knude linker til sin side."
        ),
        "desc_around": " Udsnit: {label} og dens naboer inden for to skridt.",
        "none": "Ingen relationer til {label} i grafen.",
        "kinds": {
            "initiative": "Indsats",
            "project": "Projekt eller program",
            "system": "System",
            "standard": "Standard",
            "organisation": "Organisation",
            "other": "Anden ressource",
        },
        "relations": {
            "replaces": "erstatter",
            "involves": "indsats angår eller involverer (udvikler, udbreder, anvender …)",
        },
        "achieved": "gennemført",
        "planned": "planlagt",
        "revised": "revideret",
        "result": "Grafen i svaret",
        "result_desc": (
            "Svaret på en forespørgsel som netværk: {nodes} ressourcer og {edges} tripler "
            "mellem dem; værdier (literaler) er udeladt, de står i Turtle-teksten. Hver "
            "ressource i datasættet linker til sin side."
        ),
        "realised": "Fuld linje: gennemført",
        "dashed": "stiplet: planlagt",
    },
    "en": {
        "title": "Dependency network",
        "around": "Network around {label}",
        "desc": (
            "Network of {nodes} nodes and {edges} edges: systems, standards, initiatives and "
            "projects, linked by the relations the source states (replaces, depends on, shown "
            "in, delivered via, integrates with, handed over to, carried on by) and by what each "
            "initiative develops, deploys, extends, uses or phases out. Dashed: planned. Every "
            "node links to its page."
        ),
        "desc_around": " Excerpt: {label} and its neighbours within two steps.",
        "none": "No relations to {label} in the graph.",
        "kinds": {
            "initiative": "Initiative",
            "project": "Project or programme",
            "system": "System",
            "standard": "Standard",
            "organisation": "Organisation",
            "other": "Other resource",
        },
        "relations": {
            "replaces": "replaces",
            "involves": "initiative concerns or involves (develops, deploys, uses …)",
        },
        "achieved": "achieved",
        "planned": "planned",
        "revised": "revised",
        "result": "The graph of the answer",
        "result_desc": (
            "A query's answer as a network: {nodes} resources and {edges} triples between "
            "them; values (literals) are left out, the Turtle text has them. Every resource "
            "of the dataset links to its page."
        ),
        "realised": "Solid: achieved",
        "dashed": "dashed: planned",
    },
}

FOCUS = "#ffe08a"  # the halo of the resource a neighbourhood is centred on
NODE_H = 24
SEP = 32  # vertical distance between the centres of two nodes of a column
COLUMN_GAP = 110
PAD = 30
LABEL_LIMIT = 34


@dataclass
class Edge:
    source: str
    target: str
    kind: str  # a RELATION_KINDS name, "involves" or "other"
    prop: str  # the predicate's IRI
    realisation: str  # achieved | planned | revised | ""
    iri: str | None = None  # the sg:Relation node


@dataclass
class Graph:
    nodes: dict[str, str]  # IRI -> kind
    classes: dict[str, list[str]]  # IRI -> its sg: classes (for the tooltip)
    identifiers: dict[str, str]  # initiative IRI -> published number
    edges: list[Edge] = field(default_factory=list)


def _local(iri: str) -> str:
    return iri.rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def _graph(pub) -> Graph:
    """The whole network of the build: every relation and involvement, and what its ends are."""
    edges = _relations(pub) + _involvements(pub)
    # One edge per (source, target, predicate); sorted, so the output never depends on the store.
    unique = {(e.source, e.target, e.prop): e for e in edges}
    edges = [unique[key] for key in sorted(unique)]
    kinds, classes = _kinds(pub, sorted({e.source for e in edges} | {e.target for e in edges}))
    identifiers = {
        row["i"]: row["id"]
        for row in _svg.select(
            pub, "SELECT ?i ?id WHERE { ?i a sg:Initiative ; dcterms:identifier ?id }"
        )
    }
    return Graph(kinds, classes, identifiers, edges)


def _relations(pub) -> list[Edge]:
    """The stated relations (sg:Relation) between two resources."""
    edges = []
    relations = _svg.select(
        pub,
        """SELECT ?r ?s ?p ?o ?real WHERE {
            ?r a sg:Relation ; rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?o .
            FILTER(isIRI(?s) && isIRI(?o))
            OPTIONAL { ?r sg:realisation ?real } }""",
    )
    for row in relations:
        kind = _local(row["p"])
        kind = kind if kind in RELATION_KINDS else "other"
        real = _local(row.get("real", ""))
        edges.append(Edge(row["s"], row["o"], kind, row["p"], real, row["r"]))
    return edges


def _involvements(pub) -> list[Edge]:
    """What each initiative relies on by a triple of the data: the dependency-like properties
    (docs/modelling.md, "What depends on what"), the most specific of each pair."""
    involvement = _svg.select(
        pub,
        """SELECT DISTINCT ?i ?p ?o WHERE {
            ?i a sg:Initiative ; ?p ?o .
            ?p rdfs:subPropertyOf* [ a sg:DependencyProperty ] .
            FILTER(isIRI(?o))
            FILTER NOT EXISTS { ?i ?q ?o . ?q rdfs:subPropertyOf+ ?p . FILTER(?q != ?p) } }""",
    )
    return [Edge(row["i"], row["o"], "involves", row["p"], "") for row in involvement]


def _kinds(pub, iris: list[str]) -> tuple[dict[str, str], dict[str, list[str]]]:
    """Each node's kind (the first of KIND_ORDER its classes fall under) and its sg: classes."""
    vocabulary = sg(pub.base)
    typed = _svg.select(
        pub,
        """SELECT DISTINCT ?x ?c ?top WHERE {
            ?x a ?c . OPTIONAL { ?c rdfs:subClassOf* ?top } }""",
    )
    wanted = set(iris)
    tops = {vocabulary + name: kind for name, kind in TOP_CLASSES.items()} | {ORG: "organisation"}
    classes: dict[str, list[str]] = {}
    found: dict[str, set[str]] = {}
    for row in typed:
        if row["x"] not in wanted:
            continue
        if row["c"].startswith(vocabulary) and row["c"] != vocabulary + "Relation":
            classes.setdefault(row["x"], [])
            if row["c"] not in classes[row["x"]]:
                classes[row["x"]].append(row["c"])
        top = tops.get(row.get("top", "")) or tops.get(row["c"])
        if top:
            found.setdefault(row["x"], set()).add(top)
    kinds = {iri: next((k for k in KIND_ORDER if k in found.get(iri, ())), "other") for iri in iris}
    return kinds, {iri: sorted(classes.get(iri, [])) for iri in iris}


def _neighbourhood(graph: Graph, centre: str) -> set[str]:
    """The centre, everything one edge away, and what is one stated relation further."""
    first = {centre}
    for e in graph.edges:
        if e.source == centre:
            first.add(e.target)
        elif e.target == centre:
            first.add(e.source)
    second = set(first)
    for e in graph.edges:
        if e.kind == "involves":
            continue
        if e.source in first:
            second.add(e.target)
        if e.target in first:
            second.add(e.source)
    return second


@dataclass
class View:
    """The part of the network that is drawn, and how its parts are named in `lang`."""

    graph: Graph
    idx: Index
    lang: str
    around: str | None
    nodes: dict[str, str]  # IRI -> kind, of the nodes drawn
    edges: list[Edge]  # those between them
    styles: dict[str, tuple[str, float]] = field(default_factory=lambda: EDGE_STYLE)
    order: tuple[str, ...] = EDGE_ORDER  # the edge kinds of the legend and the arrowheads
    names: dict[str, str] = field(default_factory=dict)  # edge kind -> its name, where given

    @property
    def text(self) -> dict:
        return TEXT[self.lang]

    def node_label(self, iri: str) -> str:
        """The label, after the published number of an initiative."""
        label = self.idx.label(iri, self.lang)
        number = self.graph.identifiers.get(iri)
        if number and not label.startswith(number):
            label = f"{number} {label}"
        return label

    def kind_label(self, iri: str) -> str:
        """The kind of a node, then its more specific sg: classes."""
        kind = self.nodes.get(iri) or self.graph.nodes.get(iri, "other")
        general = self.text["kinds"][kind]
        specific = [self.idx.label(c, self.lang) for c in self.graph.classes.get(iri, [])]
        specific = [s for s in specific if s != general]
        return general + (f": {', '.join(specific)}" if specific else "")

    def relation_name(self, kind: str) -> str:
        """An edge kind in the legend."""
        if kind in self.names:
            return self.names[kind]
        if kind in self.text["relations"]:
            return self.text["relations"][kind]
        if kind == "other":
            return "…"
        return self.idx.label(self.idx.sg + kind, self.lang)

    def edge_tip(self, e: Edge) -> str:
        """The tooltip: source — how → target (realisation)."""
        if e.kind == "replaces":
            how = self.text["relations"]["replaces"]
        elif e.kind in RELATION_KINDS or e.kind in ("involves", *self.names):
            how = self.idx.label(e.prop, self.lang)
        else:
            how = _local(e.prop)
        tip = f"{self.node_label(e.source)} — {how} → {self.node_label(e.target)}"
        if e.realisation:
            tip += f" ({self.text.get(e.realisation, e.realisation)})"
        return tip

    def title_and_desc(self) -> tuple[str, str]:
        desc = self.text["desc"].format(nodes=len(self.nodes), edges=len(self.edges))
        if self.around is None:
            return self.text["title"], desc
        centre = self.node_label(self.around)
        desc += self.text["desc_around"].format(label=centre)
        return self.text["around"].format(label=centre), desc


def network(
    pub,
    lang: str,
    public: str,
    around: str | None = None,
    focus_area: str | None = None,
    kind: str | None = None,
) -> str:
    """The dependency network as SVG: the whole portfolio, or the neighbourhood of `around`;
    the whole one filtered to a focus area's initiatives and their neighbourhoods, and to one
    kind of node (with the initiatives linked to them)."""
    _svg.check_lang(lang)
    graph = pub.cache.get((_graph,), lambda: _graph(pub))
    if around is not None:
        keep = _neighbourhood(graph, around) if around in graph.nodes else set()
    else:
        keep = set(graph.nodes)
        if focus_area:
            initiatives = _initiatives_of(pub, focus_area)
            keep = set().union(*(_neighbourhood(graph, i) for i in initiatives))
        if kind:
            keep = _of_kind(graph, keep, kind)
    view = View(
        graph,
        _svg.index(pub, public),
        lang,
        around,
        nodes={iri: graph.nodes[iri] for iri in sorted(keep)},
        edges=[e for e in graph.edges if e.source in keep and e.target in keep],
    )
    title, desc = view.title_and_desc()
    if not view.nodes:
        return _empty(view, title, desc)
    return _draw(view, _layout(view), title, desc)


# One colour per predicate of an answer, the Okabe-Ito ones first; further predicates share
# "other" (their tooltips still name them).
ANSWER_COLOURS = (
    "#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00",
    "#56b4e9", "#7a5195", "#8c564b", "#117733", "#882255",
)  # fmt: skip


def answer_network(pub, lang: str, public: str, links: list[tuple[str, str, str]]) -> str:
    """The graph of a query's answer as SVG: `links` are its (subject, predicate, object)
    triples between two resources (a blank node as "_:id"); literals are not drawn. Nodes are
    named, kinded and linked as in the dependency network; each predicate gets a colour."""
    _svg.check_lang(lang)
    idx = _svg.index(pub, public)
    predicates = sorted({p for _, p, _ in links}, key=lambda p: (idx.label(p, lang), p))
    kind_of = {p: f"p{n}" if n < len(ANSWER_COLOURS) else "other" for n, p in enumerate(predicates)}
    styles = {f"p{n}": (colour, 2.0) for n, colour in enumerate(ANSWER_COLOURS)}
    styles["other"] = EDGE_STYLE["other"]
    names = {kind_of[p]: idx.label(p, lang) for p in predicates if kind_of[p] != "other"}
    edges = sorted({(s, o, p) for s, p, o in links})
    edges = [Edge(s, o, kind_of[p], p, "") for s, o, p in edges]
    nodes = sorted({e.source for e in edges} | {e.target for e in edges})
    kinds, classes = _kinds(pub, nodes)
    known = pub.cache.get((_graph,), lambda: _graph(pub))
    graph = Graph(kinds, classes, known.identifiers, edges)
    order = (*styles,)
    view = View(graph, idx, lang, None, kinds, edges, styles, order, names)
    text = view.text
    desc = text["result_desc"].format(nodes=len(nodes), edges=len(edges))
    return _draw(view, _layout(view), text["result"], desc)


def _initiatives_of(pub, focus_area: str) -> list[str]:
    rows = _svg.select(pub, f"SELECT ?i WHERE {{ ?i sg:focusArea <{focus_area}> }}")
    return sorted(row["i"] for row in rows)


def _of_kind(graph: Graph, keep: set[str], kind: str) -> set[str]:
    """The nodes of `kind` among `keep`, and the initiatives linked to them."""
    chosen = {n for n in keep if graph.nodes[n] == kind}
    linked = {
        other
        for e in graph.edges
        for end, other in ((e.source, e.target), (e.target, e.source))
        if end in chosen and other in keep and graph.nodes[other] == "initiative"
    }
    return chosen | linked


@dataclass
class Box:
    x: float
    y: float  # centre
    w: float
    column: int
    label: str
    right: float = 0.0  # the right edge of the widest box of the column


def _layout(view: View) -> dict[str, Box]:
    """Each node's box: its column, its place in the column, its height."""
    nodes = view.nodes
    labels = {iri: _svg.truncate(view.node_label(iri), LABEL_LIMIT) for iri in nodes}
    column = _columns(nodes, view.edges)
    columns: list[list[str]] = [[] for _ in range(max(column.values()) + 1)]
    kind_rank = {k: n for n, k in enumerate(KIND_ORDER)}
    identifiers = view.graph.identifiers
    for iri in sorted(
        nodes,
        key=lambda i: (
            kind_rank[nodes[i]],
            _svg.identifier_key(identifiers.get(i, "")),
            labels[i].casefold(),
            i,
        ),
    ):
        columns[column[iri]].append(iri)
    neighbours: dict[str, list[str]] = {i: [] for i in nodes}
    for e in view.edges:
        if column[e.source] != column[e.target]:
            neighbours[e.source].append(e.target)
            neighbours[e.target].append(e.source)
    # Initiatives keep their published order.
    fixed = 0 if "initiative" in nodes.values() else None
    _order_columns(columns, neighbours, [c for c in range(len(columns)) if c != fixed])
    return _boxes(columns, _heights(columns, neighbours), labels, view.around)


def _columns(nodes: dict[str, str], edges: list[Edge]) -> dict[str, int]:
    """Initiatives in the first column; every other node in the next ones, by the longest path
    of stated relations that leads to it, so a relation points rightwards."""
    initiatives = [i for i, k in nodes.items() if k == "initiative"]
    others = [i for i, k in nodes.items() if k != "initiative"]
    layer = _longest_paths(others, _acyclic(others, edges))
    shift = 1 if initiatives else 0
    return {i: 0 for i in initiatives} | {i: layer[i] + shift for i in others}


def _acyclic(others: list[str], edges: list[Edge]) -> dict[str, list[str]]:
    """The stated relations among `others`, less the back edges of a depth-first search in IRI
    order: what is left has no cycle."""
    others_set = set(others)
    out: dict[str, set[str]] = {i: set() for i in others}
    for e in edges:
        stated = e.kind != "involves" and e.source != e.target
        if stated and e.source in others_set and e.target in others_set:
            out[e.source].add(e.target)
    state: dict[str, int] = {}  # 1: on the stack, 2: done
    forward: dict[str, list[str]] = {i: [] for i in others}
    for start in sorted(others):
        if start in state:
            continue
        stack = [(start, iter(sorted(out[start])))]
        state[start] = 1
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[node] = 2
                stack.pop()
            elif child not in state:
                forward[node].append(child)
                state[child] = 1
                stack.append((child, iter(sorted(out[child]))))
            elif state[child] == 2:
                forward[node].append(child)
    return forward


def _longest_paths(others: list[str], forward: dict[str, list[str]]) -> dict[str, int]:
    """The length of the longest path to each node (Kahn's order, ties by IRI)."""
    layer = {i: 0 for i in others}
    indegree = {i: 0 for i in others}
    for node in others:
        for child in forward[node]:
            indegree[child] += 1
    ready = sorted(i for i in others if indegree[i] == 0)
    while ready:
        node = ready.pop(0)
        for child in sorted(forward[node]):
            layer[child] = max(layer[child], layer[node] + 1)
            indegree[child] -= 1
            if indegree[child] == 0:
                ready.append(child)
        ready.sort()
    return layer


def _order_columns(
    columns: list[list[str]], neighbours: dict[str, list[str]], movable: list[int]
) -> None:
    """Sort the `movable` columns, sweeping back and forth, by the barycentre of each node's
    neighbours, to untangle the edges."""

    def rank() -> dict[str, float]:
        return {i: (n + 0.5) / len(col) for col in columns for n, i in enumerate(col)}

    for sweep in range(8):
        order = movable if sweep % 2 == 0 else list(reversed(movable))
        for c in order:
            pos = rank()
            current = {i: n for n, i in enumerate(columns[c])}

            def key(iri: str, pos=pos, current=current) -> tuple:
                near = [pos[n] for n in neighbours[iri]]
                bary = sum(near) / len(near) if near else pos[iri]
                return (round(bary, 6), current[iri])

            columns[c].sort(key=key)


def _heights(columns: list[list[str]], neighbours: dict[str, list[str]]) -> dict[str, float]:
    """Each node's centre from the top: the fullest column stacked, the others pulled towards
    their neighbours."""
    count = len(columns)
    y: dict[str, float] = {}
    anchor = max(range(count), key=lambda c: (len(columns[c]), -c))
    for n, iri in enumerate(columns[anchor]):
        y[iri] = n * SEP
    for c in range(count):
        if c != anchor:
            for n, iri in enumerate(columns[c]):
                y[iri] = n * SEP
    others_cols = sorted((c for c in range(count) if c != anchor), key=lambda c: abs(c - anchor))
    for _ in range(4):
        for c in others_cols:
            desired, weights = [], []
            for iri in columns[c]:
                near = [y[n] for n in neighbours[iri]]
                desired.append(sum(near) / len(near) if near else y[iri])
                weights.append(1.0 if near else 0.05)
            for iri, value in zip(columns[c], _spaced(desired, weights, SEP), strict=True):
                y[iri] = value
    top = min(y.values())
    return {iri: value - top for iri, value in y.items()}


def _boxes(
    columns: list[list[str]], y: dict[str, float], labels: dict[str, str], around: str | None
) -> dict[str, Box]:
    """Boxes sized to their labels (the centre's bold), columns side by side."""
    widths = {
        iri: text_width(labels[iri]) * (1.12 if iri == around else 1) + 20
        for column in columns
        for iri in column
    }
    x = 0.0
    boxes: dict[str, Box] = {}
    for c, column in enumerate(columns):
        if not column:
            continue
        right = x + max(widths[i] for i in column)
        for iri in column:
            boxes[iri] = Box(x, y[iri], widths[iri], c, labels[iri], right)
        x = right + COLUMN_GAP
    return boxes


def _spaced(desired: list[float], weights: list[float], sep: float) -> list[float]:
    """Positions in the given order, each at least `sep` after the previous, as close to
    `desired` as possible (weighted least squares): isotonic regression by pool-adjacent-
    violators on desired[i] - i*sep."""
    blocks: list[list[float]] = []  # [weighted mean, weight, count]
    for i, (d, w) in enumerate(zip(desired, weights, strict=True)):
        blocks.append([d - i * sep, w, 1])
        while len(blocks) > 1 and blocks[-2][0] > blocks[-1][0]:
            m2, w2, n2 = blocks.pop()
            m1, w1, n1 = blocks.pop()
            blocks.append([(m1 * w1 + m2 * w2) / (w1 + w2), w1 + w2, n1 + n2])
    values = []
    for mean, _w, n in blocks:
        values.extend([mean] * n)
    return [round(v + i * sep, 3) for i, v in enumerate(values)]


IDENT = "sg-network"


def _draw(view: View, boxes: dict[str, Box], title: str, desc: str) -> str:
    # Legend first, to know how much room it takes.
    legend_items = _legend_items(view)
    width_graph = max(b.x + b.w for b in boxes.values())
    height_graph = max(b.y for b in boxes.values()) + NODE_H
    width = max(width_graph + 2 * PAD, 720.0)
    scratch = ET.Element("g")
    legend_h = _svg.legend_swatch_row(scratch, PAD, 0, legend_items, width - 2 * PAD)
    head = 34 + 12 + legend_h + 16
    height = head + height_graph + 2 * PAD

    # The whole portfolio at a size that reads (12 px text), in a frame that scrolls.
    whole = view.around is None and not view.names
    root = _svg.svg_root(round(width), round(height), IDENT, title, desc, natural=whole)
    _arrowheads(el(root, "defs"), view)
    el(root, "text", title, x=PAD, y=34, font_size=20, font_weight="bold")
    legend = el(root, "g", class_="legend")
    _svg.legend_swatch_row(legend, PAD, 34 + 28, legend_items, width - 2 * PAD)
    # Boxes are laid out from (0, 0); drawn from (PAD, oy), below the legend.
    oy = head + PAD
    ports = _ports(view.edges, boxes, oy)
    _draw_edges(el(root, "g", class_="edges", fill="none"), view, boxes, ports)
    _draw_nodes(el(root, "g", class_="nodes"), view, boxes, oy)
    return _svg.to_string(root)


def _legend_items(view: View) -> list[tuple]:
    """The kinds of node, then of edge, drawn, and the dash of planned relations."""
    items = [
        (_node_swatch(kind), view.text["kinds"][kind])
        for kind in KIND_ORDER
        if kind in view.nodes.values()
    ]
    present = {e.kind for e in view.edges}
    items += [
        (_edge_swatch(view.styles[kind], kind), view.relation_name(kind))
        for kind in view.order
        if kind in present
    ]
    if any(e.realisation == "planned" for e in view.edges):
        items.append((_dash_swatch(), f"{view.text['realised']}, {view.text['dashed']}"))
    return items


def _arrowheads(defs: ET.Element, view: View) -> None:
    for kind in view.order:
        involves = kind == "involves"
        marker = el(
            defs,
            "marker",
            id=f"{IDENT}-arrow-{kind}",
            viewBox="0 0 10 10",
            refX=9,
            refY=5,
            markerWidth=7 if involves else 6,
            markerHeight=7 if involves else 6,
            markerUnits="userSpaceOnUse" if involves else "strokeWidth",
            orient="auto",
        )
        el(marker, "path", d="M0,0 L10,5 L0,10 z", fill=view.styles[kind][0])


def _ports(edges: list[Edge], boxes: dict[str, Box], oy: float) -> dict:
    """Where each edge leaves and enters, {(edge number, "s" | "t"): (x, y)}: each end gets its
    own point on the node's side, ordered by the other end's height."""
    ends: dict[tuple[str, str], list[tuple[float, int, str]]] = {}
    for n, e in enumerate(edges):
        s, t = boxes[e.source], boxes[e.target]
        if t.column > s.column:
            sides = ("right", "left")
        elif t.column < s.column:
            sides = ("left", "right")
        else:
            sides = ("right", "right")
        ends.setdefault((e.source, sides[0]), []).append((t.y, n, "s"))
        ends.setdefault((e.target, sides[1]), []).append((s.y, n, "t"))
    port: dict[tuple[int, str], tuple[float, float]] = {}
    for (iri, side), items in ends.items():
        b = boxes[iri]
        items.sort()
        span = min(NODE_H - 8, 4 * (len(items) - 1))
        for k, (_y, n, end) in enumerate(items):
            offset = 0 if len(items) == 1 else -span / 2 + span * k / (len(items) - 1)
            px = PAD + (b.x + b.w if side == "right" else b.x)
            port[(n, end)] = (px, oy + b.y + offset)
    return port


def _edge_path(s: Box, t: Box, start: tuple[float, float], end: tuple[float, float]) -> str:
    """Out of a column (and into one from the right) along a straight stub to the column's
    right edge, so no edge crosses the boxes of its own column; a curve between columns."""
    (x1, y1), (x2, y2) = start, end
    if t.column > s.column:
        xs = PAD + s.right
        dx = max(50.0, (x2 - xs) * 0.45)
        d = f"M{fmt(x1)},{fmt(y1)} H{fmt(xs)} C{fmt(xs + dx)},{fmt(y1)} "
        return d + f"{fmt(x2 - dx)},{fmt(y2)} {fmt(x2)},{fmt(y2)}"
    if t.column < s.column:
        xt = PAD + t.right
        dx = max(50.0, (x1 - xt) * 0.45)
        d = f"M{fmt(x1)},{fmt(y1)} C{fmt(x1 - dx)},{fmt(y1)} {fmt(xt + dx)},{fmt(y2)} "
        return d + f"{fmt(xt)},{fmt(y2)} H{fmt(x2)}"
    xs = PAD + s.right
    dx = 40 + 0.25 * abs(y2 - y1)
    d = f"M{fmt(x1)},{fmt(y1)} H{fmt(xs)} C{fmt(xs + dx)},{fmt(y1)} "
    return d + f"{fmt(xs + dx)},{fmt(y2)} {fmt(xs)},{fmt(y2)} H{fmt(x2)}"


def _draw_edges(layer: ET.Element, view: View, boxes: dict[str, Box], ports: dict) -> None:
    edges = view.edges
    involves = [n for n, e in enumerate(edges) if e.kind == "involves"]
    stated = [n for n, e in enumerate(edges) if e.kind != "involves"]
    for n in involves + stated:  # the stated relations drawn on top
        e = edges[n]
        d = _edge_path(boxes[e.source], boxes[e.target], ports[(n, "s")], ports[(n, "t")])
        colour, stroke = view.styles[e.kind]
        group = el(
            layer,
            "g",
            class_="edge",
            data_kind=e.kind,
            data_property=e.prop,
            data_source=e.source,
            data_target=e.target,
            data_realisation=e.realisation or None,
            data_iri=e.iri,
        )
        el(group, "title", view.edge_tip(e))
        el(
            group,
            "path",
            d=d,
            stroke=colour,
            stroke_width=stroke,
            stroke_dasharray=DASH.get(e.realisation),
            stroke_opacity=0.75 if e.kind == "involves" else 0.95,
            marker_end=f"url(#{IDENT}-arrow-{e.kind})",
        )


def _draw_nodes(layer: ET.Element, view: View, boxes: dict[str, Box], oy: float) -> None:
    for iri in sorted(boxes, key=lambda i: (boxes[i].column, boxes[i].y, i)):
        b = boxes[iri]
        kind = view.nodes[iri]
        centre = iri == view.around
        group = el(
            layer, "g", class_="node focus" if centre else "node", data_iri=iri, data_kind=kind
        )
        anchor = _svg.link(group, view.idx, iri)
        el(anchor, "title", f"{view.node_label(iri)} ({view.kind_label(iri)})")
        if centre:  # the resource the page is about, behind a yellow halo
            x, y = PAD + b.x - 6, oy + b.y - NODE_H / 2 - 6
            el(anchor, "rect", x=x, y=y, width=b.w + 12, height=NODE_H + 12, rx=8, fill=FOCUS)
        _shape(anchor, kind, PAD + b.x, oy + b.y - NODE_H / 2, b.w, NODE_H, centre)
        el(
            anchor,
            "text",
            b.label,
            x=PAD + b.x + 10,
            y=oy + b.y + 4,
            font_weight="bold" if centre else None,
        )


def _shape(parent, kind: str, x: float, y: float, w: float, h: float, centre: bool) -> None:
    fill, stroke, radius, dash = NODE_STYLE[kind]
    width = 3 if centre else 1.4
    if kind == "standard":
        c = 6
        points = [
            (x + c, y),
            (x + w - c, y),
            (x + w, y + h / 2),
            (x + w - c, y + h),
            (x + c, y + h),
            (x, y + h / 2),
        ]
        el(
            parent,
            "polygon",
            points=" ".join(f"{fmt(px)},{fmt(py)}" for px, py in points),
            fill=fill,
            stroke=stroke,
            stroke_width=width,
        )
    else:
        el(
            parent,
            "rect",
            x=x,
            y=y,
            width=w,
            height=h,
            rx=radius,
            fill=fill,
            stroke=stroke,
            stroke_width=width,
            stroke_dasharray=dash,
        )


def _node_swatch(kind: str):
    def draw(group, x, y):
        _shape(group, kind, x, y - 8, 26, 16, False)

    return draw


def _edge_swatch(style: tuple[str, float], kind: str):
    colour, stroke = style

    def draw(group, x, y):
        el(
            group,
            "path",
            d=f"M{fmt(x)},{fmt(y - 4)} L{fmt(x + 24)},{fmt(y - 4)}",
            stroke=colour,
            stroke_width=stroke,
            fill="none",
            marker_end=f"url(#{IDENT}-arrow-{kind})",
        )

    return draw


def _dash_swatch():
    def draw(group, x, y):
        el(
            group,
            "path",
            d=f"M{fmt(x)},{fmt(y - 8)} L{fmt(x + 26)},{fmt(y - 8)}",
            stroke=_svg.MUTED,
            stroke_width=2,
            fill="none",
        )
        el(
            group,
            "path",
            d=f"M{fmt(x)},{fmt(y)} L{fmt(x + 26)},{fmt(y)}",
            stroke=_svg.MUTED,
            stroke_width=2,
            fill="none",
            stroke_dasharray=DASH["planned"],
        )

    return draw


def _empty(view: View, title: str, desc: str) -> str:
    """A picture with only the title and a message: nothing is related to `around`."""
    iri = view.around or ""
    label = view.node_label(iri)
    message = view.text["none"].format(label=label)
    w = max(480.0, text_width(message, 14) + 2 * PAD, text_width(title, 20) + 2 * PAD)
    root = _svg.svg_root(round(w), 120, IDENT, title, desc)
    el(root, "text", title, x=PAD, y=34, font_size=20, font_weight="bold")
    if iri:
        group = el(root, "g", class_="node", data_iri=iri, data_kind="other")
        anchor = _svg.link(group, view.idx, iri)
        el(anchor, "title", label)
        el(anchor, "text", message, x=PAD, y=80, font_size=14)
    return _svg.to_string(root)

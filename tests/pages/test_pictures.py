"""The pictures (network, timeline, portfolio) as SVG: counted against SPARQL, safe, stable."""

import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import unquote

import pyoxigraph as ox
import pytest

from sundhedsgraf.pages import labels, pictures
from sundhedsgraf.publication import Publication
from sundhedsgraf.publication import open_publication as load

SVG = "{http://www.w3.org/2000/svg}"
PUBLIC = "http://127.0.0.1:8000/"
BASE = "https://w3id.org/sundhedsgraf/"
ONTOLOGY = Path(__file__).parents[2] / "ontology" / "sundhedsgraf.ttl"
PREFIXES = """
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX sg: <https://w3id.org/sundhedsgraf/def#>
"""
FMK = BASE + "id/system/fmk"
ELSEWHERE = "https://example.org/elsewhere"


@pytest.fixture(scope="module")
def pub(real_root) -> Publication:
    return load(real_root)


def rows(pub, query: str) -> list[dict[str, str]]:
    result = pub.store.query(PREFIXES + query, use_default_graph_as_union=True)
    names = [v.value for v in result.variables]
    return [{n: s[n].value for n in names if s[n] is not None} for s in result]


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == SVG + "svg"
    return root


def viewbox_size(root: ET.Element) -> tuple[str, str]:
    width, height = (float(v) for v in root.get("viewBox").split()[2:])
    return str(round(width)), str(round(height))


def groups(root: ET.Element, cls: str) -> list[ET.Element]:
    return [g for g in root.iter(SVG + "g") if cls in (g.get("class") or "").split()]


def all_pictures(pub, lang: str) -> dict[str, str]:
    fa2 = BASE + "id/focus-area/2"
    return {
        "network": pictures.network(pub, lang, PUBLIC),
        "network-around": pictures.network(pub, lang, PUBLIC, around=FMK),
        "timeline": pictures.timeline(pub, lang, PUBLIC),
        "timeline-focus": pictures.timeline(pub, lang, PUBLIC, focus_area=fa2),
        "portfolio": pictures.portfolio(pub, lang, PUBLIC),
        "portfolio-owner": pictures.portfolio(pub, lang, PUBLIC, by="owner"),
    }


def assert_safe(root: ET.Element, public: str = PUBLIC) -> list[str]:
    """No script, no handler, no style, no reference but our pages and internal fragments;
    return the hrefs."""
    hrefs = []
    for element in root.iter():
        local = element.tag.removeprefix(SVG)
        assert element.tag.startswith(SVG), element.tag
        assert local not in {"script", "style", "foreignObject", "image", "iframe", "use"}
        for name, value in element.attrib.items():
            assert not name.lower().startswith("on"), name
            assert name != "style"
            assert "javascript:" not in value.lower()
            if "url(" in value:
                assert value.startswith("url(#"), value
            if name.endswith("href"):
                assert name == "href"
                assert value.startswith(public + "doc/"), value
                hrefs.append(value)
    return hrefs


@pytest.mark.parametrize("lang", ["da", "en"])
def test_each_picture_is_safe_accessible_svg_linking_to_existing_resources(pub, lang):
    for name, svg in all_pictures(pub, lang).items():
        root = parse(svg)
        # a group, not an img: an img's children are hidden, and its links could not be focused
        assert root.get("role") == "group", name
        assert root.get("viewBox", "").startswith("0 0 "), name
        # fits its frame; the whole network and the charts keep their size (12 px text): the
        # network scrolls in its frame, the charts are narrow enough for a phone
        natural = name in ("network", "portfolio", "portfolio-owner")
        assert root.get("width") == (viewbox_size(root)[0] if natural else None), name
        assert root.get("height") == (viewbox_size(root)[1] if natural else None), name
        title, desc = root[0], root[1]
        assert (title.tag, desc.tag) == (SVG + "title", SVG + "desc"), name
        assert title.text and desc.text, name
        assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
        hrefs = assert_safe(root)
        assert hrefs, name
        for href in hrefs:
            iri = BASE + "id/" + unquote(href.removeprefix(PUBLIC + "doc/"))
            known = pub.store.quads_for_pattern(ox.NamedNode(iri), None, None)
            assert next(iter(known), None) is not None, (name, href)


def test_nodes_link_to_our_resource_pages(pub):
    root = parse(pictures.network(pub, "en", "http://example.test:9000/base/"))
    node = next(g for g in groups(root, "node") if g.get("data-iri") == FMK)
    assert node.find(f"{SVG}a").get("href") == "http://example.test:9000/base/doc/system/fmk"
    assert node.find(f"{SVG}a/{SVG}title").text.startswith("Shared Medication Record")


def test_portfolio_by_focus_area_counts_every_initiative_once(pub):
    expected = rows(
        pub,
        """SELECT ?fa ?status (COUNT(DISTINCT ?i) AS ?n) WHERE {
            ?i a sg:Initiative ; sg:focusArea ?fa ; sg:outcomeStatus ?status }
            GROUP BY ?fa ?status""",
    )
    total = rows(pub, "SELECT (COUNT(DISTINCT ?i) AS ?n) WHERE { ?i a sg:Initiative }")
    assert int(total[0]["n"]) == 27
    root = parse(pictures.portfolio(pub, "da", PUBLIC))
    bars = groups(root, "bar")
    assert len(bars) == len({r["fa"] for r in expected}) == 5
    assert sum(int(b.get("data-total")) for b in bars) == 27
    found = {
        (bar.get("data-iri"), seg.get("data-status")): int(seg.get("data-count"))
        for bar in bars
        for seg in groups(bar, "segment")
    }
    assert found == {(r["fa"], r["status"]): int(r["n"]) for r in expected}
    for bar in bars:  # the count is written on each segment, the total after the bar
        segments = groups(bar, "segment")
        assert all(s.find(f"{SVG}text").text == s.get("data-count") for s in segments)
        totals = [t for t in bar.iter(SVG + "text") if t.get("class") == "total"]
        assert totals[0].text == bar.get("data-total")
        assert bar.find(f"{SVG}a").get("href").startswith(PUBLIC + "doc/focus-area/")


def test_portfolio_by_owner(pub):
    expected = rows(
        pub,
        """SELECT ?o (COUNT(DISTINCT ?i) AS ?n) WHERE { ?i a sg:Initiative ; sg:owner ?o }
            GROUP BY ?o""",
    )
    root = parse(pictures.portfolio(pub, "en", PUBLIC, by="owner"))
    bars = groups(root, "bar")
    assert {b.get("data-iri"): int(b.get("data-total")) for b in bars} == {
        r["o"]: int(r["n"]) for r in expected
    }
    totals = [int(b.get("data-total")) for b in bars]
    assert totals == sorted(totals, reverse=True)
    for bar in bars:
        assert bar.find(f"{SVG}a").get("href").startswith(PUBLIC + "doc/organisation/")
    with pytest.raises(ValueError):
        pictures.portfolio(pub, "en", PUBLIC, by="colour")


def milestone_rows(pub) -> dict[str, dict[str, str]]:
    found = rows(
        pub,
        """SELECT ?m ?status ?start ?end ?fa WHERE {
            ?m a sg:Milestone ; sg:milestoneStatus ?status ;
               sg:periodStart ?start ; sg:periodEnd ?end .
            OPTIONAL { ?m prov:wasDerivedFrom/sg:focusArea ?fa } }""",
    )
    return {r["m"]: r for r in found}


def test_timeline_has_every_milestone_within_the_axis(pub):
    expected = milestone_rows(pub)
    assert len(expected) > 40
    root = parse(pictures.timeline(pub, "en", PUBLIC))
    marks = groups(root, "milestone")
    assert {m.get("data-iri") for m in marks} == set(expected)
    assert len(marks) == len(expected)
    axis = groups(root, "axis")[0]
    years = sorted({int(t.text) for t in axis.iter(SVG + "text")})
    first = min([2018] + [int(r["start"][:4]) for r in expected.values()])
    last = max([2026] + [int(r["end"][:4]) for r in expected.values()])
    assert years == list(range(first, last + 1)) == list(range(2018, 2027))
    grid = sorted(float(line.get("x1")) for line in axis.iter(SVG + "line"))
    for mark in marks:
        row = expected[mark.get("data-iri")]
        assert mark.get("data-status") == row["status"].rsplit("/", 1)[-1]
        assert (mark.get("data-start"), mark.get("data-end")) == (row["start"], row["end"])
        assert first <= int(row["start"][:4]) <= int(row["end"][:4]) <= last
        circle = mark.find(f".//{SVG}circle")
        assert grid[0] <= float(circle.get("cx")) <= grid[-1]
        assert mark.find(f"{SVG}a").get("href") == PUBLIC + "doc/" + mark.get(
            "data-iri"
        ).removeprefix(BASE + "id/")
    # Achieved, planned and revised are drawn differently: filled, hollow, dashed.
    style = {}
    for mark in marks:
        circle = mark.find(f".//{SVG}circle")
        style.setdefault(mark.get("data-status"), set()).add(
            (circle.get("fill"), circle.get("stroke-dasharray"))
        )
    assert set(style) == {"achieved", "planned", "revised"}
    assert all(len(v) == 1 for v in style.values())
    assert len({next(iter(v)) for v in style.values()}) == 3
    assert style["planned"] == {("#ffffff", None)}
    assert next(iter(style["revised"]))[1] is not None


def test_timeline_focus_area_filter(pub):
    expected = milestone_rows(pub)
    fa2 = BASE + "id/focus-area/2"
    wanted = {m for m, r in expected.items() if r.get("fa") == fa2}
    assert wanted and len(wanted) < len(expected)
    root = parse(pictures.timeline(pub, "da", PUBLIC, focus_area=fa2))
    assert {m.get("data-iri") for m in groups(root, "milestone")} == wanted
    assert [g.get("data-iri") for g in groups(root, "focus-area")] == [fa2]
    assert "Viden til tiden" in root[0].text
    nothing = parse(pictures.timeline(pub, "da", PUBLIC, focus_area=BASE + "id/focus-area/99"))
    assert groups(nothing, "milestone") == []


def network_expected(pub):
    relations = rows(
        pub,
        """SELECT ?r ?s ?p ?o WHERE {
            ?r a sg:Relation ; rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?o }""",
    )
    involvement = rows(
        pub,
        """SELECT DISTINCT ?i ?o WHERE {
            ?i a sg:Initiative ; ?p ?o . FILTER(isIRI(?o))
            ?p rdfs:subPropertyOf* [ a sg:DependencyProperty ] }""",
    )
    return relations, involvement


def test_network_has_every_related_resource_and_every_relation(pub):
    relations, involvement = network_expected(pub)
    root = parse(pictures.network(pub, "da", PUBLIC))
    nodes = {g.get("data-iri") for g in groups(root, "node")}
    ends = {r["s"] for r in relations} | {r["o"] for r in relations}
    ends |= {r["i"] for r in involvement} | {r["o"] for r in involvement}
    assert nodes == ends
    edges = groups(root, "edge")
    stated = {e.get("data-iri") for e in edges if e.get("data-kind") != "involves"}
    assert stated == {r["r"] for r in relations}
    kinds = {r["p"].rsplit("#", 1)[-1].rsplit("/", 1)[-1] for r in relations}
    assert {"replaces", "dependsOn", "shownIn", "deliveredVia"} <= kinds
    drawn = {e.get("data-kind") for e in edges}
    assert kinds | {"involves"} == drawn
    colours = {}
    for edge in edges:
        path = edge.find(f"{SVG}path")
        assert path.get("marker-end", "").startswith("url(#")
        colours.setdefault(edge.get("data-kind"), set()).add(path.get("stroke"))
    assert all(len(c) == 1 for c in colours.values())
    assert len({next(iter(c)) for c in colours.values()}) == len(colours)  # styled apart
    legend = " ".join(t.text for t in groups(root, "legend")[0].iter(SVG + "text"))
    for word in ("erstatter", "afhænger af", "vist i", "leveret via", "System", "Standard"):
        assert word in legend
    involved = {(r["i"], r["o"]) for r in involvement}
    assert {
        (e.get("data-source"), e.get("data-target"))
        for e in edges
        if e.get("data-kind") == "involves"
    } == involved


def test_network_boxes_do_not_overlap(pub):
    root = parse(pictures.network(pub, "en", PUBLIC))
    boxes = []
    for node in groups(root, "node"):
        shape = node.find(f"{SVG}a/{SVG}rect")
        if shape is not None:
            x, y = float(shape.get("x")), float(shape.get("y"))
            w, h = float(shape.get("width")), float(shape.get("height"))
        else:
            points = node.find(f"{SVG}a/{SVG}polygon").get("points").split()
            xs = [float(p.split(",")[0]) for p in points]
            ys = [float(p.split(",")[1]) for p in points]
            x, y, w, h = min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)
        boxes.append((x, y, x + w, y + h))
    view = [float(v) for v in root.get("viewBox").split()]
    legend_bottom = max(float(t.get("y")) for t in groups(root, "legend")[0].iter(SVG + "text"))
    for n, a in enumerate(boxes):
        assert a[0] >= 0 and a[2] <= view[2] and legend_bottom < a[1] and a[3] <= view[3]
        for b in boxes[n + 1 :]:
            assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1], (a, b)


def test_network_around_a_resource_shows_its_neighbourhood(pub):
    relations, involvement = network_expected(pub)
    pairs = [(r["s"], r["o"]) for r in relations] + [(r["i"], r["o"]) for r in involvement]
    direct = {b for a, b in pairs if a == FMK} | {a for a, b in pairs if b == FMK}
    root = parse(pictures.network(pub, "en", PUBLIC, around=FMK))
    nodes = {g.get("data-iri") for g in groups(root, "node")}
    assert {FMK} | direct <= nodes
    assert BASE + "id/standard/xdis91" not in nodes  # replaced by CareCommunication, unrelated
    whole = {g.get("data-iri") for g in groups(parse(pictures.network(pub, "en", PUBLIC)), "node")}
    assert nodes < whole
    for edge in groups(root, "edge"):
        assert {edge.get("data-source"), edge.get("data-target")} <= nodes
    assert "Shared Medication Record" in root[0].text
    # Two steps, the second along stated relations: FMK delivered via FMK-online, which the
    # eCPR service is delivered via too.
    assert BASE + "id/system/ecpr" in nodes
    alone = parse(pictures.network(pub, "en", PUBLIC, around=BASE + "id/focus-area/1"))
    assert groups(alone, "edge") == []


def test_labels_follow_the_language(pub):
    da = parse(pictures.network(pub, "da", PUBLIC, around=FMK))
    en = parse(pictures.network(pub, "en", PUBLIC, around=FMK))

    def node_title(root):
        node = next(g for g in groups(root, "node") if g.get("data-iri") == FMK)
        return node.find(f"{SVG}a/{SVG}title").text

    assert node_title(da).startswith("Fælles Medicinkort")
    assert node_title(en).startswith("Shared Medication Record")
    for name, svg_da in all_pictures(pub, "da").items():
        svg_en = all_pictures(pub, "en")[name]
        assert parse(svg_da)[0].text != parse(svg_en)[0].text, name
        assert parse(svg_da)[1].text != parse(svg_en)[1].text, name
    assert "Antal indsatser" in pictures.portfolio(pub, "da", PUBLIC)
    assert "Number of initiatives" in pictures.portfolio(pub, "en", PUBLIC)
    assert "Borgeren som aktiv partner" in pictures.timeline(pub, "da", PUBLIC)
    assert "The citizen as an active partner" in pictures.timeline(pub, "en", PUBLIC)
    for make in (pictures.network, pictures.timeline, pictures.portfolio):
        with pytest.raises(ValueError):
            make(pub, "de", PUBLIC)


def test_pictures_are_deterministic(pub, real_root):
    first = all_pictures(pub, "en")
    assert all_pictures(pub, "en") == first
    fresh = load(real_root)  # no remembered data
    assert all_pictures(fresh, "en") == first


CRAFTED = """
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix sg: <https://w3id.org/sundhedsgraf/def#> .
@prefix fa: <https://w3id.org/sundhedsgraf/id/focus-area/> .
@prefix ini: <https://w3id.org/sundhedsgraf/id/initiative/> .
@prefix sgo: <https://w3id.org/sundhedsgraf/id/organisation/> .
@prefix sys: <https://w3id.org/sundhedsgraf/id/system/> .
@prefix rel: <https://w3id.org/sundhedsgraf/id/relation/> .
@prefix ms: <https://w3id.org/sundhedsgraf/id/milestone/> .
@prefix status: <https://w3id.org/sundhedsgraf/id/outcome-status/> .
@prefix mstat: <https://w3id.org/sundhedsgraf/id/milestone-status/> .
@prefix prec: <https://w3id.org/sundhedsgraf/id/date-precision/> .

fa:1 a sg:FocusArea ; skos:notation "1" ;
    rdfs:label "Fokus <b>fed</b>"@da, "Focus \\"quoted\\" & 'single'"@en .
ini:1.1 a sg:Initiative ; dcterms:identifier "1.1" ; sg:focusArea fa:1 ;
    rdfs:label "Indsats ]]> <![CDATA[ x"@da ; sg:outcomeStatus status:ongoing ;
    sg:owner sgo:o ; sg:develops sys:evil .
sgo:o rdfs:label "Org <img src=x onerror=alert(1)>"@en .
status:ongoing a sg:OutcomeStatus ; rdfs:label "<i>status</i>"@da .
sys:evil a sg:System ; rdfs:label "<script>alert(1)</script> & co"@da, "control \\u0001 char"@en .
sys:other a sg:System .
rel:r a sg:Relation ; rdf:subject sys:evil ; rdf:predicate sg:dependsOn ; rdf:object sys:other ;
    sg:realisation mstat:planned ; rdfs:label "</title><script>alert(2)</script>"@da .
ms:m a sg:Milestone ; rdfs:label "<script>alert(3)</script>"@da ;
    sg:milestoneOf ini:1.1 ; prov:wasDerivedFrom ini:1.1 ; sg:milestoneStatus mstat:achieved ;
    sg:dateAsPublished "\\"><script>alert(4)</script>"@da ; sg:datePrecision prec:year ;
    sg:periodStart "2020-01-01"^^xsd:date ; sg:periodEnd "2020-12-31"^^xsd:date .
ini:1.1 sg:uses <https://example.org/elsewhere> .
"""


@pytest.fixture
def crafted(tmp_path) -> Publication:
    """A real Publication over a tiny store: the real ontology and hostile labels."""
    store = ox.Store()
    store.load(path=ONTOLOGY, format=ox.RdfFormat.TURTLE, to_graph=ox.NamedNode(BASE + "graph/o"))
    store.load(
        CRAFTED.encode(), format=ox.RdfFormat.TURTLE, to_graph=ox.NamedNode(BASE + "graph/data")
    )
    graphs = tuple(sorted(g.value for g in store.named_graphs()))
    return Publication(tmp_path, {"base_iri": BASE}, store, {}, "", graphs)


@pytest.mark.parametrize("lang", ["da", "en"])
def test_values_from_the_data_are_escaped(crafted, lang):
    made = {
        "network": pictures.network(crafted, lang, PUBLIC),
        "around": pictures.network(crafted, lang, PUBLIC, around=BASE + "id/system/evil"),
        "timeline": pictures.timeline(crafted, lang, PUBLIC),
        "portfolio": pictures.portfolio(crafted, lang, PUBLIC),
        "owners": pictures.portfolio(crafted, lang, PUBLIC, by="owner"),
    }
    for name, svg in made.items():
        root = parse(svg)  # well-formed, whatever the labels hold
        assert "<script" not in svg and "<img" not in svg and "<b>" not in svg, name
        assert "\x01" not in svg
        assert_safe(root)
        texts = " ".join(e.text or "" for e in root.iter())
        assert "<" in texts, name  # the labels, as text
    network = made["network"]
    if lang == "da":
        assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in network
        node = next(g for g in groups(parse(network), "node") if "evil" in g.get("data-iri"))
        assert node.find(f"{SVG}a/{SVG}text").text == "<script>alert(1)</script> & co"
        assert "&lt;script&gt;alert(3)&lt;/script&gt;" in made["timeline"]
        assert "&lt;i&gt;status&lt;/i&gt;" in made["portfolio"]
    else:
        assert "Focus &quot;quoted&quot; &amp; 'single'" in made["timeline"] or (
            "Focus \"quoted\" &amp; 'single'" in made["timeline"]
        )
        assert "Org &lt;img src=x onerror=alert(1)&gt;" in made["owners"]


def test_a_resource_has_the_name_and_link_of_its_page(crafted):
    """Pictures and pages share one labelling service (pages.labels.Index): the same label and
    fallback, our URL for our resources, and no link to another site."""
    idx = labels.index(crafted, PUBLIC)
    other = BASE + "id/system/other"  # no label: its compact name, as on its page
    assert idx.label(other, "da") == "sys:other"
    for lang in ("da", "en"):
        root = parse(pictures.network(crafted, lang, PUBLIC))
        nodes = {g.get("data-iri"): g for g in groups(root, "node")}
        for iri in (BASE + "id/system/evil", other, ELSEWHERE):
            shown = idx.label(iri, lang).replace("\x01", "")  # less what XML cannot carry
            assert nodes[iri].find(f".//{SVG}text").text == shown
        assert nodes[other].find(f"{SVG}a").get("href") == idx.href(other)[0]
        assert nodes[ELSEWHERE].find(f"{SVG}a") is None


def test_whole_network_filters_by_focus_area_and_kind(pub):
    whole = {g.get("data-iri") for g in groups(parse(pictures.network(pub, "en", PUBLIC)), "node")}
    area = BASE + "id/focus-area/2"
    rows = pub.store.query(
        f"SELECT ?i WHERE {{ ?i <{BASE}def#focusArea> <{area}> }}", use_default_graph_as_union=True
    )
    initiatives = {r["i"].value for r in rows}
    root = parse(pictures.network(pub, "en", PUBLIC, focus_area=area))
    nodes = {g.get("data-iri"): g.get("data-kind") for g in groups(root, "node")}
    shown = {n for n, kind in nodes.items() if kind == "initiative"}
    assert shown == initiatives & whole and set(nodes) < whole
    systems = parse(pictures.network(pub, "en", PUBLIC, kind="system"))
    kinds = {g.get("data-kind") for g in groups(systems, "node")}
    assert kinds == {"system", "initiative"}


def test_the_centre_of_a_neighbourhood_is_marked(pub):
    root = parse(pictures.network(pub, "en", PUBLIC, around=FMK))
    focus = [g for g in groups(root, "node") if "focus" in g.get("class", "").split()]
    assert [g.get("data-iri") for g in focus] == [FMK]

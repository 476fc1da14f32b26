"""The ontology page: every class and property with definition, alignments and use."""

from collections import defaultdict

import pyoxigraph as ox
from starlette.requests import Request
from starlette.responses import Response

from sundhedsgraf.formats import GRAPH_TYPES
from sundhedsgraf.pages.labels import DCTERMS, OWL, RDFS, SKOS, TYPE, Index, link, term_view
from sundhedsgraf.pages.lists import type_keys
from sundhedsgraf.pages.page import Page, cached
from sundhedsgraf.pages.terms import first_value, literal_in, objects
from sundhedsgraf.publication import Publication
from sundhedsgraf.settings import Settings

ALIGNMENTS = (
    RDFS + "subClassOf",
    RDFS + "subPropertyOf",
    OWL + "equivalentClass",
    OWL + "equivalentProperty",
    SKOS + "exactMatch",
    SKOS + "closeMatch",
    SKOS + "broadMatch",
    SKOS + "narrowMatch",
    SKOS + "relatedMatch",
    RDFS + "seeAlso",
)


def ontology_view(pub: Publication, idx: Index, lang: str) -> dict:
    store, sg = pub.store, idx.sg
    terms = defaultdict(set)  # term -> its kinds (owl:Class, owl:ObjectProperty, …)
    graph = ox.NamedNode(pub.base + "graph/ontology")
    for q in store.quads_for_pattern(None, ox.NamedNode(TYPE), None, graph):
        if isinstance(q.subject, ox.NamedNode) and q.subject.value.startswith(sg):
            terms[q.subject.value].add(q.object.value)
    instance_counts = defaultdict(int)
    for s in idx.subjects:
        for t in idx.types.get(s, ()):
            instance_counts[t] += 1
    keys = type_keys(idx)
    classes, properties = [], []
    for term, kinds in terms.items():
        view = term_entry(pub, idx, term, kinds, lang)
        if OWL + "Class" in kinds:
            view["instances"] = instance_counts.get(term, 0)
            view["list_key"] = keys.get(term)
            classes.append(view)
        else:
            properties.append(view | property_entry(pub, idx, term, lang))
    ontology = pub.base + "def"
    return {
        "iri": ontology,
        "label": idx.label(ontology, lang),
        "description": (literal_in(store, ontology, DCTERMS + "description", lang) or ("", ""))[0],
        "version": first_value(store, ontology, OWL + "versionInfo") or "",
        "license": [term_view(idx, o, lang) for o in objects(store, ontology, DCTERMS + "license")],
        "classes": sorted(classes, key=lambda v: v["anchor"].lower()),
        "properties": sorted(properties, key=lambda v: v["anchor"].lower()),
    }


def term_entry(pub: Publication, idx: Index, term: str, kinds: set[str], lang: str) -> dict:
    """What the page says of every term: names, definition, alignments, kinds."""
    store = pub.store
    return {
        "anchor": term[len(idx.sg) :],
        "term": link(idx, term, lang),
        "label": idx.label(term, lang),
        "curie": idx.compact(term),
        "definition": (literal_in(store, term, SKOS + "definition", lang) or ("", ""))[0],
        "comment": (literal_in(store, term, RDFS + "comment", lang) or ("", ""))[0],
        "alignments": [
            {
                "relation": link(idx, a, lang),
                "targets": [term_view(idx, o, lang) for o in objects(store, term, a)],
            }
            for a in ALIGNMENTS
            if objects(store, term, a)
        ],
        "kinds": [link(idx, k, lang) for k in sorted(kinds)],
        "deprecated": any(o.value == "true" for o in objects(store, term, OWL + "deprecated")),
    }


def property_entry(pub: Publication, idx: Index, term: str, lang: str) -> dict:
    """A property's domain, range and how often the data uses it."""
    store, data = pub.store, ox.NamedNode(pub.base + "graph/data")
    uses = {
        (q.subject, q.object) for q in store.quads_for_pattern(None, ox.NamedNode(term), None, data)
    }
    return {
        "domain": [term_view(idx, o, lang) for o in objects(store, term, RDFS + "domain")],
        "range": [term_view(idx, o, lang) for o in objects(store, term, RDFS + "range")],
        "uses": len(uses),
    }


def ontology_page(request: Request, pub: Publication, settings: Settings) -> Response:
    page = Page(request, pub, settings)

    def make():
        view = ontology_view(pub, page.idx, page.lang)
        formats = [(ext, media) for media, ext in GRAPH_TYPES.items()]
        return page.render("ontology.html", view=view, formats=formats)

    return cached(page, make)

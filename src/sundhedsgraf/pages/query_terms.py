"""What the query editor completes: the prefixes, and the classes and properties of the build
with their labels and definitions in both languages, as one small JSON made once per build."""

import json

import pyoxigraph as ox
from starlette.requests import Request
from starlette.responses import Response

from sundhedsgraf.formats import JSON
from sundhedsgraf.namespaces import shorten
from sundhedsgraf.pages.i18n import LANGUAGES
from sundhedsgraf.pages.labels import OWL, RDF, RDFS, SKOS, TYPE, index
from sundhedsgraf.pages.terms import literal_in
from sundhedsgraf.publication import Publication
from sundhedsgraf.settings import Settings
from sundhedsgraf.web.responses import conditional

CLASS_TYPES = (OWL + "Class", RDFS + "Class")
PROPERTY_TYPES = (
    OWL + "ObjectProperty",
    OWL + "DatatypeProperty",
    OWL + "AnnotationProperty",
    RDF + "Property",
)
DEFINITIONS = (SKOS + "definition", RDFS + "comment")


def terms_json(request: Request, pub: Publication, settings: Settings) -> Response:
    body = pub.cache.get((make_terms, settings.public), lambda: make_terms(pub, settings.public))
    headers = {"Cache-Control": "public, max-age=60"}
    return conditional(request, body, JSON, headers, last_modified=pub.last_modified)


def make_terms(pub: Publication, public: str) -> bytes:
    idx = index(pub, public)
    store = pub.store
    classes, properties = set(), set()
    for kinds, found in ((CLASS_TYPES, classes), (PROPERTY_TYPES, properties)):
        for kind in kinds:
            for q in store.quads_for_pattern(None, ox.NamedNode(TYPE), ox.NamedNode(kind)):
                if isinstance(q.subject, ox.NamedNode):
                    found.add(q.subject.value)
    for q in store.quads_for_pattern(None, ox.NamedNode(TYPE), None):
        if isinstance(q.object, ox.NamedNode):
            classes.add(q.object.value)
    used = store.query("SELECT DISTINCT ?p WHERE { GRAPH ?g { ?s ?p ?o } }")
    properties |= {row["p"].value for row in used}
    terms = []
    for kind, iris in (("class", classes), ("property", properties - classes)):
        for iri in iris:
            name = shorten(iri, idx.prefix_map)
            if name is None:
                continue
            terms.append(
                {
                    "name": name,
                    "kind": kind,
                    "label": {lang: idx.label(iri, lang) for lang in LANGUAGES},
                    "definition": {lang: definition(store, iri, lang) for lang in LANGUAGES},
                }
            )
    terms.sort(key=lambda term: term["name"].casefold())
    return json.dumps(
        {"prefixes": idx.prefix_map, "terms": terms}, ensure_ascii=False, separators=(",", ":")
    ).encode()


def definition(store: ox.Store, iri: str, lang: str) -> str | None:
    for predicate in DEFINITIONS:
        found = literal_in(store, iri, predicate, lang)
        if found:
            return " ".join(found[0].split())
    return None

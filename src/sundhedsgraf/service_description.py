"""The SPARQL service description (sd:Service) of the endpoint: only what it really does."""

import pyoxigraph as ox

from .publication import Publication
from .responses import GRAPH_TYPES
from .results import RESULT_MEDIA_TYPES

SD = "http://www.w3.org/ns/sparql-service-description#"
FORMATS = "http://www.w3.org/ns/formats/"
VOID = "http://rdfs.org/ns/void#"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
XSD_INTEGER = ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")
# W3C's format IRIs (https://www.w3.org/ns/formats/) for what the endpoint returns.
FORMAT_IRIS = {
    RESULT_MEDIA_TYPES["json"]: "SPARQL_Results_JSON",
    RESULT_MEDIA_TYPES["xml"]: "SPARQL_Results_XML",
    RESULT_MEDIA_TYPES["csv"]: "SPARQL_Results_CSV",
    RESULT_MEDIA_TYPES["tsv"]: "SPARQL_Results_TSV",
    "text/turtle": "Turtle",
    "application/n-triples": "N-Triples",
    "application/ld+json": "JSON-LD",
    "application/rdf+xml": "RDF_XML",
    "application/trig": "TriG",
    "application/n-quads": "N-Quads",
}
assert set(FORMAT_IRIS) == set(RESULT_MEDIA_TYPES.values()) | set(GRAPH_TYPES)


def describe_service(pub: Publication, endpoint: str, federated: bool) -> list[ox.Triple]:
    n, t = ox.NamedNode, ox.Triple
    service, dataset, default = n(endpoint), ox.BlankNode("dataset"), ox.BlankNode("default")
    triples = [
        t(service, RDF_TYPE, n(SD + "Service")),
        t(service, n(SD + "endpoint"), service),
        t(service, n(SD + "supportedLanguage"), n(SD + "SPARQL11Query")),
        t(service, n(SD + "feature"), n(SD + "UnionDefaultGraph")),
        t(service, n(SD + "defaultDataset"), dataset),
        t(dataset, RDF_TYPE, n(SD + "Dataset")),
        t(dataset, n("http://purl.org/dc/terms/source"), n(pub.base + "id/dataset")),
        t(dataset, n(SD + "defaultGraph"), default),
        t(default, RDF_TYPE, n(SD + "Graph")),
        t(default, n(VOID + "triples"), count(distinct_triples(pub.store))),
    ]
    if federated:
        triples.append(t(service, n(SD + "feature"), n(SD + "BasicFederatedQuery")))
    triples += [t(service, n(SD + "resultFormat"), n(FORMATS + f)) for f in FORMAT_IRIS.values()]
    for name in pub.graphs:
        named, graph = ox.BlankNode(f"named-{len(triples)}"), ox.BlankNode(f"graph-{len(triples)}")
        size = sum(1 for _ in pub.store.quads_for_pattern(None, None, None, n(name)))
        triples += [
            t(dataset, n(SD + "namedGraph"), named),
            t(named, RDF_TYPE, n(SD + "NamedGraph")),
            t(named, n(SD + "name"), n(name)),
            t(named, n(SD + "graph"), graph),
            t(graph, RDF_TYPE, n(SD + "Graph")),
            t(graph, n(VOID + "triples"), count(size)),
        ]
    return triples


def count(value: int) -> ox.Literal:
    return ox.Literal(str(value), datatype=XSD_INTEGER)


def distinct_triples(store: ox.Store) -> int:
    """Triples in the union default graph (a triple in two graphs counts once)."""
    return len(
        {(q.subject, q.predicate, q.object) for q in store.quads_for_pattern(None, None, None)}
    )

"""The SPARQL service description (sd:Service) of the endpoint: only what it really does."""

import pyoxigraph as ox
from starlette.requests import Request
from starlette.responses import Response

from sundhedsgraf.formats import GRAPH_TYPES, RDF, RESULTS
from sundhedsgraf.publication import Publication
from sundhedsgraf.settings import Settings
from sundhedsgraf.web.linked_data import serialize
from sundhedsgraf.web.responses import conditional, negotiate

SD = "http://www.w3.org/ns/sparql-service-description#"
VOID = "http://rdfs.org/ns/void#"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
XSD_INTEGER = ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")


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
    triples += [t(service, n(SD + "resultFormat"), n(f.iri)) for f in RESULTS + RDF]
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


def service_description(request: Request, settings: Settings, pub: Publication) -> Response:
    """GET /sparql without a query: the description in the negotiated RDF format."""
    media_type = negotiate(request.headers.get("accept"), tuple(GRAPH_TYPES))
    endpoint, federated = settings.public + "sparql", bool(settings.service_allowlist)
    key = (describe_service, endpoint, federated, media_type)
    body = pub.cache.get(key, lambda: render(pub, endpoint, federated, media_type))
    headers = {"Vary": "Accept"}
    return conditional(request, body, media_type, headers, last_modified=pub.last_modified)


def render(pub: Publication, endpoint: str, federated: bool, media_type: str) -> bytes:
    return serialize(describe_service(pub, endpoint, federated), media_type, pub.base)

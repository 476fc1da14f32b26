"""Bounded descriptions of a resource: what a dereferenced IRI answers with.

A description holds the resource's own triples (and the blank nodes they lead to), the labels
of everything it points at, and one page of the links that point at it, with their count.
The page keeps a description small however popular a resource is; the rest are a link away.
"""

from dataclasses import dataclass

import pyoxigraph as ox

from sundhedsgraf.namespaces import EXTRA_PREFIXES, PREFIXES

RDF = PREFIXES["rdf"]
LABELS = [
    ox.NamedNode(iri)
    for iri in (
        PREFIXES["rdfs"] + "label",
        PREFIXES["skos"] + "prefLabel",
        PREFIXES["skos"] + "notation",
        "http://purl.org/dc/terms/title",
        PREFIXES["rdf"] + "type",
    )
]
FOAF, VOID = PREFIXES["foaf"], EXTRA_PREFIXES["void"]
HYDRA = "http://www.w3.org/ns/hydra/core#"
DCTERMS = PREFIXES["dcterms"]


@dataclass
class Description:
    triples: list[ox.Triple]
    inbound_total: int
    page: int
    pages: int


def known(store: ox.Store, node: ox.NamedNode) -> bool:
    """True if the graph says anything of `node` or links to it."""
    return any(True for _ in store.quads_for_pattern(node, None, None)) or any(
        True for _ in store.quads_for_pattern(None, None, node)
    )


def describe_resource(
    store: ox.Store, node: ox.NamedNode, page: int, page_size: int
) -> Description:
    """The bounded description of `node` with page `page` (1-based) of its inbound links."""
    triples = dict.fromkeys(outgoing(store, node))
    chosen, total, pages = inbound_page(store, node, page, page_size)
    triples.update(dict.fromkeys(chosen))
    linked = {t.object for t in triples if isinstance(t.object, ox.NamedNode)}
    linked |= {t.subject for t in chosen}
    for other in sorted(linked - {node}, key=str):
        triples.update(dict.fromkeys(labels(store, other)))
    return Description(list(triples), total, page, pages)


def inbound_page(store: ox.Store, node, page: int, page_size: int) -> tuple[list, int, int]:
    """(page `page` of the triples pointing at `node`, how many there are, how many pages),
    in a stable order: by predicate, then subject."""
    inbound = sorted(
        {
            ox.Triple(q.subject, q.predicate, q.object)
            for q in store.quads_for_pattern(None, None, node)
        },
        key=lambda t: (t.predicate.value, str(t.subject)),
    )
    pages = max(1, -(-len(inbound) // page_size))
    return inbound[(page - 1) * page_size : page * page_size], len(inbound), pages


def outgoing(store: ox.Store, node) -> list[ox.Triple]:
    """The triples of `node`, following blank nodes (each once) to close the description."""
    found, todo, seen = [], [node], set()
    while todo:
        subject = todo.pop()
        for quad in store.quads_for_pattern(subject, None, None):
            found.append(ox.Triple(quad.subject, quad.predicate, quad.object))
            if isinstance(quad.object, ox.BlankNode) and quad.object not in seen:
                seen.add(quad.object)
                todo.append(quad.object)
    return found


def labels(store: ox.Store, node) -> list[ox.Triple]:
    return [
        ox.Triple(q.subject, q.predicate, q.object)
        for predicate in LABELS
        for q in store.quads_for_pattern(node, predicate, None)
    ]


def about(document: str, node: ox.NamedNode, dataset: str, d: Description, page_url) -> list:
    """What the document says of itself: its topic, its dataset, and the paging of inbound
    links (Hydra), `page_url(n)` being the URL of page n."""
    doc, n = ox.NamedNode(document), ox.NamedNode
    triples = [
        ox.Triple(doc, n(RDF + "type"), n(FOAF + "Document")),
        ox.Triple(doc, n(FOAF + "primaryTopic"), node),
        ox.Triple(doc, n(VOID + "inDataset"), n(dataset)),
    ]
    inbound = n(document.split("?")[0] + "#inbound")
    triples += [
        ox.Triple(inbound, n(RDF + "type"), n(HYDRA + "Collection")),
        ox.Triple(
            inbound,
            n(HYDRA + "totalItems"),
            ox.Literal(str(d.inbound_total), datatype=n(PREFIXES["xsd"] + "integer")),
        ),
        ox.Triple(inbound, n(HYDRA + "view"), doc),
        ox.Triple(doc, n(RDF + "type"), n(HYDRA + "PartialCollectionView")),
        ox.Triple(doc, n(HYDRA + "first"), n(page_url(1))),
        ox.Triple(doc, n(HYDRA + "last"), n(page_url(d.pages))),
    ]
    if d.page > 1:
        triples.append(ox.Triple(doc, n(HYDRA + "previous"), n(page_url(d.page - 1))))
    if d.page < d.pages:
        triples.append(ox.Triple(doc, n(HYDRA + "next"), n(page_url(d.page + 1))))
    return triples

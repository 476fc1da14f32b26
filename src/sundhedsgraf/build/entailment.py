"""The entailment the model relies on, added to the data before validation and publication.

(a) Stated relations: for every `?r a sg:Relation ; rdf:subject ?s ; rdf:predicate ?p ;
    rdf:object ?o ; sg:realisation mstat:achieved`, assert `?s ?p ?o`. A planned or revised
    relation is not asserted: the plain triple would read as a fact. Every relation node stays:
    it carries provenance, realisation and date (docs/modelling.md, "Relations between
    resources").
(b) Sub-properties inside sg:: for every `P rdfs:subPropertyOf Q` with both P and Q in the sg:
    namespace, assert `?s Q ?o` for every `?s P ?o`, transitively, so that a query for
    sg:involves also finds sg:develops, sg:uses and the others.

Nothing else is inferred: super-properties and classes outside sg: are left to consumers.
"""

from collections import defaultdict
from itertools import chain, product

from rdflib import RDF, RDFS, Graph, Literal, URIRef


def entail(data: Graph, ontology: Graph, sg: str) -> int:
    """Add (a) then (b) to `data`; the number of triples added."""
    before = len(data)
    # mstat:achieved under the same base as `sg` (the ontology namespace, `<base>def#`)
    achieved = URIRef(sg.removesuffix("def#") + "id/milestone-status/achieved")
    assert_relations(data, URIRef(sg + "Relation"), URIRef(sg + "realisation"), achieved)
    for prop, supers in sg_super_properties(chain(ontology, data), sg).items():
        for (s, o), q in product(list(data.subject_objects(prop)), supers):
            data.add((s, q, o))
    return len(data) - before


def assert_relations(
    data: Graph, relation_class: URIRef, realisation: URIRef, achieved: URIRef
) -> None:
    for relation in list(data.subjects(RDF.type, relation_class)):
        if (relation, realisation, achieved) not in data:
            continue
        for s, p, o in product(
            list(data.objects(relation, RDF.subject)),
            list(data.objects(relation, RDF.predicate)),
            list(data.objects(relation, RDF.object)),
        ):
            if isinstance(p, URIRef) and not isinstance(s, Literal):
                data.add((s, p, o))


def sg_super_properties(triples, sg: str) -> dict[URIRef, set[URIRef]]:
    """Each sg: property -> all its sg: super-properties (transitive closure)."""
    direct = defaultdict(set)
    for p, relation, q in triples:
        if relation == RDFS.subPropertyOf and str(p).startswith(sg) and str(q).startswith(sg):
            direct[p].add(q)
    return {prop: reachable(prop, direct) for prop in direct}


def reachable(start, edges: dict) -> set:
    """Everything `start` leads to along `edges` (node -> successors), itself excluded."""
    found, todo = set(), [start]
    while todo:
        for nxt in edges.get(todo.pop(), ()):
            if nxt not in found:
                found.add(nxt)
                todo.append(nxt)
    found.discard(start)
    return found

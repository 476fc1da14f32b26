"""The ontology: every term documented in both languages, aligned, used consistently, shaped."""

from pathlib import Path

import pytest
from rdflib import OWL, RDF, RDFS, SKOS, Graph, URIRef
from rdflib.collection import Collection
from rdflib.namespace import SH

REPO = Path(__file__).resolve().parents[2]
SG = "https://w3id.org/sundhedsgraf/def#"
STANDARD_VOCABULARIES = (
    "http://purl.org/dc/terms/",
    "http://www.w3.org/2004/02/skos/core#",
    "http://www.w3.org/ns/org#",
    "http://www.w3.org/ns/prov#",
    "http://www.w3.org/ns/dcat#",
    "https://schema.org/",
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "http://www.w3.org/ns/adms#",
)


def parse(*folders: str) -> Graph:
    graph = Graph()
    for folder in folders:
        for path in sorted((REPO / folder).glob("*.ttl")):
            graph.parse(path)
    return graph


@pytest.fixture(scope="module")
def ontology() -> Graph:
    return parse("ontology")


def terms(ontology: Graph) -> set[URIRef]:
    kinds = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty)
    return {t for k in kinds for t in ontology.subjects(RDF.type, k) if str(t).startswith(SG)}


def test_every_term_has_label_and_definition_in_danish_and_english(ontology):
    for term in terms(ontology):
        for predicate in (RDFS.label, SKOS.definition):
            languages = sorted(o.language for o in ontology.objects(term, predicate))
            assert languages == ["da", "en"], f"{term} {predicate}"


def test_every_term_is_aligned_to_a_standard_vocabulary(ontology):
    """Each term reaches a standard vocabulary (STANDARD_VOCABULARIES) through its super-terms,
    the super-classes of its range, or, where no super-term is honest, an rdfs:seeAlso."""
    for term in terms(ontology):
        reachable = set(ontology.transitive_objects(term, RDFS.subClassOf))
        reachable |= set(ontology.transitive_objects(term, RDFS.subPropertyOf))
        reachable |= set(ontology.objects(term, RDFS.seeAlso))
        for range_ in ontology.objects(term, RDFS.range):
            reachable |= set(ontology.transitive_objects(range_, RDFS.subClassOf))
        assert any(str(r).startswith(STANDARD_VOCABULARIES) for r in reachable), term


def test_data_and_shapes_use_only_declared_sg_terms(ontology):
    used = parse("data", "shapes")
    mentioned = {t for triple in used for t in triple if isinstance(t, URIRef) and t.startswith(SG)}
    assert mentioned - terms(ontology) == set()


def test_every_class_has_a_shape(ontology):
    shapes = parse("shapes")
    targeted = set(shapes.objects(None, SH.targetClass))
    for cls in ontology.subjects(RDF.type, OWL.Class):
        supers = set(ontology.transitive_objects(cls, RDFS.subClassOf))
        assert supers & targeted, f"no shape targets {cls} or a super-class of it"


def test_every_relation_predicate_reads_in_both_directions(ontology):
    """Each predicate a relation node may have (sgsh:Relation-predicate) has an inverse, and both
    have a label and a wording for plans in Danish and English: a page phrases a relation from
    either end, planned or achieved, without a second hand-written triple."""
    shapes = parse("shapes")
    allowed = shapes.value(URIRef(SG.replace("def#", "shapes#") + "Relation-predicate"), SH["in"])
    predicates = list(Collection(shapes, allowed))
    assert len(predicates) == 7
    planned = URIRef(SG + "plannedLabel")
    for predicate in predicates:
        inverses = set(ontology.subjects(OWL.inverseOf, predicate))
        assert len(inverses) == 1, predicate
        for term in (predicate, *inverses):
            for p in (RDFS.label, planned):
                languages = sorted(o.language for o in ontology.objects(term, p))
                assert languages == ["da", "en"], (term, p)

"""The SHACL shapes in shapes/: a valid fixture conforms; every shape catches its negative cases.

Each negative case (tests/fixtures/shapes/cases/*.toml) removes and adds a few triples of the valid
fixture and names the shape, focus node, path and message words of the result it must produce.
"""

import functools
import tomllib

import pytest
from rdflib import RDF, RDFS, Graph, URIRef
from rdflib.namespace import SH
from shapes_support import (
    BASE,
    ROOT,
    SGSH,
    data_graph,
    entail,
    load,
    rebase,
    shapes,
    summary,
    validate,
)

from sundhedsgraf.namespaces import rebase as rebase_iri

FIXTURES = ROOT / "tests" / "fixtures" / "shapes"
VALID = FIXTURES / "valid.ttl"
PREFIXES = "".join(
    line + "\n" for line in VALID.read_text().splitlines() if line.startswith("@prefix")
)
ONTOLOGY = ROOT / "ontology" / "sundhedsgraf.ttl"

# Shape parameters that are not constraints: a shape with nothing else only groups property shapes.
NOT_CONSTRAINTS = {
    SH.targetClass,
    SH.targetNode,
    SH.targetSubjectsOf,
    SH.targetObjectsOf,
    SH.target,
    SH.property,
    SH.path,
    SH.severity,
    SH.message,
    SH.name,
    SH.description,
}


@functools.cache
def shapes_graph() -> Graph:
    return shapes()


@functools.cache
def fixture() -> Graph:
    return load(ONTOLOGY, VALID)


def snippet(turtle: str) -> Graph:
    return Graph().parse(data=PREFIXES + turtle, format="turtle")


def term(curie: str) -> URIRef:
    return fixture().namespace_manager.expand_curie(curie)


def load_cases() -> list:
    params = []
    for path in sorted((FIXTURES / "cases").glob("*.toml")):
        for i, case in enumerate(tomllib.loads(path.read_text())["case"], start=1):
            params.append(
                pytest.param(case, id=f"{path.stem}-{i}-{case['shape'].removeprefix('sgsh:')}")
            )
    return params


CASES = load_cases()


def constraint_shapes(graph: Graph) -> set[URIRef]:
    """Named shapes that can report a result themselves (not mere groups of property shapes)."""
    named = {s for s in graph.subjects(RDF.type, SH.NodeShape) if isinstance(s, URIRef)}
    named |= {s for s in graph.subjects(RDF.type, SH.PropertyShape) if isinstance(s, URIRef)}
    return {
        s
        for s in named
        if any(p.startswith(SH) and p not in NOT_CONSTRAINTS for p in graph.predicates(s))
    }


def test_valid_fixture_conforms():
    graph = data_graph(VALID)
    results = validate(graph, shapes_graph())
    assert not results, summary(results, graph)


@pytest.mark.parametrize("case", CASES)
def test_negative_case(case):
    check(case)


def check(case: dict, base: str = BASE):
    """Break the fixture as the case says, validate (under `base`) and look for the result."""
    graph = Graph() + fixture()
    for triple in snippet(case.get("remove", "")):
        assert triple in graph, f"case removes a triple the fixture does not have: {triple}"
        graph.remove(triple)
    graph += snippet(case.get("add", ""))
    results = validate(rebase(entail(graph), base), rebase(shapes_graph(), base))

    shape, focus = (URIRef(rebase_iri(term(case[key]), base)) for key in ("shape", "focus"))
    path = case.get("path")
    path = path and ("^" if path.startswith("^") else "") + rebase_iri(
        str(term(path.lstrip("^"))), base
    )
    hits = [r for r in results if r["shape"] == shape and r["focus"] == focus and r["path"] == path]
    assert hits, (
        f"no result from {case['shape']} for {case['focus']} {case.get('path', '')}:\n"
        + summary(results, fixture())
    )
    for hit in hits:
        messages = [str(m) for m in hit["messages"]]
        assert hit["severity"] == SH[case.get("severity", "Violation")]
        assert len(messages) == 2, f"expected a message in English and one in Danish: {messages}"
        for word in case["words"]:
            assert any(word.lower() in m.lower() for m in messages), f"{word!r} not in {messages}"


OTHER_BASE = "https://example.org/graph/"
SPARQL_CASES = [
    c
    for c in CASES
    if {SH.sparql, SH.target} & set(shapes_graph().predicates(term(c.values[0]["shape"])))
]


def test_valid_fixture_conforms_under_another_base():
    graph = rebase(data_graph(VALID), OTHER_BASE)
    results = validate(graph, rebase(shapes_graph(), OTHER_BASE))
    assert not results, summary(results, graph)


@pytest.mark.parametrize("case", SPARQL_CASES)
def test_sparql_shapes_under_another_base(case):
    """The build rewrites the base everywhere: SPARQL-based shapes must still find their cases."""
    check(case, OTHER_BASE)


def test_every_shape_has_a_negative_case():
    covered = {term(p.values[0]["shape"]) for p in CASES}
    missing = constraint_shapes(shapes_graph()) - covered
    assert not missing, f"shapes without a negative case: {sorted(missing)}"
    unknown = covered - constraint_shapes(shapes_graph())
    assert not unknown, f"cases name shapes that do not exist: {sorted(unknown)}"


def test_every_shape_is_named_documented_and_bilingual():
    graph = shapes_graph()
    for group in graph.subjects(RDF.type, SH.NodeShape):
        for prop in graph.objects(group, SH.property):
            assert isinstance(prop, URIRef), f"{group} has an anonymous property shape"
    for shape in constraint_shapes(graph):
        assert shape.startswith(SGSH), shape
        assert graph.value(shape, RDFS.comment), f"{shape} has no rdfs:comment"
        messages = list(graph.objects(shape, SH.message)) + [
            m for c in graph.objects(shape, SH.sparql) for m in graph.objects(c, SH.message)
        ]
        assert sorted(m.language for m in messages) == ["da", "en"], (
            f"{shape} needs one sh:message @en and @da"
        )
        assert graph.value(shape, SH.severity) in (SH.Violation, SH.Warning), (
            f"{shape} has no sh:severity"
        )


def test_entailment_asserts_relations_and_super_properties():
    graph = entail(load(ONTOLOGY, VALID))
    assert (term("std:new"), term("dcterms:replaces"), term("std:old")) in graph
    assert (term("ini:1.1"), term("sg:involves"), term("sys:app")) in graph
    assert (term("ini:1.1"), term("sg:concerns"), term("sys:app")) in graph
    assert (term("sys:app"), term("sg:dependsOn"), term("std:new")) in graph
    assert (term("sys:app"), term("dcterms:requires"), term("std:new")) not in graph  # sg: only
    # Only achieved relations are asserted: a planned or revised one stays a relation node.
    planned = (term("std:new"), term("sg:deliveredVia"), term("sys:platform"))
    revised = (term("sys:app"), term("sg:integratesWith"), term("sys:platform"))
    assert planned not in graph and revised not in graph
    assert (term("rel:new-delivered-via-platform"), RDF.subject, term("std:new")) in graph


def test_repository_data_conforms():
    """The curated data/ conforms (warnings allowed); fails while data/ is still being written."""
    graph = data_graph(*sorted((ROOT / "data").glob("*.ttl")))
    violations = [r for r in validate(graph, shapes_graph()) if r["severity"] == SH.Violation]
    assert not violations, summary(violations, graph)

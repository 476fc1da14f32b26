"""Validate a graph the way the build does: ontology + data, two entailment steps, pySHACL."""

from pathlib import Path

import pyshacl
from rdflib import RDF, Graph, Literal, Namespace, URIRef
from rdflib.namespace import SH, XSD

from sundhedsgraf.build.entailment import entail as build_entail
from sundhedsgraf.namespaces import rebase as rebase_iri

ROOT = Path(__file__).resolve().parents[1]
BASE = "https://w3id.org/sundhedsgraf/"
SG = Namespace(BASE + "def#")
SGSH = Namespace(BASE + "shapes#")


def load(*paths: Path) -> Graph:
    graph = Graph()
    for path in paths:
        graph.parse(path, format="turtle")
    return graph


def shapes() -> Graph:
    return load(*sorted((ROOT / "shapes").glob("*.ttl")))


def entail(graph: Graph) -> Graph:
    """The build's entailment, on a graph that holds the ontology too."""
    build_entail(graph, graph, str(SG))
    return graph


def rebase(graph: Graph, base: str) -> Graph:
    """The graph under another base, as the build rewrites it: IRIs and xsd:anyURI literals."""

    def move(term):
        if isinstance(term, URIRef):
            return URIRef(rebase_iri(term, base))
        if isinstance(term, Literal) and term.datatype == XSD.anyURI:
            return Literal(rebase_iri(term, base), datatype=XSD.anyURI)
        return term

    moved = Graph()
    for triple in graph:
        moved.add(tuple(move(term) for term in triple))
    return moved


def data_graph(*paths: Path) -> Graph:
    return entail(load(ROOT / "ontology" / "sundhedsgraf.ttl", *paths))


def validate(graph: Graph, shapes_graph: Graph | None = None) -> list[dict]:
    """Validate and return one dict per result: shape, focus, path, value, severity, messages."""
    _, report, _ = pyshacl.validate(
        graph,
        shacl_graph=shapes_graph if shapes_graph is not None else shapes(),
        advanced=True,
        inference="none",
        allow_warnings=True,
    )
    return [
        {
            "shape": report.value(r, SH.sourceShape),
            "focus": report.value(r, SH.focusNode),
            "path": path_text(report, report.value(r, SH.resultPath)),
            "value": report.value(r, SH.value),
            "severity": report.value(r, SH.resultSeverity),
            "messages": list(report.objects(r, SH.resultMessage)),
        }
        for r in report.subjects(RDF.type, SH.ValidationResult)
    ]


def path_text(graph: Graph, path) -> str | None:
    """A result path as text: the IRI of a predicate, or `^` + IRI for an inverse path."""
    if path is None:
        return None
    inverse = graph.value(path, SH.inversePath)
    return "^" + str(inverse) if inverse is not None else str(path)


def summary(results: list[dict], graph: Graph) -> str:
    """One sorted line per result, in the prefixes of `graph`, for assertions and reports."""
    names = graph.namespace_manager
    names.bind("sgsh", SGSH, override=False)

    def short(node) -> str:
        return "-" if node is None else node.n3(names)

    def short_path(path: str | None) -> str:
        if path is None:
            return "-"
        return "^" + short(URIRef(path[1:])) if path.startswith("^") else short(URIRef(path))

    return "\n".join(
        sorted(
            f"{r['severity'].fragment:9} {short(r['focus'])} {short_path(r['path'])} "
            f"[{short(r['shape'])}] {short(r['value'])}"
            for r in results
        )
    )

"""The build graph in every RDF format, plus the ontology, the shapes and the @context.

Every file is deterministic (same input, same bytes): blank nodes get canonical labels, Turtle
and TriG are written in the canonical style, N-Triples and N-Quads lines are sorted, RDF/XML
is written from sorted triples and the JSON-LD arrays are sorted.
"""

import json
from dataclasses import dataclass

import pyoxigraph as ox
from rdflib import Graph, URIRef

from sundhedsgraf.build.jsonld_context import context
from sundhedsgraf.build.turtle import to_trig, to_turtle
from sundhedsgraf.namespaces import prefixes
from sundhedsgraf.rdfio import canonical, to_oxigraph


@dataclass
class Build:
    """What a build publishes: the ontology, the data (with its entailment) and the shapes."""

    ontology: Graph
    data: Graph
    shapes: Graph
    base: str

    def __post_init__(self):
        self.ontology, self.data, self.shapes = map(
            canonical, (self.ontology, self.data, self.shapes)
        )

    @property
    def union(self) -> Graph:
        return self.ontology + self.data

    def named_graphs(self) -> dict[URIRef, Graph]:
        graph = self.base + "graph/"
        return {URIRef(graph + "ontology"): self.ontology, URIRef(graph + "data"): self.data}


def render(build: Build) -> dict[str, bytes]:
    """File name -> content, for every file of dist/ but the dataset description."""
    union, base = build.union, build.base
    turtle_prefixes = prefixes(base, extra=True)
    serialized = {
        "sundhedsgraf.ttl": to_turtle(union, turtle_prefixes),
        "sundhedsgraf.nt": ntriples(union),
        "sundhedsgraf.jsonld": jsonld(union, context(base)),
        "context.jsonld": dump_json({"@context": context(base)}),
        "sundhedsgraf.rdf": rdfxml(union, turtle_prefixes),
        "sundhedsgraf.trig": to_trig(build.named_graphs(), turtle_prefixes),
        "sundhedsgraf.nq": nquads(build.named_graphs()),
        "ontology.ttl": to_turtle(build.ontology, turtle_prefixes),
        "shapes.ttl": to_turtle(build.shapes, turtle_prefixes),
    }
    return {name: text.encode() for name, text in serialized.items()}


def ntriples(graph: Graph) -> str:
    return "".join(sorted(_lines(graph)))


def nquads(graphs: dict[URIRef, Graph]) -> str:
    # An N-Triples line ends in " .\n"; the graph name goes before that.
    return "".join(
        sorted(
            line[:-3] + f" <{name}> .\n" for name, graph in graphs.items() for line in _lines(graph)
        )
    )


def _lines(graph: Graph) -> list[str]:
    return graph.serialize(format="nt").splitlines(keepends=True)


def rdfxml(graph: Graph, prefix_map: dict[str, str]) -> str:
    # pyoxigraph writes triples in the order given (rdflib's writer follows hash order).
    ordered = sorted(graph, key=lambda triple: tuple(term.n3() for term in triple))
    triples = [ox.Triple(*map(to_oxigraph, triple)) for triple in ordered]
    return ox.serialize(triples, format=ox.RdfFormat.RDF_XML, prefixes=prefix_map).decode()


def jsonld(graph: Graph, jsonld_context: dict) -> str:
    """Compacted JSON-LD with the context inline, arrays sorted."""
    compacted = json.loads(graph.serialize(format="json-ld", context=jsonld_context))
    return dump_json(_sorted_arrays(compacted))


def dump_json(value) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def _sorted_arrays(value, keep_order: bool = False):
    """Sort every JSON array, as their order carries no meaning, except @list values."""
    if isinstance(value, dict):
        return {key: _sorted_arrays(item, key == "@list") for key, item in value.items()}
    if isinstance(value, list):
        items = [_sorted_arrays(item) for item in value]
        return (
            items
            if keep_order
            else sorted(items, key=lambda item: json.dumps(item, sort_keys=True))
        )
    return value

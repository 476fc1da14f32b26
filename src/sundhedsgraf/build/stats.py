"""Counts over the graph: triples, resources per class, initiatives per focus area and outcome."""

from collections import Counter

from rdflib import RDF, RDFS, Graph, URIRef

from sundhedsgraf.namespaces import prefixes, sg, show


def class_counts(graph: Graph, prefix_map: dict[str, str]) -> list[tuple[str, int]]:
    """(class, number of instances), most instances first."""
    counts = Counter(show(cls, prefix_map) for _, cls in graph.subject_objects(RDF.type))
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


def initiatives_by(graph: Graph, prop: str, base: str) -> list[tuple[str, int]]:
    """(value of sg:`prop` with its English label, number of initiatives), by value."""
    counts = Counter(
        value
        for initiative in graph.subjects(RDF.type, URIRef(sg(base) + "Initiative"))
        for value in graph.objects(initiative, URIRef(sg(base) + prop))
    )
    names = {value: show(value, prefixes(base)) for value in counts}
    width = max(map(len, names.values()), default=0)
    rows = [(f"{names[v]:<{width}}  {_label(graph, v)}", n) for v, n in counts.items()]
    return sorted(rows)


def table(title: str, rows: list[tuple[str, int]]) -> str:
    width = max((len(name) for name, _ in rows), default=0)
    return "\n".join([title] + [f"  {name:<{width}}  {count:>6}" for name, count in rows])


def render(ontology: Graph, data: Graph, base: str) -> str:
    """The stats of a build: its ontology and data graphs."""
    triples = [("ontology", len(ontology)), ("data (with entailed)", len(data))]
    triples.append(("all", len(ontology + data)))
    return "\n\n".join(
        [
            table("Triples", triples),
            table("Resources per class (data)", class_counts(data, prefixes(base))),
            table("Initiatives per focus area", initiatives_by(data, "focusArea", base)),
            table("Initiatives per outcome status", initiatives_by(data, "outcomeStatus", base)),
        ]
    )


def _label(graph: Graph, node) -> str:
    labels = {label.language: str(label) for label in graph.objects(node, RDFS.label)}
    return labels.get("en") or labels.get("da") or ""

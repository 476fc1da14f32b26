"""SPARQL over the built graph, with results as an aligned table or a SPARQL 1.1 result format."""

import pyoxigraph as ox
from rdflib import Graph

from sundhedsgraf.build.turtle import to_turtle
from sundhedsgraf.errors import SundhedsgrafError
from sundhedsgraf.formats import RESULTS_BY_NAME
from sundhedsgraf.namespaces import show
from sundhedsgraf.rdfio import to_rdflib


class QuerySyntaxError(SundhedsgrafError):
    exit_code = 2


def run(store: ox.Store, text: str, fmt: str, prefix_map: dict[str, str]) -> str:
    """The results of `text` in `fmt` (table, csv, tsv, json); graphs always as Turtle."""
    try:
        results = store.query(text, use_default_graph_as_union=True)
    except SyntaxError as error:
        raise QuerySyntaxError(f"the query does not parse: {error}") from None
    if isinstance(results, ox.QueryTriples):
        return constructed(results, prefix_map)
    if fmt != "table":
        return results.serialize(format=RESULTS_BY_NAME[fmt].oxigraph).decode()
    if isinstance(results, ox.QueryBoolean):
        return "true\n" if results else "false\n"
    return table(results, prefix_map)


def constructed(triples: ox.QueryTriples, prefix_map: dict[str, str]) -> str:
    """CONSTRUCT or DESCRIBE results as Turtle, declaring only the prefixes it uses."""
    graph = Graph()
    for triple in triples:
        graph.add(
            tuple(to_rdflib(term) for term in (triple.subject, triple.predicate, triple.object))
        )
    iris = {str(term) for triple in graph for term in triple}
    used = {p: ns for p, ns in prefix_map.items() if any(iri.startswith(ns) for iri in iris)}
    return to_turtle(graph, used)


def table(solutions: ox.QuerySolutions, prefix_map: dict[str, str]) -> str:
    """Aligned columns, IRIs shortened with `prefix_map`, and the row count."""
    names = [variable.value for variable in solutions.variables]
    rows = [
        [show(to_rdflib(term), prefix_map) if term is not None else "" for term in solution]
        for solution in solutions
    ]
    widths = [max([len(name)] + [len(row[i]) for row in rows]) for i, name in enumerate(names)]
    lines = [" | ".join(cell.ljust(w) for cell, w in zip(names, widths, strict=True))]
    lines.append("-+-".join("-" * w for w in widths))
    lines += [" | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    lines.append(f"({len(rows)} row{'s' * (len(rows) != 1)})")
    return "\n".join(line.rstrip() for line in lines) + "\n"

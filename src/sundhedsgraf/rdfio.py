"""Reading RDF with pyoxigraph (for its line/column errors) into rdflib graphs."""

import logging
import re
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.compare import to_canonical_graph
from rdflib.namespace import XSD

from sundhedsgraf.errors import SundhedsgrafError, naming
from sundhedsgraf.namespaces import DEFAULT_BASE, rebase

# An ill-typed literal ("abc"^^xsd:integer) is the shapes' to report (sh:datatype), with the
# file it is in; rdflib would also log a warning with a traceback each time it makes one.
logging.getLogger("rdflib.term").addFilter(
    lambda record: not record.getMessage().startswith("Failed to convert Literal lexical form")
)

# The position pyoxigraph puts at the start of its parser messages.
_POSITION = re.compile(r"^Parser error at line \d+ (column \d+|between columns \d+ and \d+): ")


def to_rdflib(term, base: str = DEFAULT_BASE):
    """The rdflib term for a pyoxigraph term, with the default base rewritten to `base`."""
    if isinstance(term, ox.NamedNode):
        return URIRef(rebase(term.value, base))
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    # normalize=False keeps the lexical form as written ("1.50" stays "1.50"), so nothing we
    # read and write back changes a term.
    if term.language:
        return Literal(term.value, lang=term.language, normalize=False)
    datatype = term.datatype.value
    if datatype == str(XSD.string):
        return Literal(term.value, normalize=False)
    # xsd:anyURI literals are IRIs too (e.g. sh:namespace in SHACL prefix declarations).
    value = rebase(term.value, base) if datatype == str(XSD.anyURI) else term.value
    return Literal(value, datatype=URIRef(datatype), normalize=False)


def parse_quads(path: Path, base: str = DEFAULT_BASE) -> Iterable[tuple]:
    """(s, p, o, graph name or None) for every statement of an RDF file, as rdflib terms."""
    try:
        with naming(path):
            quads = list(ox.parse(path=path, format=ox.RdfFormat.from_extension(path.suffix[1:])))
    except SyntaxError as error:
        raise SundhedsgrafError(syntax_message(path, error)) from None
    # pyoxigraph keeps labels such as _:b1, which are local to a file: give each a fresh node.
    blank_nodes = defaultdict(BNode)

    def convert(term):
        return blank_nodes[term.value] if isinstance(term, ox.BlankNode) else to_rdflib(term, base)

    for quad in quads:
        graph = getattr(quad, "graph_name", None)
        name = None if graph is None or isinstance(graph, ox.DefaultGraph) else convert(graph)
        yield convert(quad.subject), convert(quad.predicate), convert(quad.object), name


def parse_graph(path: Path, base: str = DEFAULT_BASE) -> Graph:
    """Every statement of an RDF file (graph names dropped) as one rdflib graph."""
    graph = Graph()
    for s, p, o, _ in parse_quads(path, base):
        graph.add((s, p, o))
    return graph


def syntax_message(path: Path, error: SyntaxError) -> str:
    reason = _POSITION.sub("", error.msg)  # we state the position ourselves, once
    return f"{path}: line {error.lineno}, column {error.offset}: {reason}"


def canonical(graph: Graph) -> Graph:
    """The graph with deterministic blank-node labels (itself if it has no blank nodes)."""
    if not any(isinstance(term, BNode) for triple in graph for term in triple):
        return graph
    relabelled = Graph()
    relabelled += to_canonical_graph(graph)
    return relabelled


def to_oxigraph(term):
    """The pyoxigraph term for an rdflib term."""
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if term.language:
        return ox.Literal(str(term), language=term.language)
    datatype = ox.NamedNode(str(term.datatype)) if term.datatype else None
    return ox.Literal(str(term), datatype=datatype)

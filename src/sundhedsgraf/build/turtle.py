"""The one canonical Turtle style, for the curated data files and the published dumps.

Subjects sorted by IRI, `a` first, then predicates sorted, objects sorted (one per line after the
first), one predicate per line, 4-space indent. A blank node used once as an object is written
in place as `[ ... ]`, or `( ... )` for a well-formed RDF list; the others keep the labels of
rdflib's canonical labelling. So the same graph always gives the same bytes.
"""

import re
from collections import Counter
from collections.abc import Sequence

from rdflib import RDF, BNode, Graph, Literal, URIRef
from rdflib.namespace import XSD

from sundhedsgraf.namespaces import shorten
from sundhedsgraf.rdfio import canonical

INDENT = "    "

_INTEGER = re.compile(r"[+-]?[0-9]+")
_DECIMAL = re.compile(r"[+-]?[0-9]*\.[0-9]+")
_STRING_ESCAPES = str.maketrans(
    {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}
)
_LONG_QUOTE_UNSAFE = re.compile(r'"(?="|\Z)')
_IRI_UNSAFE = re.compile(r'[\x00-\x20<>"{}|^`\\]')


def prefix_block(prefixes: dict[str, str]) -> str:
    return "".join(f"@prefix {name}: <{ns}> .\n" for name, ns in prefixes.items())


def to_turtle(
    graph: Graph, prefixes: dict[str, str], before: Sequence[str] = (), after: Sequence[str] = ()
) -> str:
    """The graph as canonical Turtle; `before`/`after` are comment lines around the prefixes."""
    parts = ["\n".join(before) + "\n\n" if before else "", prefix_block(prefixes)]
    parts += ["\n" + "\n".join(after) + "\n" if after else ""]
    parts += ["\n" + block + "\n" for block in TurtleWriter(graph, prefixes).blocks()]
    return "".join(parts)


def to_trig(graphs: dict[URIRef, Graph], prefixes: dict[str, str]) -> str:
    """Named graphs as canonical TriG, graphs in IRI order. The statements inside a graph are
    not indented further: that would change literals that span lines."""
    parts = [prefix_block(prefixes)]
    for name in sorted(graphs):
        body = "\n\n".join(TurtleWriter(graphs[name], prefixes).blocks())
        parts.append(f"\n<{name}> {{\n\n{body}\n\n}}\n")
    return "".join(parts)


class TurtleWriter:
    def __init__(self, graph: Graph, prefixes: dict[str, str]):
        self.graph = canonical(graph)
        self.prefixes = prefixes
        self.inline = _inline_blank_nodes(self.graph)

    def blocks(self) -> list[str]:
        """One `subject predicate object ... .` statement per top-level subject, sorted."""
        subjects = {s for s in self.graph.subjects() if s not in self.inline}
        blocks = []
        for subject in sorted(subjects, key=lambda s: (isinstance(s, BNode), str(s))):
            first, *rest = self.predicate_lines(subject, 1)
            lines = [f"{self.term(subject, 0)} {first}"] + [INDENT + line for line in rest]
            blocks.append(" ;\n".join(lines) + " .")
        return blocks

    def predicate_lines(self, subject, depth: int, compact: bool = False) -> list[str]:
        """`predicate object, object` per predicate of `subject`; objects on lines of their own
        at indent `depth` + 1 unless `compact` (inside a list)."""
        separator = ", " if compact else ",\n" + INDENT * (depth + 1)
        lines = []
        for predicate in set(self.graph.predicates(subject)):
            objects = sorted(self.graph.objects(subject, predicate), key=self.sort_key)
            # the first object starts on the predicate's line, the others on lines of their own
            texts = [
                self.term(o, depth if i == 0 or compact else depth + 1, compact)
                for i, o in enumerate(objects)
            ]
            verb = "a" if predicate == RDF.type else self.iri(predicate)
            lines.append((verb != "a", verb, f"{verb} {separator.join(texts)}"))
        return [line for *_, line in sorted(lines)]

    def sort_key(self, node) -> tuple:
        if isinstance(node, Literal):
            return (2, node.language or "", str(node.datatype or ""), str(node))
        return (0 if isinstance(node, URIRef) else 1, "", "", self.term(node, 0))

    def term(self, node, depth: int, compact: bool = False) -> str:
        if isinstance(node, Literal):
            return self.literal(node)
        if isinstance(node, BNode):
            return self.blank(node, depth, compact) if node in self.inline else f"_:{node}"
        return self.iri(node)

    def iri(self, node: URIRef) -> str:
        short = shorten(str(node), self.prefixes)
        if short is not None:
            return short
        return "<" + _IRI_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04X}", str(node)) + ">"

    def literal(self, node: Literal) -> str:
        lexical, datatype = str(node), node.datatype
        if node.language:
            return _quote(lexical) + "@" + node.language
        if datatype is None:
            return _quote(lexical)
        bare = (
            (datatype == XSD.integer and _INTEGER.fullmatch(lexical))
            or (datatype == XSD.decimal and _DECIMAL.fullmatch(lexical))
            or (datatype == XSD.boolean and lexical in ("true", "false"))
        )
        return lexical if bare else f"{_quote(lexical)}^^{self.iri(datatype)}"

    def blank(self, node: BNode, depth: int, compact: bool) -> str:
        """An inline blank node: a list as `( ... )`, else `[ ... ]`, on one line if `compact`."""
        items = self.list_items(node)
        if items is not None:
            return "( " + " ".join(self.term(item, depth, compact=True) for item in items) + " )"
        lines = self.predicate_lines(node, depth + 1, compact)
        if not lines:
            return "[]"
        if compact:
            return "[ " + " ; ".join(lines) + " ]"
        inner = " ;\n".join(INDENT * (depth + 1) + line for line in lines)
        return f"[\n{inner}\n{INDENT * depth}]"

    def list_items(self, node) -> list | None:
        """The members of the RDF list starting at `node`, or None if it is not a clean list:
        every cell used once, with exactly one rdf:first and one rdf:rest, ending in rdf:nil."""
        items = []
        while node != RDF.nil:
            cell = set(self.graph.predicate_objects(node))
            first, rest = self.graph.value(node, RDF.first), self.graph.value(node, RDF.rest)
            if node not in self.inline or cell != {(RDF.first, first), (RDF.rest, rest)}:
                return None
            items.append(first)
            node = rest
        return items


def _quote(text: str) -> str:
    """A string literal; one with line breaks in long quotes, so SPARQL in shapes stays legible."""
    if "\n" not in text:
        return '"' + text.translate(_STRING_ESCAPES) + '"'
    # escape only the quotes that could close the literal early: before another quote or at the end
    body = _LONG_QUOTE_UNSAFE.sub(r"\\\g<0>", text.replace("\\", "\\\\").replace("\r", "\\r"))
    return '"""' + body + '"""'


def _inline_blank_nodes(graph: Graph) -> set[BNode]:
    """Blank nodes used exactly once as an object, and reachable from a written subject."""
    uses = Counter(o for o in graph.objects() if isinstance(o, BNode))
    inline = {node for node, count in uses.items() if count == 1}
    # A cycle of such nodes has no written subject to start from: break it at its least node.
    while unreachable := inline - _reachable_blank_nodes(graph, inline):
        inline.discard(min(unreachable))
    return inline


def _reachable_blank_nodes(graph: Graph, inline: set[BNode]) -> set[BNode]:
    todo = [s for s in set(graph.subjects()) if s not in inline]
    reached = set()
    while todo:
        for o in graph.objects(todo.pop()):
            if o in inline and o not in reached:
                reached.add(o)
                todo.append(o)
    return reached

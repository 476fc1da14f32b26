"""SHACL validation of the published graph, and its report grouped by resource."""

from collections import Counter, defaultdict
from dataclasses import dataclass

from pyshacl import validate as shacl_validate
from rdflib import OWL, RDF, RDFS, SH, Graph, URIRef
from rdflib.collection import Collection
from rdflib.term import Node

from sundhedsgraf.errors import SundhedsgrafError
from sundhedsgraf.namespaces import show


@dataclass(frozen=True)
class Finding:
    focus: Node
    path: str
    message: str
    severity: str  # Violation, Warning or Info


@dataclass
class Report:
    conforms: bool
    findings: list[Finding]

    def render(self, prefix_map: dict[str, str], defined_in: dict[Node, list[str]]) -> str:
        """Findings grouped by resource, one line each: path, message, severity, data file."""
        by_focus = defaultdict(list)
        for finding in self.findings:
            by_focus[show(finding.focus, prefix_map)].append(finding)
        lines = []
        for focus in sorted(by_focus):
            lines.append(focus)
            for f in sorted(by_focus[focus], key=lambda f: (f.path, f.message)):
                files = ", ".join(defined_in.get(f.focus, [])) or "no file describes it"
                lines.append(f"  {f.path}: {f.message} [{f.severity}; {files}]")
            lines.append("")
        severities = Counter(f.severity for f in self.findings)
        counts = ", ".join(
            f"{n} {s.lower()}{'s' * (n != 1)}" for s, n in sorted(severities.items())
        )
        lines.append(f"{counts} on {len(by_focus)} resource{'s' * (len(by_focus) != 1)}")
        return "\n".join(lines)


def validate(graph: Graph, shapes: Graph, prefix_map: dict[str, str]) -> Report:
    """Validate with SHACL-AF (SPARQL constraints), no inference; only violations fail.
    Property paths in the findings are written with `prefix_map`."""
    _, results, text = shacl_validate(graph, shacl_graph=shapes, advanced=True, inference="none")
    if not isinstance(results, Graph):  # pySHACL could not use the shapes themselves
        raise SundhedsgrafError(f"the shapes are not usable: {text}")
    findings = [
        finding_of(results, r, prefix_map) for r in results.subjects(RDF.type, SH.ValidationResult)
    ]
    # Decided from the results: pySHACL's own flag depends on the severity of the outer shape.
    return Report(not any(f.severity == "Violation" for f in findings), findings)


def require_targets(data: Graph, graph: Graph, shapes: Graph, prefix_map: dict[str, str]) -> None:
    """Raise unless some shape targets a node of `data`: by a class it uses (or a superclass,
    in `graph`), or otherwise. Shapes that target nothing would check nothing."""
    targeted = set(shapes.objects(None, SH.targetClass))
    for kind in (RDFS.Class, OWL.Class):  # implicit class targets: a shape that is a class
        targeted.update(shapes.subjects(RDF.type, kind))
    used = set(data.objects(None, RDF.type))
    if any(targeted & set(graph.transitive_objects(cls, RDFS.subClassOf)) for cls in used):
        return
    nodes = shapes.objects(None, SH.targetNode)
    if any((n, None, None) in data or (None, None, n) in data for n in nodes):
        return
    by_property = (SH.targetSubjectsOf, SH.targetObjectsOf)
    if any((None, p, None) in data for t in by_property for p in shapes.objects(None, t)):
        return
    if (None, SH.target, None) in shapes:  # SPARQL-based targets: only running them would tell
        return
    listed = ", ".join(sorted(show(c, prefix_map) for c in used)) or "none"
    raise SundhedsgrafError(
        f"the shapes target none of the classes the data uses ({listed}) nor any of its "
        "nodes: validation would check nothing"
    )


def finding_of(results: Graph, result: Node, prefix_map: dict[str, str]) -> Finding:
    # Shapes may say it in several languages: one is enough, English if there is one.
    messages = list(results.objects(result, SH.resultMessage))
    english = [m for m in messages if getattr(m, "language", None) == "en"]
    messages = sorted(str(m) for m in english or messages)
    severity = results.value(result, SH.resultSeverity)
    return Finding(
        focus=results.value(result, SH.focusNode),
        path=_path(results, results.value(result, SH.resultPath), prefix_map),
        message=" / ".join(messages) or _local(results.value(result, SH.sourceConstraintComponent)),
        severity=_local(severity),
    )


def _path(results: Graph, path: Node | None, prefix_map: dict[str, str]) -> str:
    """A SHACL property path as text: `p`, `^p`, `p/q`, `p|q`."""
    if path is None:
        return "(the resource itself)"
    if isinstance(path, URIRef):
        return show(path, prefix_map)
    if (inverse := results.value(path, SH.inversePath)) is not None:
        return "^" + _path(results, inverse, prefix_map)
    if (alternatives := results.value(path, SH.alternativePath)) is not None:
        return "|".join(_path(results, p, prefix_map) for p in Collection(results, alternatives))
    if results.value(path, RDF.first) is not None:
        return "/".join(_path(results, p, prefix_map) for p in Collection(results, path))
    return "(complex path)"


def _local(iri: Node | None) -> str:
    return str(iri).rsplit("#", 1)[-1] if iri is not None else ""

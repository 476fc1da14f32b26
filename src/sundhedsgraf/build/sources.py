"""The project's inputs (ontology/, data/, shapes/) loaded into rdflib graphs."""

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Graph
from rdflib.term import Node

from sundhedsgraf.errors import SundhedsgrafError
from sundhedsgraf.rdfio import parse_graph


@dataclass
class Sources:
    ontology: Graph = field(default_factory=Graph)
    data: Graph = field(default_factory=Graph)
    shapes: Graph = field(default_factory=Graph)
    # subject -> the ontology or data files (relative to the root) that describe it, for reports
    defined_in: dict[Node, list[str]] = field(default_factory=lambda: defaultdict(list))


def data_files(root: Path) -> list[Path]:
    """Every Turtle file under data/, sorted; a clear error if the root has no data/."""
    if not (root / "data").is_dir():
        raise SundhedsgrafError(
            f"no data/ folder in {root}: run in a sundhedsgraf project or pass --root DIR"
        )
    return sorted((root / "data").rglob("*.ttl"))


UNVALIDATED = "the build publishes only a graph validated against shapes"


def shapes_files(root: Path) -> list[Path]:
    """Every Turtle file in shapes/; without shapes the build would publish unvalidated data."""
    paths = sorted((root / "shapes").glob("*.ttl"))
    if not paths:
        raise SundhedsgrafError(f"{root / 'shapes'}: no shapes (*.ttl files); {UNVALIDATED}")
    return paths


def load(root: Path, base: str) -> Sources:
    """Parse every input file, rewriting the default base IRI to `base`."""
    sources = Sources()
    inputs = [
        (sources.ontology, sorted((root / "ontology").glob("*.ttl"))),
        (sources.data, data_files(root)),
        (sources.shapes, shapes_files(root)),
    ]
    for target, paths in inputs:
        for path in paths:
            graph = parse_graph(path, base)
            target += graph
            if target is not sources.shapes:
                for subject in graph.subjects(unique=True):
                    sources.defined_in[subject].append(path.relative_to(root).as_posix())
    if len(sources.shapes) == 0:
        raise SundhedsgrafError(f"{root / 'shapes'}: its files hold no shapes; {UNVALIDATED}")
    return sources

"""Reading the built dist/: for query, export and stats."""

import json
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph

from .errors import SundhedsgrafError
from .rdfio import parse_quads


def dist_file(root: Path, name: str) -> Path:
    """A file of the last build; a clear error if there is none."""
    path = root / "dist" / name
    if not path.is_file():
        raise SundhedsgrafError(f"no built graph in {root / 'dist'}: run `sundhedsgraf build`")
    return path


def manifest(root: Path) -> dict:
    return json.loads(dist_file(root, "manifest.json").read_text(encoding="utf-8"))


def store(root: Path) -> ox.Store:
    """An in-memory store with the named graphs of the build."""
    graph_store = ox.Store()
    graph_store.load(path=dist_file(root, "sundhedsgraf.nq"), format=ox.RdfFormat.N_QUADS)
    return graph_store


def named_graphs(root: Path) -> dict[str, Graph]:
    """The build's named graphs as rdflib graphs, by the last segment of their name."""
    graphs = {}
    for s, p, o, name in parse_quads(dist_file(root, "sundhedsgraf.nq")):
        graphs.setdefault(str(name).rsplit("/", 1)[-1], Graph()).add((s, p, o))
    return graphs

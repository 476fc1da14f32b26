"""A build's store, as every process opens it: the server and its query workers alike.

Kept apart from `publication` so that a query worker imports pyoxigraph and little else (no
rdflib, no web framework): less memory and a faster start per worker.
"""

import gzip
import json
import logging
from pathlib import Path

import pyoxigraph as ox

log = logging.getLogger(__name__)
DUMP = "sundhedsgraf.nq"  # the build's named graphs
DESCRIPTION = "dataset.ttl"  # the DCAT + VoID description, a graph of its own when served
STORE = "store"  # the on-disk store: a folder, read by the server, not a file it serves
ENGINE = f"pyoxigraph {ox.__version__}"  # RocksDB files are read by the version that wrote them
# the manifest's word on the store: a folder for the server, not a download (no digest, not
# served), and the engine that wrote it
STORE_ENTRY = {"folder": STORE + "/", "engine": ENGINE}


def read_manifest(folder: Path) -> dict:
    return json.loads((folder / "manifest.json").read_text(encoding="utf-8"))


def fill_store(store: ox.Store, folder: Path) -> None:
    """What a store of the build holds: its named graphs, the dataset description as a graph of
    its own, and each linked dataset (build/linked.py) as the named graph the manifest gives it.
    The one place that says so, for the in-memory and the on-disk store."""
    store.bulk_load(path=folder / DUMP, format=ox.RdfFormat.N_QUADS)
    manifest = read_manifest(folder) if (folder / "manifest.json").is_file() else {}
    description = folder / DESCRIPTION
    if description.is_file():
        base = manifest.get("base_iri") or base_of(store)
        graph = ox.NamedNode(base + "graph/dataset") if base else ox.DefaultGraph()
        store.bulk_load(path=description, format=ox.RdfFormat.TURTLE, to_graph=graph)
    for linked in manifest.get("linked", []):
        with gzip.open(folder / linked["file"]) as file:
            store.bulk_load(file, ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(linked["graph"]))


def dump_bytes(folder: str) -> int:
    """The size of the build's dump: what loading it in memory takes time in proportion to."""
    try:
        return Path(folder, DUMP).stat().st_size
    except OSError:
        return 0


def load_store(folder: str) -> ox.Store:
    """The build in a store of this process's own memory, parsed from its files."""
    store = ox.Store()
    fill_store(store, Path(folder))
    return store


def write_store(folder: Path) -> None:
    """Write the build's on-disk store into `folder`/store (the build does, before it is
    published), from the files already written there: the same quads load_store loads."""
    store = ox.Store(str(folder / STORE))
    fill_store(store, folder)
    store.flush()
    store.optimize()  # compacted: fewer files to open, faster reads
    del store  # closes it: RocksDB allows readers only once the writer is gone


def open_store(folder: str, mode: str) -> ox.Store:
    """The build's store: with mode "disk" its on-disk store, opened read-only (shared by
    every process through the page cache); else, or when the build has none usable (made
    before there were stores, or by another pyoxigraph), loaded into memory."""
    on_disk = Path(folder, STORE)
    if mode == "disk":
        if on_disk.is_dir() and store_engine(folder) == ENGINE:
            return ox.Store.read_only(str(on_disk))
        log.warning("%s has no on-disk store for %s: loading it into memory", folder, ENGINE)
    return load_store(folder)


def store_engine(folder: str) -> str | None:
    """The engine that wrote the build's on-disk store, from its manifest."""
    try:
        return read_manifest(Path(folder)).get("store", {}).get("engine")
    except (OSError, ValueError):
        return None


def base_of(store: ox.Store) -> str | None:
    """The base IRI, read off the name of the data graph (`<base>graph/data`)."""
    for graph in store.named_graphs():
        if graph.value.endswith("graph/data"):
            return graph.value.removesuffix("graph/data")
    return None

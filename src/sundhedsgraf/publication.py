"""A published build: the one reader of dist/, for the CLI, the server and the query workers.

dist/ is a symlink that a build swaps in one step, so the resolved folder identifies a build.
Everyone reads the same store from it: the named graphs of the build (data, ontology) and the
dataset description as the graph `<base>graph/dataset`. The server looks at the link at most
once a second and loads a new build when it changes; whatever was derived from the old one
(kept in its `BuildCache`) goes with it.
"""

import hashlib
import logging
import os
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import format_datetime
from pathlib import Path
from typing import TypeVar

import pyoxigraph as ox
from rdflib import Graph

from sundhedsgraf.errors import SundhedsgrafError
from sundhedsgraf.formats import JSON, file_media_type
from sundhedsgraf.rdfio import to_rdflib
from sundhedsgraf.settings import Settings
from sundhedsgraf.stores import DUMP, open_store, read_manifest

T = TypeVar("T")
log = logging.getLogger(__name__)


class BuildCache:
    """Values derived from one build (pages, pictures, documents, indexes), each made once.

    A key starts with the function that makes the value, followed by what it depends on, so
    two modules cannot collide. Page handlers run on a thread pool, and after a start or a
    switch many ask for the same value at once: the first makes it, the others wait for it.
    A value is charged the bytes it holds (`size_of`); past `max_bytes` the least recently
    used go first, and all go with the build.
    """

    def __init__(self, max_bytes: int = Settings.page_cache_bytes):
        self.max_bytes, self.bytes = max_bytes, 0
        self.entries: OrderedDict[tuple, tuple[object, int]] = OrderedDict()
        self.making: dict[tuple, Future] = {}
        self.lock = threading.Lock()

    def get(self, key: tuple, make: Callable[[], T]) -> T:
        with self.lock:
            if key in self.entries:
                self.entries.move_to_end(key)
                return self.entries[key][0]  # type: ignore[return-value]
            waiting = key in self.making
            if not waiting:
                self.making[key] = Future()
            future = self.making[key]
        if waiting:
            return future.result()  # made by another thread; its error is raised here too
        try:
            value = make()
            size = size_of(value)
        except BaseException as error:
            with self.lock:
                del self.making[key]
            future.set_exception(error)
            raise
        self._keep(key, value, size)
        future.set_result(value)
        return value

    def _keep(self, key: tuple, value: object, size: int) -> None:
        with self.lock:
            del self.making[key]
            if size > self.max_bytes:
                return  # made for this request and its waiters only
            self.entries[key] = (value, size)
            self.bytes += size
            while self.bytes > self.max_bytes:
                _, (_, freed) = self.entries.popitem(last=False)
                self.bytes -= freed


def size_of(value: object, seen: set[int] | None = None) -> int:
    """Bytes `value` holds: the object and what its containers and attributes hold, each
    object once (pages and pictures are bytes and text; indexes, dicts and lists of them)."""
    seen = set() if seen is None else seen
    if id(value) in seen:
        return 0
    seen.add(id(value))
    size = sys.getsizeof(value)
    if isinstance(value, dict):
        size += sum(size_of(k, seen) + size_of(v, seen) for k, v in value.items())
    elif isinstance(value, list | tuple | set | frozenset):
        size += sum(size_of(item, seen) for item in value)
    elif hasattr(value, "__dict__") and not isinstance(value, type):
        size += size_of(vars(value), seen)
    return size


@dataclass(frozen=True)
class DistFile:
    path: Path
    media_type: str
    etag: str  # strong: the SHA-256 of the bytes, from the manifest


@dataclass
class Publication:
    folder: Path
    manifest: dict
    store: ox.Store
    files: dict[str, DistFile]
    last_modified: str  # HTTP date of the build
    graphs: tuple[str, ...]
    cache: BuildCache = field(default_factory=BuildCache)

    @property
    def base(self) -> str:
        return self.manifest["base_iri"]

    @property
    def id(self) -> str:
        return self.folder.name

    @property
    def own_graphs(self) -> tuple[ox.NamedNode, ...]:
        """Our graphs, without the linked datasets beside them (which may be large registers:
        pages and their indexes are made from ours)."""
        linked = {d["graph"] for d in self.manifest.get("linked", [])}
        return tuple(ox.NamedNode(g) for g in self.graphs if g not in linked)

    def named_graph(self, name: str) -> Graph:
        """The named graph `<base>graph/<name>` as an rdflib graph."""
        graph = Graph()
        for q in self.store.quads_for_pattern(
            None, None, None, ox.NamedNode(self.base + "graph/" + name)
        ):
            graph.add((to_rdflib(q.subject), to_rdflib(q.predicate), to_rdflib(q.object)))
        return graph


def build_folder(root: Path) -> Path:
    """The complete build dist/ points at now; a clear error if there is none."""
    link = root / "dist"
    folder = link.resolve()
    if not (folder / "manifest.json").is_file() or not (folder / DUMP).is_file():
        raise SundhedsgrafError(f"no built graph in {link}: run `sundhedsgraf build` first")
    return folder


def open_publication(
    root: Path, cache_bytes: int = Settings.page_cache_bytes, store: str = Settings.store
) -> Publication:
    """The build dist/ under `root` points at now, opened (`store`: "memory" or "disk", see
    open_store) with a cache of `cache_bytes`."""
    folder = build_folder(root)
    manifest = read_manifest(folder)
    store = open_store(str(folder), store)
    built = datetime.fromisoformat(manifest["built"])
    graphs = tuple(sorted(g.value for g in store.named_graphs()))
    return Publication(
        folder,
        manifest,
        store,
        files_of(folder, manifest),
        format_datetime(built, usegmt=True),
        graphs,
        BuildCache(cache_bytes),
    )


def files_of(folder: Path, manifest: dict) -> dict[str, DistFile]:
    """The files of the build by name, with media type and strong ETag."""
    files = {
        entry["name"]: DistFile(
            folder / entry["name"], media_type(entry["name"]), f'"{entry["sha256"]}"'
        )
        for entry in manifest["files"]
    }
    digest = hashlib.sha256((folder / "manifest.json").read_bytes()).hexdigest()
    files["manifest.json"] = DistFile(folder / "manifest.json", JSON, f'"{digest}"')
    return files


def media_type(name: str) -> str:
    return file_media_type(name)


class Current:
    """The publication to answer from, switched when dist/ points at a new build.

    `warm(publication)` makes what the first requests ask for (the app's is
    pages.warm.warm): a new build is warmed on the loading thread before it is switched in,
    so its first requests find their pages made; the app warms the first build before it
    serves.
    """

    CHECK_EVERY = 1.0  # seconds

    def __init__(
        self,
        root: Path,
        cache_bytes: int = Settings.page_cache_bytes,
        warm: Callable[[Publication], None] = lambda publication: None,
        store: str = Settings.store,
    ):
        self.root, self.cache_bytes, self.warm, self.store = root, cache_bytes, warm, store
        self.publication = open_publication(root, cache_bytes, store)
        self.checked = time.monotonic()
        self.lock = threading.Lock()

    def get(self) -> Publication:
        now = time.monotonic()
        if now - self.checked >= self.CHECK_EVERY:
            self.checked = now
            self._maybe_switch()
        return self.publication

    def _maybe_switch(self) -> None:
        """Load a newly published build on a thread of its own: requests never wait for it."""
        try:
            folder = Path(os.path.realpath(self.root / "dist"))
        except OSError:
            return
        if folder != self.publication.folder and self.lock.acquire(blocking=False):
            threading.Thread(target=self._switch, daemon=True).start()

    def _switch(self) -> None:
        try:
            publication = open_publication(self.root, self.cache_bytes, self.store)
        except (SundhedsgrafError, OSError, SyntaxError, ValueError):
            pass  # a half-removed build: keep answering from the one we have
        else:
            self.warm(publication)
            self.publication = publication
        finally:
            self.lock.release()

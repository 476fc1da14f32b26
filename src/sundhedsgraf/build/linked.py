"""Outside datasets beside ours: `sundhedsgraf link load|list|remove`.

Each linked dataset lives in the project folder `linked/` (local, not in git: a copy of a
big register does not belong there) as two files: `linked-<slug>.nt.gz`, the file as
parsed, normalised to gzipped N-Triples, and `linked-<slug>.json`, what we know of it
(graph, titles, source, licence, triples, SHA-256, when loaded). Every build takes them all:
each file goes into the build folder as a download of its own, `stores.load_store` loads
it as its own named graph, and `description.py` describes it beside our dataset.

Loading or removing one changes linked/ and rebuilds; if the build fails, linked/ is put back
as it was, and dist/ was never touched (the build publishes only at its end).
"""

import gzip
import hashlib
import io
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import TypeVar

import pyoxigraph as ox

from sundhedsgraf.errors import SundhedsgrafError, naming

FOLDER = "linked"
T = TypeVar("T")
PREFIX = "linked-"  # of the files, in linked/ and in the build folder


@dataclass(frozen=True)
class Options:
    """What `link load` is told beside the file, the graph and the titles."""

    base: str  # of the build: the graph may not be under it
    when: datetime  # the date loaded
    source: str | None = None  # also the base for relative IRIs in the file
    licence: str | None = None
    format: str | None = None  # else from the file's extension


@dataclass(frozen=True)
class Linked:
    """One linked dataset, as its `.json` in linked/ says."""

    graph: str  # the named graph it is loaded as
    titles: dict[str, str]  # language -> title
    source: str | None  # where it was taken from (a URL)
    licence: str | None  # its licence (a URL)
    triples: int
    sha256: str  # of `file`
    loaded: str  # ISO 8601 date and time
    file: str  # the normalised copy, in linked/ and in the build folder
    loaded_from: str  # the name of the file loaded

    @property
    def slug(self) -> str:
        return self.file.removeprefix(PREFIX).removesuffix(".nt.gz")


def slug_of(graph: str) -> str:
    """A readable, unique file name part: the IRI's characters, dashed, and 8 hex of its hash."""
    readable = re.sub(r"[^a-z0-9]+", "-", graph.split("://", 1)[-1].lower()).strip("-")[:60]
    return f"{readable}-{hashlib.sha256(graph.encode()).hexdigest()[:8]}"


def check_iri(option: str, value: str) -> None:
    try:
        ox.NamedNode(value)
    except ValueError as error:
        raise SundhedsgrafError(f"{option} {value!r} is not an absolute IRI: {error}") from None


def check_graph(graph: str, base: str) -> None:
    """A graph IRI must be an absolute IRI outside our base (the base names our own graphs)."""
    check_iri("--graph", graph)
    if graph.startswith(base):
        raise SundhedsgrafError(
            f"--graph <{graph}> is under the base IRI <{base}>, which names this dataset's own "
            f"graphs and resources (such as <{base}graph/data>); name the linked graph with an "
            "IRI of its own"
        )


def read_all(root: Path) -> list[Linked]:
    """Every linked dataset of the project, by graph IRI."""
    folder = root / FOLDER
    found = []
    for path in sorted(folder.glob(PREFIX + "*.json")) if folder.is_dir() else []:
        with naming(path):
            text = path.read_text(encoding="utf-8")
        try:
            found.append(Linked(**json.loads(text)))
        except (ValueError, TypeError) as error:
            raise SundhedsgrafError(f"{path} does not describe a linked dataset: {error}") from None
    return sorted(found, key=lambda linked: linked.graph)


def contents(root: Path, linked: Linked) -> bytes:
    """The normalised copy of `linked`, checked against its recorded SHA-256."""
    path = root / FOLDER / linked.file
    with naming(path):
        content = path.read_bytes()
    if hashlib.sha256(content).hexdigest() != linked.sha256:
        raise SundhedsgrafError(
            f"{path} is not the file that was loaded (its SHA-256 differs from "
            f"{path.with_suffix('').with_suffix('.json').name}): load it again"
        )
    return content


def rdf_format(path: Path, name: str | None) -> ox.RdfFormat:
    """The format named (an extension or media type), else the one of the file's extension."""
    suffixes = [s.lstrip(".") for s in path.suffixes]
    if suffixes and suffixes[-1] == "gz":
        suffixes.pop()
    wanted = name or (suffixes[-1] if suffixes else "")
    found = ox.RdfFormat.from_extension(wanted) or ox.RdfFormat.from_media_type(wanted)
    if found is None:
        known = "ttl, nt, nq, trig, rdf, jsonld (each also .gz)"
        raise SundhedsgrafError(
            f"{path}: cannot tell its RDF format from {wanted!r}; give --format ({known})"
        )
    return found


def normalise(path: Path, graph: str, format: ox.RdfFormat, base: str | None) -> tuple[bytes, int]:
    """The file as gzipped N-Triples (blank nodes renamed, so two files never share one) and
    its number of distinct triples. A quad file may name one graph at most: its triples all
    become `graph`; a file of several named graphs is refused, as merging them would lose
    which triple was in which."""
    store, target = ox.Store(), ox.NamedNode(graph)
    with naming(path), (gzip.open if path.suffix == ".gz" else open)(path, "rb") as file:
        try:
            store.extend(
                into(ox.parse(file, format, base_iri=base, rename_blank_nodes=True), target, path)
            )
        except SyntaxError as error:
            raise SundhedsgrafError(
                f"{path}: line {error.lineno}, column {error.offset}: {error.msg}"
            ) from None
    if not len(store):
        raise SundhedsgrafError(f"{path} holds no triples")
    text = io.BytesIO()
    store.dump(text, ox.RdfFormat.N_TRIPLES, from_graph=target)
    return gzip.compress(text.getvalue(), mtime=0), len(store)


def into(quads: Iterator[ox.Quad], target: ox.NamedNode, path: Path) -> Iterator[ox.Quad]:
    named = None
    for quad in quads:
        if not isinstance(quad.graph_name, ox.DefaultGraph):
            if named is not None and quad.graph_name != named:
                raise SundhedsgrafError(
                    f"{path} holds several named graphs ({named} and {quad.graph_name}); "
                    "load each as a linked dataset of its own"
                )
            named = quad.graph_name
        yield ox.Quad(quad.subject, quad.predicate, quad.object, target)


def load(
    root: Path,
    path: Path,
    graph: str,
    titles: dict[str, str],
    options: Options,
    rebuild: Callable[[], T],
) -> tuple[Linked, T]:
    """Parse `path`, keep its normalised copy in linked/ as `graph` (replacing the one there)
    and rebuild; a failure anywhere leaves linked/ and dist/ as they were."""
    check_graph(graph, options.base)
    for option, value in (("--source", options.source), ("--licence", options.licence)):
        if value is not None:
            check_iri(option, value)
    content, triples = normalise(path, graph, rdf_format(path, options.format), options.source)
    slug = slug_of(graph)
    linked = Linked(
        graph=graph,
        titles=titles,
        source=options.source,
        licence=options.licence,
        triples=triples,
        sha256=hashlib.sha256(content).hexdigest(),
        loaded=options.when.isoformat(timespec="seconds"),
        file=f"{PREFIX}{slug}.nt.gz",
        loaded_from=path.name,
    )
    record = (json.dumps(asdict(linked), ensure_ascii=False, indent=2) + "\n").encode()
    files = {linked.file: content, f"{PREFIX}{slug}.json": record}
    return linked, change(root, files, [], rebuild)


def remove(root: Path, graph: str, rebuild: Callable[[], T]) -> tuple[Linked, T]:
    """Take `graph` out of linked/ and rebuild; on failure it stays."""
    found = [linked for linked in read_all(root) if linked.graph == graph]
    if not found:
        loaded = ", ".join(f"<{linked.graph}>" for linked in read_all(root)) or "none"
        raise SundhedsgrafError(f"no linked dataset has the graph <{graph}>; loaded: {loaded}")
    slug = found[0].slug
    return found[0], change(root, {}, [f"{PREFIX}{slug}.nt.gz", f"{PREFIX}{slug}.json"], rebuild)


def change(
    root: Path, written: dict[str, bytes], removed: list[str], rebuild: Callable[[], T]
) -> T:
    """Write and remove files of linked/, then rebuild; if anything fails, put them back."""
    folder = root / FOLDER
    folder.mkdir(exist_ok=True)
    kept = Path(tempfile.mkdtemp(prefix=".before-", dir=folder))
    try:
        for name in [*written, *removed]:
            if (folder / name).exists():
                os.replace(folder / name, kept / name)
        try:
            for name, content in written.items():
                with naming(folder / name):
                    (folder / f".{name}.tmp").write_bytes(content)
                    os.replace(folder / f".{name}.tmp", folder / name)
            return rebuild()
        except BaseException:
            for name in written:
                (folder / name).unlink(missing_ok=True)
                (folder / f".{name}.tmp").unlink(missing_ok=True)
            for path in kept.iterdir():
                os.replace(path, folder / path.name)
            raise
    finally:
        shutil.rmtree(kept, ignore_errors=True)


def listing(root: Path) -> str:
    """`link list`: one line per linked dataset."""
    rows = [
        f"<{linked.graph}>  {linked.triples} triples  loaded {linked.loaded} from "
        f"{linked.loaded_from}  {next(iter(linked.titles.values()), '')}"
        for linked in read_all(root)
    ]
    return "\n".join(rows) if rows else f"no linked datasets in {root / FOLDER}"

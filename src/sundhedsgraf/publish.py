"""`sundhedsgraf publish --to URL`: the build's named graphs into an existing triple store.

A publish never leaves the store answering with half a version: every graph of the build goes
into a staging graph of its own first (Graph Store Protocol, N-Triples, in chunks), each staging
graph's triple count is checked against the build, and only then one SPARQL Update request
moves them all over the published graphs (`MOVE <staging> TO <graph>; …`). Whether that one
request is one transaction is the store's affair: docs/deploy.md says what each tested store
guarantees. A failure before the switch drops the staging graphs and leaves every published
graph as it was.

The store also gets the graph `<base>graph/publication`, switched with the others: which build
it holds, and each graph's triple count and digest, so that `--dry-run` (and the server's
remote backend) can tell what the store answers with.
"""

import contextlib
import hashlib
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pyoxigraph as ox

from sundhedsgraf.publication import Publication
from sundhedsgraf.remote import RemoteError, Store

CHUNK = 20_000  # triples per request: bounded memory here and in the store's parser
DCTERMS = "http://purl.org/dc/terms/"
VOID_TRIPLES = "http://rdfs.org/ns/void#triples"
XSD = "http://www.w3.org/2001/XMLSchema#"


def record_graph(base: str) -> str:
    return base + "graph/publication"


def staging_prefix(base: str) -> str:
    return base + "graph/staging/"


@dataclass(frozen=True)
class Graph:
    """One named graph to publish: its IRI, its triples, and a digest of them."""

    iri: str
    triples: int
    digest: str


@dataclass(frozen=True)
class Record:
    """What the store says it holds: the build, and each graph's triple count and digest."""

    build: str | None
    built: str | None
    graphs: dict[str, tuple[int, str]]


@dataclass(frozen=True)
class Change:
    graph: str
    kind: str  # "new", "replaced", "unchanged" or "removed"
    old: int  # triples the store holds now
    new: int  # triples after the publish


def lines(store: ox.Store, graph: str) -> Iterator[bytes]:
    """The graph's triples as N-Triples lines."""
    for quad in store.quads_for_pattern(None, None, None, ox.NamedNode(graph)):
        yield f"{quad.triple} .\n".encode()


def graphs_of(pub: Publication) -> list[Graph]:
    """Every named graph of the build (load_store says what goes in), counted and digested."""
    graphs = []
    for iri in pub.graphs:
        triples = sorted(lines(pub.store, iri))
        graphs.append(Graph(iri, len(triples), hashlib.sha256(b"".join(triples)).hexdigest()))
    return graphs


def record_store(pub: Publication, graphs: list[Graph]) -> ox.Store:
    """The record graph: this build, and each graph with its triple count and digest."""
    store, g = ox.Store(), ox.NamedNode(record_graph(pub.base))
    integer, date_time = ox.NamedNode(XSD + "integer"), ox.NamedNode(XSD + "dateTime")

    def add(s, p: str, o) -> None:
        store.add(ox.Quad(s, ox.NamedNode(p), o, g))

    add(g, DCTERMS + "identifier", ox.Literal(pub.id))
    add(g, DCTERMS + "issued", ox.Literal(pub.manifest["built"], datatype=date_time))
    for graph in graphs:
        node = ox.NamedNode(graph.iri)
        add(g, DCTERMS + "hasPart", node)
        add(node, VOID_TRIPLES, ox.Literal(str(graph.triples), datatype=integer))
        add(node, DCTERMS + "identifier", ox.Literal("sha256:" + graph.digest))
    return store


def read_record(remote: Store, base: str) -> Record:
    """The record graph as the store holds it (empty if it holds none)."""
    g = record_graph(base)
    rows = remote.select(
        f"""SELECT ?build ?built ?graph ?triples ?digest WHERE {{
          GRAPH <{g}> {{
            <{g}> <{DCTERMS}identifier> ?build ; <{DCTERMS}issued> ?built .
            OPTIONAL {{ <{g}> <{DCTERMS}hasPart> ?graph .
              ?graph <{VOID_TRIPLES}> ?triples ; <{DCTERMS}identifier> ?digest }} }} }}""",
        "reading the published version",
    )
    graphs = {r["graph"]: (int(r["triples"]), r["digest"]) for r in rows if "graph" in r}
    first = rows[0] if rows else {}
    return Record(first.get("build"), first.get("built"), graphs)


def counts(remote: Store, graphs: list[str], what: str) -> dict[str, int]:
    """Triples in each of `graphs` (0 for a graph the store does not hold)."""
    if not graphs:
        return {}
    values = " ".join(f"<{g}>" for g in dict.fromkeys(graphs))  # each once, or counted twice
    rows = remote.select(
        f"SELECT ?g (COUNT(*) AS ?n) WHERE {{ VALUES ?g {{ {values} }} GRAPH ?g {{ ?s ?p ?o }} }}"
        " GROUP BY ?g",
        what,
    )
    found = {row["g"]: int(row["n"]) for row in rows}
    return {g: found.get(g, 0) for g in graphs}


def plan(graphs: list[Graph], record: Record, live: dict[str, int]) -> list[Change]:
    """What a publish changes, graph by graph. A graph is unchanged when the store's record
    has the same digest and the store still holds the recorded number of triples; a graph is
    removed when the record lists it and this build has it no more."""
    changes = []
    for graph in graphs:
        old = live.get(graph.iri, 0)
        recorded = record.graphs.get(graph.iri)
        if recorded == (graph.triples, "sha256:" + graph.digest) and old == graph.triples:
            kind = "unchanged"
        else:
            kind = "replaced" if old else "new"
        changes.append(Change(graph.iri, kind, old, graph.triples))
    ours = {g.iri for g in graphs}
    for iri in sorted(set(record.graphs) - ours):
        changes.append(Change(iri, "removed", live.get(iri, 0), 0))
    return changes


def chunks(store: ox.Store, graph: str, size: int) -> Iterator[bytes]:
    """The graph as N-Triples in pieces of at most `size` triples; one piece if it has blank
    nodes (a blank node label means the same node only within one request)."""
    has_blank = any(
        isinstance(q.subject, ox.BlankNode) or isinstance(q.object, ox.BlankNode)
        for q in store.quads_for_pattern(None, None, None, ox.NamedNode(graph))
    )
    piece: list[bytes] = []
    for line in lines(store, graph):
        piece.append(line)
        if len(piece) >= size and not has_blank:
            yield b"".join(piece)
            piece = []
    if piece:
        yield b"".join(piece)


def upload(remote: Store, store: ox.Store, graph: str, staging: str) -> None:
    """`graph` of `store` into the staging graph: PUT the first piece, POST the others."""
    for i, body in enumerate(chunks(store, graph, CHUNK)):
        remote.put_graph(staging, body, f"uploading <{graph}> into <{staging}>", append=i > 0)


def drop(remote: Store, graphs: list[str], what: str) -> None:
    if graphs:
        remote.update(" ;\n".join(f"DROP SILENT GRAPH <{g}>" for g in graphs), what)


def leftovers(remote: Store, base: str) -> list[str]:
    """Staging graphs an interrupted publish left behind."""
    rows = remote.select(
        "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } "
        f'FILTER(STRSTARTS(STR(?g), "{staging_prefix(base)}")) }}',
        "looking for staging graphs left behind",
    )
    return [row["g"] for row in rows]


@dataclass
class Outcome:
    record: Record  # what the store held before
    changes: list[Change]
    published: bool


def publish(pub: Publication, remote: Store, dry_run: bool, say: Callable[[str], None]) -> Outcome:
    """Publish `pub` into `remote` (or, with `dry_run`, only say what would change)."""
    graphs = graphs_of(pub)
    records = record_store(pub, graphs)
    record_iri = record_graph(pub.base)
    everything = [*graphs, Graph(record_iri, len(records), "")]
    old = read_record(remote, pub.base)
    live = counts(remote, [g.iri for g in graphs] + sorted(old.graphs), "counting triples")
    changes = plan(graphs, old, live)
    if dry_run:
        return Outcome(old, changes, False)

    drop(remote, leftovers(remote, pub.base), "dropping staging graphs left behind")
    sources = {g.iri: pub.store for g in graphs} | {record_iri: records}
    staged = stage(remote, everything, sources, staging_prefix(pub.base), say)
    switch(remote, staged, [c.graph for c in changes if c.kind == "removed"], say)
    after = counts(remote, [g.iri for g in everything], "counting the published graphs")
    wrong = [g for g in everything if after[g.iri] != g.triples]
    if wrong:
        raise RemoteError(
            "after the switch the store holds "
            + ", ".join(f"<{g.iri}> {after[g.iri]} triples, not {g.triples}" for g in wrong)
        )
    return Outcome(old, changes, True)


def stage(
    remote: Store,
    graphs: list[Graph],
    sources: dict[str, ox.Store],
    prefix: str,
    say: Callable[[str], None],
) -> dict[str, str]:
    """Upload each graph into a staging graph of its own and check its count; graph -> staging
    graph. On any failure the staging graphs go, and the published graphs were not touched."""
    token = uuid.uuid4().hex[:12]
    staged = {g.iri: f"{prefix}{token}/{i}" for i, g in enumerate(graphs)}
    try:
        for graph in graphs:
            say(f"uploading <{graph.iri}> ({graph.triples} triples)")
            upload(remote, sources[graph.iri], graph.iri, staged[graph.iri])
        check(remote, graphs, staged)
    except BaseException as error:
        with contextlib.suppress(RemoteError):  # else the next publish drops them (leftovers)
            drop(remote, list(staged.values()), "dropping the staging graphs")
        if isinstance(error, RemoteError):
            untouched = "nothing was switched: the store answers as before"
            raise RemoteError(f"{error}; {untouched}") from error
        raise
    return staged


def switch(remote: Store, staged: dict[str, str], removed: list[str], say) -> None:
    """One update request: every staging graph moved over its graph, removed graphs dropped."""
    say(f"switching {len(staged)} graphs in one update")
    started = time.monotonic()
    remote.update(
        " ;\n".join(
            [f"MOVE <{staging}> TO <{graph}>" for graph, staging in staged.items()]
            + [f"DROP SILENT GRAPH <{graph}>" for graph in removed]
        ),
        "switching to the new graphs (the store may hold a mix: publish again)",
    )
    say(f"switched in {time.monotonic() - started:.2f} s")


def check(remote: Store, graphs: list[Graph], staged: dict[str, str]) -> None:
    """Each staging graph holds as many triples as the build's graph, or stop here."""
    found = counts(remote, list(staged.values()), "counting the staging graphs")
    wrong = [g for g in graphs if found[staged[g.iri]] != g.triples]
    if wrong:
        raise RemoteError(
            "the store holds other counts than the build: "
            + ", ".join(
                f"<{g.iri}> staged {found[staged[g.iri]]} triples, the build has {g.triples}"
                for g in wrong
            )
        )


def report(outcome: Outcome, pub: Publication, url: str) -> str:
    """What changed (or would change) as lines for people."""
    held = outcome.record.build
    text = [
        f"{url} answered with build {held} (built {outcome.record.built})"
        if held
        else f"{url} held no sundhedsgraf build",
        f"this build: {pub.id} (built {pub.manifest['built']})",
    ]
    verb = "published" if outcome.published else "would publish"
    for c in outcome.changes:
        if c.kind == "unchanged":
            text.append(f"  unchanged  <{c.graph}>  {c.new} triples")
        elif c.kind == "removed":
            gone = "removed" if outcome.published else "would be removed"
            text.append(f"  {gone}  <{c.graph}>  {c.old} triples")
        else:
            text.append(f"  {c.kind:<9}  <{c.graph}>  {c.old} → {c.new} triples")
    text.append(f"{verb} {sum(c.kind != 'removed' for c in outcome.changes)} graphs")
    return "\n".join(text) + "\n"

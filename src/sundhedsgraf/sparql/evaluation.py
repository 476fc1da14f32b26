"""What a query worker process runs: a Job on the build's store, answered in bytes.

A worker imports this module and what it needs to run a Job (pyoxigraph, the formats, the
SERVICE relay), not the server's: no rdflib, no web framework. The pool is in `workers.py`.
"""

import ctypes
import io
import os
import signal
import sys
import threading
import time
from dataclasses import dataclass
from multiprocessing import forkserver

import pyoxigraph as ox

from sundhedsgraf.formats import RDF_BY_MEDIA_TYPE, RESULTS_BY_MEDIA_TYPE
from sundhedsgraf.sparql import results
from sundhedsgraf.sparql.federation import Call, CallFailed, Relay, rewrite
from sundhedsgraf.stores import open_store

STACK_BYTES = 1 << 30  # virtual; pages are only touched by really deep queries
INLINE_BODY = 1 << 18  # answers up to this size are read on the event loop
PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
READY = "ready"  # a new worker's first message: started, build loaded
NATIVE_RESULTS = "application/sparql-results+json"  # the results format pyoxigraph writes as we do
# The fewest bytes a row takes in JSON results (`{}`), and a triple in any RDF syntax: an answer
# smaller than that times (max_rows + 1) cannot have too many.
MIN_ROW_BYTES = 2
MIN_TRIPLE_BYTES = 1


@dataclass(frozen=True)
class Job:
    """One query against the publication in `dist` (a resolved build folder)."""

    dist: str
    query: str
    default_graphs: tuple[str, ...] | None  # None: the union of all graphs
    named_graphs: tuple[str, ...] | None  # None: every graph
    results_type: str | None  # media type for SELECT/ASK; None: none acceptable
    graph_type: str | None  # media type for CONSTRUCT/DESCRIBE
    max_rows: int
    max_bytes: int
    query_dataset: bool = False  # the query has FROM or FROM NAMED
    # SERVICE targets as the guard found them (start, end, IRI), all on `allowlist`
    services: tuple[tuple[int, int, str | None], ...] = ()
    allowlist: tuple[str, ...] = ()
    service_seconds: float = 0.0  # for all SERVICE calls together; the pool sets it
    service_bytes: int = 0  # per SERVICE answer
    base_iri: str | None = None  # relative IRIs in the query resolve against it
    form: str | None = None  # SELECT, ASK, CONSTRUCT or DESCRIBE, as the guard read it


@dataclass(frozen=True)
class Answer:
    status: int
    media_type: str
    body: bytes


def evaluate(store: ox.Store, job: Job, relay: Relay | None = None) -> Answer:
    """Run `job` on `store`, its SERVICE calls through `relay`; every failure the client
    caused is a 4xx Answer, a failed SERVICE call a 502 or 504."""
    if not job.services:
        return run(store, job, job.query)
    assert relay is not None, "a federated job needs the worker's relay"
    endpoints = tuple(dict.fromkeys(target for *_, target in job.services if target))
    deadline = time.monotonic() + job.service_seconds
    call = Call(
        endpoints, frozenset(job.allowlist), deadline, job.service_seconds, job.service_bytes
    )
    call_id = relay.open(call)
    try:
        answer = run(store, job, rewrite(job.query, job.services, lambda t: relay.url(call_id, t)))
    except CallFailed as failure:
        answer = Answer(failure.status, "text/plain", str(failure).encode())
    failure = relay.close(call_id)
    if failure is not None and answer.status != 200:
        return Answer(failure.status, "text/plain", str(failure).encode())
    return answer


def run(store: ox.Store, job: Job, query: str) -> Answer:
    if job.default_graphs is None and job.named_graphs is None:
        # The union of all graphs, unless the query names its dataset: pyoxigraph would
        # ignore FROM and FROM NAMED under use_default_graph_as_union.
        options = {"use_default_graph_as_union": not job.query_dataset}
    else:
        # The request's dataset replaces the query's; like FROM and FROM NAMED, a graph it
        # does not name is not in it (SPARQL 1.1 Protocol 2.1.4, Query 13.2).
        options = {
            "default_graph": [ox.NamedNode(g) for g in job.default_graphs or ()],
            "named_graphs": [ox.NamedNode(g) for g in job.named_graphs or ()],
        }
    try:
        outcome = store.query(query, base_iri=job.base_iri, **options)
        if not native_format(outcome, job):
            answer = serialize(outcome, job)
        else:  # too big to tell the rows from the size: counted the slow way, on a new run
            answer = native(outcome, job) or serialize(
                store.query(query, base_iri=job.base_iri, **options), job
            )
    except SyntaxError as error:
        return Answer(400, "text/plain", f"the query does not parse: {error}".encode())
    except OSError as error:  # SERVICE failures and evaluation errors surface as OSError
        return Answer(400, "text/plain", f"the query failed: {error}".encode())
    if len(answer.body) > job.max_bytes:
        message = f"the result is larger than this endpoint's limit of {job.max_bytes} bytes"
        return Answer(400, "text/plain", message.encode())
    return answer


def serialize(outcome, job: Job) -> Answer:
    wanted = job.graph_type if isinstance(outcome, ox.QueryTriples) else job.results_type
    if wanted is None:
        kind = "graph" if isinstance(outcome, ox.QueryTriples) else "result"
        return Answer(406, "text/plain", f"no acceptable {kind} format for this query".encode())
    if isinstance(outcome, ox.QueryBoolean):
        return Answer(
            200, wanted, results.boolean(bool(outcome), RESULTS_BY_MEDIA_TYPE[wanted].name)
        )
    items = []
    for item in outcome:
        items.append(item)
        if len(items) > job.max_rows:
            message = f"the result has more than this endpoint's limit of {job.max_rows} rows"
            return Answer(400, "text/plain", (message + "; add a LIMIT").encode())
    if isinstance(outcome, ox.QueryTriples):
        return Answer(200, wanted, graph_bytes(items, wanted))
    names = [v.value for v in outcome.variables]
    rows = [list(r) for r in items]
    return Answer(200, wanted, results.solutions(names, rows, RESULTS_BY_MEDIA_TYPE[wanted].name))


def native_format(outcome, job: Job) -> bool:
    """Whether pyoxigraph's own writer gives the answer `serialize` would: byte for byte, for
    JSON results (not for XML, CSV, TSV: see results.py) and every graph format."""
    if isinstance(outcome, ox.QueryTriples):
        return job.graph_type is not None
    return job.results_type == NATIVE_RESULTS


def native(outcome, job: Job) -> Answer | None:
    """The answer as pyoxigraph writes it, without a row in Python; None if it grew so big that
    it might hold more than `max_rows` rows (or triples)."""
    if isinstance(outcome, ox.QueryBoolean):
        return Answer(200, NATIVE_RESULTS, outcome.serialize(format=ox.QueryResultsFormat.JSON))
    if isinstance(outcome, ox.QueryTriples):
        wanted, rdf_format = job.graph_type, RDF_BY_MEDIA_TYPE[job.graph_type].oxigraph
        body = Bounded(MIN_TRIPLE_BYTES * (job.max_rows + 1) - 1)
    else:
        wanted, rdf_format = NATIVE_RESULTS, ox.QueryResultsFormat.JSON
        body = Bounded(MIN_ROW_BYTES * (job.max_rows + 1) - 1)
    try:
        outcome.serialize(body, format=rdf_format)
    except Bounded.Full:
        return None
    return Answer(200, wanted, body.getvalue())


class Bounded(io.BytesIO):
    """A buffer that takes at most `most` bytes, then raises Full: the writer stops there."""

    class Full(Exception):
        pass

    def __init__(self, most: int):
        super().__init__()
        self.most = most

    def write(self, data) -> int:
        if self.tell() + len(data) > self.most:
            raise Bounded.Full
        return super().write(data)


def graph_bytes(triples: list, media_type: str) -> bytes:
    rdf_format = RDF_BY_MEDIA_TYPE[media_type].oxigraph
    if rdf_format.supports_datasets:
        triples = [ox.Quad(t.subject, t.predicate, t.object) for t in triples]
    return ox.serialize(triples, format=rdf_format)


def work(conn, dist: str | None, store: str) -> None:
    """A worker's life: answer jobs from `conn` until it closes, on a thread with a big stack."""
    end_with_parent()
    threading.stack_size(STACK_BYTES)
    thread = threading.Thread(target=serve_jobs, args=(conn, dist, store), daemon=True)
    thread.start()
    thread.join()


def end_with_parent() -> None:
    """Be killed when the server ends, even by kill -9: an orphan would run on at full CPU.

    A worker's parent is multiprocessing's fork server, which lives while any process holds
    the write end of its "alive" pipe: the server, and each worker it forked (a copy, so that
    they could ask it for processes of their own). The worker lets go of its copy (multiprocessing
    keeps it in a private attribute; tests/sparql/test_pool.py kills a server under its workers),
    so the fork server ends with the server, and PR_SET_PDEATHSIG then kills the worker."""
    os.close(forkserver._forkserver._forkserver_alive_fd)
    parent = os.getppid()
    if sys.platform == "linux":
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent ended before the signal was asked for
        os._exit(1)


def serve_jobs(conn, dist: str | None, store: str) -> None:
    """Answer jobs from `conn`, each from the store of its build (`store`: the mode)."""
    stores: dict[str, ox.Store] = {dist: open_store(dist, store)} if dist else {}
    relay = None  # started by the first federated query
    conn.send(READY)
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job.dist not in stores:  # a new build was published: drop the old one
            stores = {job.dist: open_store(job.dist, store)}
        if job.services and relay is None:
            relay = Relay()
        answer = evaluate(stores[job.dist], job, relay)
        # One message, which the server reads on its event loop; a big body follows on its own,
        # so the server can read it off the loop.
        inline = len(answer.body) <= INLINE_BODY
        conn.send((answer.status, answer.media_type, answer.body if inline else None))
        if not inline:
            conn.send_bytes(answer.body)

"""Query worker processes: user queries run where they can be killed.

pyoxigraph cannot cancel a running query and overflows its stack on deeply nested ones, so each
query runs in a worker process, in a thread with a large stack. A query past the time limit gets
its worker killed and replaced; a worker that dies is replaced too. Waiting for a worker is
bounded: beyond `workers + max_queue` queries in flight the pool says Busy at once.
"""

import asyncio
import multiprocessing
import os
import threading
import time
from dataclasses import dataclass

import pyoxigraph as ox

from sundhedsgraf.formats import RDF_BY_MEDIA_TYPE, RESULTS_BY_MEDIA_TYPE
from sundhedsgraf.publication import load_store
from sundhedsgraf.sparql import results
from sundhedsgraf.sparql.federation import Call, CallFailed, Relay, rewrite

STACK_BYTES = 1 << 30  # virtual; pages are only touched by really deep queries
INLINE_BODY = 1 << 18  # answers up to this size are read on the event loop


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
    service_seconds: float = 0.0  # for all SERVICE calls of the query together
    service_bytes: int = 0  # per SERVICE answer
    base_iri: str | None = None  # relative IRIs in the query resolve against it


@dataclass(frozen=True)
class Answer:
    status: int
    media_type: str
    body: bytes


class Busy(Exception):
    """Every worker is taken and the queue is full."""


class TimedOut(Exception):
    """The query ran past the time limit; its worker was killed."""


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
        answer = serialize(outcome, job)
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


def graph_bytes(triples: list, media_type: str) -> bytes:
    rdf_format = RDF_BY_MEDIA_TYPE[media_type].oxigraph
    if rdf_format.supports_datasets:
        triples = [ox.Quad(t.subject, t.predicate, t.object) for t in triples]
    return ox.serialize(triples, format=rdf_format)


def work(conn) -> None:
    """A worker's life: answer jobs from `conn` until it closes, on a thread with a big stack."""
    threading.stack_size(STACK_BYTES)
    thread = threading.Thread(target=serve_jobs, args=(conn,), daemon=True)
    thread.start()
    thread.join()


def serve_jobs(conn) -> None:
    stores: dict[str, ox.Store] = {}
    relay = None  # started by the first federated query
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job.dist not in stores:  # a new build was published: drop the old one
            stores = {job.dist: load_store(job.dist)}
        if job.services and relay is None:
            relay = Relay()
        answer = evaluate(stores[job.dist], job, relay)
        # the head first, so the server can take a big body off its event loop
        conn.send((answer.status, answer.media_type, len(answer.body)))
        conn.send_bytes(answer.body)


class Worker:
    def __init__(self, context):
        self.conn, child = context.Pipe()
        self.process = context.Process(target=work, args=(child,), daemon=True)
        self.process.start()
        child.close()

    async def ask(self, job: Job, timeout: float) -> Answer | None:
        """The Answer, TimedOut, or None if the process died (a crash).

        The pipe is watched by the event loop itself: no thread hand-off per query, and the
        worker is free again as soon as its answer is read.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        try:
            self.conn.send(job)
            status, media_type, size = await self._when_readable(self.conn.recv, deadline)
            if size > INLINE_BODY:  # reading it would hold up every other client
                body = await loop.run_in_executor(None, self.conn.recv_bytes)
            else:
                body = await self._when_readable(self.conn.recv_bytes, deadline)
        except (EOFError, OSError):
            return None
        return Answer(status, media_type, body)

    async def _when_readable(self, read, deadline: float):
        """`read()` once the pipe has data; TimedOut if none comes before `deadline`."""
        loop = asyncio.get_running_loop()
        ready = loop.create_future()
        fd = self.conn.fileno()
        loop.add_reader(fd, lambda: ready.done() or ready.set_result(None))
        try:
            await asyncio.wait_for(ready, max(0.0, deadline - loop.time()))
        except TimeoutError:
            raise TimedOut from None
        finally:
            loop.remove_reader(fd)
            os.set_blocking(fd, True)  # uvloop made it non-blocking; a message may be in flight
        return read()

    def stop(self) -> None:
        self.process.kill()
        self.process.join()
        self.conn.close()


class QueryPool:
    """`workers` processes; `run` waits for a free one, bounded by `max_queue` waiters."""

    def __init__(self, workers: int, max_queue: int, time_limit: float):
        self.context = multiprocessing.get_context("spawn")  # no fork of a threaded server
        self.time_limit, self.capacity = time_limit, workers + max_queue
        self.idle: asyncio.Queue[Worker] | None = None
        self.size, self.in_flight = workers, 0

    async def start(self) -> None:
        self.idle = asyncio.Queue()
        for worker in await asyncio.gather(*[self._spawn() for _ in range(self.size)]):
            self.idle.put_nowait(worker)

    async def _spawn(self) -> Worker:
        return await asyncio.get_running_loop().run_in_executor(None, Worker, self.context)

    async def run(self, job: Job) -> Answer:
        """The answer to `job`; Busy if the queue is full, TimedOut past the time limit."""
        if self.in_flight >= self.capacity:
            raise Busy
        self.in_flight += 1
        try:
            return await self._run(job)
        finally:
            self.in_flight -= 1

    async def _run(self, job: Job) -> Answer:
        try:
            worker = await asyncio.wait_for(self.idle.get(), self.time_limit)
        except TimeoutError:
            raise Busy from None
        answer = None
        try:
            answer = await worker.ask(job, self.time_limit)
        finally:
            if isinstance(answer, Answer):
                self.idle.put_nowait(worker)
            else:  # killed or dead: replace it without making this client wait
                asyncio.ensure_future(self._replace(worker))
        if answer is None:
            message = "the query engine's process ended while evaluating this query"
            return Answer(400, "text/plain", message.encode())
        return answer

    async def _replace(self, worker: Worker) -> None:
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, worker.stop)
        self.idle.put_nowait(await self._spawn())

    def state(self) -> dict:
        idle = self.idle.qsize() if self.idle is not None else 0
        return {"workers": self.size, "idle_workers": idle, "queries_in_flight": self.in_flight}

    async def close(self) -> None:
        while self.idle is not None and not self.idle.empty():
            self.idle.get_nowait().stop()

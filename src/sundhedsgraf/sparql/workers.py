"""Query worker processes: user queries run where they can be killed.

pyoxigraph cannot cancel a running query and overflows its stack on deeply nested ones, so each
query runs in a worker process, in a thread with a large stack. A query past the time limit gets
its worker killed and replaced; a worker that dies, idle or busy, is replaced at once, and a
worker dies with the server. Waiting for a worker is bounded: beyond `workers + max_queue`
queries in flight the pool says Busy at once, and the wait counts against the time limit.
Clients take turns and have budgets (`fairness.py`).
"""

import asyncio
import ctypes
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, replace

import pyoxigraph as ox

from sundhedsgraf.formats import RDF_BY_MEDIA_TYPE, RESULTS_BY_MEDIA_TYPE
from sundhedsgraf.publication import open_store
from sundhedsgraf.settings import Settings
from sundhedsgraf.sparql import results
from sundhedsgraf.sparql.fairness import Budgets, Gate
from sundhedsgraf.sparql.federation import Call, CallFailed, Relay, rewrite

STACK_BYTES = 1 << 30  # virtual; pages are only touched by really deep queries
INLINE_BODY = 1 << 18  # answers up to this size are read on the event loop
PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
READY = "ready"  # a new worker's first message: started, build loaded
START_SECONDS = 60.0  # a worker not ready by then is stopped and started again
RESTART_PAUSE = 1.0  # seconds between attempts to start a worker that failed to start
MAX_CRASHES = 2  # a query text that ended this many workers is refused
# of what is left of the time limit when a query gets a worker, what its SERVICE calls may
# take: a slow remote is reported as such before the worker is stopped at the limit
SERVICE_SHARE = 0.9
REMEMBERED_CRASHES = 1000  # query texts whose crashes are counted


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


class TimedOut(Exception):
    """The query ran past the time limit; its worker was killed."""


class Crashed(Exception):
    """The worker's process ended while evaluating the query; it is being replaced."""


class KillsWorkers(Exception):
    """The query has ended MAX_CRASHES worker processes: it is not run again."""


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


def work(conn, parent: int, dist: str | None, store: str) -> None:
    """A worker's life: answer jobs from `conn` until it closes, on a thread with a big stack."""
    end_with_parent(parent)
    threading.stack_size(STACK_BYTES)
    thread = threading.Thread(target=serve_jobs, args=(conn, dist, store), daemon=True)
    thread.start()
    thread.join()


def end_with_parent(parent: int) -> None:
    """Be killed when the server ends, even by kill -9: an orphan would run on at full CPU.

    PR_SET_PDEATHSIG fires when the *thread* that started this process ends; the pool starts
    workers on the event loop's thread, which lives as long as the server does."""
    if sys.platform == "linux":
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the server ended before the signal was asked for
        os._exit(1)


def serve_jobs(conn, dist: str | None, store: str = Settings.store) -> None:
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


class Worker:
    """A worker process and the server's end of its pipe.

    The event loop watches the pipe from the first wait on: one reader per worker, not one
    per message (adding and removing one, and the blocking mode uvloop changes, cost syscalls).
    """

    def __init__(self, context, dist: str | None, store: str):
        self.conn, child = context.Pipe()
        self.process = context.Process(
            target=work, args=(child, os.getpid(), dist, store), daemon=True
        )
        self.process.start()
        child.close()
        self.watched = False  # whether the event loop watches the pipe
        self.arrived: asyncio.Future | None = None  # set when a message can be read

    async def ready(self) -> None:
        """Wait until the worker has started and loaded the build `dist`."""
        loop = asyncio.get_running_loop()
        if await self._message(loop.time() + START_SECONDS) != READY:
            raise EOFError("the worker did not start")

    async def ask(self, job: Job, timeout: float) -> Answer | None:
        """The Answer, TimedOut, or None if the process died (a crash)."""
        loop = asyncio.get_running_loop()
        try:
            self.conn.send(job)
            status, media_type, body = await self._message(loop.time() + timeout)
            if body is None:  # too big to read on the event loop: it would hold up the others
                body = await loop.run_in_executor(None, self.conn.recv_bytes)
        except (EOFError, OSError):
            return None
        return Answer(status, media_type, body)

    async def _message(self, deadline: float):
        """The next message; TimedOut if none comes before `deadline`."""
        loop = asyncio.get_running_loop()
        self.arrived = arrived = loop.create_future()
        if not self.watched:
            loop.add_reader(self.conn.fileno(), self._readable)
            os.set_blocking(self.conn.fileno(), True)  # uvloop made it non-blocking
            self.watched = True
        timer = loop.call_at(deadline, lambda: arrived.done() or arrived.set_exception(TimedOut()))
        try:
            await arrived
        finally:
            timer.cancel()
            self.arrived = None
        return self.conn.recv()

    def _readable(self) -> None:
        if self.arrived is not None and not self.arrived.done():
            self.arrived.set_result(None)
        elif self.arrived is None:  # nobody waits (an end of file): stop the loop spinning
            self.unwatch()

    def unwatch(self) -> None:
        """Stop watching the pipe; on the event loop's thread, before stop()."""
        if self.watched:
            asyncio.get_running_loop().remove_reader(self.conn.fileno())
            self.watched = False

    def stop(self) -> None:
        self.process.kill()
        self.process.join()
        self.conn.close()


class QueryPool:
    """`workers` processes shared between clients through a `Gate` (turns, budgets, shares),
    within the time limit counted from a query's arrival. A worker that dies, idle or busy, is
    replaced at once.
    """

    def __init__(
        self,
        workers: int,
        max_queue: int,
        time_limit: float,
        budgets: Budgets,
        client_share: float = 1.0,
        store: str = Settings.store,
    ):
        self.store = store  # "memory" or "disk": how a worker opens a build (open_store)
        self.context = multiprocessing.get_context("spawn")  # no fork of a threaded server
        self.size, self.time_limit, self.budgets = workers, time_limit, budgets
        self.gate = Gate(workers, max_queue, budgets, client_share)  # hands out idle workers
        self.workers: set[Worker] = set()
        self.closed = False
        self.dist: str | None = None  # the build a new worker loads before it is ready
        self.crashes: OrderedDict[tuple[str, str], int] = OrderedDict()  # (dist, query) -> times

    async def start(self, dist: str | None = None) -> None:
        self.dist = dist
        await asyncio.gather(*[self._start_worker() for _ in range(self.size)])

    async def run(self, job: Job, client: str) -> Answer:
        """The answer to `job` for `client`. Raises Busy (queue full, or no worker within the
        time limit), TooMany, TimedOut, OverBudget, Crashed or KillsWorkers."""
        loop = asyncio.get_running_loop()
        now = loop.time()
        deadline = now + self.time_limit  # the limit a client sees, its wait included
        if self.crashes.get((job.dist, job.query), 0) >= MAX_CRASHES:
            raise KillsWorkers
        with self.gate.admitted(client, now):
            self.dist = job.dist
            worker = await self.gate.take(client, deadline)
            if job.services:  # the calls get what the wait for a worker left of the limit
                job = replace(job, service_seconds=SERVICE_SHARE * (deadline - loop.time()))
            return await self._ask(worker, job, client, deadline)

    async def _ask(self, worker: Worker, job: Job, client: str, deadline: float) -> Answer:
        loop = asyncio.get_running_loop()
        started, answer = loop.time(), None
        try:
            answer = await worker.ask(job, deadline - started)
        finally:
            self.budgets.charge(client, loop.time() - started, loop.time())
            if isinstance(answer, Answer):
                self.gate.give(worker)
            else:  # killed at the limit, dead, or the request was cancelled
                self._retire(worker)
        if answer is None:
            raise self._crashed(job)
        return answer

    def _crashed(self, job: Job) -> Exception:
        """Crashed, or KillsWorkers once the query has ended MAX_CRASHES workers: it is not
        run again blindly, it may be what kills them."""
        key = (job.dist, job.query)
        self.crashes[key] = self.crashes.pop(key, 0) + 1
        while len(self.crashes) > REMEMBERED_CRASHES:
            self.crashes.popitem(last=False)
        return KillsWorkers() if self.crashes[key] >= MAX_CRASHES else Crashed()

    def _ended(self, worker: Worker) -> None:
        """The worker's process ended (its sentinel is readable). An idle one is replaced now,
        before a query is handed to it; a busy one's ask() sees the end and retires it."""
        asyncio.get_running_loop().remove_reader(worker.process.sentinel)
        if worker in self.gate.idle:
            self.gate.idle.remove(worker)
            self._retire(worker)

    def _retire(self, worker: Worker) -> None:
        asyncio.get_running_loop().remove_reader(worker.process.sentinel)
        worker.unwatch()
        self.workers.discard(worker)
        asyncio.ensure_future(self._replace(worker))

    async def _replace(self, worker: Worker) -> None:
        await asyncio.get_running_loop().run_in_executor(None, worker.stop)
        await self._start_worker()

    async def _start_worker(self) -> None:
        """A new worker, idle once it has loaded the build; tried again if it fails to start."""
        loop = asyncio.get_running_loop()
        while not self.closed:
            # on the loop's thread: see end_with_parent
            worker = Worker(self.context, self.dist, self.store)
            self.workers.add(worker)
            try:
                await worker.ready()
            except (EOFError, OSError, TimedOut):
                self.workers.discard(worker)
                worker.unwatch()
                await loop.run_in_executor(None, worker.stop)
                await asyncio.sleep(RESTART_PAUSE)
                continue
            if worker in self.workers:  # not stopped by close() meanwhile
                loop.add_reader(worker.process.sentinel, self._ended, worker)
                self.gate.give(worker)
            return

    def state(self) -> dict:
        return {
            "workers": self.size,
            "idle_workers": len(self.gate.idle),
            "queries_in_flight": self.gate.in_flight,
            "queries_waiting": len(self.gate.turns),
        }

    async def close(self) -> None:
        self.closed = True
        loop = asyncio.get_running_loop()
        for worker in list(self.workers):
            loop.remove_reader(worker.process.sentinel)
            worker.unwatch()
            worker.stop()
        self.workers.clear()
        self.gate.idle.clear()

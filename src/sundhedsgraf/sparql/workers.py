"""Query worker processes: user queries run where they can be killed.

pyoxigraph cannot cancel a running query and overflows its stack on deeply nested ones, so each
query runs in a worker process, in a thread with a large stack. A query past the time limit gets
its worker killed and replaced; a worker that dies, idle or busy, is replaced at once, and a
worker dies with the server. Waiting for a worker is bounded: beyond `workers + max_queue`
queries in flight the pool says Busy at once, and the wait counts against the time limit.
Clients take turns and have budgets (`fairness.py`).
"""

import asyncio
import multiprocessing
import os
from collections import OrderedDict
from dataclasses import replace

from sundhedsgraf.settings import Settings
from sundhedsgraf.sparql.evaluation import READY, Answer, Job, work
from sundhedsgraf.sparql.fairness import Budgets, Gate
from sundhedsgraf.stores import dump_bytes

# A worker not ready within START_SECONDS, plus the time its share of the cores takes to load
# the build at LOAD_BYTES_PER_SECOND of dump (all workers load at once), is stopped and
# started again. The rate is a third of what one core of a loaded machine manages (1M triples,
# ~150 MB, ~20 s), so that a big build is not stopped and started in a loop.
START_SECONDS = 60.0
LOAD_BYTES_PER_SECOND = 2.5e6
RESTART_PAUSE = 1.0  # seconds between attempts to start a worker that failed to start
MAX_CRASHES = 2  # a query text that ended this many workers is refused
# of what is left of the time limit when a query gets a worker, what its SERVICE calls may
# take: a slow remote is reported as such before the worker is stopped at the limit
SERVICE_SHARE = 0.9
REMEMBERED_CRASHES = 1000  # query texts whose crashes are counted


class TimedOut(Exception):
    """The query ran past the time limit; its worker was killed."""


class Crashed(Exception):
    """The worker's process ended while evaluating the query; it is being replaced."""


class KillsWorkers(Exception):
    """The query has ended MAX_CRASHES worker processes: it is not run again."""


class Worker:
    """A worker process and the server's end of its pipe.

    The event loop watches the pipe from the first wait on: one reader per worker, not one
    per message (adding and removing one, and the blocking mode uvloop changes, cost syscalls).
    """

    def __init__(self, context, dist: str | None, store: str):
        self.conn, child = context.Pipe()
        self.process = context.Process(target=work, args=(child, dist, store), daemon=True)
        self.process.start()
        child.close()
        self.watched = False  # whether the event loop watches the pipe
        self.arrived: asyncio.Future | None = None  # set when a message can be read

    async def ready(self, seconds: float) -> None:
        """Wait until the worker has started and loaded the build `dist`."""
        loop = asyncio.get_running_loop()
        if await self._message(loop.time() + seconds) != READY:
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
        # Workers are forked by multiprocessing's fork server, a single-threaded process started
        # once (never a fork of this threaded server), from its imports of what they run: the
        # workers share those pages instead of importing a copy each (about 15 MB a worker).
        self.context = multiprocessing.get_context("forkserver")
        self.context.set_forkserver_preload(["__main__", "sundhedsgraf.sparql.preload"])
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
            worker = Worker(self.context, self.dist, self.store)
            self.workers.add(worker)
            try:
                await worker.ready(self.start_seconds())
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

    def start_seconds(self) -> float:
        """How long a new worker may take to be ready: longer for a bigger build."""
        cores = os.cpu_count() or 1
        dump = dump_bytes(self.dist) if self.dist else 0
        return START_SECONDS + max(1, self.size / cores) * dump / LOAD_BYTES_PER_SECOND

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

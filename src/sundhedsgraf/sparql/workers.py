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
from collections import OrderedDict, deque
from dataclasses import replace

from sundhedsgraf.settings import Settings
from sundhedsgraf.sparql.evaluation import READY, Answer, Job, work
from sundhedsgraf.sparql.fairness import Budgets, Turns
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


class Busy(Exception):
    """The queue is full, or no worker came free within the time limit."""


class TooMany(Exception):
    """The client has `most` queries in flight (running or waiting), its share of the pool."""

    def __init__(self, most: int):
        super().__init__(most)
        self.most = most


class TimedOut(Exception):
    """The query ran past the time limit; its worker was killed."""


class OverBudget(Exception):
    """The client has spent its budget of worker time; it refills in `wait` seconds."""

    def __init__(self, wait: float):
        super().__init__(wait)
        self.wait = wait


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
        self.process = context.Process(
            target=work, args=(child, os.getpid(), dist, store), daemon=True
        )
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
    """`workers` processes shared between clients.

    A query waits for a worker in its client's turn (round-robin between clients), within the
    time limit counted from its arrival, and only while its client has budget left. A client
    that ran a long query lately does not get the last idle worker: that one is kept for quick
    queries. A worker that dies, idle or busy, is replaced at once.
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
        self.size, self.capacity, self.time_limit = workers, workers + max_queue, time_limit
        # what one client may hold, so that one client cannot fill the queue for all
        self.client_most = max(1, int(client_share * self.capacity))
        self.held: dict[str, int] = {}  # client -> queries in flight
        self.budgets = budgets
        self.workers: set[Worker] = set()
        self.idle: deque[Worker] = deque()
        self.turns = Turns()
        self.in_flight, self.closed = 0, False
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
        if self.budgets.spent(client, now):
            raise OverBudget(self.budgets.refill_wait(client, now))
        if self.in_flight >= self.capacity:
            raise Busy
        if self.held.get(client, 0) >= self.client_most:
            raise TooMany(self.client_most)
        self.dist = job.dist
        self.in_flight += 1
        self.held[client] = self.held.get(client, 0) + 1
        try:
            worker = await self._worker_for(client, deadline)
            if job.services:  # the calls get what the wait for a worker left of the limit
                job = replace(job, service_seconds=SERVICE_SHARE * (deadline - loop.time()))
            return await self._ask(worker, job, client, deadline)
        finally:
            self.in_flight -= 1
            self.held[client] -= 1
            if not self.held[client]:
                del self.held[client]

    async def _worker_for(self, client: str, deadline: float) -> Worker:
        """An idle worker, when it is `client`'s turn; Busy if none comes before `deadline`."""
        loop = asyncio.get_running_loop()
        if self.idle and not self.turns and self._may_take(client, loop.time()):
            return self.idle.popleft()  # nobody waits, so it is this client's turn
        turn = loop.create_future()
        self.turns.add(client, turn)
        self._dispatch()
        try:
            await asyncio.wait({turn}, timeout=max(0.0, deadline - loop.time()))
        except asyncio.CancelledError:  # the request was given up
            self._forget(client, turn)
            raise
        if not turn.done() or loop.time() >= deadline:  # none came, or too late to use
            self._forget(client, turn)
            raise Busy
        return turn.result()

    def _forget(self, client: str, turn: asyncio.Future) -> None:
        """Take a waiter out of the queue; a worker it was given meanwhile goes back."""
        if not turn.done():
            turn.cancel()
            self.turns.remove(client, turn)
        elif turn.exception() is None:
            self._free(turn.result())

    def _dispatch(self) -> None:
        """Hand idle workers to waiting clients, in turn."""
        now = asyncio.get_running_loop().time()
        while self.idle:
            taken = self.turns.take(lambda client: self._may_take(client, now))
            if taken is None:
                return
            client, turn = taken
            if self.budgets.spent(client, now):  # its queries that ran meanwhile spent it
                turn.set_exception(OverBudget(self.budgets.refill_wait(client, now)))
            else:
                turn.set_result(self.idle.popleft())

    def _may_take(self, client: str, now: float) -> bool:
        return len(self.idle) > 1 or self.size == 1 or not self.budgets.heavy(client, now)

    async def _ask(self, worker: Worker, job: Job, client: str, deadline: float) -> Answer:
        loop = asyncio.get_running_loop()
        started, answer = loop.time(), None
        try:
            answer = await worker.ask(job, deadline - started)
        finally:
            self.budgets.charge(client, loop.time() - started, loop.time())
            if isinstance(answer, Answer):
                self._free(worker)
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

    def _free(self, worker: Worker) -> None:
        self.idle.append(worker)
        self._dispatch()

    def _ended(self, worker: Worker) -> None:
        """The worker's process ended (its sentinel is readable). An idle one is replaced now,
        before a query is handed to it; a busy one's ask() sees the end and retires it."""
        asyncio.get_running_loop().remove_reader(worker.process.sentinel)
        if worker in self.idle:
            self.idle.remove(worker)
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
                await worker.ready(self.start_seconds())
            except (EOFError, OSError, TimedOut):
                self.workers.discard(worker)
                worker.unwatch()
                await loop.run_in_executor(None, worker.stop)
                await asyncio.sleep(RESTART_PAUSE)
                continue
            if worker in self.workers:  # not stopped by close() meanwhile
                loop.add_reader(worker.process.sentinel, self._ended, worker)
                self._free(worker)
            return

    def start_seconds(self) -> float:
        """How long a new worker may take to be ready: longer for a bigger build."""
        cores = os.cpu_count() or 1
        dump = dump_bytes(self.dist) if self.dist else 0
        return START_SECONDS + max(1, self.size / cores) * dump / LOAD_BYTES_PER_SECOND

    def state(self) -> dict:
        return {
            "workers": self.size,
            "idle_workers": len(self.idle),
            "queries_in_flight": self.in_flight,
            "queries_waiting": len(self.turns),
        }

    async def close(self) -> None:
        self.closed = True
        loop = asyncio.get_running_loop()
        for worker in list(self.workers):
            loop.remove_reader(worker.process.sentinel)
            worker.unwatch()
            worker.stop()
        self.workers.clear()
        self.idle.clear()

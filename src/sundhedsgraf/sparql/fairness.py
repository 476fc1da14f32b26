"""Fair shares of the query workers: who a client is, a budget of worker time per client, and
a queue that serves waiting clients in turn.

As Wikidata's query service does, each client has a budget of worker time that refills over a
window; a client that has spent it gets 429 until it has some again. The queue takes clients
round-robin, so a client with many queries waiting does not push the others back. `Gate`
puts these together in front of a few resources (worker processes, connections to a store).
"""

import asyncio
from collections import deque
from collections.abc import Iterable
from contextlib import asynccontextmanager, contextmanager

from starlette.requests import Request

# Clients whose budget is full again are forgotten once this many are known.
REMEMBERED = 10_000


def client_of(request: Request, header: str | None) -> str:
    """Who sent `request`: the last entry of `header`, which a trusted proxy sets to the address
    it saw (entries before it are the client's own claims); otherwise the peer's address."""
    if header is not None:
        claimed = request.headers.get(header, "").rpartition(",")[2].strip()
        if claimed:
            return claimed
    return request.client.host if request.client else "unknown"


class Budgets:
    """A bucket of `seconds` of worker time per client, refilled evenly over `window` seconds.
    Time is charged when a query ends, so a balance can fall below zero.

    A client whose query held a worker longer than `long_query` seconds is heavy for a
    `window` after: the pool keeps its last idle worker from heavy clients.
    """

    def __init__(self, seconds: float, window: float, long_query: float):
        self.seconds, self.window, self.long_query = seconds, window, long_query
        self.rate = seconds / window
        self.balances: dict[str, tuple[float, float]] = {}  # client -> (balance, as of when)
        self.heavy_until: dict[str, float] = {}
        self.sweep_at = REMEMBERED  # entries that make `forget` run

    def balance(self, client: str, now: float) -> float:
        balance, then = self.balances.get(client, (self.seconds, now))
        return min(self.seconds, balance + (now - then) * self.rate)

    def spent(self, client: str, now: float) -> bool:
        return self.balance(client, now) <= 0

    def refill_wait(self, client: str, now: float) -> float:
        """Seconds until a spent budget is above zero again."""
        return max(0.0, -self.balance(client, now) / self.rate)

    def heavy(self, client: str, now: float) -> bool:
        return self.heavy_until.get(client, now) > now

    def charge(self, client: str, seconds: float, now: float) -> None:
        self.balances[client] = (self.balance(client, now) - seconds, now)
        if seconds > self.long_query:
            self.heavy_until[client] = now + self.window
        if len(self.balances) + len(self.heavy_until) > self.sweep_at:
            self.forget(now)

    def forget(self, now: float) -> None:
        """Drop what no longer matters: full buckets and past heavy marks. The next sweep comes
        when the entries left have doubled, so sweeps stay rare however many clients there are."""
        self.balances = {c: v for c, v in self.balances.items() if self.used(c, now) > 0}
        self.heavy_until = {c: t for c, t in self.heavy_until.items() if t > now}
        self.sweep_at = max(REMEMBERED, 2 * (len(self.balances) + len(self.heavy_until)))

    def used(self, client: str, now: float) -> float:
        return self.seconds - self.balance(client, now)


class Turns:
    """Waiting items by client; `take` serves the clients in turn (round-robin)."""

    def __init__(self):
        self.waiting: dict[str, deque] = {}  # in the order the clients' turns come

    def __len__(self) -> int:
        return sum(len(queue) for queue in self.waiting.values())

    def add(self, client: str, item) -> None:
        self.waiting.setdefault(client, deque()).append(item)

    def remove(self, client: str, item) -> None:
        queue = self.waiting.get(client)
        if queue is not None and item in queue:
            queue.remove(item)
            if not queue:
                del self.waiting[client]

    def take(self, may_take) -> tuple[str, object] | None:
        """The first waiting item of the first client in turn for which `may_take(client)`;
        that client's turn goes to the back."""
        for client in self.waiting:
            if may_take(client):
                queue = self.waiting.pop(client)
                item = queue.popleft()
                if queue:
                    self.waiting[client] = queue  # back of the line
                return client, item
        return None


class Busy(Exception):
    """The queue is full, or nothing came free within the time limit."""


class TooMany(Exception):
    """The client has `most` queries in flight (running or waiting), its share of the gate."""

    def __init__(self, most: int):
        super().__init__(most)
        self.most = most


class OverBudget(Exception):
    """The client has spent its budget of time; it refills in `wait` seconds."""

    def __init__(self, wait: float):
        super().__init__(wait)
        self.wait = wait


class Gate:
    """`size` resources (worker processes, connections) shared between clients: a query waits
    for one in its client's turn (round-robin), within its deadline and only while its client
    has budget left; a client that ran a long query lately does not get the last idle one,
    which is kept for quick queries. Beyond `size + max_queue` queries in flight it is Busy at
    once, and a client may hold at most `client_share` of those places (TooMany).

    Resources come in by `give` (the pool gives a worker once it is ready, and again after
    each query unless it was stopped) and go out by `take`; `held` does it all for resources
    that always come back (a store's connection slots)."""

    def __init__(
        self,
        size: int,
        max_queue: int,
        budgets: Budgets,
        client_share: float = 1.0,
        idle: Iterable = (),  # the resources there are from the start
    ):
        self.size, self.capacity, self.budgets = size, size + max_queue, budgets
        # what one client may hold, so that one client cannot fill the queue for all
        self.client_most = max(1, int(client_share * self.capacity))
        self.in_flight_of: dict[str, int] = {}  # client -> queries in flight
        self.in_flight = 0
        self.idle: deque = deque(idle)
        self.turns = Turns()

    @contextmanager
    def admitted(self, client: str, now: float):
        """A place for `client`'s query while inside; OverBudget, Busy or TooMany if none."""
        if self.budgets.spent(client, now):
            raise OverBudget(self.budgets.refill_wait(client, now))
        if self.in_flight >= self.capacity:
            raise Busy
        if self.in_flight_of.get(client, 0) >= self.client_most:
            raise TooMany(self.client_most)
        self.in_flight += 1
        self.in_flight_of[client] = self.in_flight_of.get(client, 0) + 1
        try:
            yield
        finally:
            self.in_flight -= 1
            self.in_flight_of[client] -= 1
            if not self.in_flight_of[client]:
                del self.in_flight_of[client]

    @asynccontextmanager
    async def held(self, client: str, deadline: float):
        """A resource for `client`, waited for until `deadline`; the time it is held is
        charged to the client, and it is given back."""
        loop = asyncio.get_running_loop()
        with self.admitted(client, loop.time()):
            resource = await self.take(client, deadline)
            started = loop.time()
            try:
                yield resource
            finally:
                self.budgets.charge(client, loop.time() - started, loop.time())
                self.give(resource)

    async def take(self, client: str, deadline: float):
        """An idle resource, when it is `client`'s turn; Busy if none comes before `deadline`."""
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
        return turn.result()  # OverBudget if its other queries spent the budget meanwhile

    def give(self, resource) -> None:
        """`resource` is idle (again): to the next client in turn."""
        self.idle.append(resource)
        self._dispatch()

    def _forget(self, client: str, turn: asyncio.Future) -> None:
        """Take a waiter out of the queue; a resource it was given meanwhile goes back."""
        if not turn.done():
            turn.cancel()
            self.turns.remove(client, turn)
        elif turn.exception() is None:
            self.give(turn.result())

    def _dispatch(self) -> None:
        """Hand idle resources to waiting clients, in turn."""
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

"""Fair shares of the query workers: who a client is, a budget of worker time per client, and
a queue that serves waiting clients in turn.

As Wikidata's query service does, each client has a budget of worker time that refills over a
window; a client that has spent it gets 429 until it has some again. The queue takes clients
round-robin, so a client with many queries waiting does not push the others back.
"""

from collections import deque

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

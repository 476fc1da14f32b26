"""The query workers under faults and load, over HTTP: a worker killed mid-query, a worker that
dies idle, a server killed under its workers, clients over their budget, turns in the queue and
the time limit counted from a request's arrival.

Each client gets a loopback address of its own (any of 127.0.0.0/8 can be bound), so the
server tells them apart as it would in production."""

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path

import httpx
from conftest import Server, assert_problem, wait_until

from sundhedsgraf.publication import build_folder
from sundhedsgraf.sparql import workers
from sundhedsgraf.sparql.fairness import Budgets
from sundhedsgraf.stores import dump_bytes

LONG = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"  # runs for ever
ASK = "ASK { ?s ?p ?o }"
NOW = "SELECT (NOW() AS ?t) WHERE {}"  # when a worker started the query, in ns

_nonces = iter(range(10**9))


def fresh(query: str) -> str:
    """`query` with a comment no other request has, so that the answer cache cannot answer it."""
    return f"{query}\n# request {next(_nonces)} {time.monotonic_ns()}\n"


def client_at(server: Server, address: str) -> httpx.Client:
    """A client whose connections come from `address`: another client to the server."""
    transport = httpx.HTTPTransport(local_address=address)
    return httpx.Client(base_url=server.url, transport=transport, timeout=120)


def ask(client: httpx.Client, query: str, **headers) -> httpx.Response:
    return client.get("/sparql", params={"query": query}, headers=headers)


def in_background(send) -> tuple[threading.Thread, dict]:
    """`send()` in a thread; the dict gets its response, or the transport error it raised."""
    outcome: dict = {}

    def run():
        try:
            outcome["response"] = send()
        except httpx.TransportError as error:
            outcome["error"] = error

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, outcome


def state(server: Server) -> dict:
    return server.client.get("/health").json()


def in_flight(server: Server, count: int) -> None:
    wait_until(lambda: state(server)["queries_in_flight"] == count, 30)


def all_idle(server: Server) -> bool:
    now = state(server)
    return now["idle_workers"] == now["workers"] and now["queries_in_flight"] == 0


def stat(pid: int) -> list[str] | None:
    """The fields of /proc/<pid>/stat after the command name; None if there is no such process."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def running(pid: int) -> bool:
    fields = stat(pid)
    return fields is not None and fields[0] != "Z"


def children_of(parent: int) -> dict[int, bytes]:
    """The live child processes of `parent` and their command lines."""
    found = {}
    for entry in Path("/proc").glob("[0-9]*"):
        fields = stat(int(entry.name))
        if fields is None or fields[0] == "Z" or int(fields[1]) != parent:
            continue
        with contextlib.suppress(OSError):
            found[int(entry.name)] = (entry / "cmdline").read_bytes()
    return found


def fork_servers_of(server: Server) -> set[int]:
    """multiprocessing's fork server, the server's child that forks its query workers."""
    children = children_of(server.process.pid)
    return {pid for pid, command in children.items() if b"forkserver" in command}


def workers_of(server: Server) -> set[int]:
    """The server's query workers: the fork server's children."""
    return {pid for fork_server in fork_servers_of(server) for pid in children_of(fork_server)}


def started_at(response: httpx.Response) -> tuple:
    """When the worker started the NOW query, as a sortable value."""
    assert response.status_code == 200, response.text
    value = response.json()["results"]["bindings"][0]["t"]["value"]
    day, _, clock = value.rstrip("Z").partition("T")
    hours, minutes, seconds = clock.split(":")
    return day, int(hours), int(minutes), Decimal(seconds)


def assert_answers(server: Server, times: int) -> None:
    for _ in range(times):
        response = ask(server.client, fresh(ASK))
        assert response.status_code == 200, response.text
        assert response.json()["boolean"] is True


# --- 1: a worker that dies in a query ---


def test_a_crash_is_a_503_never_cached_and_a_query_that_kills_twice_is_refused(start_server):
    server = start_server("--workers", "1", "--time-limit", "60")
    query = fresh(LONG)
    sends = [
        lambda: ask(server.client, query),
        lambda: server.client.post("/sparql", data={"query": query}),
    ]
    answers = []
    for send in sends:
        wait_until(lambda: all_idle(server) and len(workers_of(server)) == 1)
        thread, outcome = in_background(send)
        in_flight(server, 1)  # the query runs: the first crash's answer was not cached
        (worker,) = workers_of(server)
        os.kill(worker, signal.SIGKILL)
        thread.join(60)
        answers.append(outcome["response"])

    crashed, refused = answers
    assert_problem(crashed, 503, "process ended")
    assert int(crashed.headers["retry-after"]) >= 1
    assert_problem(refused, 400, "ended the query engine's process twice")

    # From now on it is refused without running: the worker lives.
    wait_until(lambda: all_idle(server) and len(workers_of(server)) == 1)
    worker = workers_of(server)
    assert_problem(ask(server.client, query), 400, "twice")
    assert_problem(server.client.post("/sparql", data={"query": query}), 400, "twice")
    assert workers_of(server) == worker
    assert_answers(server, 2)


# --- 2: a worker that dies idle ---


def test_a_worker_that_dies_idle_is_replaced_before_a_query_needs_it(start_server):
    server = start_server("--workers", "2")
    wait_until(lambda: len(workers_of(server)) == 2)
    before = workers_of(server)
    victim = min(before)
    os.kill(victim, signal.SIGKILL)
    # no query comes: the server notices by itself
    wait_until(lambda: len(now := workers_of(server)) == 2 and victim not in now, 15)
    wait_until(lambda: all_idle(server))
    assert_answers(server, 4)  # each worker in turn: none is the dead one


def test_a_killed_fork_server_takes_its_workers_and_both_are_replaced(start_server):
    server = start_server("--workers", "2")
    wait_until(lambda: len(workers_of(server)) == 2)
    (fork_server,) = fork_servers_of(server)
    before = workers_of(server)
    os.kill(fork_server, signal.SIGKILL)
    wait_until(lambda: not any(running(pid) for pid in before), 15)  # they die with it
    wait_until(lambda: len(workers_of(server)) == 2 and all_idle(server), 30)
    assert fork_servers_of(server) != {fork_server}
    assert_answers(server, 4)


# --- 3: the server killed under its workers ---


def test_workers_end_with_the_server_and_a_new_server_takes_its_port(real_root):
    server = Server(real_root, "--workers", "2", "--time-limit", "60")
    children: set[int] = set()
    try:
        thread, _ = in_background(lambda: ask(client_at(server, "127.0.0.2"), fresh(LONG)))
        in_flight(server, 1)
        # the fork server, multiprocessing's resource tracker and two workers
        children = set(children_of(server.process.pid)) | workers_of(server)
        assert len(workers_of(server)) == 2 and len(children) == 4
        server.process.kill()
        server.process.wait()
        wait_until(lambda: not any(running(pid) for pid in children), 15)
        thread.join(10)

        again = Server(real_root, port=server.port)
        assert_answers(again, 2)
        again.stop()
    finally:
        for pid in children:  # orphans must not outlive a failed test
            if running(pid):
                os.kill(pid, signal.SIGKILL)
        server.stop()


# --- 4: fair shares ---


def test_a_client_over_its_budget_gets_a_429_and_the_others_are_served(start_server):
    server = start_server("--time-limit", "1", "--client-budget", "0.5", "--budget-window", "3600")
    heavy, light = client_at(server, "127.0.0.2"), client_at(server, "127.0.0.3")
    assert_problem(ask(heavy, fresh(LONG)), 503, "time limit")  # 1 s of worker time: over budget
    for query in (fresh(ASK), fresh(LONG)):
        refused = ask(heavy, query)
        assert_problem(refused, 429, "budget of 0.5 s of query time per 3600 s")
        assert int(refused.headers["retry-after"]) >= 1
    # a header naming another client is not believed unless the server is told to
    assert ask(heavy, fresh(ASK), **{"X-Forwarded-For": "127.0.0.9"}).status_code == 429
    response = ask(light, fresh(ASK))
    assert response.status_code == 200 and response.json()["boolean"] is True


def test_behind_a_proxy_the_trusted_header_names_the_client(start_server):
    server = start_server(
        "--time-limit", "1", "--client-budget", "0.5", "--budget-window", "3600",
        "--client-header", "X-Forwarded-For",
    )  # fmt: skip
    proxy = server.client  # every request comes from the proxy's address
    # the proxy appends the address it saw; what the client wrote before it is not believed
    first = {"X-Forwarded-For": "198.51.100.1, 203.0.113.7"}
    assert_problem(ask(proxy, fresh(LONG), **first), 503, "time limit")
    assert_problem(ask(proxy, fresh(ASK), **{"X-Forwarded-For": "203.0.113.7"}), 429, "budget")
    other = {"X-Forwarded-For": "203.0.113.7, 203.0.113.8"}
    assert ask(proxy, fresh(ASK), **other).status_code == 200


def test_a_client_may_hold_only_its_share_of_the_workers_and_the_queue(start_server):
    # one worker and three places in the queue: half of them is two queries per client
    server = start_server(
        "--workers", "1", "--max-queue", "3", "--client-share", "0.5", "--time-limit", "60"
    )  # a stopped worker must not be killed at the limit on a slow machine
    wait_until(lambda: all_idle(server) and len(workers_of(server)) == 1)
    (worker,) = workers_of(server)
    greedy, other = client_at(server, "127.0.0.2"), client_at(server, "127.0.0.3")
    os.kill(worker, signal.SIGSTOP)  # queries stay in flight
    try:
        sent = []
        for count in (1, 2):
            sent.append(in_background(lambda: ask(greedy, fresh(ASK))))
            in_flight(server, count)
        refused = ask(greedy, fresh(ASK))
        sent.append(in_background(lambda: ask(other, fresh(ASK))))
        in_flight(server, 3)  # the other client still gets a place
    finally:
        os.kill(worker, signal.SIGCONT)
    assert_problem(refused, 429, "queries running or waiting have reached its share", "(2)")
    assert refused.headers["retry-after"] == "1"
    for thread, outcome in sent:
        thread.join(60)
        assert outcome["response"].status_code == 200, outcome["response"].text
    assert ask(greedy, fresh(ASK)).status_code == 200  # its share is free again


def test_waiting_queries_are_served_in_turns_between_clients(start_server):
    server = start_server("--workers", "1", "--time-limit", "60")
    wait_until(lambda: all_idle(server) and len(workers_of(server)) == 1)
    (worker,) = workers_of(server)
    os.kill(worker, signal.SIGSTOP)  # the queue forms behind a query it cannot answer yet
    try:
        sent = [in_background(lambda: ask(server.client, fresh(NOW)))]
        in_flight(server, 1)
        order = ["127.0.0.2"] * 3 + ["127.0.0.3"]  # three from one client, then one from another
        for count, address in enumerate(order, start=2):
            client = client_at(server, address)
            sent.append(in_background(lambda client=client: ask(client, fresh(NOW))))
            in_flight(server, count)
    finally:
        os.kill(worker, signal.SIGCONT)
    for thread, _ in sent:
        thread.join(60)
    answers = [outcome["response"] for _, outcome in sent[1:]]
    served = sorted(range(len(order)), key=lambda i: started_at(answers[i]))
    assert [order[i] for i in served] == ["127.0.0.2", "127.0.0.3", "127.0.0.2", "127.0.0.2"]


def test_the_time_limit_counts_the_wait_for_a_worker(start_server):
    limit = 3.0
    server = start_server("--workers", "1", "--time-limit", f"{limit:g}")
    first, second, third = (client_at(server, f"127.0.0.{n}") for n in (2, 3, 4))
    running = in_background(lambda: ask(first, fresh(LONG)))
    in_flight(server, 1)
    waiting = in_background(lambda: ask(second, fresh(LONG)))
    in_flight(server, 2)
    # The second query has waited for the first's time limit; it may run only for what is left
    # of its own, so the worker is free again long before the time limit of a third, sent half
    # a limit later. (Were its limit counted from when it got a worker, it would still be
    # running when the third's limit ran out.)
    time.sleep(limit / 2)
    third_answer = ask(third, fresh(ASK))
    for thread, _ in (running, waiting):
        thread.join(60)
    assert_problem(running[1]["response"], 503, "time limit")
    assert waiting[1]["response"].status_code == 503
    assert third_answer.status_code == 200, third_answer.text
    assert third_answer.json()["boolean"] is True


class CountedWorker(workers.Worker):
    made = 0

    def __init__(self, *args):
        CountedWorker.made += 1
        super().__init__(*args)


def start_pool(real_root, size: int, seconds: float) -> int:
    """Start a pool of `size` workers on the real build; the workers it made in `seconds`."""
    CountedWorker.made = 0

    async def scenario():
        pool = workers.QueryPool(size, 0, 10.0, Budgets(60, 60, 5))
        try:
            await asyncio.wait_for(pool.start(str(build_folder(real_root))), seconds)
        except TimeoutError:
            pass
        finally:
            await pool.close()

    asyncio.run(scenario())
    return CountedWorker.made


def test_a_worker_loading_a_big_build_is_not_stopped_and_started_in_a_loop(real_root, monkeypatch):
    monkeypatch.setattr(workers, "Worker", CountedWorker)
    monkeypatch.setattr(workers, "RESTART_PAUSE", 0.05)
    monkeypatch.setattr(workers, "START_SECONDS", 0.0)  # only the build's size counts
    # as if loading this build took 30 s: the allowance grows with it
    dump = dump_bytes(str(build_folder(real_root)))
    monkeypatch.setattr(workers, "LOAD_BYTES_PER_SECOND", dump / 30)
    assert start_pool(real_root, 2, 60) == 2
    # with no allowance for the load, the same start goes round in a loop
    monkeypatch.setattr(workers, "LOAD_BYTES_PER_SECOND", dump * 1000)
    assert start_pool(real_root, 2, 3) > 4


def test_a_worker_imports_neither_rdflib_nor_the_web_framework():
    # what a worker process imports besides the standard library: the module it runs
    code = "import sys, sundhedsgraf.sparql.evaluation; print(' '.join(sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert not {"rdflib", "starlette", "fastapi", "uvicorn", "jinja2"} & set(done.stdout.split())

"""What our front adds to a store: `sundhedsgraf serve --sparql-backend URL` beside the store
itself (Oxigraph's server, on disk), over the competency queries. Target: our median no more
than 20 % above the store's.

Both are asked the same thing, one request after the other (interleaved, so noise from other
work falls on both): the store directly, with the form our front sends it (the query with the
build's graphs as default-graph-uri and named-graph-uri), and our /sparql by GET. Every query
text is new (a comment in front), so neither our answer cache nor anything else answers from
memory: each request reaches the store and is parsed and evaluated there. One client, one
keep-alive connection to each. All traffic goes to 127.0.0.1; the servers are children of
this script.
Usage: .venv/bin/python bench/backend.py [--rounds 5] [--reps 10]
"""

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import quote, urlencode

from run import ensure_build, free_port, load_queries, unique_comment

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
ACCEPT = "application/sparql-results+json"


def start(command: list[str], port: int, probe: str) -> subprocess.Popen:
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if request(port, "GET", probe)[0] == 200:
                return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit(f"{command[0]} did not answer on port {port}")


def request(port: int, method: str, path: str, body: bytes | None = None, conn=None):
    """(status, body, seconds); on a kept-alive `conn` the server closed meanwhile (uvicorn
    after 5 s idle), once more on a new connection."""
    own = conn is None
    conn = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Accept": ACCEPT}
    if body is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    for attempt in (1, 2):
        try:
            started = time.perf_counter()
            conn.request(method, path, body, headers)
            response = conn.getresponse()
            data = response.read()
            break
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            conn.close()
            if attempt == 2:
                raise
    elapsed = time.perf_counter() - started
    if own:
        conn.close()
    return response.status, data, elapsed


def load(port: int, dist: Path, graph: str) -> None:
    for path, media, file in (
        ("/store", "application/n-quads", "sundhedsgraf.nq"),
        (f"/store?graph={quote(graph, safe='')}", "text/turtle", "dataset.ttl"),
    ):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        conn.request("POST", path, (dist / file).read_bytes(), {"Content-Type": media})
        status = conn.getresponse().status
        conn.close()
        if status not in (200, 201, 204):
            raise SystemExit(f"loading {file}: HTTP {status}")


def graphs_of(port: int) -> list[str]:
    query = urlencode({"query": "SELECT DISTINCT ?g { GRAPH ?g {} } ORDER BY ?g"})
    _, body, _ = request(port, "GET", "/query?" + query)
    return [b["g"]["value"] for b in json.loads(body)["results"]["bindings"]]


def main() -> int:
    options = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    options.add_argument("--rounds", type=int, default=5)
    options.add_argument("--reps", type=int, default=10, help="requests per query per round")
    args = options.parse_args()
    dist = ensure_build(ROOT, str(BIN / "sundhedsgraf"))
    base = json.loads((dist / "manifest.json").read_text())["base_iri"]
    queries = load_queries(ROOT)
    store_port, our_port = free_port(), free_port()
    processes = []
    with tempfile.TemporaryDirectory(prefix="sundhedsgraf-bench-backend-") as folder:
        try:
            store_command = [str(BIN / "oxigraph"), "serve", "--location", folder + "/db"]
            store_command += ["--bind", f"127.0.0.1:{store_port}"]
            processes.append(start(store_command, store_port, "/query?query=ASK%7B%7D"))
            load(store_port, dist, base + "graph/dataset")
            graphs = graphs_of(store_port)
            ours = [str(BIN / "sundhedsgraf"), "serve", "--root", str(ROOT), "--port"]
            ours += [str(our_port), "--log-level", "warning"]
            ours += ["--sparql-backend", f"http://127.0.0.1:{store_port}/query"]
            ours += ["--time-limit", "120"]  # the store is measured, not cut short
            processes.append(start(ours, our_port, "/health"))
            before = [cpu_seconds(process.pid) for process in processes]
            times = measure(args, queries, graphs, store_port, our_port)
            used = [cpu_seconds(p.pid) - b for p, b in zip(processes, before, strict=True)]
            report(times, args, graphs, used)
        finally:
            for process in processes:
                process.terminate()
                process.wait()
    return 0


def measure(args, queries: dict[str, str], graphs: list[str], store_port: int, our_port: int):
    """{query: ([store times], [our times])}, interleaved request by request."""
    store = http.client.HTTPConnection("127.0.0.1", store_port, timeout=60)
    front = http.client.HTTPConnection("127.0.0.1", our_port, timeout=60)
    dataset = [("default-graph-uri", g) for g in graphs] + [("named-graph-uri", g) for g in graphs]
    tag, n = uuid.uuid4().hex[:8], 0
    times = {name: ([], []) for name in queries}
    for round_ in range(args.rounds + 1):  # round 0 warms connections and caches up
        for name, text in queries.items():
            for _ in range(args.reps):
                n += 1
                query = unique_comment(tag, n) + text
                form = urlencode([("query", query), *dataset]).encode()
                direct = request(store_port, "POST", "/query", form, store)
                n += 1
                query = unique_comment(tag, n) + text
                fronted = request(
                    our_port, "GET", "/sparql?" + urlencode({"query": query}), None, front
                )
                if direct[0] != 200 or fronted[0] != 200:
                    raise SystemExit(f"{name}: HTTP {direct[0]} (store), {fronted[0]} (ours)")
                if round_:
                    times[name][0].append(direct[2])
                    times[name][1].append(fronted[2])
    return times


def cpu_seconds(pid: int) -> float:
    """User + system time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def report(times: dict, args, graphs: list[str], used: list[float]) -> None:
    ms = lambda values: statistics.median(values) * 1000  # noqa: E731
    print(f"- rounds: {args.rounds} x {args.reps} requests per query, interleaved; unique texts")
    print(f"- dataset sent to the store: {len(graphs)} graphs, as default and named graphs")
    print()
    print("| query | store median ms | ours median ms | ratio |")
    print("|---|---:|---:|---:|")
    for name, (store, ours) in times.items():
        print(f"| {name} | {ms(store):.2f} | {ms(ours):.2f} | {ms(ours) / ms(store):.2f} |")
    store = [t for s, _ in times.values() for t in s]
    ours = [t for _, o in times.values() for t in o]
    ratio = ms(ours) / ms(store)
    verdict = "met" if ratio <= 1.2 else "not met"
    print(
        f"| all | {ms(store):.2f} | {ms(ours):.2f} | **{ratio:.2f}** (target ≤ 1.20: {verdict}) |"
    )
    requests = len(ours) * (args.rounds + 1) / args.rounds  # fronted ones, round 0 included
    store_cpu, our_cpu = used[0] * 1000 / (2 * requests), used[1] * 1000 / requests
    print()
    print(f"CPU (user + system), all rounds: the store {store_cpu:.2f} ms per query it answered,")
    print(f"our server {our_cpu:.2f} ms per request (what the front adds, whatever the load)")


if __name__ == "__main__":
    sys.exit(main())

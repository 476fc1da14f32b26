"""Benchmark: sundhedsgraf serve against Oxigraph (in memory, on disk) and rdflib-endpoint.

Every server gets the same data (dist/sundhedsgraf.nq plus dist/dataset.ttl in <base>graph/dataset,
which is what `sundhedsgraf serve` loads) with the union of the named graphs as default graph, and
is measured over the competency queries in queries/*.rq:

1. single client, one keep-alive connection: median and p99 latency of repeated identical requests;
2. wrk, 8 connections: requests/s cycling the competency queries (identical URLs repeat);
3. wrk, 8 connections: requests/s where every request is a query text never sent before (the
   competency query with a unique comment line in front), so no cache keyed by the text can help.

All traffic goes to 127.0.0.1; every server is a child of this script and is stopped at the end.
Usage: see bench/README.md. `python bench/run.py --help` lists the knobs.
"""

import argparse
import contextlib
import datetime as dt
import http.client
import importlib.metadata
import json
import os
import platform
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
ACCEPT = "application/sparql-results+json"
SERVERS = ("ours", "oxigraph-memory", "oxigraph-rocksdb", "rdflib-endpoint")
LABELS = {
    "ours": "sundhedsgraf serve",
    "oxigraph-memory": "Oxigraph server, in memory",
    "oxigraph-rocksdb": "Oxigraph server, --location (RocksDB)",
    "rdflib-endpoint": "rdflib-endpoint",
}
COUNT_QUADS = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"


class BenchError(Exception):
    """Something the benchmark needs is missing or misbehaves; the message says what."""


# ---------------------------------------------------------------- tools and data


def find_tool(name: str) -> str:
    """`name` from the venv's bin folder, else from PATH; BenchError naming the fix if absent."""
    fixes = {
        "wrk": "apt-get install -y wrk",
        "oxigraph": ".venv/bin/pip install -e '.[bench]'  (the oxigraph package ships the binary)",
        "sundhedsgraf": ".venv/bin/pip install -e '.[bench]'",
    }
    candidate = BIN / name
    if candidate.is_file() and os.access(candidate, os.X_OK):
        return str(candidate)
    found = shutil.which(name)
    if found is None:
        raise BenchError(f"`{name}` not found (in {BIN} or on PATH); install it: {fixes[name]}")
    return found


def check_tools() -> dict[str, str]:
    tools = {name: find_tool(name) for name in ("wrk", "oxigraph", "sundhedsgraf")}
    try:
        import rdflib_endpoint  # noqa: F401
    except ImportError:
        raise BenchError(
            "rdflib-endpoint is not importable; install it: .venv/bin/pip install -e '.[bench]'"
        ) from None
    return tools


def ensure_build(root: Path, sundhedsgraf: str) -> Path:
    dist = root / "dist"
    if not (dist / "sundhedsgraf.nq").is_file() or not (dist / "manifest.json").is_file():
        print(f"no build in {dist}: running `sundhedsgraf build`", flush=True)
        subprocess.run([sundhedsgraf, "build", "--root", str(root)], check=True)
    return dist.resolve()


def load_queries(root: Path) -> dict[str, str]:
    files = sorted((root / "queries").glob("*.rq"))
    if not files:
        raise BenchError(f"no competency queries in {root / 'queries'}")
    return {f.stem: f.read_text(encoding="utf-8") for f in files}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------- servers


@dataclass
class Server:
    name: str
    port: int
    path: str  # the SPARQL query endpoint
    command: list[str]
    version: str
    log: Path
    env: dict | None = None
    process: subprocess.Popen | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return LABELS[self.name]

    def query_path(self, query: str) -> str:
        return f"{self.path}?query={quote(query, safe='')}"

    def start(self) -> None:
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                self.command,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=self.env,
                start_new_session=True,  # its own process group, stopped as one at the end
            )

    def wait_ready(self, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchError(f"{self.label} exited ({self.process.returncode}):\n{self.tail()}")
            with contextlib.suppress(OSError, http.client.HTTPException):
                status, _ = get(self.port, self.query_path("ASK {}"), timeout=5)
                if status == 200:
                    return
            time.sleep(0.2)
        raise BenchError(f"{self.label} not ready after {timeout:g} s:\n{self.tail()}")

    def tail(self) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-20:])
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def pids(self) -> list[int]:
        """The server's process and all its descendants (our server's query workers)."""
        children: dict[int, list[int]] = {}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
        found, todo = [], [self.process.pid]
        while todo:
            pid = todo.pop()
            found.append(pid)
            todo += children.get(pid, [])
        return found

    def cpu_seconds(self) -> float:
        ticks = os.sysconf("SC_CLK_TCK")
        total = 0
        for pid in self.pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])  # utime, stime
        return total / ticks


def version_of(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "?"


def make_servers(
    names: list[str], args, tools: dict[str, str], dist: Path, base: str, workdir: Path
) -> list[Server]:
    oxigraph_version = subprocess.run(
        [tools["oxigraph"], "--version"], capture_output=True, text=True, check=True
    ).stdout.strip()
    servers = []
    for name in names:
        port = free_port()
        log = workdir / f"{name}.log"
        if name == "ours":
            env = {k: v for k, v in os.environ.items() if not k.startswith("SUNDHEDSGRAF_")}
            command = [
                tools["sundhedsgraf"], "serve", "--root", str(args.root), "--port", str(port),
                "--workers", str(args.workers), "--log-level", "warning",
                "--client-budget", f"{args.client_budget:g}",
            ]  # fmt: skip
            version = (
                f"sundhedsgraf {version_of('sundhedsgraf')} (pyoxigraph {version_of('pyoxigraph')},"
                f" fastapi {version_of('fastapi')}, uvicorn {version_of('uvicorn')},"
                f" uvloop {version_of('uvloop')}, httptools {version_of('httptools')})"
            )
            servers.append(Server(name, port, "/sparql", command, version, log, env))
        elif name.startswith("oxigraph"):
            command = [
                tools["oxigraph"], "serve", "--bind", f"127.0.0.1:{port}", "--union-default-graph",
            ]  # fmt: skip
            if name == "oxigraph-rocksdb":
                location = workdir / "oxigraph-db"
                command += ["--location", str(location)]
            servers.append(Server(name, port, "/query", command, oxigraph_version, log))
        elif name == "rdflib-endpoint":
            command = [
                sys.executable, str(Path(__file__).resolve()), "serve-rdflib", "--port", str(port),
                "--nq", str(dist / "sundhedsgraf.nq"), "--dataset-ttl", str(dist / "dataset.ttl"),
                "--graph", base + "graph/dataset",
            ]  # fmt: skip
            version = (
                f"rdflib-endpoint {version_of('rdflib-endpoint')} (rdflib {version_of('rdflib')},"
                f" uvicorn {version_of('uvicorn')}, default rdflib Memory store)"
            )
            servers.append(Server(name, port, "/sparql", command, version, log))
    return servers


def load_oxigraph_rocksdb(oxigraph: str, location: Path, dist: Path, graph: str) -> None:
    """Bulk-load the data into a fresh RocksDB folder before the server opens it."""
    for extra in (
        ["--file", str(dist / "sundhedsgraf.nq")],
        ["--file", str(dist / "dataset.ttl"), "--graph", graph],
    ):
        subprocess.run(
            [oxigraph, "load", "--location", str(location), *extra],
            check=True,
            capture_output=True,
        )


def load_oxigraph_memory(server: Server, dist: Path, graph: str) -> None:
    """The in-memory server cannot load a file at start: POST to its Graph Store (/store)."""
    into_graph = f"/store?graph={quote(graph, safe='')}"
    for path, media, body in (
        ("/store", "application/n-quads", (dist / "sundhedsgraf.nq").read_bytes()),
        (into_graph, "text/turtle", (dist / "dataset.ttl").read_bytes()),
    ):
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        conn.request("POST", path, body, {"Content-Type": media})
        response = conn.getresponse()
        response.read()
        conn.close()
        if response.status not in (200, 201, 204):
            raise BenchError(f"loading {path} into {server.label}: HTTP {response.status}")


def serve_rdflib(args) -> None:
    """Internal: rdflib-endpoint over a Dataset whose default graph is the union of the graphs."""
    import uvicorn
    from rdflib import Dataset, URIRef
    from rdflib_endpoint import SparqlEndpoint

    dataset = Dataset(default_union=True)
    dataset.parse(args.nq, format="nquads")
    dataset.graph(URIRef(args.graph)).parse(args.dataset_ttl, format="turtle")
    app = SparqlEndpoint(path="/sparql", graph=dataset, cors_enabled=True)
    # Access log off, as `sundhedsgraf serve` has it: printing a line per request is not the
    # work being measured.
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", access_log=False)


# ---------------------------------------------------------------- HTTP client


def get(port: int, path: str, timeout: float = 60, host: str = "127.0.0.1") -> tuple[int, bytes]:
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Accept": ACCEPT})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


class Client:
    """One keep-alive connection, reopened if the server closes it."""

    def __init__(self, port: int):
        self.port, self.conn = port, None

    def get(self, path: str) -> tuple[int, bytes, float]:
        for attempt in (0, 1):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=300)
            try:
                start = time.perf_counter()
                self.conn.request("GET", path, headers={"Accept": ACCEPT})
                response = self.conn.getresponse()
                body = response.read()
                elapsed = time.perf_counter() - start
                if response.getheader("connection", "").lower() == "close":
                    self.close()
                return response.status, body, elapsed
            except (OSError, http.client.HTTPException):
                self.close()
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def rows(body: bytes) -> int:
    document = json.loads(body)
    if "boolean" in document:
        return 1
    return len(document["results"]["bindings"])


# ---------------------------------------------------------------- measures


def verify(servers: list[Server], queries: dict[str, str]) -> tuple[list[str], list[str], list]:
    """Row counts per query and server; the queries all servers agree on, and the reasons for
    leaving the others out. Each query's slowest first answer (seconds) goes in `FIRST_SECONDS`."""
    table, included, excluded = [], [], []
    for name, text in {"(all quads)": COUNT_QUADS, **queries}.items():
        counts = {}
        for server in servers:
            start = time.perf_counter()
            status, body = get(server.port, server.query_path(text), timeout=300)
            elapsed = time.perf_counter() - start
            FIRST_SECONDS[name] = max(FIRST_SECONDS.get(name, 0.0), elapsed)
            counts[server.name] = rows(body) if status == 200 else f"HTTP {status}"
            if name == "(all quads)" and status == 200:
                counts[server.name] = int(json.loads(body)["results"]["bindings"][0]["n"]["value"])
        table.append((name, counts))
        if name == "(all quads)":
            continue
        values = set(map(str, counts.values()))
        if len(values) == 1 and all(isinstance(v, int) for v in counts.values()):
            included.append(name)
        else:
            excluded.append(f"{name}: servers disagree on the number of rows: {counts}")
    return included, excluded, table


FIRST_SECONDS: dict[str, float] = {}


def split_heavy(names: list[str], heavy_ms: float) -> tuple[list[str], list[str]]:
    """The queries every server answered within `heavy_ms` the first time (light), and the rest
    (heavy). A heavy query's time is its own evaluation: in the throughput runs, cycled with the
    light ones, it would take nearly all the time and measure the engine alone, not the server
    around it."""
    heavy = [n for n in names if FIRST_SECONDS[n] * 1000 > heavy_ms]
    return [n for n in names if n not in heavy], heavy


def unique_comment(tag: str, n: int) -> str:
    return f"#u-{tag}-{n}\n"


def latency(
    server: Server,
    queries: dict[str, str],
    reps: int,
    budget: float,
    unique: bool,
    warmups: int = 3,
    fewest: int = 5,
):
    """Per query: the times of `reps` requests (fewer if `budget` seconds per query run out,
    but at least `fewest`), after `warmups` requests of its text."""
    client, samples, tag = Client(server.port), {}, uuid.uuid4().hex[:8]
    counter = 0
    try:
        for name, text in queries.items():
            paths = [server.query_path(text)] * warmups
            for path in paths:  # warm-up: connection, parse caches, page cache
                client.get(path)
            times, started = [], time.monotonic()
            for _ in range(reps):
                counter += 1
                query = unique_comment(tag, counter) + text if unique else text
                status, _, elapsed = client.get(server.query_path(query))
                if status != 200:
                    raise BenchError(f"{server.label}: HTTP {status} for {name}")
                times.append(elapsed)
                if time.monotonic() - started > budget and len(times) >= fewest:
                    break
            samples[name] = times
    finally:
        client.close()
    return samples


TICKS = os.sysconf("SC_CLK_TCK")


def busy_seconds() -> float:
    """CPU time the whole machine has spent busy (user, nice, system, irq, softirq, steal)."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]
    user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, fields)
    return (user + nice + system + irq + softirq + steal) / TICKS


def own_seconds() -> float:
    """CPU time of this script and of its finished children (wrk, oxigraph load)."""
    me, kids = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


class OtherLoad:
    """Cores used, during the block, by processes that are neither the server under test, nor
    this script, nor wrk: other work on the machine that competes for its cores."""

    def __init__(self, server: "Server"):
        self.server, self.cores = server, 0.0

    def __enter__(self):
        self.start = (time.monotonic(), busy_seconds(), own_seconds(), self.server.cpu_seconds())
        return self

    def __exit__(self, *exc):
        wall, busy, own, server = self.start
        other = (
            (busy_seconds() - busy) - (own_seconds() - own) - (self.server.cpu_seconds() - server)
        )
        self.cores = max(0.0, other) / max(time.monotonic() - wall, 1e-9)


def wait_quiet(args) -> float:
    """Wait (at most args.quiet_timeout s) until the machine is idle but for us: the busy cores
    in a 1 s window are below args.quiet. The last value seen."""
    deadline, said = time.monotonic() + args.quiet_timeout, False
    while True:
        busy, own, wall = busy_seconds(), own_seconds(), time.monotonic()
        time.sleep(1)
        cores = max(0.0, (busy_seconds() - busy) - (own_seconds() - own)) / (
            time.monotonic() - wall
        )
        if cores < args.quiet or time.monotonic() > deadline:
            if said or cores >= args.quiet:
                print(f"    other processes use {cores:.2f} cores; going on", flush=True)
            return cores
        if not said:
            print(f"    other processes use {cores:.2f} cores: waiting for quiet", flush=True)
            said = True


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * p // 100))
    return ordered[int(rank) - 1]


WRK_SCRIPT = """
local paths = {%(paths)s}
local unique = %(unique)s
local tag = "%(tag)s"
local counter = 0
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("id", threads)
end
function request()
  counter = counter + 1
  local path = paths[(counter - 1) %% #paths + 1]
  if unique then
    -- "#u-<run>-<thread>-<n>\\n" before the query: a text no server has seen before
    path = "%(prefix)s" .. "%%23u-" .. tag .. "-" .. id .. "-" .. counter .. "%%0A" .. path
  else
    path = "%(prefix)s" .. path
  end
  return wrk.format("GET", path, {["Accept"] = "%(accept)s"})
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%%d,"duration_us":%%d,"connect":%%d,"read":%%d,"write":%%d,' ..
    '"status":%%d,"timeout":%%d,"p50_us":%%d,"p99_us":%%d}\\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
"""


def wrk_script(server: Server, queries: dict[str, str], unique: bool, tag: str) -> str:
    encoded = ", ".join(f'"{quote(text, safe="")}"' for text in queries.values())
    return WRK_SCRIPT % {
        "paths": encoded,
        "unique": "true" if unique else "false",
        "tag": tag,
        "prefix": server.path + "?query=",
        "accept": ACCEPT,
    }


def run_wrk(wrk: str, server: Server, script: Path, args, seconds: float) -> dict:
    command = [
        wrk, f"-t{args.threads}", f"-c{args.connections}", f"-d{seconds:g}s", "--timeout", "60s",
        "-s", str(script), f"http://127.0.0.1:{server.port}/",
    ]  # fmt: skip
    cpu_before = server.cpu_seconds()
    with OtherLoad(server) as load:
        done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 120)
    cpu = server.cpu_seconds() - cpu_before
    line = next((x for x in done.stdout.splitlines() if x.startswith("WRKJSON ")), None)
    if done.returncode != 0 or line is None:
        raise BenchError(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    result = json.loads(line.removeprefix("WRKJSON "))
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    result["errors"] = sum(result[k] for k in ("connect", "read", "write", "status", "timeout"))
    result["cpu_ms_per_request"] = 1000 * cpu / result["requests"] if result["requests"] else 0
    result["other_cores"] = load.cores
    return result


def throughput(wrk: str, server: Server, queries: dict[str, str], unique: bool, args, workdir):
    def script() -> Path:
        """A fresh script for each wrk run: in unique mode, a run must not send the texts of
        an earlier one (its warm-up, a disturbed attempt), which a cache would answer."""
        path = workdir / f"{server.name}-{'unique' if unique else 'repeated'}.lua"
        path.write_text(wrk_script(server, queries, unique, uuid.uuid4().hex[:12]))
        return path

    def attempt():
        wait_quiet(args)
        if args.warmup > 0:
            run_wrk(wrk, server, script(), args, args.warmup)
        return run_wrk(wrk, server, script(), args, args.duration)

    return cleanest(attempt, lambda result: result["other_cores"], args)


def cleanest(attempt, other_cores, args):
    """Run `attempt` again (up to args.retries times) while other processes disturbed it; the
    result of the least disturbed run."""
    best = None
    for n in range(args.retries + 1):
        result = attempt()
        if best is None or other_cores(result) < other_cores(best):
            best = result
        if other_cores(result) < args.quiet:
            break
        if n < args.retries:
            print(f"    disturbed: other processes used {other_cores(result):.2f} cores; again")
    return best


@dataclass
class Measured:
    server: Server
    latency: dict = field(default_factory=dict)
    unique_latency: dict = field(default_factory=dict)
    rounds: dict = field(default_factory=lambda: {"repeated": [], "unique": []})
    other_cores: dict = field(default_factory=dict)  # per measurement: see OtherLoad
    heavy: set = field(default_factory=set)  # queries left out of the pooled figures

    def pooled(self, which: str = "latency") -> list[float]:
        return [
            t
            for name, times in getattr(self, which).items()
            if name not in self.heavy
            for t in times
        ]

    @property
    def repeated(self) -> dict:
        return median_round(self.rounds["repeated"])

    @property
    def unique(self) -> dict:
        return median_round(self.rounds["unique"])


def median_round(rounds: list[dict]) -> dict:
    """The wrk round with the median requests/s (the lower middle one of an even number)."""
    ordered = sorted(rounds, key=lambda r: r["rps"])
    return ordered[(len(ordered) - 1) // 2]


def measure_latency(server: Server, queries, args, heavy) -> Measured:
    """Single-client latencies of the light `queries`, repeated and unique, then of the
    `heavy` ones (fewer repetitions; kept apart from the pooled figures)."""
    result = Measured(server)
    for unique, reps in ((False, args.reps), (True, args.unique_reps)):
        kind = "unique" if unique else "repeated"
        print(f"  single client, {kind} ({reps} per query)", flush=True)

        def attempt(reps=reps, unique=unique):
            wait_quiet(args)
            with OtherLoad(server) as load:
                samples = latency(server, queries, reps, args.latency_budget, unique)
            return samples, load.cores

        samples, cores = cleanest(attempt, lambda result: result[1], args)
        setattr(result, "unique_latency" if unique else "latency", samples)
        result.other_cores[f"latency {kind}"] = cores
        if heavy:
            print(f"  single client, heavy {kind} ({args.heavy_reps} per query)", flush=True)
            samples = latency(
                server, heavy, args.heavy_reps, args.latency_budget, unique, warmups=1, fewest=1
            )
            target = result.unique_latency if unique else result.latency
            target.update(samples)
            result.heavy.update(samples.keys())
    return result


def measure_throughput(results: list[Measured], queries, wrk: str, args, workdir: Path) -> None:
    """`args.rounds` rounds, each measuring every server in turn: a drift in the machine's speed
    then touches all servers alike, and the rounds show how much the figures vary."""
    for n in range(args.rounds):
        for result in results:
            for unique in (False, True):
                kind = "unique" if unique else "repeated"
                print(
                    f"round {n + 1}/{args.rounds}, {result.server.label}, wrk {kind}:"
                    f" {args.warmup:g} s warm-up + {args.duration:g} s",
                    flush=True,
                )
                measured = throughput(wrk, result.server, queries, unique, args, workdir)
                result.rounds[kind].append(measured)
                result.other_cores[f"wrk {kind} {n + 1}"] = measured["other_cores"]
                print(
                    f"    {measured['rps']:.1f} req/s, {measured['errors']} errors,"
                    f" other processes {measured['other_cores']:.2f} cores",
                    flush=True,
                )


# ---------------------------------------------------------------- report


def machine() -> str:
    model = "?"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    cores = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
    memory = "?"
    with contextlib.suppress(OSError):
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f"{kib / 2**20:.0f} GiB"
    return f"{cores} cores (nproc), CPU {model}, {memory} RAM, {platform.platform()}"


def code_version(root: Path) -> str:
    """The commit of `root` being measured, and whether src/ differs from it."""
    try:
        head = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--", "src"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    return f"commit {head}" + (" with uncommitted changes in src/" if dirty else "")


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f}"


def ratio_line(ours: "Measured", other: "Measured", kind: str, target: float) -> str:
    num, den = getattr(ours, kind)["rps"], getattr(other, kind)["rps"]
    value = num / den if den else float("inf")
    per_round = [
        a["rps"] / b["rps"] for a, b in zip(ours.rounds[kind], other.rounds[kind], strict=True)
    ]
    low, high = min(per_round), max(per_round)
    verdict = "met" if low >= target else "**missed**"
    if low < target <= high:
        verdict += " (met in some rounds, not in every one)"
    what = f"ours {kind} / {other.server.label} {kind}"
    return (
        f"| {what} | {num:.1f} / {den:.1f} | **{value:.2f}** ({low:.2f}–{high:.2f})"
        f" | ≥ {target:g} | {verdict} |"
    )


def latency_line(ours: "Measured", other: "Measured", most: float) -> str:
    """Ours against `other`: single-client median of unique requests, at most `most` times."""
    num = statistics.median(ours.pooled("unique_latency"))
    den = statistics.median(other.pooled("unique_latency"))
    per_query = [
        statistics.median(ours.unique_latency[q]) / statistics.median(other.unique_latency[q])
        for q in ours.unique_latency
        if q not in ours.heavy
    ]
    value = num / den
    verdict = "met" if value <= most else "**missed**"
    return (
        f"| ours unique / {other.server.label} unique, single-client median ms"
        f" | {ms(num)} / {ms(den)} | **{value:.2f}** ({min(per_query):.2f}–{max(per_query):.2f})"
        f" | ≤ {most:g} | {verdict} |"
    )


def report(
    results: list[Measured],
    queries: dict[str, str],
    heavy: dict[str, str],
    excluded: list[str],
    verification: list,
    args,
    command: str,
    wrk_version: str,
    sweep: list,
) -> str:
    by = {m.server.name: m for m in results}
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# Benchmark results",
        "",
        f"- date: {now}",
        f"- command: `{command}`",
        f"- machine: {machine()}",
        f"- code measured: {code_version(args.root)}",
        f"- load generator: {wrk_version}, `wrk -t{args.threads} -c{args.connections}"
        f" -d{args.duration:g}s` after a {args.warmup:g} s warm-up run, for every server; the"
        " machine's cores are shared by wrk and the server",
        f"- single client: Python http.client, one keep-alive connection, {args.reps} repetitions"
        f" of each query (repeated), {args.unique_reps} (unique), after 3 warm-up requests per"
        f" query; at most {args.latency_budget:g} s per query",
        f"- queries: {len(queries) + len(heavy)} competency queries from queries/*.rq"
        + (f" ({len(excluded)} excluded, see below)" if excluded else ", none excluded")
        + (
            f"; heavy, measured by one client only (1 warm-up, then {args.heavy_reps} repetitions"
            f" or as many as fit in {args.latency_budget:g} s, at least 1) and left out"
            f" of the throughput runs and the pooled medians: {', '.join(heavy)} (a server took"
            f" over {args.heavy_ms:g} ms to answer it the first time; cycled with the others it"
            " would take nearly all of a run and measure the engine's evaluation alone)"
            if heavy
            else ""
        ),
        "- unique queries: each request is the competency query with a comment line"
        " `#u-<run>-<thread>-<n>` in front, a query text never sent before; our answer cache"
        " and rdflib-endpoint's parsed-query cache are keyed by the exact text and Oxigraph"
        " has no result cache, so every such request is parsed and evaluated",
        "- every request: GET `<endpoint>?query=...` with `Accept: application/sparql-results+json`"
        " (our server and rdflib-endpoint: /sparql; Oxigraph: /query)",
        "",
        "## Servers",
        "",
        "| server | version | how it runs |",
        "|---|---|---|",
    ]
    how = {
        "ours": f"`sundhedsgraf serve --workers {args.workers} --client-budget"
        f" {args.client_budget:g}`; every other safety feature at its default:"
        f" {ours_settings(args.workers)}. The budget of worker time per client is raised because"
        " wrk is one client (one address): at its default (30 s per 60 s) a client that keeps"
        " both workers busy is refused with 429 after 15 s, which is the budget working, not the"
        " throughput being measured; it is still kept and charged on every query",
        "oxigraph-memory": "`oxigraph serve --union-default-graph` (no --location: in memory);"
        " data POSTed to /store after start",
        "oxigraph-rocksdb": "`oxigraph load --location DIR` then"
        " `oxigraph serve --location DIR --union-default-graph`",
        "rdflib-endpoint": "`SparqlEndpoint(graph=Dataset(default_union=True))` under uvicorn"
        " (as its `serve` command does, access log off)",
    }
    for m in results:
        s = m.server
        lines.append(f"| {s.label} | {s.version} | {how[s.name]} |")
    lines += [
        "",
        "## Results",
        "",
        "| server | median ms | p99 ms | repeated req/s | unique req/s |"
        " unique median ms (1 client) | server CPU ms/req repeated | server CPU ms/req unique |"
        " wrk errors | other load, cores |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for m in results:
        pooled, pooled_u = m.pooled(), m.pooled("unique_latency")
        lines.append(
            f"| {m.server.label} | {ms(statistics.median(pooled))} | {ms(percentile(pooled, 99))}"
            f" | {m.repeated['rps']:.1f} | {m.unique['rps']:.1f}"
            f" | {ms(statistics.median(pooled_u))}"
            f" | {m.repeated['cpu_ms_per_request']:.2f} | {m.unique['cpu_ms_per_request']:.2f}"
            f" | {m.repeated['errors']} / {m.unique['errors']}"
            f" | {max(m.other_cores.values()):.2f} |"
        )
    lines += [
        "",
        "Median and p99: single client, repeated identical requests, over all queries pooled."
        " Server CPU: user + system time of the server's processes (ours: with its query"
        " workers) during the measured wrk run, divided by the requests served. Other load: the"
        " most cores that processes other than the server, wrk and this script used during any"
        f" of the server's measurements (each starts once that is below {args.quiet:g}"
        f" cores, or after {args.quiet_timeout:g} s of waiting); above ~0.1 the figures are"
        " disturbed by other work on the machine.",
        "",
        "## Ratios",
        "",
        "| ratio | req/s | value | target | |",
        "|---|---|---:|---:|---|",
    ]
    targets = (
        ("repeated", "oxigraph-memory", 1),
        ("unique", "oxigraph-rocksdb", 1),
        ("repeated", "rdflib-endpoint", 20),
        ("unique", "rdflib-endpoint", 20),
    )
    for kind, other, target in targets:
        if "ours" in by and other in by:
            lines.append(ratio_line(by["ours"], by[other], kind, target))
    if "ours" in by and "oxigraph-memory" in by:
        lines.append(latency_line(by["ours"], by["oxigraph-memory"], 2))
    lines += [
        "",
        "Value: the ratio of the median rounds; in brackets the lowest and highest ratio of the"
        " same round's figures. A throughput target is met when it is met in every round. The"
        " single-client line is a ratio of medians over the light queries' unique requests,"
        " pooled; in brackets the lowest and highest ratio of one query's medians.",
        "",
        "## Rounds",
        "",
        "wrk requests/s of every round (repeated / unique); the table above shows the median.",
        "",
        "| server | " + " | ".join(f"round {n + 1}" for n in range(args.rounds)) + " |",
        "|---|" + "---:|" * args.rounds,
    ]
    for m in results:
        cells = [
            f"{r['rps']:.1f} / {u['rps']:.1f}"
            for r, u in zip(m.rounds["repeated"], m.rounds["unique"], strict=True)
        ]
        lines.append(f"| {m.server.label} | " + " | ".join(cells) + " |")
    if sweep:
        lines += [
            "",
            "## Our server: query workers tried",
            "",
            f"`sundhedsgraf serve --workers N`, same wrk settings ({args.warmup:g} s warm-up +"
            f" {args.duration:g} s each).",
            "",
            "| workers | repeated req/s | unique req/s | server CPU ms/req unique |"
            " other load, cores |",
            "|---:|---:|---:|---:|---:|",
        ]
        for workers, repeated, unique in sweep:
            other = max(repeated["other_cores"], unique["other_cores"])
            lines.append(
                f"| {workers} | {repeated['rps']:.1f} | {unique['rps']:.1f}"
                f" | {unique['cpu_ms_per_request']:.2f} | {other:.2f} |"
            )
    lines += [
        "",
        "## Per query: single-client median ms (repeated / unique)",
        "",
        "| query | " + " | ".join(m.server.label for m in results) + " |",
        "|---|" + "---:|" * len(results),
    ]
    for name in [*queries, *heavy]:
        cells = [
            f"{ms(statistics.median(m.latency[name]))} / "
            f"{ms(statistics.median(m.unique_latency[name]))}"
            for m in results
        ]
        lines.append(f"| {name}{' (heavy)' if name in heavy else ''} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "## Same answers",
        "",
        "Rows returned per query (first line: all quads, `GRAPH ?g { ?s ?p ?o }`).",
        "",
        "| query | " + " | ".join(m.server.label for m in results) + " |",
        "|---|" + "---:|" * len(results),
    ]
    for name, counts in verification:
        lines.append(
            f"| {name} | " + " | ".join(str(counts[m.server.name]) for m in results) + " |"
        )
    lines.append("")
    if excluded:
        lines += ["Excluded from the comparison:", ""] + [f"- {x}" for x in excluded] + [""]
    else:
        lines += ["Every server returned the same number of rows for every query.", ""]
    return "\n".join(lines)


def write_keeping_cold_start(path: Path, text: str) -> None:
    """Write `text`, keeping the section bench/coldstart.py wrote at the end of the file."""
    old = path.read_text(encoding="utf-8") if path.is_file() else ""
    _, found, section = old.partition("\n## Cold start")
    path.write_text(text + (found + section if found else ""), encoding="utf-8")


def ours_settings(workers: int) -> str:
    from sundhedsgraf.settings import Settings

    s = Settings(workers=workers)
    return (
        f"time limit {s.time_limit:g} s, max rows {s.max_rows}, max query {s.max_query_bytes}"
        f" bytes, max result {s.max_result_bytes // 2**20} MiB, query guard on, {s.workers}"
        f" killable worker processes, queue {s.max_queue}, answer cache"
        f" {s.cache_bytes // 2**20} MiB"
    )


# ---------------------------------------------------------------- main


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command")
    internal = sub.add_parser("serve-rdflib", help="internal: run rdflib-endpoint")
    internal.add_argument("--port", type=int, required=True)
    internal.add_argument("--nq", required=True)
    internal.add_argument("--dataset-ttl", required=True)
    internal.add_argument("--graph", required=True)
    parser.add_argument("--root", type=Path, default=ROOT, help="project folder")
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk measurement")
    parser.add_argument(
        "--warmup", type=int, default=3, help="seconds of wrk before each (0: none)"
    )
    parser.add_argument("--reps", type=int, default=200, help="single-client repetitions/query")
    parser.add_argument("--unique-reps", type=int, default=50, help="same, unique queries")
    parser.add_argument(
        "--latency-budget", type=float, default=20, help="at most this many s per query, 1 client"
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="wrk rounds over all servers; the table shows each server's median round",
    )
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--threads", type=int, default=1, help="wrk threads")
    parser.add_argument(
        "--workers", type=int, default=os.cpu_count(), help="our query workers (default: cores)"
    )
    parser.add_argument(
        "--sweep-workers",
        default="",
        help="also measure our server's throughput with these worker counts, e.g. 1,2,4",
    )
    parser.add_argument(
        "--quiet",
        type=float,
        default=0.15,
        help="before each measurement, wait until other processes use fewer cores than this",
    )
    parser.add_argument(
        "--quiet-timeout", type=float, default=120, help="wait at most this many s for quiet"
    )
    parser.add_argument(
        "--retries",
        type=int,
        default=2,
        help="measure again, up to this many times, if other processes disturbed a measurement",
    )
    parser.add_argument("--servers", default=",".join(SERVERS), help="comma-separated subset")
    parser.add_argument(
        "--heavy-ms",
        type=float,
        default=250,
        help="queries a server took longer than this to answer first are heavy: measured by one"
        " client only, not in the throughput runs or pooled medians",
    )
    parser.add_argument(
        "--heavy-reps", type=int, default=5, help="single-client repetitions of a heavy query"
    )
    parser.add_argument(
        "--client-budget",
        type=float,
        default=1e6,
        help="our server's --client-budget (wrk is one client; see the report)",
    )
    parser.add_argument(
        "--output", type=Path, default=ROOT / "bench" / "RESULTS.md", help="'-' to write none"
    )
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.command == "serve-rdflib":
        serve_rdflib(args)
        return 0
    args.root = args.root.resolve()
    names = [n.strip() for n in args.servers.split(",") if n.strip()]
    unknown = set(names) - set(SERVERS)
    if unknown:
        raise BenchError(f"unknown servers {sorted(unknown)}; choose from {', '.join(SERVERS)}")
    if args.duration < 1 or args.warmup < 0 or args.rounds < 1 or args.reps < 1:
        raise BenchError("--duration, --rounds and --reps must be 1 or more, --warmup 0 or more")
    sweep_counts = [int(x) for x in args.sweep_workers.split(",") if x.strip()]
    tools = check_tools()
    wrk_version = subprocess.run([tools["wrk"], "-v"], capture_output=True, text=True)
    wrk_version = (wrk_version.stdout + wrk_version.stderr).splitlines()[0].split(" Copyright")[0]
    dist = ensure_build(args.root, tools["sundhedsgraf"])
    base = json.loads((dist / "manifest.json").read_text(encoding="utf-8"))["base_iri"]
    queries = load_queries(args.root)
    command = "python bench/run.py " + " ".join(sys.argv[1:] if argv is None else argv)

    workdir = Path(tempfile.mkdtemp(prefix="sundhedsgraf-bench-"))
    servers = make_servers(names, args, tools, dist, base, workdir)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        for server in servers:
            if server.name == "oxigraph-rocksdb":
                load_oxigraph_rocksdb(
                    tools["oxigraph"], workdir / "oxigraph-db", dist, base + "graph/dataset"
                )
            print(f"starting {server.label} on 127.0.0.1:{server.port}", flush=True)
            server.start()
            server.wait_ready()
            if server.name == "oxigraph-memory":
                load_oxigraph_memory(server, dist, base + "graph/dataset")

        included, excluded, verification = verify(servers, queries)
        for name, counts in verification:
            print(f"  rows {name}: {counts}")
        for reason in excluded:
            print(f"EXCLUDED {reason}")
        compared = {name: queries[name] for name in included}
        if not compared:
            raise BenchError("the servers agree on no query: nothing to compare")

        light, heavy = split_heavy(list(compared), args.heavy_ms)
        print(f"heavy (single client only): {', '.join(heavy) or 'none'}", flush=True)
        compared = {name: compared[name] for name in light}
        heavy = {name: queries[name] for name in heavy}
        results = []
        for server in servers:  # one at a time; the others sit idle
            print(f"single client: {server.label}", flush=True)
            results.append(measure_latency(server, compared, args, heavy))
        measure_throughput(results, compared, tools["wrk"], args, workdir)

        sweep = []
        ours = next((s for s in servers if s.name == "ours"), None)
        if sweep_counts and ours is not None:
            ours.stop()
            for workers in sweep_counts:
                print(f"our server with --workers {workers}", flush=True)
                port = free_port()
                trial = Server(
                    "ours", port, "/sparql",
                    [*ours.command[:4], "--port", str(port), "--workers", str(workers),
                     "--log-level", "warning", "--client-budget", f"{args.client_budget:g}"],
                    ours.version, workdir / f"ours-{workers}.log", ours.env,
                )  # fmt: skip
                trial.start()
                try:
                    trial.wait_ready()
                    repeated = throughput(tools["wrk"], trial, compared, False, args, workdir)
                    unique = throughput(tools["wrk"], trial, compared, True, args, workdir)
                    print(f"  {repeated['rps']:.1f} / {unique['rps']:.1f} req/s", flush=True)
                    sweep.append((workers, repeated, unique))
                finally:
                    trial.stop()

        text = report(
            results, compared, heavy, excluded, verification, args, command, wrk_version, sweep
        )
        print()
        print(text)
        if str(args.output) != "-":
            write_keeping_cold_start(args.output, text)
            print(f"written to {args.output}")
    finally:
        for server in servers:
            server.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as error:
        print(f"bench: {error}", file=sys.stderr)
        sys.exit(1)

"""Scale: our graph with a register-shaped linked dataset beside it (bench/register.py), at
100k, 1M, 10M triples: load time, memory of the server and its workers, query latency and the
build-switch time, for the in-memory and the on-disk store, beside Oxigraph's own server.

For each size the script makes a project whose build is a copy of dist/ with the register
added to its N-Quads dump, and measures:

- load: our in-memory load (stores.load_store) and our on-disk store (write_store, as
  the build writes it) vs `oxigraph load --location`;
- memory: `sundhedsgraf serve --store memory|disk --workers N` (N from --workers) after each
  worker answered a join: RSS and PSS (from /proc/<pid>/smaps_rollup; PSS shares the pages of
  a shared mmap between the processes that map them) of the server and its workers together;
- queries: the competency queries and a join register x our graph, median and p99 over
  --reps, in interleaved rounds (each round asks every target each query once, every request
  a text not sent before so no answer cache helps): embedded in memory, embedded on disk,
  our server on disk (workers, front and all), Oxigraph's server on the same data
  (`oxigraph serve-read-only`), our server in front of that one (`serve --sparql-backend`: what
  the front adds to a store), and any --backend URL (a SPARQL endpoint already holding the
  same data);
- build switch: dist pointed at a copy of the build, the time until /health reports it.

Sizes above --memory-up-to are measured on disk only (in memory they take GBs per process).
All traffic goes to 127.0.0.1 (and the --backend URLs given). Usage: see bench/README.md.
"""

import argparse
import contextlib
import gzip
import http.client
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(Path(__file__).parent))

import pyoxigraph as ox  # noqa: E402
import register  # noqa: E402
from run import ACCEPT, free_port, get, percentile  # noqa: E402

from sundhedsgraf.publication import build_folder  # noqa: E402
from sundhedsgraf.stores import (  # noqa: E402
    DESCRIPTION,
    DUMP,
    STORE,
    STORE_ENTRY,
    load_store,
    write_store,
)

SECTION = "## Scale"
REGISTER_FILE = "linked-register.nt.gz"  # as build/linked.py names a linked dataset's file
THROUGH = "ours through Oxigraph's server"  # serve --sparql-backend, Oxigraph's server behind
NAMED = "oxigraph server, graphs named"  # asked as our front asks it: the build's graphs named
JOIN = """PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX schema: <https://schema.org/>
SELECT ?system ?label (COUNT(?unit) AS ?units) WHERE {
  ?unit <%sregister/usesSystem> ?system ; schema:address/schema:postalCode ?code .
  ?system rdfs:label ?label .
  FILTER(STRSTARTS(?code, "8") && LANG(?label) = "da")
} GROUP BY ?system ?label ORDER BY DESC(?units)"""
START_TIMEOUT = 600  # seconds for our server to start: N workers each loading a big build
OUR_LIMITS = ["--time-limit", "600", "--client-budget", "1000000", "--cache-bytes", "1"]


def sh(*command: str) -> None:
    subprocess.run(command, check=True, capture_output=True)


def timed(work: Callable[[], object]) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


# ---------------------------------------------------------------- the data


def make_project(root: Path, workdir: Path, triples: int) -> tuple[Path, int]:
    """A project whose dist is our build with `triples` of register beside it as a linked
    dataset, as `sundhedsgraf link load` leaves it (a gzipped N-Triples file in the build,
    named in the manifest: loaded as its own graph, left out of the pages' indexes); its
    quads."""
    build = workdir / ".dist-builds" / "A"
    source = build_folder(root)
    shutil.copytree(source, build, ignore=shutil.ignore_patterns(STORE))
    written = register.write(workdir / "register.nq", triples, root)
    manifest = json.loads((build / "manifest.json").read_text())
    graph = manifest["base_iri"] + "graph/register"
    in_graph = f" <{graph}> .\n".encode()
    with (
        open(workdir / "register.nq", "rb") as quads,
        gzip.open(build / REGISTER_FILE, "wb", compresslevel=1) as triples_out,
    ):
        while chunk := quads.read(1 << 26):
            chunk += quads.readline()  # whole lines only
            triples_out.write(chunk.replace(in_graph, b" .\n"))
    (workdir / "register.nq").unlink()
    manifest["store"] = STORE_ENTRY  # as the build says it (dist/ may be older than stores)
    manifest["linked"] = [
        {
            "graph": graph,
            "titles": {"en": "A register-shaped benchmark dataset (bench/register.py)"},
            "source": None,
            "licence": None,
            "triples": written,
            "sha256": "",
            "loaded": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "file": REGISTER_FILE,
            "loaded_from": "register.nq",
        }
    ]
    (build / "manifest.json").write_text(json.dumps(manifest))
    (workdir / "dist").symlink_to(Path(".dist-builds") / "A", target_is_directory=True)
    return build, written


def base_of(build: Path) -> str:
    return json.loads((build / "manifest.json").read_text())["base_iri"]


def load_oxigraph(build: Path, location: Path) -> None:
    """Oxigraph's own bulk loader, the same three files into the same graphs as load_store."""
    oxigraph = shutil.which("oxigraph", path=str(Path(sys.executable).parent)) or "oxigraph"
    sh(oxigraph, "load", "--location", str(location), "--file", str(build / DUMP))
    graph = base_of(build) + "graph/dataset"
    description = ["--file", str(build / DESCRIPTION), "--graph", graph]
    sh(oxigraph, "load", "--location", str(location), *description)
    linked = ["--file", str(build / REGISTER_FILE), "--graph", base_of(build) + "graph/register"]
    sh(oxigraph, "load", "--location", str(location), *linked)


# ---------------------------------------------------------------- processes


class Process:
    """A server, a child of this script in a process group of its own, stopped by its id."""

    def __init__(self, command: list[str], port: int, log: Path):
        self.port = port
        with open(log, "wb") as out:
            self.process = subprocess.Popen(
                command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.log = log

    def wait(self, path: str, timeout: float = 1800) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"exited: {self.log.read_text()[-2000:]}")
            with contextlib.suppress(OSError, http.client.HTTPException):
                if fetch(self.port, path)[0] == 200:
                    return
            time.sleep(0.2)
        raise RuntimeError(f"not ready in {timeout} s")

    def pids(self) -> list[int]:
        """The server and its descendants (our query workers)."""
        found, todo = [], [self.process.pid]
        while todo:
            pid = todo.pop()
            found.append(pid)
            with contextlib.suppress(OSError):
                for task in Path(f"/proc/{pid}/task").iterdir():
                    todo += [int(c) for c in (task / "children").read_text().split()]
        return found

    def memory(self) -> tuple[int, int]:
        """RSS and PSS in bytes, summed over the server and its workers."""
        rss = pss = 0
        for pid in self.pids():
            with contextlib.suppress(OSError):
                for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                    name, _, value = line.partition(":")
                    if name in ("Rss", "Pss"):
                        kb = int(value.split()[0]) * 1024
                        rss, pss = (rss + kb, pss) if name == "Rss" else (rss, pss + kb)
        return rss, pss

    def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:  # uvicorn waits for a lifespan that is starting
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


def fetch(port: int, path: str, host: str = "127.0.0.1") -> tuple[int, bytes]:
    """GET with run.py's client, waiting as long as a query at 10M may take."""
    return get(port, path, timeout=600, host=host)


def post(port: int, path: str, form: bytes, host: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection(host, port, timeout=600)
    try:
        headers = {"Accept": ACCEPT, "Content-Type": "application/x-www-form-urlencoded"}
        conn.request("POST", path, body=form, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def ours(project: Path, workdir: Path, store: str, workers: int, backend: str = "") -> Process:
    """Our server, once it answers /health (all its workers hold the build); RuntimeError
    if not within START_TIMEOUT (it is stopped). With `backend`, it answers /sparql from that
    store (`--sparql-backend`)."""
    port = free_port()
    command = [sys.executable, "-m", "sundhedsgraf", "serve", "--root", str(project)]
    command += ["--port", str(port), "--store", store, "--workers", str(workers), *OUR_LIMITS]
    command += ["--sparql-backend", backend] if backend else []
    name = f"ours-{store}-{workers}" + ("-backend" if backend else "")
    server = Process(command, port, workdir / f"{name}.log")
    try:
        server.wait("/health", START_TIMEOUT)
    except RuntimeError:
        server.stop()
        raise
    return server


# ---------------------------------------------------------------- queries


def queries(base: str) -> dict[str, str]:
    found = {p.stem[:2]: p.read_text(encoding="utf-8") for p in sorted(ROOT.glob("queries/*.rq"))}
    return found | {"join": JOIN % base}


def embedded(store: ox.Store) -> Callable[[str], int]:
    def run(query: str) -> int:
        outcome = store.query(query, use_default_graph_as_union=True)
        return sum(1 for _ in outcome)

    return run


def endpoint(url: str, dataset: list[str] = ()) -> Callable[[str], int]:
    """Time these queries against endpoint URL: a runner that GETs `url?query=` and counts
    the rows of the JSON answer (a remote backend holding the same data is just a URL). With
    `dataset`, those graphs are named as the default and the named graphs, as our front names
    the build's graphs (sparql/backend.py)."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    fields = "".join(
        f"&{field}={quote(g, safe='')}"
        for field in ("default-graph-uri", "named-graph-uri")
        for g in dataset
    )

    def run(query: str) -> int:
        text = f"query={quote(query, safe='')}"
        if dataset:  # a form, as our front sends it: in a URL it may pass a store's header limit
            status, body = post(port, parts.path, (text + fields).encode(), parts.hostname)
        else:
            status, body = fetch(port, f"{parts.path}?{text}", parts.hostname)
        if status != 200:
            raise RuntimeError(f"{url} answered {status}: {body[:300]!r}")
        return len(json.loads(body)["results"]["bindings"])

    return run


def time_queries(runners: dict[str, Callable], texts: dict[str, str], reps: int) -> dict:
    """{target: {query: [seconds]}} in interleaved rounds; every text sent once (a comment
    line makes it new); rows that differ between targets are reported."""
    times = {t: {q: [] for q in texts} for t in runners}
    for rep in range(reps):
        for name, text in texts.items():
            rows = {}
            for target, run in runners.items():
                unique = f"# scale {rep} {target}\n{text}"
                start = time.perf_counter()
                rows[target] = run(unique)
                times[target][name].append(time.perf_counter() - start)
            if rep == 0 and len(set(rows.values())) > 1:
                print(f"    rows differ for {name}: {rows}", flush=True)
    return times


# ---------------------------------------------------------------- one size


def warm_workers(server: Process, join: str, workers: int) -> None:
    """Every worker answers a join (in parallel: each is handed one), so its pages are in."""
    run = endpoint(f"http://127.0.0.1:{server.port}/sparql")
    threads = [
        threading.Thread(target=run, args=(f"# warm {i}\n{join}",)) for i in range(workers * 2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def switch_time(project: Path, workdir: Path, store: str) -> float:
    """Seconds from pointing dist at a copy B of the build to /health reporting B."""
    builds = project / ".dist-builds"
    shutil.rmtree(builds / "B", ignore_errors=True)
    shutil.copytree(builds / "A", builds / "B")
    manifest = json.loads((builds / "B" / "manifest.json").read_text())
    manifest["built"] = manifest["built"].replace("+00:00", ".5+00:00")  # tells B from A
    (builds / "B" / "manifest.json").write_text(json.dumps(manifest))
    server = ours(project, workdir, store, 2)
    try:
        link = project / ".dist-new"
        link.symlink_to(Path(".dist-builds") / "B", target_is_directory=True)
        start = time.perf_counter()
        os.replace(link, project / "dist")
        while json.loads(fetch(server.port, "/health")[1])["build"] != manifest["built"]:
            time.sleep(0.02)
        return time.perf_counter() - start
    finally:
        server.stop()
        os.replace(project / "dist", project / ".dist-old")  # back to A for the next one
        (project / ".dist-old").unlink()
        (project / "dist").symlink_to(Path(".dist-builds") / "A", target_is_directory=True)


def measure(size: int, args, workdir: Path) -> dict:
    print(f"== {size} triples of register", flush=True)
    build, written = make_project(ROOT, workdir, size)
    in_memory = size <= args.memory_up_to
    timed_queries = size <= args.queries_up_to
    result = {"size": size, "register": written, "in_memory": in_memory}
    result["load_memory"] = timed(lambda: load_store(str(build))) if in_memory else None
    result["load_disk"] = timed(lambda: write_store(build))
    result["load_oxigraph"] = timed(lambda: load_oxigraph(build, workdir / "oxigraph"))
    result["open_disk"] = timed(lambda: ox.Store.read_only(str(build / STORE)))
    result["quads"] = len(ox.Store.read_only(str(build / STORE)))
    result["store_bytes"] = sum(p.stat().st_size for p in (build / STORE).iterdir())
    print(f"    loaded: {result}", flush=True)

    texts = queries(base_of(build))
    modes = ("memory", "disk") if in_memory else ("disk",)
    result["memory"] = {}
    for store in modes:
        for n in args.memory_workers if store == "memory" else args.workers:
            try:
                server = ours(workdir, workdir, store, n)
            except RuntimeError as error:  # e.g. workers not ready in workers.START_SECONDS
                print(f"    {store} {n}: did not start: {str(error)[-300:]}", flush=True)
                continue
            try:
                # above --queries-up-to the join takes minutes a worker: a quick query instead
                warm_workers(server, texts["join" if timed_queries else "01"], n)
                result["memory"][f"{store} {n}"] = server.memory()
            finally:
                server.stop()
            print(f"    memory {store} {n}: {result['memory'][f'{store} {n}']}", flush=True)

    result["switch"] = (
        {} if args.no_switch else {m: switch_time(workdir, workdir, m) for m in modes}
    )
    print(f"    switch: {result['switch']}", flush=True)
    if not timed_queries:
        return result
    oxigraph = Process(
        [shutil.which("oxigraph", path=str(Path(sys.executable).parent)) or "oxigraph"]
        + ["serve-read-only", "--location", str(workdir / "oxigraph"), "--union-default-graph"]
        + ["--bind", f"127.0.0.1:{(oxi_port := free_port())}"],
        oxi_port,
        workdir / "oxigraph.log",
    )
    server = ours(workdir, workdir, "disk", 2)
    front = None
    try:
        oxigraph.wait("/query?query=ASK%7B%7D")
        front = ours(workdir, workdir, "disk", 2, f"http://127.0.0.1:{oxi_port}/query")
        runners = {}
        if in_memory:
            runners["embedded memory"] = embedded(load_store(str(build)))
        runners["embedded disk"] = embedded(ox.Store.read_only(str(build / STORE)))
        runners["ours, disk"] = endpoint(f"http://127.0.0.1:{server.port}/sparql")
        runners["oxigraph server"] = endpoint(f"http://127.0.0.1:{oxi_port}/query")
        graphs = [g.value for g in ox.Store.read_only(str(build / STORE)).named_graphs()]
        runners[NAMED] = endpoint(f"http://127.0.0.1:{oxi_port}/query", sorted(graphs))
        runners[THROUGH] = endpoint(f"http://127.0.0.1:{front.port}/sparql")
        runners |= {url: endpoint(url) for url in args.backend}
        result["queries"] = time_queries(runners, texts, args.reps)
    finally:
        for running in (server, front, oxigraph):
            if running is not None:
                running.stop()
    return result


# ---------------------------------------------------------------- report


def mib(value: int) -> str:
    return f"{value / 2**20:,.0f}"


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f}" if seconds >= 0.1 else f"{seconds * 1000:.1f}"


def secs(seconds: float | None) -> str:
    return "—" if seconds is None else f"{seconds:.2f}"


def report(results: list[dict], command: str, args) -> str:
    most = args.workers[-1]
    lines = [
        SECTION,
        "",
        f"`{command}` — {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())},"
        f" pyoxigraph {ox.__version__}, {os.cpu_count()} cores shared with other work;"
        f" {args.reps} interleaved rounds (p99 of so few is their slowest).",
        "",
        "### Load and switch (seconds)",
        "",
        "| register triples | quads in all | in memory (ours) | on disk (ours, as the build"
        " writes it) | `oxigraph load` | opening the store on disk | store on disk, MiB |"
        " switch, memory mode | switch, disk mode |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r['register']:,} | {r['quads']:,} | {secs(r['load_memory'])} |"
            f" {secs(r['load_disk'])} | {secs(r['load_oxigraph'])} | {secs(r.get('open_disk'))} |"
            f" {mib(r['store_bytes'])} |"
            f" {secs(r['switch'].get('memory'))} | {secs(r['switch'].get('disk'))} |"
        )
    lines += [
        "",
        "### Memory of the server and its workers (MiB, RSS / PSS, after each worker ran the"
        " join; at sizes without query timings, query 01)",
        "",
        "| register triples | " + " | ".join(f"{w} worker(s)" for w in args.workers) + " |",
        "|---|" + "---|" * len(args.workers),
    ]
    for r in results:
        for store in ("memory", "disk"):
            cells = [r["memory"].get(f"{store} {w}") for w in args.workers]
            if any(cells):
                shown = [f"{mib(c[0])} / {mib(c[1])}" if c else "—" for c in cells]
                lines.append(f"| {r['register']:,}, {store} | " + " | ".join(shown) + " |")
    lines += ["", f"PSS of {most} workers over that of 1 (target on disk: ≤ 1.3×):", ""]
    for r in results:
        pss = {key: value[1] for key, value in r["memory"].items()}
        ratios = [
            f"{store} {pss[f'{store} {most}'] / pss[f'{store} 1']:.2f}×"
            for store in ("memory", "disk")
            if f"{store} 1" in pss and f"{store} {most}" in pss
        ]
        if "memory 1" in pss and f"disk {most}" in pss:
            over = pss[f"disk {most}"] / pss["memory 1"]
            ratios.append(f"disk with {most} over memory with 1: {over:.2f}×")
        lines.append(f"- {r['register']:,} triples of register: " + "; ".join(ratios))
    for r in results:
        if "queries" not in r:
            continue
        targets = list(r["queries"])
        lines += [
            "",
            f"### Queries at {r['register']:,} triples of register: median / p99 ms",
            "",
            "| query | " + " | ".join(targets) + " |",
            "|---|" + "---|" * len(targets),
        ]
        names = list(next(iter(r["queries"].values())))
        for name in names:
            cells = [r["queries"][t][name] for t in targets]
            shown = [f"{ms(statistics.median(c))} / {ms(percentile(c, 99))}" for c in cells]
            lines.append(f"| {name} | " + " | ".join(shown) + " |")
        lines.append("")
        pairs = (
            ("ours, disk", "oxigraph server", "Ours on disk / Oxigraph's server"),
            (THROUGH, "oxigraph server", "Ours in front of Oxigraph's server / it directly"),
            (NAMED, "oxigraph server", "Oxigraph's server with the build's graphs named / without"),
            (THROUGH, NAMED, "Ours in front of it / it directly, asked alike (graphs named)"),
        )
        for ours_, theirs, what in pairs:
            if ours_ not in r["queries"] or theirs not in r["queries"]:  # an older run
                continue
            front, backend = r["queries"][ours_], r["queries"][theirs]
            ratios = [statistics.median(front[n]) / statistics.median(backend[n]) for n in names]
            lines.append(
                f"- {what}, median per query: {min(ratios):.2f}–"
                f"{max(ratios):.2f}× (join {ratios[names.index('join')]:.2f}×"
                + ("; target ≤ 1.2×)." if (ours_, theirs) == (THROUGH, NAMED) else ").")
            )
    return "\n".join(lines) + "\n"


def write_section(path: Path, section: str) -> None:
    """Replace the Scale section of `path` (bench/RESULTS.md) up to the next `## `, or add it."""
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    before, found, after = text.partition("\n" + SECTION + "\n")
    rest = after[after.find("\n## ") :] if found and "\n## " in after else ""
    path.write_text(before.rstrip("\n") + "\n\n" + section + rest, encoding="utf-8")


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ints = lambda text: [int(float(x)) for x in text.split(",")]  # noqa: E731
    parser.add_argument("--sizes", type=ints, default=[100_000, 1_000_000])
    parser.add_argument("--workers", type=ints, default=[1, 2, 4])
    parser.add_argument(
        "--memory-workers", type=ints, help="worker counts in memory mode (default: --workers)"
    )
    parser.add_argument("--reps", type=int, default=10)
    parser.add_argument("--memory-up-to", type=int, default=2_000_000)
    parser.add_argument(
        "--queries-up-to",
        type=int,
        default=2_000_000,
        help="above this size, no query timings, and workers warmed by a quick query",
    )
    parser.add_argument("--no-switch", action="store_true", help="leave the build switch out")
    parser.add_argument("--backend", action="append", default=[], help="another endpoint URL")
    parser.add_argument("--output", default=str(ROOT / "bench" / "RESULTS.md"), help="or -")
    parser.add_argument(
        "--json", type=Path, help="keep the figures here; sizes measured before are reported too"
    )
    args = parser.parse_args(argv)
    args.memory_workers = args.memory_workers or args.workers
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # stop the servers on the way out
    command = "python bench/scale.py " + " ".join(argv if argv is not None else sys.argv[1:])
    kept = json.loads(args.json.read_text()) if args.json and args.json.is_file() else []
    results = [r for r in kept if r["size"] not in args.sizes]
    for size in args.sizes:
        with tempfile.TemporaryDirectory(prefix="scale-") as workdir:
            results.append(measure(size, args, Path(workdir)))
        results.sort(key=lambda r: r["size"])
        if args.json:
            args.json.write_text(json.dumps(results, indent=1))
    text = report(results, command.strip(), args)
    if args.output == "-":
        print(text)
    else:
        write_section(Path(args.output), text)
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())

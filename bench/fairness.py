"""Fairness benchmark: do cheap queries of many clients get through while a few clients loop an
expensive one?

`--cheap` clients (default 16) each send cheap uncached queries (a competency query with a
comment line no request had before), one at a time with `--pause` s between them; 0, 1 and 2
hostile clients loop an expensive query (a three-way cross product, stopped at the time limit)
without pause, ignoring Retry-After. Every client has a loopback address of its own, so the
server sees distinct clients as it would in production. For each number of hostile clients a
fresh `sundhedsgraf serve --workers 2 --time-limit 2` is measured for `--duration` s, after the
hostile clients have run for `--head-start` s; the table gives the cheap queries' success rate
and latency, and their p99 as a ratio of the p99 without hostile clients. Cheap queries are the
competency queries pyoxigraph answers within `--cheap-ms` (query 08, about 0.5 s, is left out).

Then a retry storm: `--storm` clients (default 32) send cheap queries with no pause at all,
the next the moment an answer arrives, 429 and 503 included (ignoring Retry-After): what counts
is how many queries a second still get answered, against the run without hostile clients.

With `--before REV` the same runs are made with the server's code at git revision REV too (its
src/ exported to a temporary folder), side by side.

All traffic goes to 127.0.0.0/8; the servers are children of this script, stopped at the end.
Usage: python bench/fairness.py [--output bench/RESULTS.md | -]; --help lists the knobs.
"""

import argparse
import asyncio
import datetime as dt
import os
import signal
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run  # noqa: E402  (the shared helpers of bench/run.py)

EXPENSIVE = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
HOSTILE_ADDRESS = "127.0.1.{}"
CHEAP_ADDRESS = "127.0.2.{}"
SECTION = "## Fairness"


@dataclass
class Tally:
    """What one client saw: latencies of successful requests, and counts per status."""

    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)

    def add(self, status: int, seconds: float) -> None:
        self.statuses[status] = self.statuses.get(status, 0) + 1
        if status == 200:
            self.latencies.append(seconds)


class Connection:
    """One keep-alive HTTP/1.1 connection from `address` to the server: GET, status, body."""

    def __init__(self, port: int, address: str):
        self.port, self.address = port, address
        self.reader = self.writer = None

    async def get(self, path: str) -> int:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(
                "127.0.0.1", self.port, local_addr=(self.address, 0)
            )
        request = (
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: {run.ACCEPT}\r\n\r\n"
        ).encode()
        try:
            self.writer.write(request)
            status = int((await self.reader.readline()).split()[1])
            length = 0
            while (line := await self.reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode("latin-1").partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            await self.reader.readexactly(length)
            return status
        except (OSError, IndexError, ValueError, asyncio.IncompleteReadError):
            self.close()
            return 0  # no answer: counted as a failure

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def client(port: int, address: str, queries: list[str], pause: float, until: float):
    """Send `queries` in a cycle, each made unique, until `until`; what came back."""
    tally, connection, n = Tally(), Connection(port, address), 0
    while time.monotonic() < until:
        query = f"#u-{address}-{n}-{time.monotonic_ns()}\n" + queries[n % len(queries)]
        n += 1
        started = time.monotonic()
        status = await connection.get(f"/sparql?query={quote(query, safe='')}")
        tally.add(status, time.monotonic() - started)
        if pause:
            await asyncio.sleep(pause)
    connection.close()
    return tally


@dataclass(frozen=True)
class Case:
    hostile: int  # clients looping the expensive query
    cheap: int  # clients sending cheap queries
    pause: float  # between a cheap client's queries; 0 for a retry storm


async def load(port: int, case: Case, args, queries: list[str]) -> tuple[list, list]:
    """The hostile clients start `args.head_start` s before the cheap ones, which are measured
    for `args.duration` s; the hostile ones go on until then."""
    hostile = case.hostile
    until = time.monotonic() + (args.head_start if hostile else 0) + args.duration
    bad = [
        asyncio.create_task(client(port, HOSTILE_ADDRESS.format(i + 1), [EXPENSIVE], 0.0, until))
        for i in range(hostile)
    ]
    if hostile:
        await asyncio.sleep(args.head_start)
    cheap = [
        client(port, CHEAP_ADDRESS.format(i + 1), queries, case.pause, until)
        for i in range(case.cheap)
    ]
    return list(await asyncio.gather(*cheap)), list(await asyncio.gather(*bad))


@dataclass
class Figures:
    code: str
    case: Case
    sent: int
    succeeded: int
    median: float
    p99: float
    worst: float
    cheap_per_second: float
    hostile_statuses: dict[int, int]
    other_cores: float
    cheap_statuses: dict[int, int]

    @property
    def success(self) -> float:
        return self.succeeded / self.sent if self.sent else 0.0


def statuses_of(tallies: list[Tally]) -> dict[int, int]:
    statuses: dict[int, int] = {}
    for tally in tallies:
        for status, count in tally.statuses.items():
            statuses[status] = statuses.get(status, 0) + count
    return statuses


def summarize(code: str, case: Case, cheap: list[Tally], bad: list[Tally], args, other):
    latencies = sorted(s for t in cheap for s in t.latencies)
    sent = sum(sum(t.statuses.values()) for t in cheap)
    return Figures(
        code,
        case,
        sent,
        len(latencies),
        statistics.median(latencies) if latencies else float("nan"),
        run.percentile(latencies, 99) if latencies else float("nan"),
        latencies[-1] if latencies else float("nan"),
        len(latencies) / args.duration,
        statuses_of(bad),
        other,
        statuses_of(cheap),
    )


class Server(run.Server):
    def cpu_seconds(self) -> float:
        """As run.Server counts it, plus the workers the server has killed and reaped (each
        hostile query's): their time is only in the server's cutime and cstime."""
        try:
            fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return super().cpu_seconds()
        return super().cpu_seconds() + (int(fields[13]) + int(fields[14])) / run.TICKS


def server_for(code: str, src: Path | None, args, workdir: Path) -> Server:
    port = run.free_port()
    command = [sys.executable, "-m", "sundhedsgraf", "serve", "--root", str(run.ROOT)]
    command += ["--port", str(port), "--log-level", "warning"]
    command += ["--workers", str(args.workers), "--time-limit", f"{args.time_limit:g}"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("SUNDHEDSGRAF_")}
    if src is not None:  # the code of another revision comes first on the path
        env["PYTHONPATH"] = str(src)
    log = workdir / f"server-{code}-{port}.log"
    return Server("ours", port, "/sparql", command, code, log, env=env)


def measure(code: str, src: Path | None, case: Case, args, queries, workdir) -> Figures:
    server = server_for(code, src, args, workdir)
    server.start()
    try:
        server.wait_ready()
        run.wait_quiet(args)
        with run.OtherLoad(server) as other:
            cheap, bad = asyncio.run(load(server.port, case, args, queries))
    finally:
        server.stop()
    figures = summarize(code, case, cheap, bad, args, other.cores)
    print(
        f"  {code}, {case}: {figures.success:.2%} of {figures.sent} cheap queries answered,"
        f" {figures.cheap_per_second:.1f}/s, p99 {run.ms(figures.p99)} ms,"
        f" other load {other.cores:.2f} cores",
        flush=True,
    )
    return figures


def cheap_queries(queries: dict[str, str], most: float) -> dict[str, str]:
    """The competency queries pyoxigraph answers within `most` s here: a heavy one (query 08
    walks every dependency chain, about 0.5 s) would make a cheap client a hostile one."""
    import pyoxigraph as ox

    store = ox.Store()
    store.bulk_load(path=str(run.ROOT / "dist" / "sundhedsgraf.nq"), format=ox.RdfFormat.N_QUADS)
    kept = {}
    for name, text in queries.items():
        started = time.perf_counter()
        outcome = store.query(text, use_default_graph_as_union=True)
        if not isinstance(outcome, ox.QueryBoolean):
            sum(1 for _ in outcome)
        if time.perf_counter() - started <= most:
            kept[name] = text
    return kept


def export_src(revision: str, workdir: Path) -> Path:
    """src/ of `revision`, written into `workdir`."""
    archive = workdir / "before.tar"
    subprocess.run(
        ["git", "-C", str(run.ROOT), "archive", "-o", str(archive), revision, "src"], check=True
    )
    with tarfile.open(archive) as tar:
        tar.extractall(workdir / "before", filter="data")
    return workdir / "before" / "src"


def report(results: list[Figures], args, argv: list[str]) -> str:
    command = "python bench/fairness.py " + " ".join(argv)
    lines = [
        SECTION,
        "",
        f"- date: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC",
        f"- command: `{command.strip()}`",
        f"- machine: {run.machine()}",
        f"- code measured: {run.code_version(run.ROOT)}"
        + (f"; before: `{args.before}`" if args.before else ""),
        f"- server: `sundhedsgraf serve --workers {args.workers} --time-limit "
        f"{args.time_limit:g}`, every other setting at its default; a fresh server per run",
        f"- cheap clients: {args.cheap}, each from its own address in 127.0.2.0/24, one query "
        f"at a time with {args.pause * 1000:g} ms between: a competency query made unique by a "
        "comment line (never in the answer cache)",
        "- hostile clients: each from its own address in 127.0.1.0/24, looping a three-way "
        "cross product (stopped at the time limit) with no pause, ignoring Retry-After",
        f"- each run: the hostile clients start {args.head_start:g} s before the cheap ones "
        "(a new client is not known to run long queries until its first one ends: the pool "
        "does not protect that first time limit of an attack), then the cheap ones are "
        f"measured for {args.duration:g} s; {args.rounds} round(s); latencies as the client "
        "measures them (Python asyncio, on the same cores as the server)",
        "",
        "| code | hostile clients | cheap clients, pause ms | cheap queries sent | answered 200 |"
        " median ms | p99 ms | max ms | p99 / p99 with 0 hostile | cheap answered/s |"
        " cheap statuses | hostile statuses | other load, cores |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---:|",
    ]
    baseline = {r.code: r.p99 for r in results if r.case == cases(args)[0]}
    for r in results:
        shown = [
            ", ".join(f"{s}: {n}" for s, n in sorted(statuses.items())) or "-"
            for statuses in (r.cheap_statuses, r.hostile_statuses)
        ]
        base = baseline.get(r.code)
        ratio = f"{r.p99 / base:.1f}" if base and r.case.pause else "-"
        lines.append(
            f"| {r.code} | {r.case.hostile} | {r.case.cheap}, {r.case.pause * 1000:g} | {r.sent}"
            f" | {r.success:.2%} | {run.ms(r.median)} | {run.ms(r.p99)} | {run.ms(r.worst)}"
            f" | {ratio} | {r.cheap_per_second:.1f} | {shown[0]} | {shown[1]}"
            f" | {r.other_cores:.2f} |"
        )
    lines += [
        "",
        "Target: with 2 hostile clients, at least 99 % of the cheap queries answered and their "
        "p99 under 250 ms. A row with cheap clients at pause 0 is a retry storm: clients that"
        " send their next query the moment an answer (429 and 503 included) arrives, ignoring"
        " Retry-After; its figure is the cheap answered/s, against the row with 0 hostile"
        " clients. Status 0: no answer (connection closed). Other load above ~0.1 cores means"
        " other work on the machine disturbed the run.",
    ]
    return "\n".join(lines) + "\n"


def write(text: str, output: str) -> None:
    if output == "-":
        print(text)
        return
    path = Path(output)
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    if SECTION in old:  # replace the section, keep the rest
        start = old.index(SECTION)
        end = old.find("\n## ", start + len(SECTION))
        old = old[:start] + (old[end + 1 :] if end >= 0 else "")
    path.write_text(old.rstrip("\n") + "\n\n" + text, encoding="utf-8")
    print(f"wrote {path}")


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=30.0, help="seconds measured per run")
    parser.add_argument(
        "--head-start", type=float, default=5.0, help="seconds hostile clients run before"
    )
    parser.add_argument("--cheap", type=int, default=16, help="cheap clients")
    parser.add_argument("--hostile", default="0,1,2", help="numbers of hostile clients to try")
    parser.add_argument("--pause", type=float, default=0.05, help="a cheap client's pause, s")
    parser.add_argument(
        "--storm", type=int, default=32, help="clients in the retry-storm case (0: none)"
    )
    parser.add_argument(
        "--cheap-ms", type=float, default=50, help="a cheap query takes pyoxigraph at most this"
    )
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--time-limit", type=float, default=2.0)
    parser.add_argument("--rounds", type=int, default=1, help="runs of each case")
    parser.add_argument("--before", help="also measure the code at this git revision")
    parser.add_argument("--quiet", type=float, default=0.15, help="cores others may use")
    parser.add_argument("--quiet-timeout", type=float, default=120.0)
    parser.add_argument("--output", default="-", help="a RESULTS.md to update, or - to print")
    return parser.parse_args(argv)


def cases(args) -> list[Case]:
    """0, 1, 2 … hostile clients beside the cheap ones, then the retry storm."""
    found = [Case(int(n), args.cheap, args.pause) for n in args.hostile.split(",")]
    return found + ([Case(0, args.storm, 0.0)] if args.storm else [])


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop the servers on the way out
    run.ensure_build(run.ROOT, str(run.BIN / "sundhedsgraf"))
    queries = list(cheap_queries(run.load_queries(run.ROOT), args.cheap_ms / 1000).values())
    results = []
    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        codes = [("this", None)]
        if args.before:
            codes.insert(0, (f"before ({args.before})", export_src(args.before, workdir)))
        for _ in range(args.rounds):
            for code, src in codes:
                for case in cases(args):
                    results.append(measure(code, src, case, args, queries, workdir))
    order = cases(args)
    results.sort(key=lambda r: (r.code != codes[0][0], order.index(r.case)))
    write(report(results, args, argv), args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())

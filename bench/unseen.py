"""Where the CPU of an unseen query goes: the server process against its query workers.

Per round, a fresh `sundhedsgraf serve` over this project's dist/ gets `--requests` query texts
it has never seen (the competency queries with a unique comment line in front), one after the
other on one keep-alive connection, and the CPU time (user + system, from /proc) of the server
process and of its workers is divided by the requests. With `--compare DIR` another src/
(before a change) is served in turns with this one, each first in every other round, so other
work on the machine falls on both alike. With `--profile DIR`, py-spy samples every round's
server and workers while they hold the GIL (CPU, not waits), and the functions they spent most
samples in are listed per process kind (py-spy is not a dependency: install it in the venv to
use this).

    .venv/bin/python bench/unseen.py --compare /tmp/before/src --compare-label <commit>
    .venv/bin/python bench/unseen.py --profile /tmp/profile --rounds 1
"""

import argparse
import collections
import http.client
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
ACCEPT = "application/sparql-results+json"
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def descendants(pid: int) -> list[int]:
    """The processes under `pid`: the workers are the children of its fork server (which, with
    the resource tracker, comes along: both idle)."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat[1])
    found, todo = [], [pid]
    while todo:
        parent = todo.pop()
        below = [child for child, of in parents.items() if of == parent]
        found += below
        todo += below
    return found


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(conn: http.client.HTTPConnection, path: str) -> int:
    conn.request("GET", path, headers={"Accept": ACCEPT})
    response = conn.getresponse()
    response.read()
    return response.status


def start(src: Path, port: int) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SUNDHEDSGRAF_")}
    env["PYTHONPATH"] = str(src)
    command = [sys.executable, "-m", "sundhedsgraf", "serve", "--root", str(ROOT)]
    command += ["--port", str(port), "--log-level", "warning"]
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while True:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            if get(conn, "/health") == 200:
                return process
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"the server under {src} did not start")
        time.sleep(0.05)


def round_(src: Path, queries: list[str], requests: int, profile: Path | None) -> dict:
    port = free_port()
    process = start(src, port)
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        tag = uuid.uuid4().hex[:8]

        def path(n: int) -> str:
            text = f"#u-{tag}-{n}\n" + queries[n % len(queries)]
            return "/sparql?query=" + quote(text, safe="")

        for n in range(len(queries) * 3):  # warm up: every query's code path once
            get(conn, path(-1 - n))
        workers = descendants(process.pid)
        sampler = None
        if profile:
            out = profile / f"{src.parent.name}-{tag}.raw"
            py_spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
            sampler = subprocess.Popen(
                [py_spy, "record", "-p", str(process.pid), "--subprocesses", "-r", "250",
                 "--gil", "-f", "raw", "-o", str(out), "--nonblocking"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            time.sleep(1)
        server0 = cpu_seconds(process.pid)
        workers0 = sum(cpu_seconds(pid) for pid in workers)
        latencies = []
        for n in range(requests):
            began = time.perf_counter()
            status = get(conn, path(n))
            latencies.append(time.perf_counter() - began)
            if status != 200:
                raise SystemExit(f"status {status} for {path(n)}")
        server = cpu_seconds(process.pid) - server0
        worker = sum(cpu_seconds(pid) for pid in workers) - workers0
        if sampler:
            sampler.send_signal(signal.SIGINT)
            sampler.wait(60)
        return {
            "median ms": 1000 * statistics.median(latencies),
            "server CPU ms/req": 1000 * server / requests,
            "workers CPU ms/req": 1000 * worker / requests,
        }
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(30)


def top(raw: Path, count: int = 25) -> str:
    """The functions with most samples (self) in the server and in the workers."""
    own: collections.Counter = collections.Counter()
    totals: collections.Counter = collections.Counter()
    for line in raw.read_text().splitlines():
        stack, _, n = line.rpartition(" ")
        kind = "worker" if "serve_jobs" in stack else "server"
        frame = re.sub(r"^.*/(site-packages|lib/python3\.\d+|src)/", "", stack.split(";")[-1])
        own[kind, frame] += int(n)
        totals[kind] += int(n)
    lines = [f"samples: {dict(totals)}"]
    for (kind, frame), n in own.most_common(count):
        lines.append(f"{kind:6} {100 * n / sum(totals.values()):5.1f}%  {frame}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--src", type=Path, default=ROOT / "src")
    parser.add_argument("--compare", type=Path, help="another src/ (before), served in turns")
    parser.add_argument("--compare-label", help="what --compare is (a commit)")
    parser.add_argument("--requests", type=int, default=600, help="unseen queries per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", type=Path, help="folder for py-spy's samples")
    args = parser.parse_args()
    queries = [p.read_text() for p in sorted((ROOT / "queries").glob("*.rq"))]
    srcs = {"this": args.src.resolve()}
    if args.compare:
        srcs[args.compare_label or str(args.compare)] = args.compare.resolve()
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
    found: dict[str, list[dict]] = {label: [] for label in srcs}
    for n in range(args.rounds):
        turns = list(srcs.items())
        for label, src in turns if n % 2 == 0 else reversed(turns):  # neither always first
            figures = round_(src, queries, args.requests, args.profile)
            found[label].append(figures)
            shown = ", ".join(f"{k} {v:.3f}" for k, v in figures.items())
            print(f"round {n + 1}, {label}: {shown}", flush=True)
    print(f"\nmedians over {args.rounds} rounds of {args.requests} unseen queries, one client:")
    for label, rounds in found.items():
        medians = {k: statistics.median(r[k] for r in rounds) for k in rounds[0]}
        print(f"  {label}: " + ", ".join(f"{k} {v:.3f}" for k, v in medians.items()))
    if args.profile:
        for raw in sorted(args.profile.glob("*.raw")):
            print(f"\n{raw.name}\n{top(raw)}")


if __name__ == "__main__":
    main()

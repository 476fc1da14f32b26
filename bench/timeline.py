"""Where one unseen query's time goes, single client: a timeline of the request's stages.

A fresh `sundhedsgraf serve` (this module as its main module, so that the server and its
workers, forked by a fork server that imports the main module, both take the timers below)
answers `--requests` query texts it has never seen,
one after another on one keep-alive connection. The server notes when it hands the job to a
worker and when the answer is back; the worker notes when evaluation starts and ends; all on
the same monotonic clock, so per request:

- client: the whole request as the client times it;
- server before the worker: HTTP, parsing, the guard, the gate (client minus the rest);
- hand-off: the job sent until the worker starts evaluating (pickling, a wake-up);
- evaluation: pyoxigraph evaluating and writing the answer, in the worker;
- way back: evaluation done until the server has the answer.

Then the same query is evaluated in this process, back to back and with a pause before each, to
show how much slower the same work is when the cores did something else in between.

    .venv/bin/python bench/timeline.py --query 01-initiatives-per-focus-area --requests 500
"""

import argparse
import http.client
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).parent))
from run import free_port  # noqa: E402

MARKS = os.environ.get("SUNDHEDSGRAF_TIMELINE")  # the folder the timed processes write to


def install_timers(folder: str) -> None:
    """Wrap the hand-off (server) and the evaluation (worker) with monotonic timestamps."""
    from sundhedsgraf.sparql import evaluation, workers

    log = open(Path(folder) / f"{os.getpid()}.txt", "w", buffering=1)  # noqa: SIM115
    evaluate, ask = evaluation.evaluate, workers.Worker.ask

    def timed_evaluate(store, job, relay=None):
        began = time.perf_counter()
        answer = evaluate(store, job, relay)
        log.write(f"E {began:.7f} {time.perf_counter():.7f} {job.query.split()[0]}\n")
        return answer

    async def timed_ask(self, job, timeout):
        began = time.perf_counter()
        answer = await ask(self, job, timeout)
        log.write(f"A {began:.7f} {time.perf_counter():.7f} {job.query.split()[0]}\n")
        return answer

    evaluation.evaluate, workers.Worker.ask = timed_evaluate, timed_ask


if MARKS and __name__ in ("__main__", "__mp_main__"):  # the server, or its workers' fork server
    install_timers(MARKS)


def serve(argv: list[str]) -> None:
    from sundhedsgraf.cli import main

    sys.argv = ["sundhedsgraf", *argv]
    main()


def get(conn: http.client.HTTPConnection, path: str) -> int:
    conn.request("GET", path, headers={"Accept": "application/sparql-results+json"})
    response = conn.getresponse()
    response.read()
    return response.status


def measure(query: str, requests: int) -> dict[str, list[float]]:
    folder, port = tempfile.mkdtemp(prefix="timeline-"), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SUNDHEDSGRAF_")}
    env["SUNDHEDSGRAF_TIMELINE"] = folder
    command = [sys.executable, __file__, "serve", "--root", str(ROOT), "--port", str(port)]
    command += ["--log-level", "warning", "--client-budget", "1e6"]
    server = subprocess.Popen(command, env=env, start_new_session=True, stderr=subprocess.DEVNULL)
    try:
        conn = wait_ready(port)
        tag, client = uuid.uuid4().hex[:8], {}
        for n in range(-20, requests):  # 20 to warm up
            mark = f"#t-{tag}-{n}"
            began = time.perf_counter()
            assert get(conn, "/sparql?query=" + quote(f"{mark}\n{query}", safe="")) == 200
            if n >= 0:
                client[mark] = (began, time.perf_counter())
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)
    return stages(folder, client)


def wait_ready(port: int) -> http.client.HTTPConnection:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            if get(conn, "/health") == 200:
                return conn
        except OSError:
            time.sleep(0.1)
    raise SystemExit("the server did not start")


def stages(folder: str, client: dict) -> dict[str, list[float]]:
    asks, evaluations = {}, {}
    for path in Path(folder).glob("*.txt"):
        for line in path.read_text().splitlines():
            kind, began, ended, mark = line.split()
            (asks if kind == "A" else evaluations)[mark] = (float(began), float(ended))
    out: dict[str, list[float]] = {k: [] for k in STAGES}
    for mark, (c0, c1) in client.items():
        (a0, a1), (e0, e1) = asks[mark], evaluations[mark]
        for name, seconds in zip(
            STAGES, (c1 - c0, (c1 - c0) - (a1 - a0), e0 - a0, e1 - e0, a1 - e1), strict=True
        ):
            out[name].append(seconds)
    return out


STAGES = ("client", "server before and after the worker", "hand-off", "evaluation", "way back")


def in_process(query: str, pauses: list[float], repeats: int, spin: bool) -> dict[float, float]:
    """Median seconds of evaluating `query` (as a worker does) after each pause, slept or spent
    spinning (which keeps the core awake: if that is as slow, the caches are what was lost)."""
    from sundhedsgraf.publication import build_folder
    from sundhedsgraf.sparql.evaluation import Job, evaluate
    from sundhedsgraf.stores import open_store

    dist = str(build_folder(ROOT))
    store, found = open_store(dist, "memory"), {}
    for pause in pauses:
        times = []
        for n in range(repeats):
            if pause and spin:
                until = time.perf_counter() + pause
                while time.perf_counter() < until:
                    pass
            elif pause:
                time.sleep(pause)
            job = Job(dist, f"#p{pause}-{n}\n{query}", None, None,
                      "application/sparql-results+json", None, 100_000, 1 << 26)  # fmt: skip
            began = time.perf_counter()
            evaluate(store, job)
            times.append(time.perf_counter() - began)
        found[pause] = statistics.median(times)
    return found


def main() -> None:
    if sys.argv[1:2] == ["serve"]:
        serve(sys.argv[1:])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--query", default="01-initiatives-per-focus-area", help="in queries/")
    parser.add_argument("--requests", type=int, default=500)
    args = parser.parse_args()
    query = (ROOT / "queries" / f"{args.query}.rq").read_text(encoding="utf-8")
    found = measure(query, args.requests)
    print(f"query {args.query}, {args.requests} unseen texts, one client: median ms")
    for name in STAGES:
        print(f"  {name:38} {1000 * statistics.median(found[name]):7.3f}")
    print("the same evaluation in this process, median ms after a pause of:")
    pauses = [0, 0.0005, 0.001, 0.002, 0.01]
    slept, spun = (in_process(query, pauses, 300, spin) for spin in (False, True))
    for pause in pauses:
        times = f"slept {1000 * slept[pause]:7.3f}  spun {1000 * spun[pause]:7.3f}"
        print(f"  {1000 * pause:5.1f} ms  {times}")


if __name__ == "__main__":
    main()

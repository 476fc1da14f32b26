"""Cold start: how long the first requests for pages take after a start and after a build switch.

Each round serves a copy of dist/ (two copies of the build folder, A and B, in a temporary
project): it starts `sundhedsgraf serve`, waits for /health, and sends a burst of first
requests at once: `--clients` concurrent requests for each page of PAGES, on fresh
connections. Then it points dist at B (as a build does), waits until /health reports B, and
sends the same burst to the new build. The figures are per page: the median over the rounds
of the slowest request of the burst, and the time from start to the first /health answer.

`--src` serves another checkout's package (e.g. `git archive <commit> src | tar -x -C DIR`),
to measure before and after a change with the same script; `--compare DIR` does both (taking
turns, round by round) and prints the ratios. All traffic goes to 127.0.0.1; the servers are
children of this script.
Usage: see bench/README.md.
"""

import argparse
import datetime as dt
import http.client
import json
import os
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
PAGES = {
    "home": "/",
    "search": "/search?q=" + quote("medicin"),
    "pictures": "/pictures",
    "initiative": "/doc/initiative/2.1",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(port: int, path: str, accept: str = BROWSER) -> tuple[int, bytes, float]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        start = time.perf_counter()
        conn.request("GET", path, headers={"Accept": accept})
        response = conn.getresponse()
        body = response.read()
        return response.status, body, time.perf_counter() - start
    finally:
        conn.close()


def project(dist: Path, workdir: Path) -> Path:
    """A project whose dist points at a copy A of the build; B, a later copy, waits beside."""
    builds = workdir / ".dist-builds"
    for name, shift in (("A", 0), ("B", 1)):
        shutil.copytree(dist, builds / name)
        manifest = builds / name / "manifest.json"
        data = json.loads(manifest.read_text(encoding="utf-8"))
        built = dt.datetime.fromisoformat(data["built"]) + dt.timedelta(seconds=shift)
        data["built"] = built.isoformat()  # tells A from B in /health
        manifest.write_text(json.dumps(data), encoding="utf-8")
    (workdir / "dist").symlink_to(Path(".dist-builds") / "A", target_is_directory=True)
    return workdir


def switch_to_b(root: Path) -> str:
    link = root / ".dist-new"
    link.symlink_to(Path(".dist-builds") / "B", target_is_directory=True)
    os.replace(link, root / "dist")
    return json.loads((root / "dist" / "manifest.json").read_text(encoding="utf-8"))["built"]


def burst(port: int, clients: int) -> dict[str, float]:
    """`clients` requests for every page, all at once; the slowest time per page."""
    jobs = [(name, path) for name, path in PAGES.items() for _ in range(clients)]
    times: dict[str, list[float]] = {name: [] for name in PAGES}
    ready = threading.Barrier(len(jobs))

    def one(name: str, path: str) -> None:
        ready.wait()
        status, body, elapsed = get(port, path)
        assert status == 200, (path, status, body[:200])
        times[name].append(elapsed)

    threads = [threading.Thread(target=one, args=job) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {name: max(found) for name, found in times.items()}


def health(port: int) -> dict | None:
    try:
        status, body, _ = get(port, "/health", "application/json")
    except OSError:
        return None
    return json.loads(body) if status == 200 else None


def round_(root: Path, src: Path, clients: int) -> dict:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SUNDHEDSGRAF_")}
    env["PYTHONPATH"] = str(src)
    command = [sys.executable, "-m", "sundhedsgraf", "serve", "--root", str(root)]
    command += ["--port", str(port), "--log-level", "warning"]
    started = time.perf_counter()
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    try:
        while health(port) is None:
            if process.poll() is not None or time.perf_counter() - started > 120:
                raise SystemExit(f"the server under {src} did not start")
            time.sleep(0.02)
        figures = {"ready": time.perf_counter() - started}
        figures.update({f"start {k}": v for k, v in burst(port, clients).items()})
        built = switch_to_b(root)
        deadline = time.perf_counter() + 120
        while (health(port) or {}).get("build") != built:
            if time.perf_counter() > deadline:
                raise SystemExit(f"the server under {src} did not switch to the new build")
            time.sleep(0.02)
        figures.update({f"switch {k}": v for k, v in burst(port, clients).items()})
        return figures
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(30)


def measure(srcs: list[Path], dist: Path, rounds: int, clients: int) -> list[dict[str, float]]:
    """Per package and figure, the median over `rounds` rounds (a fresh project and server
    each); the packages take turns, so that other work on the machine falls on all alike."""
    found: list[dict[str, list[float]]] = [{} for _ in srcs]
    for n in range(rounds):
        for src, figures in zip(srcs, found, strict=True):
            workdir = Path(tempfile.mkdtemp(prefix="sundhedsgraf-coldstart-"))
            try:
                for key, value in round_(project(dist, workdir), src, clients).items():
                    figures.setdefault(key, []).append(value)
            finally:
                shutil.rmtree(workdir, ignore_errors=True)
        print(f"  round {n + 1} of {rounds}", file=sys.stderr, flush=True)
    return [{key: statistics.median(v) for key, v in figures.items()} for figures in found]


SECTION = "## Cold start"


def report(after: dict, before: dict | None, args, command: str) -> str:
    from run import code_version, machine  # bench/run.py, beside this script

    lines = [
        SECTION,
        "",
        f"- date: {dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- command: `{command}`",
        f"- machine: {machine()}; load average at the start {os.getloadavg()[0]:.1f}",
        f"- code measured (after): {code_version(args.root)}"
        + (f"; before: {args.compare_label or args.compare}" if before else ""),
        f"- each round: a fresh server on a copy of dist/; at once, {args.clients} concurrent"
        f" first requests (fresh connections, `Accept: text/html`) for each of: "
        + ", ".join(f"{name} `{path}`" for name, path in PAGES.items())
        + "; then dist/ switched to a second copy, and the same burst to the new build",
        f"- figures: the slowest request of each page's burst, in ms, median of {args.rounds}"
        " rounds; `ready`: from starting the server to its first /health answer; work of others"
        " on the machine slows before and after alike (rounds alternate): read the ratios",
        "",
    ]
    if before is None:
        lines += ["| figure | ms |", "|---|---:|"]
        lines += [f"| {key} | {value * 1000:.0f} |" for key, value in after.items()]
    else:
        lines += ["| figure | before | after | before / after |", "|---|---:|---:|---:|"]
        for key, value in after.items():
            lines.append(
                f"| {key} | {before[key] * 1000:.0f} | {value * 1000:.0f}"
                f" | {before[key] / value:.2f} |"
            )
    return "\n".join(lines) + "\n"


def write_section(path: Path, section: str) -> None:
    """Replace the cold-start section at the end of `path` (bench/RESULTS.md), or add it."""
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    kept = text.split("\n" + SECTION, 1)[0].rstrip("\n")
    path.write_text((kept + "\n\n" if kept else "") + section, encoding="utf-8")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=ROOT, help="project whose dist/ is served")
    parser.add_argument("--src", type=Path, default=ROOT / "src", help="the package to serve")
    parser.add_argument("--compare", type=Path, help="another src/ (before), for ratios")
    parser.add_argument("--compare-label", help="what --compare is, for the report (a commit)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--clients", type=int, default=4, help="concurrent requests per page")
    parser.add_argument("--output", type=Path, help="a file whose cold-start section to write")
    args = parser.parse_args(argv)
    dist = (args.root / "dist").resolve()
    if not (dist / "manifest.json").is_file():
        raise SystemExit(f"no build in {args.root / 'dist'}: run `sundhedsgraf build` first")
    given = sys.argv[1:] if argv is None else argv
    command = shlex.join(["python", "bench/coldstart.py", *given])
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stops the servers on the way out
    srcs = [args.src.resolve()] + ([args.compare.resolve()] if args.compare else [])
    after, *compared = measure(srcs, dist, args.rounds, args.clients)
    before = compared[0] if compared else None
    text = report(after, before, args, command)
    print("\n" + text)
    if args.output is not None:
        write_section(args.output, text)
        print(f"written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""CPU and wall time of one call from our server to a store (`Backend.run`: the gate, the form,
the HTTP call, reading and passing on or re-writing the answer), in-process, without the web
framework around it: this checkout against an older commit, in interleaved rounds against the
same `oxigraph serve` (on disk, loaded with the build). Quick competency queries only (08 and
11 are the store's own time). All traffic goes to 127.0.0.1.
Usage: .venv/bin/python bench/backend_call.py [--base COMMIT] [--rounds 3] [--calls 400]
"""

import argparse
import asyncio
import inspect
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from io import BytesIO

from backend import BIN, ROOT, load, start
from run import ensure_build, free_port, load_queries


def main() -> int:
    options = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    options.add_argument("--base", default="HEAD", help="the commit to compare with")
    options.add_argument("--rounds", type=int, default=3)
    options.add_argument("--calls", type=int, default=400, help="calls per round and side")
    args = options.parse_args()
    dist = ensure_build(ROOT, str(BIN / "sundhedsgraf"))
    base_iri = json.loads((dist / "manifest.json").read_text())["base_iri"]
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="sundhedsgraf-bench-call-") as folder:
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", args.base, "src"], capture_output=True, check=True
        ).stdout
        with tarfile.open(fileobj=BytesIO(archive)) as tar:
            tar.extractall(folder, filter="data")
        command = [str(BIN / "oxigraph"), "serve", "--location", folder + "/db"]
        store = start(command + ["--bind", f"127.0.0.1:{port}"], port, "/query?query=ASK%7B%7D")
        try:
            load(port, dist, base_iri + "graph/dataset")
            sides = {args.base: folder + "/src", "this checkout": str(ROOT / "src")}
            for round_ in range(1, args.rounds + 1):
                for name, src in sides.items():
                    env = os.environ | {"PYTHONPATH": src}
                    call = [sys.executable, __file__, "--measure", str(port), str(args.calls)]
                    out = subprocess.run(call, env=env, capture_output=True, text=True, check=True)
                    print(f"round {round_}, {name}: {out.stdout.strip()}")
        finally:
            store.terminate()
            store.wait()
    return 0


def measure(port: int, calls: int) -> None:
    from sundhedsgraf.publication import open_publication
    from sundhedsgraf.sparql.backend import Backend
    from sundhedsgraf.sparql.evaluation import Job
    from sundhedsgraf.sparql.fairness import Budgets

    pub = open_publication(ROOT)
    texts = [q for n, q in load_queries(ROOT).items() if not n.startswith(("08", "11"))]
    given = [f"http://127.0.0.1:{port}/query", 2, 16, 60.0, Budgets(1e9, 60, 1e9)]
    if "client_share" in inspect.signature(Backend).parameters:
        given.append(0.5)
    backend = Backend(*given, lambda: pub)
    tag = time.time_ns()

    def job(n: int) -> Job:
        text = f"#u-{tag}-{n}\n" + texts[n % len(texts)]  # new texts: the store parses each
        json_type = "application/sparql-results+json"
        return Job(str(pub.folder), text, None, None, json_type, None, 100_000, 64 << 20,
                   base_iri=pub.base, form="SELECT")  # fmt: skip

    async def run() -> None:
        await backend.start()
        for n in range(30):  # warm-up
            await backend.run(job(n), "bench")
        cpu, wall = time.process_time(), time.perf_counter()
        for n in range(30, 30 + calls):
            answer = await backend.run(job(n), "bench")
            assert answer.status == 200, answer
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        print(f"{cpu * 1000 / calls:.2f} ms CPU, {wall * 1000 / calls:.2f} ms wall per call")
        await backend.close()

    asyncio.run(run())


if __name__ == "__main__":
    if sys.argv[1:2] == ["--measure"]:
        measure(int(sys.argv[2]), int(sys.argv[3]))
        sys.exit(0)
    sys.exit(main())

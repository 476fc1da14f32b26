"""Does a reader ever see half a switch? `sundhedsgraf publish` against Oxigraph's server and
Virtuoso, with readers asking all the while.

Two builds of the real project (A, and B with one title changed) are made in a temporary
folder. For each store (tests/stores.py starts it on local ports): publish A, start `--readers`
threads that ask, over and over, one query reading both the record graph (which build) and the
data graph (the changed title, and the number of triples), then publish B, A, B, … `--switches`
times. An answer pairing the record of one build with the title of the other is a mixed read.
Prints, per store, the answers seen by kind; docs/deploy.md quotes them.

Usage: .venv/bin/python bench/publish_switch.py [--switches 10] [--readers 2]
[--stores oxigraph,virtuoso] (needs the test extra, and /usr/bin/virtuoso-t for Virtuoso:
`make test` installs it).
"""

import argparse
import collections
import contextlib
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from conftest import build_root, copy_project  # noqa: E402
from stores import oxigraph_store, virtuoso_store  # noqa: E402
from test_publish import NEW_TITLE, OLD_TITLE  # noqa: E402

from sundhedsgraf import remote  # noqa: E402
from sundhedsgraf.publication import open_publication  # noqa: E402
from sundhedsgraf.publish import publish  # noqa: E402

STORES = {"oxigraph": oxigraph_store, "virtuoso": virtuoso_store}
G = "https://w3id.org/sundhedsgraf/graph/"
ASK = f"""SELECT ?build ?title (COUNT(?s) AS ?triples) WHERE {{
  GRAPH <{G}publication> {{ <{G}publication> <http://purl.org/dc/terms/identifier> ?build }}
  GRAPH <{G}data> {{ <https://w3id.org/sundhedsgraf/id/initiative/1.1>
      <http://purl.org/dc/terms/title> ?title FILTER(LANG(?title) = "da") }}
  GRAPH <{G}data> {{ ?s ?p ?o }} }} GROUP BY ?build ?title"""


def builds(folder: Path) -> list:
    """Build A (the project) and B (one title changed); their publications."""
    roots = []
    for name, change in (("A", False), ("B", True)):
        root = copy_project(folder / name)
        if change:
            path = root / "data" / "focus-area-1.ttl"
            path.write_text(path.read_text(encoding="utf-8").replace(OLD_TITLE, NEW_TITLE))
        with contextlib.redirect_stdout(sys.stderr):  # the build's summary
            roots.append(build_root(root))
    return [open_publication(root) for root in roots]


def read(url: str, seen: collections.Counter, pubs: list, stop: threading.Event) -> None:
    titles = {OLD_TITLE.split('"')[1]: 0, NEW_TITLE.split('"')[1]: 1}
    builds = {pub.id: i for i, pub in enumerate(pubs)}
    with httpx.Client(timeout=60) as http:
        while not stop.is_set():
            response = http.post(url, data={"query": ASK}, headers={"Accept": remote.SPARQL_JSON})
            if response.status_code != 200:
                seen[f"error {response.status_code}"] += 1
                continue
            for row in response.json()["results"]["bindings"]:
                build, title = builds[row["build"]["value"]], titles[row["title"]["value"]]
                kind = "ABCD"[build] if build == title else "mixed"
                seen[f"{kind} ({row['triples']['value']} triples)"] += 1


def run(kind: str, pubs: list, switches: int, readers: int, folder: Path) -> None:
    with STORES[kind](folder / kind) as store:
        http = remote.client(store.env)
        target = remote.Store(store.gsp_url, store.update_url, store.query_url, http)
        publish(pubs[0], target, dry_run=False, say=lambda line: None)
        seen, stop = collections.Counter(), threading.Event()
        threads = [
            threading.Thread(target=read, args=(store.query_url, seen, pubs, stop))
            for _ in range(readers)
        ]
        for thread in threads:
            thread.start()
        started = time.monotonic()
        for i in range(switches):
            publish(pubs[(i + 1) % 2], target, dry_run=False, say=lambda line: None)
        stop.set()
        for thread in threads:
            thread.join()
        http.close()
    took = time.monotonic() - started
    print(f"{kind}: {switches} switches in {took:.0f} s, {sum(seen.values())} answers")
    for answer, count in sorted(seen.items()):
        print(f"  {count:6}  {answer}")


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    options.add_argument("--switches", type=int, default=10)
    options.add_argument("--readers", type=int, default=2)
    options.add_argument("--stores", default="oxigraph,virtuoso")
    args = options.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        pubs = builds(Path(tmp))
        for kind in args.stores.split(","):
            run(kind, pubs, args.switches, args.readers, Path(tmp))


if __name__ == "__main__":
    main()

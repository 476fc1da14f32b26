"""The store modes over HTTP: with --store disk the server and its workers open the build's
on-disk store read-only, answer as memory mode does, never parse the dumps, and follow a build
switch (the old build's folder removed under them)."""

import json
import re
import shutil
from pathlib import Path

import pyoxigraph
import pytest
from conftest import REPO, builds, switch_to, wait_until

from sundhedsgraf.stores import DUMP, STORE

GROUP_CONCAT = re.compile(
    r'GROUP_CONCAT\([^;]*;\s*separator\s*=\s*"([^"]*)"\s*\)\s*AS\s+\?(\w+)', re.IGNORECASE
)
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
JSON_RESULTS = {"Accept": "application/sparql-results+json"}


def ask(server, query: str) -> dict:
    response = server.client.get("sparql", params={"query": query}, headers=JSON_RESULTS)
    assert response.status_code == 200, response.text
    return response.json()


def count(server) -> int:
    return int(ask(server, COUNT)["results"]["bindings"][0]["n"]["value"])


def quads_in(build: Path) -> int:
    return len(pyoxigraph.Store.read_only(str(build / STORE)))


def test_disk_mode_answers_the_competency_queries_as_memory_mode_does(start_server):
    memory, disk = start_server("--store", "memory"), start_server("--store", "disk")
    for path in sorted((REPO / "queries").glob("*.rq")):
        text = path.read_text(encoding="utf-8")
        expected = comparable(ask(memory, text), text)
        assert expected[1], path.name  # a question with an answer
        assert comparable(ask(disk, text), text) == expected, path.name


def comparable(answer: dict, query: str) -> tuple:
    """The variables and the solutions as a multiset, GROUP_CONCAT parts sorted: SPARQL leaves
    the order of ties and of the values GROUP_CONCAT joins to the engine, and the two stores
    scan their indexes in different orders."""
    joined = dict((v, s) for s, v in GROUP_CONCAT.findall(query))
    rows = []
    for row in answer["results"]["bindings"]:
        for name, separator in joined.items():
            if name in row:
                parts = sorted(row[name]["value"].split(separator))
                row[name]["value"] = separator.join(parts)
        rows.append(json.dumps(row, sort_keys=True))
    return answer["head"]["vars"], sorted(rows)


def test_workers_in_disk_mode_do_not_read_the_dump(real_root, tmp_path, start_server):
    """The dump made unreadable as RDF: memory mode cannot start on it, disk mode answers
    every quad from the store."""
    root = builds(tmp_path, real_root)
    expected = quads_in(root / "dist")
    (root / "dist" / DUMP).write_text("this is not N-Quads\n")
    with pytest.raises(RuntimeError, match="server exited"):
        start_server("--store", "memory", root=root)
    disk = start_server("--store", "disk", "--workers", "2", root=root)
    for _ in range(4):  # more queries than workers: each worker answers some
        assert count(disk) == expected
    for path in ("dist/store", "dist/store/CURRENT"):  # a folder for the server, not a file
        assert disk.client.get(path).status_code == 404, path


def test_a_build_switch_in_disk_mode_serves_the_new_build(real_root, built, tmp_path, start_server):
    """Switched from build A to B, and A's folder removed at once (as pruning does): every
    answer is A's or B's, none fails, and B's comes within seconds."""
    root = builds(tmp_path, built, real_root)
    assert (root / "dist" / STORE).is_dir()
    server = start_server("--store", "disk", root=root)
    a, b = count(server), quads_in(root / ".dist-builds" / "B")
    switch_to(root, "B")
    shutil.rmtree(root / ".dist-builds" / "A")
    seen = set()

    def switched() -> bool:
        seen.add(n := count(server))
        return n == b

    wait_until(switched, seconds=30)
    assert a != b and seen <= {a, b}

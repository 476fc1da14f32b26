"""The build's on-disk store (dist/store/): written with the build, atomically, holding what
the in-memory store holds; opened read-only in disk mode, with a fall back to loading."""

import json
import shutil

import pyoxigraph as ox
import pytest
from conftest import canonical_quads, snapshot

from sundhedsgraf.build import output as publish
from sundhedsgraf.build import pipeline
from sundhedsgraf.publication import build_folder, open_publication
from sundhedsgraf.stores import ENGINE, STORE, load_store, open_store


def test_the_store_holds_the_same_quads_as_the_dumps(built):
    folder = build_folder(built)
    on_disk = canonical_quads(ox.Store.read_only(str(folder / STORE)))
    loaded = canonical_quads(load_store(str(folder)))
    assert on_disk == loaded
    assert any("graph/dataset" in q for q in on_disk)  # the description, a graph of its own
    assert any("graph/data>" in q for q in on_disk)


def test_the_manifest_names_the_store_and_does_not_list_it_as_a_file(built):
    folder = build_folder(built)
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["store"] == {"folder": "store/", "engine": ENGINE}
    assert all(not entry["name"].startswith(STORE) for entry in manifest["files"])
    assert not any(name.startswith(STORE) for name in open_publication(built).files)


def test_disk_mode_opens_the_store_read_only(built):
    store = open_store(str(build_folder(built)), "disk")
    with pytest.raises(RuntimeError, match="read-write"):  # readers cannot change the build
        store.update("INSERT DATA { <http://e/s> <http://e/p> <http://e/o> }")
    assert canonical_quads(store) == canonical_quads(load_store(str(build_folder(built))))


@pytest.mark.parametrize("why", ["no store", "another engine"])
def test_a_build_without_a_usable_store_is_loaded_instead(built, why):
    folder = build_folder(built)
    if why == "no store":  # a build made before there were stores
        shutil.rmtree(folder / STORE)
    else:  # RocksDB files of another pyoxigraph are not opened
        manifest = json.loads((folder / "manifest.json").read_text())
        manifest["store"]["engine"] = "pyoxigraph 0.0.1"
        (folder / "manifest.json").write_text(json.dumps(manifest))
        shutil.rmtree(folder / STORE)
        (folder / STORE).mkdir()  # would fail to open, were it tried
    pub = open_publication(built, store="disk")
    assert canonical_quads(pub.store) == canonical_quads(load_store(str(folder)))


def test_a_deleted_build_does_not_break_a_reader_that_has_its_store_open(built):
    """Builds are pruned: a worker still on the old build answers from the files it holds."""
    folder = build_folder(built)
    expected = canonical_quads(load_store(str(folder)))
    store = open_store(str(folder), "disk")
    shutil.rmtree(folder)
    assert canonical_quads(store) == expected
    count = "SELECT (COUNT(*) AS ?n) { GRAPH ?g { ?s ?p ?o } }"
    assert int(next(iter(store.query(count)))["n"].value) == len(expected)


def test_a_build_that_fails_writing_its_store_leaves_dist_and_its_store_unchanged(
    built, cli, monkeypatch
):
    before = snapshot(built)  # the old store's files, byte for byte

    def fail(folder):
        (folder / STORE).mkdir()
        raise OSError("disk full")

    monkeypatch.setattr(pipeline, "write_store", fail)
    code, _, err = cli("build", "--root", built)
    assert code == 1 and "disk full" in err
    assert snapshot(built) == before
    assert [p.name for p in (built / publish.BUILDS).iterdir() if p.name.startswith(".")] == []

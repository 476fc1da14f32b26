"""pyoxigraph's own writer (evaluation.native) against ours (evaluation.serialize): the same answer,
byte for byte, in every format, and the same refusal past the row limit."""

from pathlib import Path

import pyoxigraph as ox
import pytest

from sundhedsgraf.formats import RDF, RESULTS
from sundhedsgraf.publication import open_publication
from sundhedsgraf.sparql.evaluation import Job, native, native_format, run, serialize

QUERIES = sorted((Path(__file__).resolve().parents[2] / "queries").glob("*.rq"))
CONSTRUCT = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } ORDER BY ?s ?p ?o LIMIT 300"
UNION = {"use_default_graph_as_union": True}


@pytest.fixture(scope="module")
def store(real_root) -> ox.Store:
    return open_publication(real_root).store


def job(max_rows=100_000, results_type=None, graph_type=None) -> Job:
    return Job(".", "", None, None, results_type, graph_type, max_rows, 1 << 30)


def slow(store: ox.Store, query: str, the_job: Job):
    return serialize(store.query(query, **UNION), the_job)


@pytest.mark.parametrize("media_type", [f.media_type for f in RESULTS])
@pytest.mark.parametrize("path", QUERIES, ids=lambda path: path.stem)
def test_select_answers_are_the_same(store, path, media_type):
    query = path.read_text(encoding="utf-8")
    the_job = job(results_type=media_type)
    assert run(store, the_job, query) == slow(store, query, the_job)


@pytest.mark.parametrize("media_type", [f.media_type for f in RDF])
def test_graph_answers_are_the_same(store, media_type):
    the_job = job(graph_type=media_type)
    assert native_format(store.query(CONSTRUCT, **UNION), the_job)
    answer = native(store.query(CONSTRUCT, **UNION), the_job)
    assert answer is not None and answer.body
    assert answer == slow(store, CONSTRUCT, the_job)


@pytest.mark.parametrize("query", ["ASK {}", "ASK { FILTER(false) }"])
def test_ask_answers_are_the_same(store, query):
    the_job = job(results_type="application/sparql-results+json")
    assert native(store.query(query), the_job) == serialize(store.query(query), the_job)


@pytest.mark.parametrize("rows", [0, 1, 2, 3, 50])
@pytest.mark.parametrize("max_rows", [0, 1, 2, 3, 49, 50])
def test_the_row_limit_holds_for_the_smallest_rows(max_rows, rows):
    # rows of no variables are the smallest JSON can write (`{}`)
    query = f"SELECT * {{ VALUES ?x {{ {' '.join(['UNDEF'] * rows)} }} }}"
    the_job = job(max_rows, results_type="application/sparql-results+json")
    answer = run(ox.Store(), the_job, query)
    assert answer == serialize(ox.Store().query(query), the_job)
    assert (answer.status == 400) == (rows > max_rows)


@pytest.mark.parametrize("max_rows", [1, 299, 300, 301])
def test_the_triple_limit_holds(store, max_rows):
    the_job = job(max_rows, graph_type="application/n-triples")
    answer = run(store, the_job, CONSTRUCT)
    assert answer == slow(store, CONSTRUCT, the_job)
    assert (answer.status == 400) == (max_rows < 300)


def test_a_big_answer_is_written_by_pyoxigraph_only_below_the_bound(store):
    # beyond max_rows + 1 bytes an answer might hold too many triples: counted the slow way
    size = len(slow(store, CONSTRUCT, job(graph_type="application/n-triples")).body)
    for max_rows, written in [(size - 1, False), (size, True)]:
        the_job = job(max_rows, graph_type="application/n-triples")
        assert (native(store.query(CONSTRUCT, **UNION), the_job) is not None) is written

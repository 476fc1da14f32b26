"""The SPARQL 1.1 endpoint of `sundhedsgraf serve`, over HTTP: protocol forms, datasets,
formats, content negotiation, bad requests, limits, the answer cache, the service description
and CORS. Answers are checked against pyoxigraph evaluating the same query on the built store."""

import csv
import io
import itertools
import threading
import time
from collections import Counter
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

import httpx
import openpyxl
import pyoxigraph as ox
import pytest
from conftest import assert_problem, media_type, wait_until

from sundhedsgraf.publication import build_folder, open_publication
from sundhedsgraf.stores import read_manifest

QUERIES = sorted((Path(__file__).resolve().parents[2] / "queries").glob("*.rq"))

JSON = "application/sparql-results+json"
XML = "application/sparql-results+xml"
CSV = "text/csv"
TSV = "text/tab-separated-values"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
RESULT_TYPES = (JSON, XML, CSV, TSV)
TURTLE = "text/turtle"
JSONLD = "application/ld+json"
NTRIPLES = "application/n-triples"
RDFXML = "application/rdf+xml"
TRIG = "application/trig"
NQUADS = "application/n-quads"
GRAPH_TYPES = (TURTLE, JSONLD, NTRIPLES, RDFXML, TRIG, NQUADS)
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"

SD = "http://www.w3.org/ns/sparql-service-description#"
VOID_TRIPLES = ox.NamedNode("http://rdfs.org/ns/void#triples")
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
# https://www.w3.org/ns/formats/: the W3C's names for the formats the endpoint writes
FORMAT_IRIS = {
    "http://www.w3.org/ns/formats/" + name
    for name in (
        "SPARQL_Results_JSON",
        "SPARQL_Results_XML",
        "SPARQL_Results_CSV",
        "SPARQL_Results_TSV",
        "Turtle",
        "N-Triples",
        "JSON-LD",
        "RDF_XML",
        "TriG",
        "N-Quads",
    )
} | {"http://www.iana.org/assignments/media-types/" + XLSX}

PREFIXES = """PREFIX sg: <https://w3id.org/sundhedsgraf/def#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
"""
# IRIs, typed and language-tagged literals, and unbound values, in a total order
FIGURES = (
    PREFIXES
    + """SELECT ?figure ?p ?o ?label WHERE {
  ?initiative a sg:Initiative ; dcterms:identifier "3.5" .
  ?figure sg:figureOf ?initiative ; ?p ?o .
  OPTIONAL { ?o rdfs:label ?label FILTER(LANG(?label) = "da") }
}
ORDER BY ?figure ?p ?o ?label"""
)
INITIATIVES = PREFIXES + "SELECT ?i WHERE { ?i a sg:Initiative }"
CONSTRUCT = PREFIXES + """CONSTRUCT { ?i ?p ?o } WHERE { ?i a sg:Initiative ; ?p ?o }"""
ASK_TRUE = PREFIXES + "ASK { ?i a sg:Initiative }"
ASK_FALSE = PREFIXES + "ASK { ?i a sg:NoSuchClass }"
ONE_ROW = "SELECT ?x WHERE { BIND(42 AS ?x) }"
ONE_TRIPLE = "CONSTRUCT { <http://example.org/s> <http://example.org/p> 42 } WHERE {}"
COUNT_ALL = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"

_nonces = itertools.count()


def fresh(query: str) -> str:
    """`query` with a comment no other request has, so that the answer cache cannot answer it."""
    return f"{query}\n# request {next(_nonces)} {time.monotonic_ns()}\n"


# --- what the endpoint should answer, from pyoxigraph directly ---


@pytest.fixture(scope="module")
def base(real_root) -> str:
    return read_manifest(build_folder(real_root))["base_iri"]


@pytest.fixture(scope="module")
def graphs(base) -> dict[str, str]:
    return {name: f"{base}graph/{name}" for name in ("data", "ontology", "dataset")}


@pytest.fixture(scope="module")
def store(real_root, graphs) -> ox.Store:
    """The built graphs, and the dataset description (dist/dataset.ttl) in graph/dataset."""
    built = open_publication(real_root).store
    built.load(
        path=real_root / "dist" / "dataset.ttl",
        format=ox.RdfFormat.TURTLE,
        to_graph=ox.NamedNode(graphs["dataset"]),
    )
    return built


def direct(store: ox.Store, query: str, **options):
    """The query evaluated by pyoxigraph; without options, on the union default graph."""
    return store.query(query, **(options or {"use_default_graph_as_union": True}))


def rows(solutions) -> tuple[list[str], list[tuple]]:
    """(variable names, rows of terms or None) of parsed or evaluated solutions."""
    names = [v.value for v in solutions.variables]
    return names, [tuple(solution[name] for name in names) for solution in solutions]


def number(store: ox.Store, query: str, **options) -> int:
    return int(next(iter(direct(store, query, **options)))[0].value)


def triples_of(quads) -> set[ox.Triple]:
    found = set()
    for quad in quads:
        assert quad.graph_name == ox.DefaultGraph(), quad
        found.add(ox.Triple(quad.subject, quad.predicate, quad.object))
    return found


# --- talking to the endpoint ---


def varies_on_accept(response: httpx.Response) -> bool:
    vary = response.headers.get("vary", "")
    return "accept" in {v.strip().lower() for v in vary.split(",")}


def get(client: httpx.Client, query: str, accept: str | None = None, **params) -> httpx.Response:
    headers = {"accept": accept} if accept else {}
    return client.get("/sparql", params={"query": query, **params}, headers=headers)


def without_accept(client: httpx.Client, query: str) -> httpx.Response:
    request = client.build_request("GET", "/sparql", params={"query": query})
    del request.headers["accept"]
    return client.send(request)


def parsed_results(response: httpx.Response):
    assert response.status_code == 200, response.text
    return ox.parse_query_results(
        response.content, ox.QueryResultsFormat.from_media_type(media_type(response))
    )


def parsed_graph(response: httpx.Response) -> set[ox.Triple]:
    assert response.status_code == 200, response.text
    rdf_format = ox.RdfFormat.from_media_type(media_type(response))
    return triples_of(ox.parse(response.content, format=rdf_format))


def csv_rows(body: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.decode("utf-8"), newline="")))


def all_idle(server) -> bool:
    state = server.client.get("/health").json()
    return state["idle_workers"] == state["workers"] and state["queries_in_flight"] == 0


def count_on_every_worker(server, workers: int = 2) -> set[int]:
    """COUNT_ALL answered afresh as many times as there are workers, so each one answers."""
    counts = set()
    for _ in range(2 * workers):
        response = get(server.client, fresh(COUNT_ALL))
        counts.add(int(next(iter(parsed_results(response)))["n"].value))
    return counts


# --- protocol forms ---


def test_get_post_form_and_post_query_give_the_direct_answer(server, store):
    # a non-ASCII literal, to show each form decodes UTF-8
    query = PREFIXES + 'SELECT ?l WHERE { ?x rdfs:label ?l FILTER(CONTAINS(?l, "æ")) } ORDER BY ?l'
    expected = rows(direct(store, query))
    assert expected[1], "the data has labels with æ"
    answers = [
        server.client.get("/sparql", params={"query": query}),
        server.client.post("/sparql", data={"query": query}),
        server.client.post(
            "/sparql",
            content=query.encode(),
            headers={"content-type": "application/sparql-query"},
        ),
        server.client.post(
            "/sparql",
            content=query.encode(),
            headers={"content-type": "application/sparql-query; charset=UTF-8"},
        ),
        server.client.post(
            "/sparql",
            content=f"query={httpx.QueryParams({'q': query})['q']}".encode(),
            headers={"content-type": "application/x-www-form-urlencoded; charset=utf-8"},
        ),
    ]
    for response in answers:
        assert media_type(response) == JSON
        assert rows(parsed_results(response)) == expected


def test_post_query_takes_the_dataset_from_the_url(server, store, graphs):
    query = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    response = server.client.post(
        "/sparql",
        params={"default-graph-uri": graphs["ontology"]},
        content=query.encode(),
        headers={"content-type": "application/sparql-query"},
    )
    ontology = ox.NamedNode(graphs["ontology"])
    expected = number(store, query, default_graph=[ontology], named_graphs=[])
    assert int(next(iter(parsed_results(response)))["n"].value) == expected


def test_default_graph_uri_restricts_the_default_graph(server, store, graphs):
    ontology = ox.NamedNode(graphs["ontology"])
    everything = get(server.client, ASK_TRUE)
    only_ontology = get(server.client, ASK_TRUE, **{"default-graph-uri": graphs["ontology"]})
    assert bool(parsed_results(everything)) is True
    assert bool(parsed_results(only_ontology)) is False

    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    in_ontology = len(list(store.quads_for_pattern(None, None, None, ontology)))
    response = get(server.client, count, **{"default-graph-uri": graphs["ontology"]})
    assert int(next(iter(parsed_results(response)))["n"].value) == in_ontology
    assert in_ontology < number(store, count)


def test_several_default_graph_uris_are_merged(server, store, graphs):
    query = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    chosen = [graphs["data"], graphs["ontology"]]
    response = server.client.get(
        "/sparql", params=[("query", query)] + [("default-graph-uri", g) for g in chosen]
    )
    expected = number(
        store, query, default_graph=[ox.NamedNode(g) for g in chosen], named_graphs=[]
    )
    assert int(next(iter(parsed_results(response)))["n"].value) == expected


def test_named_graph_uri_restricts_graph_variables(server, graphs):
    query = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } } ORDER BY ?g"
    every = [row[0].value for row in rows(parsed_results(get(server.client, query)))[1]]
    assert every == sorted(graphs.values())
    for name in ("data", "ontology"):
        response = server.client.post(
            "/sparql", data={"query": query, "named-graph-uri": graphs[name]}
        )
        assert [row[0].value for row in rows(parsed_results(response))[1]] == [graphs[name]]


def test_the_request_dataset_is_read_as_from_and_from_named(server, store, graphs):
    # SPARQL 1.1 Protocol 2.1.4: default-graph-uri and named-graph-uri give the dataset as
    # FROM and FROM NAMED do; a dataset with only one of them has none of the other (Query 13.2).
    data, ontology = graphs["data"], graphs["ontology"]
    cases = [
        ("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }", {"default-graph-uri": data}),
        ("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", {"named-graph-uri": data}),
        (
            "SELECT (COUNT(*) AS ?n) WHERE { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }",
            {"default-graph-uri": ontology, "named-graph-uri": data},
        ),
    ]
    for query, dataset in cases:
        clauses = "".join(
            f" FROM <{iri}>" if param == "default-graph-uri" else f" FROM NAMED <{iri}>"
            for param, iri in dataset.items()
        )
        with_from = query.replace(" WHERE", clauses + " WHERE", 1)
        expected = number(store, with_from, use_default_graph_as_union=False)
        response = get(server.client, query, **dataset)
        assert int(next(iter(parsed_results(response)))["n"].value) == expected, dataset


def test_from_in_the_query_chooses_the_dataset(server, store, graphs):
    ontology = ox.NamedNode(graphs["ontology"])
    in_ontology = len(list(store.quads_for_pattern(None, None, None, ontology)))
    query = f"SELECT (COUNT(*) AS ?n) FROM <{graphs['ontology']}> WHERE {{ ?s ?p ?o }}"
    assert int(next(iter(parsed_results(get(server.client, query))))["n"].value) == in_ontology
    # ... and the request's dataset overrides the query's
    data = ox.NamedNode(graphs["data"])
    in_data = len(list(store.quads_for_pattern(None, None, None, data)))
    response = get(server.client, query, **{"default-graph-uri": graphs["data"]})
    assert int(next(iter(parsed_results(response)))["n"].value) == in_data
    named = f"ASK FROM NAMED <{graphs['ontology']}> {{ GRAPH <{graphs['data']}> {{ ?s ?p ?o }} }}"
    assert bool(parsed_results(get(server.client, named))) is False


@pytest.mark.parametrize("param", ["default-graph-uri", "named-graph-uri"])
def test_an_unknown_graph_is_a_400(server, graphs, param):
    unknown = graphs["data"] + "-not-built"
    response = get(server.client, ASK_TRUE, **{param: unknown})
    assert_problem(response, 400, f"no graph {unknown}")
    response = server.client.post("/sparql", data={"query": ASK_TRUE, param: unknown})
    assert_problem(response, 400, f"no graph {unknown}")


# --- every format ---


@pytest.mark.parametrize("result_type", [JSON, XML, TSV])
def test_select_in_each_format(server, store, result_type):
    response = get(server.client, FIGURES, result_type)
    assert media_type(response) == result_type
    expected = rows(direct(store, FIGURES))
    assert any(None in row for row in expected[1]), "some rows have an unbound variable"
    assert rows(parsed_results(response)) == expected


def test_select_in_csv(server, store):
    response = get(server.client, FIGURES, CSV)
    assert response.status_code == 200
    assert media_type(response) == CSV
    names, expected = rows(direct(store, FIGURES))
    table = csv_rows(response.content)
    assert table[0] == names
    assert table[1:] == [["" if t is None else t.value for t in row] for row in expected]


@pytest.mark.parametrize("result_type", RESULT_TYPES)
@pytest.mark.parametrize("query", [ASK_TRUE, ASK_FALSE])
def test_ask_in_each_format(server, store, result_type, query):
    expected = bool(direct(store, query))
    response = get(server.client, query, result_type)
    assert response.status_code == 200
    assert media_type(response) == result_type
    if result_type == CSV:  # CSV defines no boolean; the endpoint writes it bare
        assert response.text.strip() == str(expected).lower()
    else:
        assert bool(parsed_results(response)) is expected


@pytest.mark.parametrize("graph_type", GRAPH_TYPES)
def test_construct_in_each_format(server, store, graph_type):
    response = get(server.client, CONSTRUCT, graph_type)
    assert media_type(response) == graph_type, response.text
    expected = set(direct(store, CONSTRUCT))
    assert len(expected) > 100
    assert parsed_graph(response) == expected


def test_relative_iris_resolve_against_the_endpoint_url(server):
    """W3C SPARQL 1.1 Protocol test query_content_type_construct: a relative IRI in a query
    resolves against the service's URL (Query 4.1.1, RFC 3986 5.1), it is no error."""
    query = "PREFIX dc: <http://purl.org/dc/elements/1.1/>\nCONSTRUCT { <s> <p> 1 } WHERE {}"
    headers = {"content-type": "application/sparql-query", "accept": f"{RDFXML}, {TURTLE}"}
    posted = server.client.post("/sparql", content=query, headers=headers)
    got = get(server.client, "BASE <base/> CONSTRUCT { <s> <../p> 1 } WHERE {}", TURTLE)
    one = ox.Literal("1", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer"))
    s, p = ox.NamedNode(server.url + "s"), ox.NamedNode(server.url + "p")
    assert parsed_graph(posted) == {ox.Triple(s, p, one)}
    assert parsed_graph(got) == {ox.Triple(ox.NamedNode(server.url + "base/s"), p, one)}


def test_a_relative_service_iri_is_checked_as_the_absolute_iri_it_names(server):
    response = get(server.client, "SELECT * WHERE { SERVICE <other/sparql> { } }")
    assert_problem(
        response, 400, f"SERVICE <{server.url}other/sparql> is not on this endpoint's allowlist"
    )


@pytest.mark.parametrize("graph_type", GRAPH_TYPES)
def test_describe_in_each_format(server, store, graph_type):
    find = PREFIXES + 'SELECT ?i WHERE { ?i a sg:Initiative ; dcterms:identifier "3.5" }'
    initiative = next(iter(direct(store, find)))["i"]
    query = f"DESCRIBE <{initiative.value}>"
    expected = set(direct(store, query))
    assert {t.subject for t in expected} == {initiative}
    response = get(server.client, query, graph_type)
    assert media_type(response) == graph_type
    assert parsed_graph(response) == expected


@pytest.mark.parametrize("path", QUERIES, ids=[p.stem for p in QUERIES])
def test_competency_query_through_the_endpoint(server, store, path):
    query = path.read_text(encoding="utf-8")
    names, expected = rows(direct(store, query))
    assert expected, f"{path.name} has answers"
    response = server.client.post(
        "/sparql", content=query.encode(), headers={"content-type": "application/sparql-query"}
    )
    got_names, got = rows(parsed_results(response))
    assert got_names == names
    assert Counter(got) == Counter(expected)


def xlsx_rows(body: bytes) -> list[list]:
    """The values of the one sheet of an XLSX answer, read back with openpyxl."""
    sheet = openpyxl.load_workbook(io.BytesIO(body), read_only=True).worksheets[0]
    return [list(row) for row in sheet.iter_rows(values_only=True)]


TYPED = """SELECT ?n ?d ?x ?day ?when ?yes ?s ?iri ?none WHERE {
  VALUES (?n ?d ?x ?day ?when ?yes ?s ?iri) {
    (42 2.5 1.5e3 "2025-05-31"^^xsd:date "2025-01-08T10:30:00"^^xsd:dateTime true "=1+1"@da
     <https://w3id.org/sundhedsgraf/id/system/fmk>)
  }
}"""


def test_select_as_xlsx_by_accept_and_by_format(server):
    query = "PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>\n" + TYPED
    by_accept, by_format = get(server.client, query, XLSX), get(server.client, query, format="xlsx")
    for response in (by_accept, by_format):
        assert response.status_code == 200, response.text
        assert media_type(response) == XLSX
        name = 'inline; filename="sundhedsgraf-query.xlsx"'
        assert response.headers["content-disposition"] == name
    header, row = xlsx_rows(by_format.content)
    assert header == ["n", "d", "x", "day", "when", "yes", "s", "iri", "none"]
    # numbers, dates and truth values as themselves; text stays text, even when it looks like
    # a formula; an unbound variable is an empty cell
    assert row == [
        42,
        2.5,
        1500,
        datetime(2025, 5, 31),
        datetime(2025, 1, 8, 10, 30),
        True,
        "=1+1",
        "https://w3id.org/sundhedsgraf/id/system/fmk",
        None,
    ]


def test_select_as_xlsx_holds_what_csv_holds(server):
    as_csv, as_xlsx = (get(server.client, FIGURES, format=f) for f in ("csv", "xlsx"))
    expected = csv_rows(as_csv.content)
    got = [["" if v is None else str(v) for v in row] for row in xlsx_rows(as_xlsx.content)]
    assert got == expected


def test_ask_as_xlsx(server):
    for query, expected in ((ASK_TRUE, True), (ASK_FALSE, False)):
        assert xlsx_rows(get(server.client, query, format="xlsx").content) == [
            ["boolean"],
            [expected],
        ]


@pytest.mark.parametrize(
    ("query", "format", "name"),
    [
        (ONE_ROW, "json", "sundhedsgraf-query.srj"),
        (ONE_ROW, "xml", "sundhedsgraf-query.srx"),
        (ONE_ROW, "csv", "sundhedsgraf-query.csv"),
        (ONE_ROW, "tsv", "sundhedsgraf-query.tsv"),
        (ONE_TRIPLE, "ttl", "sundhedsgraf-query.ttl"),
        (ONE_TRIPLE, "jsonld", "sundhedsgraf-query.jsonld"),
        (ONE_TRIPLE, "nq", "sundhedsgraf-query.nq"),
    ],
)
def test_every_answer_is_named_for_saving(server, query, format, name):
    response = get(server.client, query, format=format)
    assert response.headers["content-disposition"] == f'inline; filename="{name}"'
    posted = server.client.post("/sparql", data={"query": query, "format": format})
    assert posted.headers["content-disposition"] == f'inline; filename="{name}"'


def test_errors_and_the_service_description_are_not_named(server):
    assert "content-disposition" not in get(server.client, "SELEC").headers
    assert "content-disposition" not in server.client.get("/sparql").headers


# --- content negotiation ---

# Accept -> (type for a SELECT, type for a CONSTRUCT); None: 406
NEGOTIATION = {
    **{t: (t, None) for t in RESULT_TYPES},
    **{t: (None, t) for t in GRAPH_TYPES},
    "text/csv;q=0.5, application/sparql-results+xml;q=0.9, text/tab-separated-values;q=0.7, "
    "application/n-triples;q=0.4, application/rdf+xml;q=0.8": (XML, RDFXML),
    "*/*": (JSON, TURTLE),
    "application/*": (JSON, JSONLD),
    BROWSER: (XML, RDFXML),  # application/xml;q=0.9 beats */*;q=0.8
    "application/json": (JSON, JSONLD),
    "text/*;q=0.1, text/csv": (CSV, TURTLE),  # the more specific range counts
    "application/sparql-results+json;q=0, */*": (XML, TURTLE),
    "text/turtle;q=0, */*": (JSON, JSONLD),
    "text/csv;q=0, text/*": (TSV, TURTLE),
    "image/png": (None, None),
    "image/png, text/html;q=0.9": (None, None),
}


@pytest.mark.parametrize("accept", list(NEGOTIATION))
def test_content_negotiation(server, accept):
    for query, expected in zip((ONE_ROW, ONE_TRIPLE), NEGOTIATION[accept], strict=True):
        response = get(server.client, query, accept)
        if expected is None:
            assert_problem(response, 406, "Accept")
            continue
        assert response.status_code == 200, response.text
        assert media_type(response) == expected
        assert varies_on_accept(response)
        if query == ONE_ROW:
            if expected == CSV:
                assert csv_rows(response.content) == [["x"], ["42"]]
            else:
                assert next(iter(parsed_results(response)))["x"].value == "42"
        else:
            assert parsed_graph(response) == set(ox.Store().query(ONE_TRIPLE))


def test_no_accept_header_gives_json_and_turtle(server):
    assert media_type(without_accept(server.client, ONE_ROW)) == JSON
    assert media_type(without_accept(server.client, ASK_TRUE)) == JSON
    response = without_accept(server.client, ONE_TRIPLE)
    assert media_type(response) == TURTLE
    assert varies_on_accept(response)


def test_a_construct_asking_for_csv_is_a_406(server):
    response = get(server.client, ONE_TRIPLE, CSV)
    assert_problem(response, 406, "CONSTRUCT")
    response = get(server.client, ONE_ROW, TURTLE)
    assert_problem(response, 406, "SELECT")


@pytest.mark.parametrize(
    ("query", "format", "accept", "expected"),
    [
        (ONE_ROW, "json", CSV, JSON),
        (ONE_ROW, "csv", JSON, CSV),
        (ONE_ROW, "xml", JSON, XML),
        (ONE_ROW, "tsv", JSON, TSV),
        (ONE_ROW, TSV, JSON, TSV),
        (ASK_TRUE, "json", XML, JSON),
        (ONE_TRIPLE, "ttl", RDFXML, TURTLE),
        (ONE_TRIPLE, "json", TURTLE, JSONLD),
        (ONE_TRIPLE, "nt", TURTLE, NTRIPLES),
        (ONE_TRIPLE, NQUADS, TURTLE, NQUADS),
        (ONE_TRIPLE, RDFXML, "image/png", RDFXML),
    ],
)
def test_format_overrides_accept(server, query, format, accept, expected):
    response = get(server.client, query, accept, format=format)
    assert response.status_code == 200, response.text
    assert media_type(response) == expected
    if expected == CSV:
        assert csv_rows(response.content) == [["x"], ["42"]]
    elif expected in RESULT_TYPES:
        parsed_results(response)
    else:
        assert parsed_graph(response) == set(ox.Store().query(ONE_TRIPLE))


@pytest.mark.parametrize(
    ("query", "params", "accept", "expected"),
    [
        # the names and media types clients send, repeated, listed, in any of the three
        (ONE_ROW, {"output": "json"}, CSV, JSON),
        (ONE_ROW, {"results": "csv"}, JSON, CSV),
        (ONE_ROW, {"format": ["tsv", TSV], "output": ["tsv", TSV], "results": "tsv"}, JSON, TSV),
        (ONE_ROW, {"format": f"{XML}; charset=utf-8"}, JSON, XML),
        (ONE_ROW, {"format": "JSON "}, CSV, JSON),
        (ONE_TRIPLE, {"format": ["rdf+xml", RDFXML], "output": "rdf+xml"}, TURTLE, RDFXML),
        (ONE_TRIPLE, {"format": ["json-ld", f"{JSONLD},application/x-json+ld"]}, TURTLE, JSONLD),
        (ONE_TRIPLE, {"format": "n-triples"}, TURTLE, NTRIPLES),
        (ONE_TRIPLE, {"format": "application/json"}, TURTLE, JSONLD),
        # what names nothing we serve, or nothing for this query form, is left to Accept
        (ONE_ROW, {"format": "bogus"}, CSV, CSV),
        (ONE_ROW, {"format": ""}, TSV, TSV),
        (ONE_ROW, {"format": "text/html"}, None, JSON),
        (ONE_ROW, {"format": ["ttl", ""], "output": "n3"}, XML, XML),
        (ONE_TRIPLE, {"format": "n3"}, f"{TURTLE},text/n3", TURTLE),
        (ONE_TRIPLE, {"format": "csv"}, None, TURTLE),
        (ONE_TRIPLE, {"format": "csv"}, NQUADS, NQUADS),
    ],
)
def test_format_parameters_are_read_leniently(server, query, params, accept, expected):
    response = get(server.client, query, accept, **params)
    assert response.status_code == 200, response.text
    assert media_type(response) == expected


def test_a_format_that_fits_neither_query_nor_accept_is_a_406(server):
    assert_problem(get(server.client, ONE_ROW, TURTLE, format="ttl"), 406, "SELECT")
    assert_problem(get(server.client, ONE_TRIPLE, CSV, format="csv"), 406, "CONSTRUCT")


@pytest.mark.parametrize(
    "params",
    [
        {"format": ["json", "csv"]},
        {"format": "csv", "output": "tsv"},
        {"format": "json", "results": XML},
        {"format": f"{CSV},{TSV}"},
    ],
)
def test_format_parameters_that_disagree_are_a_400(server, params):
    response = get(server.client, ONE_ROW, **params)
    assert_problem(response, 400, "format parameters", "name different result formats")


# --- bad requests ---


@pytest.mark.parametrize(
    ("query", "position"),
    [
        ("SELEC * WHERE { ?s ?p ?o }", "1:10"),
        ("SELECT * WHERE {\n  ?s ?p ?o\n  FILTER(\n}", "4:"),
        ("ASK { ?s ?p }", "1:"),
    ],
)
def test_a_malformed_query_is_a_400_with_the_position(server, query, position):
    with pytest.raises(SyntaxError) as parser:
        ox.Store().query(query)
    assert f"error at {position}" in str(parser.value)  # where pyoxigraph's parser stops
    for response in (
        get(server.client, query),
        server.client.post("/sparql", data={"query": query}),
    ):
        assert_problem(response, 400, "does not parse", str(parser.value))


def test_an_error_the_worker_writes_is_never_sniffed(server):
    query = fresh('SELECT * WHERE { ?s ?p "<script>alert(1)</script>" ')  # does not parse
    for _ in range(2):  # evaluated, then from the answer cache
        response = get(server.client, query)
        assert_problem(response, 400, "does not parse")
        assert response.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize(
    ("send", "status", "message"),
    [
        (lambda c: c.get("/sparql", params=[("query", ONE_ROW), ("query", ONE_ROW)]), 400, "not 2"),
        (lambda c: c.post("/sparql", data={"query": [ONE_ROW, ONE_ROW]}), 400, "not 2"),
        (
            lambda c: c.post("/sparql", params={"query": ONE_ROW}, data={"query": ONE_ROW}),
            400,
            "not 2",
        ),
        (lambda c: c.get("/sparql", params={"query": ""}), 400, "empty"),
        (lambda c: c.get("/sparql", params={"query": " \n\t "}), 400, "empty"),
        (lambda c: c.post("/sparql", data={"query": ""}), 400, "empty"),
        (
            lambda c: c.post(
                "/sparql", content=b"", headers={"content-type": "application/sparql-query"}
            ),
            400,
            "empty",
        ),
        (lambda c: c.post("/sparql", data={"format": "json"}), 400, "not 0"),
        (
            lambda c: c.post(
                "/sparql",
                content=b"",
                headers={"content-type": "application/x-www-form-urlencoded"},
            ),
            400,
            "not 0",
        ),
        (lambda c: c.get("/sparql", params={"format": "json"}), 400, "not 0"),
        (lambda c: c.post("/sparql", content=ONE_ROW.encode()), 415, "Content-Type"),
        (
            lambda c: c.post(
                "/sparql", content=ONE_ROW.encode(), headers={"content-type": "text/plain"}
            ),
            415,
            "text/plain",
        ),
        (
            lambda c: c.post("/sparql", json={"query": ONE_ROW}),
            415,
            "application/json",
        ),
        (
            lambda c: c.post(
                "/sparql",
                content=b'SELECT ?x WHERE { BIND("\xff\xfe" AS ?x) }',
                headers={"content-type": "application/sparql-query"},
            ),
            400,
            "not UTF-8",
        ),
        (
            lambda c: c.post(
                "/sparql",
                content=b"query=ASK%20%7B%7D&x=\xff",
                headers={"content-type": "application/x-www-form-urlencoded"},
            ),
            400,
            "not UTF-8",
        ),
        (
            lambda c: c.get("/sparql", params={"query": ONE_ROW, "format": ["json", "csv"]}),
            400,
            "format",
        ),
    ],
)
def test_bad_requests(server, send, status, message):
    assert_problem(send(server.client), status, message)


UPDATES = [
    "INSERT DATA { <http://example.org/s> <http://example.org/p> 1 }",
    "DELETE DATA { <https://w3id.org/sundhedsgraf/id/dataset> <http://example.org/p> 1 }",
    "DELETE WHERE { ?s ?p ?o }",
    "INSERT { ?s <http://example.org/p> 1 } WHERE { ?s ?p ?o }",
    "DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
    "WITH <https://w3id.org/sundhedsgraf/graph/data> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
    "WITH <https://w3id.org/sundhedsgraf/graph/data> DELETE { ?s ?p ?o } "
    "INSERT { ?s ?p 1 } WHERE { ?s ?p ?o }",
    "LOAD <https://w3id.org/sundhedsgraf/dist/sundhedsgraf.ttl>",
    "LOAD SILENT <https://w3id.org/sundhedsgraf/dist/sundhedsgraf.ttl> INTO GRAPH <http://e/g>",
    "CLEAR ALL",
    "CLEAR DEFAULT",
    "CLEAR GRAPH <https://w3id.org/sundhedsgraf/graph/data>",
    "DROP ALL",
    "DROP SILENT GRAPH <https://w3id.org/sundhedsgraf/graph/ontology>",
    "CREATE GRAPH <http://example.org/g>",
    "ADD <https://w3id.org/sundhedsgraf/graph/data> TO <http://example.org/g>",
    "MOVE <https://w3id.org/sundhedsgraf/graph/data> TO DEFAULT",
    "COPY DEFAULT TO <https://w3id.org/sundhedsgraf/graph/data>",
    "PREFIX ex: <http://example.org/> INSERT DATA { ex:s ex:p ex:o }",
    "ASK {} ; DROP ALL",
    "clear all",
]


def test_updates_are_refused_in_every_form(server):
    before = count_on_every_worker(server)
    assert len(before) == 1
    for update in UPDATES:
        sent = [
            get(server.client, update),
            server.client.post("/sparql", data={"query": update}),
            server.client.post(
                "/sparql",
                content=update.encode(),
                headers={"content-type": "application/sparql-query"},
            ),
            server.client.post("/sparql", data={"update": update}),
            server.client.get("/sparql", params={"update": update}),
            server.client.post(
                "/sparql",
                content=update.encode(),
                headers={"content-type": "application/sparql-update"},
            ),
        ]
        for response in sent:
            assert 400 <= response.status_code < 500, (update, response.status_code)
            assert media_type(response) == "text/plain"
        for response in sent[3:]:
            assert_problem(response, 403, "read-only")
    assert count_on_every_worker(server) == before


# --- limits ---


def test_a_query_longer_than_max_query_bytes_is_a_413(start_server):
    limited = start_server("--max-query-bytes", "1000")
    just_fits = "ASK {}" + " " * (1000 - len("ASK {}"))
    # the limit is in bytes: 600 characters of ø are 1200 bytes
    too_long = ["ASK {}" + " " * 995, "ASK {} # " + "ø" * 600]
    assert bool(parsed_results(get(limited.client, just_fits))) is True
    for query in too_long:
        sent = [
            get(limited.client, query),
            limited.client.post("/sparql", data={"query": query}),
            limited.client.post(
                "/sparql",
                content=query.encode(),
                headers={"content-type": "application/sparql-query"},
            ),
        ]
        for response in sent:
            assert_problem(response, 413, "1000 bytes")
    huge = b"ASK {}" + b" " * 100_000
    response = limited.client.post(
        "/sparql", content=huge, headers={"content-type": "application/sparql-query"}
    )
    assert_problem(response, 413, "bytes")


def test_default_limit_on_request_size(server):
    query = "ASK {}" + " " * 200_000
    response = server.client.post(
        "/sparql", content=query.encode(), headers={"content-type": "application/sparql-query"}
    )
    assert_problem(response, 413, "bytes")
    assert_problem(server.client.post("/sparql", data={"query": query}), 413, "bytes")


def test_row_and_result_size_caps(start_server, store):
    capped = start_server("--max-rows", "10", "--max-result-bytes", "2000")
    initiatives = len(list(direct(store, INITIATIVES)))
    assert initiatives > 10
    assert_problem(get(capped.client, INITIATIVES), 400, "more than", "limit of 10 rows")
    assert_problem(get(capped.client, CONSTRUCT), 400, "limit of 10 rows")
    _, ten = rows(parsed_results(get(capped.client, INITIATIVES + " LIMIT 10")))
    assert len(ten) == 10
    assert set(ten) <= set(rows(direct(store, INITIATIVES))[1])
    exactly = PREFIXES + "SELECT ?i WHERE { ?i a sg:Initiative } LIMIT 10"
    assert len(csv_rows(get(capped.client, exactly, CSV).content)) == 11

    big = 'SELECT ?x WHERE { BIND("' + "a" * 3000 + '" AS ?x) }'
    assert_problem(get(capped.client, big), 400, "larger than", "2000 bytes")
    small = 'SELECT ?x WHERE { BIND("' + "a" * 100 + '" AS ?x) }'
    assert next(iter(parsed_results(get(capped.client, small))))["x"].value == "a" * 100


LONG = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


def in_background(url: str, query: str) -> tuple[threading.Thread, dict]:
    """Send `query` on its own connection in a thread; the dict gets response and elapsed."""
    outcome: dict = {}

    def send():
        with httpx.Client(base_url=url, timeout=120) as client:
            started = time.monotonic()
            outcome["response"] = client.get("/sparql", params={"query": query})
            outcome["elapsed"] = time.monotonic() - started

    thread = threading.Thread(target=send, daemon=True)
    thread.start()
    return thread, outcome


def test_time_limit_stops_a_long_query_without_blocking_others(start_server, store):
    limited = start_server("--time-limit", "1", "--workers", "2")
    thread, outcome = in_background(limited.url, LONG)
    wait_until(lambda: limited.client.get("/health").json()["queries_in_flight"] == 1)

    with httpx.Client(base_url=limited.url, timeout=30) as other:
        started = time.monotonic()
        response = get(other, ASK_TRUE)
        elapsed = time.monotonic() - started
    assert bool(parsed_results(response)) is True
    assert elapsed < 1.0, f"a trivial query waited {elapsed:.2f} s behind a long one"

    thread.join(60)
    assert not thread.is_alive()
    stopped = outcome["response"]
    assert_problem(stopped, 503, "time limit of 1 s")
    assert "retry-after" in stopped.headers
    assert outcome["elapsed"] >= 1.0

    # the killed worker is replaced
    wait_until(lambda: all_idle(limited))
    assert count_on_every_worker(limited) == {number(store, COUNT_ALL)}
    assert limited.process.poll() is None


def test_a_full_queue_is_a_503_with_retry_after(start_server):
    busy = start_server("--workers", "1", "--max-queue", "0", "--time-limit", "3")
    thread, outcome = in_background(busy.url, LONG)
    wait_until(lambda: busy.client.get("/health").json()["queries_in_flight"] == 1)
    response = get(busy.client, fresh(ASK_TRUE))
    assert_problem(response, 503, "busy")
    assert int(response.headers["retry-after"]) >= 0
    thread.join(60)
    assert_problem(outcome["response"], 503, "time limit")
    wait_until(lambda: all_idle(busy))
    assert bool(parsed_results(get(busy.client, fresh(ASK_TRUE)))) is True


def test_beyond_workers_plus_queue_is_a_503_with_retry_after(start_server):
    # one client fills the pool: its share is all of it
    options = ("--workers", "1", "--max-queue", "1", "--time-limit", "3", "--client-share", "1")
    busy = start_server(*options)
    running = [in_background(busy.url, LONG)]
    wait_until(lambda: busy.client.get("/health").json()["queries_in_flight"] == 1)
    running.append(in_background(busy.url, LONG.replace("?i }", "?i . ?j ?k ?l }")))
    wait_until(lambda: busy.client.get("/health").json()["queries_in_flight"] == 2)
    response = get(busy.client, fresh(ASK_TRUE))
    assert_problem(response, 503, "busy")
    assert int(response.headers["retry-after"]) >= 0
    for thread, outcome in running:
        thread.join(60)
        assert outcome["response"].status_code == 503, outcome["response"].text
    wait_until(lambda: all_idle(busy))
    assert bool(parsed_results(get(busy.client, fresh(ASK_TRUE)))) is True


# --- the answer cache ---


def test_repeated_requests_share_body_and_etag(server):
    query = fresh(FIGURES)
    first = get(server.client, query, TSV)
    second = get(server.client, query, TSV)
    assert first.status_code == second.status_code == 200
    assert first.content == second.content
    etag = first.headers["etag"]
    assert etag and second.headers["etag"] == etag
    posted = server.client.post("/sparql", data={"query": query}, headers={"accept": TSV})
    assert posted.content == first.content and posted.headers["etag"] == etag

    response = server.client.get(
        "/sparql", params={"query": query}, headers={"accept": TSV, "if-none-match": etag}
    )
    assert response.status_code == 304
    assert response.content == b""
    assert response.headers["etag"] == etag
    response = server.client.get(
        "/sparql",
        params={"query": query},
        headers={"accept": TSV, "if-none-match": '"something-else"'},
    )
    assert response.status_code == 200 and response.content == first.content
    # another format is another answer, with another ETag
    other = get(server.client, query, JSON)
    assert other.status_code == 200 and other.headers["etag"] != etag


def test_a_repeated_get_is_answered_without_reading_the_request_again(app_server, monkeypatch):
    """The cache is keyed by a GET's raw query string and Accept: a repeat is neither parsed
    nor negotiated again; another Accept or another spelling of the text is read anew."""
    from sundhedsgraf.sparql import protocol

    reads = []
    read_request = protocol.read_request

    async def counted(request, settings):
        reads.append(request.url.query)
        return await read_request(request, settings)

    monkeypatch.setattr(protocol, "read_request", counted)
    query = fresh(FIGURES)
    first = get(app_server.client, query, TSV)
    again = get(app_server.client, query, TSV)
    assert len(reads) == 1
    assert again.content == first.content and again.headers["etag"] == first.headers["etag"]
    assert again.headers["content-disposition"] == first.headers["content-disposition"]
    as_json = get(app_server.client, query, JSON)
    assert len(reads) == 2 and media_type(as_json) == JSON
    spelled_apart = "/sparql?query=" + quote(query, safe="")  # %20 where httpx writes +
    assert spelled_apart != str(first.request.url.raw_path, "ascii")
    spelled_apart = app_server.client.get(spelled_apart, headers={"accept": TSV})
    assert len(reads) == 3 and spelled_apart.content == first.content


# --- the service description ---


def service_graph(response: httpx.Response) -> set[ox.Triple]:
    assert response.status_code == 200, response.text
    rdf_format = ox.RdfFormat.from_media_type(media_type(response))
    return triples_of(ox.parse(response.content, format=rdf_format))


def objects(graph: set[ox.Triple], subject, predicate: str) -> set:
    return {t.object for t in graph if t.subject == subject and t.predicate.value == predicate}


def canonical(graph: set[ox.Triple]) -> ox.Dataset:
    dataset = ox.Dataset(ox.Quad(t.subject, t.predicate, t.object) for t in graph)
    dataset.canonicalize(ox.CanonicalizationAlgorithm.UNSTABLE)
    return dataset


def check_service_description(graph: set[ox.Triple], url: str, store: ox.Store, graphs) -> None:
    service = ox.NamedNode(url + "sparql")
    assert ox.Triple(service, RDF_TYPE, ox.NamedNode(SD + "Service")) in graph
    assert objects(graph, service, SD + "endpoint") == {service}
    assert {f.value for f in objects(graph, service, SD + "resultFormat")} == FORMAT_IRIS
    assert ox.NamedNode(SD + "UnionDefaultGraph") in objects(graph, service, SD + "feature")
    assert ox.NamedNode(SD + "SPARQL11Query") in objects(graph, service, SD + "supportedLanguage")
    (dataset,) = objects(graph, service, SD + "defaultDataset")
    (default,) = objects(graph, dataset, SD + "defaultGraph")
    union = {(q.subject, q.predicate, q.object) for q in store.quads_for_pattern(None, None, None)}
    (size,) = objects(graph, default, VOID_TRIPLES.value)
    assert int(size.value) == len(union)
    named = {}
    for entry in objects(graph, dataset, SD + "namedGraph"):
        (name,) = objects(graph, entry, SD + "name")
        (described,) = objects(graph, entry, SD + "graph")
        (size,) = objects(graph, described, VOID_TRIPLES.value)
        named[name.value] = int(size.value)
    assert named == {
        iri: len(list(store.quads_for_pattern(None, None, None, ox.NamedNode(iri))))
        for iri in graphs.values()
    }


def test_service_description_without_federation(server, store, graphs):
    turtle = server.client.get("/sparql")
    assert media_type(turtle) == TURTLE
    assert varies_on_accept(turtle)
    graph = service_graph(turtle)
    check_service_description(graph, server.url, store, graphs)
    service = ox.NamedNode(server.url + "sparql")
    assert ox.NamedNode(SD + "BasicFederatedQuery") not in objects(graph, service, SD + "feature")

    jsonld = server.client.get("/sparql", headers={"accept": JSONLD})
    assert media_type(jsonld) == JSONLD
    assert canonical(service_graph(jsonld)) == canonical(graph)
    assert without_accept_sd(server).content == turtle.content


def without_accept_sd(server) -> httpx.Response:
    request = server.client.build_request("GET", "/sparql")
    del request.headers["accept"]
    response = server.client.send(request)
    assert media_type(response) == TURTLE
    return response


def test_service_description_with_federation(start_server, store, graphs):
    federated = start_server("--service-allowlist", "http://127.0.0.1:9/sparql")
    graph = service_graph(federated.client.get("/sparql"))
    check_service_description(graph, federated.url, store, graphs)
    service = ox.NamedNode(federated.url + "sparql")
    assert ox.NamedNode(SD + "BasicFederatedQuery") in objects(graph, service, SD + "feature")


# --- CORS ---


def test_cors_on_answers(server):
    origin = {"origin": "https://example.org"}
    for response in [
        server.client.get("/sparql", params={"query": ASK_TRUE}, headers=origin),
        server.client.post("/sparql", data={"query": ASK_TRUE}, headers=origin),
        server.client.get("/sparql", params={"query": "SELEC"}, headers=origin),
        server.client.get("/sparql", headers=origin),
    ]:
        assert response.headers["access-control-allow-origin"] == "*"
        assert "access-control-allow-credentials" not in response.headers


def test_cors_preflight(server):
    response = server.client.options(
        "/sparql",
        headers={
            "origin": "https://example.org",
            "access-control-request-method": "POST",
            "access-control-request-headers": "content-type",
        },
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "*"
    methods = {m.strip() for m in response.headers["access-control-allow-methods"].split(",")}
    assert "POST" in methods
    allowed = response.headers["access-control-allow-headers"].lower()
    assert "content-type" in {h.strip() for h in allowed.split(",")}
    assert "access-control-allow-credentials" not in response.headers


@pytest.mark.parametrize("limit", [1, 250, 500, 1000, 2000, None])
@pytest.mark.parametrize("form", ["SELECT", "CONSTRUCT"])
def test_answers_of_every_size_arrive_whole(server, store, form, limit):
    # Small answers are read on the event loop, big ones (over 256 KiB) off it; sizes in
    # between outgrow the pipe's buffer and arrive in pieces.
    pattern = "{ ?s ?p ?o }"
    head = "?s ?p ?o" if form == "SELECT" else pattern
    query = f"{form} {head} WHERE {pattern} ORDER BY ?s ?p ?o"
    query += f" LIMIT {limit}" if limit else ""
    expected = len(list(direct(store, query)))
    for _ in range(3):
        response = get(server.client, fresh(query), NTRIPLES if form == "CONSTRUCT" else JSON)
        assert response.status_code == 200, response.text
        if form == "SELECT":
            assert len(response.json()["results"]["bindings"]) == expected
        else:
            assert len(parsed_graph(response)) == expected

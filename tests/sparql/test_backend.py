"""`serve --sparql-backend URL`: /sparql answered by a remote store, with the endpoint's guard,
limits, fairness, formats and answer cache in front, and pages still made from the build.

The store is a real `oxigraph serve` loaded with the build; slow, failing and counting stores
are local stubs, and a down one a port nobody listens on.
"""

import base64
import http.server
import io
import json
import socket
import threading
import time
from pathlib import Path
from urllib.parse import parse_qs

import httpx
import openpyxl
import pyoxigraph as ox
import pytest
from conftest import Server, assert_problem, media_type
from stores import oxigraph_store
from test_pool import in_background, in_flight

from sundhedsgraf.publication import open_publication
from sundhedsgraf.stores import DESCRIPTION, DUMP

QUERIES = sorted((Path(__file__).resolve().parents[2] / "queries").glob("*.rq"))
SG = "PREFIX sg: <https://w3id.org/sundhedsgraf/def#>\n"
LABELS = (
    "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n" + SG + "SELECT ?i ?label "
    "WHERE { ?i a sg:Initiative ; rdfs:label ?label } ORDER BY ?i ?label LIMIT 30"
)
EMPTY = b'{"head":{"vars":["x"]},"results":{"bindings":[]}}'
RESULTS_JSON = "application/sparql-results+json"


@pytest.fixture(scope="module")
def store(real_root, tmp_path_factory):
    """Oxigraph's server holding the build, loaded as `publish` would: every named graph of
    the dump, and the description in <base>graph/dataset."""
    pub = open_publication(real_root)
    with oxigraph_store(tmp_path_factory.mktemp("oxigraph")) as running:
        for path, graph, kind in (
            (DUMP, None, "application/n-quads"),
            (DESCRIPTION, pub.base + "graph/dataset", "text/turtle"),
        ):
            params = {"graph": graph} if graph else {}
            body = (pub.folder / path).read_bytes()
            headers = {"Content-Type": kind}
            httpx.post(
                running.gsp_url, params=params, content=body, headers=headers
            ).raise_for_status()
        yield running


@pytest.fixture(scope="module")
def fronted(store, real_root):
    server = Server(real_root, "--sparql-backend", store.query_url)
    yield server
    server.stop()


class Stub(http.server.ThreadingHTTPServer):
    """A store that answers every query after `delay` seconds with `status` and `body` (and
    `headers`), and keeps the forms of the queries that are not health checks."""

    daemon_threads = True

    def __init__(self, delay=0.0, body=EMPTY, status=200, headers=None, authorization=None):
        self.delay, self.body, self.status = delay, body, status
        self.headers = {"Content-Type": RESULTS_JSON if status == 200 else "text/plain"}
        self.headers |= headers or {}
        self.authorization = authorization  # if set: the Authorization header required
        self.forms: list[dict] = []
        self.accepts: list[str] = []  # the Accept header of each of those queries

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                stub = self.server
                body = self.rfile.read(int(self.headers.get("content-length", 0))).decode()
                if self.headers.get("content-type") == "application/sparql-query":
                    form = {"query": [body]}  # as a store sends SERVICE calls
                else:
                    form = parse_qs(body)
                if stub.authorization and self.headers.get("authorization") != stub.authorization:
                    return self.answer(401, {"Content-Type": "text/plain"}, b"who are you?")
                if "graph/publication" not in form["query"][0]:  # not the health check's
                    stub.forms.append(form)
                    stub.accepts.append(self.headers.get("accept"))
                time.sleep(stub.delay)
                self.answer(stub.status, stub.headers, stub.body)

            def version_string(self):  # the Server header
                return self.server.headers.get("Server", "stub")

            def answer(self, status, headers, body):
                self.send_response(status)
                for name, value in {**headers, "Content-Length": str(len(body))}.items():
                    if name != "Server":
                        self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def queries(self) -> list[str]:
        return [form["query"][0] for form in self.forms]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/sparql"

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


def basic(password: str) -> str:
    return "Basic " + base64.b64encode(f"reader:{password}".encode()).decode()


@pytest.fixture
def stub():
    started = []

    def start(**options) -> Stub:
        started.append(Stub(**options))
        return started[-1]

    yield start
    for running in started:
        running.stop()


def solutions(response: httpx.Response) -> tuple[list, list]:
    """(variables, bindings in a fixed order) of a SPARQL JSON answer. GROUP_CONCAT joins in
    the order the engine meets the values, which differs between two stores of the same
    data, so the words of a literal are compared as a sorted list."""
    assert response.status_code == 200, response.text
    document = response.json()
    rows = sorted(
        json.dumps({name: words(term) for name, term in b.items()}, sort_keys=True)
        for b in document["results"]["bindings"]
    )
    return document["head"]["vars"], rows


def words(term: dict) -> dict:
    if term["type"] != "literal":
        return term
    return term | {"value": sorted(term["value"].replace(",", " ").split())}


@pytest.mark.parametrize("path", QUERIES, ids=lambda p: p.stem)
def test_the_competency_queries_answer_as_the_embedded_endpoint_does(server, fronted, path):
    query = path.read_text(encoding="utf-8")
    ours = solutions(server.client.get("/sparql", params={"query": query, "format": "json"}))
    theirs = solutions(fronted.client.get("/sparql", params={"query": query, "format": "json"}))
    assert theirs == ours
    assert ours[1], "the query has an answer"


def test_graph_queries_and_datasets_answer_as_the_embedded_endpoint_does(server, fronted):
    pub_graphs = server.client.get(
        "/sparql", params={"query": "SELECT DISTINCT ?g { GRAPH ?g {} }", "format": "json"}
    )
    graphs = [b["g"]["value"] for b in pub_graphs.json()["results"]["bindings"]]
    data = next(g for g in graphs if g.endswith("graph/data"))
    asks = [
        {"query": "SELECT DISTINCT ?g { GRAPH ?g {} }"},  # every named graph
        {"query": "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }"},  # the union as the default graph
        {"query": f"SELECT (COUNT(*) AS ?n) FROM <{data}> {{ ?s ?p ?o }}"},
        {"query": "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }", "default-graph-uri": data},
        {"query": "SELECT ?s { ?s <label> ?o } LIMIT 1"},  # relative IRI: our base
    ]
    for params in asks:
        params |= {"format": "json"}
        ours = solutions(server.client.get("/sparql", params=params))
        assert solutions(fronted.client.get("/sparql", params=params)) == ours, params
    construct = SG + "CONSTRUCT { ?i a sg:Initiative } WHERE { ?i a sg:Initiative }"
    for client in (server.client, fronted.client):
        answer = client.get(
            "/sparql", params={"query": construct}, headers={"Accept": "text/turtle"}
        )
        assert media_type(answer) == "text/turtle", answer.text
    ours, theirs = (
        set(
            ox.parse(
                c.get("/sparql", params={"query": construct, "format": "nt"}).content,
                ox.RdfFormat.N_TRIPLES,
            )
        )
        for c in (server.client, fronted.client)
    )
    assert theirs == ours and ours


@pytest.mark.parametrize("fmt", ["json", "xml", "csv", "tsv"])
def test_every_result_format_is_written_as_the_embedded_endpoint_writes_it(server, fronted, fmt):
    params = {"query": LABELS, "format": fmt}
    ours = server.client.get("/sparql", params=params)
    theirs = fronted.client.get("/sparql", params=params)
    assert theirs.status_code == ours.status_code == 200
    assert media_type(theirs) == media_type(ours)
    assert theirs.content == ours.content


def test_spreadsheets_and_turtle_through_the_store(fronted):
    sheet = fronted.client.get("/sparql", params={"query": LABELS, "format": "xlsx"})
    assert sheet.status_code == 200
    rows = list(openpyxl.load_workbook(io.BytesIO(sheet.content)).active.values)
    assert rows[0] == ("i", "label") and len(rows) == 31
    excel = fronted.client.get("/sparql", params={"query": LABELS}, headers={"Accept": "text/csv"})
    assert excel.text.startswith("i,label\r\n")


def test_row_and_byte_limits_hold(start_server, store):
    limited = start_server(
        "--sparql-backend", store.query_url, "--max-rows", "10", "--max-result-bytes", "3000"
    )
    many = "SELECT ?s WHERE { ?s ?p ?o } LIMIT 11"
    assert_problem(limited.client.get("/sparql", params={"query": many}), 400, "limit of 10 rows")
    wide = "SELECT ?s ?p ?o WHERE { ?s ?p ?o } LIMIT 10"
    answer = limited.client.get("/sparql", params={"query": wide, "format": "xml"})
    assert_problem(answer, 400, "limit of 3000 bytes")
    fine = limited.client.get("/sparql", params={"query": "SELECT ?s { ?s ?p ?o } LIMIT 10"})
    assert fine.status_code == 200


def test_a_json_answer_is_passed_on_as_it_came_only_when_it_cannot_hold_too_many_rows(
    start_server, stub
):
    rows = [{"x": {"type": "literal", "value": str(n)}} for n in range(3)]
    body = json.dumps({"head": {"vars": ["x"]}, "results": {"bindings": rows}}, indent=1)
    spaced = stub(body=body.encode())  # not as we would write it
    for max_rows, expected in (("1000", 200), ("2", 400)):
        server = start_server("--sparql-backend", spaced.url, "--max-rows", max_rows)
        query = {"query": f"SELECT ?x WHERE {{ ?x ?y {max_rows} }}"}
        answer = server.client.get("/sparql", params=query | {"format": "json"})
        assert answer.status_code == expected, answer.text
        if expected == 200:  # short enough: as the store wrote it
            assert answer.content == body.encode()
            xml = server.client.get("/sparql", params=query | {"format": "xml"})
            assert xml.text.count("<result>") == 3  # another format: written by us
        else:  # long enough for 3 rows: read, and the row limit holds
            assert_problem(answer, 400, "limit of 2 rows")


def test_updates_and_foreign_services_never_reach_the_store(start_server, stub):
    counting = stub()
    server = start_server("--sparql-backend", counting.url)
    update = "INSERT DATA { <urn:a> <urn:b> <urn:c> }"
    assert server.client.get("/sparql", params={"update": update}).status_code == 403
    posted = server.client.post(
        "/sparql", content=update, headers={"Content-Type": "application/sparql-update"}
    )
    assert posted.status_code == 403
    assert server.client.get("/sparql", params={"query": update}).status_code == 403
    service = "SELECT * { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }"
    assert_problem(server.client.get("/sparql", params={"query": service}), 400, "SERVICE")
    assert counting.queries == []


def test_a_repeated_query_is_answered_from_the_cache(start_server, stub):
    counting = stub()
    server = start_server("--sparql-backend", counting.url)
    query = "SELECT ?x WHERE { ?x ?p ?o }"
    first = server.client.get("/sparql", params={"query": query})
    second = server.client.get("/sparql", params={"query": query})
    assert first.status_code == second.status_code == 200
    assert first.content == second.content
    assert len(counting.queries) == 1


def test_a_store_that_is_down_gets_a_quick_502_and_health_says_so(start_server):
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))  # bound, never listening: connections are refused
    url = f"http://127.0.0.1:{closed.getsockname()[1]}/query"
    try:
        server = start_server("--sparql-backend", url)
        started = time.monotonic()
        answer = server.client.get("/sparql", params={"query": "ASK {}"})
        assert time.monotonic() - started < 5
        assert_problem(answer, 502, url, "is down")
        health = server.client.get("/health").json()
        assert health["status"] == "degraded"
        assert health["sparql_backend"]["state"] == "down"
        assert health["sparql_backend"]["url"] == url
        assert server.client.get("/", headers={"Accept": "text/html"}).status_code == 200
    finally:
        closed.close()


def test_a_slow_store_times_out_quickly_uncached_and_pages_stay_fast(start_server, stub):
    slow = stub(delay=5.0)
    server = start_server("--sparql-backend", slow.url, "--time-limit", "1")
    for _ in range(2):  # not remembered: the second is sent to the store again
        started = time.monotonic()
        answer = server.client.get("/sparql", params={"query": "SELECT ?x { ?x ?y ?z }"})
        assert time.monotonic() - started < 4
        assert_problem(answer, 504, slow.url, "time limit of 1 s")
    assert len(slow.queries) == 2
    for path in ("/", "/doc/initiative/2.1"):
        started = time.monotonic()
        page = server.client.get(path, headers={"Accept": "text/html"})
        assert page.status_code == 200 and time.monotonic() - started < 3, path
    health = server.client.get("/health").json()["sparql_backend"]
    assert health["state"] == "down" and "health check" in health["problem"]


def test_a_failing_store_gets_a_502_and_a_query_error_its_400(start_server, stub):
    failing = stub(status=500, body=b"internal trouble")
    server = start_server("--sparql-backend", failing.url)
    answer = server.client.get("/sparql", params={"query": "SELECT ?x { ?x ?y ?z }"})
    assert_problem(answer, 502, "HTTP 500", "internal trouble")
    refusing = stub(status=400, body=b"no such function")
    server = start_server("--sparql-backend", refusing.url)
    answer = server.client.get("/sparql", params={"query": "SELECT ?x { ?x ?y ?z }"})
    assert_problem(answer, 400, "no such function")


def test_a_client_over_its_budget_waits_while_others_are_served(start_server, stub):
    slowish = stub(delay=0.6)
    server = start_server(
        "--sparql-backend", slowish.url, "--client-header", "X-Client",
        "--client-budget", "1", "--budget-window", "600",
    )  # fmt: skip

    def ask(client: str, n: int) -> httpx.Response:
        query = f"SELECT ?x WHERE {{ ?x ?y {n} }}"  # a new query each time: none cached
        return server.client.get("/sparql", params={"query": query}, headers={"X-Client": client})

    assert ask("greedy", 1).status_code == 200
    assert ask("greedy", 2).status_code == 200  # 1.2 s of the store's time spent
    over = ask("greedy", 3)
    assert_problem(over, 429, "budget of 1 s")
    assert int(over.headers["Retry-After"]) > 0
    assert ask("modest", 4).status_code == 200
    assert len(slowish.queries) == 3


def test_a_client_may_hold_only_its_share_of_the_connections_and_the_queue(start_server, stub):
    slow = stub(delay=1.5)
    # one connection and three places in the queue: half of them is two queries per client
    server = start_server(
        "--sparql-backend", slow.url, "--client-header", "X-Client",
        "--workers", "1", "--max-queue", "3", "--client-share", "0.5",
    )  # fmt: skip

    def ask(client: str, n: int) -> httpx.Response:
        query = f"SELECT ?x WHERE {{ ?x ?y {n} }}"  # a new query each time: none cached
        return server.client.get("/sparql", params={"query": query}, headers={"X-Client": client})

    sent = []
    for n in (1, 2):
        sent.append(in_background(lambda n=n: ask("greedy", n)))
        in_flight(server, n)
    refused = ask("greedy", 3)
    sent.append(in_background(lambda: ask("other", 4)))
    in_flight(server, 3)  # the other client still gets a place
    assert_problem(refused, 429, "queries running or waiting have reached its share", "(2)")
    for thread, outcome in sent:
        thread.join(60)
        assert outcome["response"].status_code == 200, outcome["response"].text
    assert ask("greedy", 5).status_code == 200  # its share is free again
    assert len(slow.queries) == 4


def test_health_shows_the_store_up(fronted, store):
    state = fronted.client.get("/health").json()
    assert state["status"] == "ok"
    backend = state["sparql_backend"]
    assert backend["url"] == store.query_url and backend["state"] == "up"
    assert backend["latency_ms"] >= 0 and backend["checked"]


def test_credentials_come_from_the_environment_and_are_never_shown(start_server, stub):
    guarded = stub(authorization=basic("s3cret"))
    query = {"query": "SELECT ?x { ?x ?y ?z }"}
    anonymous = start_server("--sparql-backend", guarded.url)
    refused = anonymous.client.get("/sparql", params=query)
    assert_problem(refused, 502, "refused this server's credentials (HTTP 401)")
    env = {"SUNDHEDSGRAF_STORE_USER": "reader", "SUNDHEDSGRAF_STORE_PASSWORD": "s3cret"}
    known = start_server("--sparql-backend", guarded.url, env=env)
    assert known.client.get("/sparql", params=query).status_code == 200
    assert known.client.get("/health").json()["sparql_backend"]["state"] == "up"
    in_url = guarded.url.replace("http://", "http://reader:wrong@")
    shown = start_server("--sparql-backend", in_url)
    answer = shown.client.get("/sparql", params=query)
    assert_problem(answer, 502, guarded.url)
    assert "wrong" not in answer.text and "wrong" not in shown.client.get("/health").text


def test_a_token_from_the_environment_is_sent_as_bearer(start_server, stub):
    guarded = stub(authorization="Bearer t0ken")
    served = start_server(
        "--sparql-backend", guarded.url, env={"SUNDHEDSGRAF_STORE_TOKEN": "t0ken"}
    )
    assert served.client.get("/sparql", params={"query": "ASK {}"}).status_code == 200
    assert len(guarded.forms) == 1


def test_virtuoso_gets_its_timeout_and_its_partial_answers_are_timeouts(start_server, stub):
    """Virtuoso (known by its Server header) takes `timeout` in ms, and answers a query cut
    short by it with partial results and X-SQL-State: S1TAT: that is no answer to keep."""
    virtuoso = stub(headers={"Server": "Virtuoso/07.20.3237 (Linux) x86_64-pc-linux-gnu"})
    server = start_server("--sparql-backend", virtuoso.url, "--time-limit", "3")
    query = {"query": "SELECT ?x { ?x ?y ?z }"}
    assert server.client.get("/sparql", params=query).status_code == 200
    assert 0 < int(virtuoso.forms[0]["timeout"][0]) <= 3000
    virtuoso.headers["X-SQL-State"] = "S1TAT"
    cut = server.client.get("/sparql", params={"query": "SELECT ?y { ?x ?y ?z }"})
    assert_problem(cut, 504, "time limit of 3 s")


def test_other_stores_get_no_timeout_parameter_and_our_dataset(start_server, stub, real_root):
    """With no dataset in query or request, the store is sent the build's graphs (as the
    embedded engine's union); with FROM, nothing but the query."""
    plain = stub()
    server = start_server("--sparql-backend", plain.url)
    graphs = list(open_publication(real_root).graphs)
    union = "SELECT ?x { ?x ?y ?z }"
    chosen = f"SELECT ?x FROM <{graphs[0]}> {{ ?x ?y ?z }}"
    for query in (union, chosen):
        assert server.client.get("/sparql", params={"query": query}).status_code == 200
    assert plain.forms == [
        {"query": [union], "default-graph-uri": graphs, "named-graph-uri": graphs},
        {"query": [chosen]},
    ]


def test_the_query_page_runs_its_query_on_the_store(fronted, stub, start_server):
    page = fronted.client.get("/query", params={"query": LABELS}, headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert "https://w3id.org/sundhedsgraf/id/initiative/" in page.text
    counting = stub()
    server = start_server("--sparql-backend", counting.url)
    page = server.client.get("/query", params={"query": LABELS}, headers={"Accept": "text/html"})
    assert page.status_code == 200 and counting.queries == [LABELS]


@pytest.mark.parametrize(
    "status, headers, body, message",
    [
        (200, {"X-SPARQL-MaxRows": "10000"}, EMPTY, "at most 10000 rows"),
        (500, {}, b"Virtuoso 42000 Error The estimated execution time 14250 (sec)", "14250"),
        (500, {}, b"Virtuoso 37000 Error SP030: SPARQL compiler, line 2: syntax error", "SP030"),
    ],
)
def test_virtuoso_cut_answers_and_query_errors_are_the_querys(
    start_server, stub, status, headers, body, message
):
    """Virtuoso cuts a result at its ResultSetMaxRows (saying so in a header) and answers some
    errors of the query with 500 (as seen from Virtuoso 7.2.9): 400 here, not a whole answer
    or a fault of ours."""
    virtuoso = stub(status=status, body=body, headers={"Server": "Virtuoso/07.20.3229", **headers})
    server = start_server("--sparql-backend", virtuoso.url)
    answer = server.client.get("/sparql", params={"query": "SELECT ?x { ?x ?y ?z }"})
    assert_problem(answer, 400, message)


def test_a_store_is_asked_for_the_format_of_the_query_form_and_held_to_it(start_server, stub):
    """A graph is asked for as N-Triples, a table as SPARQL JSON (Virtuoso answers a
    CONSTRUCT with a table of ?s ?p ?o when JSON comes first); a store that answers a graph
    query with a table gets a 502, not the table passed off as the graph."""
    tables = stub()
    server = start_server("--sparql-backend", tables.url)
    construct = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"
    answer = server.client.get("/sparql", params={"query": construct})
    assert_problem(answer, 502, "answered a CONSTRUCT query in application/sparql-results+json")
    assert server.client.get("/sparql", params={"query": "ASK { ?s ?p ?o }"}).status_code == 200
    assert [accept.split(",")[0] for accept in tables.accepts] == [
        "application/n-triples",
        "application/sparql-results+json",
    ]


def test_a_federated_query_is_sent_on_and_never_cached(start_server, stub, store):
    """The store makes the SERVICE call (to an allowlisted endpoint) itself; the answer
    depends on that endpoint, so it is neither remembered nor cacheable."""
    row = {"x": {"type": "uri", "value": "urn:from-the-remote"}}
    remote_end = stub(
        body=json.dumps({"head": {"vars": ["x"]}, "results": {"bindings": [row]}}).encode()
    )
    server = start_server(
        "--sparql-backend", store.query_url, "--service-allowlist", remote_end.url
    )
    query = f"SELECT ?x WHERE {{ SERVICE <{remote_end.url}> {{ ?x ?p ?o }} }}"
    for _ in range(2):
        answer = server.client.get("/sparql", params={"query": query, "format": "json"})
        assert answer.status_code == 200, answer.text
        assert answer.json()["results"]["bindings"] == [row]
        assert answer.headers["cache-control"] == "no-store"
    assert len(remote_end.queries) == 2

"""The endpoint against hostile requests: no request reaches another host unless an allowlisted
SERVICE, and no query text, however odd or deep, makes the server fail or stay broken."""

import errno
import http.server
import itertools
import json
import socket
import threading
import time

import httpx
import pytest
from conftest import assert_problem, media_type, wait_until

LONG_QUERY_LIMIT = "the query ran longer than the time limit"
_nonces = itertools.count()


class Listener:
    """A TCP listener that records every connection and closes it at once."""

    def __init__(self, family: int, host: str, port: int = 0):
        self.family, self.host = family, host
        self.socket = socket.socket(family, socket.SOCK_STREAM)
        if family == socket.AF_INET6:
            self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        self.socket.bind((host, port))
        self.socket.listen(128)
        self.port = self.socket.getsockname()[1]
        self.peers: list = []
        self.probes: set = set()
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                connection, peer = self.socket.accept()
            except OSError:
                return
            with self.lock:
                self.peers.append(peer)
            connection.close()

    def connections(self) -> list:
        """Every connection so far but our own probes. Connections are accepted in order, so
        once a probe made now is recorded, every connection made before it is too."""
        with socket.socket(self.family, socket.SOCK_STREAM) as probe:
            probe.connect((self.host, self.port))
            mine = probe.getsockname()[:2]
        self.probes.add(mine)
        deadline = time.monotonic() + 30
        while True:
            with self.lock:
                if any(peer[:2] == mine for peer in self.peers):
                    return [peer for peer in self.peers if peer[:2] not in self.probes]
            assert time.monotonic() < deadline, "the listener stopped accepting"
            time.sleep(0.01)

    def close(self) -> None:
        self.socket.close()


def ipv6_loopback() -> bool:
    if not socket.has_ipv6:
        return False
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


@pytest.fixture(scope="module")
def listeners():
    """A listener on 127.0.0.1 and, where IPv6 loopback exists, one on ::1 at the same port."""
    for _ in range(20):
        v4 = Listener(socket.AF_INET, "127.0.0.1")
        if not ipv6_loopback():
            yield [v4]
            v4.close()
            return
        try:
            v6 = Listener(socket.AF_INET6, "::1", v4.port)
        except OSError as error:
            v4.close()
            if error.errno == errno.EADDRINUSE:
                continue
            raise
        yield [v4, v6]
        v4.close()
        v6.close()
        return
    raise RuntimeError("no port free on both 127.0.0.1 and ::1")


def connections(listeners) -> list:
    return [peer for listener in listeners for peer in listener.connections()]


class SparqlRemote(http.server.ThreadingHTTPServer):
    """A SPARQL endpoint on 127.0.0.1 answering every request with one solution, x = "remote"."""

    def __init__(self):
        self.requests: list[tuple[str, str, str]] = []
        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/"


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.answer("")

    def do_POST(self):
        length = int(self.headers.get("content-length") or 0)
        self.answer(self.rfile.read(length).decode())

    def answer(self, body: str) -> None:
        self.server.requests.append((self.command, self.path, body))
        result = {"head": {"vars": ["x"]}, "results": {"bindings": [{"x": REMOTE_VALUE}]}}
        data = json.dumps(result).encode()
        self.send_response(200)
        self.send_header("content-type", "application/sparql-results+json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


REMOTE_VALUE = {"type": "literal", "value": "remote"}


def fresh(query: str) -> str:
    return f"{query}\n# request {next(_nonces)} {time.monotonic_ns()}\n"


def post(client: httpx.Client, query: str, **params) -> httpx.Response:
    return client.post("/sparql", data={"query": query, **params})


def assert_refused(response: httpx.Response, *message: str, status: int = 400) -> None:
    assert_problem(response, status, *message)


def assert_healthy(server) -> None:
    """The server process lives, /health answers, every worker is back, and a trivial query
    gets the right answer."""
    assert server.process.poll() is None

    def idle():
        state = server.client.get("/health").json()
        return state["idle_workers"] == state["workers"] and state["queries_in_flight"] == 0

    health = server.client.get("/health")
    assert health.status_code == 200 and health.json()["status"] == "ok"
    wait_until(idle)
    query = fresh("SELECT ?x WHERE { BIND(6 * 7 AS ?x) }")
    response = server.client.get("/sparql", params={"query": query})
    assert response.status_code == 200, response.text
    assert response.json()["results"]["bindings"] == [
        {"x": {"type": "literal", "value": "42", "datatype": XSD_INTEGER}}
    ]
    assert server.process.poll() is None


XSD_INTEGER = "http://www.w3.org/2001/XMLSchema#integer"

# --- SSRF: nothing the guard refuses reaches the network ---

LOOPBACK = [
    "127.0.0.1",
    "localhost",
    "LOCALHOST",
    "127.1",
    "127.0.1",
    "2130706433",
    "0x7f000001",
    "0177.0.0.1",
    "0.0.0.0",
    "[::1]",
    "[::ffff:127.0.0.1]",
    "[0:0:0:0:0:0:0:1]",
    "127.0.0.1.",
    "localhost.",
]


@pytest.mark.parametrize("silent", ["", "SILENT "])
@pytest.mark.parametrize("host", LOOPBACK)
def test_service_to_any_spelling_of_loopback_is_refused(server, listeners, host, silent):
    port = listeners[0].port
    query = f"SELECT * WHERE {{ SERVICE {silent}<http://{host}:{port}/sparql> {{ ?s ?p ?o }} }}"
    assert_refused(post(server.client, query), "SERVICE", f"{host}:{port}")
    assert_refused(server.client.get("/sparql", params={"query": query}), "SERVICE")
    assert connections(listeners) == []


def federated_queries(port: int) -> dict[str, tuple[str, str]]:
    """Ways of naming the listener in a query: name -> (query, what the refusal names)."""
    url = f"http://127.0.0.1:{port}/"
    return {
        "values": (
            f"SELECT * WHERE {{ VALUES ?x {{ <{url}> }} SERVICE ?x {{ ?s ?p ?o }} }}",
            "SERVICE",
        ),
        "bind": (f"SELECT * WHERE {{ BIND(<{url}> AS ?x) SERVICE ?x {{ ?s ?p ?o }} }}", "SERVICE"),
        "bind-silent": (
            f"SELECT * WHERE {{ BIND(IRI('{url}') AS ?x) SERVICE SILENT ?x {{ ?s ?p ?o }} }}",
            "SERVICE",
        ),
        "from": (f"SELECT * FROM <{url}> WHERE {{ ?s ?p ?o }}", "FROM"),
        "from-named": (
            f"SELECT * FROM NAMED <{url}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
            "FROM NAMED",
        ),
        "construct-from": (f"CONSTRUCT FROM <{url}> WHERE {{ ?s ?p ?o }}", "FROM"),
        "ask-from": (f"ASK FROM <{url}sparql> {{ ?s ?p ?o }}", "FROM"),
        "prefixed": (
            f"PREFIX r: <{url}> SELECT * WHERE {{ SERVICE r:sparql {{ ?s ?p ?o }} }}",
            "SERVICE",
        ),
        "prefixed-from": (f"PREFIX r: <{url}> SELECT * FROM r:g WHERE {{ ?s ?p ?o }}", "FROM"),
        "empty-prefix": (
            f"PREFIX : <{url}> SELECT * WHERE {{ SERVICE :sparql {{ ?s ?p ?o }} }}",
            "SERVICE",
        ),
        "base": (f"BASE <{url}> SELECT * WHERE {{ SERVICE <sparql> {{ ?s ?p ?o }} }}", "SERVICE"),
        "base-root": (
            f"BASE <{url}x/y> SELECT * WHERE {{ SERVICE </sparql> {{ ?s ?p ?o }} }}",
            "SERVICE",
        ),
        "base-from-named": (
            f"BASE <{url}> SELECT * FROM NAMED <g> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
            "FROM NAMED",
        ),
        "escaped-keyword": (
            f"SELECT * WHERE {{ \\u0053ERVICE <{url}sparql> {{ ?s ?p ?o }} }}",
            "SERVICE",
        ),
        "escaped-iri": (
            f"SELECT * WHERE {{ SERVICE <\\u0068ttp://127.0.0.1:{port}/sparql> {{ ?s ?p ?o }} }}",
            "SERVICE",
        ),
        "lowercase": (f"select * where {{ service <{url}sparql> {{ ?s ?p ?o }} }}", "SERVICE"),
        "mixed-case": (
            f"SELECT * WHERE {{ SeRvIcE sIlEnT <{url}sparql> {{ ?s ?p ?o }} }}",
            "SERVICE",
        ),
        "glued": (f"SELECT * WHERE {{ ?s ?p ?o . SERVICE<{url}sparql>{{}} }}", "SERVICE"),
        "comment-newlines": (
            f"SELECT * WHERE {{ SERVICE # not yet\n\n<{url}sparql>\n{{ ?s ?p ?o }} }}",
            "SERVICE",
        ),
        "nested": (
            "SELECT * WHERE { { SELECT * WHERE { OPTIONAL { "
            f"SERVICE <{url}> {{ ?s ?p ?o }} }} }} }} }}",
            "SERVICE",
        ),
        "exists": (
            f"SELECT * WHERE {{ ?s ?p ?o FILTER EXISTS {{ SERVICE <{url}> {{ ?s ?p ?o }} }} }}",
            "SERVICE",
        ),
        "describe": (f"DESCRIBE ?s WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}", "SERVICE"),
    }


def test_every_way_of_naming_a_remote_is_refused(server, listeners):
    for name, (query, keyword) in federated_queries(listeners[0].port).items():
        response = post(server.client, query)
        assert_refused(response, keyword)
        assert connections(listeners) == [], name


def test_load_from_the_listener_is_refused(server, listeners):
    url = f"http://127.0.0.1:{listeners[0].port}/"
    for update in (f"LOAD <{url}>", f"LOAD SILENT <{url}> INTO GRAPH <http://e/g>"):
        for response in (
            post(server.client, update),
            server.client.post("/sparql", data={"update": update}),
            server.client.post(
                "/sparql",
                content=update.encode(),
                headers={"content-type": "application/sparql-update"},
            ),
        ):
            assert 400 <= response.status_code < 500
    assert connections(listeners) == []


@pytest.mark.parametrize("param", ["default-graph-uri", "named-graph-uri"])
def test_dataset_parameters_naming_the_listener_are_refused(server, listeners, param):
    url = f"http://127.0.0.1:{listeners[0].port}/"
    query = "SELECT * WHERE { ?s ?p ?o } LIMIT 1"
    assert_refused(post(server.client, query, **{param: url}), "no graph", url)
    response = server.client.get("/sparql", params={"query": query, param: url + "sparql"})
    assert_refused(response, "no graph")
    assert connections(listeners) == []


def test_only_the_allowlisted_service_is_called(start_server, listeners):
    remote = SparqlRemote()
    try:
        allowed = remote.url + "sparql"
        federating = start_server("--service-allowlist", allowed)
        query = f"SELECT ?x WHERE {{ SERVICE <{allowed}> {{ ?x ?y ?z }} }}"
        response = post(federating.client, query)
        assert response.status_code == 200, response.text
        assert response.json()["results"]["bindings"] == [{"x": REMOTE_VALUE}]
        assert len(remote.requests) == 1
        method, path, body = remote.requests[0]
        assert path.startswith("/sparql")
        assert "?x" in body or "%3Fx" in path  # the pattern was sent to the remote

        port = remote.server_address[1]
        refused = [
            f"SELECT * WHERE {{ SERVICE <{remote.url}other> {{ ?x ?y ?z }} }}",
            f"SELECT * WHERE {{ SERVICE <{allowed}/x> {{ ?x ?y ?z }} }}",
            f"SELECT * WHERE {{ SERVICE <http://127.1:{port}/sparql> {{ ?x ?y ?z }} }}",
            f"SELECT * WHERE {{ SERVICE <http://localhost:{port}/sparql> {{ ?x ?y ?z }} }}",
            f"SELECT * WHERE {{ VALUES ?u {{ <{allowed}> }} SERVICE ?u {{ ?x ?y ?z }} }}",
            f"SELECT * FROM <{allowed}> WHERE {{ ?x ?y ?z }}",
        ]
        for text in refused:
            assert_refused(
                post(federating.client, text), "SERVICE" if "SERVICE" in text else "FROM"
            )
        for host in LOOPBACK:
            text = f"SELECT * WHERE {{ SERVICE <http://{host}:{listeners[0].port}/sparql> {{}} }}"
            assert_refused(post(federating.client, text), "SERVICE", "allowlist")
        assert len(remote.requests) == 1
        assert connections(listeners) == []
    finally:
        remote.shutdown()
        remote.server_close()


def test_a_listener_sees_a_service_call_that_is_let_through(start_server):
    # The control for the tests above: an allowlisted SERVICE does reach a bare listener.
    listener = Listener(socket.AF_INET, "127.0.0.1")
    try:
        target = f"http://127.0.0.1:{listener.port}/sparql"
        federating = start_server("--service-allowlist", target)
        response = post(federating.client, f"SELECT * WHERE {{ SERVICE <{target}> {{}} }}")
        assert "allowlist" not in response.text
        assert response.status_code == 502, response.text  # the listener hangs up
        assert f"SERVICE <{target}> could not be reached" in response.text
        assert len(listener.connections()) >= 1
    finally:
        listener.close()


# --- hostile query texts ---


def nested_parentheses(size: int) -> str:
    depth = (size - 30) // 2
    return "SELECT * WHERE { FILTER(" + "(" * depth + "1" + ")" * depth + ") }"


# odd characters in the answer, which every result format has to write
ODD_TEXT = [
    "nul-in-string",
    "rtl-marks",
    "rtl-in-iri",
    "emoji-iri",
    "non-characters",
    "combining-marks",
    "control-characters",
]
HOSTILE = {
    "parentheses-40kb": nested_parentheses(40_000),
    "braces-40k": "SELECT * WHERE " + "{" * 40_000 + "}" * 40_000,
    "unions-2000": "SELECT * WHERE { "
    + " UNION ".join(f"{{ ?s <http://example.org/p{i}> ?o }}" for i in range(2000))
    + " }",
    "nested-unions": "SELECT * WHERE " + "{ {" * 10_000 + "} UNION {} }" * 10_000,
    "optionals": "SELECT * WHERE { ?s ?p ?o " + "OPTIONAL { ?s ?p ?o } " * 500 + "}",
    "subqueries": "SELECT * WHERE { " + "{ SELECT * WHERE " * 3000 + "{}" + " }" * 3000 + " }",
    "paths": "ASK { ?s " + "/".join(["(<http://e/p>|^<http://e/q>)*"] * 2000) + " ?o }",
    "functions": "SELECT * WHERE { BIND(" + "CONCAT(" * 5000 + '"a"' + ")" * 5000 + " AS ?x) }",
    "lone-surrogate-escape": 'SELECT ?x WHERE { BIND("\\uD800" AS ?x) }',
    "surrogate-pair-escape": 'SELECT ?x WHERE { BIND("\\uD83D\\uDE00" AS ?x) }',
    "escape-past-unicode": 'SELECT ?x WHERE { BIND("\\U00110000" AS ?x) }',
    "nul-in-string": 'SELECT ?x WHERE { BIND("a\x00b" AS ?x) }',
    "nul-in-query": "SELECT ?x\x00 WHERE { }",
    "nul-escape-in-iri": "SELECT ?x WHERE { BIND(<http://e/\\u0000> AS ?x) }",
    "rtl-marks": 'SELECT ?x WHERE { BIND("\u202e\u200fabc\u200e\u202c" AS ?x) } # \u202egnirts',
    "rtl-in-iri": "SELECT ?x WHERE { BIND(<http://e/\u202eevil> AS ?x) }",
    "emoji-variable": "SELECT ?\U0001f600 WHERE { BIND(1 AS ?\U0001f600) }",
    "emoji-iri": "SELECT ?x WHERE { BIND(<http://e/\U0001f600> AS ?x) }",
    "emoji-prefix": "PREFIX \U0001f600: <http://e/> SELECT * WHERE { ?s \U0001f600:p ?o }",
    "non-characters": 'SELECT ?x WHERE { BIND("\ufffe\uffff\ufdd0\U0010ffff" AS ?x) }',
    "bom": "\ufeffASK {}",
    "combining-marks": 'SELECT ?x WHERE { BIND("' + "e\u0301" * 5000 + '" AS ?x) }',
    # raw line ends may only be in long strings
    "control-characters": 'SELECT ?x WHERE { BIND("""'
    + "".join(map(chr, range(1, 32)))
    + '""" AS ?x) }',
    "long-iri": "SELECT ?x WHERE { BIND(<http://e/" + "a" * 90_000 + "> AS ?x) }",
    "long-string": 'SELECT ?x WHERE { BIND("' + "\\n" * 40_000 + '" AS ?x) }',
    "regex": 'ASK { FILTER(REGEX("' + "a" * 5000 + '", "(a+)+$")) }',
    "many-variables": "SELECT * WHERE { VALUES ("
    + " ".join(f"?v{i}" for i in range(5000))
    + ") {} }",
}


@pytest.mark.parametrize(
    ("name", "result_format"),
    [(name, "json") for name in HOSTILE]
    + [(name, f) for name in ODD_TEXT for f in ("xml", "csv", "tsv")],
)
def test_hostile_query_never_breaks_the_server(server, name, result_format):
    query = HOSTILE[name]
    response = server.client.post(
        "/sparql",
        params={"format": result_format},
        content=query.encode("utf-8", "surrogatepass"),
        headers={"content-type": "application/sparql-query"},
    )
    ok = response.status_code < 500 or (
        response.status_code == 503 and LONG_QUERY_LIMIT in response.text
    )
    assert ok, (response.status_code, response.text[:500])
    assert response.status_code != 500
    if response.status_code >= 400:
        assert media_type(response) == "text/plain" and response.text.strip()
    assert_healthy(server)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("nul-in-string", "a\x00b"),
        ("rtl-marks", "\u202e\u200fabc\u200e\u202c"),
        ("non-characters", "\ufffe\uffff\ufdd0\U0010ffff"),
        ("control-characters", "".join(map(chr, range(1, 32)))),
        ("combining-marks", "e\u0301" * 5000),
    ],
)
def test_odd_strings_come_back_intact(server, name, value):
    response = server.client.post("/sparql", data={"query": HOSTILE[name]})
    assert response.status_code == 200, response.text
    assert response.json()["results"]["bindings"] == [{"x": {"type": "literal", "value": value}}]


def test_odd_iris_come_back_intact(server):
    for name, iri in [("emoji-iri", "http://e/\U0001f600"), ("rtl-in-iri", "http://e/\u202eevil")]:
        response = server.client.post("/sparql", data={"query": HOSTILE[name]})
        assert response.status_code == 200, response.text
        assert response.json()["results"]["bindings"] == [{"x": {"type": "uri", "value": iri}}]


def test_undecodable_bytes_are_a_400(server):
    for body in (
        'SELECT ?x WHERE { BIND("\ud800" AS ?x) }'.encode("utf-8", "surrogatepass"),
        b'SELECT ?x WHERE { BIND("\xc0\xaf" AS ?x) }',  # overlong
        b'SELECT ?x WHERE { BIND("\xf4\x90\x80\x80" AS ?x) }',  # past U+10FFFF
        b'SELECT ?x WHERE { BIND("\xe2\x82" AS ?x) }',  # truncated
    ):
        response = server.client.post(
            "/sparql", content=body, headers={"content-type": "application/sparql-query"}
        )
        assert_refused(response, "not UTF-8")
    # in a URL, undecodable bytes become U+FFFD
    response = server.client.get(
        "/sparql?query=SELECT%20%3Fx%20WHERE%20%7B%20BIND(%22%ED%A0%80%22%20AS%20%3Fx)%20%7D"
    )
    assert response.status_code == 200, response.text
    assert "\ud800" not in response.json()["results"]["bindings"][0]["x"]["value"]
    assert_healthy(server)


def test_a_megabyte_query_is_a_413(server):
    query = "SELECT * WHERE { " + "?s ?p ?o . " * (2**20 // 11) + "}"
    assert len(query.encode()) >= 2**20
    response = server.client.post(
        "/sparql", content=query.encode(), headers={"content-type": "application/sparql-query"}
    )
    assert_refused(response, "bytes", status=413)
    response = server.client.post("/sparql", data={"query": query})
    assert_refused(response, "bytes", status=413)
    assert_healthy(server)


def test_a_hundred_thousand_nested_braces(start_server):
    depth = 100_000
    query = "SELECT * WHERE " + "{" * depth + "}" * depth
    deep = start_server("--max-query-bytes", str(len(query) + 1000), "--time-limit", "30")
    for text in (query, "SELECT * WHERE { FILTER(" + "(" * depth + "1" + ")" * depth + ") }"):
        response = deep.client.post(
            "/sparql", content=text.encode(), headers={"content-type": "application/sparql-query"}
        )
        ok = response.status_code < 500 or (
            response.status_code == 503 and LONG_QUERY_LIMIT in response.text
        )
        assert ok, (response.status_code, response.text[:500])
        assert_healthy(deep)


def test_the_session_server_is_still_alive(server):
    assert server.process.poll() is None
    assert_healthy(server)

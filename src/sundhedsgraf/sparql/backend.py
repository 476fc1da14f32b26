"""/sparql answered by a remote SPARQL store (`serve --sparql-backend URL`), with the same
promises as the embedded engine in front of it.

The request is read, guarded and cached by `protocol.py` as before; here the query is sent to
the store over a bounded number of connections, shared between clients in turns, within their
budgets and shares (`fairness.Gate`), as the worker pool shares its processes. The whole call,
the wait for a connection included, is bounded by the time limit; the store's own timeout
parameter is sent where we know it (Virtuoso's `timeout`, in ms; Oxigraph's server takes one
only when started: `oxigraph serve --timeout-s`). SELECT/ASK answers are asked for as SPARQL
JSON (or XML), CONSTRUCT/DESCRIBE as N-Triples (or Turtle), and read within the byte limit. A
SPARQL JSON answer to a client that wants SPARQL JSON is passed on as it came when it is too
short to hold more rows than the limit; any other is written again by us in the format the
client accepted, so the row limit holds and every format of ours (CSV for Excel, XLSX) works.

The dataset is the same as the embedded engine's: with no FROM and none in the request, the
union of the local build's named graphs, named one by one (`default-graph-uri`), as stores
differ in what their default graph is. A union of all the store's graphs would not do even in a
store of our own: it holds publish's record graph, and its staging graphs while it publishes.
"""

import asyncio
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import quote_plus, urlencode

import aiohttp
import pyoxigraph as ox

from sundhedsgraf import remote
from sundhedsgraf.publish import DCTERMS, record_graph
from sundhedsgraf.remote import StoreError
from sundhedsgraf.sparql.evaluation import Answer, Job, graph_bytes, serialize
from sundhedsgraf.sparql.fairness import Budgets, Gate

# What we ask a store for, by query form: formats we read, the one we read fastest first.
# (Virtuoso answers a CONSTRUCT with a table of ?s ?p ?o if SPARQL JSON is asked for first.)
RESULTS_ACCEPT = "application/sparql-results+json, application/sparql-results+xml;q=0.9"
GRAPH_ACCEPT = "application/n-triples, text/turtle;q=0.9"
ACCEPT = {"SELECT": RESULTS_ACCEPT, "ASK": RESULTS_ACCEPT}
ACCEPT |= {"CONSTRUCT": GRAPH_ACCEPT, "DESCRIBE": GRAPH_ACCEPT}
CHECK_EVERY = 5.0  # seconds between health checks
CHECK_SECONDS = 2.0  # a health check not answered by then finds the store down
INLINE_BODY = 1 << 18  # answers up to this size are re-written on the event loop
SPARQL_JSON = "application/sparql-results+json"
ROW_BYTES = 2  # the fewest bytes a row takes in SPARQL JSON: {}
ERROR_BYTES = 4096  # of a store's error message, what we read and pass on
# An IRI reference without a scheme: the query needs our base IRI (else the store uses its own)
RELATIVE_IRI = re.compile(r"<[^:<>\"{}|^`\\\s]*>")
# Virtuoso answers a query cut short by its timeout with partial results and this state,
VIRTUOSO_PARTIAL = "S1TAT"
# and one cut at its row limit (ResultSetMaxRows) with this header, naming the limit;
VIRTUOSO_MAX_ROWS = "x-sparql-maxrows"
# some errors of the query itself with 500: data exceptions (22…), syntax (37…), rule
# violations such as an estimated cost above its limit (42…)
VIRTUOSO_QUERY_ERROR = re.compile(r"Virtuoso (22|37|42)\w{3} Error")


def build_query(base: str) -> str:
    """The build id the store holds, as `sundhedsgraf publish` records it (publish.py
    `record_store`). Also the health check's query: one index lookup."""
    g = record_graph(base)
    return f"SELECT ?build WHERE {{ GRAPH <{g}> {{ <{g}> <{DCTERMS}identifier> ?build }} }} LIMIT 1"


class Health:
    """What the last check (or call) found: up or down, when, how fast, which build."""

    def __init__(self):
        self.state, self.checked, self.latency_ms = "unknown", None, None
        self.problem: str | None = None
        self.build: str | None = None
        self.server = ""  # the store's Server header: tells which store it is

    def up(self, latency: float, server: str, build: str | None) -> None:
        self.state, self.problem, self.build, self.server = "up", None, build, server
        self.latency_ms = round(latency * 1000, 1)
        self.checked = datetime.now(UTC).isoformat(timespec="seconds")

    def down(self, problem: str) -> None:
        self.state, self.problem, self.latency_ms = "down", problem, None
        self.checked = datetime.now(UTC).isoformat(timespec="seconds")


class Backend:
    """The store at `url` as the endpoint's engine: `run(job, client)` as QueryPool's."""

    def __init__(
        self,
        url: str,
        connections: int,
        max_queue: int,
        time_limit: float,
        budgets: Budgets,
        client_share: float,
        publication: Callable,  # the Publication served now: its graphs and base IRI
    ):
        self.url, self.time_limit, self.publication = url, time_limit, publication
        self.dataset: tuple[tuple[str, ...], bytes] = ((), b"")  # the build's graphs, encoded
        # connection slots, shared as the pool shares its workers
        self.gate = Gate(connections, max_queue, budgets, client_share, range(connections))
        self.connections = connections
        self.client = self.checker = None  # aiohttp sessions, made in the event loop (start)
        self.health = Health()
        self.watching: asyncio.Task | None = None

    @property
    def build(self) -> str | None:
        """The build the store holds, as last read: part of the answer cache's key."""
        return self.health.build

    async def start(self, dist: str | None = None) -> None:
        """The first check (so /health knows the store from the start), then one every
        CHECK_EVERY seconds. `dist` as QueryPool.start takes it: the store holds its data."""
        self.client = remote.async_session(self.connections)
        self.checker = remote.async_session(1)  # checks never wait behind slow queries
        await self.check()
        self.watching = asyncio.create_task(self._watch())

    async def close(self) -> None:
        if self.watching:
            self.watching.cancel()
        for session in (self.client, self.checker):
            if session:
                await session.close()

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(CHECK_EVERY)
            await self.check()

    async def check(self) -> None:
        """Ask the store for its build id: up (with the latency) or down (with why)."""
        form = {"query": build_query(self.publication().base)}
        headers = {"Accept": RESULTS_ACCEPT}
        started = time.monotonic()
        try:
            async with asyncio.timeout(CHECK_SECONDS):
                async with self.checker.post(self.url, data=form, headers=headers) as response:
                    body = await response.read()
            if response.status != 200:
                self.health.down(f"HTTP {response.status} to a health check")
                return
            rows = list(ox.parse_query_results(body, results_format(response)))
        except (aiohttp.ClientError, ValueError, SyntaxError) as error:
            self.health.down(transport_problem(error))
        except TimeoutError:
            self.health.down(f"no answer to a health check within {CHECK_SECONDS:g} s")
        else:
            build = rows[0]["build"] if rows else None  # None also if the row lacks it
            server = response.headers.get("server", "")
            self.health.up(time.monotonic() - started, server, build and build.value)

    def state(self) -> dict:
        health = self.health
        backend = {"url": remote.shown(self.url), "state": health.state}
        backend |= {"checked": health.checked, "latency_ms": health.latency_ms}
        if health.problem:
            backend["problem"] = health.problem
        else:
            backend["build"] = health.build
        return {
            "sparql_backend": backend,
            "connections": self.gate.size,
            "queries_in_flight": self.gate.in_flight,
            "queries_waiting": len(self.gate.turns),
        }

    async def run(self, job: Job, client: str) -> Answer:
        """The answer to `job` for `client`. Raises Busy, TooMany, OverBudget or StoreError (502
        down or failing, 503 overloaded, 504 past the time limit)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.time_limit  # the limit a client sees, its wait included
        async with self.gate.held(client, deadline):
            try:
                async with asyncio.timeout_at(deadline):
                    status, media_type, body = await self._call(job, deadline - loop.time())
            except (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError) as error:
                self.health.down(transport_problem(error))
                raise StoreError(502, self.url, f"is down: {self.health.problem}") from None
            except aiohttp.ClientError as error:
                raise StoreError(502, self.url, "failed: " + transport_problem(error)) from None
            except TimeoutError:
                raise self.too_slow() from None
        if status != 200:
            return Answer(status, media_type, body)
        try:
            if len(body) <= INLINE_BODY:
                return rewrite(body, media_type, job)
            return await asyncio.to_thread(rewrite, body, media_type, job)
        except (SyntaxError, ValueError) as error:
            raise StoreError(502, self.url, f"gave an answer we cannot read: {error}") from None

    def too_slow(self) -> StoreError:
        return StoreError(
            504,
            self.url,
            f"did not answer within the time limit of {self.time_limit:g} s (the wait for a "
            "connection included); the query was abandoned",
        )

    async def _call(self, job: Job, seconds: float) -> tuple[int, str, bytes]:
        """(status, media type, body) of the store's answer: 200 with the body read within
        `job.max_bytes`, or a client error of the query (400) with the store's message."""
        form = self.form(job, seconds)
        accept = ACCEPT.get(job.form, f"{RESULTS_ACCEPT}, {GRAPH_ACCEPT}")
        headers = {"Accept": accept, "Content-Type": "application/x-www-form-urlencoded"}
        async with self.client.post(self.url, data=form, headers=headers) as response:
            if response.status != 200:
                return await self.refused(response)
            if response.headers.get("x-sql-state") == VIRTUOSO_PARTIAL:
                raise self.too_slow()
            if cut := response.headers.get(VIRTUOSO_MAX_ROWS):
                message = f"the SPARQL store gives at most {cut} rows, and this result reached "
                return 400, "text/plain", (message + "them; add a LIMIT below that").encode()
            body = await read_within(response, job.max_bytes)
            if body is None:
                return 400, "text/plain", too_large(job).encode()
            return 200, response.headers.get("content-type", ""), body

    def form(self, job: Job, seconds: float) -> bytes:
        """The query, the dataset (ours unless the query or request names one) and the
        store's own timeout where we know its parameter."""
        query = job.query
        if job.base_iri and RELATIVE_IRI.search(query):  # on line 1: error lines stay right
            query = f"BASE <{job.base_iri}> {query}"
        if job.default_graphs is None and job.named_graphs is None:
            dataset = b"" if job.query_dataset else self.build_dataset()
        else:
            dataset = encoded_dataset(job.default_graphs or (), job.named_graphs or ())
        form = b"query=" + quote_plus(query).encode() + dataset
        if "virtuoso" in self.health.server.lower():
            form += b"&timeout=%d" % max(1, int(seconds * 1000))
        return form

    def build_dataset(self) -> bytes:
        """The served build's graphs as default and named graphs, encoded once per build."""
        graphs = self.publication().graphs
        if self.dataset[0] != graphs:
            self.dataset = (graphs, encoded_dataset(graphs, graphs))
        return self.dataset[1]

    async def refused(self, response: aiohttp.ClientResponse) -> tuple[int, str, bytes]:
        """A store's error: the query's fault (400, with the store's message), or the
        store's (StoreError)."""
        status = response.status
        message = (await read_within(response, ERROR_BYTES, cut=True)).decode(errors="replace")
        message = message.strip()
        if status == 400 or (status == 500 and VIRTUOSO_QUERY_ERROR.match(message)):
            return 400, "text/plain", f"the SPARQL store refused the query: {message}".encode()
        if status in (408, 504):
            raise self.too_slow()
        if status in (429, 503):
            raise StoreError(503, self.url, f"is overloaded (HTTP {status}); try again shortly")
        if status in (401, 403, 407):
            problem = f"refused this server's credentials (HTTP {status}): see SUNDHEDSGRAF_STORE_*"
            raise StoreError(502, self.url, problem)
        raise StoreError(502, self.url, f"failed (HTTP {status}): {message[:500]}")


def encoded_dataset(default: tuple[str, ...], named: tuple[str, ...]) -> bytes:
    """The fields of a dataset, each with its & in front."""
    fields = [("default-graph-uri", g) for g in default] + [("named-graph-uri", g) for g in named]
    return b"".join(b"&" + urlencode([field]).encode() for field in fields)


async def read_within(
    response: aiohttp.ClientResponse, limit: int, cut: bool = False
) -> bytes | None:
    """The body as it streams in; None once it passes `limit` bytes (or, with `cut`, its first
    `limit` bytes)."""
    chunks, size = [], 0
    async for chunk in response.content.iter_any():
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            return b"".join(chunks)[:limit] if cut else None
    return b"".join(chunks)


def results_format(response: aiohttp.ClientResponse) -> ox.QueryResultsFormat:
    media_type = response.headers.get("content-type", "")
    found = ox.QueryResultsFormat.from_media_type(media_type)
    if found is None:
        raise ValueError(f"the store answered in {media_type or 'no media type'}")
    return found


def rewrite(body: bytes, media_type: str, job: Job) -> Answer:
    """The store's answer in the format the client accepted, within the row and byte limits."""
    if passed_on(media_type, job) and len(body) <= ROW_BYTES * job.max_rows:
        return Answer(200, SPARQL_JSON, body)  # too short for too many rows
    answer = parsed_answer(body, media_type, job)
    if len(answer.body) > job.max_bytes:
        return Answer(400, "text/plain", too_large(job).encode())
    return answer


def passed_on(media_type: str, job: Job) -> bool:
    """Whether the store's answer is in the results format the client wants, as it is."""
    return (
        job.results_type == SPARQL_JSON
        and job.form in ("SELECT", "ASK")
        and media_type.partition(";")[0].strip().lower() == SPARQL_JSON
    )


def too_large(job: Job) -> str:
    return f"the result is larger than this endpoint's limit of {job.max_bytes} bytes"


def parsed_answer(body: bytes, media_type: str, job: Job) -> Answer:
    expected = ACCEPT.get(job.form)
    results = ox.QueryResultsFormat.from_media_type(media_type)
    if results and expected != GRAPH_ACCEPT:
        return serialize(ox.parse_query_results(body, results), job)
    rdf = ox.RdfFormat.from_media_type(media_type)
    if rdf is None or expected == RESULTS_ACCEPT:
        raise ValueError(f"it answered a {job.form} query in {media_type or 'no media type'}")
    if job.graph_type is None:
        return Answer(406, "text/plain", b"no acceptable graph format for this query")
    triples = []
    for quad in ox.parse(body, rdf):
        triples.append(ox.Triple(quad.subject, quad.predicate, quad.object))
        if len(triples) > job.max_rows:
            message = f"the result has more than this endpoint's limit of {job.max_rows} rows"
            return Answer(400, "text/plain", (message + "; add a LIMIT").encode())
    return Answer(200, job.graph_type, graph_bytes(triples, job.graph_type))


def transport_problem(error: Exception) -> str:
    """What went wrong on the way, in words (aiohttp's own messages can be empty)."""
    if isinstance(error, aiohttp.ConnectionTimeoutError):
        return f"it did not take the connection within {remote.CONNECT_SECONDS:g} s"
    if isinstance(error, aiohttp.ClientConnectorError):
        return "it does not take connections (connection refused or unreachable)"
    return f"the connection to it broke ({type(error).__name__}: {error})"[:300]

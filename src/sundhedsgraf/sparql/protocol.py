"""The SPARQL 1.1 Protocol, read-only: parse a request, check it, run it, remember the answer."""

import asyncio
import codecs
import math
from dataclasses import dataclass
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import Response

from sundhedsgraf.formats import (
    GRAPH_ALIASES,
    GRAPH_TYPES,
    RDF,
    RDF_BY_NAME,
    RESULT_ALIASES,
    RESULTS,
    RESULTS_BY_MEDIA_TYPE,
    RESULTS_BY_NAME,
    content_type,
)
from sundhedsgraf.publication import Publication
from sundhedsgraf.remote import StoreError
from sundhedsgraf.settings import Settings
from sundhedsgraf.sparql.backend import Backend
from sundhedsgraf.sparql.cache import AnswerCache
from sundhedsgraf.sparql.evaluation import Job
from sundhedsgraf.sparql.fairness import Busy, OverBudget, TooMany, client_of
from sundhedsgraf.sparql.guard import QueryRefused, QueryShape, admit
from sundhedsgraf.sparql.workers import Crashed, KillsWorkers, QueryPool, TimedOut
from sundhedsgraf.web.responses import (
    NOSNIFF,
    HTTPProblem,
    answer_name,
    conditional,
    etag_of,
    negotiate,
)

RESULT_TYPE_OF, GRAPH_TYPE_OF = dict(RESULT_ALIASES), dict(GRAPH_ALIASES)
ALIASES = RESULT_TYPE_OF | GRAPH_TYPE_OF
RESULT_TYPES = tuple(RESULTS_BY_MEDIA_TYPE)
# ?format= names and media types: (type for SELECT/ASK, type for CONSTRUCT/DESCRIBE)
FORMATS = {
    **{f.name: (f.media_type, None) for f in RESULTS},
    **{f.name: (None, f.media_type) for f in RDF},
    **{name: (None, f.media_type) for f in RDF for name in f.names},
    "json": (RESULTS_BY_NAME["json"].media_type, RDF_BY_NAME["jsonld"].media_type),
    "xml": (RESULTS_BY_NAME["xml"].media_type, RDF_BY_NAME["rdf"].media_type),
    **{f.media_type: (f.media_type, None) for f in RESULTS},
    **{f.media_type: (None, f.media_type) for f in RDF},
    **{alias: (RESULT_TYPE_OF.get(alias), GRAPH_TYPE_OF.get(alias)) for alias in ALIASES},
}
# The format parameters: ours (`format`) and the ones other endpoints read, which clients such
# as SPARQLWrapper send all at once.
FORMAT_PARAMETERS = ("format", "output", "results")
FORM_TYPES = {"SELECT": 0, "ASK": 0, "CONSTRUCT": 1, "DESCRIBE": 1}
VARY = {"Vary": "Accept"}
FORM = "application/x-www-form-urlencoded"
QUERY_TYPE = "application/sparql-query"
UPDATE_TYPE = "application/sparql-update"
# characters of query text checked on the event loop (1 ms at most): a thread hop would cost
# the server more than checking a typical query does
INLINE_GUARD = 6000
READ_ONLY = "updates are not allowed: this endpoint is read-only"


@dataclass(frozen=True)
class Request_:
    query: str
    default_graphs: tuple[str, ...] | None
    named_graphs: tuple[str, ...] | None
    format: str | None


async def read_request(request: Request, settings: Settings) -> Request_:
    """The query and dataset of a GET or POST, or an HTTPProblem naming what is wrong."""
    params = parse_form(request.url.query)
    if request.method == "POST":
        params += await read_body(request, settings)
    values: dict[str, list[str]] = {}
    for name, value in params:
        values.setdefault(name, []).append(value)
    if "update" in values:
        raise HTTPProblem(403, READ_ONLY + " (the request has an update parameter)")
    queries = values.get("query", [])
    if len(queries) != 1:
        raise HTTPProblem(400, f"give exactly one query parameter, not {len(queries)}")
    if not queries[0].strip():
        raise HTTPProblem(400, "the query is empty")
    if len(queries[0].encode()) > settings.max_query_bytes:
        raise HTTPProblem(413, f"the query is longer than {settings.max_query_bytes} bytes")
    formats = [value for name in FORMAT_PARAMETERS for value in values.get(name, [])]
    default, named = values.get("default-graph-uri"), values.get("named-graph-uri")
    return Request_(
        queries[0],
        tuple(default) if default else None,
        tuple(named) if named else None,
        ", ".join(formats) if formats else None,
    )


async def read_body(request: Request, settings: Settings) -> list[tuple[str, str]]:
    """The parameters a POST carries: a form, or a query as the whole body."""
    raw_type = request.headers.get("content-type")
    if raw_type is None:
        raise HTTPProblem(415, f"a POST needs a Content-Type: {FORM} or {QUERY_TYPE}")
    kind = raw_type.partition(";")[0].strip().lower()
    if kind == UPDATE_TYPE:
        raise HTTPProblem(403, READ_ONLY)
    if kind not in (FORM, QUERY_TYPE):
        raise HTTPProblem(415, f"Content-Type {kind} is not taken here; use {FORM} or {QUERY_TYPE}")
    body = await limited_body(request, settings.max_query_bytes * 3 + 1024)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise HTTPProblem(400, f"the body is not UTF-8 (byte {error.start})") from None
    if kind == QUERY_TYPE:
        return [("query", text)]
    return parse_form(text)


def parse_form(text: str) -> list[tuple[str, str]]:
    """What parse_qsl(text, keep_blank_values=True) gives, percent-decoded in C: a query's text
    comes with hundreds of escapes, which parse_qsl decodes one by one in Python."""
    try:
        pairs = (pair.partition("=") for pair in text.split("&") if pair)
        return [(_unquote(name), _unquote(value)) for name, _, value in pairs]
    except ValueError:  # a non-ASCII character or a % that starts no escape: the slow way
        return parse_qsl(text, keep_blank_values=True)


def _unquote(text: str) -> str:
    """`text` with + as space and %XX decoded as UTF-8; ValueError for what is not that."""
    # backslashes doubled, so that only the escapes made of a % are decoded
    raw = text.replace("+", " ").encode("ascii").replace(b"\\", b"\\\\").replace(b"%", b"\\x")
    return codecs.escape_decode(raw)[0].decode("utf-8", "replace")


async def limited_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise HTTPProblem(413, f"the request body is larger than {limit} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise HTTPProblem(413, f"the request body is larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def named_formats(text: str | None) -> tuple[str | None, str | None]:
    """(type for SELECT/ASK, type for CONSTRUCT/DESCRIBE) the format parameters name, None
    for a kind they leave to Accept. Read leniently, as clients send them: names or media
    types, comma lists, repeats, names we do not serve (skipped). Two formats of one kind is
    the only error."""
    found: tuple[set, set] = (set(), set())
    for item in (text or "").split(","):
        name = item.partition(";")[0].strip().lower()  # a media type's parameters do not count
        for kind, media_type in zip(found, FORMATS.get(name, (None, None)), strict=True):
            if media_type:
                kind.add(media_type)
    for kind, types in zip(("result", "graph"), found, strict=True):
        if len(types) > 1:
            raise HTTPProblem(
                400,
                f"the format parameters (format, output, results) name different {kind} formats: "
                + ", ".join(sorted(types)),
            )
    return next(iter(found[0]), None), next(iter(found[1]), None)


def media_types(request: Request, asked: Request_) -> tuple[str | None, str | None]:
    """(type for SELECT/ASK, type for CONSTRUCT/DESCRIBE): what ?format= (or output=, results=)
    names, else what Accept likes best."""
    named = named_formats(asked.format)
    accept = request.headers.get("accept")
    chosen = []
    kinds = ((RESULT_TYPES, RESULT_ALIASES), (tuple(GRAPH_TYPES), GRAPH_ALIASES))
    for media_type, (offered, aliases) in zip(named, kinds, strict=True):
        try:
            chosen.append(media_type or negotiate(accept, offered, aliases))
        except HTTPProblem:
            chosen.append(None)
    if chosen == [None, None]:
        offered = ", ".join(RESULT_TYPES + tuple(GRAPH_TYPES))
        raise HTTPProblem(
            406, f"none of the formats in Accept: {accept} is served; available: {offered}"
        )
    return chosen[0], chosen[1]


def service_base(settings: Settings) -> str:
    """What relative IRIs in a query resolve against: the endpoint's own URL, the URI the query
    was retrieved from (SPARQL 1.1 Query 4.1.1, RFC 3986 5.1.3)."""
    return settings.public + "sparql"


def guard(asked: Request_, settings: Settings, pub: Publication) -> QueryShape:
    """The query's shape after the policy checks, or an HTTPProblem."""
    try:
        shape = admit(asked.query, settings.service_allowlist, pub.graphs, service_base(settings))
    except QueryRefused as refused:
        raise HTTPProblem(refused.status, str(refused)) from None
    for graph in (asked.default_graphs or ()) + (asked.named_graphs or ()):
        if graph not in pub.graphs:
            raise HTTPProblem(
                400, f"no graph {graph} in this dataset; graphs: {', '.join(pub.graphs)}"
            )
    return shape


# What answers queries: the worker processes over the local build, or a remote store
Engine = QueryPool | Backend


async def answer(request, settings: Settings, pub: Publication, pool: Engine, memory: AnswerCache):
    # Only requests that passed the guard are remembered, so a remembered one needs no check.
    # A store's answers are also keyed by the build it holds, as last read.
    served = pool.build if isinstance(pool, Backend) else None
    key, remembered = None, None
    if request.method != "POST":  # by the raw request: a repeat is answered without parsing
        key = (pub.id, served, request.scope["query_string"], request.headers.get("accept"))
        remembered = memory.get(key)
    if remembered is None:
        asked = await read_request(request, settings)
        types = media_types(request, asked)
        if key is None:  # a POST: by what its body asks
            key = (pub.id, served, asked.query, asked.default_graphs, asked.named_graphs, types)
            remembered = memory.get(key)
    if remembered is None:
        client = client_of(request, settings.client_header)
        result, federated = await evaluate(asked, types, settings, pub, pool, client)
        # a federated answer depends on other endpoints: neither remembered nor cached
        remembered = (result, etag_of(result.body)) if federated else memory.put(key, result)
        headers = {**VARY, "Cache-Control": "no-store"} if federated else VARY
    else:
        headers = VARY
    result, etag = remembered
    if result.status != 200:  # a worker's message about the query, which it may quote
        headers = {**headers, **NOSNIFF}
        return Response(result.body, result.status, headers, content_type(result.media_type))
    headers = {**headers, **answer_name(result.media_type)}
    return conditional(request, result.body, result.media_type, headers, etag)


async def evaluate(
    asked: Request_, types, settings: Settings, pub: Publication, pool: Engine, client: str
):
    """(the Answer, whether the query calls SERVICE), run for `client`; every way the pool can
    fail is an HTTPProblem, which is never remembered."""
    if len(asked.query) < INLINE_GUARD:
        shape = guard(asked, settings, pub)
    else:  # long texts take the guard milliseconds: not on the event loop
        shape = await asyncio.to_thread(guard, asked, settings, pub)
    form = shape.form
    if form in FORM_TYPES and types[FORM_TYPES[form]] is None:
        kind = "graph" if FORM_TYPES[form] else "result"
        asked_for = f"format {asked.format!r}" if asked.format else "the Accept header"
        raise HTTPProblem(406, f"{asked_for} names no {kind} format a {form} query gives")
    job = Job(
        str(pub.folder),
        asked.query,
        asked.default_graphs,
        asked.named_graphs,
        types[0],
        types[1],
        settings.max_rows,
        settings.max_result_bytes,
        bool(shape.from_graphs or shape.from_named),
        shape.service_spans,
        settings.service_allowlist,
        service_bytes=settings.service_max_bytes,
        base_iri=service_base(settings),
        form=form,
    )
    try:
        return await pool.run(job, client), bool(shape.service_spans)
    except Busy:
        message = "the server is busy with other queries; try again shortly"
        raise HTTPProblem(503, message, {"Retry-After": "1"}) from None
    except TooMany as many:
        message = (
            f"this client's queries running or waiting have reached its share of this server "
            f"({many.most}); send the next when one of them is answered"
        )
        raise HTTPProblem(429, message, {"Retry-After": "1"}) from None
    except TimedOut:
        message = f"the query ran longer than the time limit of {settings.time_limit:g} s"
        message += " (its wait for a worker included) and was stopped"
        raise HTTPProblem(503, message, {"Retry-After": "1"}) from None
    except OverBudget as over:
        raise over_budget(settings, over.wait) from None
    except StoreError as failed:
        raise HTTPProblem(failed.status, str(failed), {"Retry-After": "1"}) from None
    except Crashed:
        message = (
            "the query engine's process ended while evaluating this query: a fault of the "
            "server, which has started a new one; try again (a query that ends it twice is "
            "refused)"
        )
        raise HTTPProblem(503, message, {"Retry-After": "1"}) from None
    except KillsWorkers:
        message = (
            "this query ended the query engine's process twice, so it is not run again on "
            "this build"
        )
        raise HTTPProblem(400, message) from None


def over_budget(settings: Settings, wait: float) -> HTTPProblem:
    seconds = max(1, math.ceil(wait))
    message = (
        f"this client has used its budget of {settings.client_budget:g} s of query time per "
        f"{settings.budget_window:g} s; try again in {seconds} s (answers already given are "
        "still served)"
    )
    return HTTPProblem(429, message, {"Retry-After": str(seconds)})

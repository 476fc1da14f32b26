"""The HTTP server: the SPARQL endpoint, dereferenceable IRIs, dumps. `create_app(settings)`."""

from collections import OrderedDict
from contextlib import asynccontextmanager
from urllib.parse import urlencode

from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import JSONResponse, RedirectResponse, Response

from . import __version__, linked_data, pages
from .errors import SundhedsgrafError
from .publication import Current, Publication
from .responses import GRAPH_TYPES, HTTPProblem, conditional, negotiate, problem_response, text
from .service_description import describe_service
from .settings import Settings
from .sparql_protocol import FORM, QUERY_TYPE, Answers, answer
from .workers import QueryPool

GET = ["GET", "HEAD"]
EXPOSED = ["ETag", "Last-Modified", "Link", "Content-Location", "Location", "Retry-After", "Vary"]


def create_app(settings: Settings) -> FastAPI:
    """An app serving the build in `settings.root`/dist; raises if there is none."""
    current = Current(settings.root)
    check_base(settings, current.get())
    pool = QueryPool(settings.workers, settings.max_queue, settings.time_limit)
    memory = Answers(settings.cache_bytes)

    @asynccontextmanager
    async def lifespan(app):
        await pool.start()
        yield
        await pool.close()

    app = FastAPI(
        title="sundhedsgraf",
        version=__version__,
        summary="SPARQL 1.1 endpoint and linked data for the Danish digital-health portfolio",
        lifespan=lifespan,
        # FastAPI's Swagger UI and ReDoc pages load scripts from a CDN; ours use no network
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings, app.state.current, app.state.pool = settings, current, pool
    app.add_middleware(
        CORSMiddleware,
        allow_origins=["*"],
        allow_methods=["GET", "HEAD", "POST", "OPTIONS"],
        allow_headers=["Accept", "Content-Type", "If-None-Match", "If-Modified-Since"],
        expose_headers=EXPOSED,
        max_age=86400,
    )
    add_error_handlers(app)
    endpoint = add_sparql_routes(app, settings, current, pool, memory)
    app.add_middleware(
        SparqlFront, current=current, handler=endpoint, max_bytes=settings.cache_bytes
    )  # outermost
    add_linked_data_routes(app, settings, current, pool)
    pages.add_page_routes(app, settings, current, pool)
    return app


def check_base(settings: Settings, pub: Publication) -> None:
    if settings.base_iri and settings.base_iri != pub.base:
        raise SundhedsgrafError(
            f"the build in {settings.root / 'dist'} is under {pub.base}, not {settings.base_iri}: "
            f"rebuild with `sundhedsgraf build --base-iri {settings.base_iri}`"
        )


def add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(HTTPProblem)
    async def problem(request, error: HTTPProblem):
        return problem_response(error)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request, error: StarletteHTTPException):
        return text(error.status_code, str(error.detail), getattr(error, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def invalid(request, error: RequestValidationError):
        where = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
        return text(400, f"bad request: {where}")


SPARQL_PARAMETERS = {
    "query": Query(None, description="a SPARQL 1.1 query (SELECT, ASK, CONSTRUCT, DESCRIBE)"),
    "default_graph_uri": Query(None, alias="default-graph-uri"),
    "named_graph_uri": Query(None, alias="named-graph-uri"),
    "format": Query(None, description="a format name or media type; overrides Accept"),
}
POST_BODY = {
    "requestBody": {
        "content": {
            FORM: {
                "schema": {
                    "type": "object",
                    "properties": {
                        "query": {"type": "string"},
                        "default-graph-uri": {"type": "array", "items": {"type": "string"}},
                        "named-graph-uri": {"type": "array", "items": {"type": "string"}},
                    },
                    "required": ["query"],
                }
            },
            QUERY_TYPE: {"schema": {"type": "string"}},
        },
        "required": True,
    }
}


def add_sparql_routes(app, settings: Settings, current: Current, pool, memory):
    """The /sparql routes; returns their handler for SparqlFront."""

    async def endpoint(request: Request):
        pub = current.get()
        if request.method != "POST" and not request.url.query:
            return service_description(request, settings, pub)
        try:
            return await answer(request, settings, pub, pool, memory)
        except HTTPProblem as error:
            return problem_response(error)

    @app.api_route("/sparql", methods=GET, summary="SPARQL query (GET) or service description")
    async def sparql_get(
        request: Request,
        query: str | None = SPARQL_PARAMETERS["query"],
        default_graph_uri: list[str] | None = SPARQL_PARAMETERS["default_graph_uri"],
        named_graph_uri: list[str] | None = SPARQL_PARAMETERS["named_graph_uri"],
        format: str | None = SPARQL_PARAMETERS["format"],
    ):
        return await endpoint(request)

    @app.post("/sparql", summary="SPARQL query (POST)", openapi_extra=POST_BODY)
    async def sparql_post(
        request: Request,
        default_graph_uri: list[str] | None = SPARQL_PARAMETERS["default_graph_uri"],
        named_graph_uri: list[str] | None = SPARQL_PARAMETERS["named_graph_uri"],
        format: str | None = SPARQL_PARAMETERS["format"],
    ):
        return await endpoint(request)

    return endpoint


def service_description(request: Request, settings: Settings, pub: Publication) -> Response:
    media_type = negotiate(request.headers.get("accept"), tuple(GRAPH_TYPES))
    key = ("sd", media_type, settings.public)
    if key not in pub.memo:
        triples = describe_service(
            pub, settings.public + "sparql", bool(settings.service_allowlist)
        )
        pub.memo[key] = linked_data.serialize(triples, media_type, pub.base)
    headers = {"Vary": "Accept"}
    return conditional(request, pub.memo[key], media_type, headers, last_modified=pub.last_modified)


def add_linked_data_routes(app, settings: Settings, current: Current, pool) -> None:
    public = settings.public

    @app.api_route("/id/{path:path}", methods=GET, summary="a resource: 303 to its document")
    def resource(request: Request, path: str):
        return linked_data.redirect_to_document(request, current.get(), public, "id/" + path)

    @app.api_route("/doc/{path:path}", methods=GET, summary="the document about a resource")
    def doc(request: Request, path: str, page: int | None = Query(None, ge=1)):
        if pages.document_wants_html(request, path):
            return pages.page(pages.resource_page, request, current, settings, path)
        return linked_data.document(request, current.get(), public, path, settings.describe_page)

    @app.api_route("/def", methods=GET, summary="the ontology (hash namespace)")
    def ontology(request: Request):
        if pages.ontology_wants_html(request, None):
            return pages.page(pages.ontology_page, request, current, settings)
        return linked_data.ontology(request, current.get(), None)

    @app.api_route("/def.{extension}", methods=GET, summary="the ontology in one format")
    def ontology_file(request: Request, extension: str):
        if pages.ontology_wants_html(request, extension):
            return pages.page(pages.ontology_page, request, current, settings)
        return linked_data.ontology(request, current.get(), extension)

    @app.api_route("/context.jsonld", methods=GET, summary="the JSON-LD @context, for reuse")
    def jsonld_context(request: Request):
        return linked_data.dump(request, current.get(), "context.jsonld")

    @app.api_route("/shapes", methods=GET, summary="the SHACL shapes")
    def shapes(request: Request):
        return linked_data.dump(request, current.get(), "shapes.ttl")

    @app.api_route("/graph/{name}", methods=GET, summary="a named graph: 303 to the Graph Store")
    def graph(request: Request, name: str):
        pub = current.get()
        iri = pub.base + "graph/" + name
        if iri not in pub.graphs:
            raise HTTPProblem(404, f"no graph {iri} in this dataset")
        location = f"{public}graph-store?{urlencode({'graph': iri})}"
        return RedirectResponse(location, 303, {"Vary": "Accept"})

    @app.api_route("/graph-store", methods=GET, summary="Graph Store Protocol: ?default or ?graph=")
    def graph_store(request: Request, graph: str | None = None, default: str | None = None):
        return linked_data.graph_store(request, current.get())

    @app.api_route("/dist/{name}", methods=GET, summary="a file of the build")
    def dist(request: Request, name: str):
        return linked_data.dump(request, current.get(), name)

    @app.api_route("/.well-known/void", methods=GET, summary="the VoID and DCAT description")
    def void(request: Request):
        return linked_data.void(request, current.get())

    @app.api_route("/dataset", methods=GET, summary="the dataset: 303 to its description")
    def dataset(request: Request):
        return RedirectResponse(public + "doc/dataset", 303)

    @app.get("/health", summary="liveness and the build being served")
    def health():
        return linked_data.health(current.get(), pool.state())

    @app.api_route("/", methods=GET, summary="the home page (HTML), or where things are (JSON)")
    def index(request: Request):
        if pages.prefers_html(request, (pages.HTML, "application/json")):
            return pages.page(pages.home, request, current, settings)
        return JSONResponse(
            {
                "sparql": public + "sparql",
                "void": public + ".well-known/void",
                "graph_store": public + "graph-store?default",
                "ontology": public + "def",
                "dumps": [public + "dist/" + name for name in sorted(current.get().files)],
                "openapi": public + "openapi.json",
            },
            headers={"Vary": "Accept, Accept-Language"},
        )


class SparqlFront:
    """Raw ASGI in front of the app for GET /sparql?…, the hot path of the endpoint.

    Queries skip FastAPI's routing and validation, and answers to a repeated request (same
    query string and Accept) are sent as remembered bytes. Everything else goes to the app.
    """

    def __init__(self, app, current: Current, handler, max_bytes: int):
        self.app, self.current, self.handler = app, current, handler
        self.sent: OrderedDict = OrderedDict()
        self.max_bytes, self.bytes = max_bytes, 0

    async def __call__(self, scope, receive, send):
        if not (
            scope["type"] == "http"
            and scope["path"] == "/sparql"
            and scope["method"] in ("GET", "HEAD")
            and scope["query_string"]
        ):
            return await self.app(scope, receive, send)
        headers = dict(scope["headers"])
        conditional_request = b"if-none-match" in headers or b"if-modified-since" in headers
        key = (self.current.get().id, scope["query_string"], headers.get(b"accept"))
        response = None if conditional_request else self.sent.get(key)
        if response is not None:
            self.sent.move_to_end(key)
        else:
            response = await self.handler(Request(scope, receive))
            stored = response.headers.get("cache-control") != "no-store"  # not federated
            if response.status_code == 200 and not conditional_request and stored:
                self.remember(key, response)
        cors(response, headers)  # no await before the send: the headers are this request's
        await response(scope, receive, send)

    def remember(self, key, response: Response) -> None:
        """Keep `response`, least recently used out first, within `max_bytes` of bodies."""
        size = len(response.body) + len(key[1])
        if size > self.max_bytes // 8 or key in self.sent:
            return
        self.sent[key] = response
        self.bytes += size
        while self.bytes > self.max_bytes:
            old_key, old = self.sent.popitem(last=False)
            self.bytes -= len(old.body) + len(old_key[1])


def cors(response: Response, request_headers: dict) -> None:
    """What CORSMiddleware adds for a simple request: public data, any origin, no credentials."""
    if b"origin" in request_headers:
        response.headers["Access-Control-Allow-Origin"] = "*"
        response.headers["Access-Control-Expose-Headers"] = ", ".join(EXPOSED)
    elif "access-control-allow-origin" in response.headers:
        del response.headers["access-control-allow-origin"]
        del response.headers["access-control-expose-headers"]

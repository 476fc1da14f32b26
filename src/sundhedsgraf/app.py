"""The HTTP app: `create_app(settings)` and the one table of its routes."""

import asyncio
import re
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import urlencode

from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.staticfiles import StaticFiles

from sundhedsgraf import __version__
from sundhedsgraf.errors import SundhedsgrafError
from sundhedsgraf.formats import GRAPH_TYPES, HTML, JSON
from sundhedsgraf.pages import (
    accessibility,
    home,
    impact,
    lists,
    ontology,
    query,
    query_terms,
    resource,
    search,
    use,
)
from sundhedsgraf.pages import dataset as dataset_pages
from sundhedsgraf.pages import pictures as picture_pages
from sundhedsgraf.pages.page import (
    document_wants_html,
    error_page,
    guarded,
    ontology_wants_html,
    prefers_html,
)
from sundhedsgraf.pages.warm import warm
from sundhedsgraf.publication import Current, Publication
from sundhedsgraf.settings import Settings
from sundhedsgraf.sparql.backend import Backend
from sundhedsgraf.sparql.cache import AnswerCache
from sundhedsgraf.sparql.fairness import Budgets
from sundhedsgraf.sparql.front import EXPOSED, App
from sundhedsgraf.sparql.protocol import FORM, QUERY_TYPE, answer
from sundhedsgraf.sparql.service_description import service_description
from sundhedsgraf.sparql.workers import QueryPool
from sundhedsgraf.web import linked_data
from sundhedsgraf.web.responses import HTTPProblem, problem_response, text

GET = ["GET", "HEAD"]
TEXT = "text/plain"  # what a program gets for a path we do not have
STATIC = Path(__file__).parent / "pages" / "static"
LONG_QUERY_SHARE = 0.1  # of the time limit: a client that ran a longer query is heavy


def create_app(settings: Settings) -> FastAPI:
    """An app serving the build in `settings.root`/dist; raises if there is none."""
    current = Current(
        settings.root, settings.page_cache_bytes, lambda pub: warm(pub, settings), settings.store
    )
    check_base(settings, current.get())
    pool = engine(settings, current)
    answers = AnswerCache(settings.cache_bytes)

    @asynccontextmanager
    async def lifespan(app):
        # the first build is warmed while the workers start, before the first request
        await asyncio.gather(
            pool.start(str(current.get().folder)),
            asyncio.to_thread(current.warm, current.publication),
        )
        watching = asyncio.create_task(watch(current))
        yield
        watching.cancel()
        await pool.close()

    app = App(
        title="sundhedsgraf",
        version=__version__,
        summary="SPARQL 1.1 endpoint and linked data for the Danish digital-health portfolio",
        lifespan=lifespan,
        # FastAPI's Swagger UI and ReDoc pages load scripts from a CDN; ours use no network
        docs_url=None,
        redoc_url=None,
        generate_unique_id_function=operation_base,
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
    app.sparql = add_routes(app, settings, current, pool, answers)
    app.openapi = stable_openapi(app)
    return app


def operation_base(route) -> str:
    """The start of a route's OpenAPI operation ids (FastAPI's default adds one method of the
    route's set of methods, which is not the same in every process)."""
    return re.sub(r"\W", "_", route.name + route.path_format)


def stable_openapi(app: FastAPI):
    """FastAPI's OpenAPI description in one order, the same bytes in every process (replicas
    give the same answers): operations sorted by method, each id ending in its method."""
    make = app.openapi

    def openapi() -> dict:
        if app.openapi_schema is None:
            schema = make()
            for path, operations in schema["paths"].items():
                schema["paths"][path] = {
                    method: operation | {"operationId": f"{operation['operationId']}_{method}"}
                    for method, operation in sorted(operations.items())
                }
            app.openapi_schema = schema
        return app.openapi_schema

    return openapi


async def watch(current: Current) -> None:
    """Look for a new build every second, also when no request comes: a replica nobody asked
    for a while answers its next request from the newest build too."""
    while True:
        current.get()  # a new build is loaded and warmed on a thread of its own
        await asyncio.sleep(current.CHECK_EVERY)


def engine(settings: Settings, current: Current) -> QueryPool | Backend:
    """What answers queries: worker processes over the build, or the store named by
    --sparql-backend (pages and documents are made from the build either way)."""
    shares = budgets(settings)
    if settings.sparql_backend:
        return Backend(
            settings.sparql_backend,
            settings.workers,
            settings.max_queue,
            settings.time_limit,
            shares,
            settings.client_share,
            current.get,
        )
    return QueryPool(
        settings.workers,
        settings.max_queue,
        settings.time_limit,
        shares,
        settings.client_share,
        settings.store,
    )


def budgets(settings: Settings) -> Budgets:
    """Clients' budgets; a query over a tenth of the time limit is a long one."""
    long_query = settings.time_limit * LONG_QUERY_SHARE
    return Budgets(settings.client_budget, settings.budget_window, long_query)


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
        if error.status_code == 404 and prefers_html(request, (TEXT, HTML)):  # a browser
            problem = HTTPProblem(404, f"no page at {request.url.path[:200]}")
            return error_page(request, app.state.current.get(), app.state.settings, problem)
        return text(error.status_code, str(error.detail), getattr(error, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def invalid(request, error: RequestValidationError):
        where = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
        return text(400, f"bad request: {where}")


PAGE = {
    "name": "page",
    "in": "query",
    "description": "the page of inbound links",
    "schema": {"type": "integer", "minimum": 1},
}
SPARQL_PARAMETERS = {
    "query": Query(None, description="a SPARQL 1.1 query (SELECT, ASK, CONSTRUCT, DESCRIBE)"),
    "default_graph_uri": Query(None, alias="default-graph-uri"),
    "named_graph_uri": Query(None, alias="named-graph-uri"),
    "format": Query(
        None,
        description="a format name or media type (output= and results= are read alike); "
        "overrides Accept for the query forms it fits",
    ),
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


def add_routes(app: FastAPI, settings: Settings, current: Current, pool, answers) -> object:
    """Every URL of the app, in one table; returns the /sparql handler for App.sparql."""
    public = settings.public

    def html(handler, request: Request, *args) -> Response:
        """A page handler with the HTML error pages (sync: FastAPI runs it off the loop)."""
        return guarded(handler)(request, current.get(), settings, *args)

    # ---- SPARQL ----

    async def endpoint(request: Request):
        pub = current.get()
        if request.method != "POST" and not request.scope["query_string"]:
            if prefers_html(request, (*GRAPH_TYPES, HTML)):  # a browser: the query page
                return RedirectResponse(public + "query", 303, {"Vary": "Accept"})
            return service_description(request, settings, pub)
        try:
            return await answer(request, settings, pub, pool, answers)
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

    # ---- linked data: resources, documents, the ontology, graphs, files ----

    @app.api_route("/", methods=GET, summary="the home page (HTML), or where things are (JSON)")
    def index(request: Request):
        if prefers_html(request, (HTML, JSON)):
            return html(home.home_page, request)
        body = where_things_are(public, current.get())
        return JSONResponse(body, headers={"Vary": "Accept, Accept-Language"})

    @app.api_route("/id/{path:path}", methods=GET, summary="a resource: 303 to its document")
    def resource_iri(request: Request, path: str):
        return linked_data.redirect_to_document(request, current.get(), public, "id/" + path)

    # ?page= is only described here: linked_data.page_number reads it, so that a bad one gets
    # the HTML error page when HTML was asked for (FastAPI's validation answers in plain text)
    @app.api_route(
        "/doc/{path:path}",
        methods=GET,
        summary="the document about a resource",
        openapi_extra={"parameters": [PAGE]},
    )
    def doc(request: Request, path: str):
        if document_wants_html(request, path):
            if path.removesuffix(".html") == "dataset":
                return html(dataset_pages.dataset_page, request)
            return html(resource.resource_page, request, path)
        return linked_data.document(request, current.get(), public, path, settings.describe_page)

    @app.api_route("/def", methods=GET, summary="the ontology (hash namespace)")
    def ontology_document(request: Request):
        if ontology_wants_html(request, None):
            return html(ontology.ontology_page, request)
        return linked_data.ontology(request, current.get(), None)

    @app.api_route("/def.{extension}", methods=GET, summary="the ontology in one format")
    def ontology_file(request: Request, extension: str):
        if ontology_wants_html(request, extension):
            return html(ontology.ontology_page, request)
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
        return linked_data.dump(request, current.get(), name, download=True)

    @app.api_route("/.well-known/void", methods=GET, summary="the VoID and DCAT description")
    def void(request: Request):
        if prefers_html(request, (*GRAPH_TYPES, HTML)):  # a browser: the dataset page
            return RedirectResponse(public + "doc/dataset", 303, {"Vary": "Accept"})
        return linked_data.void(request, current.get())

    @app.api_route("/dataset", methods=GET, summary="the dataset: 303 to its description")
    def dataset(request: Request):
        return RedirectResponse(public + "doc/dataset", 303)

    @app.get("/health", summary="liveness and the build being served")
    def health():
        return linked_data.health(current.get(), pool.state())

    # ---- pages for people ----

    for path, handler, summary in PAGES:
        app.add_api_route(path, page_route(html, handler), methods=GET, summary=summary)

    @app.api_route("/query", methods=GET, summary="HTML: run a SPARQL query, results as a table")
    async def query_page(request: Request):
        return await guarded(query.query_page)(request, current.get(), settings, pool)

    @app.api_route("/query/network.svg", methods=GET, summary="a CONSTRUCT answer's picture")
    async def answer_picture(request: Request):
        return await guarded(query.answer_picture)(request, current.get(), settings, pool)

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return endpoint


# The pages with no more than a path: (path, handler, summary). Path parameters are passed on
# to the handler in order.
PAGES = [
    ("/browse", lists.browse_page, "HTML: the lists of resources"),
    ("/browse/{name}.{extension}", lists.list_download, "a list as CSV, TSV, JSON or XLSX"),
    ("/browse/{name}", lists.list_page, "HTML: a list of resources, with filters"),
    ("/search.{extension}", search.search_download, "search results as CSV, TSV, JSON or XLSX"),
    ("/search", search.search_page, "HTML or JSON: search labels, names and descriptions"),
    ("/search/suggest", search.suggest_page, "JSON: names that start with q, for typing"),
    ("/query/terms.json", query_terms.terms_json, "JSON: the terms the query editor completes"),
    ("/pictures", picture_pages.pictures_page, "HTML: the network, timeline and portfolio"),
    ("/use", use.use_page, "HTML: how to use the data: files, tables, endpoint, examples"),
    ("/pictures/{name}.svg", picture_pages.svg_file, "a picture as image/svg+xml"),
    ("/accessibility", accessibility.accessibility_page, "HTML: the accessibility statement"),
    ("/impact/{path:path}", impact.impact_csv, "CSV: what depends on a resource, and through what"),
]


def page_route(html, handler):
    """A FastAPI endpoint for a page handler (sync: FastAPI runs it off the event loop)."""

    def endpoint(request: Request) -> Response:
        return html(handler, request, *request.path_params.values())

    return endpoint


def where_things_are(public: str, pub: Publication) -> dict:
    """The JSON index at /."""
    return {
        "sparql": public + "sparql",
        "void": public + ".well-known/void",
        "graph_store": public + "graph-store?default",
        "ontology": public + "def",
        "dumps": [public + "dist/" + name for name in sorted(pub.files)],
        "openapi": public + "openapi.json",
    }

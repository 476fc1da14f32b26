"""The HTML pages: home, resources, lists, ontology, search, query and pictures, in da and en.

Pages are rendered on the server from Jinja2 templates (autoescaped) and work without
JavaScript. Every HTML answer carries a strict Content-Security-Policy (no inline scripts or
styles), `Content-Language` and `Vary: Accept, Accept-Language`. Pages whose set is bounded
by the data (resources, lists with valid filters, the ontology, pictures) are kept in
`pub.memo` per build, keyed by path, query and language, and answered with an ETag.
"""

import inspect
import json
import logging
import re
import time
from pathlib import Path
from urllib.parse import urlencode

import pyoxigraph as ox
from jinja2 import Environment, PackageLoader
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response
from starlette.staticfiles import StaticFiles

from . import i18n, page_data
from .conneg import NotAcceptable, choose
from .describe import describe
from .linked_data import page_number, resource, serialize
from .namespaces import DEFAULT_BASE
from .publication import Current, Publication
from .responses import (
    DOCUMENT_OFFERS,
    DOCUMENT_TYPES,
    GRAPH_TYPES,
    HTML,
    HTTPProblem,
    conditional,
)
from .results import RESULT_MEDIA_TYPES
from .settings import Settings
from .sparql_protocol import Request_, evaluate

log = logging.getLogger(__name__)

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}
GET = ["GET", "HEAD"]
MAX_ROWS_SHOWN = 1000
QUERY_FOLDERS = (Path("queries"), Path(__file__).resolve().parents[2] / "queries")


def json_script(data: str) -> Markup:
    """JSON text safe inside <script type="application/ld+json">: `</` written `<\\/`, and
    `<!--` and `<script` with `\\u003c`, so no text of the data can end or re-open the element.
    (`<` stands only inside JSON strings, where both escapes mean the same characters.)"""
    data = data.replace("</", "<\\/")
    data = re.sub(r"<(?=!--|script)", r"\\u003c", data, flags=re.IGNORECASE)
    return Markup(data)


ENV = Environment(
    loader=PackageLoader("sundhedsgraf", "templates"),
    autoescape=True,  # every template, whatever its name
    trim_blocks=True,
    lstrip_blocks=True,
)
ENV.filters["json_script"] = json_script


class Page:
    """One request for a page: the publication, the language, and URL helpers."""

    def __init__(self, request: Request, pub: Publication, settings: Settings):
        self.request, self.pub, self.settings = request, pub, settings
        self.public = settings.public
        try:
            self.lang, self.explicit = i18n.choose(
                request.query_params.get("lang"), request.headers.get("accept-language")
            )
        except i18n.BadLanguage as error:
            self.lang, self.explicit = i18n.DEFAULT, False
            raise HTTPProblem(400, str(error)) from None
        self.t = i18n.texts(self.lang)
        self.idx = page_data.index(pub, self.public)

    def url(self, path: str, params=None) -> str:
        """Our URL for `path` (no leading slash), keeping ?lang= if the request named it."""
        pairs = [(k, v) for k, v in (params or []) if v is not None]
        if self.explicit:
            pairs.append(("lang", self.lang))
        return self.public + path + ("?" + urlencode(pairs) if pairs else "")

    def switch(self, lang: str) -> str:
        """This page in `lang`: the same path and query, with lang replaced."""
        pairs = [(k, v) for k, v in self.request.query_params.multi_items() if k != "lang"]
        pairs.append(("lang", lang))
        return self.public + self.request.url.path.lstrip("/") + "?" + urlencode(pairs)

    def with_lang(self, url: str) -> str:
        """One of our URLs, with ?lang= added (before any #fragment) if the request named it."""
        if not self.explicit:
            return url
        url, hash_, fragment = url.partition("#")
        return url + ("&" if "?" in url else "?") + "lang=" + self.lang + hash_ + fragment

    def render(self, template: str, **context) -> bytes:
        other = "en" if self.lang == "da" else "da"
        return (
            ENV.get_template(template)
            .render(
                page=self,
                t=self.t,
                lang=self.lang,
                other=other,
                public=self.public,
                **context,
            )
            .encode()
        )

    def respond(self, body: bytes, status: int = 200, headers: dict | None = None) -> Response:
        headers = {
            **SECURITY_HEADERS,
            "Content-Language": self.lang,
            "Vary": "Accept, Accept-Language",
            "Cache-Control": "public, max-age=60" if status == 200 else "no-store",
            **(headers or {}),
        }
        return conditional(
            self.request, body, HTML, headers, last_modified=self.pub.last_modified, status=status
        )

    def memo_key(self, name: str, known: tuple = ()) -> tuple | None:
        """The key of this page in `pub.memo`, or None if it is not to be kept: only requests
        whose parameters are all `known` (and single) are, so the keys stay bounded by the data
        (each value is checked before the page is kept)."""
        params = self.request.query_params
        names = set(params.keys())
        if not names <= {"lang", *known} or any(len(params.getlist(n)) > 1 for n in names):
            return None
        return ("html", name, self.request.url.path, str(params), self.lang)


def error_page(request: Request, pub: Publication, settings: Settings, problem: HTTPProblem):
    """An HTTPProblem as an HTML page in the request's language (Danish if ?lang= is bad)."""
    page = Page.__new__(Page)
    page.request, page.pub, page.settings, page.public = request, pub, settings, settings.public
    try:
        page.lang, page.explicit = i18n.choose(
            request.query_params.get("lang"), request.headers.get("accept-language")
        )
    except i18n.BadLanguage:
        page.lang, page.explicit = i18n.DEFAULT, False
    page.t = i18n.texts(page.lang)
    page.idx = page_data.index(pub, settings.public)
    body = page.render("error.html", status=problem.status, message=problem.message)
    return page.respond(body, problem.status, problem.headers)


def guarded(handler):
    """A page handler whose HTTPProblem (or bad filter) becomes an HTML error page; sync
    handlers stay sync (FastAPI runs them on its thread pool, off the event loop)."""

    def problem_page(request, pub, settings, error):
        if isinstance(error, page_data.BadFilter):
            error = HTTPProblem(400, str(error))
        return error_page(request, pub, settings, error)

    if inspect.iscoroutinefunction(handler):

        async def run_async(request: Request, pub: Publication, settings: Settings, *args):
            try:
                return await handler(request, pub, settings, *args)
            except (HTTPProblem, page_data.BadFilter) as error:
                return problem_page(request, pub, settings, error)

        return run_async

    def run(request: Request, pub: Publication, settings: Settings, *args):
        try:
            return handler(request, pub, settings, *args)
        except (HTTPProblem, page_data.BadFilter) as error:
            return problem_page(request, pub, settings, error)

    return run


# ---- negotiation -------------------------------------------------------------------------


def prefers_html(request: Request, offered: tuple[str, ...]) -> bool:
    """True if Accept likes HTML best among `offered` (False if nothing is acceptable)."""
    try:
        return choose(request.headers.get("accept"), offered) == HTML
    except NotAcceptable:
        return False


def document_wants_html(request: Request, path: str) -> bool:
    """/doc/<path>: HTML for a `.html` path, or when Accept likes it best of the offers."""
    if path.endswith(".html"):
        return True
    stem, dot, extension = path.rpartition(".")
    if dot and "/" not in extension and extension in GRAPH_TYPES.values():
        return False
    return prefers_html(request, tuple(DOCUMENT_OFFERS))


def ontology_wants_html(request: Request, extension: str | None) -> bool:
    if extension is not None:
        return extension == "html"
    return prefers_html(request, tuple(GRAPH_TYPES) + (HTML,))


# ---- pages -------------------------------------------------------------------------------


def cached(page: Page, name: str, make, known: tuple = ()) -> Response:
    key = page.memo_key(name, known)
    if key is None:
        return page.respond(make())
    if key not in page.pub.memo:
        page.pub.memo[key] = make()
    return page.respond(page.pub.memo[key])


def home(request: Request, pub: Publication, settings: Settings) -> Response:
    page = Page(request, pub, settings)

    def make():
        view = page_data.home_view(pub, page.idx, page.lang)
        return page.render("home.html", view=view, lists=page_data.LISTS)

    return cached(page, "home", make)


def resource_page(request: Request, pub: Publication, settings: Settings, path: str) -> Response:
    page = Page(request, pub, settings)
    stem = path.removesuffix(".html")
    node = resource(pub, "id/" + stem)
    number = page_number(request)

    def make():
        idx = page.idx
        if not any(True for _ in pub.store.quads_for_pattern(node, None, None)) and not any(
            True for _ in pub.store.quads_for_pattern(None, None, node)
        ):
            raise HTTPProblem(404, f"no resource {node.value} in this dataset")
        view = page_data.resource_view(pub, idx, node, page.lang, number, settings.describe_page)
        if number > view["pages"]:
            raise HTTPProblem(
                404, f"page {number} is past the last page ({view['pages']}) of inbound links"
            )
        found = describe(pub.store, node, number, settings.describe_page)
        data = serialize(found.triples, "application/ld+json", pub.base).decode()
        picture = None
        if view["kind"] in ("initiative", "system", "standard"):
            picture = draw("network", pub, page.lang, page.public, around=node.value)
        doc = page.public + "doc/" + stem
        downloads = [(ext, media, f"{doc}.{ext}") for media, ext in DOCUMENT_TYPES.items()]
        return page.render(
            "resource.html",
            view=view,
            jsonld=data,
            picture=picture,
            downloads=downloads,
            doc=doc,
            stem=stem,
        )

    key = page.memo_key("doc", ("page",))
    if key is None:
        body = make()
    else:
        if key not in pub.memo:
            pub.memo[key] = make()
        body = pub.memo[key]
    doc = page.public + "doc/" + stem
    alternates = ", ".join(
        f'<{doc}.{ext}>; rel="alternate"; type="{media}"' for media, ext in DOCUMENT_OFFERS.items()
    )
    suffix = "" if number == 1 else f"?page={number}"
    headers = {"Link": alternates, "Content-Location": f"{doc}.html{suffix}"}
    return page.respond(body, headers=headers)


def browse(request: Request, pub: Publication, settings: Settings) -> Response:
    page = Page(request, pub, settings)

    def make():
        return page.render("browse.html", view=page_data.browse_view(pub, page.idx, page.lang))

    return cached(page, "browse", make)


def list_page(request: Request, pub: Publication, settings: Settings, name: str) -> Response:
    page = Page(request, pub, settings)
    if name not in page_data.LISTS:
        raise HTTPProblem(404, f"no list {name!r}; lists: {', '.join(page_data.LISTS)}")
    known = tuple(f.name for f in page_data.LISTS[name].facets)

    def make():
        view = page_data.list_view(pub, page.idx, name, page.lang, request.query_params)
        return page.render("list.html", view=view)

    return cached(page, "list", make, known)


def ontology_page(request: Request, pub: Publication, settings: Settings) -> Response:
    page = Page(request, pub, settings)

    def make():
        view = page_data.ontology_view(pub, page.idx, page.lang)
        formats = [(ext, media) for media, ext in GRAPH_TYPES.items()]
        return page.render("ontology.html", view=view, formats=formats)

    return cached(page, "ontology", make)


def search_page(request: Request, pub: Publication, settings: Settings) -> Response:
    page = Page(request, pub, settings)
    queries = request.query_params.getlist("q")
    if len(queries) > 1:
        raise HTTPProblem(400, "give at most one q parameter")
    q = queries[0] if queries else ""
    if len(q) > page_data.MAX_QUERY_CHARS:
        raise HTTPProblem(
            400, f"the search text is longer than {page_data.MAX_QUERY_CHARS} characters"
        )
    results = page_data.search(pub, page.idx, q, page.lang) if q.strip() else None
    return page.respond(page.render("search.html", q=q, results=results))


# ---- the query page ----------------------------------------------------------------------


def examples(pub: Publication, settings: Settings) -> list[dict]:
    """The competency queries (queries/*.rq) with their titles, rebased to the build's base."""
    key = ("pages-examples", str(settings.root))
    if key in pub.memo:
        return pub.memo[key]
    found = []
    for folder in (settings.root / QUERY_FOLDERS[0], QUERY_FOLDERS[1]):
        if folder.is_dir():
            for path in sorted(folder.glob("*.rq")):
                text = path.read_text(encoding="utf-8")
                if pub.base != DEFAULT_BASE:
                    text = text.replace(DEFAULT_BASE, pub.base)
                titles = {}
                for line in text.splitlines():
                    if line.startswith("# title@"):
                        tag, _, title = line[len("# title@") :].partition(":")
                        titles[tag.strip()] = title.strip()
                found.append({"name": path.stem, "text": text, "titles": titles})
            break
    pub.memo[key] = found
    return found


async def query_page(request: Request, pub: Publication, settings: Settings, pool) -> Response:
    page = Page(request, pub, settings)
    queries = request.query_params.getlist("query")
    if len(queries) > 1:
        raise HTTPProblem(400, "give at most one query parameter")
    query = queries[0] if queries else ""
    context = {"query": query, "examples": examples(pub, settings), "outcome": None}
    if query.strip():
        if len(query.encode()) > settings.max_query_bytes:
            raise HTTPProblem(413, f"the query is longer than {settings.max_query_bytes} bytes")
        asked = Request_(query, None, None, None)
        types = (RESULT_MEDIA_TYPES["json"], "application/n-triples")
        started = time.monotonic()
        try:  # the endpoint's own path: the guard, the workers and their limits
            answer, _ = await evaluate(asked, types, settings, pub, pool)
            status, body, media_type = answer.status, answer.body, answer.media_type
        except HTTPProblem as problem:
            status, body, media_type = problem.status, problem.message.encode(), "text/plain"
        elapsed = time.monotonic() - started
        if status != 200:
            context["error"] = body.decode("utf-8", "replace")
            return page.respond(page.render("query.html", **context), status, no_store())
        context["outcome"] = outcome(page, body, media_type, query)
        context["elapsed"] = f"{elapsed:.2f}"
    return page.respond(page.render("query.html", **context), headers=no_store())


def no_store() -> dict:
    return {"Cache-Control": "no-store"}


def outcome(page: Page, body: bytes, media_type: str, query: str) -> dict:
    """The answer as a table: head and rows of cell views, or a boolean."""
    sparql = page.public + "sparql?"
    if media_type == RESULT_MEDIA_TYPES["json"]:
        data = json.loads(body)
        if "boolean" in data:
            return {
                "boolean": data["boolean"],
                "downloads": [("json", sparql + urlencode({"query": query, "format": "json"}))],
            }
        names = data["head"]["vars"]
        bindings = data["results"]["bindings"]
        rows = [[cell(page, b.get(n)) for n in names] for b in bindings[:MAX_ROWS_SHOWN]]
        downloads = [
            (f, sparql + urlencode({"query": query, "format": f}))
            for f in ("csv", "json", "tsv", "xml")
        ]
        return {"head": names, "rows": rows, "count": len(bindings), "downloads": downloads}
    triples = list(ox.parse(body, format=ox.RdfFormat.N_TRIPLES))
    rows = [
        [
            cell(page, term_json(t.subject)),
            cell(page, term_json(t.predicate)),
            cell(page, term_json(t.object)),
        ]
        for t in triples[:MAX_ROWS_SHOWN]
    ]
    downloads = [
        (f, sparql + urlencode({"query": query, "format": f}))
        for f in ("ttl", "jsonld", "nt", "rdf")
    ]
    return {
        "head": ["subject", "predicate", "object"],
        "rows": rows,
        "count": len(triples),
        "downloads": downloads,
    }


def term_json(term) -> dict:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        found = {"type": "literal", "value": term.value}
        if term.language:
            found["xml:lang"] = term.language
        else:
            found["datatype"] = term.datatype.value
        return found
    return {"type": "literal", "value": str(term)}


def cell(page: Page, binding: dict | None) -> dict | None:
    if binding is None:
        return None
    kind = binding.get("type")
    if kind == "uri":
        url, internal = page.idx.href(binding["value"])
        return {
            "kind": "link" if internal else "external",
            "href": page.with_lang(url) if internal else url,
            "text": page.idx.compact(binding["value"]),
            "title": page.idx.label(binding["value"], page.lang) if internal else binding["value"],
        }
    if kind == "bnode":
        return {"kind": "literal", "text": "_:" + binding["value"], "lang": None, "datatype": None}
    if kind in ("literal", "typed-literal"):
        datatype = binding.get("datatype")
        shown = None
        if datatype and datatype not in (page_data.XSD + "string", page_data.RDF + "langString"):
            shown = page_data.shorten(datatype, page.idx.prefix_map) or datatype
        return {
            "kind": "literal",
            "text": binding["value"],
            "lang": binding.get("xml:lang"),
            "datatype": shown,
        }
    return {
        "kind": "literal",
        "text": json.dumps(binding, ensure_ascii=False),
        "lang": None,
        "datatype": None,
    }


# ---- pictures ----------------------------------------------------------------------------

PICTURES = ("network", "timeline", "portfolio")
PORTFOLIO_BY = ("focus-area", "owner")


def draw(name: str, pub: Publication, lang: str, public: str, **options) -> str | None:
    """SVG text from sundhedsgraf.pictures, remembered per build; None if drawing failed."""
    key = ("pages-svg", name, lang, public, tuple(sorted(options.items())))
    if key not in pub.memo:
        try:
            from . import pictures

            pub.memo[key] = getattr(pictures, name)(pub, lang, public, **options)
        except Exception:  # a picture must not take its page down; the log has the reason
            log.exception("drawing %s %s failed", name, options)
            return None
    return pub.memo[key]


def picture_options(page: Page, name: str) -> dict:
    """The options of picture `name` from the query: validated against the data."""
    params = page.request.query_params
    if name == "network":
        around = params.get("around")
        if around is None or around == "":
            return {}
        iri = around if "://" in around else page.pub.base + "id/" + around
        if iri not in set(page.idx.subjects):
            raise HTTPProblem(
                400, f"around must name a resource of this dataset, not {around[:80]!r}"
            )
        return {"around": iri}
    if name == "timeline":
        return {"focus_area": focus_area(page)}
    by = params.get("by") or "focus-area"
    if by not in PORTFOLIO_BY:
        raise HTTPProblem(400, f"by must be one of {', '.join(PORTFOLIO_BY)}, not {by[:40]!r}")
    return {"by": by}


def focus_area(page: Page) -> str | None:
    value = page.request.query_params.get("focus-area") or None
    if value is None:
        return None
    areas = {
        page_data.first_value(page.pub.store, fa, page_data.SKOS + "notation"): fa
        for fa in page.idx.instances({page.idx.sg + "FocusArea"})
    }
    if value not in areas:
        raise HTTPProblem(
            400, f"focus-area must be one of {', '.join(sorted(areas))}, not {value[:40]!r}"
        )
    return areas[value]


def pictures_page(request: Request, pub: Publication, settings: Settings) -> Response:
    page = Page(request, pub, settings)
    chosen = focus_area(page)

    def make():
        areas = sorted(
            (
                {
                    "key": page_data.first_value(pub.store, fa, page_data.SKOS + "notation"),
                    "label": page.idx.label(fa, page.lang),
                    "selected": fa == chosen,
                }
                for fa in page.idx.instances({page.idx.sg + "FocusArea"})
            ),
            key=lambda a: page_data.number_key(a["key"]),
        )
        chosen_key = next((a["key"] for a in areas if a["selected"]), None)
        svg = {
            "network": draw("network", pub, page.lang, page.public),
            "timeline": draw("timeline", pub, page.lang, page.public, focus_area=chosen),
            "by_focus_area": draw("portfolio", pub, page.lang, page.public, by="focus-area"),
            "by_owner": draw("portfolio", pub, page.lang, page.public, by="owner"),
        }
        return page.render("pictures.html", svg=svg, areas=areas, chosen=chosen_key)

    return cached(page, "pictures", make, ("focus-area",))


def svg_file(request: Request, pub: Publication, settings: Settings, name: str) -> Response:
    page = Page(request, pub, settings)
    if name not in PICTURES:
        raise HTTPProblem(404, f"no picture {name!r}; pictures: {', '.join(PICTURES)}")
    options = picture_options(page, name)
    svg = draw(name, pub, page.lang, page.public, **options)
    if svg is None:
        raise HTTPProblem(500, "the picture could not be drawn")
    headers = {
        "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
        "X-Content-Type-Options": "nosniff",
        "Content-Language": page.lang,
        "Vary": "Accept-Language",
        "Cache-Control": "public, max-age=60",
    }
    return conditional(
        request, svg.encode(), "image/svg+xml", headers, last_modified=pub.last_modified
    )


# ---- routes ------------------------------------------------------------------------------


def add_page_routes(app, settings: Settings, current: Current, pool) -> None:
    """The HTML routes and /static (/, /doc/ and /def negotiate HTML in server.py)."""

    def route(path: str, handler, summary: str, *names: str):
        wrapped = guarded(handler)
        if inspect.iscoroutinefunction(handler):

            async def endpoint(request: Request):
                args = [request.path_params[n] for n in names]
                return await wrapped(request, current.get(), settings, *args)

        else:

            def endpoint(request: Request):
                args = [request.path_params[n] for n in names]
                return wrapped(request, current.get(), settings, *args)

        app.add_api_route(path, endpoint, methods=GET, summary=summary)

    route("/browse", browse, "HTML: the lists of resources")
    route("/browse/{name}", list_page, "HTML: a list of resources, with filters", "name")
    route("/search", search_page, "HTML: search labels, abbreviations and descriptions")
    route("/pictures", pictures_page, "HTML: the network, timeline and portfolio pictures")
    route("/pictures/{name}.svg", svg_file, "a picture as image/svg+xml", "name")

    async def run_query(request: Request, pub, settings_):
        return await query_page(request, pub, settings_, pool)

    route("/query", run_query, "HTML: run a SPARQL query, results as a table")
    static = Path(__file__).parent / "static"
    app.mount("/static", StaticFiles(directory=static), name="static")


def page(handler, request: Request, current: Current, settings: Settings, *args) -> Response:
    """For server.py: run a sync page handler with the HTML error pages."""
    return guarded(handler)(request, current.get(), settings, *args)


__all__ = [
    "add_page_routes",
    "document_wants_html",
    "home",
    "ontology_page",
    "ontology_wants_html",
    "page",
    "prefers_html",
    "resource_page",
]

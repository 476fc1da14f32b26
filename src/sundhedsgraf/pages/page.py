"""What every HTML page shares: the request's language and URLs, rendering, headers, errors.

Pages are rendered on the server from Jinja2 templates (autoescaped) and work without
JavaScript. Every HTML answer carries a strict Content-Security-Policy (no inline scripts or
styles), `Content-Language` and `Vary: Accept, Accept-Language`. Pages whose set is bounded
by the data (resources, lists with valid filters, the ontology, pictures) are kept in the
build's cache, keyed by path, query and language, and answered with an ETag.
"""

import inspect
import re
from collections.abc import Callable
from urllib.parse import urlencode

from jinja2 import Environment, PackageLoader
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response

from sundhedsgraf.formats import GRAPH_TYPES, HTML
from sundhedsgraf.pages import i18n
from sundhedsgraf.pages.labels import index
from sundhedsgraf.publication import Publication
from sundhedsgraf.settings import Settings
from sundhedsgraf.web.conneg import NotAcceptable, choose
from sundhedsgraf.web.responses import DOCUMENT_OFFERS, HTTPProblem, conditional

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


def json_script(data: str) -> Markup:
    """JSON text safe inside <script type="application/ld+json">: `</` written `<\\/`, and
    `<!--` and `<script` with `\\u003c`, so no text of the data can end or re-open the element.
    (`<` stands only inside JSON strings, where both escapes mean the same characters.)"""
    data = data.replace("</", "<\\/")
    data = re.sub(r"<(?=!--|script)", r"\\u003c", data, flags=re.IGNORECASE)
    return Markup(data)


ENV = Environment(
    loader=PackageLoader("sundhedsgraf.pages", "templates"),
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
        self.idx = index(pub, self.public)

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
                plural=lambda n, key: i18n.plural(n, key, self.lang),
                number=lambda n: i18n.format_number(str(n), self.lang),
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

    def cache_key(self, known: tuple = ()) -> tuple | None:
        """The key of this page in the build's cache, or None if it is not to be kept: only
        requests whose parameters are all `known` (and single) are, so the keys stay bounded
        by the data (each value is checked before the page is kept)."""
        params = self.request.query_params
        names = set(params.keys())
        if not names <= {"lang", *known} or any(len(params.getlist(n)) > 1 for n in names):
            return None
        return (kept, self.request.url.path, str(params), self.lang)


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
    page.idx = index(pub, settings.public)
    body = page.render("error.html", status=problem.status, message=problem.message)
    return page.respond(body, problem.status, problem.headers)


def guarded(handler):
    """A page handler whose HTTPProblem becomes an HTML error page; sync handlers stay sync
    (FastAPI runs them on its thread pool, off the event loop)."""
    if inspect.iscoroutinefunction(handler):

        async def run_async(request: Request, pub: Publication, settings: Settings, *args):
            try:
                return await handler(request, pub, settings, *args)
            except HTTPProblem as error:
                return error_page(request, pub, settings, error)

        return run_async

    def run(request: Request, pub: Publication, settings: Settings, *args):
        try:
            return handler(request, pub, settings, *args)
        except HTTPProblem as error:
            return error_page(request, pub, settings, error)

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


def kept(page: Page, make: Callable[[], bytes], known: tuple = ()) -> bytes:
    """The page's body, from the build's cache when its parameters are all `known`."""
    key = page.cache_key(known)
    return make() if key is None else page.pub.cache.get(key, make)


def cached(page: Page, make: Callable[[], bytes], known: tuple = ()) -> Response:
    return page.respond(kept(page, make, known))

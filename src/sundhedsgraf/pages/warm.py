"""Warming a build: what the first requests ask for, made before the build is served.

After a start or a switch the first visitors ask for the home page, search and the pictures;
made on demand, each took them seconds. `warm` puts these in the build's cache first: the
label index, the search index, and the home and pictures pages (with their SVG pictures) in
each language, as a browser's Accept-Language or ?lang= asks for them.
"""

import logging

from starlette.requests import Request

from sundhedsgraf.pages import home, pictures, search
from sundhedsgraf.pages.i18n import LANGUAGES
from sundhedsgraf.pages.labels import index
from sundhedsgraf.publication import Publication
from sundhedsgraf.settings import Settings

log = logging.getLogger(__name__)

PAGES = {"/": home.home_page, "/pictures": pictures.pictures_page}


def warm(pub: Publication, settings: Settings) -> None:
    """Make `pub`'s indexes and first pages; a failure is logged, the build served anyway."""
    try:
        search.search_index(pub, index(pub, settings.public))
        for path, page in PAGES.items():
            for lang in LANGUAGES:
                for query in ("", "lang=" + lang):
                    page(browser_request(path, query, lang), pub, settings)
    except Exception:
        log.exception("warming the build %s failed", pub.id)


def browser_request(path: str, query: str, lang: str) -> Request:
    """GET `path`?`query` from a browser that prefers `lang`, as uvicorn hands it to the app."""
    headers = [(b"accept", b"text/html"), (b"accept-language", lang.encode())]
    scope = {
        "type": "http",
        "method": "GET",
        "scheme": "http",
        "server": ("127.0.0.1", 80),
        "root_path": "",
        "path": path,
        "query_string": query.encode(),
        "headers": headers,
    }
    return Request(scope)

"""HTTP answers: negotiation with q-values, conditional requests, plain-text errors."""

import hashlib
import re
from functools import lru_cache

from starlette.requests import Request
from starlette.responses import Response

from sundhedsgraf.formats import ANSWER_EXTENSIONS, DOCUMENT_TYPES, HTML, content_type
from sundhedsgraf.web.conneg import NotAcceptable, choose

# A document is also offered as an HTML page (pages/). Last: `*/*` and no Accept give RDF
# (Turtle); browsers name text/html and get the page.
DOCUMENT_OFFERS = DOCUMENT_TYPES | {HTML: "html"}


class HTTPProblem(Exception):
    """A client error: status, message, and extra headers."""

    def __init__(self, status: int, message: str, headers: dict | None = None):
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers or {}


def problem_response(problem: HTTPProblem) -> Response:
    return text(problem.status, problem.message, problem.headers)


# Error messages echo what the client sent (a decoded path, a parameter, a query): never to be
# sniffed as HTML.
NOSNIFF = {"X-Content-Type-Options": "nosniff"}


def text(status: int, message: str, headers: dict | None = None) -> Response:
    headers = {**NOSNIFF, **(headers or {})}
    return Response(message.rstrip("\n") + "\n", status, headers, "text/plain; charset=utf-8")


@lru_cache(maxsize=4096)
def negotiate(accept: str | None, offered: tuple[str, ...], aliases: tuple = ()) -> str:
    """The offered type the Accept header likes best (aliases map to an offered type); 406."""
    names = dict(aliases)
    try:
        chosen = choose(accept, offered + tuple(names))
    except NotAcceptable:
        raise HTTPProblem(
            406,
            f"none of the formats asked for in Accept: {accept}; available: " + ", ".join(offered),
        ) from None
    return names.get(chosen, chosen)


def etag_of(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:40] + '"'


def not_modified(request: Request, etag: str, last_modified: str | None) -> bool:
    """True if the client's copy is current (If-None-Match, else If-Modified-Since)."""
    match = request.headers.get("if-none-match")
    if match is not None:
        tags = {t.strip().removeprefix("W/") for t in match.split(",")}
        return "*" in tags or etag in tags
    since = request.headers.get("if-modified-since")
    return since is not None and last_modified is not None and since.strip() == last_modified


def conditional(
    request: Request,
    body: bytes,
    media_type: str,
    headers: dict,
    etag: str | None = None,
    last_modified: str | None = None,
    status: int = 200,
) -> Response:
    """A 200 with ETag and Last-Modified, or a 304 when the client's copy is current."""
    headers = {**headers, "ETag": etag or etag_of(body)}
    if last_modified:
        headers["Last-Modified"] = last_modified
    if status == 200 and not_modified(request, headers["ETag"], last_modified):
        return Response(status_code=304, headers=headers)
    return Response(body, status, headers, content_type(media_type))


def file_name(*parts: str, extension: str) -> str:
    """A file name for saving a download: the parts joined by `-`, in the characters every file
    system and the Content-Disposition header take as they are."""
    stem = "-".join(re.sub(r"[^A-Za-z0-9._]+", "-", part).strip("-.") for part in parts if part)
    return f"{stem[:120]}.{extension}"


def disposition(name: str, kind: str = "attachment") -> dict:
    """The header that names a download (RFC 6266); `inline` lets a browser show it first."""
    return {"Content-Disposition": f'{kind}; filename="{name}"'}


@lru_cache
def answer_name(media_type: str) -> dict:
    """The header naming a /sparql answer in `media_type` as a file, if it is one of ours."""
    extension = ANSWER_EXTENSIONS.get(media_type)
    return (
        disposition(file_name("sundhedsgraf-query", extension=extension), "inline")
        if extension
        else {}
    )

"""Talking HTTP to a remote triple store (Oxigraph server, Virtuoso, …): SPARQL 1.1 Query, Update
and the Graph Store Protocol, for `publish` (httpx, blocking) and for `serve --sparql-backend`
(aiohttp: a call to a local store takes a third of the CPU time it takes with httpx's async
client, and about 1 ms less; bench/RESULTS.md).

Credentials come from the environment only (`credentials_from_env`), never from the command line,
where they would show in `ps` and in shell histories; no message names them (`shown`). Every
request has a bounded connect time. A failed publish request is a `RemoteError` naming the URL,
the status and what the store said; a failed query behind /sparql is a `StoreError` with the
status we answer.
"""

import os
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import aiohttp
import httpx

from sundhedsgraf import __version__
from sundhedsgraf.errors import SundhedsgrafError

USER, PASSWORD = "SUNDHEDSGRAF_STORE_USER", "SUNDHEDSGRAF_STORE_PASSWORD"
AUTH_KIND, TOKEN = "SUNDHEDSGRAF_STORE_AUTH", "SUNDHEDSGRAF_STORE_TOKEN"
TIMEOUT = httpx.Timeout(connect=10.0, read=300.0, write=300.0, pool=10.0)
EXCERPT = 300  # characters of a store's error body shown in our message
SPARQL_JSON = "application/sparql-results+json"
CONNECT_SECONDS = 2.0  # behind /sparql: a store that does not take the connection by then is down
USER_AGENT = f"sundhedsgraf/{__version__}"


class RemoteError(SundhedsgrafError):
    """A store that cannot be reached or refuses a request; the message says which and why."""


class BearerAuth(httpx.Auth):
    def __init__(self, token: str):
        self.token = token

    def auth_flow(self, request: httpx.Request):
        request.headers["Authorization"] = f"Bearer {self.token}"
        yield request


@dataclass(frozen=True)
class Credentials:
    kind: str  # "basic", "digest" or "bearer"
    user: str = ""
    secret: str = ""  # the password, or the token


def credentials_from_env(environ: Mapping[str, str] = os.environ) -> Credentials | None:
    """Credentials for the store, from the environment only (never the command line):
    SUNDHEDSGRAF_STORE_USER + SUNDHEDSGRAF_STORE_PASSWORD, sent as HTTP basic, or digest when
    SUNDHEDSGRAF_STORE_AUTH=digest (Virtuoso's /sparql-auth and /sparql-graph-crud-auth);
    or SUNDHEDSGRAF_STORE_TOKEN as a bearer token. None when none is set."""
    if environ.get(TOKEN):
        return Credentials("bearer", secret=environ[TOKEN])
    user, password = environ.get(USER), environ.get(PASSWORD)
    if not user:
        return None
    if password is None:
        raise SundhedsgrafError(f"${USER} is set but ${PASSWORD} is not")
    kind = environ.get(AUTH_KIND, "basic").lower()
    if kind not in ("basic", "digest"):
        raise SundhedsgrafError(f"${AUTH_KIND} must be basic or digest, not {kind!r}")
    return Credentials(kind, user, password)


def auth_from_env(environ: Mapping[str, str] = os.environ) -> httpx.Auth | None:
    """The environment's credentials (credentials_from_env) for httpx."""
    found = credentials_from_env(environ)
    if found is None:
        return None
    if found.kind == "bearer":
        return BearerAuth(found.secret)
    kind = httpx.DigestAuth if found.kind == "digest" else httpx.BasicAuth
    return kind(found.user, found.secret)


def client(environ: Mapping[str, str] = os.environ) -> httpx.Client:
    """An HTTP client for the store: credentials from the environment, bounded times."""
    return httpx.Client(
        auth=auth_from_env(environ),
        timeout=TIMEOUT,
        follow_redirects=False,
        headers={"User-Agent": USER_AGENT},
    )


def async_session(
    connections: int, environ: Mapping[str, str] = os.environ
) -> aiohttp.ClientSession:
    """A client for the store behind /sparql, in the running event loop: `connections` at
    most, kept open, a bounded connect; callers bound the whole call. No proxy from the
    environment between us and our own store (aiohttp's trust_env is off)."""
    found = credentials_from_env(environ)
    headers, auth, middlewares = {"User-Agent": USER_AGENT}, None, ()
    if found and found.kind == "bearer":
        headers["Authorization"] = f"Bearer {found.secret}"
    elif found and found.kind == "digest":
        middlewares = (aiohttp.DigestAuthMiddleware(found.user, found.secret),)
    elif found:
        auth = aiohttp.BasicAuth(found.user, found.secret)
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=connections),
        timeout=aiohttp.ClientTimeout(total=None, sock_connect=CONNECT_SECONDS),
        headers=headers,
        auth=auth,
        middlewares=middlewares,
    )


def shown(url: str) -> str:
    """`url` as messages may show it: without user and password."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = host + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


class StoreError(Exception):
    """The store behind /sparql failed: `status` is what we answer (502, 503, 504), the message
    names the store's URL (without credentials) and what went wrong."""

    def __init__(self, status: int, url: str, problem: str):
        super().__init__(f"the SPARQL store at {shown(url)} {problem}")
        self.status, self.url = status, url


def excerpt(response: httpx.Response) -> str:
    text = " ".join(response.text.split())
    return text[:EXCERPT] + ("…" if len(text) > EXCERPT else "")


def send(http: httpx.Client, method: str, url: str, what: str, **kwargs) -> httpx.Response:
    """One request; a RemoteError naming `what`, the URL and the status when it fails."""
    try:
        response = http.request(method, url, **kwargs)
    except httpx.HTTPError as error:
        reason = str(error) or type(error).__name__
        raise RemoteError(f"{what}: {method} {url} failed: {reason}") from error
    if response.is_success:
        return response
    raise RemoteError(
        f"{what}: {method} {response.url} answered {response.status_code} "
        f"{response.reason_phrase}: {excerpt(response)}"
    )


@dataclass(frozen=True)
class Store:
    """A remote store's three endpoints, and the client that talks to them."""

    gsp_url: str
    update_url: str
    query_url: str
    http: httpx.Client

    def select(self, query: str, what: str) -> list[dict[str, str]]:
        """Rows of a SELECT as {variable: value}, unbound variables left out."""
        response = send(
            self.http, "POST", self.query_url, what, data={"query": query},
            headers={"Accept": SPARQL_JSON},
        )  # fmt: skip
        try:
            bindings = response.json()["results"]["bindings"]
        except (ValueError, KeyError) as error:
            raise RemoteError(f"{what}: {self.query_url} did not answer SPARQL JSON") from error
        return [{name: cell["value"] for name, cell in row.items()} for row in bindings]

    def update(self, update: str, what: str) -> None:
        send(self.http, "POST", self.update_url, what, data={"update": update})

    def put_graph(self, graph: str, body: bytes, what: str, append: bool = False) -> None:
        """Replace (PUT) or add to (POST) `graph` with N-Triples."""
        send(
            self.http, "POST" if append else "PUT", self.gsp_url, what, params={"graph": graph},
            content=body, headers={"Content-Type": "application/n-triples; charset=utf-8"},
        )  # fmt: skip

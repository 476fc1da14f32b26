"""Talking HTTP to a remote triple store (Oxigraph server, Virtuoso, …) with httpx.

Credentials come from the environment only, never the command line (where `ps` shows them),
and no message names them: URLs are shown without their user information.
"""

import os
from urllib.parse import urlsplit, urlunsplit

import httpx

from sundhedsgraf import __version__

CONNECT_SECONDS = 2.0  # a store that does not take the connection by then is down
USER_AGENT = f"sundhedsgraf/{__version__}"


def auth_from_env(environ=os.environ) -> httpx.Auth | None:
    """Credentials for the store, from the environment only (never the command line):
    SUNDHEDSGRAF_STORE_USER + SUNDHEDSGRAF_STORE_PASSWORD, sent as HTTP basic, or digest when
    SUNDHEDSGRAF_STORE_AUTH=digest (Virtuoso's /sparql-auth and /sparql-graph-crud-auth);
    or SUNDHEDSGRAF_STORE_TOKEN as a bearer token. None when none is set."""
    user = environ.get("SUNDHEDSGRAF_STORE_USER")
    password = environ.get("SUNDHEDSGRAF_STORE_PASSWORD")
    token = environ.get("SUNDHEDSGRAF_STORE_TOKEN")
    if user:
        if environ.get("SUNDHEDSGRAF_STORE_AUTH", "basic").lower() == "digest":
            return httpx.DigestAuth(user, password or "")
        return httpx.BasicAuth(user, password or "")
    if token:
        return Bearer(token)
    return None


class Bearer(httpx.Auth):
    def __init__(self, token: str):
        self.token = token

    def auth_flow(self, request):
        request.headers["Authorization"] = f"Bearer {self.token}"
        yield request


def async_client(connections: int, environ=os.environ) -> httpx.AsyncClient:
    """A client for one store: `connections` at most, a bounded connect; callers bound the
    whole call (httpx's other timeouts are per read, not per call)."""
    return httpx.AsyncClient(
        auth=auth_from_env(environ),
        timeout=httpx.Timeout(None, connect=CONNECT_SECONDS),
        limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections),
        headers={"User-Agent": USER_AGENT},
        trust_env=False,  # no proxy from the environment between us and our own store
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
    """The store failed: `status` is what we answer (502, 503, 504), the message names the
    store's URL (without credentials) and what went wrong."""

    def __init__(self, status: int, url: str, problem: str):
        super().__init__(f"the SPARQL store at {shown(url)} {problem}")
        self.status, self.url = status, url

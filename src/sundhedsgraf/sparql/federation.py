"""SERVICE calls to allowlisted endpoints, made through a relay that keeps them bounded.

pyoxigraph makes SERVICE calls itself, with no time limit, no size limit and no hook to set
either. So in a worker, a federated query is rewritten to call a relay on 127.0.0.1 instead;
the relay calls the real endpoint, stops at a deadline before the query's time limit and at a
size limit, follows a redirect only to another allowlisted endpoint, and records why a call
failed so the client gets that reason rather than pyoxigraph's generic one.
"""

import http.client
import itertools
import secrets
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urljoin, urlsplit

from sundhedsgraf import __version__

MAX_REDIRECTS = 3
CHUNK = 1 << 16
FORWARDED_HEADERS = ("Content-Type", "Accept")


@dataclass(frozen=True)
class Call:
    """What one query may do: call `endpoints` (by index) until `deadline`, within `max_bytes`
    per answer, redirected only to an IRI in `allowlist`."""

    endpoints: tuple[str, ...]
    allowlist: frozenset[str]
    deadline: float  # time.monotonic()
    seconds: float  # the time allowed, for messages
    max_bytes: int


class CallFailed(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def rewrite(query: str, spans: tuple[tuple[int, int, str | None], ...], relay_url) -> str:
    """`query` with each SERVICE target at `spans` replaced by `<relay_url(target)>`.

    Spans come from the guard, which reads a query in every way pyoxigraph might; if two of
    its readings disagree on where a target is, the query is not rewritten but refused.
    """
    parts, done = [], 0
    for start, end, target in spans:
        if start < done or target is None:
            raise CallFailed(400, "the SERVICE clauses of this query cannot be read unambiguously")
        parts += [query[done:start], f"<{relay_url(target)}>"]
        done = end
    return "".join(parts) + query[done:]


class Relay:
    """An HTTP server on 127.0.0.1 in this process that forwards SERVICE calls of queries."""

    def __init__(self):
        self.token = secrets.token_hex(16)  # other local processes cannot use the relay
        self.calls: dict[str, Call] = {}
        self.failures: dict[str, CallFailed] = {}
        self.ids = itertools.count()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def open(self, call: Call) -> str:
        """Register a query's calls; returns its id for `url` and `close`."""
        call_id = str(next(self.ids))
        self.calls[call_id] = call
        return call_id

    def url(self, call_id: str, target: str) -> str:
        index = self.calls[call_id].endpoints.index(target)
        port = self.server.server_address[1]
        return f"http://127.0.0.1:{port}/{self.token}/{call_id}/{index}"

    def close(self, call_id: str) -> CallFailed | None:
        """Forget the query's calls; the first failure among them, if any."""
        self.calls.pop(call_id, None)
        return self.failures.pop(call_id, None)

    def _handler(self):
        relay = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                relay._forward(self)

            do_POST = do_GET

            def log_message(self, *args):  # failures reach the client, not stderr
                pass

        return Handler

    def _forward(self, handler: BaseHTTPRequestHandler) -> None:
        path, _, query = handler.path.partition("?")
        token, call_id, index = (path.strip("/").split("/") + ["", "", ""])[:3]
        call = self.calls.get(call_id) if token == self.token else None
        if call is None or not index.isdigit() or int(index) >= len(call.endpoints):
            return reply(handler, 404, "text/plain", b"no such call")
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else None
        headers = {h: handler.headers[h] for h in FORWARDED_HEADERS if handler.headers[h]}
        target = call.endpoints[int(index)]
        try:
            status, media_type, content = fetch(call, target, query, handler.command, body, headers)
        except CallFailed as failure:
            self.failures.setdefault(call_id, failure)
            return reply(handler, 502, "text/plain", str(failure).encode())
        reply(handler, status, media_type, content)


def reply(handler: BaseHTTPRequestHandler, status: int, media_type: str, body: bytes) -> None:
    handler.send_response(status)
    handler.send_header("Content-Type", media_type)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def fetch(call: Call, target: str, query: str, method: str, body, headers) -> tuple:
    """(status, media type, body) of `target`'s answer, or CallFailed saying why not."""
    url = target + ("?" + query if query else "")
    for _ in range(MAX_REDIRECTS + 1):
        response, content = request(call, target, url, method, body, headers)
        if response.status not in (301, 302, 303, 307, 308):
            break
        location = urljoin(url, response.getheader("Location") or "")
        if location.partition("?")[0] not in call.allowlist:
            raise CallFailed(
                502, f"SERVICE <{target}> redirected to <{location}>, which is not on the allowlist"
            )
        url = location
        if response.status == 303:
            method, body = "GET", None
    else:
        raise CallFailed(502, f"SERVICE <{target}> redirected more than {MAX_REDIRECTS} times")
    if not 200 <= response.status < 300:
        snippet = content[:300].decode("utf-8", "replace").strip()
        raise CallFailed(502, f"SERVICE <{target}> answered HTTP {response.status}: {snippet}")
    return response.status, response.getheader("Content-Type") or "text/plain", content


def request(call: Call, target: str, url: str, method: str, body, headers):
    """One HTTP exchange with `url`, bounded by the call's deadline and size limit."""
    parts = urlsplit(url)
    kind = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    path = (parts.path or "/") + ("?" + parts.query if parts.query else "")
    headers = {**headers, "User-Agent": f"sundhedsgraf/{__version__} (SPARQL federation)"}
    try:
        connection = kind(parts.netloc, timeout=remaining(call, target))
        try:
            connection.request(method, path, body=body, headers=headers)
            sock = connection.sock  # getresponse() may drop it from the connection
            response = connection.getresponse()
            return response, read_bounded(call, target, response, sock)
        finally:
            connection.close()
    except TimeoutError:
        raise timed_out(call, target) from None
    except (OSError, http.client.HTTPException) as error:
        raise CallFailed(502, f"SERVICE <{target}> could not be reached: {error}") from None


def read_bounded(call: Call, target: str, response, sock) -> bytes:
    """The body, read while the deadline allows (a timeout per read would let a remote
    that trickles bytes run on) and up to the size limit."""
    chunks, size = [], 0
    while chunk := response.read1(CHUNK):
        size += len(chunk)
        if size > call.max_bytes:
            raise CallFailed(
                502,
                f"SERVICE <{target}> answered with more than {call.max_bytes} bytes, "
                "this endpoint's limit for a federated call",
            )
        chunks.append(chunk)
        sock.settimeout(remaining(call, target))
    return b"".join(chunks)


def remaining(call: Call, target: str) -> float:
    left = call.deadline - time.monotonic()
    if left <= 0:
        raise timed_out(call, target)
    return left


def timed_out(call: Call, target: str) -> CallFailed:
    return CallFailed(
        504, f"SERVICE <{target}> did not answer within {call.seconds:g} s, this query's time"
    )

"""The app, with GET /sparql?… (the hot path of the endpoint) in front of everything.

Queries skip FastAPI's middleware, routing and validation and go straight to the endpoint's
handler (which answers repeated requests from the answer cache). Everything else goes to the app.
"""

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import Response

EXPOSED = [
    "ETag",
    "Last-Modified",
    "Link",
    "Content-Location",
    "Location",
    "Retry-After",
    "Vary",
    "Content-Disposition",
]


class App(FastAPI):
    """FastAPI with the query path before everything else: `sparql` (the endpoint's handler)
    answers GET and HEAD /sparql?… without FastAPI's middleware, routing and validation. An
    error it does not catch is uvicorn's 500, as it would be FastAPI's."""

    sparql = None

    async def __call__(self, scope, receive, send):
        if self.sparql is None or not (
            scope["type"] == "http"
            and scope["path"] == "/sparql"
            and scope["method"] in ("GET", "HEAD")
            and scope["query_string"]
        ):
            return await super().__call__(scope, receive, send)
        scope["app"] = self
        response = await self.sparql(Request(scope, receive))
        cors(response, dict(scope["headers"]))
        await response(scope, receive, send)


def cors(response: Response, request_headers: dict) -> None:
    """What CORSMiddleware adds for a simple request: public data, any origin, no credentials."""
    if b"origin" in request_headers:
        response.headers["Access-Control-Allow-Origin"] = "*"
        response.headers["Access-Control-Expose-Headers"] = ", ".join(EXPOSED)

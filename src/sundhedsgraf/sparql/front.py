"""Raw ASGI in front of the app for GET /sparql?…, the hot path of the endpoint.

Queries skip FastAPI's routing and validation and go straight to the endpoint's handler (which
answers repeated requests from the answer cache). Everything else goes to the app.
"""

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


class SparqlFront:
    def __init__(self, app, handler):
        self.app, self.handler = app, handler

    async def __call__(self, scope, receive, send):
        if not (
            scope["type"] == "http"
            and scope["path"] == "/sparql"
            and scope["method"] in ("GET", "HEAD")
            and scope["query_string"]
        ):
            return await self.app(scope, receive, send)
        response = await self.handler(Request(scope, receive))
        cors(response, dict(scope["headers"]))
        await response(scope, receive, send)


def cors(response: Response, request_headers: dict) -> None:
    """What CORSMiddleware adds for a simple request: public data, any origin, no credentials."""
    if b"origin" in request_headers:
        response.headers["Access-Control-Allow-Origin"] = "*"
        response.headers["Access-Control-Expose-Headers"] = ", ".join(EXPOSED)

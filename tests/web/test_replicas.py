"""Replicas: two servers on the same build answer every route with the same bytes and headers.

A build is immutable and a server keeps no state across requests that shows in an answer, so
any number of replicas behind a proxy are interchangeable. The samples are keyed by the app's
route paths, and the first test checks they cover the route table: a new route without samples
fails here until it has some.
"""

from urllib.parse import quote

import httpx

from sundhedsgraf.app import create_app
from sundhedsgraf.publication import open_publication
from sundhedsgraf.settings import Settings

PUBLIC = "http://sundhedsgraf.test/"  # both replicas write links to the proxy's address
HTML = {"Accept": "text/html"}
TURTLE = {"Accept": "text/turtle"}
EN = {"Accept": "text/html", "Accept-Language": "en"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
SELECT = (
    "PREFIX sg: <https://w3id.org/sundhedsgraf/def#> "
    "SELECT ?i ?s WHERE { ?i a sg:Initiative ; sg:outcomeStatus ?s } ORDER BY ?i"
)
UNORDERED = "SELECT ?p (COUNT(*) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?p"
TYPED = "SELECT ?date ?value WHERE { ?x ?p ?date FILTER(isLiteral(?date)) } LIMIT 200"
CONSTRUCT = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 300"
DESCRIBE = "DESCRIBE <https://w3id.org/sundhedsgraf/id/system/sor>"
ASK = "ASK { ?s ?p ?o }"
# A resource of every kind the pages know
RESOURCES = [
    "focus-area/1",
    "initiative/2.1",
    "organisation/sds",
    "system/fmk",
    "standard/hospitalnotification",
    "project/klinikkens-cockpit",
    "milestone/2.1-hospitalnotification-all-regions",
    "figure/1.1-minlaege-downloads",
    "relation/carecommunication-replaces-xdis91",
    "outcome-status/paused",
    "questionnaire-area/kol",
    "system/sor/statement/operator",
    "source/afsluttende-status",
    "organisation/sds/identifier/cvr",
    "dataset",
]
# Differ by nature between two answers: when it was made, how long a query took
UNCOMPARED_HEADERS = {"date", "server-timing"}


def q(query: str) -> str:
    return quote(query, safe="")


def get(url: str, headers: dict | None = None) -> tuple:
    return ("GET", url, headers or {}, None)


def sparql_samples() -> list[tuple]:
    samples = [get("/sparql", TURTLE), get("/sparql", HTML)]  # service description, 303
    for fmt in ("json", "xml", "csv", "tsv", "xlsx"):
        samples += [get(f"/sparql?query={q(SELECT)}&format={fmt}")]
        samples += [get(f"/sparql?query={q(ASK)}&format={fmt}")]
    samples += [get(f"/sparql?query={q(UNORDERED)}"), get(f"/sparql?query={q(TYPED)}&format=xlsx")]
    for fmt in ("ttl", "nt", "jsonld", "rdf", "trig", "nq"):
        samples += [get(f"/sparql?query={q(CONSTRUCT)}&format={fmt}")]
    samples += [get(f"/sparql?query={q(DESCRIBE)}", {"Accept": "application/ld+json"})]
    samples += [get("/sparql?query=SELEC", {})]  # a 400
    return samples


def post_samples() -> list[tuple]:
    json_results = {"Accept": "application/sparql-results+json"}
    return [
        ("POST", "/sparql", FORM | json_results, f"query={q(SELECT)}"),
        ("POST", "/sparql", {"Content-Type": "application/sparql-query"} | TURTLE, CONSTRUCT),
        ("POST", "/sparql?format=xlsx", {"Content-Type": "application/sparql-query"}, UNORDERED),
    ]


def doc_samples() -> list[tuple]:
    samples = []
    for path in RESOURCES:
        samples += [get(f"/doc/{path}", HTML), get(f"/doc/{path}", EN), get(f"/doc/{path}")]
    for extension in ("ttl", "jsonld", "nt", "rdf", "html"):
        samples += [get(f"/doc/initiative/2.1.{extension}")]
    samples += [get("/doc/system/sor?page=2", TURTLE), get("/doc/no/such/thing", HTML)]
    return samples


def dist_samples(root) -> list[tuple]:
    names = sorted(open_publication(root).files)
    return [get(f"/dist/{name}") for name in names] + [get("/dist/no-such-file")]


def samples(root) -> dict[str, list[tuple]]:
    """Requests for each route path of the app: every kind of answer it gives."""
    lists = ("initiatives", "systems", "organisations", "milestones", "relations", "all")
    return {
        "/sparql": sparql_samples() + post_samples(),
        "/": [get("/", HTML), get("/", EN), get("/", {"Accept": "application/json"})],
        "/id/{path:path}": [get(f"/id/{path}", TURTLE) for path in RESOURCES[:4]]
        + [get("/id/no/such/thing")],
        "/doc/{path:path}": doc_samples(),
        "/def": [
            get("/def", HTML),
            get("/def", TURTLE),
            get("/def", {"Accept": "application/rdf+xml"}),
        ],
        "/def.{extension}": [get(f"/def.{ext}") for ext in ("ttl", "jsonld", "nt", "html")],
        "/context.jsonld": [get("/context.jsonld")],
        "/shapes": [get("/shapes"), get("/shapes", TURTLE)],
        "/graph/{name}": [get("/graph/data"), get("/graph/nothing")],
        "/graph-store": [
            get("/graph-store?default", TURTLE),
            get(f"/graph-store?graph={q('https://w3id.org/sundhedsgraf/graph/ontology')}"),
        ],
        "/dist/{name}": dist_samples(root),
        "/.well-known/void": [get("/.well-known/void", TURTLE), get("/.well-known/void", HTML)],
        "/dataset": [get("/dataset")],
        "/health": [get("/health")],  # compared on its stable fields
        "/browse": [get("/browse"), get("/browse", EN)],
        "/browse/{name}.{extension}": [
            get(f"/browse/initiatives.{ext}?focus-area=2") for ext in ("csv", "tsv", "json", "xlsx")
        ]
        + [get("/browse/systems.csv?excel=1"), get("/browse/milestones.xlsx?lang=en")],
        "/browse/{name}": [get(f"/browse/{name}") for name in lists]
        + [get("/browse/initiatives?sort=owner&order=desc", EN)],
        "/search.{extension}": [
            get(f"/search.{ext}?q=sor") for ext in ("csv", "tsv", "json", "xlsx")
        ],
        "/search": [
            get("/search?q=medicin"),
            get("/search?q=sor&format=json"),
            get("/search?q=x&type=system"),
        ],
        "/search/suggest": [get("/search/suggest?q=me")],
        "/query/terms.json": [get("/query/terms.json")],
        "/pictures": [get("/pictures"), get("/pictures?focus-area=2&kind=system", EN)],
        "/use": [get("/use"), get("/use", EN)],
        "/pictures/{name}.svg": [
            get(f"/pictures/{name}.svg") for name in ("network", "timeline", "portfolio")
        ]
        + [get("/pictures/network.svg?focus-area=1&lang=en")],
        "/accessibility": [get("/accessibility"), get("/accessibility", EN)],
        "/impact/{path:path}": [
            get("/impact/system/sor.csv"),
            get("/impact/initiative/2.1.csv?lang=en"),
        ],
        "/query": [
            get("/query"),
            get(f"/query?query={q(SELECT)}&sort=s&desc=1"),
            get(f"/query?query={q(CONSTRUCT)}"),
            get("/query?query=SELEC"),
        ],
        "/query/network.svg": [
            get(f"/query/network.svg?query={q(CONSTRUCT)}"),
            get(f"/query/network.svg?query={q(CONSTRUCT)}&lang=en"),
            get(f"/query/network.svg?query={q(SELECT)}"),
        ],
        "/static": [get("/static/style.css"), get("/static/query.js"), get("/static/cc-by.svg")],
        "/openapi.json": [get("/openapi.json")],
    }


def route_paths(root) -> set[str]:
    app = create_app(Settings(root=root))  # the route table; its lifespan (workers) never runs
    return {route.path for route in app.routes}


def test_the_samples_cover_every_route(real_root):
    assert set(samples(real_root)) == route_paths(real_root)


def answer(server, sample: tuple) -> httpx.Response:
    method, url, headers, body = sample
    return server.client.request(method, url, headers=headers, content=body, follow_redirects=False)


def comparable(response: httpx.Response) -> tuple:
    headers = {k: v for k, v in response.headers.items() if k not in UNCOMPARED_HEADERS}
    body = response.content
    if response.url.path == "/health":  # the state of the workers is each replica's own
        health = response.json()
        body = {k: health[k] for k in ("status", "build", "version", "triples", "base_iri")}
        headers.pop("content-length")
    return response.status_code, headers, body


def test_replicas_give_the_same_bytes_and_headers_on_every_route(start_server, real_root):
    one, other = (start_server("--public-url", PUBLIC) for _ in range(2))
    compared = revalidated = 0
    for route, requests in samples(real_root).items():
        for sample in requests:
            first, second = answer(one, sample), answer(other, sample)
            assert comparable(first) == comparable(second), (route, sample[:2])
            compared += 1
            if first.status_code == 200 and "etag" in first.headers:
                revalidated += revalidates(other, sample, first.headers["etag"])
    assert compared > 150 and revalidated > 100, (compared, revalidated)


def revalidates(server, sample: tuple, etag: str) -> bool:
    """One replica answers 304 to the ETag another gave."""
    method, url, headers, body = sample
    again = answer(server, (method, url, headers | {"If-None-Match": etag}, body))
    assert again.status_code == 304, (url, again.status_code, again.text[:200])
    assert again.headers["etag"] == etag
    return True

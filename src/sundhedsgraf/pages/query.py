"""The query page: a SPARQL form, the competency queries as examples, the answer as a table."""

import json
import time
from pathlib import Path
from urllib.parse import urlencode

import pyoxigraph as ox
from starlette.requests import Request
from starlette.responses import Response

from sundhedsgraf.formats import RESULTS_BY_NAME
from sundhedsgraf.namespaces import DEFAULT_BASE, shorten
from sundhedsgraf.pages.labels import RDF, XSD
from sundhedsgraf.pages.page import Page
from sundhedsgraf.publication import Publication
from sundhedsgraf.settings import Settings
from sundhedsgraf.sparql.fairness import client_of
from sundhedsgraf.sparql.protocol import Request_, evaluate
from sundhedsgraf.sparql.results import json_term
from sundhedsgraf.web.responses import HTTPProblem

MAX_ROWS_SHOWN = 1000
QUERY_FOLDERS = (Path("queries"), Path(__file__).resolve().parents[3] / "queries")


def examples(pub: Publication, settings: Settings) -> list[dict]:
    """The competency queries (queries/*.rq) with their titles, rebased to the build's base."""
    return pub.cache.get((examples, settings.root), lambda: read_examples(pub, settings.root))


def read_examples(pub: Publication, root: Path) -> list[dict]:
    found = []
    for folder in (root / QUERY_FOLDERS[0], QUERY_FOLDERS[1]):
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
        types = (RESULTS_BY_NAME["json"].media_type, "application/n-triples")
        started = time.monotonic()
        try:  # the endpoint's own path: the guard, the workers and their limits
            client = client_of(request, settings.client_header)
            answer, _ = await evaluate(asked, types, settings, pub, pool, client)
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
    if media_type == RESULTS_BY_NAME["json"].media_type:
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
        [cell(page, json_term(term)) for term in (t.subject, t.predicate, t.object)]
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
        if datatype and datatype not in (XSD + "string", RDF + "langString"):
            shown = shorten(datatype, page.idx.prefix_map) or datatype
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

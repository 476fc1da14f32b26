"""The query page: a SPARQL form (an editor with JavaScript, static/query.js), the competency
queries as examples, and the answer as a sortable, paged table with a chart, or as Turtle.

Everything is rendered here, so the page works without JavaScript: the query comes as
?query=, known prefixes it leaves undeclared are added (and shown), the table is sorted with
?sort= and ?desc=1 and paged with ?page=, the chart's columns are chosen with ?chart-label= and
?chart-value=. Errors are explained in the page's language (query_help.py).
"""

import json
import re
import time
from pathlib import Path

import pyoxigraph as ox
from starlette.requests import Request
from starlette.responses import Response

from sundhedsgraf.formats import RESULTS_BY_NAME
from sundhedsgraf.namespaces import DEFAULT_BASE, shorten
from sundhedsgraf.pages import query_texts
from sundhedsgraf.pages.labels import RDF, XSD
from sundhedsgraf.pages.page import Page
from sundhedsgraf.pages.pictures.chart import Bar, bar_chart
from sundhedsgraf.pages.pictures.network import answer_network
from sundhedsgraf.pages.query_help import explain, unbound_warnings
from sundhedsgraf.pages.snippets import data_url, snippets
from sundhedsgraf.pages.sparql_text import add_prefixes
from sundhedsgraf.publication import Publication
from sundhedsgraf.settings import Settings
from sundhedsgraf.sparql.fairness import client_of
from sundhedsgraf.sparql.protocol import Request_, evaluate
from sundhedsgraf.web.responses import HTTPProblem

PAGE_SIZE = 100
CHART_MAX = 100  # bars
TURTLE_MAX = 2000  # triples shown as Turtle
RESOURCES_MAX = 100
PICTURE_MAX = 150  # edges of the answer's network picture: above it, no longer legible
NAMED_GRAPH = re.compile(r"\bGRAPH\s*<([^>]*)>")
QUERY_FOLDERS = (Path("queries"), Path(__file__).resolve().parents[3] / "queries")
_NUMBERS = """integer decimal double float int long short byte nonNegativeInteger positiveInteger
    negativeInteger nonPositiveInteger unsignedInt unsignedLong unsignedShort unsignedByte"""
NUMERIC = {XSD + name for name in _NUMBERS.split()}


# ---- examples ------------------------------------------------------------------------------


def examples(pub: Publication, settings: Settings) -> list[dict]:
    """The competency queries (queries/*.rq) with their titles, descriptions and groups in
    both languages, rebased to the build's base."""
    return pub.cache.get((examples, settings.root), lambda: read_examples(pub, settings.root))


def read_examples(pub: Publication, root: Path) -> list[dict]:
    """queries/*.rq, then queries/linked/*.rq whose every `GRAPH <…>` is a graph of the build
    (a query of a linked dataset is shown once that dataset is loaded)."""
    found = []
    for folder in (root / QUERY_FOLDERS[0], QUERY_FOLDERS[1]):
        if folder.is_dir():
            for path in sorted(folder.glob("*.rq")) + sorted(folder.glob("linked/*.rq")):
                text = path.read_text(encoding="utf-8")
                if pub.base != DEFAULT_BASE:
                    text = text.replace(DEFAULT_BASE, pub.base)
                if set(NAMED_GRAPH.findall(text)) <= set(pub.graphs):
                    found.append({"name": path.stem, "text": text, **comment_fields(text)})
            break
    return found


def comment_fields(text: str) -> dict[str, dict[str, str]]:
    """{"titles": {lang: text}, "descriptions": …, "groups": …} from `# title@da: …` lines."""
    fields: dict[str, dict[str, str]] = {"titles": {}, "descriptions": {}, "groups": {}}
    for line in text.splitlines():
        for field in ("title", "description", "group"):
            if line.startswith(f"# {field}@"):
                tag, _, value = line[len(f"# {field}@") :].partition(":")
                fields[field + "s"][tag.strip()] = value.strip()
    return fields


def example_groups(page: Page, found: list[dict]) -> list[dict]:
    """The examples grouped by their group, in the order groups first appear."""
    groups: dict[str, list[dict]] = {}
    for e in found:
        name = pick(e["groups"], page.lang) or ""
        groups.setdefault(name, []).append(
            {
                "name": e["name"],
                "title": pick(e["titles"], page.lang) or e["name"],
                "description": pick(e["descriptions"], page.lang),
                "url": page.url("query", [("query", e["text"])]),
            }
        )
    return [{"name": name, "examples": items} for name, items in groups.items()]


def pick(values: dict[str, str], lang: str) -> str | None:
    return values.get(lang) or values.get("en") or next(iter(values.values()), None)


# ---- the page ------------------------------------------------------------------------------


async def query_page(request: Request, pub: Publication, settings: Settings, pool) -> Response:
    page = Page(request, pub, settings)
    page.t = {**page.t, **query_texts.texts(page.lang)}
    query = single(request, "query") or ""
    context = {
        "query": query,
        "groups": example_groups(page, examples(pub, settings)),
        "outcome": None,
        "terms_url": page.public + "query/terms.json",
        "search_url": page.public + "search",
    }
    if not query.strip():
        return page.respond(page.render("query.html", **context), headers=no_store())
    if len(query.encode()) > settings.max_query_bytes:
        message = f"the query is longer than {settings.max_query_bytes} bytes"
        return failed(page, context, query, 413, message)
    query, added = add_prefixes(query, page.idx.prefix_map)
    context.update(query=query, added=added)
    started = time.monotonic()
    status, body, media_type = await run(page, pool, query)
    if status != 200:
        return failed(page, context, query, status, body.decode("utf-8", "replace"))
    context["outcome"] = outcome(page, body, media_type, query)
    # the time taken goes in a header: the page is the same bytes whichever replica made it
    timing = {"Server-Timing": f"query;dur={(time.monotonic() - started) * 1000:.1f}"}
    return page.respond(page.render("query.html", **context), headers=no_store() | timing)


async def run(page: Page, pool, query: str) -> tuple[int, bytes, str]:
    """(status, body, media type) of `query`, by the endpoint's own path: the guard, the
    workers and their limits (a table as SPARQL JSON, a graph as N-Triples)."""
    asked = Request_(query, None, None, None)
    types = (RESULTS_BY_NAME["json"].media_type, "application/n-triples")
    try:
        client = client_of(page.request, page.settings.client_header)
        answer, _ = await evaluate(asked, types, page.settings, page.pub, pool, client)
        return answer.status, answer.body, answer.media_type
    except HTTPProblem as problem:
        return problem.status, problem.message.encode(), "text/plain"


def failed(page: Page, context: dict, query: str, status: int, message: str) -> Response:
    context["error"] = explain(query, status, message, page.lang, page.pub.graphs)
    return page.respond(page.render("query.html", **context), status, no_store())


def single(request: Request, name: str) -> str | None:
    values = request.query_params.getlist(name)
    if len(values) > 1:
        raise HTTPProblem(400, f"give at most one {name} parameter")
    return values[0] if values else None


def no_store() -> dict:
    return {"Cache-Control": "no-store"}


def outcome(page: Page, body: bytes, media_type: str, query: str) -> dict:
    endpoint = page.public + "sparql"
    if media_type != RESULTS_BY_NAME["json"].media_type:
        return graph_outcome(page, body, query, endpoint)
    data = json.loads(body)
    if "boolean" in data:
        return {
            "boolean": data["boolean"],
            "downloads": [("json", data_url(endpoint, query, "json"))],
            "snippets": snippets(endpoint, query, "ask"),
        }
    names = data["head"]["vars"]
    rows = [[b.get(n) for n in names] for b in data["results"]["bindings"]]
    table = sorted_page(page, query, names, rows)
    return {
        **table,
        "warnings": unbound_warnings(query, names, rows, page.lang),
        "chart": chart(page, query, names, table["sorted"]),
        "downloads": [
            (f, data_url(endpoint, query, f)) for f in ("csv", "json", "tsv", "xml", "xlsx")
        ],
        "csv": data_url(endpoint, query, "csv"),
        "snippets": snippets(endpoint, query, "select"),
        "share": page.url("query", [("query", query)]),
    }


# ---- the table -----------------------------------------------------------------------------


def sort_key(page: Page, binding: dict) -> tuple:
    """Numbers by value, our resources by their label, the rest by its text (case folded)."""
    if binding.get("datatype") in NUMERIC:
        try:
            return (0, float(binding["value"]), "")
        except ValueError:
            pass
    text = binding["value"]
    if binding.get("type") == "uri" and page.idx.href(text)[1]:
        text = page.idx.label(text, page.lang)
    return (1, 0.0, text.casefold())


def sorted_page(page: Page, query: str, names: list[str], rows: list[list]) -> dict:
    """The rows sorted by ?sort= (unbound cells last), the page ?page= of them as cell views,
    and the links that sort and page."""
    sort = single(page.request, "sort")
    desc = single(page.request, "desc") == "1"
    if sort is not None and sort not in names:
        raise HTTPProblem(400, f"sort must name a column of the result: {', '.join(names)}")
    if sort is not None:
        column = names.index(sort)
        bound = [r for r in rows if r[column] is not None]
        bound.sort(key=lambda r: sort_key(page, r[column]), reverse=desc)
        rows = bound + [r for r in rows if r[column] is None]
    pages = max(1, -(-len(rows) // PAGE_SIZE))
    number = single(page.request, "page") or "1"
    if not number.isdigit() or not 1 <= int(number) <= pages:
        message = f"page must be a whole number from 1 to {pages}, not {number[:20]!r}"
        raise HTTPProblem(400, message)
    number = int(number)
    first = (number - 1) * PAGE_SIZE

    def link(**changes) -> str:
        state = {"sort": sort, "desc": "1" if desc else None, "page": None, **changes}
        chart_choice = [(k, single(page.request, k)) for k in ("chart-label", "chart-value")]
        params = [("query", query), *((k, v) for k, v in state.items()), *chart_choice]
        return page.url("query", params) + "#query-results"

    head = []
    for name in names:
        order = None if sort != name else ("descending" if desc else "ascending")
        flip = "1" if order == "ascending" else None
        head.append({"name": name, "order": order, "href": link(sort=name, desc=flip)})
    return {
        "head": head,
        "rows": [[cell(page, b) for b in row] for row in rows[first : first + PAGE_SIZE]],
        "count": len(rows),
        "first": first + 1,
        "last": min(first + PAGE_SIZE, len(rows)),
        "page": number,
        "pages": pages,
        "previous": link(page=str(number - 1)) if number > 1 else None,
        "next": link(page=str(number + 1)) if number < pages else None,
        "sorted": rows,
    }


def cell(page: Page, binding: dict | None) -> dict | None:
    if binding is None:
        return None
    kind = binding.get("type")
    if kind == "uri":
        iri = binding["value"]
        url, internal = page.idx.href(iri)
        short = shorten(iri, page.idx.prefix_map)
        if internal:
            label = page.idx.label(iri, page.lang)
            return {
                "kind": "link",
                "href": url,
                "text": label,
                "iri": iri,
                "short": short if short and short != label else None,
            }
        return {"kind": "external", "href": iri, "text": short or iri, "iri": iri}
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
    text = json.dumps(binding, ensure_ascii=False)  # a triple term
    return {"kind": "literal", "text": text, "lang": None, "datatype": None}


# ---- the chart -----------------------------------------------------------------------------


def chart(page: Page, query: str, names: list[str], rows: list[list]) -> dict | None:
    """A bar chart of a label column and a number column, when the result has both; the
    columns are ?chart-label= and ?chart-value=, or chosen from the data."""
    numbers, labels = [], []
    for i, name in enumerate(names):
        values = [r[i] for r in rows if r[i] is not None]
        if not values:
            continue
        if all(v.get("datatype") in NUMERIC for v in values):
            numbers.append(name)
        else:
            labels.append(name)
    if not numbers or not labels:
        return None
    label = single(page.request, "chart-label") or default_label(names, rows, labels)
    value = single(page.request, "chart-value") or numbers[-1]
    if label not in labels:
        raise HTTPProblem(400, f"chart-label must be one of {', '.join(labels)}, not {label!r}")
    if value not in numbers:
        raise HTTPProblem(400, f"chart-value must be one of {', '.join(numbers)}, not {value!r}")
    li, vi = names.index(label), names.index(value)
    bars = []
    for row in rows:
        if row[vi] is None or len(bars) == CHART_MAX:
            continue
        shown = cell(page, row[li])
        href = shown["href"] if shown and shown["kind"] == "link" else None
        bars.append(Bar(shown["text"] if shown else "–", float(row[vi]["value"]), href))
    return {
        "svg": bar_chart(bars, "?" + label, "?" + value, page.lang),
        "labels": labels,
        "numbers": numbers,
        "label": label,
        "value": value,
        "cut": len(bars) == CHART_MAX and len(rows) > CHART_MAX,
    }


def default_label(names: list[str], rows: list[list], labels: list[str]) -> str:
    """The first column of texts with a language, else of IRIs, else the first label column."""
    for wanted in ("xml:lang", "uri"):
        for name in labels:
            i = names.index(name)
            values = [r[i] for r in rows if r[i] is not None]
            if all(wanted in v if wanted == "xml:lang" else v["type"] == "uri" for v in values):
                return name
    return labels[0]


# ---- CONSTRUCT and DESCRIBE ----------------------------------------------------------------


def graph_outcome(page: Page, body: bytes, query: str, endpoint: str) -> dict:
    """The graph as Turtle (the first TURTLE_MAX triples) and its resources as links."""
    triples = list(ox.parse(body, format=ox.RdfFormat.N_TRIPLES))
    shown = triples[:TURTLE_MAX]
    iris = {
        term.value
        for t in shown
        for term in (t.subject, t.predicate, t.object)
        if isinstance(term, ox.NamedNode)
    }
    used = {}
    for iri in iris:  # the prefixes Turtle will write: the longest namespace of each IRI
        fits = [(len(ns), name) for name, ns in page.idx.prefix_map.items() if iri.startswith(ns)]
        if fits:
            name = max(fits)[1]
            used[name] = page.idx.prefix_map[name]
    turtle = ox.serialize(shown, format=ox.RdfFormat.TURTLE, prefixes=used).decode()
    ours = sorted(
        {
            term.value
            for t in triples
            for term in (t.subject, t.object)
            if isinstance(term, ox.NamedNode) and page.idx.href(term.value)[1]
        }
    )
    resources = [cell(page, {"type": "uri", "value": iri}) for iri in ours[:RESOURCES_MAX]]
    return {
        "graph": True,
        "count": len(triples),
        "turtle": turtle,
        "cut": len(triples) > TURTLE_MAX,
        "resources": resources,
        "resources_cut": len(ours) > RESOURCES_MAX,
        "downloads": [(f, data_url(endpoint, query, f)) for f in ("ttl", "jsonld", "nt", "rdf")],
        "snippets": snippets(endpoint, query, "graph"),
        "share": page.url("query", [("query", query)]),
        "picture": picture(page, links_of(triples), query),
    }


def links_of(triples: list[ox.Triple]) -> list[tuple[str, str, str]]:
    """The triples between two resources, as (subject, predicate, object) texts: what the
    answer's picture draws (literals and quoted triples are left out)."""

    def name(term) -> str | None:
        if isinstance(term, ox.NamedNode):
            return term.value
        return "_:" + term.value if isinstance(term, ox.BlankNode) else None

    found = [(name(t.subject), t.predicate.value, name(t.object)) for t in triples]
    return [(s, p, o) for s, p, o in found if s and o]


def picture(page: Page, links: list, query: str) -> dict:
    """The answer's network picture when it has 1 to PICTURE_MAX edges, with the link to it
    as an SVG file; else why there is none."""
    if not links:
        return {"reason": page.t["picture_none"]}
    if len(links) > PICTURE_MAX:
        return {"reason": page.t["picture_large"].format(n=len(links), max=PICTURE_MAX)}
    return {
        "svg": answer_network(page.pub, page.lang, page.public, links),
        "href": page.url("query/network.svg", [("query", query)]),
    }


async def answer_picture(request: Request, pub: Publication, settings: Settings, pool):
    """/query/network.svg?query=: the network picture of a CONSTRUCT or DESCRIBE answer, the
    query run as on the query page (the endpoint's guard, workers and limits)."""
    page = Page(request, pub, settings)
    query = single(request, "query") or ""
    if not query.strip():
        raise HTTPProblem(400, "give a CONSTRUCT or DESCRIBE query as the query parameter")
    if len(query.encode()) > settings.max_query_bytes:
        raise HTTPProblem(413, f"the query is longer than {settings.max_query_bytes} bytes")
    status, body, media_type = await run(page, pool, add_prefixes(query, page.idx.prefix_map)[0])
    if status != 200:
        raise HTTPProblem(status, body.decode("utf-8", "replace"))
    if media_type != "application/n-triples":
        raise HTTPProblem(400, "only a CONSTRUCT or DESCRIBE query answers with a graph to draw")
    links = links_of(list(ox.parse(body, format=ox.RdfFormat.N_TRIPLES)))
    if not 1 <= len(links) <= PICTURE_MAX:
        message = f"the answer has {len(links)} triples between two resources; a picture is "
        raise HTTPProblem(422, message + f"drawn for 1 to {PICTURE_MAX}")
    svg = answer_network(pub, page.lang, page.public, links)
    headers = {
        "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
        "X-Content-Type-Options": "nosniff",
        "Content-Language": page.lang,
        **no_store(),
    }
    return Response(svg.encode(), media_type="image/svg+xml", headers=headers)

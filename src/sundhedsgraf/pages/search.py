"""Search over labels, abbreviations, identifiers and prose, in both languages."""

import unicodedata
from urllib.parse import urlencode

import pyoxigraph as ox
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sundhedsgraf.formats import HTML, JSON
from sundhedsgraf.namespaces import shorten
from sundhedsgraf.pages import tables
from sundhedsgraf.pages.labels import Index, link
from sundhedsgraf.pages.page import Page
from sundhedsgraf.pages.tables import Cells
from sundhedsgraf.pages.terms import objects
from sundhedsgraf.publication import Publication
from sundhedsgraf.settings import Settings
from sundhedsgraf.web.conneg import NotAcceptable, choose
from sundhedsgraf.web.responses import HTTPProblem

MAX_QUERY_CHARS = 200


def _fold_char(char: str) -> str:
    """One character folded for search: lower case, Danish letters spelled out, no accents."""
    char = char.casefold()
    char = {"æ": "ae", "ø": "oe", "å": "aa"}.get(char, char)
    return "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))


def fold(text: str) -> str:
    return "".join(_fold_char(c) for c in text)


def fold_with_map(text: str) -> tuple[str, list[int]]:
    """`text` folded, and for each folded character the index of the original one."""
    out, where = [], []
    for i, char in enumerate(text):
        folded = _fold_char(char)
        out.append(folded)
        where.extend([i] * len(folded))
    return "".join(out), where


SEARCH_FIELDS = (
    # (curie, tier when the whole text is the query, tier when it contains every word)
    ("sg:abbreviation", 0, 3),
    ("rdfs:label", 0, 2),
    ("skos:prefLabel", 0, 2),
    ("dcterms:title", 0, 2),
    ("skos:altLabel", 1, 3),
    ("skos:notation", 1, 4),
    ("dcterms:identifier", 1, 4),
    ("dcterms:alternative", 1, 3),
    ("dcterms:description", 5, 5),
    ("sg:statusSummary", 6, 6),
    ("sg:statusReason", 6, 6),
    ("skos:definition", 5, 5),
    ("sg:counts", 6, 6),
    ("rdfs:comment", 6, 6),
)


def search_index(pub: Publication, idx: Index) -> list:
    """[(iri, [(folded text, text, map, exact tier, contains tier, lang)])] for every resource."""
    return pub.cache.get((search_index, idx.public), lambda: make_search_index(pub, idx))


def make_search_index(pub: Publication, idx: Index) -> list:
    entries = []
    for iri in idx.subjects:
        fields = []
        for curie, exact, contains in SEARCH_FIELDS:
            for o in objects(pub.store, iri, idx.expand(curie)):
                if isinstance(o, ox.Literal):
                    folded, where = fold_with_map(o.value)
                    fields.append((folded, o.value, where, exact, contains, o.language or ""))
        if fields:
            entries.append((iri, fields))
    return entries


def search(pub: Publication, idx: Index, query: str, lang: str, limit: int = 100) -> list[dict]:
    """Resources whose texts hold every word of `query`, best first."""
    wanted = fold(" ".join(query.split()))
    words = wanted.split()
    if not words:
        return []
    hits = []
    for iri, fields in search_index(pub, idx):
        best, best_field = None, None
        for f in fields:
            folded, exact, contains = f[0], f[3], f[4]
            if folded.strip() == wanted:
                tier = exact
            elif all(w in folded for w in words):
                tier = contains + (0.5 if not folded.startswith(words[0]) else 0)
            else:
                continue
            if best is None or tier < best:
                best, best_field = tier, f
        if best is None:
            together = " ".join(f[0] for f in fields)
            if not all(w in together for w in words):
                continue
            best = 8
            best_field = next(f for f in fields if words[0] in f[0])
        hits.append((best, fold(idx.label(iri, lang)), iri, best_field))
    hits.sort(key=lambda h: (h[0], h[1], h[2]))
    results = []
    for tier, _, iri, f in hits[:limit]:
        results.append(
            {
                "resource": link(idx, iri, lang),
                "types": [link(idx, t, lang) for t in sorted(idx.types.get(iri, ()))],
                "snippet": snippet(f, words[0]),
                "exact": tier < 1,
            }
        )
    return results


def snippet(f, word: str, width: int = 90) -> dict:
    """The text of field `f` around the first `word`: before, match, after, and its language."""
    folded, text, where = f[0], f[1], f[2]
    at = folded.find(word)
    if at < 0:
        return {"before": text[:width], "match": "", "after": "", "lang": f[5]}
    start = where[at]
    end = where[at + len(word) - 1] + 1
    left = max(0, start - width // 2)
    right = min(len(text), end + width // 2)
    before = ("…" if left > 0 else "") + text[left:start]
    after = text[end:right] + ("…" if right < len(text) else "")
    return {"before": before, "match": text[start:end], "after": after, "lang": f[5]}


def asked_query(request: Request) -> str:
    """The search text of ?q=, or a 400."""
    queries = request.query_params.getlist("q")
    if len(queries) > 1:
        raise HTTPProblem(400, "give at most one q parameter")
    q = queries[0] if queries else ""
    if len(q) > MAX_QUERY_CHARS:
        raise HTTPProblem(400, f"the search text is longer than {MAX_QUERY_CHARS} characters")
    return q


def search_page(request: Request, pub: Publication, settings: Settings) -> Response:
    page = Page(request, pub, settings)
    q = asked_query(request)
    results = search(pub, page.idx, q, page.lang) if q.strip() else None
    if wants_json(request):  # for the query editor's completion, and anyone's code
        return JSONResponse(
            {"q": q, "results": [json_result(page, r) for r in results or []]},
            headers={"Vary": "Accept, Accept-Language", "Content-Language": page.lang},
        )
    downloads = tables.links(page, "search", [("q", q)]) if results is not None else []
    return page.respond(page.render("search.html", q=q, results=results, downloads=downloads))


def wants_json(request: Request) -> bool:
    """?format=json, or an Accept header that likes JSON better than HTML."""
    wanted = request.query_params.getlist("format")
    if len(wanted) > 1 or wanted and wanted[0] not in ("html", "json"):
        raise HTTPProblem(400, "format must be html or json, given at most once")
    if wanted:
        return wanted[0] == "json"
    try:
        return choose(request.headers.get("accept"), (HTML, JSON)) == JSON
    except NotAcceptable:
        return False


def json_result(page: Page, result: dict) -> dict:
    iri = result["resource"]["iri"]
    return {
        "iri": iri,
        "label": result["resource"]["text"],
        "name": shorten(iri, page.idx.prefix_map),
        "href": result["resource"]["href"],
        "types": [t["text"] for t in result["types"]],
    }


# The columns of the results, as the page shows them: (text key, Cells)
COLUMNS = [
    ("resource", Cells(None, links=True)),
    ("types", Cells(None, links=True, many=True)),
    ("snippet", Cells(None)),
]


def search_download(request: Request, pub: Publication, settings: Settings, extension: str):
    """/search.<csv|tsv|json|xlsx>?q=: the results the search page shows, in its order."""
    page = Page(request, pub, settings)
    syntax, excel = tables.asked_format(request, extension)
    q = asked_query(request)
    results = search(pub, page.idx, q, page.lang) if q.strip() else []
    rows = [[[r["resource"]], r["types"], [snippet_view(r["snippet"])]] for r in results]
    table = tables.table(page.t, f"{page.t['search']} {q}", COLUMNS, rows)
    url = page.public + "search?" + urlencode([("q", q), ("lang", page.lang)])
    body = tables.render(table, syntax, excel, url, pub.manifest["built"])
    name = tables.download_name(["search", fold(q)], syntax, excel)
    return tables.respond(page, body, syntax, name)


def snippet_view(found: dict) -> dict:
    text = found["before"] + found["match"] + found["after"]
    return {"kind": "literal", "text": text, "lang": found["lang"] or None}

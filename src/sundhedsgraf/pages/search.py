"""Search over labels, abbreviations, identifiers and prose, in both languages."""

import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import urlencode

import pyoxigraph as ox
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sundhedsgraf.formats import HTML, JSON
from sundhedsgraf.namespaces import shorten
from sundhedsgraf.pages import tables
from sundhedsgraf.pages.labels import Index, link, numbered
from sundhedsgraf.pages.page import Page, prefers_html
from sundhedsgraf.pages.tables import Cells
from sundhedsgraf.pages.terms import objects
from sundhedsgraf.publication import Publication
from sundhedsgraf.settings import Settings
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


# (curie, is a name, weight): names count whole and compacted ("e-CPR" = "ecpr"); prose by word.
SEARCH_FIELDS = (
    ("sg:abbreviation", True, 1.0),
    ("rdfs:label", True, 1.0),
    ("skos:prefLabel", True, 1.0),
    ("dcterms:title", True, 1.0),
    ("skos:altLabel", True, 0.9),
    ("skos:notation", True, 0.8),
    ("dcterms:identifier", True, 0.8),
    ("dcterms:alternative", True, 0.9),
    ("dcterms:description", False, 1.0),
    ("skos:definition", False, 1.0),
    ("sg:statusSummary", False, 0.8),
    ("sg:statusReason", False, 0.8),
    ("sg:counts", False, 0.6),
    ("rdfs:comment", False, 0.6),
)
# How much a resource of each kind weighs: things first, statements about things after them.
KIND_WEIGHT = {"relation": 0.45, "milestone": 0.55, "figure": 0.55, "other": 0.8}
# The kinds of the type facet, in their order: (key, class curie).
KINDS = (
    ("initiative", "sg:Initiative"),
    ("system", "sg:System"),
    ("standard", "sg:Standard"),
    ("organisation", "org:Organization"),
    ("project", "prov:Activity"),
    ("focus-area", "sg:FocusArea"),
    ("milestone", "sg:Milestone"),
    ("figure", "sg:Figure"),
    ("relation", "sg:Relation"),
    ("concept", "skos:Concept"),
)
WORD = re.compile(r"[\w-]+")


def compact(folded: str) -> str:
    """A folded name without hyphens, spaces and punctuation: "e-cpr" and "e cpr" are "ecpr"."""
    return re.sub(r"[\W_]+", "", folded)


@dataclass
class Field:
    folded: str
    text: str
    where: list[int]  # for each folded character, the index of the original one
    name: bool
    weight: float
    lang: str
    words: list[str]  # the folded words, hyphens dropped

    @property
    def compact(self) -> str:
        return compact(self.folded)


@dataclass
class Entry:
    iri: str
    kind: str  # a key of KINDS, or "other"
    fields: list[Field]
    related: list[list[str]]  # the words of the names of what an initiative involves


def search_index(pub: Publication, idx: Index) -> list[Entry]:
    """Every resource with the texts search looks at, made once per build."""
    return pub.cache.get((search_index, idx.public), lambda: make_search_index(pub, idx))


def kind_of(idx: Index, iri: str) -> str:
    types = idx.types.get(iri, set())
    for key, curie in KINDS:
        if types & idx.subclasses(idx.expand(curie)):
            return key
    return "other"


def make_search_index(pub: Publication, idx: Index) -> list[Entry]:
    entries = []
    for iri in idx.subjects:
        fields = []
        for curie, name, weight in SEARCH_FIELDS:
            for o in objects(pub.store, iri, idx.expand(curie)):
                if isinstance(o, ox.Literal):
                    folded, where = fold_with_map(o.value)
                    words = [w.replace("-", "") for w in WORD.findall(folded)]
                    fields.append(Field(folded, o.value, where, name, weight, o.language, words))
        if fields:
            entries.append(Entry(iri, kind_of(idx, iri), fields, related_names(pub, idx, iri)))
    return entries


def related_names(pub: Publication, idx: Index, iri: str) -> list[list[str]]:
    """The words of the labels and abbreviations of what an initiative involves."""
    if idx.sg + "Initiative" not in idx.types.get(iri, ()):
        return []
    names = []
    for o in objects(pub.store, iri, idx.sg + "concerns"):
        names += [t for texts in idx.labels.get(o.value, {}).values() for t in texts]
        names += [a.value for a in objects(pub.store, o.value, idx.sg + "abbreviation")]
    return [[w.replace("-", "") for w in WORD.findall(fold(n))] for n in names]


def word_score(word: str, f: Field) -> float:
    """How well one folded query word matches a field: a whole word, the start of a word (a
    Danish compound: "graviditet" in "graviditetsmappen"), or only inside one."""
    if word in f.words:
        return 10.0 if f.name else 4.0
    if any(w.startswith(word) for w in f.words):
        return 5.0 if f.name else 2.0
    if word in f.folded.replace("-", ""):
        return 1.0 if f.name else 0.3
    return 0.0


def score(entry: Entry, wanted: str, words: list[str], lang: str) -> tuple[float, Field | None]:
    """The score of a resource for the query (0: no match) and the field to quote.

    An exact name or abbreviation (hyphens and spaces ignored) scores highest; then every word
    must match some field: its best match counts, plus a little for every further field or
    related name it occurs in, so an initiative whose texts return to the term ranks above one
    that names it once."""
    whole = compact(wanted)
    exact = sorted(
        (f for f in entry.fields if f.name and f.compact == whole), key=lambda f: f.lang != lang
    )
    total, quote = (100.0 * max(f.weight for f in exact), exact[0]) if exact else (0.0, None)
    for word in words:
        scored = sorted(
            ((word_score(word, f) * f.weight, f) for f in entry.fields),
            key=lambda pair: (pair[0], pair[1].lang == lang),  # the page's language to quote
        )
        best = scored[-1][0] if scored else 0.0
        related = sum(1 for words_ in entry.related if any(w.startswith(word) for w in words_))
        if best == 0.0 and not related:
            return 0.0, None
        repeats = sum(1 for s, _ in scored[:-1] if s > 0)
        total += best + 0.5 * min(repeats, 6) + 1.5 * min(related, 4)
        if quote is None and best > 0:
            quote = scored[-1][1]
    return total * KIND_WEIGHT.get(entry.kind, 1.0), quote or entry.fields[0]


def search(pub: Publication, idx: Index, query: str, lang: str) -> list[dict]:
    """Resources whose texts hold every word of `query` (or whose name it is), best first."""
    wanted = fold(" ".join(query.split()))
    words = [w.replace("-", "") for w in WORD.findall(wanted)]
    words = [w for w in words if w]
    if not words:
        return []
    hits = []
    for entry in search_index(pub, idx):
        points, quote = score(entry, wanted, words, lang)
        if points > 0:
            hits.append((-points, fold(idx.label(entry.iri, lang)), entry, quote))
    hits.sort(key=lambda h: (h[0], h[1], h[2].iri))
    return [
        {
            "resource": numbered(idx, entry.iri, lang),
            "kind": entry.kind,
            "types": [link(idx, t, lang) for t in sorted(idx.types.get(entry.iri, ()))],
            "snippet": snippet(quote, words[0]),
            "exact": -points >= 100,
            "score": round(-points, 2),
        }
        for points, _, entry, quote in hits
    ]


def facets(results: list[dict], chosen: str | None) -> list[dict]:
    """The kinds among the results, with how many of each, in the order of KINDS."""
    counts: dict[str, int] = {}
    for r in results:
        counts[r["kind"]] = counts.get(r["kind"], 0) + 1
    order = [k for k, _ in KINDS] + ["other"]
    return [{"key": k, "count": counts[k], "selected": k == chosen} for k in order if k in counts]


def suggestions(pub: Publication, idx: Index, prefix: str, lang: str, limit: int = 8) -> list:
    """Names that start with `prefix` (folded, hyphens ignored), things before statements."""
    wanted = compact(fold(prefix))
    if not wanted:
        return []
    found = []
    for entry in search_index(pub, idx):
        if any(f.name and f.compact.startswith(wanted) for f in entry.fields):
            weight = KIND_WEIGHT.get(entry.kind, 1.0)
            found.append((-weight, len(idx.label(entry.iri, lang)), entry.iri))
    found.sort()
    return [numbered(idx, iri, lang) for _, _, iri in found[:limit]]


def snippet(f: Field, word: str, width: int = 90) -> dict:
    """The text of field `f` around the first `word`: before, match, after, and its language."""
    folded, text, where = f.folded, f.text, f.where
    at = folded.find(word)
    if at < 0:
        return {"before": text[:width], "match": "", "after": "", "lang": f.lang}
    start = where[at]
    end = where[at + len(word) - 1] + 1
    left = max(0, start - width // 2)
    right = min(len(text), end + width // 2)
    before = ("…" if left > 0 else "") + text[left:start]
    after = text[end:right] + ("…" if right < len(text) else "")
    return {"before": before, "match": text[start:end], "after": after, "lang": f.lang}


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
    """/search?q=…[&type=…]: HTML, or JSON for `Accept: application/json` or `format=json`."""
    page = Page(request, pub, settings)
    q = asked_query(request)
    kind = one(request, "type") or None
    if kind is not None and kind not in {k for k, _ in KINDS} | {"other"}:
        kinds = ", ".join([k for k, _ in KINDS] + ["other"])
        raise HTTPProblem(400, f"type must be one of {kinds}, not {kind[:40]!r}")
    found = search(pub, page.idx, q, page.lang) if q.strip() else None
    kinds = facets(found or [], kind)
    results = [r for r in found if kind in (None, r["kind"])] if found is not None else None
    if wants_json(request):
        return JSONResponse(
            answer(page, q, kinds, results), headers={"Vary": "Accept, Accept-Language"}
        )
    downloads = tables.links(page, "search", [("q", q)]) if results is not None else []
    return page.respond(
        page.render(
            "search.html", q=q, results=results, kinds=kinds, kind=kind, downloads=downloads
        )
    )


def one(request: Request, name: str) -> str:
    values = request.query_params.getlist(name)
    if len(values) > 1:
        raise HTTPProblem(400, f"give at most one {name} parameter")
    return values[0] if values else ""


def wants_json(request: Request) -> bool:
    """?format=json (or html), else an Accept header that likes JSON better than HTML."""
    wanted = request.query_params.getlist("format")
    if len(wanted) > 1 or wanted and wanted[0] not in ("html", "json"):
        raise HTTPProblem(400, "format must be html or json, given at most once")
    if wanted:
        return wanted[0] == "json"
    return "json" in (request.headers.get("accept") or "") and not prefers_html(
        request, (HTML, JSON)
    )


def answer(page: Page, q: str, kinds: list, results: list | None) -> dict:
    """The JSON answer: the query, the kinds with counts, and each result's IRI, page, label,
    kind, types, score and the text it matched in."""
    rows = [
        {
            "iri": r["resource"]["iri"],
            "page": r["resource"]["href"],
            "label": r["resource"]["text"],
            "name": shorten(r["resource"]["iri"], page.idx.prefix_map),
            "kind": r["kind"],
            "types": [t["iri"] for t in r["types"]],
            "score": r["score"],
            "match": r["snippet"]["before"] + r["snippet"]["match"] + r["snippet"]["after"],
        }
        for r in results or []
    ]
    counts = [{"type": k["key"], "count": k["count"]} for k in kinds]
    return {"query": q, "language": page.lang, "count": len(rows), "types": counts, "results": rows}


def suggest_page(request: Request, pub: Publication, settings: Settings) -> Response:
    """/search/suggest?q=…: names that start with q, as JSON [{label, page}], for typing."""
    page = Page(request, pub, settings)
    q = one(request, "q")[:MAX_QUERY_CHARS]
    found = suggestions(pub, page.idx, q, page.lang)
    body = [{"label": v["text"], "page": v["href"]} for v in found]
    return JSONResponse(body, headers={"Vary": "Accept-Language", "Cache-Control": "max-age=60"})


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

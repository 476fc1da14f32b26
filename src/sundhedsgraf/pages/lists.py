"""The list pages (/browse/…): a spec per list, with its columns and filters (facets).

One spec makes both the HTML table and its downloads (`/browse/<list>.csv`, …: tables.py),
sorted by a column on request (`?sort=<column>&order=asc|desc`).
"""

from collections import defaultdict
from dataclasses import dataclass
from urllib.parse import urlencode

import pyoxigraph as ox
from starlette.requests import Request
from starlette.responses import Response

from sundhedsgraf.namespaces import shorten
from sundhedsgraf.pages import tables
from sundhedsgraf.pages.labels import DCTERMS, SKOS, Index, link, organisation_classes
from sundhedsgraf.pages.page import Page, cached, kept
from sundhedsgraf.pages.search import fold
from sundhedsgraf.pages.tables import Cells
from sundhedsgraf.pages.terms import first_value, literal_in, number_key, objects, slug, subjects_of
from sundhedsgraf.publication import Publication
from sundhedsgraf.settings import Settings
from sundhedsgraf.sparql.results import cell
from sundhedsgraf.web.responses import HTTPProblem


@dataclass
class Facet:
    name: str  # the query parameter
    title: str  # text key
    values: object  # (pub, idx, item) -> set of IRIs


@dataclass
class ListSpec:
    title: str  # text key
    members: object  # (idx) -> list of IRIs
    columns: list  # [(text key, Cells)]
    facets: list
    order: object = None  # (pub, idx, item, lang) -> sort key


def _out(predicate_curie: str):
    def values(pub, idx, item):
        return {
            o.value
            for o in objects(pub.store, item, idx.expand(predicate_curie))
            if isinstance(o, ox.NamedNode)
        }

    return values


def _through(first: str, second: str):
    def values(pub, idx, item):
        return {v for mid in _out(first)(pub, idx, item) for v in _out(second)(pub, idx, mid)}

    return values


def _types_within(root_curie: str):
    def values(pub, idx, item):
        return idx.types.get(item, set()) & idx.subclasses(idx.expand(root_curie))

    return values


def _types(pub, idx, item):
    return set(idx.types.get(item, set()))


def _links(values_of) -> Cells:
    def column(pub, idx, item, lang):
        return sorted(
            (link(idx, v, lang) for v in values_of(pub, idx, item)),
            key=lambda v: number_key(v["text"]),
        )

    return Cells(column, links=True, many=True)


def _literal(curie: str) -> Cells:
    def column(pub, idx, item, lang):
        found = literal_in(pub.store, item, idx.expand(curie), lang)
        return [{"kind": "literal", "text": found[0], "lang": found[1] or None}] if found else []

    return Cells(column)


def _typed(curie: str) -> Cells:
    """A number or date: shown as written, downloaded and sorted as what it is."""

    def column(pub, idx, item, lang):
        values = objects(pub.store, item, idx.expand(curie))
        found = [o for o in values if isinstance(o, ox.Literal)]
        if not found:
            return []
        return [{"kind": "literal", "text": found[0].value, "lang": None, "value": cell(found[0])}]

    return Cells(column)


def _self_view(pub, idx, item, lang):
    return [link(idx, item, lang)]


_self = Cells(_self_view, links=True)


def _status_badge(curie: str) -> Cells:
    def column(pub, idx, item, lang):
        value = first_value(pub.store, item, idx.expand(curie))
        if not value:
            return []
        view = link(idx, value, lang)
        view["badge"] = slug(value)
        return [view]

    return Cells(column, links=True)


def _by_identifier(pub, idx, item, lang):
    return number_key(first_value(pub.store, item, DCTERMS + "identifier") or "")


def _by_label(pub, idx, item, lang):
    return fold(idx.label(item, lang))


def _by_start(pub, idx, item, lang):
    return (first_value(pub.store, item, idx.sg + "periodStart") or "", fold(idx.label(item, lang)))


def _by_notation(pub, idx, item, lang):
    return number_key(first_value(pub.store, item, SKOS + "notation") or "")


def _count_initiatives(pub, idx, item, lang):
    n = len(subjects_of(pub.store, idx.sg + "focusArea", item))
    return [{"kind": "literal", "text": str(n), "lang": None, "value": n}]


_initiative_count = Cells(_count_initiatives)


def _owned_views(pub, idx, item, lang):
    owned = subjects_of(pub.store, idx.sg + "owner", item)
    return sorted((link(idx, i, lang) for i in owned), key=lambda v: v["text"])


_owned_count = Cells(_owned_views, links=True, many=True)


def _instances_of(*curies: str, below: bool = True):
    def members(idx):
        classes = set()
        for c in curies:
            iri = idx.expand(c)
            classes |= idx.subclasses(iri) if below else {iri}
        return idx.instances(classes)

    return members


def _organisations(idx):
    return idx.instances(organisation_classes(idx))


def _all(idx):
    return list(idx.subjects)


LISTS = {
    "initiatives": ListSpec(
        "initiatives",
        _instances_of("sg:Initiative"),
        [
            ("number", _literal("dcterms:identifier")),
            ("initiative", _self),
            ("focus_area", _links(_out("sg:focusArea"))),
            ("owner", _links(_out("sg:owner"))),
            ("status", _status_badge("sg:outcomeStatus")),
        ],
        [
            Facet("focus-area", "focus_area", _out("sg:focusArea")),
            Facet("owner", "owner", _out("sg:owner")),
            Facet("status", "status", _out("sg:outcomeStatus")),
        ],
        _by_identifier,
    ),
    "systems": ListSpec(
        "systems",
        _instances_of("sg:System"),
        [
            ("label", _self),
            ("abbreviation", _literal("sg:abbreviation")),
            ("kind", _links(_types_within("sg:System"))),
            ("mentioned_in", _links(_out("sg:mentionedIn"))),
        ],
        [
            Facet("kind", "kind", _types_within("sg:System")),
            Facet("focus-area", "focus_area", _through("sg:mentionedIn", "sg:focusArea")),
            Facet("initiative", "initiative", _out("sg:mentionedIn")),
        ],
        _by_label,
    ),
    "standards": ListSpec(
        "standards",
        _instances_of("sg:Standard"),
        [
            ("label", _self),
            ("abbreviation", _literal("sg:abbreviation")),
            ("kind", _links(_types_within("sg:Standard"))),
            ("mentioned_in", _links(_out("sg:mentionedIn"))),
        ],
        [
            Facet("kind", "kind", _types_within("sg:Standard")),
            Facet("focus-area", "focus_area", _through("sg:mentionedIn", "sg:focusArea")),
            Facet("initiative", "initiative", _out("sg:mentionedIn")),
        ],
        _by_label,
    ),
    "organisations": ListSpec(
        "organisations",
        _organisations,
        [
            ("label", _self),
            ("abbreviation", _literal("sg:abbreviation")),
            ("initiatives", _owned_count),
        ],
        [Facet("kind", "kind", _types)],
        _by_label,
    ),
    "focus-areas": ListSpec(
        "focus_areas",
        _instances_of("sg:FocusArea"),
        [
            ("number", _literal("skos:notation")),
            ("label", _self),
            ("initiatives", _initiative_count),
        ],
        [],
        _by_notation,
    ),
    "projects": ListSpec(
        "projects",
        _instances_of("sg:Project", "sg:Programme"),
        [
            ("label", _self),
            ("kind", _links(_types_within("prov:Activity"))),
            ("status", _status_badge("sg:projectStatus")),
            ("read_from", _links(_out("prov:wasDerivedFrom"))),
        ],
        [
            Facet(
                "kind",
                "kind",
                lambda pub, idx, item: (
                    idx.types.get(item, set()) & {idx.sg + "Project", idx.sg + "Programme"}
                ),
            ),
            Facet("status", "status", _out("sg:projectStatus")),
            Facet(
                "initiative",
                "initiative",
                lambda pub, idx, item: (
                    _out("prov:wasDerivedFrom")(pub, idx, item)
                    | _out("sg:mentionedIn")(pub, idx, item)
                ),
            ),
        ],
        _by_label,
    ),
    "milestones": ListSpec(
        "milestones",
        _instances_of("sg:Milestone"),
        [
            ("when", _literal("sg:dateAsPublished")),
            ("date", _typed("sg:periodStart")),
            ("label", _self),
            ("status", _status_badge("sg:milestoneStatus")),
            ("read_from", _links(_out("prov:wasDerivedFrom"))),
        ],
        [
            Facet("status", "status", _out("sg:milestoneStatus")),
            Facet("focus-area", "focus_area", _through("prov:wasDerivedFrom", "sg:focusArea")),
            Facet("initiative", "initiative", _out("prov:wasDerivedFrom")),
        ],
        _by_start,
    ),
    "figures": ListSpec(
        "figures",
        _instances_of("sg:Figure"),
        [
            ("label", _self),
            ("value", _literal("sg:valueAsPublished")),
            ("amount", _typed("sg:value")),
            ("unit", _links(_out("sg:unit"))),
            ("read_from", _links(_out("prov:wasDerivedFrom"))),
        ],
        [
            Facet("focus-area", "focus_area", _through("prov:wasDerivedFrom", "sg:focusArea")),
            Facet("initiative", "initiative", _out("prov:wasDerivedFrom")),
            Facet("unit", "unit", _out("sg:unit")),
        ],
        _by_label,
    ),
    "relations": ListSpec(
        "relations",
        _instances_of("sg:Relation"),
        [
            ("label", _self),
            ("property", _links(_out("rdf:predicate"))),
            ("realisation", _status_badge("sg:realisation")),
            ("read_from", _links(_out("prov:wasDerivedFrom"))),
        ],
        [
            Facet("property", "property", _out("rdf:predicate")),
            Facet("realisation", "realisation", _out("sg:realisation")),
            Facet("initiative", "initiative", _out("prov:wasDerivedFrom")),
        ],
        _by_label,
    ),
    "concepts": ListSpec(
        "concepts",
        _instances_of("skos:Concept", "skos:ConceptScheme"),
        [("label", _self), ("scheme", _links(_out("skos:inScheme"))), ("kind", _links(_types))],
        [Facet("scheme", "scheme", _out("skos:inScheme")), Facet("kind", "kind", _types)],
        _by_label,
    ),
    "all": ListSpec(
        "everything",
        _all,
        [("label", _self), ("types", _links(_types))],
        [Facet("type", "type", _types)],
        _by_label,
    ),
}


def facet_keys(idx: Index, iris: set[str]) -> dict[str, str]:
    """A short, unique query value for each IRI: its last segment, else its compact name."""
    by_slug = defaultdict(list)
    for iri in iris:
        by_slug[slug(iri)].append(iri)
    keys = {}
    for name, group in by_slug.items():
        for iri in group:
            keys[iri] = name if len(group) == 1 and name else (shorten(iri, idx.prefix_map) or iri)
    return keys


def shown(value: str) -> str:
    return value if len(value) <= 80 else value[:80] + "…"


def list_view(pub: Publication, idx: Index, name: str, lang: str, params) -> dict:
    """A list page: the rows the filters in `params` keep, in the order asked; a 400 for
    values the list does not have."""
    spec = LISTS[name]
    items = spec.members(idx)
    facets, chosen_values = [], {}
    for facet in spec.facets:
        values_by_item = {item: facet.values(pub, idx, item) for item in items}
        every = set().union(*values_by_item.values()) if values_by_item else set()
        keys = facet_keys(idx, every)
        by_key = {k: iri for iri, k in keys.items()}
        wanted = [v for v in params.getlist(facet.name) if v != ""]
        for value in wanted:
            if value not in by_key:
                raise HTTPProblem(
                    400,
                    f"{facet.name}={shown(value)!r} is not a value of this list; "
                    f"use one of: {', '.join(sorted(by_key, key=number_key))}",
                )
        chosen = {by_key[v] for v in wanted}
        chosen_values[facet.name] = (chosen, values_by_item)
        options = sorted(
            (
                {"key": keys[iri], "label": idx.label(iri, lang), "selected": iri in chosen}
                for iri in every
            ),
            key=lambda o: (
                number_key(o["key"])
                if facet.name in ("focus-area", "initiative")
                else fold(o["label"])
            ),
        )
        facets.append(
            {"name": facet.name, "title": facet.title, "options": options, "active": bool(chosen)}
        )
    column, descending = chosen_sort(spec, params)
    kept_items = [
        item
        for item in items
        if all(
            not chosen or values_by_item[item] & chosen
            for chosen, values_by_item in chosen_values.values()
        )
    ]
    if spec.order:
        kept_items.sort(key=lambda item: spec.order(pub, idx, item, lang))
    rows = [[cells.views(pub, idx, item, lang) for _, cells in spec.columns] for item in kept_items]
    if column is not None:
        rows = sort_rows(rows, column, descending)
    return {
        "name": name,
        "title": spec.title,
        "headers": [key for key, _ in spec.columns],
        "sorted": (column, descending),
        "rows": rows,
        "facets": facets,
        "total": len(items),
        "filtered": any(f["active"] for f in facets),
    }


def sort_name(key: str) -> str:
    """A column's name in ?sort=: its text key, hyphenated as the filters are."""
    return key.replace("_", "-")


def chosen_sort(spec: ListSpec, params) -> tuple[int | None, bool]:
    """(the column ?sort= names, or None; whether ?order=desc), or a 400."""
    sorts, orders = params.getlist("sort"), params.getlist("order")
    names = [sort_name(key) for key, _ in spec.columns]
    if len(sorts) > 1 or len(orders) > 1:
        raise HTTPProblem(400, "give at most one sort and one order parameter")
    if orders and orders[0] not in ("asc", "desc"):
        raise HTTPProblem(400, f"order must be asc or desc, not {shown(orders[0])!r}")
    if not sorts:
        if orders:
            raise HTTPProblem(400, f"order needs a column to sort by: sort={' | '.join(names)}")
        return None, False
    if sorts[0] not in names:
        raise HTTPProblem(
            400,
            f"sort={shown(sorts[0])!r} is not a column of this list; use one of: "
            + ", ".join(names),
        )
    return names.index(sorts[0]), orders == ["desc"]


def sort_rows(rows: list[list], column: int, descending: bool) -> list[list]:
    """`rows` by one column, empty cells last either way; equal cells keep their order."""
    filled = [row for row in rows if row[column]]
    filled.sort(key=lambda row: cell_key(row[column]), reverse=descending)
    return filled + [row for row in rows if not row[column]]


def cell_key(views: list[dict]) -> tuple:
    """Numbers and dates by value; text as people read it ("2.10" after "2.9", æ as ae)."""
    value = views[0].get("value") if len(views) == 1 else None
    if value is not None and not isinstance(value, str):
        return (0, value)
    return (1, number_key(fold(tables.JOIN.join(v["text"] for v in views))))


def browse_view(pub: Publication, idx: Index, lang: str) -> dict:
    """The list pages with their sizes, and every class with instances."""
    lists = [(name, spec.title, len(spec.members(idx))) for name, spec in LISTS.items()]
    counts = defaultdict(int)
    for s in idx.subjects:
        for t in idx.types.get(s, ()):
            counts[t] += 1
    keys = facet_keys(idx, set(counts))
    classes = sorted(
        ({"cls": link(idx, c, lang), "count": n, "key": keys[c]} for c, n in counts.items()),
        key=lambda c: (-c["count"], c["cls"]["text"]),
    )
    return {"lists": lists, "classes": classes}


def type_keys(idx: Index) -> dict[str, str]:
    """The ?type= value of /browse/all for each class with instances."""
    every = set().union(*(idx.types.get(s, set()) for s in idx.subjects)) if idx.subjects else set()
    return facet_keys(idx, every)


def browse_page(request: Request, pub: Publication, settings: Settings) -> Response:
    page = Page(request, pub, settings)

    def make():
        return page.render("browse.html", view=browse_view(pub, page.idx, page.lang))

    return cached(page, make)


def list_spec(name: str) -> ListSpec:
    if name not in LISTS:
        raise HTTPProblem(404, f"no list {name!r}; lists: {', '.join(LISTS)}")
    return LISTS[name]


def known(spec: ListSpec) -> tuple[str, ...]:
    """The parameters of a list page (besides lang): its filters and the sort."""
    return (*(f.name for f in spec.facets), "sort", "order")


def state(spec: ListSpec, params) -> list[tuple[str, str]]:
    """The filters and sort of the request: what a link to the same table keeps."""
    names = known(spec)
    return [(k, v) for k, v in params.multi_items() if k in names and v != ""]


def list_page(request: Request, pub: Publication, settings: Settings, name: str) -> Response:
    page = Page(request, pub, settings)
    spec = list_spec(name)

    def make():
        view = list_view(pub, page.idx, name, page.lang, request.query_params)
        view["columns"] = sort_links(page, view, state(spec, request.query_params))
        view["downloads"] = tables.links(page, f"browse/{name}", state(spec, request.query_params))
        return page.render("list.html", view=view)

    return cached(page, make, known(spec))


def sort_links(page: Page, view: dict, params: list[tuple[str, str]]) -> list[dict]:
    """Each header: its text key, link (ascending, or descending if so sorted already) and
    the order the table is in by it, if any."""
    column, descending = view["sorted"]
    filters = [(k, v) for k, v in params if k not in ("sort", "order")]
    headers = []
    for i, key in enumerate(view["headers"]):
        order = ("desc" if descending else "asc") if i == column else None
        following = "desc" if order == "asc" else "asc"
        sort = [("sort", sort_name(key)), ("order", following)]
        href = page.url("browse/" + view["name"], filters + sort)
        headers.append({"key": key, "href": href, "order": order})
    return headers


def list_download(
    request: Request, pub: Publication, settings: Settings, name: str, extension: str
) -> Response:
    """/browse/<list>.<csv|tsv|json|xlsx>: the table of the list page with the same filters
    and sort, in the page's language."""
    page = Page(request, pub, settings)
    spec = list_spec(name)
    syntax, excel = tables.asked_format(request, extension)
    params = state(spec, request.query_params)

    def make():
        view = list_view(pub, page.idx, name, page.lang, request.query_params)
        table = tables.table(page.t, page.t[spec.title], spec.columns, view["rows"])
        url = page.public + f"browse/{name}?" + urlencode([*params, ("lang", page.lang)])
        return tables.render(table, syntax, excel, url, pub.manifest["built"])

    body = kept(page, make, (*known(spec), "excel"))
    filters = [f"{k}-{v}" for k, v in params if k not in ("sort", "order")]
    return tables.respond(page, body, syntax, tables.download_name([name, *filters], syntax, excel))

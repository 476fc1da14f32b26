"""The page of one resource: labels, prose, properties, milestones, figures, provenance."""

from collections import defaultdict

import pyoxigraph as ox
from starlette.requests import Request
from starlette.responses import Response

from sundhedsgraf.formats import DOCUMENT_TYPES
from sundhedsgraf.pages import i18n
from sundhedsgraf.pages.cite import cite_view
from sundhedsgraf.pages.impact import impact_view
from sundhedsgraf.pages.labels import DCTERMS, OWL, PROV, RDF, TYPE, Index, link, term_view
from sundhedsgraf.pages.milestones import milestone_row
from sundhedsgraf.pages.page import Page, kept
from sundhedsgraf.pages.pictures import draw
from sundhedsgraf.pages.relations import relations_of, unrealised_triples
from sundhedsgraf.pages.summary import summary_of
from sundhedsgraf.pages.terms import first_value, literal_in, number_key, objects, subjects_of
from sundhedsgraf.publication import Publication
from sundhedsgraf.settings import Settings
from sundhedsgraf.web.linked_data import page_number, resource, serialize
from sundhedsgraf.web.resource_description import describe_resource, inbound_page
from sundhedsgraf.web.responses import DOCUMENT_OFFERS, HTTPProblem

# Prose shown above the property table, in the page language: (predicate, text key). The reason
# for an initiative's outcome is in its summary.
PROSE = (
    ("dcterms:description", "description"),
    ("sg:statusSummary", "status_summary"),
    ("skos:definition", "definition"),
    ("sg:counts", "description"),
)


def resource_view(
    pub: Publication, idx: Index, node: ox.NamedNode, lang: str, page: int, page_size: int
) -> dict:
    store, iri = pub.store, node.value
    inbound, total, pages = inbound_of(pub, idx, node, lang, page, page_size)
    milestones = milestones_of(pub, idx, iri, lang)
    kind = kind_of(idx, iri)
    return {
        "iri": iri,
        "label": idx.label(iri, lang),
        "label_lang": (i18n.pick(idx.labels.get(iri, {}), lang) or ("", ""))[1],
        "types": [link(idx, t, lang) for t in sorted(idx.types.get(iri, ()))],
        "prose": prose_of(pub, idx, iri, lang),
        "properties": properties_of(pub, idx, node, lang),
        "inbound": inbound,
        "inbound_total": total,
        "page": page,
        "pages": pages,
        "milestones": milestones,
        "summary": summary_of(pub, idx, iri, lang, milestones),
        "relations": relations_of(pub, idx, iri, lang),
        "cite": cite_view(pub, idx, iri, lang),
        "impact": impact_view(pub, idx, iri, lang, upstream=kind != "initiative"),
        "figures": figures_of(pub, idx, iri, lang),
        "provenance": provenance_of(pub, idx, iri, lang),
        "deprecated": any(
            isinstance(o, ox.Literal) and o.value == "true"
            for o in objects(store, iri, OWL + "deprecated")
        ),
        "kind": kind,
    }


def implied(idx: Index, predicate: str, others) -> bool:
    """True if `predicate` is a super-property of one of `others` stated beside it (the
    build's entailment): the more specific one says it already."""
    return any(
        predicate in idx.ancestors(other, idx.super_properties)
        for other in others
        if other != predicate
    )


def properties_of(pub: Publication, idx: Index, node: ox.NamedNode, lang: str) -> list[dict]:
    """The resource's own triples as rows (type first, then by property label), implied
    super-properties left out, texts only in the page's language (else the fallback's), and
    each triple of a relation that is not achieved marked with its realisation."""
    triples = list(
        dict.fromkeys(
            ox.Triple(q.subject, q.predicate, q.object)
            for q in pub.store.quads_for_pattern(node, None, None)
        )
    )
    by_object = defaultdict(set)
    for t in triples:
        by_object[t.object].add(t.predicate.value)
    shown = [t for t in triples if not implied(idx, t.predicate.value, by_object[t.object])]
    groups: dict[str, list] = {}
    for t in sorted(
        shown,
        key=lambda t: (
            t.predicate.value != TYPE,
            idx.label(t.predicate.value, lang),
            str(t.object),
        ),
    ):
        groups.setdefault(t.predicate.value, []).append(t.object)
    unrealised = unrealised_triples(pub, idx, node.value)
    rows = []
    for p, values in groups.items():
        views = []
        for o in in_language(values, lang):
            view = term_view(idx, o, lang, pub.store)
            view["state"] = unrealised.get((p, getattr(o, "value", None)))
            views.append(view)
        rows.append({"predicate": link(idx, p, lang), "values": views})
    return rows


def in_language(values: list, lang: str) -> list:
    """`values` with the texts of only one language: the page's, else the fallback's."""
    tags: dict[str, list] = defaultdict(list)
    for v in values:
        if isinstance(v, ox.Literal) and v.language:
            tags[v.language].append(v.value)
    chosen = i18n.pick(tags, lang)
    keep = chosen[1] if chosen else None
    return [
        v for v in values if not (isinstance(v, ox.Literal) and v.language and v.language != keep)
    ]


def prose_of(pub: Publication, idx: Index, iri: str, lang: str) -> list[dict]:
    """Descriptions, summaries and reasons in the page language (else the other one)."""
    prose = []
    for curie, key in PROSE:
        found = literal_in(pub.store, iri, idx.expand(curie), lang)
        if found:
            prose.append({"key": key, "text": found[0], "lang": found[1]})
    return prose


def inbound_of(pub: Publication, idx: Index, node, lang: str, page: int, page_size: int):
    """(rows of one page of what links here, how many links, how many pages)."""
    chosen, total, pages = inbound_page(pub.store, node, page, page_size)
    inbound: dict = {}
    statement = {RDF + "subject", RDF + "predicate", RDF + "object"}  # shown as relations
    for t in chosen:
        if t.predicate.value not in statement:
            inbound.setdefault(t.subject, []).append(t.predicate.value)
    rows = [
        {
            "subject": term_view(idx, subject, lang),
            "predicates": [
                link(idx, p, lang) for p in predicates if not implied(idx, p, predicates)
            ],
        }
        for subject, predicates in inbound.items()
    ]
    return rows, total, pages


def kind_of(idx: Index, iri: str) -> str | None:
    """initiative, system, standard, project or None: which pictures a page gets."""
    types = idx.types.get(iri, set())
    sg = idx.sg
    for name, cls in (("initiative", "Initiative"), ("system", "System"), ("standard", "Standard")):
        if types & idx.subclasses(sg + cls):
            return name
    return None


def milestones_of(pub: Publication, idx: Index, iri: str, lang: str) -> list[dict]:
    sg = idx.sg
    found = set(subjects_of(pub.store, sg + "milestoneOf", iri))
    if sg + "Initiative" in idx.types.get(iri, ()):
        found |= {
            m
            for m in subjects_of(pub.store, PROV + "wasDerivedFrom", iri)
            if sg + "Milestone" in idx.types.get(m, ())
        }
    rows = [milestone_row(pub, idx, m, lang) for m in found]
    return sorted(rows, key=lambda r: (r["start"], r["end"], r["milestone"]["text"]))


def figure_row(pub: Publication, idx: Index, f: str, lang: str) -> dict:
    store, sg = pub.store, idx.sg
    unit = first_value(store, f, sg + "unit")
    comparator = first_value(store, f, sg + "comparator")
    published = literal_in(store, f, sg + "valueAsPublished", lang)
    of = first_value(store, f, sg + "figureOf")
    return {
        "figure": link(idx, f, lang),
        "value": i18n.format_number(first_value(store, f, sg + "value") or "", lang),
        "out_of": i18n.format_number(first_value(store, f, sg + "outOf") or "", lang),
        "unit": link(idx, unit, lang) if unit else None,
        "comparator": link(idx, comparator, lang) if comparator else None,
        "published": published[0] if published and published[1] == lang else "",
        "period": i18n.format_period(first_value(store, f, sg + "referencePeriod") or "", lang),
        "of": link(idx, of, lang) if of else None,
    }


def figures_of(pub: Publication, idx: Index, iri: str, lang: str) -> list[dict]:
    found = subjects_of(pub.store, idx.sg + "figureOf", iri)
    return sorted((figure_row(pub, idx, f, lang) for f in found), key=lambda r: r["figure"]["text"])


def provenance_of(pub: Publication, idx: Index, iri: str, lang: str) -> dict:
    """Where the facts about `iri` come from: initiatives read, and the source document."""
    store = pub.store
    read_from = [
        o.value for o in objects(store, iri, PROV + "wasDerivedFrom") if isinstance(o, ox.NamedNode)
    ]
    mentioned = [
        o.value for o in objects(store, iri, idx.sg + "mentionedIn") if isinstance(o, ox.NamedNode)
    ]
    sources = {
        o.value for o in objects(store, iri, DCTERMS + "source") if isinstance(o, ox.NamedNode)
    }
    for initiative in read_from + mentioned:
        sources |= {
            o.value
            for o in objects(store, initiative, DCTERMS + "source")
            if isinstance(o, ox.NamedNode)
        }
    order = lambda i: number_key(first_value(store, i, DCTERMS + "identifier") or i)  # noqa: E731
    return {
        "read_from": [link(idx, i, lang) for i in sorted(read_from, key=order)],
        "mentioned_in": [link(idx, i, lang) for i in sorted(mentioned, key=order)],
        "sources": [link(idx, s, lang) for s in sorted(sources)],
    }


def resource_page(request: Request, pub: Publication, settings: Settings, path: str) -> Response:
    page = Page(request, pub, settings)
    stem = path.removesuffix(".html")
    node = resource(pub, "id/" + stem)
    number = page_number(request)

    def make():
        idx = page.idx
        if not any(True for _ in pub.store.quads_for_pattern(node, None, None)) and not any(
            True for _ in pub.store.quads_for_pattern(None, None, node)
        ):
            raise HTTPProblem(404, f"no resource {node.value} in this dataset")
        view = resource_view(pub, idx, node, page.lang, number, settings.describe_page)
        if number > view["pages"]:
            raise HTTPProblem(
                404, f"page {number} is past the last page ({view['pages']}) of inbound links"
            )
        found = describe_resource(pub.store, node, number, settings.describe_page)
        data = serialize(found.triples, "application/ld+json", pub.base).decode()
        picture = None
        if view["kind"] in ("initiative", "system", "standard"):
            picture = draw("network", pub, page.lang, page.public, around=node.value)
        doc = page.public + "doc/" + stem
        downloads = [(ext, media, f"{doc}.{ext}") for media, ext in DOCUMENT_TYPES.items()]
        return page.render(
            "resource.html",
            view=view,
            jsonld=data,
            picture=picture,
            downloads=downloads,
            doc=doc,
            stem=stem,
        )

    body = kept(page, make, ("page",))
    doc = page.public + "doc/" + stem
    alternates = ", ".join(
        f'<{doc}.{ext}>; rel="alternate"; type="{media}"' for media, ext in DOCUMENT_OFFERS.items()
    )
    suffix = "" if number == 1 else f"?page={number}"
    headers = {"Link": alternates, "Content-Location": f"{doc}.html{suffix}"}
    return page.respond(body, headers=headers)

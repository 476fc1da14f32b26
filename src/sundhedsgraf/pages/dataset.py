"""The dataset page for people, where browsers land from /dataset and /.well-known/void: title,
licence, publisher and contact, version and dates, what the counts count, the downloads with
their sizes, and how to cite it. Everything is read from the build's dataset description
(DCAT + VoID), as programs get it at the same addresses."""

import pyoxigraph as ox
from starlette.requests import Request
from starlette.responses import Response

from sundhedsgraf.pages import i18n
from sundhedsgraf.pages.labels import DCTERMS, Index, link
from sundhedsgraf.pages.page import Page, cached
from sundhedsgraf.pages.terms import first_value, literal_in, objects
from sundhedsgraf.publication import Publication
from sundhedsgraf.settings import Settings

DCAT = "http://www.w3.org/ns/dcat#"
VOID = "http://rdfs.org/ns/void#"
SD = "http://www.w3.org/ns/sparql-service-description#"
FOAF = "http://xmlns.com/foaf/0.1/"
VCARD = "http://www.w3.org/2006/vcard/ns#"
OWL_VERSION = "http://www.w3.org/2002/07/owl#versionInfo"
PROV_DERIVED = "http://www.w3.org/ns/prov#wasDerivedFrom"

# Licences a dataset description may name: its IRI -> (name, the licence's own page, badge).
LICENCES = {
    "http://publications.europa.eu/resource/authority/licence/CC_BY_4_0": (
        "CC BY 4.0",
        "https://creativecommons.org/licenses/by/4.0/",
        "static/cc-by.svg",
    ),
    "https://creativecommons.org/licenses/by/4.0/": (
        "CC BY 4.0",
        "https://creativecommons.org/licenses/by/4.0/",
        "static/cc-by.svg",
    ),
}
# The counts of the description, in order: (VoID property, text key).
COUNTS = (
    ("triples", "count_triples"),
    ("entities", "count_entities"),
    ("classes", "count_classes"),
    ("properties", "count_properties"),
)


def dataset_view(pub: Publication, idx: Index, lang: str) -> dict:
    store, iri = pub.store, pub.base + "id/dataset"
    text = lambda p: (literal_in(store, iri, p, lang) or ("", ""))[0]  # noqa: E731
    return {
        "iri": iri,
        "title": text(DCTERMS + "title"),
        "description": text(DCTERMS + "description"),
        "licences": [licence(idx, o.value, lang) for o in named(store, iri, DCTERMS + "license")],
        "publishers": [
            agent(store, o.value, lang) for o in named(store, iri, DCTERMS + "publisher")
        ],
        "contacts": [contact(store, o.value) for o in named(store, iri, DCAT + "contactPoint")],
        "version": first_value(store, iri, DCAT + "version")
        or first_value(store, iri, OWL_VERSION),
        "issued": date(store, iri, DCTERMS + "issued", lang),
        "modified": date(store, iri, DCTERMS + "modified", lang),
        "counts": counts(store, iri, lang),
        "distributions": distributions(pub, idx, iri, lang),
        "linked": linked_datasets(pub, idx, iri, lang),
        "citation": first_value(store, iri, DCTERMS + "bibliographicCitation"),
        "sources": [link(idx, o.value, lang) for o in named(store, iri, PROV_DERIVED)],
    }


def named(store: ox.Store, iri: str, predicate: str) -> list:
    return [o for o in objects(store, iri, predicate) if isinstance(o, ox.NamedNode)]


def licence(idx: Index, iri: str, lang: str) -> dict:
    name, page, badge = LICENCES.get(iri, (idx.label(iri, lang), iri, None))
    return {"name": name, "href": page, "badge": badge, "iri": iri}


def agent(store: ox.Store, iri: str, lang: str) -> dict:
    name = literal_in(store, iri, FOAF + "name", lang)
    return {
        "name": name[0] if name else iri,
        "homepage": first_value(store, iri, FOAF + "homepage"),
    }


def contact(store: ox.Store, iri: str) -> dict:
    email = first_value(store, iri, VCARD + "hasEmail")
    return {
        "name": first_value(store, iri, VCARD + "fn") or iri,
        "url": first_value(store, iri, VCARD + "hasURL"),
        "email": email.removeprefix("mailto:") if email else None,
    }


def date(store: ox.Store, iri: str, predicate: str, lang: str) -> str:
    value = first_value(store, iri, predicate)
    return i18n.format_period(value, lang) if value else ""


def counts(store: ox.Store, iri: str, lang: str) -> list[tuple[str, str]]:
    """The VoID counts of the dataset, as (text key, number as the language writes it)."""
    found = []
    for name, key in COUNTS:
        value = first_value(store, iri, VOID + name)
        if value:
            found.append((key, i18n.format_number(value, lang)))
    return found


def distributions(pub: Publication, idx: Index, iri: str, lang: str) -> list[dict]:
    store, rows = pub.store, []
    for d in named(store, iri, DCAT + "distribution"):
        url = first_value(store, d.value, DCAT + "downloadURL") or ""
        size = first_value(store, d.value, DCAT + "byteSize")
        media = first_value(store, d.value, DCAT + "mediaType") or ""
        title = literal_in(store, d.value, DCTERMS + "title", lang)
        rows.append(
            {
                "title": title[0] if title else url,
                "href": idx.public + url[len(pub.base) :] if url.startswith(pub.base) else url,
                "media": media.removeprefix("http://www.iana.org/assignments/media-types/"),
                "size": i18n.format_bytes(int(size), lang) if size else "",
            }
        )
    return sorted(rows, key=lambda r: r["title"])


def linked_datasets(pub: Publication, idx: Index, iri: str, lang: str) -> list[dict]:
    """The datasets loaded beside ours (`sundhedsgraf link load`), as the description has them."""
    store, rows = pub.store, []
    for node in named(store, iri, DCTERMS + "relation"):
        graph = first_value(store, node.value, SD + "name")
        if graph is None:
            continue
        title = literal_in(store, node.value, DCTERMS + "title", lang)
        licences = named(store, node.value, DCTERMS + "license")
        rows.append(
            {
                "title": title[0] if title else graph,
                "graph": graph,
                "triples": i18n.format_number(
                    first_value(store, node.value, VOID + "triples") or "0", lang
                ),
                "loaded": date(store, node.value, DCTERMS + "issued", lang),
                "source": first_value(store, node.value, DCTERMS + "source"),
                "licence": licence(idx, licences[0].value, lang) if licences else None,
                "files": distributions(pub, idx, node.value, lang),
            }
        )
    return sorted(rows, key=lambda r: r["graph"])


def dataset_page(
    request: Request, pub: Publication, settings: Settings, path: str = ""
) -> Response:
    page = Page(request, pub, settings)

    def make():
        view = dataset_view(pub, page.idx, page.lang)
        return page.render("dataset.html", view=view)

    return cached(page, make)

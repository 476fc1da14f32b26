"""The home page."""

from collections import defaultdict

import pyoxigraph as ox
from starlette.requests import Request
from starlette.responses import Response

from sundhedsgraf.pages.labels import DCTERMS, SKOS, Index, link, organisation_classes
from sundhedsgraf.pages.lists import LISTS
from sundhedsgraf.pages.page import Page, cached
from sundhedsgraf.pages.terms import first_value, literal_in, number_key, objects, slug, subjects_of
from sundhedsgraf.publication import Publication
from sundhedsgraf.settings import Settings


def home_view(pub: Publication, idx: Index, lang: str) -> dict:
    return {
        "areas": areas_of(pub, idx, lang),
        "sources": sources_of(pub, idx, lang),
        "counts": counts_of(pub, idx),
        "triples": pub.manifest.get("triples"),
        "files": sorted(pub.files.items()),
    }


def areas_of(pub: Publication, idx: Index, lang: str) -> list[dict]:
    """The focus areas in order, each with its initiatives and their outcome."""
    store, sg = pub.store, idx.sg
    areas = []
    for fa in idx.instances({sg + "FocusArea"}):
        initiatives = []
        for ini in subjects_of(store, sg + "focusArea", fa):
            status = first_value(store, ini, sg + "outcomeStatus")
            initiatives.append(
                {
                    "id": first_value(store, ini, DCTERMS + "identifier") or "",
                    "initiative": link(idx, ini, lang),
                    "status": link(idx, status, lang) if status else None,
                    "state": slug(status) if status else "",
                }
            )
        initiatives.sort(key=lambda r: number_key(r["id"]))
        areas.append(
            {
                "notation": first_value(store, fa, SKOS + "notation") or "",
                "area": link(idx, fa, lang),
                "initiatives": initiatives,
            }
        )
    return sorted(areas, key=lambda a: number_key(a["notation"]))


def sources_of(pub: Publication, idx: Index, lang: str) -> list[dict]:
    """The documents the initiatives cite as their source."""
    store = pub.store
    sources = {
        o.value
        for ini in idx.instances({idx.sg + "Initiative"})
        for o in objects(store, ini, DCTERMS + "source")
        if isinstance(o, ox.NamedNode)
    }
    views = []
    for s in sorted(sources):
        title = literal_in(store, s, DCTERMS + "title", lang)
        views.append(
            {
                "source": link(idx, s, lang),
                "issued": first_value(store, s, DCTERMS + "issued") or "",
                "description": (literal_in(store, s, DCTERMS + "description", lang) or ("", ""))[0],
                "title": title[0] if title else "",
            }
        )
    return views


def counts_of(pub: Publication, idx: Index) -> list[tuple[str, int, str]]:
    """(text key, count, list path) for the counts on the home page."""
    sg = idx.sg
    states = defaultdict(int)
    for m in idx.instances({sg + "Milestone"}):
        status = first_value(pub.store, m, sg + "milestoneStatus")
        states[slug(status) if status else "other"] += 1
    return [
        ("initiatives", len(idx.instances({sg + "Initiative"})), "initiatives"),
        ("systems", len(idx.instances(idx.subclasses(sg + "System"))), "systems"),
        ("standards", len(idx.instances(idx.subclasses(sg + "Standard"))), "standards"),
        ("organisations", len(idx.instances(organisation_classes(idx))), "organisations"),
        ("milestones_achieved", states["achieved"], "milestones?status=achieved"),
        ("milestones_planned", states["planned"], "milestones?status=planned"),
        ("milestones_revised", states["revised"], "milestones?status=revised"),
    ]


def home_page(request: Request, pub: Publication, settings: Settings) -> Response:
    page = Page(request, pub, settings)

    def make():
        view = home_view(pub, page.idx, page.lang)
        return page.render("home.html", view=view, lists=LISTS)

    return cached(page, make)

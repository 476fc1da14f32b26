"""The pictures of the portfolio as SVG, drawn from a publication's store by SPARQL.

- `network(pub, lang, public, around=None)`: the dependency network, whole or around a resource;
- `timeline(pub, lang, public, focus_area=None)`: the milestones on a time axis;
- `portfolio(pub, lang, public, by="focus-area")`: initiatives per focus area or owner by outcome.

Each returns SVG text (no XML declaration, ready to inline in a page or serve as
image/svg+xml): titled and described in `lang` ("da" or "en"), every value from the data
escaped, no scripts, no event handlers, no styles but presentation attributes, and no links but
to our own pages under `public`. Resources are named and linked by the pages' Index
(`pages.labels`), as on their own pages. Same publication and arguments, same bytes.
"""

import logging

from starlette.requests import Request
from starlette.responses import Response

from sundhedsgraf.pages.labels import PROV, SKOS, numbered
from sundhedsgraf.pages.milestones import milestone_row
from sundhedsgraf.pages.page import Page, cached
from sundhedsgraf.pages.relations import relation_view, stated_relations
from sundhedsgraf.pages.terms import first_value, number_key, objects, subjects_of
from sundhedsgraf.publication import Publication
from sundhedsgraf.settings import Settings
from sundhedsgraf.web.responses import HTTPProblem, conditional

from .network import network
from .portfolio import portfolio
from .timeline import timeline

log = logging.getLogger(__name__)


PICTURES = ("network", "timeline", "portfolio")
PROV_DERIVED = PROV + "wasDerivedFrom"
PORTFOLIO_BY = ("focus-area", "owner")
DRAWINGS = {"network": network, "timeline": timeline, "portfolio": portfolio}


def draw(name: str, pub: Publication, lang: str, public: str, **options) -> str | None:
    """SVG text from sundhedsgraf.pictures, remembered per build; None if drawing failed."""
    key = (draw, name, lang, public, tuple(sorted(options.items())))
    try:
        return pub.cache.get(key, lambda: DRAWINGS[name](pub, lang, public, **options))
    except Exception:  # a picture must not take its page down; the log has the reason
        log.exception("drawing %s %s failed", name, options)
        return None


def picture_options(page: Page, name: str) -> dict:
    """The options of picture `name` from the query: validated against the data."""
    params = page.request.query_params
    if name == "network":
        around = params.get("around")
        if around is None or around == "":
            return network_filters(page)
        iri = around if "://" in around else page.pub.base + "id/" + around
        if iri not in set(page.idx.subjects):
            raise HTTPProblem(
                400, f"around must name a resource of this dataset, not {around[:80]!r}"
            )
        return {"around": iri}
    if name == "timeline":
        return {"focus_area": focus_area(page)}
    by = params.get("by") or "focus-area"
    if by not in PORTFOLIO_BY:
        raise HTTPProblem(400, f"by must be one of {', '.join(PORTFOLIO_BY)}, not {by[:40]!r}")
    return {"by": by}


NETWORK_KINDS = ("system", "standard", "project", "organisation")


def network_filters(page: Page) -> dict:
    """?focus-area=N and ?kind=… of the whole network, validated."""
    kind = page.request.query_params.get("kind") or None
    if kind is not None and kind not in NETWORK_KINDS:
        raise HTTPProblem(400, f"kind must be one of {', '.join(NETWORK_KINDS)}, not {kind[:40]!r}")
    return {"focus_area": focus_area(page), "kind": kind}


def focus_area(page: Page) -> str | None:
    value = page.request.query_params.get("focus-area") or None
    if value is None:
        return None
    areas = {
        first_value(page.pub.store, fa, SKOS + "notation"): fa
        for fa in page.idx.instances({page.idx.sg + "FocusArea"})
    }
    if value not in areas:
        raise HTTPProblem(
            400, f"focus-area must be one of {', '.join(sorted(areas))}, not {value[:40]!r}"
        )
    return areas[value]


def pictures_page(request: Request, pub: Publication, settings: Settings) -> Response:
    page = Page(request, pub, settings)
    chosen = focus_area(page)

    def make():
        areas = sorted(
            (
                {
                    "key": first_value(pub.store, fa, SKOS + "notation"),
                    "label": page.idx.label(fa, page.lang),
                    "selected": fa == chosen,
                }
                for fa in page.idx.instances({page.idx.sg + "FocusArea"})
            ),
            key=lambda a: number_key(a["key"]),
        )
        chosen_key = next((a["key"] for a in areas if a["selected"]), None)
        filters = network_filters(page)
        svg = {
            "network": draw("network", pub, page.lang, page.public, **filters),
            "timeline": draw("timeline", pub, page.lang, page.public, focus_area=chosen),
            "by_focus_area": draw("portfolio", pub, page.lang, page.public, by="focus-area"),
            "by_owner": draw("portfolio", pub, page.lang, page.public, by="owner"),
        }
        return page.render(
            "pictures.html",
            svg=svg,
            areas=areas,
            chosen=chosen_key,
            kinds=NETWORK_KINDS,
            kind=filters["kind"],
            milestones=milestone_list(page, chosen),
            relations=relation_list(page, filters),
        )

    return cached(page, make, ("focus-area", "kind"))


def milestone_list(page: Page, area: str | None) -> list[dict]:
    """The milestones in time order, for the vertical timeline of a narrow screen."""
    sg, idx = page.idx.sg, page.idx
    wanted = None
    if area:
        wanted = set(subjects_of(page.pub.store, sg + "focusArea", area))
    found = [
        m
        for m in idx.instances({sg + "Milestone"})
        if wanted is None or {o.value for o in objects(page.pub.store, m, PROV_DERIVED)} & wanted
    ]
    rows = [milestone_row(page.pub, idx, m, page.lang) for m in found]
    return sorted(rows, key=lambda r: (r["start"], r["end"], r["milestone"]["text"]))


def relation_list(page: Page, filters: dict) -> list[dict]:
    """The stated relations as sentences, for the network of a narrow screen."""
    views = [
        relation_view(page.pub, page.idx, r, r.subject, page.lang)
        | {"subject": numbered(page.idx, r.subject, page.lang)}
        for r in stated_relations(page.pub, page.idx)
    ]
    return sorted(views, key=lambda v: (v["subject"]["text"].lower(), v["phrase"]))


def svg_file(request: Request, pub: Publication, settings: Settings, name: str) -> Response:
    page = Page(request, pub, settings)
    if name not in PICTURES:
        raise HTTPProblem(404, f"no picture {name!r}; pictures: {', '.join(PICTURES)}")
    options = picture_options(page, name)
    svg = draw(name, pub, page.lang, page.public, **options)
    if svg is None:
        raise HTTPProblem(500, "the picture could not be drawn")
    headers = {
        "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
        "X-Content-Type-Options": "nosniff",
        "Content-Language": page.lang,
        "Vary": "Accept-Language",
        "Cache-Control": "public, max-age=60",
    }
    return conditional(
        request, svg.encode(), "image/svg+xml", headers, last_modified=pub.last_modified
    )

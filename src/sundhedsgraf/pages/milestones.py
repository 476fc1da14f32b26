"""A milestone as the pages show it: its date in the page's language, its status, its owner."""

from sundhedsgraf.pages import i18n
from sundhedsgraf.pages.labels import Index, link
from sundhedsgraf.pages.terms import first_value, literal_in, slug
from sundhedsgraf.publication import Publication

MILESTONE_STATES = ("achieved", "planned", "revised")


def milestone_row(pub: Publication, idx: Index, m: str, lang: str) -> dict:
    """A milestone: its date as precise as published, in the page's language, its status and
    what it belongs to; the words it was published in only where they are in that language."""
    store, sg = pub.store, idx.sg
    status = first_value(store, m, sg + "milestoneStatus")
    published = literal_in(store, m, sg + "dateAsPublished", lang)
    owner = first_value(store, m, sg + "milestoneOf")
    start = first_value(store, m, sg + "periodStart") or ""
    end = first_value(store, m, sg + "periodEnd") or ""
    precision = first_value(store, m, sg + "datePrecision")
    precision = slug(precision) if precision else None
    when = i18n.format_date(start, lang, precision, end) if start else ""
    return {
        "milestone": link(idx, m, lang),
        "status": link(idx, status, lang) if status else None,
        "state": slug(status) if status and slug(status) in MILESTONE_STATES else "other",
        "when": when,
        "published": published[0] if published and published[1] == lang else "",
        "start": start,
        "end": end,
        "of": link(idx, owner, lang) if owner else None,
    }

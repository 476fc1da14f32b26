"""The summary at the top of a resource page: the few facts a reader came for, in the page's
language, as (text key, values) rows. What the data does not have is left out."""

import pyoxigraph as ox

from sundhedsgraf.pages import i18n
from sundhedsgraf.pages.impact import impact_view
from sundhedsgraf.pages.labels import DCTERMS, ORG, Index, numbered, organisation_classes
from sundhedsgraf.pages.relations import relations_of
from sundhedsgraf.pages.terms import first_value, literal_in, number_key, objects, slug, subjects_of
from sundhedsgraf.publication import Publication


def links(idx: Index, iris, lang: str, by_number: bool = False) -> list[dict]:
    views = [numbered(idx, i, lang) for i in dict.fromkeys(iris)]
    return sorted(views, key=lambda v: number_key(v["text"]) if by_number else v["text"].lower())


def out(pub: Publication, iri: str, predicate: str) -> list[str]:
    return [o.value for o in objects(pub.store, iri, predicate) if isinstance(o, ox.NamedNode)]


def text(value: str, lang: str | None = None) -> dict:
    return {"kind": "literal", "text": value, "lang": lang}


def badge(idx: Index, iri: str, lang: str) -> dict:
    view = numbered(idx, iri, lang)
    view["badge"] = slug(iri)
    return view


def summary_of(pub: Publication, idx: Index, iri: str, lang: str, milestones: list) -> list:
    """[(text key, [value views])] for the summary of `iri`, by what kind of thing it is."""
    types = idx.types.get(iri, set())
    sg = idx.sg
    if sg + "Initiative" in types:
        return initiative_summary(pub, idx, iri, lang, milestones)
    if types & (idx.subclasses(sg + "System") | idx.subclasses(sg + "Standard")):
        return system_summary(pub, idx, iri, lang)
    if types & organisation_classes(idx):
        return organisation_summary(pub, idx, iri, lang)
    if sg + "Figure" in types:
        return figure_summary(pub, idx, iri, lang)
    return []


def initiative_summary(pub, idx: Index, iri: str, lang: str, milestones: list) -> list:
    sg, rows = idx.sg, []
    number = first_value(pub.store, iri, DCTERMS + "identifier")
    if number:
        rows.append(("number", [text(number)]))
    rows.append(("focus_area", links(idx, out(pub, iri, sg + "focusArea"), lang)))
    rows.append(("owner", links(idx, out(pub, iri, sg + "owner"), lang)))
    outcome = [badge(idx, s, lang) for s in out(pub, iri, sg + "outcomeStatus")]
    reason = literal_in(pub.store, iri, sg + "statusReason", lang)
    rows.append(("outcome", outcome + ([text(reason[0], reason[1])] if reason else [])))
    rows += key_dates(milestones)
    rows += involvement(pub, idx, iri, lang)
    return [(key, values) for key, values in rows if values]


def key_dates(milestones: list) -> list:
    """The first and the last milestone, and the first planned one (milestones in time order)."""
    if not milestones:
        return []
    planned = [m for m in milestones if m["state"] == "planned"]
    rows = [("first_milestone", [milestones[0]])]
    if len(milestones) > 1:
        rows.append(("last_milestone", [milestones[-1]]))
    if planned:
        rows.append(("next_planned", [planned[0]]))
    return [(key, [{"kind": "milestone", **m} for m in ms]) for key, ms in rows]


def involvement(pub, idx: Index, iri: str, lang: str) -> list:
    """Systems and standards the initiative involves, by kind of thing."""
    concerned = set(out(pub, iri, idx.sg + "concerns"))
    kinds = (("systems", "System"), ("standards", "Standard"))
    return [
        (key, links(idx, (c for c in concerned if idx.types.get(c, set()) & classes), lang))
        for key, classes in ((k, idx.subclasses(idx.sg + c)) for k, c in kinds)
    ]


def system_summary(pub, idx: Index, iri: str, lang: str) -> list:
    sg = idx.sg
    kinds = idx.types.get(iri, set()) - {sg + "System", sg + "Standard"}
    abbreviation = first_value(pub.store, iri, sg + "abbreviation")
    replacing = [
        r for r in relations_of(pub, idx, iri, lang) if r["predicate"] == DCTERMS + "replaces"
    ]
    impact = impact_view(pub, idx, iri, lang)
    involving = subjects_of(pub.store, sg + "concerns", iri)
    initiatives = [i for i in involving if sg + "Initiative" in idx.types.get(i, ())]
    rows = [
        ("kind", links(idx, kinds, lang)),
        ("abbreviation", [text(abbreviation)] if abbreviation else []),
        ("operator", links(idx, out(pub, iri, sg + "operator"), lang)),
        ("publisher", links(idx, out(pub, iri, DCTERMS + "publisher"), lang)),
        ("replacement", [{"kind": "relation", **r} for r in replacing]),
        ("depended_on_by", [{"kind": "impact", **impact}] if impact["count"] else []),
        ("involved_in", links(idx, initiatives, lang, by_number=True)),
    ]
    return [(key, values) for key, values in rows if values]


def organisation_summary(pub, idx: Index, iri: str, lang: str) -> list:
    sg = idx.sg
    owned = subjects_of(pub.store, sg + "owner", iri)
    runs = subjects_of(pub.store, sg + "operator", iri)
    parts = out(pub, iri, ORG + "subOrganizationOf")
    rows = [
        ("owns", links(idx, owned, lang, by_number=True)),
        ("runs", links(idx, runs, lang)),
        ("part_of", links(idx, parts, lang)),
    ]
    return [(key, values) for key, values in rows if values]


def figure_summary(pub, idx: Index, iri: str, lang: str) -> list:
    """The value as the language writes numbers, how exact, what it counts, and when: its
    reference period, else the year of the source that reported it."""
    sg, store = idx.sg, pub.store
    value = first_value(store, iri, sg + "value")
    if value is None:
        return []
    shown = i18n.format_number(value, lang)
    out_of = first_value(store, iri, sg + "outOf")
    if out_of:
        shown += " / " + i18n.format_number(out_of, lang)
    comparator = first_value(store, iri, sg + "comparator")
    if comparator:
        shown = f"{idx.label(comparator, lang)} {shown}"
    counts = literal_in(store, iri, sg + "counts", lang)
    rows = [
        ("value", [text(shown)]),
        ("unit", links(idx, out(pub, iri, sg + "unit"), lang)),
        ("what_it_counts", [text(counts[0], counts[1])] if counts else []),
        ("when", [text(figure_date(pub, idx, iri, lang))]),
    ]
    return [(key, values) for key, values in rows if values and values[0].get("text")]


def figure_date(pub, idx: Index, iri: str, lang: str) -> str:
    period = first_value(pub.store, iri, idx.sg + "referencePeriod")
    if period:
        return i18n.format_period(period, lang)
    issued = [
        first_value(pub.store, source, DCTERMS + "issued")
        for of in out(pub, iri, idx.sg + "figureOf")
        for source in out(pub, of, DCTERMS + "source")
    ]
    years = sorted(y for y in issued if y)
    return i18n.texts(lang)["reported_in"].format(year=years[0]) if years else ""

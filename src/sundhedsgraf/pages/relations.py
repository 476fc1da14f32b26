"""Stated relations read from either end: "is to be replaced by CareCommunication — planned,
31 May 2025" on XDIS91's page, "is to replace XDIS91 — planned, 31 May 2025" on
CareCommunication's.

Read from the relation nodes (sg:Relation: subject, predicate, object, realisation, milestone,
prov:wasDerivedFrom), never from the plain triple, which the build may assert only for achieved
relations. The wording comes from the ontology alone: the label of the property or of its
owl:inverseOf, and their sg:plannedLabel for a relation not achieved (ontology/sundhedsgraf.ttl
gives every relation predicate an inverse and both labels).
"""

from dataclasses import dataclass

import pyoxigraph as ox

from sundhedsgraf.pages import i18n
from sundhedsgraf.pages.labels import OWL, PROV, RDF, Index, numbered
from sundhedsgraf.pages.terms import first_value, literal_in, objects, slug, subjects_of
from sundhedsgraf.publication import Publication

ACHIEVED = "achieved"


@dataclass(frozen=True)
class Stated:
    """One sg:Relation node."""

    node: str
    subject: str
    predicate: str
    object: str
    realisation: str | None  # the concept's IRI
    milestone: str | None

    @property
    def state(self) -> str:
        """achieved, planned, revised (the realisation's last segment), or "" if none."""
        return slug(self.realisation) if self.realisation else ""


def stated_relations(pub: Publication, idx: Index) -> list[Stated]:
    """Every relation node of the build, made once per build."""
    return pub.cache.get((stated_relations, idx.base), lambda: _read(pub, idx))


def _read(pub: Publication, idx: Index) -> list[Stated]:
    store, found = pub.store, []
    for node in idx.instances({idx.sg + "Relation"}):
        parts = [first_value(store, node, RDF + n) for n in ("subject", "predicate", "object")]
        if None in parts:
            continue
        realisation = first_value(store, node, idx.sg + "realisation")
        milestone = first_value(store, node, idx.sg + "milestone")
        found.append(Stated(node, *parts, realisation, milestone))
    return found


def inverse_of(pub: Publication, idx: Index, predicate: str) -> str | None:
    """The property the ontology declares the inverse of `predicate` (itself if symmetric)."""
    if OWL + "SymmetricProperty" in idx.types.get(predicate, ()):
        return predicate
    declared = subjects_of(pub.store, OWL + "inverseOf", predicate)
    declared += [o.value for o in objects(pub.store, predicate, OWL + "inverseOf")]
    return declared[0] if declared else None


def wording(pub: Publication, idx: Index, predicate: str, forward: bool, state: str, lang: str):
    """How the relation reads from its subject (`forward`) or its object, achieved or not."""
    realised = state in (ACHIEVED, "")
    read = predicate if forward else inverse_of(pub, idx, predicate)
    if read is None:  # no inverse in the ontology: the property, read backwards
        return "← " + idx.label(predicate, lang)
    if not realised:
        planned = literal_in(pub.store, read, idx.sg + "plannedLabel", lang)
        if planned:
            return planned[0]
    return idx.label(read, lang)


def when(pub: Publication, idx: Index, milestone: str | None, lang: str) -> str:
    """The date of a relation's milestone in the page's language, or ""."""
    if not milestone:
        return ""
    store, sg = pub.store, idx.sg
    start = first_value(store, milestone, sg + "periodStart")
    if not start:
        return ""
    precision = first_value(store, milestone, sg + "datePrecision")
    end = first_value(store, milestone, sg + "periodEnd")
    return i18n.format_date(start, lang, slug(precision) if precision else None, end)


def relation_view(pub: Publication, idx: Index, r: Stated, about: str, lang: str) -> dict:
    """A relation as a sentence from `about`'s end: phrase, the other end, realisation, date."""
    forward = r.subject == about
    other = r.object if forward else r.subject
    realisation = numbered(idx, r.realisation, lang) if r.realisation else None
    if realisation:
        realisation["badge"] = r.state
    return {
        "phrase": wording(pub, idx, r.predicate, forward, r.state, lang),
        "other": numbered(idx, other, lang),
        "realisation": realisation,
        "state": r.state,
        "when": when(pub, idx, r.milestone, lang),
        "node": numbered(idx, r.node, lang),
        "predicate": r.predicate,
        "forward": forward,
        "read_from": [
            numbered(idx, o.value, lang)
            for o in objects(pub.store, r.node, PROV + "wasDerivedFrom")
            if isinstance(o, ox.NamedNode)
        ],
    }


def relations_of(pub: Publication, idx: Index, iri: str, lang: str) -> list[dict]:
    """Every stated relation `iri` is at either end of, as sentences from its end."""
    found = [r for r in stated_relations(pub, idx) if iri in (r.subject, r.object)]
    views = [relation_view(pub, idx, r, iri, lang) for r in found]
    return sorted(views, key=lambda v: (not v["forward"], v["phrase"], v["other"]["text"]))


def unrealised_triples(pub: Publication, idx: Index, iri: str) -> dict[tuple, str]:
    """{(predicate, other end): state} of the relations of `iri` that are not achieved, read
    forwards: the property table marks their plain triples."""
    return {
        (r.predicate, r.object): r.state
        for r in stated_relations(pub, idx)
        if r.subject == iri and r.state not in (ACHIEVED, "")
    }

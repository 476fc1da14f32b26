"""Reading a build's store with fixed patterns: values of a resource, and keys to sort by."""

import re
from collections import defaultdict

import pyoxigraph as ox

from sundhedsgraf.pages import i18n


def objects(store: ox.Store, subject: str, predicate: str) -> list:
    """The distinct objects of (subject, predicate), in any graph."""
    return list(
        dict.fromkeys(
            q.object
            for q in store.quads_for_pattern(ox.NamedNode(subject), ox.NamedNode(predicate), None)
        )
    )


def subjects_of(store: ox.Store, predicate: str, obj: str) -> list[str]:
    return sorted(
        {
            q.subject.value
            for q in store.quads_for_pattern(None, ox.NamedNode(predicate), ox.NamedNode(obj))
            if isinstance(q.subject, ox.NamedNode)
        }
    )


def literal_in(store: ox.Store, subject: str, predicate: str, lang: str) -> tuple[str, str] | None:
    """A literal of (subject, predicate) in `lang` by the fallback order: (text, tag)."""
    tags: dict[str, list[str]] = defaultdict(list)
    for o in objects(store, subject, predicate):
        if isinstance(o, ox.Literal):
            tags[o.language or ""].append(o.value)
    return i18n.pick(tags, lang)


def first_value(store: ox.Store, subject: str, predicate: str) -> str | None:
    found = objects(store, subject, predicate)
    return found[0].value if found else None


def slug(iri: str) -> str:
    return re.split(r"[/#]", iri)[-1]


def number_key(text: str | None) -> tuple:
    """Sort "2.10" after "2.9": numbers as numbers."""
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", text or ""))

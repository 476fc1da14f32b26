"""Labels, links and term views of one build: the one labelling service of pages and pictures.

An `Index` of labels, types and the class and property hierarchies is made once per build
(kept in the publication's cache). A label falls back from the chosen language to the other,
then to an untagged one, a known name of a common term, and the IRI's compact name.
"""

import re
from collections import defaultdict
from dataclasses import dataclass, field
from urllib.parse import quote, urlencode

import pyoxigraph as ox

from sundhedsgraf.build.entailment import reachable
from sundhedsgraf.namespaces import PREFIXES, prefixes, shorten
from sundhedsgraf.pages import i18n
from sundhedsgraf.publication import Publication

RDF, RDFS, SKOS = PREFIXES["rdf"], PREFIXES["rdfs"], PREFIXES["skos"]
DCTERMS, PROV, OWL, ORG = PREFIXES["dcterms"], PREFIXES["prov"], PREFIXES["owl"], PREFIXES["org"]
XSD = PREFIXES["xsd"]
TYPE = RDF + "type"
LABEL_PREDICATES = (RDFS + "label", SKOS + "prefLabel", DCTERMS + "title")


@dataclass
class Index:
    """Labels, types and hierarchies of one build, for the pages."""

    base: str
    public: str
    labels: dict = field(default_factory=dict)  # iri -> {lang: [text]}
    types: dict = field(default_factory=lambda: defaultdict(set))  # iri -> {class iri}
    super_classes: dict = field(default_factory=lambda: defaultdict(set))  # direct
    super_properties: dict = field(default_factory=lambda: defaultdict(set))  # direct
    subjects: list = field(default_factory=list)  # IRIs under <base>id/ used as subject
    prefix_map: dict = field(default_factory=dict)
    numbers: dict = field(default_factory=dict)  # initiative IRI -> its published number

    @property
    def sg(self) -> str:
        return self.base + "def#"

    def expand(self, curie: str) -> str:
        name, _, local = curie.partition(":")
        return self.prefix_map[name] + local

    # ---- names ----

    def label(self, iri: str, lang: str) -> str:
        """The label in `lang`, else the other language, else untagged, else a compact name."""
        found = i18n.pick(self.labels.get(iri, {}), lang)
        if found:
            return found[0]
        if iri in i18n.TERM_NAMES:
            return i18n.TERM_NAMES[iri][i18n.LANGUAGES.index(lang)]
        return self.compact(iri)

    def compact(self, iri: str) -> str:
        short = shorten(iri, self.prefix_map)
        if short:
            return short
        tail = re.split(r"[/#]", iri.rstrip("/#"))[-1]
        return tail or iri

    # ---- URLs ----

    def href(self, iri: str) -> tuple[str, bool]:
        """(URL, internal): our page for IRIs of this build, else the IRI itself."""
        if iri.startswith(self.base + "id/"):
            return self.public + "doc/" + quote(
                iri[len(self.base + "id/") :], safe="/:@!$&'()*+,;=-._~"
            ), True
        if iri.startswith(self.base + "def"):
            rest = iri[len(self.base + "def") :]
            if rest == "" or rest.startswith("#"):
                return self.public + "def" + rest, True
        if iri.startswith(self.base + "graph/"):
            return self.public + "graph-store?" + urlencode({"graph": iri}), True
        return iri, False

    # ---- hierarchies ----

    def ancestors(self, start: str, edges: dict) -> set[str]:
        return reachable(start, edges)

    def subclasses(self, cls: str) -> set[str]:
        """`cls` and every class below it."""
        return {cls} | {
            c for c in list(self.super_classes) if cls in self.ancestors(c, self.super_classes)
        }

    def instances(self, classes: set[str]) -> list[str]:
        return [s for s in self.subjects if self.types.get(s, set()) & classes]


def index(pub: Publication, public: str) -> Index:
    """The build's Index, made once and kept in the publication's cache."""
    return pub.cache.get((build_index, public), lambda: build_index(pub, public))


def build_index(pub: Publication, public: str) -> Index:
    idx = Index(pub.base, public, prefix_map=prefixes(pub.base, extra=True))
    ours = pub.own_graphs  # not the linked datasets: a register's million labels stay out

    def quads(predicate: str | None = None):
        node = ox.NamedNode(predicate) if predicate else None
        for graph in ours:
            yield from pub.store.quads_for_pattern(None, node, None, graph)

    by_predicate: dict[str, dict[str, dict[str, set]]] = {p: {} for p in LABEL_PREDICATES}
    for predicate in LABEL_PREDICATES:
        for q in quads(predicate):
            if isinstance(q.subject, ox.NamedNode) and isinstance(q.object, ox.Literal):
                tags = by_predicate[predicate].setdefault(q.subject.value, defaultdict(set))
                tags[q.object.language or ""].add(q.object.value)
    for predicate in LABEL_PREDICATES:  # the first predicate with a value wins
        for iri, tags in by_predicate[predicate].items():
            idx.labels.setdefault(iri, {t: sorted(v) for t, v in tags.items()})
    for q in quads(TYPE):
        if isinstance(q.subject, ox.NamedNode) and isinstance(q.object, ox.NamedNode):
            idx.types[q.subject.value].add(q.object.value)
    for q in quads(RDFS + "subClassOf"):
        if isinstance(q.object, ox.NamedNode):
            idx.super_classes[q.subject.value].add(q.object.value)
    for q in quads(RDFS + "subPropertyOf"):
        if isinstance(q.object, ox.NamedNode):
            idx.super_properties[q.subject.value].add(q.object.value)
    initiatives = {s for s, types in idx.types.items() if idx.sg + "Initiative" in types}
    for q in quads(DCTERMS + "identifier"):
        if q.subject.value in initiatives and isinstance(q.object, ox.Literal):
            idx.numbers[q.subject.value] = q.object.value
    prefix = pub.base + "id/"
    idx.subjects = sorted(
        {
            q.subject.value
            for q in quads()
            if isinstance(q.subject, ox.NamedNode) and q.subject.value.startswith(prefix)
        }
    )
    return idx


def organisation_classes(idx: Index) -> set[str]:
    return idx.subclasses(ORG + "Organization") | {ORG + "Organization", ORG + "OrganizationalUnit"}


# ---- terms for the templates


NUMBERS = {XSD + n for n in ("integer", "decimal", "double", "float", "nonNegativeInteger", "int")}
DATES = {XSD + "date": "day", XSD + "gYearMonth": "month", XSD + "gYear": "year"}


def term_view(idx: Index, term, lang: str, store: ox.Store | None = None, depth: int = 0) -> dict:
    """How a term is shown: a link to our page, an external link, an identifier (a URN, which
    no browser can open), a literal (numbers and dates as the language writes them) or a blank
    node."""
    if isinstance(term, ox.NamedNode):
        url, internal = idx.href(term.value)
        if not internal and not term.value.startswith(("http://", "https://")):
            return {"kind": "identifier", "text": term.value}
        return {
            "kind": "link" if internal else "external",
            "href": url,
            "text": idx.label(term.value, lang),
            "iri": term.value,
        }
    if isinstance(term, ox.Literal):
        return literal_view(idx, term, lang)
    if isinstance(term, ox.BlankNode) and store is not None and depth < 3:
        rows = [
            (term_view(idx, q.predicate, lang), term_view(idx, q.object, lang, store, depth + 1))
            for q in dict.fromkeys(
                ox.Triple(q.subject, q.predicate, q.object)
                for q in store.quads_for_pattern(term, None, None)
            )
        ]
        return {"kind": "bnode", "rows": rows}
    return {"kind": "literal", "text": str(term), "lang": None, "datatype": None}


def literal_view(idx: Index, term: ox.Literal, lang: str) -> dict:
    datatype = term.datatype.value
    text, shown = term.value, None
    if datatype in NUMBERS:
        text = i18n.format_number(term.value, lang)
    elif datatype in DATES:
        text = i18n.format_period(term.value, lang)
    elif not term.language and datatype not in (XSD + "string", RDF + "langString"):
        shown = shorten(datatype, idx.prefix_map) or datatype
    return {"kind": "literal", "text": text, "lang": term.language, "datatype": shown}


def link(idx: Index, iri: str, lang: str) -> dict:
    return term_view(idx, ox.NamedNode(iri), lang)


def numbered(idx: Index, iri: str, lang: str) -> dict:
    """A link whose text starts with the initiative's published number ("1.4 En samlet …")."""
    view = link(idx, iri, lang)
    number = idx.numbers.get(iri)
    if number and not view["text"].startswith(number):
        view["text"] = f"{number} {view['text']}"
    return view

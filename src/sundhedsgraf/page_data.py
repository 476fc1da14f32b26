"""What the HTML pages show, gathered from the publication's store.

Everything here reads the build (`pub.store`) with our own fixed patterns and queries; user
queries never come here (they go through the SPARQL endpoint's workers and guard). An `Index`
of labels, types and the class and property hierarchies is built once per build and kept in
`pub.memo`; the page views are plain dicts and lists for the templates.
"""

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from urllib.parse import quote, urlencode

import pyoxigraph as ox

from . import i18n
from .describe import inbound_page
from .entailment import reachable
from .namespaces import PREFIXES, prefixes, shorten
from .publication import Publication

RDF, RDFS, SKOS = PREFIXES["rdf"], PREFIXES["rdfs"], PREFIXES["skos"]
DCTERMS, PROV, OWL, ORG = PREFIXES["dcterms"], PREFIXES["prov"], PREFIXES["owl"], PREFIXES["org"]
XSD = PREFIXES["xsd"]
TYPE = RDF + "type"
LABEL_PREDICATES = (RDFS + "label", SKOS + "prefLabel", DCTERMS + "title")
# Prose shown above the property table, in the page language: (predicate, text key).
PROSE = (
    ("dcterms:description", "description"),
    ("sg:statusSummary", "status_summary"),
    ("sg:statusReason", "status_reason"),
    ("skos:definition", "definition"),
    ("sg:counts", "description"),
)
MILESTONE_STATES = ("achieved", "planned", "revised")
MAX_QUERY_CHARS = 200


class BadFilter(ValueError):
    """A list page was asked for a filter value the data does not have."""


def _fold_char(char: str) -> str:
    """One character folded for search: lower case, Danish letters spelled out, no accents."""
    char = char.casefold()
    char = {"æ": "ae", "ø": "oe", "å": "aa"}.get(char, char)
    return "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))


def fold(text: str) -> str:
    return "".join(_fold_char(c) for c in text)


def fold_with_map(text: str) -> tuple[str, list[int]]:
    """`text` folded, and for each folded character the index of the original one."""
    out, where = [], []
    for i, char in enumerate(text):
        folded = _fold_char(char)
        out.append(folded)
        where.extend([i] * len(folded))
    return "".join(out), where


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
    """The build's Index, made once and kept in `pub.memo`."""
    key = ("pages-index", public)
    if key not in pub.memo:
        pub.memo[key] = build_index(pub, public)
    return pub.memo[key]


def build_index(pub: Publication, public: str) -> Index:
    idx = Index(pub.base, public, prefix_map=prefixes(pub.base, extra=True))
    store = pub.store
    by_predicate: dict[str, dict[str, dict[str, set]]] = {p: {} for p in LABEL_PREDICATES}
    for predicate in LABEL_PREDICATES:
        for q in store.quads_for_pattern(None, ox.NamedNode(predicate), None):
            if isinstance(q.subject, ox.NamedNode) and isinstance(q.object, ox.Literal):
                tags = by_predicate[predicate].setdefault(q.subject.value, defaultdict(set))
                tags[q.object.language or ""].add(q.object.value)
    for predicate in LABEL_PREDICATES:  # the first predicate with a value wins
        for iri, tags in by_predicate[predicate].items():
            idx.labels.setdefault(iri, {t: sorted(v) for t, v in tags.items()})
    for q in store.quads_for_pattern(None, ox.NamedNode(TYPE), None):
        if isinstance(q.subject, ox.NamedNode) and isinstance(q.object, ox.NamedNode):
            idx.types[q.subject.value].add(q.object.value)
    for q in store.quads_for_pattern(None, ox.NamedNode(RDFS + "subClassOf"), None):
        if isinstance(q.object, ox.NamedNode):
            idx.super_classes[q.subject.value].add(q.object.value)
    for q in store.quads_for_pattern(None, ox.NamedNode(RDFS + "subPropertyOf"), None):
        if isinstance(q.object, ox.NamedNode):
            idx.super_properties[q.subject.value].add(q.object.value)
    prefix = pub.base + "id/"
    idx.subjects = sorted(
        {
            q.subject.value
            for q in store.quads_for_pattern(None, None, None)
            if isinstance(q.subject, ox.NamedNode) and q.subject.value.startswith(prefix)
        }
    )
    return idx


# ---- terms for the templates -------------------------------------------------------------


def term_view(idx: Index, term, lang: str, store: ox.Store | None = None, depth: int = 0) -> dict:
    """How a term is shown: a link to our page, an external link, a literal or a blank node."""
    if isinstance(term, ox.NamedNode):
        url, internal = idx.href(term.value)
        return {
            "kind": "link" if internal else "external",
            "href": url,
            "text": idx.label(term.value, lang),
            "iri": term.value,
        }
    if isinstance(term, ox.Literal):
        datatype = term.datatype.value
        shown = None
        if not term.language and datatype not in (XSD + "string", RDF + "langString"):
            shown = shorten(datatype, idx.prefix_map) or datatype
        return {"kind": "literal", "text": term.value, "lang": term.language, "datatype": shown}
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


def link(idx: Index, iri: str, lang: str) -> dict:
    return term_view(idx, ox.NamedNode(iri), lang)


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


# ---- one resource ------------------------------------------------------------------------


def resource_view(
    pub: Publication, idx: Index, node: ox.NamedNode, lang: str, page: int, page_size: int
) -> dict:
    store, iri = pub.store, node.value
    triples = list(
        dict.fromkeys(
            ox.Triple(q.subject, q.predicate, q.object)
            for q in store.quads_for_pattern(node, None, None)
        )
    )
    # A super-property stated next to a more specific one (the build's entailment) is implied.
    by_object = defaultdict(set)
    for t in triples:
        by_object[t.object].add(t.predicate.value)
    shown = [
        t
        for t in triples
        if not any(
            t.predicate.value in idx.ancestors(other, idx.super_properties)
            for other in by_object[t.object]
            if other != t.predicate.value
        )
    ]
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
    properties = [
        {
            "predicate": link(idx, p, lang),
            "values": [term_view(idx, o, lang, store) for o in values],
        }
        for p, values in groups.items()
    ]
    prose = []
    for curie, key in PROSE:
        found = literal_in(store, iri, idx.expand(curie), lang)
        if found:
            prose.append({"key": key, "text": found[0], "lang": found[1]})
    types = sorted(idx.types.get(iri, ()))
    chosen, total, pages = inbound_page(store, node, page, page_size)
    inbound: dict = {}
    for t in chosen:
        inbound.setdefault(t.subject, []).append(t.predicate.value)
    inbound_rows = []
    for subject, predicates in inbound.items():
        specific = [
            p
            for p in predicates
            if not any(p in idx.ancestors(o, idx.super_properties) for o in predicates if o != p)
        ]
        inbound_rows.append(
            {
                "subject": term_view(idx, subject, lang),
                "predicates": [link(idx, p, lang) for p in specific],
            }
        )
    return {
        "iri": iri,
        "label": idx.label(iri, lang),
        "label_lang": (i18n.pick(idx.labels.get(iri, {}), lang) or ("", ""))[1],
        "types": [link(idx, t, lang) for t in types],
        "prose": prose,
        "properties": properties,
        "inbound": inbound_rows,
        "inbound_total": total,
        "page": page,
        "pages": pages,
        "milestones": milestones_of(pub, idx, iri, lang),
        "figures": figures_of(pub, idx, iri, lang),
        "provenance": provenance_of(pub, idx, iri, lang),
        "deprecated": any(
            isinstance(o, ox.Literal) and o.value == "true"
            for o in objects(store, iri, OWL + "deprecated")
        ),
        "kind": kind_of(idx, iri),
    }


def kind_of(idx: Index, iri: str) -> str | None:
    """initiative, system, standard, project or None: which pictures a page gets."""
    types = idx.types.get(iri, set())
    sg = idx.sg
    for name, cls in (("initiative", "Initiative"), ("system", "System"), ("standard", "Standard")):
        if types & idx.subclasses(sg + cls):
            return name
    return None


def milestone_row(pub: Publication, idx: Index, m: str, lang: str) -> dict:
    store, sg = pub.store, idx.sg
    status = first_value(store, m, sg + "milestoneStatus")
    when = literal_in(store, m, sg + "dateAsPublished", lang)
    owner = first_value(store, m, sg + "milestoneOf")
    return {
        "milestone": link(idx, m, lang),
        "status": link(idx, status, lang) if status else None,
        "state": slug(status) if status and slug(status) in MILESTONE_STATES else "other",
        "when": when[0] if when else "",
        "when_lang": when[1] if when else "",
        "start": first_value(store, m, sg + "periodStart") or "",
        "end": first_value(store, m, sg + "periodEnd") or "",
        "of": link(idx, owner, lang) if owner else None,
    }


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
        "value": first_value(store, f, sg + "value") or "",
        "out_of": first_value(store, f, sg + "outOf"),
        "unit": link(idx, unit, lang) if unit else None,
        "comparator": link(idx, comparator, lang) if comparator else None,
        "published": published[0] if published else "",
        "published_lang": published[1] if published else "",
        "period": first_value(store, f, sg + "referencePeriod") or "",
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


# ---- the home page -----------------------------------------------------------------------


def home_view(pub: Publication, idx: Index, lang: str) -> dict:
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
    areas.sort(key=lambda a: number_key(a["notation"]))
    milestones = idx.instances({sg + "Milestone"})
    states = defaultdict(int)
    for m in milestones:
        status = first_value(store, m, sg + "milestoneStatus")
        states[slug(status) if status else "other"] += 1
    sources = sorted(  # what the initiatives cite as their source
        {
            o.value
            for ini in idx.instances({sg + "Initiative"})
            for o in objects(store, ini, DCTERMS + "source")
            if isinstance(o, ox.NamedNode)
        }
    )
    source_views = []
    for s in sources:
        title = literal_in(store, s, DCTERMS + "title", lang)
        source_views.append(
            {
                "source": link(idx, s, lang),
                "issued": first_value(store, s, DCTERMS + "issued") or "",
                "description": (literal_in(store, s, DCTERMS + "description", lang) or ("", ""))[0],
                "title": title[0] if title else "",
            }
        )
    counts = [
        ("initiatives", len(idx.instances({sg + "Initiative"})), "initiatives"),
        ("systems", len(idx.instances(idx.subclasses(sg + "System"))), "systems"),
        ("standards", len(idx.instances(idx.subclasses(sg + "Standard"))), "standards"),
        ("organisations", len(idx.instances(organisation_classes(idx))), "organisations"),
        ("milestones_achieved", states["achieved"], "milestones?status=achieved"),
        ("milestones_planned", states["planned"], "milestones?status=planned"),
        ("milestones_revised", states["revised"], "milestones?status=revised"),
    ]
    return {
        "areas": areas,
        "sources": source_views,
        "counts": counts,
        "triples": pub.manifest.get("triples"),
        "files": sorted(pub.files.items()),
    }


def organisation_classes(idx: Index) -> set[str]:
    return idx.subclasses(ORG + "Organization") | {ORG + "Organization", ORG + "OrganizationalUnit"}


# ---- list pages --------------------------------------------------------------------------


@dataclass
class Facet:
    name: str  # the query parameter
    title: str  # text key
    values: object  # (pub, idx, item) -> set of IRIs


@dataclass
class ListSpec:
    title: str  # text key
    members: object  # (idx) -> list of IRIs
    columns: list  # [(text key, (pub, idx, item, lang) -> list of views)]
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


def _links(values_of):
    def column(pub, idx, item, lang):
        return sorted(
            (link(idx, v, lang) for v in values_of(pub, idx, item)),
            key=lambda v: number_key(v["text"]),
        )

    return column


def _literal(curie: str):
    def column(pub, idx, item, lang):
        found = literal_in(pub.store, item, idx.expand(curie), lang)
        return [{"kind": "literal", "text": found[0], "lang": found[1] or None}] if found else []

    return column


def _self(pub, idx, item, lang):
    return [link(idx, item, lang)]


def _status_badge(curie: str):
    def column(pub, idx, item, lang):
        value = first_value(pub.store, item, idx.expand(curie))
        if not value:
            return []
        view = link(idx, value, lang)
        view["badge"] = slug(value)
        return [view]

    return column


def _by_identifier(pub, idx, item, lang):
    return number_key(first_value(pub.store, item, DCTERMS + "identifier") or "")


def _by_label(pub, idx, item, lang):
    return fold(idx.label(item, lang))


def _by_start(pub, idx, item, lang):
    return (first_value(pub.store, item, idx.sg + "periodStart") or "", fold(idx.label(item, lang)))


def _by_notation(pub, idx, item, lang):
    return number_key(first_value(pub.store, item, SKOS + "notation") or "")


def _initiative_count(pub, idx, item, lang):
    n = len(subjects_of(pub.store, idx.sg + "focusArea", item))
    return [{"kind": "literal", "text": str(n), "lang": None}]


def _owned_count(pub, idx, item, lang):
    owned = subjects_of(pub.store, idx.sg + "owner", item)
    return sorted((link(idx, i, lang) for i in owned), key=lambda v: v["text"])


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


def list_view(pub: Publication, idx: Index, name: str, lang: str, params) -> dict:
    """A list page: the rows the filters in `params` keep; BadFilter for unknown values."""
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
                shown = value if len(value) <= 80 else value[:80] + "…"
                raise BadFilter(
                    f"{facet.name}={shown!r} is not a value of this list; "
                    f"use one of: {', '.join(sorted(by_key, key=number_key))}"
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
    kept = [
        item
        for item in items
        if all(
            not chosen or values_by_item[item] & chosen
            for chosen, values_by_item in chosen_values.values()
        )
    ]
    if spec.order:
        kept.sort(key=lambda item: spec.order(pub, idx, item, lang))
    rows = [[column(pub, idx, item, lang) for _, column in spec.columns] for item in kept]
    return {
        "name": name,
        "title": spec.title,
        "headers": [key for key, _ in spec.columns],
        "rows": rows,
        "facets": facets,
        "total": len(items),
        "filtered": any(f["active"] for f in facets),
    }


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


# ---- the ontology ------------------------------------------------------------------------

ALIGNMENTS = (
    RDFS + "subClassOf",
    RDFS + "subPropertyOf",
    OWL + "equivalentClass",
    OWL + "equivalentProperty",
    SKOS + "exactMatch",
    SKOS + "closeMatch",
    SKOS + "broadMatch",
    SKOS + "narrowMatch",
    SKOS + "relatedMatch",
    RDFS + "seeAlso",
)


def ontology_view(pub: Publication, idx: Index, lang: str) -> dict:
    store, sg = pub.store, idx.sg
    graph = ox.NamedNode(pub.base + "graph/ontology")
    data = ox.NamedNode(pub.base + "graph/data")
    terms = defaultdict(set)
    for q in store.quads_for_pattern(None, ox.NamedNode(TYPE), None, graph):
        if isinstance(q.subject, ox.NamedNode) and q.subject.value.startswith(sg):
            terms[q.subject.value].add(q.object.value)
    instance_counts = defaultdict(int)
    for s in idx.subjects:
        for t in idx.types.get(s, ()):
            instance_counts[t] += 1
    keys = type_keys(idx)
    classes, properties = [], []
    for term, kinds in terms.items():
        view = {
            "anchor": term[len(sg) :],
            "term": link(idx, term, lang),
            "label": idx.label(term, lang),
            "curie": idx.compact(term),
            "definition": (literal_in(store, term, SKOS + "definition", lang) or ("", ""))[0],
            "comment": (literal_in(store, term, RDFS + "comment", lang) or ("", ""))[0],
            "alignments": [
                {
                    "relation": link(idx, a, lang),
                    "targets": [term_view(idx, o, lang) for o in objects(store, term, a)],
                }
                for a in ALIGNMENTS
                if objects(store, term, a)
            ],
            "kinds": [link(idx, k, lang) for k in sorted(kinds)],
            "deprecated": any(o.value == "true" for o in objects(store, term, OWL + "deprecated")),
        }
        if OWL + "Class" in kinds:
            view["instances"] = instance_counts.get(term, 0)
            view["list_key"] = keys.get(term)
            classes.append(view)
        else:
            view["domain"] = [
                term_view(idx, o, lang) for o in objects(store, term, RDFS + "domain")
            ]
            view["range"] = [term_view(idx, o, lang) for o in objects(store, term, RDFS + "range")]
            view["uses"] = len(
                {
                    (q.subject, q.object)
                    for q in store.quads_for_pattern(None, ox.NamedNode(term), None, data)
                }
            )
            properties.append(view)
    classes.sort(key=lambda v: v["anchor"].lower())
    properties.sort(key=lambda v: v["anchor"].lower())
    ontology = pub.base + "def"
    return {
        "iri": ontology,
        "label": idx.label(ontology, lang),
        "description": (literal_in(store, ontology, DCTERMS + "description", lang) or ("", ""))[0],
        "version": first_value(store, ontology, OWL + "versionInfo") or "",
        "license": [term_view(idx, o, lang) for o in objects(store, ontology, DCTERMS + "license")],
        "classes": classes,
        "properties": properties,
    }


# ---- search ------------------------------------------------------------------------------

SEARCH_FIELDS = (
    # (curie, tier when the whole text is the query, tier when it contains every word)
    ("sg:abbreviation", 0, 3),
    ("rdfs:label", 0, 2),
    ("skos:prefLabel", 0, 2),
    ("dcterms:title", 0, 2),
    ("skos:altLabel", 1, 3),
    ("skos:notation", 1, 4),
    ("dcterms:identifier", 1, 4),
    ("dcterms:alternative", 1, 3),
    ("dcterms:description", 5, 5),
    ("sg:statusSummary", 6, 6),
    ("sg:statusReason", 6, 6),
    ("skos:definition", 5, 5),
    ("sg:counts", 6, 6),
    ("rdfs:comment", 6, 6),
)


def search_index(pub: Publication, idx: Index) -> list:
    """[(iri, [(folded text, text, map, exact tier, contains tier, lang)])] for every resource."""
    key = ("pages-search", idx.public)
    if key in pub.memo:
        return pub.memo[key]
    entries = []
    for iri in idx.subjects:
        fields = []
        for curie, exact, contains in SEARCH_FIELDS:
            for o in objects(pub.store, iri, idx.expand(curie)):
                if isinstance(o, ox.Literal):
                    folded, where = fold_with_map(o.value)
                    fields.append((folded, o.value, where, exact, contains, o.language or ""))
        if fields:
            entries.append((iri, fields))
    pub.memo[key] = entries
    return entries


def search(pub: Publication, idx: Index, query: str, lang: str, limit: int = 100) -> list[dict]:
    """Resources whose texts hold every word of `query`, best first."""
    wanted = fold(" ".join(query.split()))
    words = wanted.split()
    if not words:
        return []
    hits = []
    for iri, fields in search_index(pub, idx):
        best, best_field = None, None
        for f in fields:
            folded, exact, contains = f[0], f[3], f[4]
            if folded.strip() == wanted:
                tier = exact
            elif all(w in folded for w in words):
                tier = contains + (0.5 if not folded.startswith(words[0]) else 0)
            else:
                continue
            if best is None or tier < best:
                best, best_field = tier, f
        if best is None:
            together = " ".join(f[0] for f in fields)
            if not all(w in together for w in words):
                continue
            best = 8
            best_field = next(f for f in fields if words[0] in f[0])
        hits.append((best, fold(idx.label(iri, lang)), iri, best_field))
    hits.sort(key=lambda h: (h[0], h[1], h[2]))
    results = []
    for tier, _, iri, f in hits[:limit]:
        results.append(
            {
                "resource": link(idx, iri, lang),
                "types": [link(idx, t, lang) for t in sorted(idx.types.get(iri, ()))],
                "snippet": snippet(f, words[0]),
                "exact": tier < 1,
            }
        )
    return results


def snippet(f, word: str, width: int = 90) -> dict:
    """The text of field `f` around the first `word`: before, match, after, and its language."""
    folded, text, where = f[0], f[1], f[2]
    at = folded.find(word)
    if at < 0:
        return {"before": text[:width], "match": "", "after": "", "lang": f[5]}
    start = where[at]
    end = where[at + len(word) - 1] + 1
    left = max(0, start - width // 2)
    right = min(len(text), end + width // 2)
    before = ("…" if left > 0 else "") + text[left:start]
    after = text[end:right] + ("…" if right < len(text) else "")
    return {"before": before, "match": text[start:end], "after": after, "lang": f[5]}

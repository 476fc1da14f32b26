"""What depends on what, along the dependency-like relations (docs/modelling.md, "What depends
on what").

A resource relies on another when a stated relation (an sg:Relation node, whatever its
realisation) or a triple of the data links them by a dependency-like property: one the ontology
types sg:DependencyProperty, or a sub-property of one; a symmetric one links both ways. The
impact of a resource is everything that relies on it, directly or through others; the reach of
an initiative is everything it relies on. A symmetric relation says that two are integrated,
not which needs which: each end is listed as relying on the other, but a chain goes on only in
the direction the relation is stated. Milestones and figures that concern a resource are dated
statements about it, shown in its timeline and figures, not things that rely on it. Both come
as groups: what relies on (or is relied on by) each resource of the chain, with the chain from
the resource the page is about.
"""

import csv
import io
from collections import defaultdict
from dataclasses import dataclass

import pyoxigraph as ox
from starlette.requests import Request
from starlette.responses import Response

from sundhedsgraf.pages import relations
from sundhedsgraf.pages.labels import OWL, Index, numbered
from sundhedsgraf.pages.page import Page
from sundhedsgraf.pages.relations import ACHIEVED, stated_relations
from sundhedsgraf.pages.terms import number_key
from sundhedsgraf.publication import Publication
from sundhedsgraf.settings import Settings
from sundhedsgraf.web.responses import HTTPProblem, conditional

STATE_ORDER = {"": 0, ACHIEVED: 0, "revised": 1, "planned": 2}


@dataclass(frozen=True)
class Step:
    """`source` relies on `target` by `prop`; from a relation node (with its state) or not."""

    source: str
    target: str
    prop: str
    state: str = ""  # achieved | planned | revised, "" for a plain triple
    node: str | None = None  # the sg:Relation
    milestone: str | None = None
    backwards: bool = False  # a symmetric property read from its object


def dependency_properties(idx: Index) -> set[str]:
    """The properties the ontology types sg:DependencyProperty, and every property below one."""
    declared = {p for p, types in idx.types.items() if idx.sg + "DependencyProperty" in types}
    below = {p for p in idx.super_properties if idx.ancestors(p, idx.super_properties) & declared}
    return declared | below


def steps(pub: Publication, idx: Index) -> list[Step]:
    """Every dependency-like step of the build, made once per build."""
    return pub.cache.get((steps, idx.base), lambda: _steps(pub, idx))


def _steps(pub: Publication, idx: Index) -> list[Step]:
    props = dependency_properties(idx)
    dated = {idx.sg + "Milestone", idx.sg + "Figure"}  # statements about things, not things
    found = [
        Step(r.subject, r.object, r.predicate, r.state, r.node, r.milestone)
        for r in stated_relations(pub, idx)
        if r.predicate in props
    ]
    stated = {(s.source, s.prop, s.target) for s in found}
    plain: dict[tuple[str, str], set[str]] = defaultdict(set)
    for p in props:
        for q in pub.store.quads_for_pattern(None, ox.NamedNode(p), None):
            if isinstance(q.subject, ox.NamedNode) and isinstance(q.object, ox.NamedNode):
                if dated & idx.types.get(q.subject.value, set()):
                    continue
                if (q.subject.value, p, q.object.value) not in stated:
                    plain[(q.subject.value, q.object.value)].add(p)
    for (s, o), ps in sorted(plain.items()):
        for p in sorted(ps):
            if not any(p in idx.ancestors(other, idx.super_properties) for other in ps):
                found.append(Step(s, o, p))  # the most specific property of the pair
    symmetric = {p for p in props if OWL + "SymmetricProperty" in idx.types.get(p, ())}
    found += [
        Step(s.target, s.source, s.prop, s.state, s.node, s.milestone, backwards=True)
        for s in found
        if s.prop in symmetric
    ]
    return sorted(set(found), key=lambda s: (s.source, s.target, s.prop, s.node or ""))


@dataclass
class Group:
    """What relies on `hub` (or what it relies on, for the reach), and the chain to it."""

    hub: str
    chain: list[str]  # from the page's resource to hub
    steps: list[Step]  # one per member, the other end of each is the member


def walk(pub: Publication, idx: Index, start: str, upstream: bool = True) -> list[Group]:
    """The groups of the impact of `start` (what relies on it), or with `upstream` False the
    reach of `start` (what it relies on), breadth first: a resource is a hub once."""
    by_end: dict[str, list[Step]] = defaultdict(list)
    for s in steps(pub, idx):
        by_end[s.target if upstream else s.source].append(s)
    chains, groups, todo = {start: [start]}, [], [start]
    while todo:
        hub = todo.pop(0)
        members: dict[str, Step] = {}
        stated = set()  # members with a step to hub as stated, not a symmetric one read back
        for s in by_end.get(hub, ()):
            member = s.source if upstream else s.target
            if member == start or member in chains[hub]:
                continue
            if member not in members or _rank(s) < _rank(members[member]):
                members[member] = s
            if not s.backwards:
                stated.add(member)
        for member in sorted(members, key=lambda m: _order(idx, m)):
            if member not in chains and member in stated:
                chains[member] = chains[hub] + [member]
                todo.append(member)
        if members:
            ordered = sorted(members.values(), key=lambda s: _order(idx, _end(s, upstream)))
            groups.append(Group(hub, chains[hub], ordered))
    return groups


def _end(s: Step, upstream: bool) -> str:
    return s.source if upstream else s.target


def _rank(s: Step) -> tuple:
    return (STATE_ORDER.get(s.state, 3), s.node is None, s.prop)


def _order(idx: Index, iri: str) -> tuple:
    """Initiatives first by number, then the rest by label."""
    number = idx.numbers.get(iri)
    return (number is None, number_key(number), idx.label(iri, "en"), iri)


def members(groups: list[Group], upstream: bool = True) -> list[str]:
    """Every resource met in the groups, once, in the order met."""
    return list(dict.fromkeys(_end(s, upstream) for g in groups for s in g.steps))


def impact_view(pub: Publication, idx: Index, iri: str, lang: str, upstream: bool = True):
    """For a page: each hub's chain and its members, each with how (read from the member's
    end when upstream, else from the hub's), how realised and when; the initiatives met."""
    groups = walk(pub, idx, iri, upstream)
    views = [
        {
            "chain": [numbered(idx, c, lang) for c in g.chain],
            "members": [
                {
                    "member": numbered(idx, _end(s, upstream), lang),
                    "how": relations.wording(pub, idx, s.prop, True, s.state, lang),
                    "state": s.state,
                    "when": relations.when(pub, idx, s.milestone, lang),
                }
                for s in g.steps
            ],
        }
        for g in groups
    ]
    met = members(groups, upstream)
    initiatives = [m for m in met if idx.sg + "Initiative" in idx.types.get(m, ())]
    return {
        "groups": views,
        "initiatives": [numbered(idx, m, lang) for m in initiatives],
        "count": len(met),
    }


CSV_COLUMNS = ("resource", "label", "how", "relies_on", "relies_on_label", "realisation", "when")


def impact_rows(pub: Publication, idx: Index, iri: str, lang: str, upstream: bool) -> list:
    """One row per step of the groups: who relies on whom, how, how realised, when, and the
    chain from `iri`."""
    rows = []
    for g in walk(pub, idx, iri, upstream):
        chain = (" ← " if upstream else " → ").join(idx.label(c, lang) for c in g.chain)
        for s in g.steps:
            rows.append(
                [
                    s.source,
                    idx.label(s.source, lang),
                    relations.wording(pub, idx, s.prop, True, s.state, lang),
                    s.target,
                    idx.label(s.target, lang),
                    s.state,
                    relations.when(pub, idx, s.milestone, lang),
                    chain,
                    len(g.chain),
                ]
            )
    return rows


def impact_csv(request: Request, pub: Publication, settings: Settings, path: str) -> Response:
    """/impact/<resource>.csv: the impact (of a system, standard …) or reach (of an
    initiative) as CSV, one row per step, with the chain it hangs on."""
    page = Page(request, pub, settings)
    if not path.endswith(".csv"):
        raise HTTPProblem(404, "ask for /impact/<resource>.csv")
    iri = pub.base + "id/" + path.removesuffix(".csv")
    if iri not in set(page.idx.subjects):
        raise HTTPProblem(404, f"no resource {iri} in this dataset")
    upstream = page.idx.sg + "Initiative" not in page.idx.types.get(iri, ())
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([*CSV_COLUMNS, "chain", "depth"])
    writer.writerows(impact_rows(pub, page.idx, iri, page.lang, upstream))
    name = path.removesuffix(".csv").replace("/", "-")
    headers = {
        "Content-Disposition": f'attachment; filename="impact-{name}.csv"',
        "Content-Language": page.lang,
        "Vary": "Accept-Language",
    }
    return conditional(
        request, out.getvalue().encode(), "text/csv", headers, last_modified=pub.last_modified
    )

"""Refuse SPARQL requests this read-only endpoint must not run, before pyoxigraph sees them.

pyoxigraph fetches whatever URL a query names in SERVICE, so the query text is inspected
first: updates, SERVICE to an endpoint not on an allowlist, and FROM / FROM NAMED naming a
graph the store does not hold are refused. Syntax errors stay pyoxigraph's job; this module
only has to be conservative, never missing a keyword pyoxigraph would act on.

The text is lexed the way pyoxigraph 0.5's PEG parser reads it, which differs from the SPARQL
1.1 grammar in ways that matter here (each checked against pyoxigraph 0.5.13):

- Keywords need no word boundary: `ASKFROM<g>`, `?s ?p trueSERVICE <x> {}` and
  `SERVICESILENT<x> {}` are a FROM and two SERVICEs. So `service` or `from` anywhere in a
  bare word or a prefix name counts when what follows reads as its target.
- Whether `<...>` is an IRI depends on the context: in `FILTER(?o<CONCAT(?s,'>'))` it is a
  less-than and the `'` opens a string. Where that changes what is a string or a comment
  (a `'` or `#` inside the IRI), both readings are followed.
- \\u and \\U escapes are decoded only inside IRIs and strings, not on the whole text first as
  section 19.2 of the spec says. The text is read both ways and what either finds counts.

Each step is a regex match with possessive quantifiers or a loop over tokens: linear time,
no recursion.
"""

import re
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from heapq import heappop, heappush
from itertools import islice


class QueryRefused(ValueError):
    """The query asks for something this endpoint does not do; the message, shown to the
    client, says what and where. `status` is the HTTP answer: 403 for an update (forbidden
    whatever it says), 400 for the rest."""

    def __init__(self, message: str, update: bool = False):
        super().__init__(message)
        self.status = 403 if update else 400


@dataclass(frozen=True)
class QueryShape:
    """What a query asks for, as far as the endpoint's policy is concerned.

    IRIs are resolved against BASE and the declared prefixes; None stands for `SERVICE ?var`
    or a name that does not resolve to an absolute IRI.
    """

    form: str | None
    update: str | None
    services: tuple[str | None, ...]
    from_graphs: tuple[str | None, ...]
    from_named: tuple[str | None, ...]
    # (start, end, IRI) of each SERVICE target as written in the query, for rewriting
    service_spans: tuple[tuple[int, int, str | None], ...] = ()


def inspect(query: str, base: str | None = None) -> QueryShape:
    """The form, update keyword, SERVICE targets and FROM graphs of `query`."""
    return _survey(query, base).shape


def admit(
    query: str,
    service_allowlist: Iterable[str] = (),
    local_graphs: Iterable[str] = (),
    base: str | None = None,
) -> QueryShape:
    """The shape of `query`, or QueryRefused if it is an update, calls SERVICE on anything
    but an endpoint in `service_allowlist`, or names in FROM / FROM NAMED a graph that is not
    one of `local_graphs` (the store's own graphs, which are never fetched).

    Targets are compared as whole IRIs after resolution, exactly: an allowlisted
    `http://a/sparql` does not admit `http://a/sparql/x`. `SERVICE ?var` and targets that
    do not resolve are always refused. Relative IRIs resolve against the query's BASE, itself
    resolved against `base` (the service's own URL, as the engine is given it).
    """
    survey = _survey(query, base)
    if survey.update:
        keyword, pos = survey.update
        line, column = _line_column(query, pos)
        raise QueryRefused(
            f"updates are not allowed: this endpoint is read-only ({keyword} at {line}:{column})",
            update=True,
        )
    allowed, local = set(service_allowlist), set(local_graphs)
    for hit in survey.hits:
        permitted = allowed if hit.kind == "SERVICE" else local
        if hit.target is None or hit.target not in permitted:
            raise QueryRefused(_refusal(query, hit))
    return survey.shape


# Lexical rules, as pyoxigraph 0.5 (spargebra) spells them: its PN_CHARS_BASE stops at U+FFFD
# and its PN_LOCAL allows one run of inner dots, so `ex:a.b.SERVICE` is `ex:a.b` `.` SERVICE.
_BASE = r"A-Za-z\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u02FF\u0370-\u037D\u037F-\u1FFF\u200C\u200D"
_BASE += r"\u2070-\u218F\u2C00-\u2FEF\u3001-\uD7FF\uF900-\uFDCF\uFDF0-\uFFFD"
_CHARS_U = _BASE + "_"
_CHARS = _CHARS_U + r"\-0-9\u00B7\u0300-\u036F\u203F\u2040"
_HEX = "[0-9A-Fa-f]"
_UCHAR = rf"\\u{_HEX}{{4}}|\\U{_HEX}{{8}}"
_ECHAR = r"""\\[tbnrf"'\\]"""
_PLX = rf"%{_HEX}{{2}}|\\[_~.\-!$&'()*+,;=/?#@%]"
_PN_PREFIX = rf"[{_BASE}][{_CHARS}]*+(?:\.++[{_CHARS}]++)*+"
_LOCAL_CHAR = rf"[{_CHARS}:]|{_PLX}"
_PN_LOCAL = rf"(?:[{_CHARS_U}:0-9]|{_PLX})(?:{_LOCAL_CHAR})*+(?:\.++(?:{_LOCAL_CHAR})++)?+"
_PNAME = rf"(?:{_PN_PREFIX})?+:(?:{_PN_LOCAL})?+"
_VAR = rf"[?$][0-9{_CHARS_U}][{_CHARS_U}0-9\u00B7\u0300-\u036F\u203F\u2040]*+"
_IRIREF = r'<(?:[^\x00-\x20<>"{}|^`\\]|' + _UCHAR + ")*+>"
_SKIP = r"(?:[ \t\r\n]++|#[^\r\n]*+)*+"  # whitespace and comments
_ESCAPES = f"{_ECHAR}|{_UCHAR}"
_STRINGS = [  # long strings first, as the grammar says
    *(rf"{q * 3}(?:(?:{q * 2}|{q})?+(?:[^{q}\\]|{_ESCAPES}))*+{q * 3}" for q in "'\""),
    *(rf"{q}(?:[^{q}\\\n\r]|{_ESCAPES})*+{q}" for q in "'\""),
]

_TOKEN = re.compile(
    _SKIP
    + "(?:"
    + "|".join(
        [
            f"(?P<string>{'|'.join(_STRINGS)})",
            f"(?P<iri>{_IRIREF})",
            _VAR,
            rf"_:[0-9{_CHARS_U}][{_CHARS}]*+(?:\.++[{_CHARS}]++)*+",  # blank node label
            r"@[A-Za-z]++(?:-[A-Za-z0-9]++)*+(?:--[A-Za-z]++)?+",  # language tag
            rf"(?P<name>(?P<word>{_PN_PREFIX})(?::(?:{_PN_LOCAL})?+)?+|:(?:{_PN_LOCAL})?+)",
            r"[(){}\[\],;.*/+\-=!&|^>0-9]++",
            "(?P<stray>['\"])",  # a quote that opens no string
            ".",  # anything else, e.g. a `<` that starts no IRI
        ]
    )
    + ")",
    re.DOTALL,
)
_QUOTE_OR_HASH = re.compile("['#]")
_LINE_END = re.compile(r"[\r\n]|\Z")
_PNAME_NS = re.compile(rf"(?:{_PN_PREFIX})?:")
_ESCAPE = re.compile(rf"\\u({_HEX}{{4}})|\\U({_HEX}{{8}})")


def _ci(word: str) -> str:
    """A regex for `word` in any ASCII case: pyoxigraph compares keywords that way."""
    return "".join(f"[{c.upper()}{c.lower()}]" for c in word)


_KEYWORD = re.compile(f"{_ci('service')}|{_ci('from')}")
# The rest of SERVICE and FROM clauses, in pyoxigraph's order of alternatives.
_SERVICE_AT = re.compile(
    rf"{_ci('service')}{_SKIP}(?:{_ci('silent')}{_SKIP})?"
    rf"(?P<target>{_IRIREF}|{_VAR}|{_PNAME}){_SKIP}\{{"
)
_FROM_AT = re.compile(
    rf"{_ci('from')}{_SKIP}(?:(?P<graph>{_IRIREF}|{_PNAME})"
    rf"|{_ci('named')}{_SKIP}(?P<named>{_IRIREF}|{_PNAME}))"
)
_KINDS = ("SERVICE", "FROM", "FROM NAMED")
_FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")
_UPDATES = ("INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY")


@dataclass(frozen=True)
class _Hit:
    kind: str  # "SERVICE", "FROM", "FROM NAMED", or "glued" for a word too odd to read
    target: str | None
    spelling: str  # the target as written
    pos: int  # of the keyword, in the query as sent
    span: tuple[int, int] = (0, 0)  # of the target, in the query as sent


@dataclass(frozen=True)
class _Survey:
    shape: QueryShape
    update: tuple[str, int] | None
    hits: list[_Hit]


def _survey(query: str, base: str | None) -> _Survey:
    """Read `query` as pyoxigraph does and, if it holds \\u escapes, also decoded first."""
    readings = [_read(query, lambda pos: pos, base)]
    decoded, marks = _unescape(query)
    if marks:
        readings.append(_read(decoded, lambda pos: _origin(marks, pos), base))
    form = next((r[0] for r in readings if r[0]), None)
    update = next((r[1] for r in readings if r[1]), None)
    # the same clause read both ways, spelled apart by its escapes, counts once
    unique = {(hit.pos, hit.kind, hit.target): hit for r in reversed(readings) for hit in r[2]}
    hits = sorted(unique.values(), key=lambda hit: hit.pos)
    if glued := next((hit for hit in hits if hit.kind == "glued"), None):
        line, column = _line_column(query, glued.pos)
        raise QueryRefused(
            "too many SERVICE or FROM keywords run together in one word "
            f"(line {line}, column {column})"
        )
    targets = {kind: tuple(h.target for h in hits if h.kind == kind) for kind in _KINDS}
    spans = {(*h.span, h.target) for h in hits if h.kind == "SERVICE"}
    shape = QueryShape(
        form,
        update and update[0],
        targets["SERVICE"],
        targets["FROM"],
        targets["FROM NAMED"],
        tuple(sorted(spans, key=lambda span: span[:2])),
    )
    return _Survey(shape, update, hits)


def _read(
    text: str, origin: Callable[[int], int], base: str | None
) -> tuple[str | None, tuple[str, int] | None, list[_Hit]]:
    """The form, update keyword and SERVICE / FROM clauses in one reading of `text`."""
    seen: set[int] = set()
    forks: list[int] = []
    tokens = list(_tokens(text, 0, seen, forks))
    base, prefixes, start = _prologue(tokens, base)
    form, update = _form_and_update(tokens[start:])
    hits = [hit for token in tokens[start:] for hit in _clauses(text, token, base, prefixes)]
    comment_end = 0
    while forks:  # in order of position, so that a comment is skipped only once
        fork = heappop(forks)
        if text[fork] == "#":
            if fork < comment_end:
                continue  # inside a comment an earlier fork already read to its end
            comment_end = _LINE_END.search(text, fork).start()
        for token in _tokens(text, fork, seen, forks):
            hits += _clauses(text, token, base, prefixes)
    hits = [
        _Hit(h.kind, h.target, h.spelling, origin(h.pos), _origin_span(h.span, origin))
        for h in hits
    ]
    return form, update and (update[0], origin(update[1])), hits


def _tokens(text: str, pos: int, seen: set[int], forks: list[int]) -> Iterator[re.Match[str]]:
    """Tokens from `pos` on, until reaching a position another reading already lexed from.

    An IRI holding `'` or `#` may be a less-than to pyoxigraph, which then sees a string or a
    comment from that character on; that reading is queued in `forks`. An IRI without them
    reads the same either way once past its `>`.
    """
    while pos not in seen:
        seen.add(pos)
        token = _TOKEN.match(text, pos)
        if token is None or token.lastgroup == "stray":
            return  # pyoxigraph cannot read past a stray quote either, and going on is quadratic
        if token.lastgroup == "iri":
            fork = _QUOTE_OR_HASH.search(text, token.start("iri"), token.end("iri"))
            if fork:
                heappush(forks, fork.start())
        yield token
        pos = token.end()


def _prologue(
    tokens: list[re.Match[str]], base: str | None
) -> tuple[str | None, dict[str, str | None], int]:
    """BASE (starting from `base`), the declared prefixes, and the index of the first token
    after the prologue."""
    prefixes: dict[str, str | None] = {}
    i = 0
    while i + 1 < len(tokens):
        name = tokens[i]["name"] or ""
        if name.isascii() and name.upper() == "BASE" and tokens[i + 1]["iri"]:
            base = _resolve(base, _unescape(tokens[i + 1]["iri"][1:-1])[0])
            i += 2
        elif _starts(name, "PREFIX"):
            # `PREFIX ex: <iri>`, or glued as pyoxigraph allows it: `PREFIXex:<iri>`
            ns, j = (tokens[i + 1]["name"] or "", i + 2) if len(name) == 6 else (name[6:], i + 1)
            iri = tokens[j]["iri"] if j < len(tokens) else None
            if not (_PNAME_NS.fullmatch(ns) and iri):
                break
            prefixes[ns[:-1]] = _resolve(base, _unescape(iri[1:-1])[0])
            i = j + 1
        else:
            break
    return base, prefixes, i


def _form_and_update(tokens: list[re.Match[str]]) -> tuple[str | None, tuple[str, int] | None]:
    """The query form and the first update keyword, with its position.

    The first word counts even when glued to more (`INSERTDATA{`); update keywords elsewhere
    count as bare words only, as no query keyword or function is spelled like one.
    """
    first = (tokens[0]["word"] or "") if tokens else ""
    form = next((kw for kw in _FORMS if _starts(first, kw)), None)
    update = next((kw for kw in (*_UPDATES, "WITH") if _starts(first, kw)), None)
    if update:
        return None, (update, tokens[0].start("word"))
    for token in tokens:
        word = token["word"]
        if word and word == token["name"] and word.isascii() and word.upper() in _UPDATES:
            return form, (word.upper(), token.start("word"))
    return form, None


def _clauses(
    text: str, token: re.Match[str], base: str | None, prefixes: dict[str, str | None]
) -> list[_Hit]:
    """SERVICE and FROM clauses starting anywhere in the token's word, since pyoxigraph
    needs no word boundary before a keyword."""
    if not token["word"]:
        return []
    keywords = list(islice(_KEYWORD.finditer(text, token.start("word"), token.end("word")), 3))
    if len(keywords) > 2:  # each is matched to the word's end: keep that linear
        return [_Hit("glued", None, token["word"], keywords[0].start())]
    hits = []
    for keyword in keywords:
        pos = keyword.start()
        if service := _SERVICE_AT.match(text, pos):
            hit = _hit("SERVICE", service["target"], pos, base, prefixes)
            hits.append(_Hit(hit.kind, hit.target, hit.spelling, pos, service.span("target")))
        elif clause := _FROM_AT.match(text, pos):
            kind = "FROM" if clause["graph"] else "FROM NAMED"
            hits.append(_hit(kind, clause["graph"] or clause["named"], pos, base, prefixes))
    return hits


def _hit(
    kind: str, spelling: str, pos: int, base: str | None, prefixes: dict[str, str | None]
) -> _Hit:
    """A clause with its target resolved; None for a variable or a name that does not resolve."""
    if spelling[0] in "?$":
        target = None
    elif spelling[0] == "<":
        target = _resolve(base, _unescape(spelling[1:-1])[0])
    else:
        prefix, _, local = spelling.partition(":")
        namespace = prefixes.get(prefix)
        target = None if namespace is None else namespace + local.replace("\\", "")
    return _Hit(kind, target, spelling, pos)


def _origin_span(span: tuple[int, int], origin: Callable[[int], int]) -> tuple[int, int]:
    """A span of a reading mapped back to the query as sent."""
    start, end = span
    return (origin(start), origin(end - 1) + 1) if end > start else span


def _refusal(query: str, hit: _Hit) -> str:
    line, column = _line_column(query, hit.pos)
    where = f"(line {line}, column {column})"
    own_graphs = "only its own graphs may be used in FROM and FROM NAMED"
    spelling = _clip(hit.spelling)
    if hit.target is None and spelling[0] in "?$":
        return f"SERVICE with a variable ({spelling}) is not allowed {where}"
    if hit.target is None:
        unresolved = "does not resolve to an absolute IRI (undeclared prefix, or relative IRI"
        unresolved += " without BASE)"
        if hit.kind == "SERVICE":
            return f"SERVICE {spelling} {unresolved}, so it is not allowed {where}"
        return f"{hit.kind} {spelling} {unresolved}; {own_graphs} {where}"
    target = f"<{_clip(hit.target)}>"
    if hit.kind == "SERVICE":
        return (
            f"SERVICE {target} is not on this endpoint's allowlist of federated endpoints {where}"
        )
    return f"{hit.kind} {target} names a graph this endpoint does not hold; {own_graphs} {where}"


def _clip(text: str, limit: int = 200) -> str:
    """Keep a message readable when a query names a huge IRI."""
    return text if len(text) <= limit else text[:limit] + "…"


def _line_column(query: str, pos: int) -> tuple[int, int]:
    """1-based line and column of offset `pos`, counting lines by LF as pyoxigraph does."""
    return query.count("\n", 0, pos) + 1, pos - query.rfind("\n", 0, pos)


def _starts(word: str, keyword: str) -> bool:
    """Whether `word` starts with `keyword` in any ASCII case."""
    head = word[: len(keyword)]
    return head.isascii() and head.upper() == keyword


def _unescape(text: str) -> tuple[str, list[tuple[int, int, int]]]:
    """`text` with \\uXXXX and \\UXXXXXXXX decoded, escapes of no character kept as written,
    and per decoded character its offset in the result and the span of its escape."""
    parts: list[str] = []
    marks: list[tuple[int, int, int]] = []
    done = size = 0
    for escape in _ESCAPE.finditer(text):
        code = int(escape[1] or escape[2], 16)
        if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            continue
        parts += [text[done : escape.start()], chr(code)]
        size += escape.start() - done
        marks.append((size, escape.start(), escape.end()))
        size += 1
        done = escape.end()
    return "".join(parts) + text[done:], marks


def _origin(marks: list[tuple[int, int, int]], pos: int) -> int:
    """Where offset `pos` of the decoded text was in the text as sent."""
    i = bisect_right(marks, pos, key=lambda mark: mark[0]) - 1
    if i < 0:
        return pos
    at, start, end = marks[i]
    return start if pos == at else end + pos - at - 1


# Resolution as Oxigraph's oxiri does it: RFC 3986 section 5.2, except that a reference with a
# scheme or an authority keeps its path as written, and without an authority `..` may remove
# the root (`foo:/bar` and `../x` give `foo:x`).
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")
_PARTS = re.compile(r"(//[^/?#]*)?([^?#]*)(\?[^#]*)?(#.*)?", re.DOTALL)


def _resolve(base: str | None, ref: str) -> str | None:
    """`ref` as an absolute IRI, or None if it is relative and there is no (usable) BASE."""
    if _SCHEME.match(ref):
        return ref
    scheme = _SCHEME.match(base) if base else None
    if scheme is None:
        return None
    authority, path, query, fragment = _PARTS.fullmatch(ref).groups()
    if authority is not None:
        return scheme[0] + ref
    b_authority, b_path, b_query, _ = _PARTS.fullmatch(base, scheme.end()).groups()
    if not path:
        path, query = b_path, query if query is not None else b_query
    else:
        if not path.startswith("/"):
            root = "/" if b_authority is not None and not b_path else ""
            path = root + b_path[: b_path.rfind("/") + 1] + path
        path = _remove_dot_segments(path, keep_root=b_authority is not None)
    return scheme[0] + (b_authority or "") + path + (query or "") + (fragment or "")


def _remove_dot_segments(path: str, keep_root: bool) -> str:
    segments = path.split("/")
    out: list[str] = []
    for segment in segments:
        if segment == "..":
            if out and (len(out) > 1 or out[0] or not keep_root):
                out.pop()
        elif segment != ".":
            out.append(segment)
    if segments[-1] in (".", ".."):
        out.append("")
    return "/".join(out)

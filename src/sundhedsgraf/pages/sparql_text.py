"""SPARQL text for people: tokens, declared and used prefixes, adding missing PREFIX lines.

A small lexer, good enough to help someone writing a query (which prefixes it uses, where a
brace is left open, which word is not SPARQL); what the endpoint admits is still decided by
sparql/guard.py and pyoxigraph. static/query.js adds PREFIX lines by the same rule.
"""

import re
from dataclasses import dataclass

# Every word SPARQL 1.1 (and pyoxigraph's SPARQL 1.2 extensions) may write bare.
_WORDS = """
BASE PREFIX SELECT CONSTRUCT DESCRIBE ASK WHERE FROM NAMED DISTINCT REDUCED AS
OPTIONAL UNION MINUS GRAPH SERVICE SILENT FILTER BIND VALUES UNDEF LATERAL NOT IN EXISTS
GROUP BY HAVING ORDER ASC DESC LIMIT OFFSET SEPARATOR
COUNT SUM MIN MAX AVG SAMPLE GROUP_CONCAT
STR LANG LANGMATCHES DATATYPE BOUND IRI URI BNODE RAND ABS CEIL FLOOR ROUND CONCAT STRLEN
UCASE LCASE ENCODE_FOR_URI CONTAINS STRSTARTS STRENDS STRBEFORE STRAFTER YEAR MONTH DAY
HOURS MINUTES SECONDS TIMEZONE TZ NOW UUID STRUUID MD5 SHA1 SHA256 SHA384 SHA512 COALESCE IF
STRLANG STRDT SAMETERM ISIRI ISURI ISBLANK ISLITERAL ISNUMERIC SUBSTR REPLACE REGEX
TRIPLE SUBJECT PREDICATE OBJECT ISTRIPLE LANGDIR STRLANGDIR HASLANG HASLANGDIR
TRUE FALSE
"""
KEYWORDS = _WORDS.split()
# Updates: not run here, but SPARQL all the same (the guard explains the refusal).
_UPDATES = "INSERT DELETE DATA LOAD CLEAR DROP CREATE ADD MOVE COPY WITH USING DEFAULT ALL INTO TO"
KNOWN_WORDS = frozenset(KEYWORDS) | frozenset(_UPDATES.split()) | {"A"}

_NAME_START = r"A-Za-z\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u02FF\u0370-\u037D\u037F-\u1FFF\u200C\u200D"
_NAME_START += r"\u2070-\u218F\u2C00-\u2FEF\u3001-\uD7FF\uF900-\uFDCF\uFDF0-\uFFFD"
_NAME = _NAME_START + r"_\-0-9\u00B7\u0300-\u036F\u203F\u2040"
_TOKEN = re.compile(
    "|".join(
        [
            r"(?P<space>\s+)",
            r"(?P<comment>#[^\r\n]*)",
            r"(?P<string>'''(?:[^'\\]|\\.|'(?!''))*'''|\"\"\"(?:[^\"\\]|\\.|\"(?!\"\"))*\"\"\""
            r"|'(?:[^'\\\r\n]|\\.)*'|\"(?:[^\"\\\r\n]|\\.)*\")",
            r"(?P<iri><[^<>\"{}|^`\\\x00-\x20]*>)",
            rf"(?P<var>[?$][{_NAME}]+)",
            rf"(?P<bnode>_:[{_NAME}.]*[{_NAME}])",
            r"(?P<langtag>@[A-Za-z]+(?:-[A-Za-z0-9]+)*)",
            rf"(?P<pname>(?:[{_NAME_START}](?:[{_NAME}.]*[{_NAME}])?)?:"
            rf"(?:(?:[{_NAME}:]|%[0-9A-Fa-f]{{2}}|\\.)(?:[{_NAME}:.]|%[0-9A-Fa-f]{{2}}|\\.)*)?)",
            rf"(?P<word>[{_NAME_START}_][{_NAME}]*)",
            r"(?P<number>[0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?|\.[0-9]+(?:[eE][+-]?[0-9]+)?)",
            r"(?P<punct>\^\^|&&|\|\||!=|<=|>=|[{}()\[\],;.*/+\-=!&|^<>])",
            r"(?P<stray>['\"])",
            r"(?P<other>.)",
        ]
    ),
    re.DOTALL,
)


@dataclass(frozen=True)
class Token:
    kind: str  # comment string iri var bnode langtag pname word number punct stray other
    text: str
    start: int

    @property
    def end(self) -> int:
        return self.start + len(self.text)


def tokens(query: str) -> list[Token]:
    """The tokens of `query`, without white space. A prefixed name keeps no trailing dot."""
    found = []
    pos = 0
    while pos < len(query):
        match = _TOKEN.match(query, pos)
        kind, text = match.lastgroup, match.group()
        if kind == "pname" and text.endswith("."):  # `ex:a.` ends a triple: the dot is not ex:a's
            text = text.rstrip(".")
        if kind != "space":
            found.append(Token(kind, text, pos))
        pos += len(text)
    return found


def declared(toks: list[Token]) -> dict[str, int]:
    """{prefix: index of its PREFIX keyword} for every `PREFIX p: <iri>` in the tokens."""
    names = {}
    for i, token in enumerate(toks[:-2]):
        if token.kind == "word" and token.text.upper() == "PREFIX" and toks[i + 1].kind == "pname":
            names.setdefault(toks[i + 1].text.partition(":")[0], i)
    return names


def used(toks: list[Token]) -> list[Token]:
    """The prefixed names of the query, not those of PREFIX declarations."""
    return [
        t
        for i, t in enumerate(toks)
        if t.kind == "pname" and not (i and toks[i - 1].text.upper() == "PREFIX")
    ]


def missing_prefixes(query: str, known: dict[str, str]) -> list[str]:
    """PREFIX lines for the prefixes of `known` the query uses but does not declare, in the
    order of first use."""
    toks = tokens(query)
    have = declared(toks)
    lines = []
    for token in used(toks):
        name = token.text.partition(":")[0]
        if name in known and name not in have:
            have[name] = -1
            lines.append(f"PREFIX {name}: <{known[name]}>")
    return lines


def add_prefixes(query: str, known: dict[str, str]) -> tuple[str, list[str]]:
    """`query` with the missing PREFIX lines of known prefixes at the top, and those lines."""
    lines = missing_prefixes(query, known)
    return ("".join(line + "\n" for line in lines) + query if lines else query), lines


def line_column(query: str, pos: int) -> tuple[int, int]:
    """1-based line and column (in characters) of offset `pos`, lines ended by LF."""
    return query.count("\n", 0, pos) + 1, pos - query.rfind("\n", 0, pos)


def offset(query: str, line: int, column: int) -> int:
    """The offset of a 1-based line and column, kept within the text."""
    start = 0
    for _ in range(line - 1):
        found = query.find("\n", start)
        if found < 0:
            return len(query)
        start = found + 1
    end = query.find("\n", start)
    end = len(query) if end < 0 else end
    return min(start + max(column - 1, 0), end)

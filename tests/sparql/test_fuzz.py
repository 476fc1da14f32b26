"""Generated requests against the real server: nothing a client sends may cause a 5xx.

schemathesis drives every operation of the server's own OpenAPI document; hypothesis builds
SPARQL from a small grammar (and plain noise) and sends it every way the protocol allows.
The only 5xx the endpoint may give is 503 (busy, or a query stopped at the time limit).
"""

import time
from collections import Counter

import pytest
import schemathesis
from conftest import Server
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

BASE = "https://w3id.org/sundhedsgraf/"
QUERY_TYPE = "application/sparql-query"
FORM = "application/x-www-form-urlencoded"
MAX_GET_URL = 6000  # longer queries go by POST only: request lines have a size limit


# ---- schemathesis over the OpenAPI document ----------------------------------------------


def operations(server) -> list:
    """Every operation of the server's OpenAPI document (failing if one cannot be read)."""
    schema = schemathesis.openapi.from_url(server.url + "openapi.json", timeout=30)
    found = [result.ok() for result in schema.get_all_operations()]
    assert found
    return found


def fuzz(operation, mode: GenerationMode, sent: Counter) -> None:
    """Up to 30 generated requests to `operation`; none may get a 5xx."""

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=30,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case):
        sent[operation.label] += 1
        case.call_and_validate(checks=[not_a_server_error], timeout=60)

    run()


# schemathesis.pytest.from_fixture does not run under pytest 9 (it reads Function._nodeid, which
# pytest 9 no longer has), so each operation's strategy is driven by hypothesis here.
@pytest.mark.parametrize("mode", list(GenerationMode), ids=lambda m: m.value)
def test_no_operation_answers_with_a_server_error(server, mode):
    failures, sent = [], Counter()
    every = operations(server)
    for operation in every:
        try:
            fuzz(operation, mode, sent)
        except Unsatisfiable:
            # No invalid request exists for an operation whose schema constrains nothing
            # (no parameters, or only free strings): there is nothing to send in that mode.
            if mode is GenerationMode.POSITIVE or sent[operation.label]:
                failures.append(f"{operation.label}: no {mode.value} request could be made")
        except (Exception, ExceptionGroup) as error:  # try all, report every failure
            failures.append(f"{operation.label}: {error}")
    assert not failures, "\n\n".join(failures)
    if mode is GenerationMode.POSITIVE:
        assert set(sent) == {operation.label for operation in every}
    else:
        assert {"GET /sparql", "POST /sparql", "GET /doc/{path}"} <= set(sent)


# ---- SPARQL from a grammar ---------------------------------------------------------------


def mostly(valid, noise, weight: int = 12):
    """`valid` about `weight` times as often as `noise`: queries that mostly parse, so that
    evaluation is exercised too, with odd bits often enough to reach the error paths.
    (st.one_of would not do: it drops repeated branches.)"""
    return st.sampled_from(range(weight + 1)).flatmap(lambda n: noise if n == 1 else valid)


# Text without surrogates (they cannot be sent as UTF-8), odd characters welcome.
ODD = st.characters(codec="utf-8", categories=["L", "M", "N", "P", "S", "Z", "Cc", "Cf", "Co"])
# Letters and marks outside ASCII: allowed in IRIs (ucschar) and in prefixed names.
UNICODE = st.characters(codec="utf-8", categories=["L", "Mn", "Nd"], min_codepoint=0xA0)
NAME = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,6}", fullmatch=True)
PREFIXES = {
    "sg": BASE + "def#",
    "ini": BASE + "id/initiative/",
    "sys": BASE + "id/system/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "": BASE + "id/",
}
PROLOGUE = "\n".join(f"PREFIX {name}: <{iri}>" for name, iri in PREFIXES.items())
KNOWN_IRIS = [
    BASE + "id/initiative/2.1",
    BASE + "id/system/fmk",
    BASE + "id/milestone-status/achieved",
    BASE + "def#Initiative",
    BASE + "def#involves",
    BASE + "graph/data",
    BASE + "graph/ontology",
    "http://www.w3.org/2000/01/rdf-schema#label",
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#type",
    "http://purl.org/dc/terms/isPartOf",
]
IRI_ESCAPES = st.sampled_from([r"\u00e6", r"\U0001F600", r"\u0041"])

variables = st.builds(lambda sigil, name: sigil + name, st.sampled_from("??$"), NAME)
good_iris = st.one_of(
    st.sampled_from([f"<{iri}>" for iri in KNOWN_IRIS]),
    st.builds(
        lambda parts: f"<http://example.org/{''.join(parts)}>",
        st.lists(st.one_of(st.text(UNICODE, max_size=4), IRI_ESCAPES), max_size=4),
    ),
    st.builds(lambda s: f"<{BASE}id/{s}>", st.text(UNICODE, max_size=8)),
)
odd_iris = st.builds(lambda text: f"<{text}>", st.text(ODD.filter(lambda c: c != ">"), max_size=30))
prefixed = st.builds(
    lambda prefix, local: f"{prefix}:{local}",
    mostly(st.sampled_from(list(PREFIXES)), st.sampled_from(["nope", "sg2", "_x"])),
    mostly(
        st.sampled_from(["Initiative", "involves", "label", "type", "fmk", "2.1", "a-b", ""]),
        st.one_of(
            st.from_regex(r"[A-Za-z0-9_:][A-Za-z0-9_.\-:%]{0,8}", fullmatch=True),
            st.text(UNICODE, min_size=1, max_size=5),
            st.sampled_from([r"a\.b", r"x\~y", "%zz", "a.", "-a"]),
        ),
    ),
)
iris = mostly(st.one_of(good_iris, prefixed), odd_iris)
GOOD_ESCAPES = st.sampled_from([r"\n", r"\t", r"\"", r"\'", r"\\", r"\u00e6", r"\U0001F600"])
BAD_ESCAPES = st.sampled_from([r"\uD800", r"\u0000", r"\U00110000", r"\q", "\\", r"\u12"])
QUOTES = "\"'\n\r"
string_body = st.lists(
    mostly(
        st.one_of(st.text(ODD.filter(lambda c: c not in QUOTES + "\\"), max_size=6), GOOD_ESCAPES),
        st.one_of(BAD_ESCAPES, st.text(ODD, max_size=3)),
        weight=10,
    ),
    max_size=5,
).map("".join)
literals = st.one_of(
    st.builds(lambda s: f'"{s}"', string_body),
    st.builds(lambda s: f"'{s}'", string_body),
    st.builds(lambda s: f'"""{s}"""', string_body),
    st.builds(
        lambda s, tag: f'"{s}"@{tag}',
        string_body,
        mostly(st.sampled_from(["da", "en", "en-GB"]), st.sampled_from(["x", "123", "da-", "-"])),
    ),
    st.builds(
        lambda s, dt: f'"{s}"^^{dt}',
        st.one_of(string_body, st.sampled_from(["1", "-0", "2024-13-40", "1e999", "NaN", "x"])),
        st.one_of(
            st.sampled_from(
                [
                    "xsd:integer",
                    "xsd:decimal",
                    "xsd:double",
                    "xsd:date",
                    "xsd:dateTime",
                    "xsd:boolean",
                    "xsd:gYear",
                    "rdf:langString",
                    "rdf:JSON",
                ]
            ),
            iris,
        ),
    ),
    st.integers(-(10**30), 10**30).map(str),
    st.floats(allow_nan=False).map(repr),
    st.sampled_from(["true", "false", "1e400", "-0.0", ".5", "1.0e-400", "-INF"]),
)
terms = st.one_of(variables, variables, iris, literals, st.just("[]"), NAME.map("_:".__add__))

FUNCTIONS = [
    "STR",
    "LANG",
    "DATATYPE",
    "BOUND",
    "IRI",
    "BNODE",
    "STRLEN",
    "UCASE",
    "LCASE",
    "ABS",
    "ROUND",
    "CEIL",
    "FLOOR",
    "isIRI",
    "isBlank",
    "isLiteral",
    "isNumeric",
    "ENCODE_FOR_URI",
    "MD5",
    "SHA1",
    "SHA256",
    "SHA512",
    "YEAR",
    "MONTH",
    "HOURS",
    "TIMEZONE",
    "TZ",
    "STRUUID",
    "xsd:integer",
    "xsd:dateTime",
    "xsd:boolean",
    "xsd:double",
    "xsd:string",
]
FUNCTIONS_2 = [
    "CONTAINS",
    "STRSTARTS",
    "STRENDS",
    "STRBEFORE",
    "STRAFTER",
    "LANGMATCHES",
    "REGEX",
    "SUBSTR",
    "STRDT",
    "STRLANG",
    "sameTerm",
    "CONCAT",
]
OPERATORS = ["=", "!=", "<", ">", "<=", ">=", "&&", "||", "+", "-", "*", "/"]
REGEX_PATTERNS = ["(a+)+$", "^[", "x{2,1}", ".*", r"\\d", "(?i)æ", "", "a{99999}", r"\\p{L}"]


def expressions(groups) -> st.SearchStrategy[str]:
    leaves = st.one_of(variables, variables, literals, iris)

    def extend(inner):
        return st.one_of(
            st.builds(lambda a, op, b: f"({a} {op} {b})", inner, st.sampled_from(OPERATORS), inner),
            st.builds(lambda f, a: f"{f}({a})", st.sampled_from(FUNCTIONS), inner),
            st.builds(lambda f, a, b: f"{f}({a}, {b})", st.sampled_from(FUNCTIONS_2), inner, inner),
            st.builds(lambda a: f"(!{a})", inner),
            st.builds(lambda a: f"(-{a})", inner),
            st.builds(lambda a, b, c: f"IF({a}, {b}, {c})", inner, inner, inner),
            st.builds(
                lambda a, items: f"({a} IN ({', '.join(items)}))",
                inner,
                st.lists(inner, max_size=3),
            ),
            st.builds(
                lambda a, p, flags: f'REGEX(STR({a}), "{p}", "{flags}")',
                inner,
                st.sampled_from(REGEX_PATTERNS),
                st.sampled_from(["", "i", "x", "q", "smix"]),
            ),
            st.builds(
                lambda a, p: f'REPLACE(STR({a}), "{p}", "$1")',
                inner,
                st.sampled_from(REGEX_PATTERNS),
            ),
            st.builds(lambda g: f"EXISTS {g}", groups),
            st.builds(lambda g: f"NOT EXISTS {g}", groups),
            st.builds(lambda items: f"COALESCE({', '.join(items)})", st.lists(inner, max_size=3)),
        )

    return st.recursive(leaves, extend, max_leaves=6)


def paths() -> st.SearchStrategy[str]:
    leaves = st.one_of(iris, st.just("a"))

    def extend(inner):
        negated = st.lists(
            st.one_of(iris, iris.map("^".__add__), st.just("a")), min_size=1, max_size=3
        )
        return st.one_of(
            st.builds(lambda p: f"^{p}", inner),
            st.builds(lambda a, b: f"{a}/{b}", inner, inner),
            st.builds(lambda a, b: f"({a}|{b})", inner, inner),
            st.builds(lambda p, mod: f"({p}){mod}", inner, st.sampled_from("*+?")),
            negated.map(lambda items: f"!({'|'.join(items)})"),
        )

    return st.recursive(leaves, extend, max_leaves=4)


triples = st.builds(
    lambda s, p, o: f"{s} {p} {o} .",
    st.one_of(variables, iris, st.just("[]")),
    st.one_of(variables, iris, st.just("a")),
    terms,
)
template = st.lists(triples, max_size=3).map(lambda items: "{ " + " ".join(items) + " }")


def group_patterns() -> st.SearchStrategy[str]:
    def extend(groups):
        element = st.one_of(
            triples,
            triples,
            st.builds(lambda s, p, o: f"{s} {p} {o} .", terms, paths(), terms),
            groups,
            st.builds(lambda a, b: f"{a} UNION {b}", groups, groups),
            st.builds(lambda g: f"OPTIONAL {g}", groups),
            st.builds(lambda g: f"MINUS {g}", groups),
            st.builds(lambda e: f"FILTER({e})", expressions(groups)),
            st.builds(lambda e, v: f"BIND({e} AS {v})", expressions(groups), variables),
            st.builds(lambda g, name: f"GRAPH {name} {g}", groups, st.one_of(variables, iris)),
            st.builds(
                lambda v, values: f"VALUES {v} {{ {' '.join(values)} }}",
                variables,
                st.lists(st.one_of(iris, literals, st.just("UNDEF")), max_size=3),
            ),
            st.builds(lambda g: f"{{ SELECT * WHERE {g} LIMIT 5 }}", groups),
            st.builds(lambda g, n: f"SERVICE {n} {g}", groups, iris),
            st.builds(lambda g, n: f"SERVICE SILENT {n} {g}", groups, iris),
        )
        return st.lists(element, max_size=4).map(lambda items: "{ " + " ".join(items) + " }")

    return st.recursive(st.just("{ ?s ?p ?o }"), extend, max_leaves=8)


GROUPS = group_patterns()
AGGREGATES = ["COUNT", "SUM", "MIN", "MAX", "AVG", "SAMPLE"]


def projections():
    aggregate = st.one_of(
        st.builds(
            lambda f, distinct, e, v: f"({f}({distinct}{e}) AS {v})",
            st.sampled_from(AGGREGATES),
            st.sampled_from(["", "DISTINCT "]),
            st.one_of(variables, expressions(GROUPS)),
            variables,
        ),
        st.builds(lambda v: f"(COUNT(*) AS {v})", variables),
        st.builds(
            lambda e, sep, v: f'(GROUP_CONCAT({e}; SEPARATOR="{sep}") AS {v})',
            variables,
            st.sampled_from([",", "", "\\n", "é"]),
            variables,
        ),
    )
    return st.one_of(
        st.just("*"),
        st.lists(st.one_of(variables, aggregate), min_size=1, max_size=3).map(" ".join),
    )


modifiers = st.builds(
    lambda group, having, order, limit, offset: group + having + order + limit + offset,
    st.one_of(
        st.just(""),
        st.lists(variables, min_size=1, max_size=2).map(lambda vs: " GROUP BY " + " ".join(vs)),
    ),
    st.one_of(st.just(""), expressions(GROUPS).map(lambda e: f" HAVING ({e})")),
    st.one_of(
        st.just(""),
        st.builds(lambda d, v: f" ORDER BY {d}({v})", st.sampled_from(["ASC", "DESC"]), variables),
        expressions(GROUPS).map(lambda e: f" ORDER BY ({e})"),
    ),
    mostly(
        st.integers(0, 50).map(lambda n: f" LIMIT {n}"),
        st.one_of(st.just(""), st.integers(-5, 10**20).map(lambda n: f" LIMIT {n}")),
    ),
    st.one_of(st.just(""), st.integers(0, 10**6).map(lambda n: f" OFFSET {n}")),
)
prologue = st.lists(
    mostly(
        st.one_of(
            st.builds(lambda p, i: f"PREFIX {p}: {i}", NAME, good_iris),
            st.builds(lambda i: f"BASE {i}", good_iris),
        ),
        st.one_of(
            st.builds(lambda p, i: f"PREFIX {p}: {i}", NAME, odd_iris),
            st.builds(lambda i: f"BASE {i}", odd_iris),
        ),
    ),
    max_size=2,
).map(lambda lines: "\n".join([PROLOGUE, *lines]))
datasets = mostly(
    st.just(""),
    st.one_of(
        st.builds(lambda i: f" FROM {i}", iris),
        st.builds(lambda i: f" FROM NAMED {i}", iris),
    ),
)
UPDATES = [
    "INSERT DATA { <http://a> <http://b> <http://c> }",
    "DELETE WHERE { ?s ?p ?o }",
    "LOAD <http://127.0.0.1:1/x>",
    "CLEAR ALL",
    "DROP GRAPH <https://w3id.org/sundhedsgraf/graph/data>",
    "SELECT * WHERE { ?s ?p ?o } ; INSERT DATA { <http://a> <http://b> <http://c> }",
]
forms = st.one_of(
    st.builds(
        lambda distinct, p, ds, g, m: f"SELECT {distinct}{p}{ds} WHERE {g}{m}",
        st.sampled_from(["", "DISTINCT ", "REDUCED "]),
        projections(),
        datasets,
        GROUPS,
        modifiers,
    ),
    st.builds(lambda ds, g: f"ASK{ds} {g}", datasets, GROUPS),
    st.builds(lambda t, g: f"CONSTRUCT {t} WHERE {g} LIMIT 50", template, GROUPS),
    st.builds(lambda t: f"CONSTRUCT WHERE {t} LIMIT 50", template),
    st.lists(st.one_of(variables, iris), min_size=1, max_size=3).map(
        lambda items: "DESCRIBE " + " ".join(items)
    ),
    st.builds(lambda t, g: f"DESCRIBE {t} WHERE {g} LIMIT 5", variables, GROUPS),
    st.sampled_from(UPDATES),
)
structured = st.builds(lambda p, f: f"{p}\n{f}", prologue, forms)


def mutate(text: str, data) -> str:
    """`text` with a random cut, insertion or repetition: almost-valid queries."""
    if not text:
        return text
    i = data.draw(st.integers(0, len(text)))
    j = data.draw(st.integers(i, len(text)))
    how = data.draw(st.sampled_from(["cut", "insert", "repeat"]))
    if how == "cut":
        return text[:i] + text[j:]
    if how == "insert":
        return text[:i] + data.draw(st.text(ODD, max_size=8)) + text[i:]
    return text[:j] + text[i:j] * data.draw(st.integers(1, 20)) + text[j:]


NESTED = {
    "group": lambda n: "SELECT * WHERE " + "{" * n + " ?s ?p ?o " + "}" * n + " LIMIT 1",
    "expression": lambda n: "ASK { ?s ?p ?o FILTER(" + "(" * n + "?o" + ")" * n + ") }",
    "not": lambda n: "ASK { ?s ?p ?o FILTER(" + "!" * n + "BOUND(?o)) }",
    "optional": lambda n: "ASK { " + "OPTIONAL { ?s ?p ?o " * n + "}" * n + " }",
    "union": lambda n: "ASK { " + " UNION ".join(["{ ?s ?p ?o }"] * n) + " }",
    "path": lambda n: "ASK { ?s " + "(" * n + "<http://x>" + ")*" * n + " ?o }",
    "exists": lambda n: "ASK { " + "FILTER EXISTS { " * n + "?s ?p ?o" + " }" * n + " }",
    "subquery": lambda n: "SELECT * WHERE " + "{ SELECT * WHERE " * n + "{ ?s ?p ?o }" + " }" * n,
}
nested = st.builds(
    lambda kind, depth: NESTED[kind](depth),
    st.sampled_from(sorted(NESTED)),
    st.one_of(st.integers(1, 50), st.integers(50, 5000)),
)
raw_text = st.one_of(
    st.text(ODD, max_size=200),
    st.binary(max_size=100).map(lambda b: b.decode("latin-1")),
    st.lists(
        st.sampled_from(
            [
                "SELECT",
                "ASK",
                "WHERE",
                "{",
                "}",
                "(",
                ")",
                "?s",
                "<x>",
                "'",
                '"',
                "#",
                ".",
                ";",
                "SERVICE",
                "FROM",
                "PREFIX",
                "GRAPH",
                "FILTER",
                "*",
                "|",
                "^",
                "\\u0022",
            ]
        ),
        max_size=30,
    ).map(" ".join),
)
ACCEPTS = mostly(
    st.sampled_from(
        [
            None,
            "*/*",
            "application/sparql-results+json",
            "application/sparql-results+xml",
            "text/csv",
            "text/tab-separated-values",
            "text/turtle",
            "application/ld+json",
            "application/n-quads",
            "application/json;q=0.1, text/turtle",
        ]
    ),
    st.sampled_from(["text/html", "garbage/;;q=x", "*/*;q=0", "text/csv, application/trig"]),
    weight=6,
)


@pytest.fixture(scope="module")
def sparql_server(real_root):
    """Its own server, with a short time limit so that slow generated queries end soon."""
    running = Server(real_root, "--time-limit", "2", "--workers", "2")
    yield running
    running.stop()


def send_every_way(client, query: str, accept: str | None) -> list[tuple[str, int, str]]:
    """(how, status, start of the body) for GET (if the URL is not too long), a POSTed form and
    a POSTed query."""
    headers = {} if accept is None else {"Accept": accept}
    statuses = []
    if len(query.encode()) * 3 < MAX_GET_URL:
        statuses.append(("GET", client.get("sparql", params={"query": query}, headers=headers)))
    statuses.append(("POST form", client.post("sparql", data={"query": query}, headers=headers)))
    statuses.append(
        (
            "POST query",
            client.post(
                "sparql",
                content=query.encode(),
                headers={**headers, "Content-Type": QUERY_TYPE + "; charset=utf-8"},
            ),
        )
    )
    return [(how, response.status_code, response.text[:300]) for how, response in statuses]


def wait_for(condition, timeout: float = 10.0):
    """Poll `condition` until it is true, at most `timeout` seconds; its last value."""
    deadline = time.monotonic() + timeout
    while not (value := condition()) and time.monotonic() < deadline:
        time.sleep(0.2)
    return value


def all_idle(client) -> bool:
    state = client.get("health").json()
    return state["idle_workers"] == state["workers"]


def assert_no_server_error(results, query):
    for how, status, text in results:
        assert status < 500 or status == 503, f"{how} {status} for {query!r}: {text}"


@given(
    query=mostly(structured, st.one_of(nested, raw_text), weight=4),
    accept=ACCEPTS,
    data=st.data(),
)
@settings(
    max_examples=200,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
def test_generated_sparql_never_causes_a_server_error(sparql_server, query, accept, data):
    if data.draw(st.sampled_from(range(4))) == 0:  # a quarter of them, a little broken
        query = mutate(query, data)
    assert_no_server_error(send_every_way(sparql_server.client, query, accept), query)


def test_the_server_is_alive_after_fuzzing(sparql_server, server):
    """Runs after the fuzz tests of this module (pytest keeps file order)."""
    for running in (sparql_server, server):
        assert running.process.poll() is None
        assert running.client.get("health").status_code == 200
        answer = running.client.get(
            "sparql",
            params={"query": "ASK { ?s ?p ?o }"},
            headers={"Accept": "application/sparql-results+json"},
        )
        assert answer.status_code == 200
        assert answer.json()["boolean"] is True
        # Workers killed at the time limit have been replaced.
        assert wait_for(lambda client=running.client: all_idle(client))

"""Content negotiation: which offered media type an Accept header gets (RFC 9110 12.5.1)."""

import pytest

from sundhedsgraf.web.conneg import NotAcceptable, choose, parse_accept

JSON = "application/sparql-results+json"
XML = "application/sparql-results+xml"
CSV = "text/csv"
TSV = "text/tab-separated-values"
RESULTS = [JSON, XML, CSV, TSV]
HTML = "text/html"
TURTLE = "text/turtle"
DOCUMENT = [TURTLE, "application/ld+json", "application/rdf+xml", HTML]
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.mark.parametrize(
    "accept, offered, expected",
    [
        # No preference: the server's first choice.
        (None, RESULTS, JSON),
        ("", RESULTS, JSON),
        ("   ", RESULTS, JSON),
        ("*/*", RESULTS, JSON),
        # A list, with and without q.
        ("application/json, text/csv;q=0.5", RESULTS, CSV),
        (f"{CSV}, {TSV}", RESULTS, CSV),
        (f"{CSV};q=0.5, {TSV}", RESULTS, TSV),
        (f"{XML};q=0.9, {JSON};q=0.8", RESULTS, XML),
        # Equal q: the server's order decides, not the header's.
        (f"{TSV}, {CSV}", RESULTS, CSV),
        (f"{TSV};q=0.5, {XML};q=0.5", RESULTS, XML),
        # type/* and */*.
        ("text/*", RESULTS, CSV),
        ("text/*;q=0.5, */*;q=0.1", RESULTS, CSV),
        ("text/*;q=0.1, */*;q=0.5", RESULTS, JSON),
        ("application/*", DOCUMENT, "application/ld+json"),
        # The most specific range decides, even against a higher q from a broader one.
        ("text/*;q=0.2, text/turtle;q=0", DOCUMENT, HTML),
        (f"*/*;q=0.9, {JSON};q=0.1", RESULTS, XML),
        (f"text/*;q=0.9, {CSV};q=0.1", RESULTS, TSV),
        (f"*/*, {JSON};q=0", RESULTS, XML),
        # Parameters other than q do not prevent a match; what follows q is ignored.
        (f"{JSON};charset=utf-8", RESULTS, JSON),
        (f"{TSV};charset=utf-8;q=0.9, {JSON};q=0.1", RESULTS, TSV),
        (f"{CSV};q=0.5;ext=1, {TSV};q=0.4", RESULTS, CSV),
        (f'{CSV};profile="a,b;c", {TSV};q=0.5', RESULTS, CSV),
        # Case and whitespace.
        ("TEXT/CSV", RESULTS, CSV),
        ("Text/Tab-Separated-Values ; Q=0.7 , text/csv ; q=0.6", RESULTS, TSV),
        (f"\t{CSV}  ;  q=1 ,", RESULTS, CSV),
        (f"{CSV}", ["TEXT/CSV; charset=utf-8"], "TEXT/CSV; charset=utf-8"),
        # Malformed elements are skipped, the rest still counts.
        (f"garbage, {CSV}", RESULTS, CSV),
        (f"text, /csv, text/, */csv, {TSV}", RESULTS, TSV),
        (f"{CSV};q=2, {TSV};q=0.5", RESULTS, TSV),
        (f"{CSV};q=-1, {TSV};q=0.5", RESULTS, TSV),
        (f"{CSV};q=high, {TSV};q=0.5", RESULTS, TSV),
        (f"{CSV};q=, {TSV};q=0.5", RESULTS, TSV),
        (f"{CSV};q=0.5, , ,{TSV};q=0.6", RESULTS, TSV),
        (f"{CSV};q=.5, {TSV};q=0.4", RESULTS, CSV),
        # Nothing usable at all: treated as no header.
        ("garbage", RESULTS, JSON),
        (f"{CSV};q=1.5", RESULTS, JSON),
        # Browsers want HTML; failing that, anything.
        (BROWSER, DOCUMENT, HTML),
        (BROWSER, RESULTS, JSON),
        (BROWSER, [TURTLE, "application/xml"], "application/xml"),
    ],
)
def test_choose(accept, offered, expected):
    assert choose(accept, offered) == expected


@pytest.mark.parametrize(
    "accept, offered",
    [
        (TURTLE, RESULTS),
        (f"{CSV};q=0", [CSV]),
        (f"{CSV};q=0.000", RESULTS[2:3]),
        ("*/*;q=0", RESULTS),
        (f"text/*;q=0, {JSON};q=0", RESULTS[:1] + RESULTS[2:]),
        ("text/*;q=0.5, text/turtle;q=0", [TURTLE]),
        ("*/*", []),
    ],
)
def test_nothing_acceptable(accept, offered):
    with pytest.raises(NotAcceptable) as raised:
        choose(accept, offered)
    assert all(media_type in str(raised.value) for media_type in offered)


def test_not_acceptable_is_a_value_error():
    assert issubclass(NotAcceptable, ValueError)


@pytest.mark.parametrize(
    "header, expected",
    [
        (None, [("*/*", 1.0, 0)]),
        ("", [("*/*", 1.0, 0)]),
        ("Text/HTML", [("text/html", 1.0, 2)]),
        ("text/*;q=0.25", [("text/*", 0.25, 1)]),
        ("*/*;q=0", [("*/*", 0.0, 0)]),
        ("a/b;charset=utf-8;q=0.5;ext=x", [("a/b", 0.5, 2)]),
        ("a/b;q=1.000, c/d;q=0.001", [("a/b", 1.0, 2), ("c/d", 0.001, 2)]),
        ("a/b;q=1.001, c/d;q=x, e/f", [("e/f", 1.0, 2)]),
        ("*/b, a/b", [("a/b", 1.0, 2)]),
        ('a/b;p="x,y", c/d', [("a/b", 1.0, 2), ("c/d", 1.0, 2)]),
        # an element with no media range before its parameters is skipped
        (";", [("*/*", 1.0, 0)]),
        (" ; q=1, a/b", [("a/b", 1.0, 2)]),
        ("; a/b", [("*/*", 1.0, 0)]),
        (BROWSER, [
            ("text/html", 1.0, 2),
            ("application/xhtml+xml", 1.0, 2),
            ("application/xml", 0.9, 2),
            ("*/*", 0.8, 0),
        ]),
    ],
)  # fmt: skip
def test_parse_accept(header, expected):
    assert parse_accept(header) == expected

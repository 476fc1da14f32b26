"""Our SPARQL result serializers against pyoxigraph's own, on the real build and on crafted terms.

JSON and XML are compared by what they say (both parsed back); CSV and TSV byte for byte, except
where pyoxigraph's output is not well-formed (see results.py; each case has its own test below).
"""

import csv
import io
import json
import xml.etree.ElementTree as ET
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pyoxigraph as ox
import pytest

from sundhedsgraf.formats import RESULTS
from sundhedsgraf.publication import open_publication
from sundhedsgraf.sparql.results import XSD, boolean, cell, solutions

XSD_INTEGER = ox.NamedNode(XSD + "integer")

REPO = Path(__file__).resolve().parents[2]
QUERIES = sorted((REPO / "queries").glob("*.rq"))
FORMATS = ["json", "xml", "csv", "tsv"]
OX = {
    "json": ox.QueryResultsFormat.JSON,
    "xml": ox.QueryResultsFormat.XML,
    "csv": ox.QueryResultsFormat.CSV,
    "tsv": ox.QueryResultsFormat.TSV,
}
EX = "http://ex/"
PREFIXES = f"PREFIX ex: <{EX}> PREFIX xsd: <{XSD}>\n"
INT = ox.NamedNode(XSD + "integer")

CRAFTED = {
    "typed literals": """SELECT * { VALUES (?a ?b ?c) {
        (1 -5 01) (1.5 -0.25 "1.0"^^xsd:decimal) (1.0e3 -2E-2 "NaN"^^xsd:double)
        (true false "1"^^xsd:boolean) ("2024-02-29"^^xsd:date "10:00:00Z"^^xsd:time
        "2024-02-29T10:00:00+01:00"^^xsd:dateTime) ("x"^^ex:type "abc"^^xsd:integer "+7"^^xsd:int)
    } }""",
    "language tags": """SELECT * { VALUES (?a ?b) {
        ("hej"@da "colour"@en-GB) ("v"@en--ltr "مرحبا"@ar--rtl)
    } }""",
    "strings": r"""SELECT * { VALUES (?a ?b ?c ?d) {
        ("say \"hi\"" "a,b" "tab\there" "line\nbreak")
        ("carriage\rreturn" "crlf\r\n" "Æbleø 😀 ∑ \u00A0" "<tag> & &amp;")
        ("" " padded " "back\\slash" "'single' quotes")
        ("]]>" "--> <!--" "x\"\",\"" "ex:notAnIri")
    } }""",
    "iris": """SELECT * { VALUES (?a ?b) {
        (<http://ex/a?b=c&d=e#f> <urn:isbn:0451450523>) (<http://ex/æø> <http://ex/%20x>)
    } }""",
    "unbound": """SELECT ?s ?name ?missing ?undef {
        ?s ex:name ?name OPTIONAL { ?s ex:missing ?missing } VALUES ?undef { UNDEF }
    } ORDER BY ?name""",
    "blank nodes": "SELECT ?s ?o { ?s ex:knows ?o }",
    "triple terms": "SELECT ?t { ?s ex:said ?t }",
    "nested triple terms": "SELECT ?t { ex:c ex:nested ?t }",
    "no rows": "SELECT ?x ?y { FILTER(false) }",
    "no variables": "SELECT * {}",
    "no variables, no rows": "SELECT * { FILTER(false) }",
}

DATA = """INSERT DATA {
    _:alice ex:name "Alice" ; ex:knows _:bob .
    _:bob ex:name "Bob"@en--ltr ; ex:knows _:alice .
    _:bob ex:said <<( _:alice ex:says "hi" )>> .
    ex:c ex:nested <<( ex:a ex:b <<( ex:c ex:d 1.5 )>> )>> .
}"""


@pytest.fixture(scope="session")
def store(real_root) -> ox.Store:
    return open_publication(real_root).store


@pytest.fixture(scope="session")
def crafted() -> ox.Store:
    """Blank nodes and triple terms: in a store, so that their labels stay put between queries."""
    crafted_store = ox.Store()
    crafted_store.update(PREFIXES + DATA)
    return crafted_store


def parsed(data: bytes, fmt: str):
    results = ox.parse_query_results(data, OX[fmt])
    if isinstance(results, ox.QueryBoolean):
        return bool(results)
    return [v.value for v in results.variables], [list(row) for row in results]


def compare(store: ox.Store, query: str, fmt: str) -> bytes:
    """Serialize the results of `query` our way and pyoxigraph's, check that they agree, and
    return ours."""
    theirs = store.query(query, use_default_graph_as_union=True).serialize(format=OX[fmt])
    results = store.query(query, use_default_graph_as_union=True)
    if isinstance(results, ox.QueryBoolean):
        expected = bool(results)
        ours = boolean(expected, fmt)
    else:
        expected = ([v.value for v in results.variables], [list(row) for row in results])
        ours = solutions(*expected, fmt)
    if fmt in ("csv", "tsv"):
        assert ours == theirs
    if fmt != "csv":  # pyoxigraph reads no CSV
        assert parsed(ours, fmt) == expected  # nothing lost on the way
    if fmt == "json":
        assert json.loads(ours) == json.loads(theirs)
    if fmt == "xml":
        ET.fromstring(ours)  # well-formed to a strict parser, not just to pyoxigraph's
        if b"\r" not in theirs:  # pyoxigraph writes CR raw, which XML reads as LF
            assert parsed(theirs, fmt) == expected
    return ours


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("path", QUERIES, ids=lambda path: path.stem)
def test_query_files(store, path, fmt):
    query = path.read_text(encoding="utf-8")
    assert list(store.query(query, use_default_graph_as_union=True))  # something to compare
    compare(store, query, fmt)


# pyoxigraph's CSV for triple terms is malformed: test_csv_quotes_iris_and_triple_terms.
@pytest.mark.parametrize(
    "name, fmt",
    [(n, f) for n in CRAFTED for f in FORMATS if not (f == "csv" and "triple" in n)],
)
def test_crafted_queries(crafted, name, fmt):
    compare(crafted, PREFIXES + CRAFTED[name], fmt)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("query, answer", [("ASK {}", True), ("ASK { FILTER(false) }", False)])
def test_ask(crafted, query, answer, fmt):
    ours = compare(crafted, query, fmt)
    if fmt == "csv":
        assert ours == str(answer).lower().encode()
    else:
        assert parsed(ours, fmt) is answer


def test_json_literals_follow_the_spec():
    rows = [[ox.Literal("x"), ox.Literal("y", language="da"), ox.Literal("1", datatype=INT)]]
    assert json.loads(solutions(["a", "b", "c"], rows, "json")) == {
        "head": {"vars": ["a", "b", "c"]},
        "results": {
            "bindings": [
                {
                    "a": {"type": "literal", "value": "x"},
                    "b": {"type": "literal", "value": "y", "xml:lang": "da"},
                    "c": {"type": "literal", "value": "1", "datatype": XSD + "integer"},
                }
            ]
        },
    }


@pytest.mark.parametrize(
    "lexical, datatype, expected",
    [
        ("01", "integer", "01"),
        ("-5", "integer", "-5"),
        ("+5", "integer", "+5"),
        ("1.5", "integer", f'"1.5"^^<{XSD}integer>'),
        ("1.5", "decimal", "1.5"),
        (".5", "decimal", ".5"),
        ("1.", "decimal", f'"1."^^<{XSD}decimal>'),
        ("1", "decimal", f'"1"^^<{XSD}decimal>'),
        ("1e3", "double", "1e3"),
        ("-1.5E-3", "double", "-1.5E-3"),
        (".5e1", "double", ".5e1"),
        ("1000", "double", f'"1000"^^<{XSD}double>'),
        ("INF", "double", f'"INF"^^<{XSD}double>'),
        ("true", "boolean", "true"),
        ("1", "boolean", f'"1"^^<{XSD}boolean>'),
        ("1", "int", f'"1"^^<{XSD}int>'),
    ],
)
def test_tsv_writes_numbers_bare_where_turtle_can(lexical, datatype, expected):
    # pyoxigraph canonicalizes most of these lexical forms in a store, so they are built here.
    term = ox.Literal(lexical, datatype=ox.NamedNode(XSD + datatype))
    assert solutions(["x"], [[term]], "tsv") == f"?x\n{expected}\n".encode()
    ox.parse_query_results(f"?x\n{expected}\n", OX["tsv"])  # valid TSV


def test_csv_quotes_iris_and_triple_terms_that_need_it(crafted):
    # pyoxigraph writes these fields bare (`http://ex/a,b`, `http://ex/a http://ex/b "c,""d"`),
    # and a comma in them splits the row. We quote them, and write triple terms as later
    # oxigraph versions do.
    query = PREFIXES + (
        'SELECT ?i ?t ?n { BIND(<http://ex/a,b> AS ?i) BIND(<<( ex:a ex:b "c,\\"d" )>> AS ?t)'
        " ex:c ex:nested ?n }"
    )
    theirs = crafted.query(query).serialize(format=OX["csv"])
    assert theirs.startswith(b'i,t,n\r\nhttp://ex/a,b,http://ex/a http://ex/b "c,""d",')
    results = crafted.query(query)
    ours = solutions([v.value for v in results.variables], [list(r) for r in results], "csv")
    assert list(csv.reader(io.StringIO(ours.decode(), newline=""))) == [
        ["i", "t", "n"],
        [
            "http://ex/a,b",
            '<<( http://ex/a http://ex/b "c,""d" )>>',
            '<<( http://ex/a http://ex/b <<( http://ex/c http://ex/d "1.5" )>> )>>',
        ],
    ]
    bob = crafted.query("SELECT ?t { ?s <http://ex/said> ?t }")
    ours = solutions(["t"], [list(r) for r in bob], "csv")
    assert ours.startswith(b't\r\n"<<( _:') and ours.endswith(b' http://ex/says ""hi"" )>>"\r\n')


def test_csv_follows_rfc_4180(crafted):
    ours = compare(crafted, PREFIXES + CRAFTED["strings"], "csv")
    rows = list(csv.reader(io.StringIO(ours.decode(), newline="")))
    assert rows[1:] == [
        ['say "hi"', "a,b", "tab\there", "line\nbreak"],
        ["carriage\rreturn", "crlf\r\n", "Æbleø 😀 ∑ \u00a0", "<tag> & &amp;"],
        ["", " padded ", "back\\slash", "'single' quotes"],
        ["]]>", "--> <!--", 'x"","', "ex:notAnIri"],
    ]
    assert ours.startswith(b"a,b,c,d\r\n") and ours.endswith(b"\r\n")


CONTROL = "nul\x00 soh\x01 del\x7f nel\x85 bom\ufeff nonchar\ufffe cr\r"


def test_tsv_escapes_control_characters():
    # pyoxigraph writes them raw; the N-Triples escapes read back the same and keep the file
    # free of NULs and the like.
    ours = solutions(["x"], [[ox.Literal(CONTROL)]], "tsv")
    assert ours == (
        b'?x\n"nul\\u0000 soh\\u0001 del\\u007F nel\xc2\x85 bom\xef\xbb\xbf nonchar\\uFFFE cr\\r"\n'
    )
    assert parsed(ours, "tsv") == (["x"], [[ox.Literal(CONTROL)]])


def test_xml_stays_well_formed_whatever_the_characters():
    # pyoxigraph writes a raw NUL (a malformed document) and a raw CR (read back as LF).
    ours = solutions(["x"], [[ox.Literal(CONTROL, language="da")]], "xml")
    literal = ET.fromstring(ours).find(".//{*}literal")
    assert literal.text == "nul\ufffd soh\ufffd del\x7f nel\x85 bom\ufeff nonchar\ufffd cr\r"
    assert literal.get("{http://www.w3.org/XML/1998/namespace}lang") == "da"
    store = ox.Store()
    theirs = store.query(f'SELECT ?x {{ BIND("{CONTROL}" AS ?x) }}'.replace("\r", "\\r"))
    with pytest.raises(ET.ParseError):
        ET.fromstring(theirs.serialize(format=OX["xml"]))


def test_xml_escapes_markup():
    rows = [[ox.NamedNode("http://ex/a?b=1&c=2"), ox.Literal("</literal>&amp;\"'")]]
    ours = solutions(["a", "b"], rows, "xml")
    assert b"<uri>http://ex/a?b=1&amp;c=2</uri>" in ours
    assert b"<literal>&lt;/literal&gt;&amp;amp;\"'</literal>" in ours
    assert parsed(ours, "xml") == (["a", "b"], rows)


@pytest.mark.parametrize("fmt", ["json", "xml", "tsv"])
def test_strings_read_back_intact_by_pyoxigraph(fmt):
    # Its XML reader trims text, so whitespace at the ends must go as character references.
    values = [" padded ", "\r\n x \t", "x \r", "a \r b", "\n", "  ", "", "a\n&b", "]]>"]
    rows = [[ox.Literal(value)] for value in values]
    assert parsed(solutions(["x"], rows, fmt), fmt) == (["x"], rows)


def test_media_types():
    assert {f.name: f.media_type for f in RESULTS} == {
        "json": "application/sparql-results+json",
        "xml": "application/sparql-results+xml",
        "csv": "text/csv",
        "tsv": "text/tab-separated-values",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    }


@pytest.mark.parametrize(
    ("lexical", "datatype", "expected"),
    [
        ("7", "integer", 7),
        ("-0012", "int", -12),
        ("9007199254740993", "integer", 9007199254740993),  # the writer keeps it as text
        ("2.50", "decimal", 2.5),
        ("1E3", "double", 1000.0),
        ("INF", "double", "INF"),
        ("NaN", "float", "NaN"),
        ("1e999", "double", "1e999"),
        ("twelve", "integer", "twelve"),
        ("1", "boolean", True),
        ("false", "boolean", False),
        ("2025-05-31", "date", date(2025, 5, 31)),
        ("2025-05-31Z", "date", "2025-05-31Z"),  # Excel has no time zones
        ("2025-02-30", "date", "2025-02-30"),
        ("2025-01-08T10:30:00", "dateTime", datetime(2025, 1, 8, 10, 30)),
        ("2025-01-08T10:30:00+01:00", "dateTime", "2025-01-08T10:30:00+01:00"),
        ("2025", "gYear", "2025"),
    ],
)
def test_spreadsheet_cells_keep_numbers_dates_and_truth_values(lexical, datatype, expected):
    got = cell(ox.Literal(lexical, datatype=ox.NamedNode(XSD + datatype)))
    assert got == expected and type(got) is type(expected)


def test_spreadsheet_cells_of_other_terms_are_their_text():
    assert cell(ox.NamedNode("http://ex/a")) == "http://ex/a"
    assert cell(ox.Literal("hej", language="da")) == "hej"
    assert cell(ox.BlankNode("b0")) == "_:b0"
    assert cell(None) is None


def test_a_big_whole_number_is_text_in_the_spreadsheet():
    # beyond 2**53 Excel's doubles are not exact: the cell holds the digits as text
    body = solutions(["n"], [[ox.Literal("9007199254740993", datatype=XSD_INTEGER)]], "xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(body), read_only=True).worksheets[0]
    assert list(sheet.iter_rows(values_only=True)) == [("n",), ("9007199254740993",)]


def test_a_spreadsheet_holds_no_clock():
    # replicas must answer alike: the file once held the time it was made
    body = solutions(["n"], [[ox.Literal("1", datatype=XSD_INTEGER)]], "xlsx")
    assert openpyxl.load_workbook(io.BytesIO(body)).properties.created == datetime(1980, 1, 1)


def test_unknown_format():
    with pytest.raises(ValueError, match="html"):
        solutions(["x"], [], "html")
    with pytest.raises(ValueError, match="json, xml, csv, tsv, xlsx"):
        boolean(True, "html")

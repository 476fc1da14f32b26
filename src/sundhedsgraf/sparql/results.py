"""SPARQL query results in the four W3C formats and as a spreadsheet (XLSX), written from rows
already collected.

Workers let pyoxigraph write JSON results (the same bytes as ours: tests/sparql/test_native.py)
unless the answer may be over the row limit; this module writes everything else from rows
already counted. The output is what pyoxigraph writes, except where it is not well-formed:

- CSV quotes every field RFC 4180 says must be quoted; pyoxigraph leaves IRIs and triple terms
  bare even when they hold a comma or a quote. Triple terms are written as later oxigraph
  versions do: `<<( s p "o" )>>`, literals inside always quoted.
- TSV writes control characters in strings as \\uXXXX escapes, as N-Triples does (`str(term)`);
  pyoxigraph writes them raw. Turtle reads both the same.
- XML writes CR as `&#13;` (a raw CR becomes LF when the document is read) and replaces the
  characters XML 1.0 cannot carry at all with U+FFFD; pyoxigraph writes both raw, the latter
  giving a malformed document.

XLSX is no W3C format: each variable is a column, and a literal whose datatype Excel has
(numbers, booleans, dates and times without a time zone) is written as that; every other term
as text, as CSV writes it.
"""

import json
import math
import re
from collections.abc import Callable
from datetime import date, datetime
from xml.sax.saxutils import escape, quoteattr

import pyoxigraph as ox

from sundhedsgraf import spreadsheet

Term = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple
Row = list[Term | None]

XSD = "http://www.w3.org/2001/XMLSchema#"
# Lexical forms TSV writes bare, as Turtle's INTEGER, DECIMAL, DOUBLE and boolean tokens.
_BARE = {
    XSD + "integer": re.compile(r"[+-]?[0-9]+"),
    XSD + "decimal": re.compile(r"[+-]?[0-9]*\.[0-9]+"),
    XSD + "double": re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)[eE][+-]?[0-9]+"),
    XSD + "boolean": re.compile(r"true|false"),
}
# What XML 1.0 cannot carry, not even as a character reference.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_EDGE_SPACE = re.compile(r"\A[ \t\n]+|[ \t\n]+\Z")
_SPARQL_NS = "http://www.w3.org/2005/sparql-results#"
_ITS = 'xmlns:its="http://www.w3.org/2005/11/its" its:version="2.0"'


def solutions(variables: list[str], rows: list[Row], fmt: str) -> bytes:
    """SELECT results: `rows` hold one term, or None if unbound, per variable."""
    return _writer(fmt, _SOLUTIONS)(variables, rows)


def boolean(value: bool, fmt: str) -> bytes:
    """ASK results. CSV and TSV define none; like pyoxigraph we write a bare true or false."""
    return _writer(fmt, _BOOLEANS)(value)


def _writer(fmt: str, writers: dict[str, Callable]) -> Callable:
    if fmt not in writers:
        raise ValueError(f"unknown result format {fmt!r}; expected one of {', '.join(writers)}")
    return writers[fmt]


def _bound(variables: list[str], row: Row) -> list[tuple[str, Term]]:
    """The bound variables of a row with their values; JSON and XML leave unbound ones out."""
    return [(name, term) for name, term in zip(variables, row, strict=True) if term is not None]


# JSON: https://www.w3.org/TR/sparql11-results-json/


def _json_solutions(variables: list[str], rows: list[Row]) -> bytes:
    bindings = [{name: json_term(term) for name, term in _bound(variables, row)} for row in rows]
    return _json({"head": {"vars": variables}, "results": {"bindings": bindings}})


def json_term(term: Term) -> dict:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Triple):
        parts = {"subject": term.subject, "predicate": term.predicate, "object": term.object}
        return {"type": "triple", "value": {k: json_term(t) for k, t in parts.items()}}
    literal = {"type": "literal", "value": term.value}
    if term.language:
        literal["xml:lang"] = term.language
        if term.direction:
            literal["its:dir"] = term.direction.value
    elif term.datatype.value != XSD + "string":
        literal["datatype"] = term.datatype.value
    return literal


def _json(document: dict) -> bytes:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


# XML: https://www.w3.org/TR/rdf-sparql-XMLres/


def _xml_solutions(variables: list[str], rows: list[Row]) -> bytes:
    head = "".join(f"<variable name={_attribute(name)}/>" for name in variables)
    results = "".join(
        "<result>"
        + "".join(
            f"<binding name={_attribute(name)}>{_xml_term(term)}</binding>"
            for name, term in _bound(variables, row)
        )
        + "</result>"
        for row in rows
    )
    return _xml(f"<head>{head}</head><results>{results}</results>")


def _xml_term(term: Term) -> str:
    if isinstance(term, ox.NamedNode):
        return f"<uri>{_text(term.value)}</uri>"
    if isinstance(term, ox.BlankNode):
        return f"<bnode>{_text(term.value)}</bnode>"
    if isinstance(term, ox.Triple):
        parts = {"subject": term.subject, "predicate": term.predicate, "object": term.object}
        inner = "".join(f"<{k}>{_xml_term(t)}</{k}>" for k, t in parts.items())
        return f"<triple>{inner}</triple>"
    attributes = ""
    if term.language:
        attributes = f" xml:lang={_attribute(term.language)}"
        if term.direction:
            attributes += f" {_ITS} its:dir={_attribute(term.direction.value)}"
    elif term.datatype.value != XSD + "string":
        attributes = f" datatype={_attribute(term.datatype.value)}"
    return f"<literal{attributes}>{_text(term.value)}</literal>"


def _text(value: str) -> str:
    """Escaped; whitespace at either end as references too, as pyoxigraph's reader trims text
    content (and its writer does the same)."""
    text = escape(_NOT_XML.sub("\ufffd", value), {"\r": "&#13;"})
    return _EDGE_SPACE.sub(lambda space: "".join(f"&#{ord(c)};" for c in space[0]), text)


def _attribute(value: str) -> str:
    """Quoted, with tab, LF and CR as references so that they survive reading."""
    return quoteattr(_NOT_XML.sub("\ufffd", value))


def _xml(body: str) -> bytes:
    declaration = '<?xml version="1.0" encoding="UTF-8"?>\n'
    return f'{declaration}<sparql xmlns="{_SPARQL_NS}">{body}</sparql>\n'.encode()


# CSV and TSV: https://www.w3.org/TR/sparql11-results-csv-tsv/


def _csv_solutions(variables: list[str], rows: list[Row]) -> bytes:
    lines = [",".join(variables)]
    lines += [",".join("" if t is None else _csv_field(_csv_value(t)) for t in row) for row in rows]
    return "".join(line + "\r\n" for line in lines).encode()


def _csv_value(term: Term, nested: bool = False) -> str:
    """Plain values; inside a triple term literals are quoted, to tell them from IRIs."""
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    if isinstance(term, ox.Triple):
        parts = (term.subject, term.predicate, term.object)
        return "<<( " + " ".join(_csv_value(t, nested=True) for t in parts) + " )>>"
    if isinstance(term, ox.Literal) and nested:
        return '"' + term.value.replace('"', '""') + '"'
    return term.value


def _csv_field(value: str) -> str:
    if any(c in value for c in '",\r\n'):
        return '"' + value.replace('"', '""') + '"'
    return value


def _tsv_solutions(variables: list[str], rows: list[Row]) -> bytes:
    lines = ["\t".join(f"?{name}" for name in variables)]
    lines += ["\t".join("" if t is None else _tsv_term(t) for t in row) for row in rows]
    return "".join(line + "\n" for line in lines).encode()


def _tsv_term(term: Term) -> str:
    """N-Triples syntax, numbers and booleans bare where Turtle allows it."""
    if isinstance(term, ox.Triple):
        parts = (term.subject, term.predicate, term.object)
        return "<<( " + " ".join(_tsv_term(t) for t in parts) + " )>>"
    if isinstance(term, ox.Literal) and (bare := _BARE.get(term.datatype.value)):
        return term.value if bare.fullmatch(term.value) else str(term)
    return str(term)


# XLSX: a spreadsheet of one sheet


_WHOLE = {
    XSD + name
    for name in (
        *("integer", "int", "long", "short", "byte"),
        *("nonNegativeInteger", "positiveInteger", "negativeInteger", "nonPositiveInteger"),
        *("unsignedLong", "unsignedInt", "unsignedShort", "unsignedByte"),
    )
}
_REAL = {XSD + "decimal", XSD + "double", XSD + "float"}
_NUMBER = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_DATETIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?")


def _xlsx_solutions(variables: list[str], rows: list[Row]) -> bytes:
    return spreadsheet.workbook("results", variables, [[cell(t) for t in row] for row in rows])


def cell(term: Term | None):
    """What a spreadsheet cell holds for a term: a number, truth value, date or text."""
    if term is None:
        return None
    if not isinstance(term, ox.Literal):
        return _csv_value(term)
    datatype, text = term.datatype.value, term.value
    try:
        if datatype in _WHOLE and _BARE[XSD + "integer"].fullmatch(text):
            return int(text)
        if datatype in _REAL and _NUMBER.fullmatch(text) and math.isfinite(float(text)):
            return float(text)
        if datatype == XSD + "boolean" and text in ("true", "false", "1", "0"):
            return text in ("true", "1")
        if datatype == XSD + "date" and _DATE.fullmatch(text):
            return date.fromisoformat(text)
        if datatype == XSD + "dateTime" and _DATETIME.fullmatch(text):
            return datetime.fromisoformat(text)
    except ValueError:  # out of range for Python's date or float: kept as text
        pass
    return text


def _xlsx_boolean(value: bool) -> bytes:
    return spreadsheet.workbook("results", ["boolean"], [[value]])


def _json_boolean(value: bool) -> bytes:
    return _json({"head": {}, "boolean": value})


def _xml_boolean(value: bool) -> bytes:
    return _xml(f"<head/><boolean>{str(value).lower()}</boolean>")


def _text_boolean(value: bool) -> bytes:
    return str(value).lower().encode()


_SOLUTIONS = {
    "json": _json_solutions,
    "xml": _xml_solutions,
    "csv": _csv_solutions,
    "tsv": _tsv_solutions,
    "xlsx": _xlsx_solutions,
}
_BOOLEANS = {
    "json": _json_boolean,
    "xml": _xml_boolean,
    "csv": _text_boolean,
    "tsv": _text_boolean,
    "xlsx": _xlsx_boolean,
}

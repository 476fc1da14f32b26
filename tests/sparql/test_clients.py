"""The endpoint as Python's SPARQL clients use it: SPARQLWrapper and rdflib's SPARQLStore,
against the real server, with every return format they offer, over GET and POST, for every
query form.

SPARQLWrapper sends its return format three times over (`format`, `output`, `results`), as a
name (`rdf+xml`, `json-ld`, `n3`) and sometimes again as a media type or a comma list of them;
whatever of that names nothing we serve is left to its Accept header.
"""

import warnings
from xml.dom.minidom import Document

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import GET, POST, POSTDIRECTLY, URLENCODED, SPARQLWrapper
from SPARQLWrapper.Wrapper import _allowedFormats

# the clients' own use of rdflib, not ours
pytestmark = pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")

INITIATIVE = URIRef("https://w3id.org/sundhedsgraf/id/initiative/2.1")
TRIPLE = (URIRef("http://example.org/s"), URIRef("http://example.org/p"), Literal(42))
QUERIES = {
    "SELECT": "SELECT ?x WHERE { BIND(42 AS ?x) }",
    "ASK": "ASK { }",
    "CONSTRUCT": "CONSTRUCT { <http://example.org/s> <http://example.org/p> 42 } WHERE { }",
    "DESCRIBE": f"DESCRIBE <{INITIATIVE}>",
}
# (method, request method): GET, POST as a form, POST with the query as the body
WAYS = {
    "GET": (GET, URLENCODED),
    "POST form": (POST, URLENCODED),
    "POST query": (POST, POSTDIRECTLY),
}


def check_graph(form: str, graph: Graph) -> None:
    if form == "CONSTRUCT":
        assert set(graph) == {TRIPLE}
    else:
        assert len(graph) > 10 and (INITIATIVE, None, None) in graph


def check_text(form: str, body: bytes, content_type: str) -> None:
    """A body the client hands back as it came: results in CSV or TSV, or a graph as text."""
    kind = content_type.partition(";")[0].strip()
    if form == "SELECT":
        assert body.split() in ([b"x", b"42"], [b"?x", b"42"]), body
    elif form == "ASK":
        assert body.strip() == b"true", body
    else:
        rdflib_format = {"text/turtle": "turtle", "application/n-triples": "nt"}[kind]
        check_graph(form, Graph().parse(data=body, format=rdflib_format))


@pytest.mark.parametrize("form", QUERIES)
@pytest.mark.parametrize("way", WAYS)
@pytest.mark.parametrize("return_format", sorted(_allowedFormats))
def test_sparqlwrapper(server, return_format, way, form):
    client = SPARQLWrapper(server.url + "sparql")
    client.setQuery(QUERIES[form])
    client.setMethod(WAYS[way][0])
    client.setRequestMethod(WAYS[way][1])
    with warnings.catch_warnings():
        # it warns when the format asked for does not fit the form (CSV for a CONSTRUCT)
        warnings.simplefilter("ignore", RuntimeWarning)
        client.setReturnFormat(return_format)
        result = client.query()  # raises on any status but 2xx
        content_type = result.info()["content-type"]
        converted = result.convert()
    if isinstance(converted, Graph):
        check_graph(form, converted)
    elif isinstance(converted, dict):  # SPARQL results in JSON
        if form == "ASK":
            assert converted["boolean"] is True
        else:
            assert converted["results"]["bindings"] == [
                {"x": {"type": "literal", "value": "42", "datatype": str(Literal(42).datatype)}}
            ]
    elif isinstance(converted, Document):  # SPARQL results in XML
        xml = converted.toxml()
        assert ("<boolean>true</boolean>" if form == "ASK" else "<literal") in xml, xml
    else:
        check_text(form, converted, content_type)


# rdflib's store asks by Accept alone; "json" and "csv" name only results formats, so a graph
# is asked for in its default, "xml" (RDF/XML); the others get the Protocol's 406. CSV has no
# boolean form (SPARQL 1.1 CSV/TSV), so rdflib cannot read an ASK answer in it.
STORE_CASES = [("json", "SELECT"), ("json", "ASK"), ("csv", "SELECT")]
STORE_CASES += [("xml", form) for form in QUERIES]


@pytest.mark.parametrize("method", ["GET", "POST", "POST_FORM"])
@pytest.mark.parametrize(("return_format", "form"), STORE_CASES)
def test_rdflib_sparqlstore(server, return_format, form, method):
    store = SPARQLStore(server.url + "sparql", returnFormat=return_format, method=method)
    result = Graph(store).query(QUERIES[form])
    if form == "SELECT":
        assert [int(row[0]) for row in result] == [42]
    elif form == "ASK":
        assert result.askAnswer is True
    else:
        check_graph(form, result.graph)

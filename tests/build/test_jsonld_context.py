"""The JSON-LD @context others can use, at a stable address: /context.jsonld."""

import json

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import FOAF, RDFS

BASE = "https://w3id.org/sundhedsgraf/"


def test_the_context_is_served_as_json_ld_with_cors(server):
    response = server.client.get("/context.jsonld", headers={"origin": "https://example.org"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/ld+json")
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.headers["etag"]
    dist = server.client.get("/dist/context.jsonld")
    assert response.content == dist.content


def test_a_document_of_someone_else_reads_with_our_context(server):
    context = server.client.get("/context.jsonld").json()["@context"]
    theirs = {
        "@context": context,
        "@id": "sgd:system/fmk",
        "label": {"da": "Fælles Medicinkort"},
        "homepage": "https://example.org/fmk",
        "dependsOn": "sgd:system/sor",
    }
    graph = Graph().parse(data=json.dumps(theirs), format="json-ld")
    fmk = URIRef(BASE + "id/system/fmk")
    assert (fmk, RDFS.label, Literal("Fælles Medicinkort", lang="da")) in graph
    assert (fmk, FOAF.homepage, URIRef("https://example.org/fmk")) in graph
    assert (fmk, URIRef(BASE + "def#dependsOn"), URIRef(BASE + "id/system/sor")) in graph


def test_every_link_property_of_the_data_has_a_term(server):
    context = server.client.get("/context.jsonld").json()["@context"]
    terms = {value["@id"] for value in context.values() if isinstance(value, dict)}
    for curie in ("foaf:homepage", "adms:identifier", "rdfs:seeAlso", "sg:messageFocus"):
        assert curie in terms

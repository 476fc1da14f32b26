"""The linked-data side of `sundhedsgraf serve`, over HTTP against the real server.

Dereferencing (303 from /id/ to /doc/), bounded descriptions and their paging, content
negotiation, the public URL and the base IRI, the Graph Store (read side), the dumps,
conditional requests, the VoID description, and switching to a new build while serving.
Expected answers are read from the build itself (its store and manifest), never typed in.
"""

import hashlib
import http.client
import json
import math
import re
import subprocess
import sys
import time
from datetime import datetime
from email.utils import format_datetime
from pathlib import Path
from urllib.parse import quote, urlsplit

import pyoxigraph as ox
import pytest
from conftest import EPOCH, build_root, copy_project, free_port, media_type
from rdflib import Graph
from rdflib.compare import isomorphic

from sundhedsgraf.cli import main
from sundhedsgraf.publication import Current, build_folder, open_publication
from sundhedsgraf.rdfio import to_rdflib
from sundhedsgraf.settings import Settings
from sundhedsgraf.stores import read_manifest

RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
RDFS_LABEL = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
SKOS_PREF_LABEL = ox.NamedNode("http://www.w3.org/2004/02/skos/core#prefLabel")
FOAF_PRIMARY_TOPIC = ox.NamedNode("http://xmlns.com/foaf/0.1/primaryTopic")
HYDRA = "http://www.w3.org/ns/hydra/core#"
VOID = "http://rdfs.org/ns/void#"
DCAT_DATASET = ox.NamedNode("http://www.w3.org/ns/dcat#Dataset")
OWL_ONTOLOGY = ox.NamedNode("http://www.w3.org/2002/07/owl#Ontology")

# What the server promises: documents in four formats, whole graphs in six (media type: ext).
DOCUMENT_FORMATS = {
    "text/turtle": "ttl",
    "application/ld+json": "jsonld",
    "application/n-triples": "nt",
    "application/rdf+xml": "rdf",
}
# A document's Link header also names its HTML page (pages.py): media type -> extension.
DOCUMENT_LINKS = DOCUMENT_FORMATS | {"text/html": "html"}
GRAPH_FORMATS = DOCUMENT_FORMATS | {"application/trig": "trig", "application/n-quads": "nq"}
# The media type of each kind of file in dist/, by extension.
FILE_TYPES = {
    ".ttl": "text/turtle",
    ".nt": "application/n-triples",
    ".jsonld": "application/ld+json",
    ".rdf": "application/rdf+xml",
    ".trig": "application/trig",
    ".nq": "application/n-quads",
    ".json": "application/json",
    ".csv": "text/csv",
    "csv-metadata.json": "application/csvm+json",  # W3C's type for CSVW metadata
}
OTHER_BASE = "http://data.example.dk/sg/"
PUBLIC = "https://example.org/sg/"


# ---- helpers ------------------------------------------------------------------------------


def served_store(root: Path) -> ox.Store:
    """What a build serves: its named graphs plus the dataset description in <base>graph/dataset."""
    store = open_publication(root).store
    base = read_manifest(build_folder(root))["base_iri"]
    store.load(
        path=root / "dist" / "dataset.ttl",
        format=ox.RdfFormat.TURTLE,
        to_graph=ox.NamedNode(base + "graph/dataset"),
    )
    return store


def triples_of(store: ox.Store, subject=None, predicate=None, obj=None, graph=None) -> set:
    """Distinct triples matching the pattern (a triple in two graphs counts once)."""
    quads = store.quads_for_pattern(subject, predicate, obj, graph)
    return {ox.Triple(q.subject, q.predicate, q.object) for q in quads}


def closure(triples, node) -> set:
    """The triples of `node` and of the blank nodes they lead to, each blank node once."""
    by_subject: dict = {}
    for t in triples:
        by_subject.setdefault(t.subject, set()).add(t)
    found, todo, seen = set(), [node], {node}
    while todo:
        for t in by_subject.get(todo.pop(), ()):
            found.add(t)
            if isinstance(t.object, ox.BlankNode) and t.object not in seen:
                seen.add(t.object)
                todo.append(t.object)
    return found


def has_blank_nodes(triples) -> bool:
    return any(isinstance(term, ox.BlankNode) for t in triples for term in t)


def assert_same_triples(actual: set, expected: set, what: str) -> None:
    """Equal sets of triples; with blank nodes, equal up to blank-node renaming."""
    if not has_blank_nodes(actual) and not has_blank_nodes(expected):
        missing, extra = expected - actual, actual - expected
        assert not missing and not extra, f"{what}: missing {missing}, unexpected {extra}"
        return
    graphs = []
    for triples in (actual, expected):
        graph = Graph()
        for t in triples:
            graph.add(tuple(to_rdflib(term) for term in t))
        graphs.append(graph)
    assert isomorphic(*graphs), f"{what}: not the same graph"


def parse(response) -> set:
    """The triples of an RDF answer, in whatever format its Content-Type says."""
    rdf_format = ox.RdfFormat.from_media_type(media_type(response))
    assert rdf_format is not None, response.headers["content-type"]
    return {
        ox.Triple(q.subject, q.predicate, q.object)
        for q in ox.parse(response.content, format=rdf_format, base_iri=str(response.url))
    }


LINK = re.compile(r'<([^>]*)>\s*;\s*rel="([^"]*)"(?:\s*;\s*type="([^"]*)")?')


def links(response) -> dict[str, list[tuple[str, str | None]]]:
    """rel -> [(url, type)] from the Link header."""
    found: dict = {}
    for url, rel, kind in LINK.findall(response.headers.get("link", "")):
        found.setdefault(rel, []).append((url, kind or None))
    return found


def link(response, rel: str) -> str | None:
    urls = links(response).get(rel, [])
    assert len(urls) <= 1, f"several rel={rel} links: {urls}"
    return urls[0][0] if urls else None


def vary(response) -> set[str]:
    return {v.strip().lower() for v in response.headers.get("vary", "").split(",")}


def without_accept(client, url: str):
    """GET with no Accept header at all (httpx sends */* unless it is removed)."""
    request = client.build_request("GET", url)
    del request.headers["accept"]
    return client.send(request)


def raw_get(server, path: str) -> tuple[int, bytes]:
    """GET a path exactly as written (no dot-segment removal by the client)."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        connection.putrequest("GET", path, skip_accept_encoding=True)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def http_date(root: Path) -> str:
    """The build time of `root`, as an HTTP date (what Last-Modified should say)."""
    built = datetime.fromisoformat(read_manifest(build_folder(root))["built"])
    return format_datetime(built, usegmt=True)


def id_iris(store: ox.Store, base: str, position: str) -> set[ox.NamedNode]:
    """IRIs under <base>id/ used as subject (or object) in the store."""
    return {
        getattr(q, position)
        for q in store.quads_for_pattern(None, None, None)
        if isinstance(getattr(q, position), ox.NamedNode)
        and getattr(q, position).value.startswith(base + "id/")
    }


def check_dereferences(server, store: ox.Store, base: str, node: ox.NamedNode) -> set:
    """/id/... answers 303 to the document, which describes `node`; its triples."""
    path = node.value[len(base + "id/") :]
    redirect = server.client.get("id/" + path, follow_redirects=False)
    assert redirect.status_code == 303, (node, redirect.status_code, redirect.text)
    assert redirect.headers["location"] == server.url + "doc/" + path
    document = server.client.get(redirect.headers["location"], headers={"Accept": "text/turtle"})
    assert document.status_code == 200, (node, document.status_code, document.text)
    assert media_type(document) == "text/turtle"
    got = parse(document)
    assert_same_triples(
        closure(got, node), closure(triples_of(store), node), f"outgoing triples of {node}"
    )
    assert ox.Triple(ox.NamedNode(server.url + "doc/" + path), FOAF_PRIMARY_TOPIC, node) in got
    return got


def inbound_in(document: set, node, server_url: str) -> set:
    """The triples of a document that link to `node`, but for the document's own."""
    return {t for t in document if t.object == node and not t.subject.value.startswith(server_url)}


def total_items(document: set) -> int:
    values = [t.object for t in document if t.predicate.value == HYDRA + "totalItems"]
    assert len(values) == 1, values
    return int(values[0].value)


def labels_of(store: ox.Store, node) -> set:
    return triples_of(store, node, RDFS_LABEL) | triples_of(store, node, SKOS_PREF_LABEL)


def wait_for(condition, timeout: float = 10.0, step: float = 0.2):
    """Poll `condition` until it returns something true, at most `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(step)


def build(root: Path, *options: str) -> int:
    return main(["build", "--root", str(root), *options])


# ---- fixtures -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real_store(real_root) -> ox.Store:
    return served_store(real_root)


@pytest.fixture(scope="module")
def base(real_root) -> str:
    return read_manifest(build_folder(real_root))["base_iri"]


@pytest.fixture(scope="module")
def other_root(tmp_path_factory) -> Path:
    """The real data built under another base IRI."""
    return build_root(copy_project(tmp_path_factory.mktemp("other-base")), "--base-iri", OTHER_BASE)


# ---- dereferencing ------------------------------------------------------------------------


def test_every_subject_under_id_dereferences_to_its_description(server, real_store, base):
    subjects = id_iris(real_store, base, "subject")
    assert subjects
    page_size = Settings().describe_page  # the server runs with the default
    for node in sorted(subjects, key=lambda n: n.value):
        got = check_dereferences(server, real_store, base, node)
        inbound = triples_of(real_store, None, None, node)
        shown = inbound_in(got, node, server.url)
        assert shown <= inbound, f"{node}: inbound links the store does not have"
        assert len(shown) == min(len(inbound), page_size), node
        assert total_items(got) == len(inbound), node
        # Labels of what the description links to.
        linked = {t.object for t in closure(got, node) if isinstance(t.object, ox.NamedNode)}
        linked |= {t.subject for t in shown}
        for other in linked - {node}:
            missing = labels_of(real_store, other) - got
            assert not missing, f"{node}: labels of {other} missing: {missing}"
        # The same description in JSON-LD.
        path = node.value[len(base + "id/") :]
        as_json_ld = server.client.get("doc/" + path, headers={"Accept": "application/ld+json"})
        assert media_type(as_json_ld) == "application/ld+json"
        assert_same_triples(parse(as_json_ld), got, f"{node} in JSON-LD against Turtle")


def test_iris_only_used_as_objects_dereference(server, real_store, base, built, start_server):
    """The real build has none (today); the tiny fixture project links to a scheme it does
    not describe. Either way such an IRI is known: 303, and a document of its inbound links."""
    tiny_store = served_store(built)
    tiny_base = read_manifest(build_folder(built))["base_iri"]
    tiny_only = id_iris(tiny_store, tiny_base, "object") - id_iris(tiny_store, tiny_base, "subject")
    assert tiny_only, "the tiny fixture should link to an IRI it does not describe"
    cases = [
        (server, real_store, base, node)
        for node in (id_iris(real_store, base, "object") - id_iris(real_store, base, "subject"))
    ]
    tiny = start_server(root=built)
    cases += [(tiny, tiny_store, tiny_base, node) for node in tiny_only]
    for running, store, iri_base, node in cases:
        got = check_dereferences(running, store, iri_base, node)
        inbound = triples_of(store, None, None, node)
        assert inbound_in(got, node, running.url) == inbound
        assert total_items(got) == len(inbound)


@pytest.mark.parametrize("prefix", ["id", "doc"])
@pytest.mark.parametrize(
    "path",
    [
        "no-such-thing",
        "initiative/99.99",
        "system/fmk/extra",
        "initiative/2.1.ttl/x",
        # Not even an IRI: a space, braces, a control character.
        "system/not an iri",
        "system/{fmk}",
        "system/f\x0fmk",
        "system/fmk\x7f.ttl",
    ],
)
def test_unknown_iri_is_404_with_a_message(server, real_store, base, prefix, path):
    known = id_iris(real_store, base, "subject") | id_iris(real_store, base, "object")
    assert base + "id/" + path not in {node.value for node in known}
    response = server.client.get(f"{prefix}/{quote(path)}", follow_redirects=False)
    assert response.status_code == 404
    assert media_type(response) == "text/plain"
    # the message echoes the decoded path: a browser must not sniff it as HTML
    assert response.headers["x-content-type-options"] == "nosniff"
    # The message names the IRI looked for (a document URL's extension is not part of it).
    resource = path.removesuffix(".ttl") if prefix == "doc" else path
    assert base + "id/" + resource in response.text


@pytest.mark.parametrize("page", ["x", "0", "-1", "1.5"])
def test_a_bad_page_number_is_a_400_naming_it(server, page):
    url = f"/doc/initiative/2.1?page={page}"
    response = server.client.get(url, headers={"accept": "text/turtle"})
    assert response.status_code == 400
    assert media_type(response) == "text/plain"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.text == f"page must be a positive whole number, not {page!r}\n"


# ---- content negotiation ------------------------------------------------------------------


@pytest.mark.parametrize("path", ["system/fmk", "initiative/2.1"])
@pytest.mark.parametrize(
    "accept, expected",
    [
        ("text/turtle", "text/turtle"),
        ("application/ld+json", "application/ld+json"),
        ("application/n-triples", "application/n-triples"),
        ("application/rdf+xml", "application/rdf+xml"),
        ("*/*", "text/turtle"),
        ("text/*", "text/turtle"),
        ("application/rdf+xml;q=0.9, text/turtle;q=0.5", "application/rdf+xml"),
        ("text/turtle;q=0.1, application/n-triples", "application/n-triples"),
        ("*/*;q=0.1, application/ld+json;q=0.5", "application/ld+json"),
        ("text/html;q=0.1, application/xhtml+xml, */*;q=0.8", "text/turtle"),
        ("*/*, text/turtle;q=0", "application/ld+json"),
        ("APPLICATION/N-TRIPLES", "application/n-triples"),
    ],
)
def test_documents_negotiate_the_format(server, path, accept, expected):
    response = server.client.get("doc/" + path, headers={"Accept": accept})
    assert response.status_code == 200, response.text
    assert media_type(response) == expected
    url = server.url + "doc/" + path
    assert response.headers["content-location"] == f"{url}.{DOCUMENT_FORMATS[expected]}"
    assert "accept" in vary(response)
    alternates = links(response)["alternate"]
    assert sorted(alternates) == sorted(
        (f"{url}.{ext}", kind) for kind, ext in DOCUMENT_LINKS.items()
    )
    assert parse(response)


@pytest.mark.parametrize("path", ["system/fmk", "initiative/2.1"])
def test_no_accept_header_gives_turtle(server, path):
    response = without_accept(server.client, "doc/" + path)
    assert "accept" not in response.request.headers
    assert response.status_code == 200
    assert media_type(response) == "text/turtle"
    assert response.headers["content-location"] == server.url + f"doc/{path}.ttl"


@pytest.mark.parametrize(
    "accept",
    ["application/xhtml+xml", "application/json", "application/trig", "image/png, text/csv;q=0.5"],
)
def test_unservable_accept_is_406(server, accept):
    response = server.client.get("doc/system/fmk", headers={"Accept": accept})
    assert response.status_code == 406
    assert response.text.strip()


@pytest.mark.parametrize("path", ["system/fmk", "initiative/2.1"])
@pytest.mark.parametrize("kind, ext", list(DOCUMENT_FORMATS.items()))
def test_extension_urls_fix_the_format(server, path, kind, ext):
    for accept in ("text/turtle", "application/ld+json", "text/html", "*/*"):
        response = server.client.get(f"doc/{path}.{ext}", headers={"Accept": accept})
        assert response.status_code == 200, (accept, response.text)
        assert media_type(response) == kind
        assert response.headers["content-location"] == server.url + f"doc/{path}.{ext}"
        assert len(links(response)["alternate"]) == len(DOCUMENT_LINKS)


@pytest.mark.parametrize("ext", ["htm", "xyz", "json", "trig", "nq", "TTL"])
def test_unknown_extension_is_404(server, ext):
    for path in ("system/fmk", "initiative/2.1"):
        response = server.client.get(f"doc/{path}.{ext}")
        assert response.status_code == 404, (path, ext, response.status_code)


@pytest.mark.parametrize(
    "path", ["system/fmk", "initiative/2.1", "dataset", "milestone-status/achieved"]
)
def test_every_format_says_the_same_as_turtle(server, path):
    turtle = parse(server.client.get(f"doc/{path}.ttl"))
    assert turtle
    for ext in ("jsonld", "nt", "rdf"):
        other = server.client.get(f"doc/{path}.{ext}")
        assert other.status_code == 200
        assert_same_triples(parse(other), turtle, f"{path}.{ext} against Turtle")
    json_ld = server.client.get(f"doc/{path}", headers={"Accept": "application/ld+json"})
    json.loads(json_ld.text)  # real JSON
    assert_same_triples(parse(json_ld), turtle, f"{path} as JSON-LD against Turtle")


# ---- bounded descriptions and paging ------------------------------------------------------


def test_inbound_links_are_paged(start_server, real_store, base):
    page_size = 5
    running = start_server(env={"SUNDHEDSGRAF_DESCRIBE_PAGE": str(page_size)})
    inbound_counts = {
        node: len(triples_of(real_store, None, None, node))
        for node in id_iris(real_store, base, "object")
    }
    node = max(sorted(inbound_counts, key=lambda n: n.value), key=inbound_counts.get)
    expected = triples_of(real_store, None, None, node)
    assert len(expected) > 2 * page_size, "the test needs a resource with several pages"
    pages = math.ceil(len(expected) / page_size)
    path = node.value[len(base + "id/") :]
    url = running.url + "doc/" + path
    outgoing = closure(triples_of(real_store), node)

    seen: list = []
    next_url, number = url, 0
    while next_url:
        number += 1
        assert number <= pages, "more pages than the inbound links fill"
        response = running.client.get(next_url, headers={"Accept": "text/turtle"})
        assert response.status_code == 200, response.text
        expected_url = url if number == 1 else f"{url}?page={number}"
        assert str(response.url) == expected_url
        suffix = "" if number == 1 else f"?page={number}"
        assert response.headers["content-location"] == f"{url}.ttl{suffix}"
        got = parse(response)
        shown = inbound_in(got, node, running.url)
        assert len(shown) == (page_size if number < pages else len(expected) - len(seen))
        assert shown <= expected
        seen += shown
        assert total_items(got) == len(expected)
        assert_same_triples(closure(got, node), outgoing, f"outgoing triples on page {number}")
        for other in {t.subject for t in shown} | {
            t.object for t in outgoing if isinstance(t.object, ox.NamedNode)
        }:
            assert labels_of(real_store, other) <= got, f"labels of {other} on page {number}"
        # Paging in the Link header and in the body (Hydra).
        assert link(response, "first") == url
        assert link(response, "last") == f"{url}?page={pages}"
        assert link(response, "prev") == (
            None if number == 1 else (url if number == 2 else f"{url}?page={number - 1}")
        )
        next_url = link(response, "next")
        assert next_url == (None if number == pages else f"{url}?page={number + 1}")
        document = ox.NamedNode(expected_url)
        hydra_next = {
            t.object.value
            for t in got
            if t.subject == document and t.predicate.value == HYDRA + "next"
        }
        assert hydra_next == ({next_url} if next_url else set())
        hydra_last = {t.object.value for t in got if t.predicate.value == HYDRA + "last"}
        assert hydra_last == {f"{url}?page={pages}"}
    assert number == pages
    assert len(seen) == len(set(seen)), "an inbound link on two pages"
    assert set(seen) == expected

    past = running.client.get(f"{url}?page={pages + 1}")
    assert past.status_code == 404
    assert past.text.strip()
    for bad in ("0", "x", "-1", "", "1.5", "2x"):
        response = running.client.get(url, params={"page": bad})
        assert response.status_code == 400, (bad, response.status_code)
        assert response.text.strip()
    # The page number works with an extension URL too.
    second = running.client.get(f"{url}.nt?page=2")
    assert second.status_code == 200
    assert media_type(second) == "application/n-triples"
    assert second.headers["content-location"] == f"{url}.nt?page=2"


# ---- public URL and base IRI --------------------------------------------------------------


def test_public_url_is_used_in_location_link_and_content_location(start_server, base):
    running = start_server("--public-url", PUBLIC)
    assert running.url.startswith("http://127.0.0.1:")
    redirect = running.client.get("id/system/fmk", follow_redirects=False)
    assert redirect.status_code == 303
    assert redirect.headers["location"] == PUBLIC + "doc/system/fmk"
    document = running.client.get("doc/initiative/2.1", headers={"Accept": "text/turtle"})
    assert document.status_code == 200
    assert document.headers["content-location"] == PUBLIC + "doc/initiative/2.1.ttl"
    urls = [url for found in links(document).values() for url, _ in found]
    assert len(urls) >= len(DOCUMENT_FORMATS) + 2
    assert all(url.startswith(PUBLIC + "doc/initiative/2.1") for url in urls), urls
    got = parse(document)
    topic = ox.NamedNode(base + "id/initiative/2.1")
    assert ox.Triple(ox.NamedNode(PUBLIC + "doc/initiative/2.1"), FOAF_PRIMARY_TOPIC, topic) in got
    assert "127.0.0.1" not in document.text
    dataset = running.client.get("dataset", follow_redirects=False)
    assert dataset.headers["location"] == PUBLIC + "doc/dataset"
    graph = running.client.get("graph/data", follow_redirects=False)
    assert graph.headers["location"].startswith(PUBLIC + "graph-store?graph=")


def test_a_build_under_another_base_is_served_under_it(start_server, other_root):
    store = served_store(other_root)
    running = start_server(root=other_root)
    node = ox.NamedNode(OTHER_BASE + "id/system/fmk")
    got = check_dereferences(running, store, OTHER_BASE, node)
    assert any(t.subject == node for t in got)
    as_nt = running.client.get("doc/system/fmk", headers={"Accept": "application/n-triples"})
    assert f"<{OTHER_BASE}id/system/fmk>" in as_nt.text
    iris = {term.value for t in got for term in t if isinstance(term, ox.NamedNode)}
    assert not any(iri.startswith("https://w3id.org/sundhedsgraf/") for iri in iris)
    as_json_ld = parse(running.client.get("doc/system/fmk.jsonld"))
    assert_same_triples(as_json_ld, got, "JSON-LD against Turtle under another base")
    assert running.client.get("health").json()["base_iri"] == OTHER_BASE
    # Serving it with the base it was built under is fine too.
    same = start_server("--base-iri", OTHER_BASE, root=other_root)
    assert same.client.get("id/system/fmk", follow_redirects=False).status_code == 303


def test_public_url_under_the_default_base_does_not_rewrite_other_iris(start_server, other_root):
    """A build under another base, served at an address under the default base (a mirror):
    JSON-LD must say what Turtle says, no IRI rewritten."""
    running = start_server("--public-url", "https://w3id.org/sundhedsgraf/", root=other_root)
    turtle = parse(running.client.get("doc/system/fmk.ttl"))
    assert_same_triples(parse(running.client.get("doc/system/fmk.jsonld")), turtle, "JSON-LD")


def test_serve_refuses_a_build_under_another_base(other_root):
    command = [sys.executable, "-m", "sundhedsgraf", "serve", "--root", str(other_root)]
    command += ["--port", str(free_port()), "--base-iri", "https://w3id.org/sundhedsgraf/"]
    finished = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert finished.returncode != 0
    assert OTHER_BASE in finished.stderr
    assert "https://w3id.org/sundhedsgraf/" in finished.stderr
    assert "Traceback" not in finished.stderr


# ---- the Graph Store ----------------------------------------------------------------------


def test_graph_store_default_is_the_union(server, real_store):
    response = server.client.get("graph-store?default", headers={"Accept": "text/turtle"})
    assert response.status_code == 200
    assert media_type(response) == "text/turtle"
    got = parse(response)
    assert len(got) == len(triples_of(real_store))
    assert_same_triples(got, triples_of(real_store), "the default graph")


def test_graph_store_named_graphs(server, real_store):
    names = sorted(g.value for g in real_store.named_graphs())
    assert len(names) >= 3  # data, ontology, dataset
    for name in names:
        response = server.client.get("graph-store", params={"graph": name})
        assert response.status_code == 200, (name, response.text)
        expected = triples_of(real_store, graph=ox.NamedNode(name))
        got = parse(response)
        assert len(got) == len(expected)
        assert_same_triples(got, expected, name)


@pytest.mark.parametrize("kind", list(GRAPH_FORMATS))
def test_graph_store_formats(server, real_store, base, kind):
    name = base + "graph/ontology"
    response = server.client.get("graph-store", params={"graph": name}, headers={"Accept": kind})
    assert response.status_code == 200
    assert media_type(response) == kind
    assert "accept" in vary(response)
    assert_same_triples(parse(response), triples_of(real_store, graph=ox.NamedNode(name)), kind)


@pytest.mark.parametrize(
    "query, status",
    [
        ("", 400),
        ("?default&graph=https://w3id.org/sundhedsgraf/graph/data", 400),
        (
            "?graph=https://w3id.org/sundhedsgraf/graph/data"
            "&graph=https://w3id.org/sundhedsgraf/graph/ontology",
            400,
        ),
        ("?graph=https://w3id.org/sundhedsgraf/graph/nope", 404),
        ("?graph=", 404),
    ],
)
def test_graph_store_bad_requests(server, query, status):
    response = server.client.get("graph-store" + query)
    assert response.status_code == status
    assert response.text.strip()


def test_graph_store_unservable_accept_is_406(server):
    response = server.client.get("graph-store?default", headers={"Accept": "text/html"})
    assert response.status_code == 406


def test_graph_names_redirect_to_the_graph_store(server, real_store, base):
    for name in sorted(g.value for g in real_store.named_graphs()):
        short = name[len(base + "graph/") :]
        response = server.client.get("graph/" + short, follow_redirects=False)
        assert response.status_code == 303
        location = response.headers["location"]
        assert location == server.url + "graph-store?graph=" + quote(name, safe="")
        followed = server.client.get(location)
        assert followed.status_code == 200
        assert len(parse(followed)) == len(triples_of(real_store, graph=ox.NamedNode(name)))
    assert server.client.get("graph/nope", follow_redirects=False).status_code == 404


# ---- dumps --------------------------------------------------------------------------------


def test_every_file_of_the_manifest_is_served(server, real_root):
    manifest = read_manifest(build_folder(real_root))
    assert manifest["files"]
    for entry in manifest["files"]:
        name = entry["name"]
        response = server.client.get("dist/" + name)
        assert response.status_code == 200, name
        assert len(response.content) == entry["bytes"]
        assert hashlib.sha256(response.content).hexdigest() == entry["sha256"], name
        assert response.headers["etag"] == f'"{entry["sha256"]}"'
        assert response.headers["last-modified"] == http_date(real_root)
        assert media_type(response) == FILE_TYPES.get(name, FILE_TYPES[Path(name).suffix]), name
        assert response.headers["content-disposition"] == f'attachment; filename="{name}"'
        again = server.client.get(
            "dist/" + name, headers={"If-None-Match": response.headers["etag"]}
        )
        assert again.status_code == 304, name
        assert again.content == b""
        assert again.headers["etag"] == response.headers["etag"]
        head = server.client.head("dist/" + name)
        assert head.status_code == 200 and head.content == b""
        assert head.headers["etag"] == response.headers["etag"]


def test_the_manifest_itself_is_served(server, real_root):
    response = server.client.get("dist/manifest.json")
    assert response.status_code == 200
    raw = (real_root / "dist" / "manifest.json").read_bytes()
    assert response.content == raw
    assert response.headers["etag"] == f'"{hashlib.sha256(raw).hexdigest()}"'
    assert media_type(response) == "application/json"


def test_dumps_outside_dist_are_not_served(server, real_root):
    assert server.client.get("dist/no-such-file.ttl").status_code == 404
    assert server.client.get("dist/").status_code == 404
    outside = (real_root / "data" / "focus-area-1.ttl").read_bytes()
    for path in [
        "/dist/../manifest.json",
        "/dist/../../data/focus-area-1.ttl",
        "/dist/%2e%2e/manifest.json",
        "/dist/..%2fmanifest.json",
        "/dist/..%2F..%2Fdata%2Ffocus-area-1.ttl",
        "/dist/%2e%2e%2f%2e%2e%2fdata%2ffocus-area-1.ttl",
        "/dist/..",
        "/dist/%2e%2e",
        "/dist/.",
        "/dist/%2fetc%2fpasswd",
        "/dist//etc/passwd",
    ]:
        status, body = raw_get(server, path)
        assert status == 404, (path, status)
        assert body != outside


# ---- conditional requests, HEAD, CORS -----------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "doc/system/fmk",
        "doc/initiative/2.1.jsonld",
        "graph-store?default",
        "graph-store?graph=https%3A%2F%2Fw3id.org%2Fsundhedsgraf%2Fgraph%2Fontology",
        "def",
        ".well-known/void",
    ],
)
def test_etag_last_modified_304_and_head(server, real_root, url):
    response = server.client.get(url)
    assert response.status_code == 200
    etag = response.headers["etag"]
    assert re.fullmatch(r'"[^"]+"', etag), "a strong ETag"
    assert response.headers["last-modified"] == http_date(real_root)
    assert server.client.get(url).headers["etag"] == etag, "the same bytes, the same ETag"
    for match in (etag, f'"other", {etag}', "*"):
        cached = server.client.get(url, headers={"If-None-Match": match})
        assert cached.status_code == 304, match
        assert cached.content == b""
        assert cached.headers["etag"] == etag
    changed = server.client.get(url, headers={"If-None-Match": '"something-else"'})
    assert changed.status_code == 200
    assert changed.content == response.content
    since = server.client.get(url, headers={"If-Modified-Since": response.headers["last-modified"]})
    assert since.status_code == 304
    head = server.client.head(url)
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["etag"] == etag
    assert head.headers["content-type"] == response.headers["content-type"]


def test_formats_have_their_own_etags(server):
    etags = {
        server.client.get(f"doc/system/fmk.{ext}").headers["etag"]
        for ext in DOCUMENT_FORMATS.values()
    }
    assert len(etags) == len(DOCUMENT_FORMATS)


def test_cors_on_documents(server):
    origin = {"Origin": "https://example.com"}
    for url in ("doc/system/fmk", "graph-store?default", "dist/manifest.json"):
        response = server.client.get(url, headers=origin)
        assert response.status_code == 200
        assert response.headers["access-control-allow-origin"] == "*"
    redirect = server.client.get("id/system/fmk", headers=origin, follow_redirects=False)
    assert redirect.headers["access-control-allow-origin"] == "*"
    exposed = {
        h.strip().lower()
        for h in server.client.get("doc/system/fmk", headers=origin)
        .headers["access-control-expose-headers"]
        .split(",")
    }
    assert {"link", "content-location", "etag"} <= exposed


# ---- dataset description, ontology, health -------------------------------------------------


def test_void_describes_the_dataset(server, real_store, base):
    response = server.client.get(".well-known/void")
    assert response.status_code == 200
    got = parse(response)
    dataset = ox.NamedNode(base + "id/dataset")
    assert ox.Triple(dataset, RDF_TYPE, DCAT_DATASET) in got
    assert ox.Triple(dataset, RDF_TYPE, ox.NamedNode(VOID + "Dataset")) in got
    counts = [
        t.object for t in got if t.subject == dataset and t.predicate.value == VOID + "triples"
    ]
    assert len(counts) == 1
    published = triples_of(real_store, graph=ox.NamedNode(base + "graph/data")) | triples_of(
        real_store, graph=ox.NamedNode(base + "graph/ontology")
    )
    assert int(counts[0].value) == len(published)
    assert_same_triples(
        got, triples_of(real_store, graph=ox.NamedNode(base + "graph/dataset")), "void"
    )
    redirect = server.client.get("dataset", follow_redirects=False)
    assert redirect.status_code == 303
    assert redirect.headers["location"] == server.url + "doc/dataset"
    assert server.client.get(redirect.headers["location"]).status_code == 200


def test_def_is_the_ontology(server, real_root, real_store, base):
    ontology = triples_of(real_store, graph=ox.NamedNode(base + "graph/ontology"))
    for url, kind in [("def", "text/turtle")] + [
        (f"def.{ext}", kind) for kind, ext in GRAPH_FORMATS.items()
    ]:
        response = server.client.get(url)
        assert response.status_code == 200, url
        assert media_type(response) == kind
        got = parse(response)
        assert ox.Triple(ox.NamedNode(base + "def"), RDF_TYPE, OWL_ONTOLOGY) in got
        assert_same_triples(got, ontology, url)
    assert server.client.get("def.xyz").status_code == 404
    shapes = server.client.get("shapes")
    assert shapes.status_code == 200
    assert media_type(shapes) == "text/turtle"
    assert shapes.content == (real_root / "dist" / "shapes.ttl").read_bytes()


def test_health(server, real_root):
    response = server.client.get("health")
    assert response.status_code == 200
    assert media_type(response) == "application/json"
    body = response.json()
    manifest = read_manifest(build_folder(real_root))
    assert body["build"] == manifest["built"]
    assert body["triples"] == manifest["triples"]
    assert body["base_iri"] == manifest["base_iri"]


def test_index_names_where_things_are(server, real_root):
    body = server.client.get("", headers={"Accept": "application/json"}).json()
    names = {e["name"] for e in read_manifest(build_folder(real_root))["files"]} | {"manifest.json"}
    assert {url.removeprefix(server.url + "dist/") for url in body["dumps"]} == names
    for key in ("sparql", "void", "graph_store", "ontology", "openapi"):
        assert urlsplit(body[key]).netloc == urlsplit(server.url).netloc


# ---- a new build while serving ------------------------------------------------------------


def test_an_idle_server_takes_up_a_new_build_unasked(built, start_server, monkeypatch):
    """The server looks at dist/ every second without being asked, so the first request after
    a quiet spell is answered from the newest build (replicas behind a proxy may be idle)."""
    running = start_server(root=built)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(EPOCH) + 86400))
    assert build(built) == 0
    time.sleep(3 * Current.CHECK_EVERY)  # no request meanwhile; the tiny build loads at once
    newest = read_manifest(build_folder(built))["built"]
    assert running.client.get("health").json()["build"] == newest


def test_a_rebuild_is_picked_up_and_a_failed_one_is_not(built, start_server, monkeypatch):
    running = start_server(root=built)
    first_health = running.client.get("health").json()
    first_etag = running.client.get("dist/manifest.json").headers["etag"]
    node = "system/minlaege"
    old_label, new_label = '"MinLæge"@en', '"MinLæge, the app"@en'
    new_text = new_label[1:-4]
    assert new_text not in running.client.get(f"doc/{node}").text

    data = built / "data" / "focus-area-1.ttl"
    text = data.read_text(encoding="utf-8")
    assert old_label in text
    data.write_text(text.replace(old_label, new_label), encoding="utf-8")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(EPOCH) + 86400))
    assert build(built) == 0
    second_built = read_manifest(build_folder(built))["built"]
    assert second_built != first_health["build"]

    def switched():
        return running.client.get("health").json()["build"] == second_built

    assert wait_for(switched, timeout=10), "the server did not switch to the new build"
    second_etag = running.client.get("dist/manifest.json").headers["etag"]
    assert second_etag != first_etag
    raw = (built / "dist" / "manifest.json").read_bytes()
    assert second_etag == f'"{hashlib.sha256(raw).hexdigest()}"'
    document = running.client.get(f"doc/{node}").text
    assert new_text in document
    assert running.client.get("dist/manifest.json").content == raw

    # A build that fails leaves dist/ and what the server answers as they were.
    link_target = (built / "dist").readlink()
    data.write_text(text + "\nthis is not turtle\n", encoding="utf-8")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(EPOCH) + 2 * 86400))
    assert build(built) != 0
    assert (built / "dist").readlink() == link_target
    deadline = time.monotonic() + 3 * Current.CHECK_EVERY + 0.5
    while time.monotonic() < deadline:  # past the server's next look at dist/
        health = running.client.get("health")
        assert health.status_code == 200
        assert health.json()["build"] == second_built
        time.sleep(0.2)
    assert running.client.get("dist/manifest.json").headers["etag"] == second_etag
    assert new_text in running.client.get(f"doc/{node}").text

    # And the next good build is picked up again.
    data.write_text(text, encoding="utf-8")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(EPOCH) + 3 * 86400))
    assert build(built) == 0
    third_built = read_manifest(build_folder(built))["built"]
    assert wait_for(lambda: running.client.get("health").json()["build"] == third_built)
    assert new_text not in running.client.get(f"doc/{node}").text

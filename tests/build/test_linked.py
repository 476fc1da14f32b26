"""`sundhedsgraf link load|list|remove`: outside datasets as named graphs beside ours, in every
build (a file, a named graph, a description), and the local twin of the federated example."""

import gzip
import hashlib
from pathlib import Path

import pyoxigraph as ox
import pytest
from conftest import EPOCH, REPO, Server, copy_project, snapshot
from oxigraph_server import Oxigraph
from rdflib import RDF, XSD, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS

from sundhedsgraf.build import dcat_ap
from sundhedsgraf.cli import main
from sundhedsgraf.namespaces import DEFAULT_BASE, prefixes
from sundhedsgraf.pages.labels import build_index
from sundhedsgraf.pages.pictures._svg import select
from sundhedsgraf.pages.query import read_examples
from sundhedsgraf.publication import open_publication
from sundhedsgraf.stores import open_store, read_manifest

SAMPLE = REPO / "tests/fixtures/federation/eu-authority-sample.ttl"
FEDERATED = REPO / "queries/federated/languages-with-eu-labels.rq"
TWIN = REPO / "queries/linked/languages-with-eu-labels.rq"
PUBLIC_ENDPOINT = "https://publications.europa.eu/webapi/rdf/sparql"
EU = "http://publications.europa.eu/resource/authority/"
GRAPH = EU + "language"  # the graph the twin names
LICENCE = EU + "licence/CC_BY_4_0"
VOID = Namespace("http://rdfs.org/ns/void#")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
DATASET = URIRef(DEFAULT_BASE + "id/dataset")


def sample_triples() -> set[ox.Triple]:
    return {q.triple for q in ox.parse(path=SAMPLE)}


def write_sample(folder: Path, name: str) -> Path:
    """The sample as `name`, in the format of its extension (and gzipped if it ends in .gz)."""
    plain = name.removesuffix(".gz")
    format = ox.RdfFormat.from_extension(plain.rpartition(".")[2])
    quads = ox.parse(path=SAMPLE)
    if not format.supports_datasets:
        quads = (q.triple for q in quads)
    content = ox.serialize(quads, format=format)
    path = folder / name
    path.write_bytes(gzip.compress(content) if name.endswith(".gz") else content)
    return path


def load(cli, root, path, graph=GRAPH, *options):
    title = "EU's sprogtabel"
    return cli("link", "load", path, "--root", root, "--graph", graph, "--title", title, *options)


def graph_triples(root, graph=GRAPH) -> set[ox.Triple]:
    store = open_publication(root).store
    return {q.triple for q in store.quads_for_pattern(None, None, None, ox.NamedNode(graph))}


@pytest.mark.parametrize("name", ["eu.ttl", "eu.nt", "eu.nq", "eu.rdf", "eu.ttl.gz", "eu.nt.gz"])
def test_each_format_loads_as_its_own_named_graph(built, cli, tmp_path, name):
    code, out, err = load(cli, built, write_sample(tmp_path, name))
    assert code == 0, err
    assert f"loaded 12 triples as <{GRAPH}>" in out
    assert graph_triples(built) == sample_triples()
    ours = graph_triples(built, DEFAULT_BASE + "graph/data")
    assert not ours & sample_triples()  # beside our graphs, not in them


def test_the_on_disk_store_holds_the_linked_graph(built, cli, tmp_path):
    """`--store disk` answers from the build's store/: the linked graph must be in it too."""
    code, _, err = load(cli, built, write_sample(tmp_path, "eu.ttl"))
    assert code == 0, err
    store = open_store(str((built / "dist").resolve()), "disk")
    on_disk = {q.triple for q in store.quads_for_pattern(None, None, None, ox.NamedNode(GRAPH))}
    assert on_disk == sample_triples()


def test_the_linked_file_is_in_the_build_with_its_checksum(built, cli):
    assert load(cli, built, SAMPLE)[0] == 0
    manifest = read_manifest(built / "dist")
    [linked] = manifest["linked"]
    assert linked["graph"] == GRAPH and linked["triples"] == 12
    [entry] = [f for f in manifest["files"] if f["name"] == linked["file"]]
    content = (built / "dist" / linked["file"]).read_bytes()
    assert entry["sha256"] == hashlib.sha256(content).hexdigest()
    parsed = ox.parse(gzip.decompress(content), format=ox.RdfFormat.N_TRIPLES)
    assert {q.triple for q in parsed} == sample_triples()
    assert (built / "linked" / linked["file"]).read_bytes() == content


def test_quads_of_one_named_graph_go_into_the_given_graph(built, cli, tmp_path):
    quads = [ox.Quad(*t, ox.NamedNode("http://example.org/theirs")) for t in sample_triples()]
    path = tmp_path / "one.nq"
    path.write_bytes(ox.serialize(quads, format=ox.RdfFormat.N_QUADS))
    assert load(cli, built, path)[0] == 0
    assert graph_triples(built) == sample_triples()
    assert "http://example.org/theirs" not in open_publication(built).graphs


def test_quads_of_several_named_graphs_are_refused(built, cli, tmp_path):
    path = tmp_path / "two.nq"
    path.write_text("".join(f'<http://a/s> <http://a/p> "{n}" <http://a/g{n}> .\n' for n in (1, 2)))
    before = snapshot(built)
    code, _, err = load(cli, built, path)
    assert code == 1
    assert f"{path} holds several named graphs" in err
    assert snapshot(built) == before


def test_a_bad_file_is_refused_naming_file_and_position(built, cli, tmp_path):
    path = tmp_path / "bad.ttl"
    path.write_text('@prefix a: <http://a/> .\na:x a:y a:z .\na:x a:y "open .\n')
    before = snapshot(built)
    code, _, err = load(cli, built, path)
    assert code == 1
    assert f"{path}: line 3, column 9:" in err
    assert snapshot(built) == before
    assert not (built / "linked").exists()


def test_an_unknown_format_is_refused(built, cli, tmp_path):
    path = tmp_path / "table.xyz"
    path.write_text("whatever")
    code, _, err = load(cli, built, path)
    assert code == 1
    assert "cannot tell its RDF format from 'xyz'; give --format" in err


@pytest.mark.parametrize(
    "graph, message",
    [
        (DEFAULT_BASE + "graph/data", "is under the base IRI"),
        (DEFAULT_BASE + "graph/eu", "is under the base IRI"),
        ("not an iri", "is not an absolute IRI"),
        ("relative/iri", "is not an absolute IRI"),
    ],
)
def test_a_graph_of_ours_or_no_iri_is_refused(built, cli, graph, message):
    before = snapshot(built)
    code, _, err = load(cli, built, SAMPLE, graph)
    assert code == 1
    assert message in err
    assert snapshot(built) == before


@pytest.mark.parametrize("option", ["--source", "--licence"])
def test_a_source_or_licence_that_is_no_iri_is_refused(built, cli, option):
    code, _, err = load(cli, built, SAMPLE, GRAPH, option, "see the web site")
    assert code == 1
    assert f"{option} 'see the web site' is not an absolute IRI" in err


def test_a_failed_rebuild_keeps_linked_and_dist_as_they_were(built, cli, tmp_path):
    assert load(cli, built, SAMPLE)[0] == 0
    kept = {p.name: p.read_bytes() for p in (built / "linked").iterdir()}
    before = snapshot(built)
    broken = next((built / "data").glob("*.ttl"))
    broken.write_text(broken.read_text() + "\nthis is not turtle\n")
    code, _, err = load(cli, built, write_sample(tmp_path, "eu.nt"), GRAPH, "--title-en", "other")
    assert code == 1, err
    assert {p.name: p.read_bytes() for p in (built / "linked").iterdir()} == kept
    assert snapshot(built) == before


def test_the_description_lists_the_linked_dataset(built, cli):
    ours = len(Graph().parse(built / "dist" / "sundhedsgraf.nt"))
    options = ["--title-en", "EU language table", "--source", GRAPH, "--licence", LICENCE]
    assert load(cli, built, SAMPLE, GRAPH, *options)[0] == 0
    g = Graph().parse(built / "dist" / "dataset.ttl")
    [node] = g.objects(DATASET, DCTERMS.relation)
    assert {DCAT.Dataset, VOID.Dataset} <= set(g.objects(node, RDF.type))
    assert set(g.objects(node, DCTERMS.title)) == {
        Literal("EU's sprogtabel", lang="da"),
        Literal("EU language table", lang="en"),
    }
    assert g.value(node, DCTERMS.source) == URIRef(GRAPH)
    assert g.value(node, DCTERMS.license) == URIRef(LICENCE)
    assert g.value(node, VOID.triples) == Literal(12)
    assert g.value(node, DCTERMS.issued) == Literal(
        "2025-01-01T00:00:00+00:00", datatype=XSD.dateTime
    )
    assert g.value(node, SD.name) == URIRef(GRAPH)
    file = read_manifest(built / "dist")["linked"][0]["file"]
    assert g.value(node, VOID.dataDump) == URIRef(f"{DEFAULT_BASE}dist/{file}")
    distribution = g.value(node, DCAT.distribution)
    assert g.value(distribution, DCAT.downloadURL) == URIRef(f"{DEFAULT_BASE}dist/{file}")
    assert g.value(distribution, DCTERMS.license) == URIRef(LICENCE)
    # our counts stay ours: the linked triples are counted on the linked dataset only
    assert g.value(DATASET, VOID.triples) == Literal(ours)
    assert read_manifest(built / "dist")["triples"] == ours
    assert dcat_ap.validate(g, prefixes(extra=True)).conforms


def test_list_and_remove(built, cli, tmp_path):
    other = "http://example.org/other"
    assert load(cli, built, SAMPLE)[0] == 0
    assert load(cli, built, write_sample(tmp_path, "eu.nt"), other)[0] == 0
    code, out, _ = cli("link", "list", "--root", built)
    assert out.splitlines()[0].startswith(f"<{other}>  12 triples  loaded 2025-01-01")  # by IRI
    assert out.splitlines()[1].startswith(f"<{GRAPH}>  12 triples")
    code, out, err = cli("link", "remove", "--root", built, "--graph", GRAPH)
    assert code == 0, err
    assert open_publication(built).graphs == tuple(
        sorted([*(DEFAULT_BASE + "graph/" + g for g in ("data", "dataset", "ontology")), other])
    )
    manifest = read_manifest(built / "dist")
    assert [linked["graph"] for linked in manifest["linked"]] == [other]
    assert sum("linked-" in f["name"] for f in manifest["files"]) == 1
    g = Graph().parse(built / "dist" / "dataset.ttl")
    [node] = g.objects(DATASET, DCTERMS.relation)
    assert g.value(node, SD.name) == URIRef(other)
    assert len(list((built / "linked").iterdir())) == 2
    code, _, err = cli("link", "remove", "--root", built, "--graph", GRAPH)
    assert code == 1
    assert f"no linked dataset has the graph <{GRAPH}>; loaded: <{other}>" in err


def test_a_changed_linked_file_fails_the_build(built, cli):
    assert load(cli, built, SAMPLE)[0] == 0
    [copy] = (built / "linked").glob("*.nt.gz")
    copy.write_bytes(gzip.compress(b"<http://a/s> <http://a/p> <http://a/o> .\n"))
    code, _, err = cli("build", "--root", built)
    assert code == 1
    assert f"{copy} is not the file that was loaded" in err


# --- the real project, served: /sparql, downloads, and the local twin of the federated query ---


@pytest.fixture(scope="module")
def linked_root(tmp_path_factory):
    root = copy_project(tmp_path_factory.mktemp("linked"))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", EPOCH)
        titles = ["--title", "EU's sprogtabel", "--title-en", "EU language table"]
        assert (
            main(["link", "load", str(SAMPLE), "--root", str(root), "--graph", GRAPH, *titles]) == 0
        )
    return root


@pytest.fixture(scope="module")
def eu_endpoint():
    running = Oxigraph(SAMPLE)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def linked_server(linked_root, eu_endpoint):
    running = Server(linked_root, "--service-allowlist", eu_endpoint.url)
    yield running
    running.stop()


def rows(server, query: str) -> list[tuple[str, ...]]:
    response = server.client.post(
        "/sparql", data={"query": query}, headers={"accept": "application/sparql-results+json"}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    return [tuple(b[v]["value"] for v in body["head"]["vars"]) for b in body["results"]["bindings"]]


def test_the_twin_answers_as_the_federated_query_does(linked_server, eu_endpoint):
    twin = TWIN.read_text()
    assert "SERVICE" not in twin.replace("# ", "").split("PREFIX", 1)[1]
    federated = FEDERATED.read_text().replace(PUBLIC_ENDPOINT, eu_endpoint.url)
    expected = [(EU + "language/DAN", "Danish"), (EU + "language/ENG", "English")]
    assert rows(linked_server, twin) == rows(linked_server, federated) == expected


def test_sparql_sees_the_linked_graph(linked_server):
    query = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{GRAPH}> {{ ?s ?p ?o }} }}"
    assert rows(linked_server, query) == [("12",)]


def test_the_linked_file_is_downloadable(linked_server, linked_root):
    [linked] = read_manifest(linked_root / "dist")["linked"]
    response = linked_server.client.get(f"/dist/{linked['file']}")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/gzip"
    content = gzip.decompress(response.content)
    assert {q.triple for q in ox.parse(content, format=ox.RdfFormat.N_TRIPLES)} == sample_triples()


def test_the_query_page_lists_the_twin_once_its_graph_is_loaded(
    linked_server, linked_root, real_root
):
    page = linked_server.client.get("/query?lang=en", headers={"accept": "text/html"})
    assert "Which languages is the dataset in, named by the EU" in page.text

    def names(root):
        return {e["name"] for e in read_examples(open_publication(root), root)}

    assert "languages-with-eu-labels" in names(linked_root)
    assert "languages-with-eu-labels" not in names(real_root)  # not loaded there


def test_the_dataset_page_lists_the_linked_dataset_apart(linked_server, linked_root):
    page = linked_server.client.get("/doc/dataset?lang=en", headers={"accept": "text/html"}).text
    linked = page.split('<section id="linked">', 1)[1].split("</section>", 1)[0]
    assert "<h3>EU language table</h3>" in linked
    assert f"<code>{GRAPH}</code>" in linked
    assert "<dd>12</dd>" in linked and "1 January 2025" in linked
    [file] = read_manifest(linked_root / "dist")["linked"]
    assert f'href="{linked_server.url}dist/{file["file"]}" download' in linked
    ours = read_manifest(linked_root / "dist")["triples"]
    counts = page.split('<section id="counts">', 1)[1].split("</section>", 1)[0]
    assert f'<span class="number">{ours:,}</span> triples' in counts


def test_a_load_rebuilds_under_the_base_of_the_current_build(project, cli):
    base = "http://example.org/health/"
    assert cli("build", "--root", project, "--base-iri", base)[0] == 0
    code, _, err = load(cli, project, SAMPLE, base + "eu")
    assert code == 1 and f"is under the base IRI <{base}>" in err
    assert load(cli, project, SAMPLE)[0] == 0
    assert read_manifest(project / "dist")["base_iri"] == base
    assert GRAPH in open_publication(project).graphs


def test_pages_are_indexed_from_our_graphs_only(linked_root):
    """A linked register's labels and types stay out of the pages' index (it may hold millions);
    our own resources are all in it."""
    pub = open_publication(linked_root)
    idx = build_index(pub, "http://127.0.0.1/")

    def subjects(graph: ox.NamedNode) -> set[str]:
        return {q.subject.value for q in pub.store.quads_for_pattern(None, None, None, graph)}

    ours = set().union(*(subjects(g) for g in pub.own_graphs))
    only_theirs = subjects(ox.NamedNode(GRAPH)) - ours
    assert only_theirs and not only_theirs & (set(idx.labels) | set(idx.types))
    assert DEFAULT_BASE + "id/initiative/2.1" in idx.subjects


def test_pictures_read_our_graphs_only(linked_root):
    """The pictures' queries leave a linked dataset out: over a register of a million typed
    units, reading them made a build switch take seconds (bench/scale.py)."""
    pub = open_publication(linked_root)
    typed = {row["x"] for row in select(pub, "SELECT DISTINCT ?x WHERE { ?x a ?c }")}
    a = ox.NamedNode(str(RDF.type))
    ours = {
        q.subject.value
        for g in pub.own_graphs
        for q in pub.store.quads_for_pattern(None, a, None, g)
    }
    theirs = {
        q.subject.value for q in pub.store.quads_for_pattern(None, a, None, ox.NamedNode(GRAPH))
    }
    assert typed == ours and theirs - ours

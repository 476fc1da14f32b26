"""The published files: round trips through an independent parser, the dataset description,
the manifest, the @context, and `sundhedsgraf export`."""

import hashlib
import json

import pyoxigraph as ox
import pytest
from rdflib import RDF, BNode, Graph, Literal, Namespace, URIRef
from rdflib.compare import isomorphic

from sundhedsgraf.build.pipeline import prepare
from sundhedsgraf.build.tables import METADATA, TABLES
from sundhedsgraf.formats import RDF as DUMPS
from sundhedsgraf.namespaces import DEFAULT_BASE
from sundhedsgraf.rdfio import to_rdflib

DCAT = Namespace("http://www.w3.org/ns/dcat#")
DCTERMS = Namespace("http://purl.org/dc/terms/")
VOID = Namespace("http://rdfs.org/ns/void#")
SPDX = Namespace("http://spdx.org/rdf/terms#")
PROV = Namespace("http://www.w3.org/ns/prov#")
XSD = Namespace("http://www.w3.org/2001/XMLSchema#")
DATASET = URIRef(DEFAULT_BASE + "id/dataset")


def oxigraph_quads(path) -> list[tuple]:
    """Parse with pyoxigraph, independent of rdflib which wrote most dumps."""
    quads = []
    for quad in ox.parse(path=path, format=ox.RdfFormat.from_extension(path.suffix[1:])):
        name = getattr(quad, "graph_name", None)
        name = None if name is None or isinstance(name, ox.DefaultGraph) else to_rdflib(name)
        terms = (quad.subject, quad.predicate, quad.object)
        quads.append((*map(to_rdflib, terms), name))
    return quads


def as_graph(quads, graph_name=None, any_graph=True) -> Graph:
    graph = Graph()
    for s, p, o, name in quads:
        if any_graph or name == graph_name:
            graph.add((s, p, o))
    return graph


@pytest.fixture
def published(built):
    return prepare(built, DEFAULT_BASE).build


@pytest.mark.parametrize("dump", DUMPS, ids=lambda d: d.name)
def test_every_dump_round_trips(built, published, dump):
    quads = oxigraph_quads(built / "dist" / dump.file)
    assert isomorphic(as_graph(quads), published.union)


@pytest.mark.parametrize("name", ["sundhedsgraf.trig", "sundhedsgraf.nq"])
def test_named_graphs_hold_ontology_and_data(built, published, name):
    quads = oxigraph_quads(built / "dist" / name)
    for graph_name, graph in published.named_graphs().items():
        assert isomorphic(as_graph(quads, graph_name, any_graph=False), graph)
    assert {q[3] for q in quads} == set(published.named_graphs())


def test_rdfxml_also_round_trips_through_rdflib(built, published):
    assert isomorphic(Graph().parse(built / "dist" / "sundhedsgraf.rdf"), published.union)


def test_ontology_and_shapes_files(built, published):
    dist = built / "dist"
    assert isomorphic(as_graph(oxigraph_quads(dist / "ontology.ttl")), published.ontology)
    assert isomorphic(as_graph(oxigraph_quads(dist / "shapes.ttl")), published.shapes)


def test_line_formats_are_sorted(built):
    for name in ("sundhedsgraf.nt", "sundhedsgraf.nq"):
        lines = (built / "dist" / name).read_text().splitlines()
        assert lines == sorted(lines)


def test_jsonld_uses_the_published_context(built):
    dist = built / "dist"
    document = json.loads((dist / "sundhedsgraf.jsonld").read_text())
    context = json.loads((dist / "context.jsonld").read_text())["@context"]
    assert document["@context"] == context
    assert context["sg"] == DEFAULT_BASE + "def#"
    assert context["label"] == {"@id": "rdfs:label", "@container": "@language"}
    initiative = next(node for node in document["@graph"] if node["@id"] == "ini:1.1")
    assert initiative["label"] == {"da": "Lægen i lommen", "en": "The doctor in your pocket"}
    assert initiative["focusArea"] == "fa:1"


def description(built) -> Graph:
    return Graph().parse(built / "dist" / "dataset.ttl")


def count(graph: Graph, subject, prop) -> int:
    return int(graph.value(subject, prop))


def test_dataset_counts_match_the_graph(built):
    store = ox.Store()
    store.load(path=built / "dist" / "sundhedsgraf.nq", format=ox.RdfFormat.N_QUADS)

    def sparql(select: str) -> int:
        query = f"SELECT (COUNT({select}) AS ?n) WHERE {{ ?s ?p ?o }}"
        return int(next(iter(store.query(query, use_default_graph_as_union=True)))["n"].value)

    d = description(built)
    assert count(d, DATASET, VOID.triples) == len(store)
    assert count(d, DATASET, VOID.distinctSubjects) == sparql("DISTINCT ?s")
    assert count(d, DATASET, VOID.distinctObjects) == sparql("DISTINCT ?o")
    assert count(d, DATASET, VOID.properties) == sparql("DISTINCT ?p")
    classes = {q.object for q in store.quads_for_pattern(None, ox.NamedNode(str(RDF.type)), None)}
    assert count(d, DATASET, VOID.classes) == len(classes)
    entities = {q.subject.value for q in store if q.subject.value.startswith(DEFAULT_BASE)}
    assert count(d, DATASET, VOID.entities) == len(entities)


def test_dataset_partitions_are_named_and_counted(built):
    d = description(built)
    graph = Graph().parse(built / "dist" / "sundhedsgraf.nt")
    partitions = list(d.objects(DATASET, VOID.classPartition))
    assert len(partitions) == count(d, DATASET, VOID.classes)
    for partition in partitions:
        assert isinstance(partition, URIRef)
        cls = d.value(partition, VOID["class"])
        assert count(d, partition, VOID.entities) == len(set(graph.subjects(RDF.type, cls)))
    initiatives = URIRef(f"{DATASET}/class/sg-Initiative")
    assert count(d, initiatives, VOID.entities) == 2
    for partition in d.objects(DATASET, VOID.propertyPartition):
        assert isinstance(partition, URIRef)
        prop = d.value(partition, VOID.property)
        assert count(d, partition, VOID.triples) == len(list(graph.triples((None, prop, None))))


def test_dataset_distributions_match_the_files(built):
    d = description(built)
    distributions = set(d.objects(DATASET, DCAT.distribution))
    assert len(distributions) == len(DUMPS) + len(TABLES)
    for dump in DUMPS:
        distribution = URIRef(f"{DATASET}/distribution/{dump.name}")
        assert distribution in distributions
        content = (built / "dist" / dump.file).read_bytes()
        url = URIRef(f"{DEFAULT_BASE}dist/{dump.file}")
        assert d.value(distribution, DCAT.downloadURL) == url
        assert d.value(distribution, DCAT.accessURL) == url
        assert d.value(distribution, DCAT.byteSize) == Literal(
            len(content), datatype=XSD.nonNegativeInteger
        )
        checksum = d.value(distribution, SPDX.checksum)
        assert d.value(checksum, SPDX.algorithm) == SPDX.checksumAlgorithm_sha256
        assert str(d.value(checksum, SPDX.checksumValue)) == hashlib.sha256(content).hexdigest()
        media = "http://www.iana.org/assignments/media-types/" + dump.media_type
        assert d.value(distribution, DCAT.mediaType) == URIRef(media)
        file_type = "http://publications.europa.eu/resource/authority/file-type/" + dump.file_type
        assert d.value(distribution, DCTERMS["format"]) == URIRef(file_type)
        titles = {t.language for t in d.objects(distribution, DCTERMS["title"])}
        assert titles == {"da", "en"}


def test_dataset_distributions_of_the_tables(built):
    d = description(built)
    metadata = URIRef(f"{DEFAULT_BASE}dist/{METADATA}")
    assert (metadata, RDF.type, DCTERMS.Standard) in d
    for table in TABLES:
        distribution = URIRef(f"{DATASET}/distribution/table-{table.name}")
        assert (DATASET, DCAT.distribution, distribution) in d
        content = (built / "dist" / f"{table.name}.csv").read_bytes()
        url = URIRef(f"{DEFAULT_BASE}dist/{table.name}.csv")
        assert d.value(distribution, DCAT.downloadURL) == url
        assert (DATASET, VOID.dataDump, url) not in d  # VoID's dumps are RDF
        assert int(d.value(distribution, DCAT.byteSize)) == len(content)
        checksum = d.value(distribution, SPDX.checksum)
        assert str(d.value(checksum, SPDX.checksumValue)) == hashlib.sha256(content).hexdigest()
        media = "http://www.iana.org/assignments/media-types/text/csv"
        assert d.value(distribution, DCAT.mediaType) == URIRef(media)
        file_type = "http://publications.europa.eu/resource/authority/file-type/CSV"
        assert d.value(distribution, DCTERMS["format"]) == URIRef(file_type)
        assert d.value(distribution, DCTERMS.conformsTo) == metadata


def test_dataset_metadata(built):
    d = description(built)
    assert (DATASET, RDF.type, DCAT.Dataset) in d
    assert (DATASET, RDF.type, VOID.Dataset) in d
    licence = "http://publications.europa.eu/resource/authority/licence/CC_BY_4_0"
    assert d.value(DATASET, DCTERMS.license) == URIRef(licence)
    source = URIRef(DEFAULT_BASE + "id/source/afsluttende-status")
    assert d.value(DATASET, PROV.wasDerivedFrom) == source  # DCAT-AP's dct:source is a dataset
    assert d.value(DATASET, DCTERMS.source) is None
    assert d.value(DATASET, DCAT.version) == Literal("0.1.0")
    assert d.value(DATASET, DCTERMS.issued) == Literal("2025-01-01", datatype=XSD.date)
    assert d.value(DATASET, DCTERMS.modified) == Literal("2025-01-01", datatype=XSD.date)
    assert {t.language for t in d.objects(DATASET, DCTERMS["title"])} == {"da", "en"}
    assert len(set(d.objects(DATASET, DCTERMS.language))) == 2
    assert d.value(DATASET, VOID.exampleResource) is not None
    assert d.value(DATASET, VOID.sparqlEndpoint) is None
    assert not any(isinstance(term, BNode) for triple in d for term in triple)


def test_dataset_jsonld_says_the_same(built):
    jsonld = as_graph(oxigraph_quads(built / "dist" / "dataset.jsonld"))
    assert isomorphic(jsonld, description(built))


def test_manifest_lists_every_other_file(built):
    dist = built / "dist"
    manifest = json.loads((dist / "manifest.json").read_text())
    assert manifest["version"] == "0.1.0"
    assert manifest["base_iri"] == DEFAULT_BASE
    assert manifest["built"] == "2025-01-01T00:00:00+00:00"
    assert manifest["triples"] == len(Graph().parse(dist / "sundhedsgraf.nt"))
    listed = {entry["name"]: entry for entry in manifest["files"]}
    # the on-disk store is a folder for the server, named apart (tests/build/test_store.py)
    assert set(listed) == {p.name for p in dist.iterdir()} - {"manifest.json", "store"}
    for name, entry in listed.items():
        content = (dist / name).read_bytes()
        assert entry["bytes"] == len(content)
        assert entry["sha256"] == hashlib.sha256(content).hexdigest()


@pytest.mark.parametrize("dump", DUMPS, ids=lambda d: d.name)
def test_export_writes_the_dump(built, cli, dump):
    code, out, _ = cli("export", "--root", built, "--format", dump.name)
    assert code == 0
    assert out == (built / "dist" / dump.file).read_text(encoding="utf-8")


def test_export_to_a_file(built, cli, tmp_path):
    target = tmp_path / "out.ttl"
    code, out, _ = cli("export", "--root", built, "--format", "ttl", "-o", target)
    assert code == 0 and out == ""
    assert target.read_bytes() == (built / "dist" / "sundhedsgraf.ttl").read_bytes()


def test_export_without_a_build(project, cli):
    code, _, err = cli("export", "--root", project, "--format", "nt")
    assert code == 1
    assert "run `sundhedsgraf build`" in err

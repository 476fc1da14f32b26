"""The dataset description conforms to DCAT-AP 3.0.1, checked with the official SHACL shapes."""

import pytest
from conftest import REPO, snapshot
from pyshacl import validate as shacl_validate
from rdflib import RDF, Graph, Literal, Namespace, URIRef

from sundhedsgraf.build import dcat_ap
from sundhedsgraf.build import pipeline as build_module
from sundhedsgraf.namespaces import DEFAULT_BASE, prefixes

SHARED = REPO.parent / "shared" / "reference" / "dcat-ap-3.0.1"
DCAT = Namespace("http://www.w3.org/ns/dcat#")
DCTERMS = Namespace("http://purl.org/dc/terms/")
FOAF = Namespace("http://xmlns.com/foaf/0.1/")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
SPDX = Namespace("http://spdx.org/rdf/terms#")
EU = "http://publications.europa.eu/resource/authority/"
DATASET = URIRef(DEFAULT_BASE + "id/dataset")
CATALOG = URIRef(DEFAULT_BASE + "id/dataset/catalog")
PUBLISHER = URIRef(DEFAULT_BASE + "id/dataset/publisher")
SERVICE = URIRef(DEFAULT_BASE + "id/dataset/sparql-service")
PREFIX_MAP = prefixes(extra=True)


def description(root) -> Graph:
    return Graph().parse(root / "dist" / "dataset.ttl")


def report(graph: Graph) -> dcat_ap.Report:
    return dcat_ap.validate(graph, PREFIX_MAP)


def test_the_shapes_are_the_official_copies():
    """The package's copies equal ../shared/reference/dcat-ap-3.0.1/, byte for byte."""
    assert SHARED.is_dir(), f"{SHARED} is missing: the reference files sit next to the repository"
    originals = {p.name for p in SHARED.iterdir()}
    copies = {p.name for p in dcat_ap.SHAPES_DIR.iterdir()} - {"NOTICE.md"}
    assert copies == originals
    for name in sorted(originals):
        assert (dcat_ap.SHAPES_DIR / name).read_bytes() == (SHARED / name).read_bytes(), name
    assert set(dcat_ap.SHAPES_FILES) | {dcat_ap.RECOMMENDED_FILE} <= originals


def test_the_real_description_conforms(real_root):
    found = report(description(real_root))
    assert found.conforms
    assert [f for f in found.findings if f.severity == "Violation"] == []
    # The only warnings: the publisher is not in the EU corporate-body table (it is a project,
    # not an EU body; see docs/dcat-ap.md), on each resource that names it.
    assert sorted((f.focus, f.path, f.severity) for f in found.findings) == sorted(
        (node, "dcterms:publisher", "Warning") for node in (CATALOG, DATASET, SERVICE)
    )


def test_the_tiny_build_conforms(built):
    assert report(description(built)).conforms


def test_the_description_says_what_dcat_ap_asks(built):
    d = description(built)
    assert (CATALOG, RDF.type, DCAT.Catalog) in d
    assert (CATALOG, DCAT.dataset, DATASET) in d
    assert (CATALOG, DCAT.service, SERVICE) in d
    assert d.value(CATALOG, FOAF.homepage) == URIRef(DEFAULT_BASE)
    for node in (CATALOG, DATASET, SERVICE):
        assert d.value(node, DCTERMS.publisher) == PUBLISHER
    assert {n.language for n in d.objects(PUBLISHER, FOAF.name)} == {"da", "en"}
    assert (PUBLISHER, RDF.type, FOAF.Agent) in d
    contact = d.value(DATASET, DCAT.contactPoint)
    assert (contact, RDF.type, VCARD.Kind) in d
    assert d.value(contact, VCARD.hasURL) == URIRef(DEFAULT_BASE)
    assert d.value(contact, VCARD.hasEmail) is None  # no invented address
    assert d.value(DATASET, DCAT.theme) == URIRef(EU + "data-theme/HEAL")
    assert d.value(DATASET, DCTERMS.accessRights) == URIRef(EU + "access-right/PUBLIC")
    assert d.value(DATASET, DCTERMS.spatial) == URIRef(EU + "country/DNK")
    assert set(d.objects(DATASET, DCTERMS.language)) == {
        URIRef(EU + "language/DAN"),
        URIRef(EU + "language/ENG"),
    }
    assert d.value(SERVICE, DCAT.endpointURL) == URIRef(DEFAULT_BASE + "sparql")
    assert d.value(SERVICE, DCAT.servesDataset) == DATASET
    protocol = URIRef("https://www.w3.org/TR/sparql11-protocol/")
    assert d.value(SERVICE, DCTERMS.conformsTo) == protocol
    record = d.value(CATALOG, DCAT.record)
    assert d.value(record, FOAF.primaryTopic) == DATASET
    dcat_ap_301 = URIRef("https://semiceu.github.io/DCAT-AP/releases/3.0.1")
    assert d.value(record, DCTERMS.conformsTo) == dcat_ap_301
    for distribution in d.objects(DATASET, DCAT.distribution):
        assert d.value(distribution, DCTERMS.license) == URIRef(EU + "licence/CC_BY_4_0")


@pytest.mark.parametrize(
    "break_it, focus, path",
    [
        (lambda d: d.remove((CATALOG, DCTERMS.publisher, None)), CATALOG, "dcterms:publisher"),
        (lambda d: d.remove((None, RDF.type, DCTERMS.LicenseDocument)), CATALOG, "dcterms:license"),
        (lambda d: d.remove((DATASET, DCTERMS.title, None)), DATASET, "dcterms:title"),
    ],
    ids=["catalog without publisher", "licence not a licence document", "dataset without title"],
)
def test_a_broken_description_fails_with_a_finding(built, break_it, focus, path):
    d = description(built)
    break_it(d)
    found = report(d)
    assert not found.conforms
    assert any(
        f.focus == focus and f.path == path and f.severity == "Violation" for f in found.findings
    )


def test_a_licence_literal_fails(built):
    d = description(built)
    distribution = URIRef(f"{DATASET}/distribution/ttl")
    d.remove((distribution, DCTERMS.license, None))
    d.add((distribution, DCTERMS.license, Literal("CC BY 4.0")))
    found = report(d)
    assert not found.conforms
    assert any(
        f.focus == distribution and f.path == "dcterms:license" and "CC BY 4.0" in f.message
        for f in found.findings
    )


def test_the_build_fails_on_a_violation_and_keeps_dist(built, cli, monkeypatch):
    before = snapshot(built)
    describe = build_module.describe_dataset

    def without_publisher(*args, **kwargs):
        d = describe(*args, **kwargs)
        d.remove((None, DCTERMS.publisher, None))
        return d

    monkeypatch.setattr(build_module, "describe_dataset", without_publisher)
    code, _, err = cli("build", "--root", built)
    assert code == 1
    assert "does not conform to DCAT-AP 3.0.1" in err and "dist/ is unchanged" in err
    assert "dcterms:publisher: Less than 1 values" in err
    assert "src/sundhedsgraf/dataset.py" in err
    assert snapshot(built) == before


def test_only_the_known_defect_of_the_shapes_is_left_out(built):
    """The raw report differs from ours only by the spdx:algorithm pattern findings (one per
    distribution); untyped, the same value is a violation again."""
    d = description(built)
    _, results, _ = shacl_validate(d, shacl_graph=dcat_ap.shapes(), inference="none")
    raw = dcat_ap.top_level_results(results)
    left_out = [r for r in raw if dcat_ap.known_defect(results, r, d)]
    assert len(left_out) == len(set(d.objects(None, SPDX.checksum)))
    assert len(raw) - len(left_out) == len(report(d).findings)
    d.remove((SPDX.checksumAlgorithm_sha256, RDF.type, SPDX.ChecksumAlgorithm))
    found = report(d)
    assert any(f.path == "spdx:algorithm" and f.severity == "Violation" for f in found.findings)

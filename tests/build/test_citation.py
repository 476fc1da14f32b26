"""The version people cite is the version the build publishes."""

import re

from conftest import REPO
from rdflib import DCTERMS, Graph, URIRef

from sundhedsgraf import __version__

DCAT_VERSION = URIRef("http://www.w3.org/ns/dcat#version")


def test_citation_file_and_readme_give_the_package_version():
    cff = (REPO / "CITATION.cff").read_text()
    assert re.search(r"^version: (\S+)$", cff, re.M)[1] == __version__
    readme = (REPO / "README.md").read_text()
    cite = readme[readme.index("## How to cite") :]
    assert f"version {__version__}" in cite


def test_the_dataset_description_carries_the_same_version(real_root):
    description = Graph().parse(real_root / "dist" / "dataset.ttl")
    dataset = URIRef("https://w3id.org/sundhedsgraf/id/dataset")
    assert [str(v) for v in description.objects(dataset, DCAT_VERSION)] == [__version__]
    (cited,) = description.objects(dataset, DCTERMS.bibliographicCitation)
    assert f"version {__version__}. {dataset}." in cited

"""The build pipeline: files, determinism, base IRI, entailment, validation, atomic dist/."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, snapshot
from rdflib import RDF, Graph, URIRef

from sundhedsgraf.build import dumps
from sundhedsgraf.build import output as publish
from sundhedsgraf.build.pipeline import prepare
from sundhedsgraf.namespaces import DEFAULT_BASE, PREFIXES
from sundhedsgraf.publication import open_publication
from sundhedsgraf.stores import STORE

SG = DEFAULT_BASE + "def#"
# the tables beside the dumps (build/tables.py), named here so that a change shows
TABLE_NAMES = (
    "initiatives",
    "milestones",
    "figures",
    "relations",
    "systems",
    "standards",
    "organisations",
)
ID = DEFAULT_BASE + "id/"
EVERY_FILE = {
    "sundhedsgraf.ttl",
    "sundhedsgraf.nt",
    "sundhedsgraf.jsonld",
    "context.jsonld",
    "sundhedsgraf.rdf",
    "sundhedsgraf.trig",
    "sundhedsgraf.nq",
    "ontology.ttl",
    "shapes.ttl",
    "dataset.ttl",
    "dataset.jsonld",
    "manifest.json",
    "csv-metadata.json",
    *(f"{name}.csv" for name in TABLE_NAMES),
}

BAD_INITIATIVE = """\
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix sg: <https://w3id.org/sundhedsgraf/def#> .
@prefix fa: <https://w3id.org/sundhedsgraf/id/focus-area/> .
@prefix ini: <https://w3id.org/sundhedsgraf/id/initiative/> .

ini:9.9 a sg:Initiative ;
    rdfs:label "Only English"@en ;
    dcterms:identifier "9.9" ;
    sg:focusArea fa:1 .
"""


def test_build_writes_every_file(built):
    dist = built / "dist"
    assert dist.is_symlink()
    assert {p.name for p in dist.iterdir()} == EVERY_FILE | {STORE}
    assert all((dist / name).stat().st_size > 0 for name in EVERY_FILE)


def test_build_prints_a_summary(project, cli):
    code, out, _ = cli("build", "--root", project)
    assert code == 0
    assert "Built " in out and "triples" in out
    assert re.search(r"sg:Initiative\s+2", out)
    assert "sundhedsgraf.ttl" in out


def test_two_builds_are_byte_identical(project, cli):
    cli("build", "--root", project)
    first = snapshot(project, store_bytes=False)
    cli("build", "--root", project)
    second = snapshot(project, store_bytes=False)
    assert first.pop("->") != second.pop("->")  # a new build folder...
    assert first == second  # ...with the same bytes (the same quads in the store)


def test_console_script_builds_identically_whatever_the_hash_seed(project, tmp_path):
    """Hash order must not leak into any file: two processes with different seeds agree."""
    script = Path(sys.executable).parent / "sundhedsgraf"
    results = []
    for seed in ("1", "2"):
        root = shutil.copytree(project, tmp_path / f"seed{seed}")
        env = os.environ | {"PYTHONHASHSEED": seed}
        subprocess.run([script, "build", "--root", root], check=True, env=env, capture_output=True)
        snap = snapshot(Path(root), store_bytes=False)
        snap.pop("->")
        results.append(snap)
    assert results[0] == results[1]


def test_turtle_is_sorted_and_prefixed(built):
    text = (built / "dist" / "sundhedsgraf.ttl").read_text()
    assert text.startswith("@prefix adms: <http://www.w3.org/ns/adms#> .\n")
    subjects = [line.split()[0] for line in text.splitlines() if re.match(r"[<a-z]", line)]
    subjects = [s for s in subjects if s != "@prefix"]
    assert "ini:1.1" in subjects and "ini:1.2" in subjects
    assert subjects.index("ini:1.1") < subjects.index("ini:1.2")
    assert "    sg:outcomeStatus status:in-operation ;\n" in text


@pytest.mark.parametrize("how", ["option", "environment"])
def test_base_iri_is_rewritten_everywhere(project, cli, monkeypatch, how):
    base = "https://example.org/hg/"
    if how == "option":
        code, _, err = cli("build", "--root", project, "--base-iri", base)
    else:
        monkeypatch.setenv("SUNDHEDSGRAF_BASE_IRI", base)
        code, _, err = cli("build", "--root", project)
    assert code == 0, err
    dist = project / "dist"
    for name in ("sundhedsgraf.nt", "sundhedsgraf.nq", "dataset.ttl", "shapes.ttl"):
        assert DEFAULT_BASE not in (dist / name).read_text(), name
    nt = (dist / "sundhedsgraf.nt").read_text()
    assert f"<{base}id/initiative/1.1> <{RDF.type}> <{base}def#Initiative> ." in nt
    assert f"<{base}graph/data>" in (dist / "sundhedsgraf.nq").read_text()
    dataset = Graph().parse(dist / "dataset.ttl")
    dcat_dataset = URIRef("http://www.w3.org/ns/dcat#Dataset")
    assert (URIRef(base + "id/dataset"), RDF.type, dcat_dataset) in dataset
    assert f'"base_iri": "{base}"' in (dist / "manifest.json").read_text()


def test_rewritten_base_still_validates_with_sparql_constraints(project, cli):
    """The shapes' sh:namespace literals follow the base, so SPARQL constraints still match."""
    (project / "data" / "bad.ttl").write_text(BAD_INITIATIVE)
    code, out, _ = cli("validate", "--root", project, "--base-iri", "https://example.org/hg/")
    assert code == 1
    assert "Every initiative needs a Danish rdfs:label." in out


def test_bad_base_iri_is_refused(project, cli):
    code, _, err = cli("build", "--root", project, "--base-iri", "https://example.org/no-slash")
    assert code == 1
    assert "ending in '/'" in err


def test_relations_are_asserted(built):
    data = open_publication(built).named_graph("data")
    minlaege, fmk = URIRef(ID + "system/minlaege"), URIRef(ID + "system/fmk")
    assert (minlaege, URIRef(SG + "dependsOn"), fmk) in data
    # the relation node itself stays, with its provenance
    relation = URIRef(ID + "relation/minlaege-depends-on-fmk")
    assert (relation, RDF.subject, minlaege) in data


PLANNED_RELATION = """\
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix sg: <https://w3id.org/sundhedsgraf/def#> .
@prefix ini: <https://w3id.org/sundhedsgraf/id/initiative/> .
@prefix sys: <https://w3id.org/sundhedsgraf/id/system/> .
@prefix rel: <https://w3id.org/sundhedsgraf/id/relation/> .
@prefix mstat: <https://w3id.org/sundhedsgraf/id/milestone-status/> .

rel:fmk-shown-in-minlaege a sg:Relation ;
    rdf:subject sys:fmk ; rdf:predicate sg:shownIn ; rdf:object sys:minlaege ;
    sg:realisation mstat:planned ;
    prov:wasDerivedFrom ini:1.1 ;
    rdfs:label "FMK skal vises i MinLæge"@da, "FMK is to be shown in MinLæge"@en .
"""


def test_planned_relations_are_not_asserted(project):
    """A planned relation stays a node: its plain triple would read as a fact."""
    (project / "data" / "planned.ttl").write_text(PLANNED_RELATION)
    data = prepare(project, DEFAULT_BASE).build.data
    fmk, minlaege = URIRef(ID + "system/fmk"), URIRef(ID + "system/minlaege")
    relation = URIRef(ID + "relation/fmk-shown-in-minlaege")
    assert (fmk, URIRef(SG + "shownIn"), minlaege) not in data
    assert (relation, RDF.subject, fmk) in data
    assert (minlaege, URIRef(SG + "dependsOn"), fmk) in data  # the achieved one is


def test_sg_sub_properties_are_entailed_transitively(built):
    data = open_publication(built).named_graph("data")
    initiative, minlaege = URIRef(ID + "initiative/1.1"), URIRef(ID + "system/minlaege")
    fmk = URIRef(ID + "system/fmk")
    assert (initiative, URIRef(SG + "involves"), minlaege) in data  # develops ⊑ involves
    assert (initiative, URIRef(SG + "involves"), fmk) in data  # uses ⊑ involves
    assert (initiative, URIRef(SG + "concerns"), minlaege) in data  # ... ⊑ concerns
    # only inside sg:: dependsOn ⊑ dcterms:requires is left to consumers
    requires = URIRef("http://purl.org/dc/terms/requires")
    assert not list(data.triples((None, requires, None)))


def test_blank_node_labels_are_local_to_a_file(project):
    for name in ("a", "b"):
        (project / "data" / f"{name}.ttl").write_text(f'_:b1 <urn:p> "{name}" .\n')
    data = prepare(project, DEFAULT_BASE).build.data
    assert len(set(data.subjects(URIRef("urn:p"), None))) == 2


def test_non_conforming_data_fails_with_a_grouped_report(built, cli):
    before = snapshot(built)
    (built / "data" / "bad.ttl").write_text(BAD_INITIATIVE)
    code, out, err = cli("build", "--root", built)
    assert code == 1
    assert "dist/ is unchanged" in err
    group = err.split("ini:9.9\n", 1)[1].split("\n\n")[0].splitlines()
    assert any(
        "sg:outcomeStatus: An initiative needs exactly one sg:outcomeStatus." in line
        and "data/bad.ttl" in line
        for line in group
    )
    assert any("Every initiative needs a Danish rdfs:label." in line for line in group)
    assert "2 violations on 1 resource" in err
    assert snapshot(built) == before


def test_warnings_are_reported_but_do_not_stop_the_build(project, cli):
    (project / "shapes" / "warn.ttl").write_text(
        "@prefix sh: <http://www.w3.org/ns/shacl#> .\n"
        "@prefix sg: <https://w3id.org/sundhedsgraf/def#> .\n"
        "<urn:warn> a sh:NodeShape ; sh:targetClass sg:Initiative ;\n"
        "    sh:property [ sh:path sg:missing ; sh:minCount 1 ; sh:severity sh:Warning ;\n"
        '        sh:message "Consider sg:missing."@en ] .\n'
    )
    code, out, err = cli("build", "--root", project)
    assert code == 0
    assert "sg:missing: Consider sg:missing. [Warning; data/focus-area-1.ttl]" in err
    assert "2 warnings on 2 resources" in err
    assert (project / "dist" / "manifest.json").exists()


def test_validate_reports_and_writes_nothing(project, cli):
    code, out, _ = cli("validate", "--root", project)
    assert code == 0 and "conforms" in out
    (project / "data" / "bad.ttl").write_text(BAD_INITIATIVE)
    code, out, _ = cli("validate", "--root", project)
    assert code == 1
    assert "ini:9.9" in out and "data/bad.ttl" in out
    assert not (project / "dist").exists()


def test_malformed_turtle_names_file_line_and_column(built, cli):
    before = snapshot(built)
    (built / "data" / "broken.ttl").write_text(
        '@prefix sg: <https://w3id.org/sundhedsgraf/def#> .\nsg:a sg:b "x" ;\n  sg:c ] .\n'
    )
    code, _, err = cli("build", "--root", built)
    assert code == 1
    assert "data/broken.ttl: line 3, column 8" in err
    assert snapshot(built) == before


@pytest.mark.parametrize("folder", ["data", "ontology", "shapes"])
def test_an_input_that_cannot_be_read_is_named(built, cli, folder):
    before = snapshot(built)
    (built / folder / "folder.ttl").mkdir()  # tests run as root: no permission would stop them
    code, _, err = cli("build", "--root", built)
    assert code == 1
    assert (
        err
        == f"sundhedsgraf build: {built / folder / 'folder.ttl'}: Is a directory (os error 21)\n"
    )
    assert snapshot(built) == before


def test_a_failed_write_names_the_file(built, cli, monkeypatch):
    """A full disk: write(2) fails with ENOSPC, which carries no file name of its own."""
    before = snapshot(built)
    write_bytes = Path.write_bytes

    def to_a_full_disk(path, content):
        return write_bytes(Path("/dev/full") if path.name == "sundhedsgraf.nt" else path, content)

    monkeypatch.setattr(Path, "write_bytes", to_a_full_disk)
    code, _, err = cli("build", "--root", built)
    assert code == 1
    assert re.fullmatch(
        r"sundhedsgraf build: \S+/\.dist-builds/\.staging-\w+/sundhedsgraf\.nt: "
        r"No space left on device\n",
        err,
    ), err
    assert snapshot(built) == before


def test_an_ill_typed_literal_gets_the_report_and_nothing_else(project):
    """rdflib logs a traceback for "abc"^^xsd:integer; the user should see only the report."""
    (project / "shapes" / "count.ttl").write_text(
        "@prefix sh: <http://www.w3.org/ns/shacl#> .\n"
        "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n"
        "@prefix sg: <https://w3id.org/sundhedsgraf/def#> .\n"
        "<urn:count> a sh:NodeShape ; sh:targetClass sg:Initiative ;\n"
        "    sh:property [ sh:path sg:count ; sh:datatype xsd:integer ] .\n"
    )
    (project / "data" / "count.ttl").write_text(
        "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n"
        "@prefix sg: <https://w3id.org/sundhedsgraf/def#> .\n"
        '<https://w3id.org/sundhedsgraf/id/initiative/1.1> sg:count "abc"^^xsd:integer .\n'
    )
    script = Path(sys.executable).parent / "sundhedsgraf"  # a process of its own: real logging
    result = subprocess.run([script, "build", "--root", project], capture_output=True, text=True)
    assert result.returncode == 1
    assert result.stderr.startswith("sundhedsgraf build: the graph does not conform"), result.stderr
    assert "sg:count: Value is not Literal with datatype xsd:integer" in result.stderr
    assert "Traceback" not in result.stderr and "Failed to convert" not in result.stderr


def test_interrupted_serialization_leaves_dist_unchanged(built, cli, monkeypatch):
    before = snapshot(built)

    def crash(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(dumps, "to_trig", crash)
    with pytest.raises(KeyboardInterrupt):
        cli("build", "--root", built)
    assert snapshot(built) == before


def test_interrupted_writing_leaves_dist_unchanged(built, cli, monkeypatch):
    """A crash half-way through writing the files: the staging folder goes, dist stays."""
    before = snapshot(built)
    write_bytes, written = Path.write_bytes, []

    def write_some(path, content):
        if len(written) == 3:
            raise OSError("disk full")
        written.append(path)
        return write_bytes(path, content)

    monkeypatch.setattr(Path, "write_bytes", write_some)
    code, _, err = cli("build", "--root", built)
    assert code == 1 and "disk full" in err
    assert snapshot(built) == before
    assert [p.name for p in (built / publish.BUILDS).iterdir() if p.name.startswith(".")] == []


def test_old_builds_are_pruned(project, cli):
    for _ in range(4):
        cli("build", "--root", project)
    builds = sorted((project / publish.BUILDS).iterdir())
    assert len(builds) == publish.KEEP
    assert (project / "dist").resolve() == builds[-1].resolve()


def test_plain_dist_folder_is_not_replaced(project, cli):
    (project / "dist").mkdir()
    (project / "dist" / "mine.txt").write_text("keep me")
    code, _, err = cli("build", "--root", project)
    assert code == 1 and "not a build link" in err
    assert (project / "dist" / "mine.txt").read_text() == "keep me"


def test_missing_data_folder_is_a_clear_error(tmp_path, cli):
    code, _, err = cli("build", "--root", tmp_path)
    assert code == 1
    assert "no data/ folder" in err


@pytest.mark.parametrize("how", ["no folder", "no files", "no statements"])
@pytest.mark.parametrize("command", ["build", "validate"])
def test_no_shapes_is_an_error_not_an_unvalidated_graph(built, cli, how, command):
    before = snapshot(built)
    shapes = built / "shapes"
    shutil.rmtree(shapes)
    if how != "no folder":
        shapes.mkdir()
    if how == "no statements":
        (shapes / "empty.ttl").write_text("# nothing yet\n")
    code, _, err = cli(command, "--root", built)
    assert code == 1
    assert f"{shapes}: " in err and "no shapes" in err
    assert snapshot(built) == before


def test_shapes_that_target_none_of_the_data_are_an_error(built, cli):
    before = snapshot(built)
    for path in (built / "shapes").iterdir():
        path.unlink()
    (built / "shapes" / "other.ttl").write_text(
        "@prefix sh: <http://www.w3.org/ns/shacl#> .\n"
        "<urn:shape> a sh:NodeShape ; sh:targetClass <urn:NotInTheData> ;\n"
        "    sh:property [ sh:path <urn:p> ; sh:minCount 1 ] .\n"
    )
    code, _, err = cli("build", "--root", built)
    assert code == 1
    assert "the shapes target none of the classes the data uses" in err
    assert "sg:Initiative" in err
    assert snapshot(built) == before


@pytest.mark.parametrize(
    "target, conforms",
    [
        ("sh:targetClass <urn:NotInTheData>", False),
        ("sh:targetClass skos:Concept", True),  # the data has sg:FocusArea ⊑ skos:Concept
        ("sh:targetSubjectsOf <urn:nowhere>", False),
        ("sh:targetSubjectsOf sg:focusArea", True),
        ("sh:targetObjectsOf sg:focusArea", True),
        ("sh:targetNode <urn:nowhere>", False),
        ("sh:targetNode <https://w3id.org/sundhedsgraf/id/initiative/1.1>", True),
    ],
)
def test_shapes_must_target_something_of_the_data(project, cli, target, conforms):
    shapes = project / "shapes"
    for path in shapes.iterdir():
        path.unlink()
    (shapes / "one.ttl").write_text(
        "@prefix sh: <http://www.w3.org/ns/shacl#> .\n"
        "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n"
        "@prefix sg: <https://w3id.org/sundhedsgraf/def#> .\n"
        f"<urn:shape> a sh:NodeShape ; {target} .\n"
    )
    code, out, err = cli("validate", "--root", project)
    assert code == (0 if conforms else 1), err
    assert ("validation would check nothing" in err) is not conforms


def test_prefixes_are_those_of_docs():
    graph = Graph().parse(REPO / "docs" / "prefixes.ttl")
    declared = re.findall(r"@prefix (\w+): <([^>]+)>", (REPO / "docs" / "prefixes.ttl").read_text())
    assert dict(declared) == PREFIXES
    assert list(dict(declared)) == list(PREFIXES)
    assert len(graph) == 0


def test_the_real_repository_builds(tmp_path, cli):
    """The curated data of this repository: may fail while the data is being completed."""
    for folder in ("ontology", "data", "shapes"):
        shutil.copytree(REPO / folder, tmp_path / folder)
    code, out, err = cli("build", "--root", tmp_path)
    assert code == 0, err
    checked = prepare(tmp_path, DEFAULT_BASE)
    initiatives = set(checked.build.data.subjects(RDF.type, URIRef(SG + "Initiative")))
    assert len(initiatives) == 27

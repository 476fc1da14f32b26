"""The commands that read the build (query, stats) and `sundhedsgraf format`."""

import csv
import io
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO
from rdflib import Graph
from rdflib.compare import isomorphic

from sundhedsgraf.build.formatting import canonical_text, header_comments
from sundhedsgraf.rdfio import parse_graph

SELECT = """PREFIX sg: <https://w3id.org/sundhedsgraf/def#>
SELECT ?initiative ?status WHERE { ?initiative sg:outcomeStatus ?status } ORDER BY ?initiative"""


def test_query_table_shortens_iris(built, cli):
    code, out, _ = cli("query", "--root", built, SELECT)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["initiative", "|", "status"]
    assert set(lines[1]) <= {"-", "+"}
    assert lines[2].split() == ["ini:1.1", "|", "status:in-operation"]
    assert lines[3].split() == ["ini:1.2", "|", "status:paused"]
    assert lines[-1] == "(2 rows)"


def test_query_csv_tsv_json(built, cli):
    _, out, _ = cli("query", "--root", built, "--format", "csv", SELECT)
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == ["initiative", "status"]
    assert rows[1][0] == "https://w3id.org/sundhedsgraf/id/initiative/1.1"
    _, out, _ = cli("query", "--root", built, "--format", "tsv", SELECT)
    assert out.splitlines()[0] == "?initiative\t?status"
    assert "<https://w3id.org/sundhedsgraf/id/initiative/1.2>" in out
    _, out, _ = cli("query", "--root", built, "--format", "json", SELECT)
    result = json.loads(out)
    assert result["head"]["vars"] == ["initiative", "status"]
    assert len(result["results"]["bindings"]) == 2


def test_query_sees_the_entailed_triples_across_graphs(built, cli):
    query = """PREFIX sg: <https://w3id.org/sundhedsgraf/def#>
    SELECT ?system WHERE { ?i sg:involves ?system . ?system a ?c . ?c a ?k }"""
    code, out, _ = cli("query", "--root", built, query)  # ?c a ?k lives in the ontology graph
    assert code == 0 and "(2 rows)" in out


def test_query_from_a_file(built, cli, tmp_path):
    path = tmp_path / "q.rq"
    path.write_text(SELECT)
    code, out, _ = cli("query", "--root", built, "--file", path)
    assert code == 0 and "(2 rows)" in out


def test_ask_prints_true_or_false(built, cli):
    assert cli("query", "--root", built, "ASK { ?s ?p ?o }")[1] == "true\n"
    assert cli("query", "--root", built, "ASK { <urn:x> ?p ?o }")[1] == "false\n"


def test_construct_prints_turtle(built, cli):
    query = """PREFIX sg: <https://w3id.org/sundhedsgraf/def#>
    CONSTRUCT { ?i sg:outcomeStatus ?s } WHERE { ?i sg:outcomeStatus ?s }"""
    code, out, _ = cli("query", "--root", built, query)
    assert code == 0
    assert "ini:1.1 sg:outcomeStatus status:in-operation ." in out
    assert len(Graph().parse(data=out, format="turtle")) == 2
    assert "@prefix foaf:" not in out  # only the prefixes it uses


def test_describe_prints_turtle(built, cli):
    code, out, _ = cli(
        "query", "--root", built, "DESCRIBE <https://w3id.org/sundhedsgraf/id/initiative/1.2>"
    )
    assert code == 0
    assert "ini:1.2 a sg:Initiative" in out


def test_query_syntax_error_exits_2(built, cli):
    code, out, err = cli("query", "--root", built, "SELECT WHERE {")
    assert code == 2
    assert out == "" and "does not parse" in err


def test_query_file_that_cannot_be_read(built, cli, tmp_path):
    missing = tmp_path / "missing.rq"
    code, out, err = cli("query", "--root", built, "--file", missing)
    assert (code, out) == (1, "")
    assert err.strip() == f"sundhedsgraf query: {missing}: No such file or directory"


def test_export_to_a_full_disk_names_the_file(built, cli):
    code, _, err = cli("export", "--root", built, "--format", "nt", "-o", "/dev/full")
    assert (code, err) == (1, "sundhedsgraf export: /dev/full: No space left on device\n")


@pytest.mark.parametrize("command", [["stats"], ["export", "--format", "ttl"], ["validate"]])
def test_a_full_standard_output_is_named(built, command):
    script = Path(sys.executable).parent / "sundhedsgraf"
    with open("/dev/full", "w") as full:
        result = subprocess.run(
            [script, *command, "--root", built], stdout=full, stderr=subprocess.PIPE, text=True
        )
    assert result.returncode == 1
    assert result.stderr == (
        f"sundhedsgraf {command[0]}: standard output: No space left on device\n"
    )


def test_query_without_a_build(project, cli):
    code, _, err = cli("query", "--root", project, SELECT)
    assert code == 1
    assert "run `sundhedsgraf build`" in err


def test_query_needs_a_query(built):
    with pytest.raises(SystemExit) as exit:
        from sundhedsgraf.cli import main

        main(["query", "--root", str(built)])
    assert exit.value.code == 2


def test_stats(built, cli):
    code, out, _ = cli("stats", "--root", built)
    assert code == 0
    assert "Triples" in out
    assert "sg:Initiative" in out
    assert "fa:1  The citizen as an active partner       2" in out
    assert "status:in-operation  In operation       1" in out
    assert "status:paused        Paused             1" in out


def test_stats_without_a_build(project, cli):
    assert cli("stats", "--root", project)[0] == 1


# --- format ---------------------------------------------------------------------------------


def test_format_is_lossless_and_idempotent(project, cli):
    files = sorted((project / "data").glob("*.ttl"))
    before = {path: parse_graph(path) for path in files}
    code, out, _ = cli("format", "--root", project)
    assert code == 0 and f"formatted {len(files)} of {len(files)} files" in out
    once = {path: path.read_bytes() for path in files}
    for path in files:
        assert isomorphic(parse_graph(path), before[path]), path
    cli("format", "--root", project)
    assert {path: path.read_bytes() for path in files} == once


def test_format_style(project, cli):
    cli("format", "--root", project)
    text = (project / "data" / "focus-area-1.ttl").read_text()
    assert text.startswith(
        "# Focus area 1 of the tiny fixture: two initiatives, two systems, one stated relation.\n"
        "# This header must survive `sundhedsgraf format`.\n\n@prefix adms: "
    )
    assert "@prefix void:" not in text  # only the canonical prefixes
    assert "Initiative 1.1 (a section comment" not in text
    block = text.split("\nini:1.1 ")[1].split("\n\n")[0]
    assert block.startswith("a sg:Initiative ;\n    dcterms:identifier")
    assert block.endswith("    sg:value 1.50,\n        6000000 .")  # lexical forms kept
    assert 'rdfs:comment """A "quoted" word,\na second line and a back\\\\slash."""@en' in block
    lines = block.splitlines()[1:]
    predicates = [line.split()[0] for line in lines if re.match(r"    \S", line)]
    assert predicates == sorted(predicates)


def test_format_keeps_a_header_below_the_prefixes(tmp_path):
    path = tmp_path / "x.ttl"
    path.write_text(
        "@prefix sg: <https://w3id.org/sundhedsgraf/def#> .\n\n# About this file.\n# Two lines.\n\n"
        "# A section.\nsg:a sg:b sg:c .\n"
    )
    assert header_comments(path.read_text()) == ([], ["# About this file.", "# Two lines."])
    text = canonical_text(path)
    assert "\n\n# About this file.\n# Two lines.\n\nsg:a sg:b sg:c .\n" in text
    path.write_text(text)
    assert canonical_text(path) == text


def test_format_check_lists_and_writes_nothing(project, cli):
    before = {p: p.read_bytes() for p in (project / "data").glob("*.ttl")}
    code, out, _ = cli("format", "--root", project, "--check")
    assert code == 1
    assert "not canonical: " in out and "focus-area-1.ttl" in out
    assert {p: p.read_bytes() for p in before} == before
    cli("format", "--root", project)
    code, out, _ = cli("format", "--root", project, "--check")
    assert code == 0 and "0 of 2 files" in out


def test_format_named_files_only(project, cli):
    one = project / "data" / "vocabularies.ttl"
    other = (project / "data" / "focus-area-1.ttl").read_bytes()
    code, out, err = cli("format", one)
    assert code == 0 and "formatted 1 of 1 files" in out
    assert (project / "data" / "focus-area-1.ttl").read_bytes() == other
    assert cli("format", "--check", one)[0] == 0


def test_format_reports_malformed_files(project, cli):
    bad = project / "data" / "bad.ttl"
    bad.write_text("@prefix sg: <https://w3id.org/sundhedsgraf/def#> .\nsg:a sg:b .\n")
    code, _, err = cli("format", "--root", project, "--check")
    assert code == 1 and "bad.ttl: line 2" in err


def test_format_names_the_file_it_cannot_write(project, cli, monkeypatch):
    path = project / "data" / "focus-area-1.ttl"
    path.write_text(path.read_text() + "\n\n")  # not canonical: format rewrites it
    write_text = Path.write_text
    monkeypatch.setattr(
        Path, "write_text", lambda p, *a, **k: write_text(Path("/dev/full"), *a, **k)
    )
    code, _, err = cli("format", "--root", project, path)
    assert (code, err) == (1, f"sundhedsgraf format: {path}: No space left on device\n")


def test_format_says_which_comments_it_drops(project, cli):
    code, _, err = cli("format", "--root", project)
    assert "focus-area-1.ttl: 1 comment lines outside the header dropped" in err


def test_format_real_data_is_lossless_and_idempotent(tmp_path):
    """The curated files of this repository survive the canonical style unchanged in meaning."""
    data = Path(shutil.copytree(REPO / "data", tmp_path / "data"))
    for path in sorted(data.rglob("*.ttl")):
        graph = parse_graph(path)
        path.write_text(canonical_text(path))
        assert isomorphic(parse_graph(path), graph), path
        assert canonical_text(path) == path.read_text(), path


def test_console_script_runs(tmp_path):
    script = Path(sys.executable).parent / "sundhedsgraf"
    result = subprocess.run([script, "--version"], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "sundhedsgraf 0.1.0"

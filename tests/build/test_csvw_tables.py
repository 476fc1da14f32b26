"""The tables of dist/ (CSV with CSV on the Web metadata) are linked data: converted back to RDF
they give exactly the graph's triples for what they hold.

The `csvw` package checks that each table conforms to csv-metadata.json (dialect, datatypes,
required cells, primary keys). Its own conversion writes JSON without language tags or
datatypes, so the conversion to RDF here is our own reading of the metadata, as W3C's CSV2RDF
says: the row's resource from `aboutUrl`, the property from `propertyUrl`, an IRI from
`valueUrl`, else a literal with the column's `lang` or `datatype`; empty cells say nothing.
"""

import csv
import io
import json
import re
import shutil

import pytest
from conftest import snapshot
from csvw import CSVW
from rdflib import RDF, RDFS, Graph, Literal, Namespace, URIRef

from sundhedsgraf.build.tables import METADATA, TABLES
from sundhedsgraf.namespaces import DEFAULT_BASE

SG = DEFAULT_BASE + "def#"
XSD = Namespace("http://www.w3.org/2001/XMLSchema#")
TEMPLATE = re.compile(r"\{\+(\w+)\}")


def expand(template: str, row: dict[str, str]) -> str:
    """A URI template of the one form the metadata uses, `{+column}` (RFC 6570 reserved
    expansion: the value as it is, which needs no escaping in an IRI of ours)."""
    name = TEMPLATE.fullmatch(template)
    assert name, f"unexpected template {template}"
    value = row[name.group(1)]
    assert re.fullmatch(r"[A-Za-z0-9:/?#\[\]@!$&'()*+,;=._~%-]+", value), value
    return value


def csv2rdf(dist) -> tuple[Graph, dict[str, set[URIRef]]]:
    """The triples the tables of `dist` stand for, and the resources (rows) of each table."""
    metadata = json.loads((dist / METADATA).read_text(encoding="utf-8"))
    graph, rows_of = Graph(), {}
    for table in metadata["tables"]:
        schema = table["tableSchema"]
        text = (dist / table["url"]).read_text(encoding="utf-8")
        reader = csv.DictReader(io.StringIO(text, newline=""))
        assert reader.fieldnames == [c["name"] for c in schema["columns"]], table["url"]
        rows = list(reader)
        rows_of[table["url"]] = set()
        for row in rows:
            subject = URIRef(expand(schema["aboutUrl"], row))
            rows_of[table["url"]].add(subject)
            for column in schema["columns"]:
                if column.get("suppressOutput") or row[column["name"]] == "":
                    continue
                graph.add((subject, URIRef(column["propertyUrl"]), value(column, row)))
    return graph, rows_of


def value(column: dict, row: dict[str, str]):
    if "valueUrl" in column:
        return URIRef(expand(column["valueUrl"], row))
    text = row[column["name"]]
    if "lang" in column:
        return Literal(text, lang=column["lang"])
    datatype = column["datatype"]
    return Literal(text) if datatype == "string" else Literal(text, datatype=XSD[datatype])


def described(graph: Graph, dist, rows_of) -> Graph:
    """What the graph holds of the tables' rows, for the properties and kinds of the columns."""
    metadata = json.loads((dist / METADATA).read_text(encoding="utf-8"))
    found = Graph()
    for table in metadata["tables"]:
        for column in table["tableSchema"]["columns"]:
            if column.get("suppressOutput"):
                continue
            prop = URIRef(column["propertyUrl"])
            for subject in rows_of[table["url"]]:
                for o in graph.objects(subject, prop):
                    if fits(o, column):
                        found.add((subject, prop, o))
    return found


def fits(o, column: dict) -> bool:
    if "valueUrl" in column:
        return isinstance(o, URIRef)
    if "lang" in column:
        return isinstance(o, Literal) and o.language == column["lang"]
    return isinstance(o, Literal) and not o.language


def instances(graph: Graph, cls: URIRef) -> set[URIRef]:
    classes = set(graph.transitive_subjects(RDFS.subClassOf, cls))
    return {s for c in classes for s in graph.subjects(RDF.type, c)}


@pytest.fixture(scope="module")
def real_graph(real_root) -> Graph:
    return Graph().parse(real_root / "dist" / "sundhedsgraf.nt")


def test_the_tables_conform_to_their_metadata(real_root):
    group = CSVW(str(real_root / "dist" / METADATA), validate=True)
    assert group.is_valid, group.warnings
    assert sorted(t.url.string for t in group.tables) == sorted(f"{t.name}.csv" for t in TABLES)


def test_a_table_that_breaks_its_metadata_is_found(real_root, tmp_path):
    dist = shutil.copytree(real_root / "dist", tmp_path / "dist")
    milestones = (dist / "milestones.csv").read_text(encoding="utf-8")
    start = re.search(r",(\d{4})-(\d{2})-(\d{2}),", milestones)
    broken = milestones.replace(start.group(0), f",{start[3]}.{start[2]}.{start[1]},", 1)
    (dist / "milestones.csv").write_text(broken, encoding="utf-8")
    assert not CSVW(str(dist / METADATA), validate=True).is_valid


def test_the_tables_give_back_the_graphs_triples(real_root, real_graph):
    dist = real_root / "dist"
    triples, rows_of = csv2rdf(dist)
    assert len(triples) > 1000
    assert not triples - real_graph, sorted(triples - real_graph)[:5]
    assert set(triples) == set(described(real_graph, dist, rows_of))


@pytest.mark.parametrize(
    ("table", "cls"),
    [
        ("initiatives.csv", "Initiative"),
        ("milestones.csv", "Milestone"),
        ("figures.csv", "Figure"),
        ("relations.csv", "Relation"),
        ("systems.csv", "System"),
        ("standards.csv", "Standard"),
    ],
)
def test_a_row_for_every_instance(real_root, real_graph, table, cls):
    _, rows_of = csv2rdf(real_root / "dist")
    assert rows_of[table] == instances(real_graph, URIRef(SG + cls))
    assert rows_of[table]


def test_several_values_get_numbered_columns(real_root, real_graph):
    with (real_root / "dist" / "initiatives.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    owner = URIRef(SG + "owner")
    most = max(len(set(real_graph.objects(s, owner))) for s in real_graph.subjects(owner, None))
    assert most > 1
    assert [c for c in rows[0] if c.startswith("owner_") and c[6:].isdigit()] == [
        f"owner_{n}" for n in range(1, most + 1)
    ]


def test_the_tiny_build_has_its_tables(built):
    triples, rows_of = csv2rdf(built / "dist")
    graph = Graph().parse(built / "dist" / "sundhedsgraf.nt")
    assert rows_of["initiatives.csv"] and rows_of["systems.csv"]
    assert not triples - graph
    assert set(triples) == set(described(graph, built / "dist", rows_of))


def test_a_value_a_column_cannot_hold_stops_the_build(built, cli):
    before = snapshot(built)
    data = built / "data" / "focus-area-1.ttl"
    text = data.read_text(encoding="utf-8")
    data.write_text(text + "\nini:1.1 sg:focusArea fa:2 .\nfa:2 a sg:FocusArea .\n", "utf-8")
    code, _, err = cli("build", "--root", built)
    assert code == 1, err
    assert "initiatives.csv" in err and "focusArea" in err and "holds one" in err
    assert snapshot(built) == before

"""Ready-made tables beside the dumps: CSV files described by CSV on the Web metadata.

`csv-metadata.json` (W3C CSVW, the name a CSVW processor looks for next to a CSV file) maps
every column back to the graph: the row's resource (`aboutUrl`), the property
(`propertyUrl`), an IRI value (`valueUrl`), a literal's datatype or language. Converted to RDF
(CSV2RDF), the tables give triples of the graph.

A cell holds one value: a CSVW list cell cannot stand for several IRIs (its value URL is one
IRI made of all of them), so a property with several values gets numbered columns (`owner_1`,
`owner_2`, …), as many as the data needs. A value the column cannot hold (another datatype, a
literal where an IRI belongs) stops the build with its resource named.
"""

import csv
import io
import json
from dataclasses import dataclass

from rdflib import RDF, RDFS, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, XSD

from sundhedsgraf.build.dumps import Build
from sundhedsgraf.errors import SundhedsgrafError
from sundhedsgraf.namespaces import PREFIXES, sg

METADATA = "csv-metadata.json"
CSVW = "http://www.w3.org/ns/csvw"
ORG = PREFIXES["org"]
LICENCE = "http://publications.europa.eu/resource/authority/licence/CC_BY_4_0"


@dataclass(frozen=True)
class Column:
    name: str
    property: str  # an IRI, or `sg:Name` for the ontology under the build's base
    kind: str  # "iri", a language tag ("da", "en"), or an XSD datatype ("string", "date", …)
    many: bool = False  # numbered columns, one per value


@dataclass(frozen=True)
class TableSpec:
    name: str  # the file is <name>.csv
    row: str  # the name of the column of the row's resource
    classes: tuple[str, ...]  # instances of these and their subclasses are the rows
    title: dict[str, str]
    columns: tuple[Column, ...]


def iri(name: str) -> Column:
    return Column(name, "", "iri")


def texts(name: str, prop: str) -> list[Column]:
    return [Column(f"{name}_{lang}", prop, lang) for lang in ("da", "en")]


TYPE = Column("type", str(RDF.type), "iri", many=True)
LABELS = texts("label", str(RDFS.label))
READ_FROM = Column("initiative", str(PROV.wasDerivedFrom), "iri", many=True)
ABBREVIATION = Column("abbreviation", "sg:abbreviation", "string")
MENTIONED_IN = Column("mentioned_in", "sg:mentionedIn", "iri", many=True)

TABLES = (
    TableSpec(
        "initiatives",
        "initiative",
        ("sg:Initiative",),
        {"da": "Indsatser", "en": "Initiatives"},
        (
            TYPE,
            Column("number", str(DCTERMS.identifier), "string"),
            *texts("title", str(DCTERMS.title)),
            Column("focus_area", "sg:focusArea", "iri"),
            Column("owner", "sg:owner", "iri", many=True),
            Column("owner_as_published", "sg:ownerAsPublished", "string"),
            Column("outcome", "sg:outcomeStatus", "iri"),
            *texts("reason", "sg:statusReason"),
        ),
    ),
    TableSpec(
        "milestones",
        "milestone",
        ("sg:Milestone",),
        {"da": "Milepæle", "en": "Milestones"},
        (
            TYPE,
            *LABELS,
            READ_FROM,
            Column("status", "sg:milestoneStatus", "iri"),
            Column("start", "sg:periodStart", "date"),
            Column("end", "sg:periodEnd", "date"),
            Column("precision", "sg:datePrecision", "iri"),
            Column("date_as_published_da", "sg:dateAsPublished", "da"),
            Column("milestone_of", "sg:milestoneOf", "iri"),
        ),
    ),
    TableSpec(
        "figures",
        "figure",
        ("sg:Figure",),
        {"da": "Tal", "en": "Figures"},
        (
            TYPE,
            *LABELS,
            READ_FROM,
            Column("value", "sg:value", "integer"),
            Column("unit", "sg:unit", "iri"),
            Column("comparator", "sg:comparator", "iri"),
            Column("value_as_published_da", "sg:valueAsPublished", "da"),
            *texts("counts", "sg:counts"),
        ),
    ),
    TableSpec(
        "relations",
        "relation",
        ("sg:Relation",),
        {"da": "Relationer", "en": "Relations"},
        (
            TYPE,
            *LABELS,
            Column("subject", str(RDF.subject), "iri"),
            Column("predicate", str(RDF.predicate), "iri"),
            Column("object", str(RDF.object), "iri"),
            Column("realisation", "sg:realisation", "iri"),
            Column("milestone", "sg:milestone", "iri"),
            READ_FROM,
        ),
    ),
    TableSpec(
        "systems",
        "system",
        ("sg:System",),
        {"da": "Systemer", "en": "Systems"},
        (TYPE, *LABELS, ABBREVIATION, MENTIONED_IN),
    ),
    TableSpec(
        "standards",
        "standard",
        ("sg:Standard",),
        {"da": "Standarder", "en": "Standards"},
        (TYPE, *LABELS, ABBREVIATION, MENTIONED_IN),
    ),
    TableSpec(
        "organisations",
        "organisation",
        (ORG + "Organization", ORG + "OrganizationalUnit"),
        {"da": "Organisationer", "en": "Organisations"},
        (TYPE, *LABELS, ABBREVIATION),
    ),
)


def file_of(spec: TableSpec) -> str:
    return spec.name + ".csv"


def render(build: Build) -> dict[str, bytes]:
    """Every table as CSV, and the CSVW metadata that describes them all."""
    graph, ontology = build.union, sg(build.base)
    files, described = {}, []
    for spec in TABLES:
        columns = [resolve(c, ontology) for c in spec.columns]
        rows = [values(graph, spec, s, columns) for s in members(graph, spec, ontology)]
        counts = {c.name: max([1, *(len(row[c.name]) for row in rows)]) for c in columns if c.many}
        header = [spec.row, *(n for c in columns for n in names(c, counts))]
        files[file_of(spec)] = write_csv(header, [flat(spec, columns, counts, row) for row in rows])
        described.append(describe(spec, columns, counts))
    files[METADATA] = metadata(described, build.base)
    return files


def expand(name: str, ontology: str) -> str:
    """`sg:Name` under the build's base; any other IRI as it is."""
    return ontology + name.removeprefix("sg:") if name.startswith("sg:") else name


def resolve(column: Column, ontology: str) -> Column:
    return Column(column.name, expand(column.property, ontology), column.kind, column.many)


def members(graph: Graph, spec: TableSpec, ontology: str) -> list[URIRef]:
    """The instances of the table's classes or their subclasses (the build is not entailed
    upwards: a register is an sg:Register, not also an sg:System)."""
    roots = {URIRef(expand(c, ontology)) for c in spec.classes}
    classes = set().union(*(graph.transitive_subjects(RDFS.subClassOf, c) for c in roots))
    found = {s for c in classes for s in graph.subjects(RDF.type, c) if isinstance(s, URIRef)}
    return sorted(found)


def values(graph: Graph, spec: TableSpec, subject: URIRef, columns: list[Column]) -> dict:
    """{column name: [values]} of one row, each checked against its column."""
    row = {spec.row: [subject]}
    for column in columns:
        found = sorted(
            o for o in graph.objects(subject, URIRef(column.property)) if belongs(o, column)
        )
        if len(found) > 1 and not column.many:
            raise SundhedsgrafError(
                f"{file_of(spec)}: {subject} has {len(found)} values of {column.property}; "
                f"column {column.name} holds one (give it many=True in build/tables.py)"
            )
        row[column.name] = found
    return row


def belongs(value, column: Column) -> bool:
    """Whether `value` belongs in `column`: a language column takes its language only; any
    other value that does not fit is an error."""
    if column.kind in ("da", "en"):
        return isinstance(value, Literal) and value.language == column.kind
    ok = (
        isinstance(value, URIRef)
        if column.kind == "iri"
        else isinstance(value, Literal)
        and not value.language
        and (value.datatype or XSD.string) == XSD[column.kind]
    )
    if not ok:
        raise SundhedsgrafError(
            f"{value!r} cannot stand in the column of {column.property} ({column.kind}); "
            "change the column in build/tables.py"
        )
    return True


def names(column: Column, counts: dict[str, int]) -> list[str]:
    if not column.many:
        return [column.name]
    return [f"{column.name}_{n}" for n in range(1, counts[column.name] + 1)]


def flat(spec: TableSpec, columns: list[Column], counts: dict, row: dict) -> list[str]:
    cells = [str(row[spec.row][0])]
    for column in columns:
        found = [str(v) for v in row[column.name]]
        width = counts[column.name] if column.many else 1
        cells += found + [""] * (width - len(found))
    return cells


def write_csv(header: list[str], rows: list[list[str]]) -> bytes:
    """RFC 4180 and CSVW's default dialect: UTF-8, commas, CRLF, a header row."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode()


# ---- CSVW ------------------------------------------------------------------------------


def describe(spec: TableSpec, columns: list[Column], counts: dict) -> dict:
    """The table's description: what each column says of the row's resource."""
    subject = {
        "name": spec.row,
        "titles": spec.row,
        "datatype": "anyURI",
        "required": True,
        "suppressOutput": True,  # it is the row's resource: in aboutUrl
    }
    described = [
        column_description(column, name) for column in columns for name in names(column, counts)
    ]
    return {
        "url": file_of(spec),
        "dc:title": [{"@value": text, "@language": lang} for lang, text in spec.title.items()],
        "tableSchema": {
            "columns": [subject, *described],
            "primaryKey": spec.row,
            "aboutUrl": "{+" + spec.row + "}",
        },
    }


def column_description(column: Column, name: str) -> dict:
    described = {"name": name, "titles": name, "propertyUrl": column.property}
    if column.kind == "iri":
        described |= {"datatype": "anyURI", "valueUrl": "{+" + name + "}"}
    elif column.kind in ("da", "en"):
        described |= {"datatype": "string", "lang": column.kind}
    else:
        described["datatype"] = column.kind
    return described


def metadata(tables: list[dict], base: str) -> bytes:
    document = {
        "@context": [CSVW, {"@language": "en"}],
        "dc:title": "sundhedsgraf: the graph's main classes as tables",
        "dc:license": {"@id": LICENCE},
        "dc:source": {"@id": base + "id/dataset"},
        "tables": tables,
    }
    return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode()

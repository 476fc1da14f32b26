"""The one table of formats: the RDF serialisations and the SPARQL result formats we serve.

Media type, file extension, title and W3C format IRI come from pyoxigraph's own format objects
(`RdfFormat`, `QueryResultsFormat`); the table adds only what they do not carry: the EU
file-type code of the dataset description, the other names `?format=` accepts, and the media
types clients send as aliases. Beside them: SPARQL results as a spreadsheet (XLSX, which
pyoxigraph does not write), the formats of the tables on the pages, and the media type of
each file of dist/.
"""

from dataclasses import dataclass

import pyoxigraph as ox

W3C_FORMATS = "http://www.w3.org/ns/formats/"
IANA_MEDIA_TYPES = "http://www.iana.org/assignments/media-types/"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv"
TSV = "text/tab-separated-values"
CSVW_METADATA = "application/csvm+json"  # W3C's type for CSV on the Web metadata
HTML = "text/html"
JSON = "application/json"


@dataclass(frozen=True)
class RdfSyntax:
    """An RDF serialisation; `name` is its file extension."""

    oxigraph: ox.RdfFormat
    file_type: str  # the EU file-type authority's code
    names: tuple[str, ...] = ()  # more names for ?format=
    document: bool = True  # offered for the document about one resource (no graph names)

    @property
    def name(self) -> str:
        return self.oxigraph.file_extension

    @property
    def media_type(self) -> str:
        return self.oxigraph.media_type

    @property
    def title(self) -> str:
        return self.oxigraph.name

    @property
    def iri(self) -> str:
        # pyoxigraph names JSON-LD by its newer IRI; the registry's is /ns/formats/JSON-LD
        return W3C_FORMATS + self.oxigraph.iri.rsplit("/", 1)[1]

    @property
    def file(self) -> str:
        """The dump of the whole graph in this syntax."""
        return "sundhedsgraf." + self.name


@dataclass(frozen=True)
class ResultsSyntax:
    """A SPARQL query results format; `name` is what ?format= and the CLI call it. A format of
    ours (`oxigraph` None: XLSX) has no W3C name; its IRI is its IANA registration."""

    oxigraph: ox.QueryResultsFormat | None
    name: str
    own_media_type: str = ""

    @property
    def media_type(self) -> str:
        if self.oxigraph is None:
            return self.own_media_type
        return self.oxigraph.media_type.partition(";")[0]  # without pyoxigraph's charset

    @property
    def iri(self) -> str:
        return self.oxigraph.iri if self.oxigraph else IANA_MEDIA_TYPES + self.media_type

    @property
    def extension(self) -> str:
        return self.oxigraph.file_extension if self.oxigraph else self.name


@dataclass(frozen=True)
class TableSyntax:
    """A format of the tables the pages offer (lists, search); `name` is its file extension."""

    name: str
    media_type: str


# In our order of preference: the first one Accept likes best wins, and */* gives Turtle.
# The names are those clients use, SPARQLWrapper's among them (json-ld, rdf+xml).
RDF = (
    RdfSyntax(ox.RdfFormat.TURTLE, "RDF_TURTLE", ("turtle",)),
    RdfSyntax(ox.RdfFormat.JSON_LD, "JSON_LD", ("json-ld",)),
    RdfSyntax(ox.RdfFormat.N_TRIPLES, "RDF_N_TRIPLES", ("ntriples", "n-triples")),
    RdfSyntax(ox.RdfFormat.RDF_XML, "RDF_XML", ("rdfxml", "rdf+xml")),
    RdfSyntax(ox.RdfFormat.TRIG, "RDF_TRIG", document=False),
    RdfSyntax(ox.RdfFormat.N_QUADS, "RDF_N_QUADS", ("nquads", "n-quads"), document=False),
)
RESULTS = (
    ResultsSyntax(ox.QueryResultsFormat.JSON, "json"),
    ResultsSyntax(ox.QueryResultsFormat.XML, "xml"),
    ResultsSyntax(ox.QueryResultsFormat.CSV, "csv"),
    ResultsSyntax(ox.QueryResultsFormat.TSV, "tsv"),
    ResultsSyntax(None, "xlsx", XLSX),
)
TABLES = (
    TableSyntax("csv", CSV),
    TableSyntax("tsv", TSV),
    TableSyntax("json", JSON),
    TableSyntax("xlsx", XLSX),
)
TABLES_BY_NAME = {f.name: f for f in TABLES}
RDF_BY_NAME = {f.name: f for f in RDF}
RDF_BY_MEDIA_TYPE = {f.media_type: f for f in RDF}
RESULTS_BY_NAME = {f.name: f for f in RESULTS}
RESULTS_BY_MEDIA_TYPE = {f.media_type: f for f in RESULTS}

# Media types of the RDF formats, in our order: media type -> extension
GRAPH_TYPES = {f.media_type: f.name for f in RDF}
DOCUMENT_TYPES = {f.media_type: f.name for f in RDF if f.document}
EXTENSIONS = {f.name: f.media_type for f in RDF}
# Generic media types clients send for a format of ours: (alias, the type it stands for)
RESULT_ALIASES = (
    (JSON, RESULTS_BY_NAME["json"].media_type),
    ("application/xml", RESULTS_BY_NAME["xml"].media_type),
    ("text/xml", RESULTS_BY_NAME["xml"].media_type),
)
GRAPH_ALIASES = (
    (JSON, RDF_BY_NAME["jsonld"].media_type),
    ("application/xml", RDF_BY_NAME["rdf"].media_type),
    ("text/xml", RDF_BY_NAME["rdf"].media_type),
    ("text/plain", RDF_BY_NAME["nt"].media_type),
)
# Text formats get `; charset=utf-8` on the wire.
TEXT_TYPES = ("text/", "application/n-triples", "application/n-quads", "application/trig")


# The file extension of each format /sparql answers in, by media type: for its file names.
ANSWER_EXTENSIONS = {f.media_type: f.name for f in RDF} | {
    f.media_type: f.extension for f in RESULTS
}


def file_media_type(name: str) -> str:
    """The media type of a file of dist/, by its name."""
    if name.endswith("-metadata.json"):
        return CSVW_METADATA
    extension = name.rpartition(".")[2]
    known = {"json": JSON, "csv": CSV, "gz": "application/gzip"} | EXTENSIONS
    return known.get(extension, "application/octet-stream")


def content_type(media_type: str) -> str:
    return f"{media_type}; charset=utf-8" if media_type.startswith(TEXT_TYPES) else media_type

"""The dataset description (DCAT + VoID) of a build: what, whose licence, how big, which files.

It describes the dumps, so it is not part of them. Every node has an IRI under
`<base>id/dataset` (no blank nodes), so each can be linked to and looked up. It conforms to
DCAT-AP 3.0.1 (the build checks it with the official shapes, see dcat_ap.py and docs/dcat-ap.md):
a catalogue with its record, the dataset, its distributions, the SPARQL service, the publisher and
the contact point, with values from the EU authority tables, each typed as DCAT-AP's ranges ask.
"""

import hashlib
import re
from dataclasses import dataclass
from datetime import date

from rdflib import RDF, XSD, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, PROV, SKOS

from sundhedsgraf import formats
from sundhedsgraf.build import tables
from sundhedsgraf.build.dumps import Build
from sundhedsgraf.build.linked import Linked
from sundhedsgraf.build.linksets import add_linksets
from sundhedsgraf.namespaces import EXTRA_PREFIXES, prefixes, sg, shorten

VOID = Namespace(EXTRA_PREFIXES["void"])
SPDX = Namespace(EXTRA_PREFIXES["spdx"])
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
EU = "http://publications.europa.eu/resource/authority/"
IANA = "http://www.iana.org/assignments/media-types/"
# The profile the description (its catalogue record) conforms to, as SEMIC names the release.
DCAT_AP = URIRef("https://semiceu.github.io/DCAT-AP/releases/3.0.1")
SPARQL_PROTOCOL = URIRef("https://www.w3.org/TR/sparql11-protocol/")
STANDARDS = {DCAT_AP: "DCAT-AP 3.0.1", SPARQL_PROTOCOL: "SPARQL 1.1 Protocol"}

TITLE = {
    "da": "Sundhedsgraf: Strategi for digital sundhed 2018-2024 som linked open data",
    "en": "Sundhedsgraf: the Danish Strategy for Digital Health 2018-2024 as linked open data",
}
DESCRIPTION = {
    "da": "Porteføljen ved afslutningen af Strategi for digital sundhed 2018-2024 som en "
    "graf: de fem indsatsområder, de 27 indsatser, deres ejere, de systemer og standarder, de "
    "berører, relationerne mellem dem, daterede milepæle og rapporterede tal, hver med "
    "henvisning til den indsats, den er læst fra.",
    "en": "The portfolio at the close of the Danish Strategy for Digital Health 2018-2024 as "
    "a graph: the five focus areas, the 27 initiatives, their owners, the systems and standards "
    "they touch, the relations between them, dated milestones and reported figures, each "
    "pointing back to the initiative it was read from.",
}
CATALOG_TITLE = {"da": "Sundhedsgraf: datakatalog", "en": "Sundhedsgraf: data catalogue"}
CATALOG_DESCRIPTION = {
    "da": "Sundhedsgrafs datasæt og dets SPARQL-tjeneste, beskrevet efter DCAT-AP.",
    "en": "The sundhedsgraf dataset and its SPARQL service, described by DCAT-AP.",
}
SERVICE_TITLE = {"da": "Sundhedsgraf: SPARQL-endpoint", "en": "Sundhedsgraf: SPARQL endpoint"}
SERVICE_DESCRIPTION = {
    "da": "Skrivebeskyttet SPARQL 1.1-endpoint over sundhedsgraf (grafen og denne beskrivelse).",
    "en": "Read-only SPARQL 1.1 endpoint over sundhedsgraf (the graph and this description).",
}
# The publisher is the project that builds and publishes the graph, not the authors of the source.
PUBLISHER_NAME = {"da": "sundhedsgraf-projektet", "en": "the sundhedsgraf project"}
KEYWORDS = {
    "da": ["digital sundhed", "sundhedsvæsen", "sundheds-it", "strategi", "linked open data"],
    "en": ["digital health", "healthcare", "health IT", "strategy", "linked open data"],
}
# The first (by IRI) instance of each of these sg: classes is an example resource.
EXAMPLE_CLASSES = ["Initiative", "Relation", "Milestone"]


def describe_dataset(
    build: Build, files: dict[str, bytes], version: str, day: date, beside: list[Linked] = ()
) -> Graph:
    """The description of `build`, whose dumps were written as `files` (name -> bytes), and of
    the linked datasets `beside` it."""
    base, graph = build.base, build.union
    dataset = URIRef(base + "id/dataset")
    g = Graph()
    for name, ns in prefixes(base, extra=True).items():
        g.bind(name, ns, replace=True)
    g.add((dataset, RDF.type, DCAT.Dataset))
    g.add((dataset, RDF.type, VOID.Dataset))
    add_texts(g, dataset, TITLE, DESCRIPTION)
    g.add((dataset, DCTERMS.license, licence(g)))
    # The source is a report (a foaf:Document), not a dcat:Dataset as DCAT-AP's dct:source asks.
    g.add((dataset, PROV.wasDerivedFrom, URIRef(base + "id/source/afsluttende-status")))
    for code in ("DAN", "ENG"):
        g.add((dataset, DCTERMS.language, authority(g, "language", code, DCTERMS.LinguisticSystem)))
    g.add((dataset, URIRef(str(DCAT) + "version"), Literal(version)))  # DCAT 3, unknown to rdflib
    g.add((dataset, DCTERMS.bibliographicCitation, Literal(citation(dataset, version))))
    for prop in (DCTERMS.issued, DCTERMS.modified):
        g.add((dataset, prop, Literal(day.isoformat(), datatype=XSD.date)))
    add_dcat_ap(g, dataset, base, day)
    add_statistics(g, dataset, graph, base)
    add_partitions(g, dataset, graph, base)
    for dump in formats.RDF:
        add_dump(g, dataset, dump, files[dump.file], base)
    for spec in tables.TABLES:
        add_table(g, dataset, spec, files[tables.file_of(spec)], base)
    add_linksets(g, dataset, graph, base)
    for linked in beside:
        add_linked(g, dataset, linked, files[linked.file], base)
    return g


def add_texts(g: Graph, node: URIRef, titles: dict[str, str], descriptions: dict[str, str]):
    for lang in ("da", "en"):
        g.add((node, DCTERMS.title, Literal(titles[lang], lang=lang)))
        g.add((node, DCTERMS.description, Literal(descriptions[lang], lang=lang)))


def authority(g: Graph, table: str, code: str, *classes: URIRef) -> URIRef:
    """An entry of an EU authority table, with its table (skos:inScheme) and the classes DCAT-AP's
    ranges ask of it: the shapes check the description alone, without the tables."""
    entry = URIRef(f"{EU}{table}/{code}")
    g.add((entry, SKOS.inScheme, URIRef(EU + table)))
    for cls in classes:
        g.add((entry, RDF.type, cls))
    return entry


def licence(g: Graph) -> URIRef:
    cc_by = URIRef(EU + "licence/CC_BY_4_0")
    g.add((cc_by, RDF.type, DCTERMS.LicenseDocument))
    return cc_by


@dataclass(frozen=True)
class Parties:
    """The nodes the dataset, its service and its catalogue share."""

    home: URIRef
    publisher: URIRef
    contact: URIRef
    theme: URIRef
    access: URIRef
    spatial: URIRef


def add_dcat_ap(g: Graph, dataset: URIRef, base: str, day: date) -> None:
    """What DCAT-AP 3 asks beyond DCAT + VoID: publisher, contact point, theme, access rights,
    spatial coverage, keywords, landing page; the catalogue, its record and the SPARQL service.
    Nodes are `<base>id/dataset/{publisher,contact-point,catalog,record,sparql-service}`."""
    parties = add_parties(g, dataset, base)
    add_keywords(g, dataset)
    add_all(
        g,
        dataset,
        [
            (DCTERMS.publisher, parties.publisher),
            (DCAT.contactPoint, parties.contact),
            (DCAT.theme, parties.theme),
            (DCTERMS.accessRights, parties.access),
            (DCTERMS.spatial, parties.spatial),
            (DCAT.landingPage, parties.home),
        ],
    )
    service = add_service(g, dataset, base, parties)
    add_catalog(g, dataset, service, parties, Literal(day.isoformat(), datatype=XSD.date))


def add_all(g: Graph, node: URIRef, pairs: list[tuple[URIRef, URIRef | Literal]]) -> None:
    for prop, value in pairs:
        g.add((node, prop, value))


def add_keywords(g: Graph, node: URIRef) -> None:
    for lang, words in KEYWORDS.items():
        for word in words:
            g.add((node, DCAT.keyword, Literal(word, lang=lang)))


def add_parties(g: Graph, dataset: URIRef, base: str) -> Parties:
    """The publisher, the contact point, and the EU authority entries the description uses."""
    home = URIRef(base)  # the served home page of the project
    g.add((home, RDF.type, FOAF.Document))
    publisher, contact = URIRef(f"{dataset}/publisher"), URIRef(f"{dataset}/contact-point")
    g.add((publisher, RDF.type, FOAF.Agent))
    for lang, name in PUBLISHER_NAME.items():
        g.add((publisher, FOAF.name, Literal(name, lang=lang)))
    g.add((publisher, FOAF.homepage, home))
    g.add((contact, RDF.type, VCARD.Kind))
    g.add((contact, RDF.type, VCARD.Organization))
    g.add((contact, VCARD.fn, Literal("sundhedsgraf")))
    g.add((contact, VCARD.hasURL, home))
    health = authority(g, "data-theme", "HEAL", SKOS.Concept)
    g.add((health, SKOS.prefLabel, Literal("Health", lang="en")))
    public = authority(g, "access-right", "PUBLIC", DCTERMS.RightsStatement)
    denmark = authority(g, "country", "DNK", DCTERMS.Location)
    for standard, title in STANDARDS.items():
        g.add((standard, RDF.type, DCTERMS.Standard))
        g.add((standard, DCTERMS.title, Literal(title, lang="en")))
    return Parties(home, publisher, contact, health, public, denmark)


def add_service(g: Graph, dataset: URIRef, base: str, parties: Parties) -> URIRef:
    """The SPARQL endpoint as a DCAT data service."""
    service = URIRef(f"{dataset}/sparql-service")
    g.add((service, RDF.type, DCAT.DataService))
    add_texts(g, service, SERVICE_TITLE, SERVICE_DESCRIPTION)
    add_all(
        g,
        service,
        [
            (DCAT.endpointURL, URIRef(base + "sparql")),
            (DCAT.endpointDescription, URIRef(base + "sparql")),  # the service description
            (DCAT.servesDataset, dataset),
            (DCTERMS.conformsTo, SPARQL_PROTOCOL),
            (DCTERMS.license, licence(g)),
            (DCTERMS.accessRights, parties.access),
            (DCTERMS.publisher, parties.publisher),
            (DCAT.contactPoint, parties.contact),
            (DCAT.theme, parties.theme),
        ],
    )
    add_keywords(g, service)
    return service


def add_catalog(g: Graph, dataset: URIRef, service: URIRef, parties: Parties, issued) -> None:
    """The catalogue of the dataset and the service, and its record."""
    catalog, record = URIRef(f"{dataset}/catalog"), URIRef(f"{dataset}/record")
    data_theme = URIRef(EU + "data-theme")
    g.add((data_theme, RDF.type, SKOS.ConceptScheme))
    g.add((data_theme, DCTERMS.title, Literal("Data theme", lang="en")))
    g.add((catalog, RDF.type, DCAT.Catalog))
    add_texts(g, catalog, CATALOG_TITLE, CATALOG_DESCRIPTION)
    add_all(
        g,
        catalog,
        [
            (DCTERMS.publisher, parties.publisher),
            (DCAT.dataset, dataset),
            (DCAT.service, service),
            (DCAT.record, record),
            (FOAF.homepage, parties.home),
            (DCTERMS.license, licence(g)),
            (DCTERMS.spatial, parties.spatial),
            (DCAT.themeTaxonomy, data_theme),
            (DCTERMS.issued, issued),
            (DCTERMS.modified, issued),
        ],
    )
    for code in ("DAN", "ENG"):
        g.add((catalog, DCTERMS.language, URIRef(f"{EU}language/{code}")))
    # The record says which profile the metadata follows: DCAT-AP 3.0.1, the one the build checks.
    g.add((record, RDF.type, DCAT.CatalogRecord))
    add_all(
        g,
        record,
        [
            (FOAF.primaryTopic, dataset),
            (DCTERMS.conformsTo, DCAT_AP),
            (DCTERMS.issued, issued),
            (DCTERMS.modified, issued),
        ],
    )


def citation(dataset: URIRef, version: str) -> str:
    """How to cite this version (the README and CITATION.cff say the same)."""
    return (
        f"The sundhedsgraf project. sundhedsgraf: {TITLE['en'].split(': ', 1)[1]}, "
        f"version {version}. {dataset}. Licence CC BY 4.0."
    )


def add_statistics(g: Graph, dataset: URIRef, graph: Graph, base: str) -> None:
    """The VoID counts, vocabularies and example resources of `graph`."""
    subjects = set(graph.subjects())
    counts = {
        VOID.triples: len(graph),
        VOID.entities: sum(1 for s in subjects if str(s).startswith(base)),
        VOID.distinctSubjects: len(subjects),
        VOID.distinctObjects: len(set(graph.objects())),
        VOID.properties: len(set(graph.predicates())),
        VOID.classes: len(set(graph.objects(None, RDF.type))),
    }
    for prop, count in counts.items():
        g.add((dataset, prop, Literal(count)))
    g.add((dataset, VOID.uriSpace, Literal(base)))
    for vocabulary in vocabularies(graph, prefixes(base, extra=True)):
        g.add((dataset, VOID.vocabulary, URIRef(vocabulary)))
    for name in EXAMPLE_CLASSES:
        instances = sorted(graph.subjects(RDF.type, URIRef(sg(base) + name)))
        if instances:
            g.add((dataset, VOID.exampleResource, instances[0]))


def vocabularies(graph: Graph, prefix_map: dict[str, str]) -> set[str]:
    """The namespaces of `prefix_map` that the properties and classes of `graph` come from."""
    terms = set(graph.predicates()) | set(graph.objects(None, RDF.type))
    curies = filter(None, (shorten(str(term), prefix_map) for term in terms))
    return {prefix_map[curie.split(":")[0]] for curie in curies}


def add_partitions(g: Graph, dataset: URIRef, graph: Graph, base: str) -> None:
    """A class partition per class (with its instances) and a property partition per property
    (with its triples), named `<base>id/dataset/class/<slug>` and `.../property/<slug>`."""
    prefix_map = prefixes(base, extra=True)
    for cls in set(graph.objects(None, RDF.type)):
        partition = URIRef(f"{dataset}/class/{slug(cls, prefix_map)}")
        g.add((dataset, VOID.classPartition, partition))
        g.add((partition, VOID["class"], cls))
        g.add((partition, VOID.entities, Literal(len(set(graph.subjects(RDF.type, cls))))))
    for prop in set(graph.predicates()):
        partition = URIRef(f"{dataset}/property/{slug(prop, prefix_map)}")
        g.add((dataset, VOID.propertyPartition, partition))
        g.add((partition, VOID.property, prop))
        g.add((partition, VOID.triples, Literal(sum(1 for _ in graph.triples((None, prop, None))))))


def slug(iri: URIRef, prefix_map: dict[str, str]) -> str:
    """`sg:Initiative` -> `sg-Initiative`; an IRI without a prefix -> its characters, dashed."""
    return re.sub(r"[^A-Za-z0-9]+", "-", shorten(str(iri), prefix_map) or str(iri)).strip("-")


@dataclass(frozen=True)
class File:
    """A file of dist/ as a distribution: `key` names the node, `<dataset>/distribution/<key>`."""

    key: str
    name: str
    media_type: str
    file_type: str  # the EU file-type authority's code
    titles: dict[str, str]
    descriptions: dict[str, str]


def add_dump(g: Graph, dataset: URIRef, dump: formats.RdfSyntax, content: bytes, base: str):
    """An RDF dump of the whole graph, also VoID's data dump."""
    titles = {"da": f"sundhedsgraf som {dump.title}", "en": f"sundhedsgraf as {dump.title}"}
    descriptions = {
        "da": f"Hele grafen, data og ontologi, som {dump.title}.",
        "en": f"The whole graph, data and ontology, as {dump.title}.",
    }
    file = File(dump.name, dump.file, dump.media_type, dump.file_type, titles, descriptions)
    add_distribution(g, dataset, file, content, base)
    g.add((dataset, VOID.dataDump, URIRef(f"{base}dist/{dump.file}")))


def add_table(g: Graph, dataset: URIRef, spec: tables.TableSpec, content: bytes, base: str):
    """A CSV table, following the CSVW metadata that maps its columns to the graph."""
    titles = {
        "da": f"sundhedsgraf: {spec.title['da'].lower()} som CSV-tabel",
        "en": f"sundhedsgraf: {spec.title['en'].lower()} as a CSV table",
    }
    descriptions = {
        "da": f"En række pr. ressource; {tables.METADATA} knytter kolonnerne til grafen (CSVW).",
        "en": f"One row per resource; {tables.METADATA} maps the columns to the graph (CSVW).",
    }
    file = File(
        f"table-{spec.name}", tables.file_of(spec), formats.CSV, "CSV", titles, descriptions
    )
    distribution = add_distribution(g, dataset, file, content, base)
    schema = URIRef(f"{base}dist/{tables.METADATA}")
    g.add((distribution, DCTERMS.conformsTo, schema))
    g.add((schema, RDF.type, DCTERMS.Standard))
    g.add((schema, DCTERMS.title, Literal("CSVW metadata of the sundhedsgraf tables", lang="en")))


def add_distribution(
    g: Graph, dataset: URIRef, file: File, content: bytes, base: str, licensed: bool = True
) -> URIRef:
    """A file of dist/ as a distribution of `dataset`, under our licence unless not `licensed`."""
    distribution = URIRef(f"{dataset}/distribution/{file.key}")
    checksum = URIRef(f"{distribution}/sha256")
    url = URIRef(f"{base}dist/{file.name}")
    g.add((dataset, DCAT.distribution, distribution))
    g.add((distribution, RDF.type, DCAT.Distribution))
    add_texts(g, distribution, file.titles, file.descriptions)
    g.add((distribution, DCAT.downloadURL, url))
    g.add((distribution, DCAT.accessURL, url))
    media_type = URIRef(IANA + file.media_type)
    g.add((media_type, RDF.type, DCTERMS.MediaType))
    g.add((distribution, DCAT.mediaType, media_type))
    file_type = authority(g, "file-type", file.file_type, DCTERMS.MediaTypeOrExtent)
    g.add((distribution, DCTERMS["format"], file_type))
    if licensed:
        g.add((distribution, DCTERMS.license, licence(g)))
    size = Literal(len(content), datatype=XSD.nonNegativeInteger)
    g.add((distribution, DCAT.byteSize, size))
    g.add((distribution, SPDX.checksum, checksum))
    g.add((checksum, RDF.type, SPDX.Checksum))
    g.add((checksum, SPDX.algorithm, SPDX.checksumAlgorithm_sha256))
    g.add((SPDX.checksumAlgorithm_sha256, RDF.type, SPDX.ChecksumAlgorithm))
    digest = hashlib.sha256(content).hexdigest()
    g.add((checksum, SPDX.checksumValue, Literal(digest, datatype=XSD.hexBinary)))
    return distribution


SOURCE_DESCRIPTION = {
    "da": "Det oprindelige datasæt hos dets udgiver, som den linkede kopi er indlæst fra.",
    "en": "The original dataset at its publisher, from which the linked copy was loaded.",
}
LINKED_DESCRIPTION = {
    "da": "Et datasæt udefra, indlæst ved siden af sundhedsgraf som den navngivne graf <{graph}> "
    "og søgbart i samme SPARQL-endpoint. Det er ikke en del af sundhedsgrafs egne tal.",
    "en": "An outside dataset, loaded beside sundhedsgraf as the named graph <{graph}> and "
    "queryable at the same SPARQL endpoint. It is not part of sundhedsgraf's own counts.",
}


def add_linked(g: Graph, dataset: URIRef, linked: Linked, content: bytes, base: str) -> None:
    """A linked dataset, `<base>id/dataset/linked/<slug>`: its own title, source, licence,
    triples and date loaded, the named graph it is in (`sd:name`), its file as a distribution;
    related to ours (`dcterms:relation`), not a part of it, so its triples are not ours."""
    node = URIRef(f"{dataset}/linked/{linked.slug}")
    g.add((dataset, DCTERMS.relation, node))
    g.add((URIRef(f"{dataset}/catalog"), DCAT.dataset, node))
    g.add((URIRef(f"{dataset}/sparql-service"), DCAT.servesDataset, node))
    g.add((node, RDF.type, DCAT.Dataset))
    g.add((node, RDF.type, VOID.Dataset))
    for lang, title in linked.titles.items():
        g.add((node, DCTERMS.title, Literal(title, lang=lang)))
    for lang, text in LINKED_DESCRIPTION.items():
        g.add((node, DCTERMS.description, Literal(text.format(graph=linked.graph), lang=lang)))
    if linked.source:
        add_source(g, node, URIRef(linked.source), linked.titles)
    if linked.licence:
        g.add((node, DCTERMS.license, URIRef(linked.licence)))
        g.add((URIRef(linked.licence), RDF.type, DCTERMS.LicenseDocument))
    g.add((node, VOID.triples, Literal(linked.triples)))
    g.add((node, DCTERMS.issued, Literal(linked.loaded, datatype=XSD.dateTime)))
    g.add((node, SD.name, URIRef(linked.graph)))
    g.add((node, VOID.sparqlEndpoint, URIRef(base + "sparql")))
    title = linked.titles.get("en") or next(iter(linked.titles.values()))
    file = File(
        "ntriples-gzip",
        linked.file,
        formats.RDF_BY_NAME["nt"].media_type,
        formats.RDF_BY_NAME["nt"].file_type,
        {"da": f"{title} som N-Triples (gzip)", "en": f"{title} as N-Triples (gzip)"},
        {
            "da": f"Grafen <{linked.graph}> som den blev indlæst, i N-Triples, komprimeret.",
            "en": f"The graph <{linked.graph}> as loaded, in N-Triples, compressed.",
        },
    )
    distribution = add_distribution(g, node, file, content, base, licensed=False)
    if linked.licence:
        g.add((distribution, DCTERMS.license, URIRef(linked.licence)))
    gzip_type = URIRef(IANA + "application/gzip")
    g.add((gzip_type, RDF.type, DCTERMS.MediaType))
    g.add((distribution, DCAT.compressFormat, gzip_type))
    g.add((node, VOID.dataDump, URIRef(f"{base}dist/{linked.file}")))


def add_source(g: Graph, node: URIRef, source: URIRef, titles: dict[str, str]) -> None:
    """The original of a linked dataset: DCAT-AP's `dcterms:source` is a dcat:Dataset, with
    a title and a description."""
    g.add((node, DCTERMS.source, source))
    g.add((source, RDF.type, DCAT.Dataset))
    for lang, title in titles.items():
        g.add((source, DCTERMS.title, Literal(title, lang=lang)))
    for lang, text in SOURCE_DESCRIPTION.items():
        g.add((source, DCTERMS.description, Literal(text, lang=lang)))

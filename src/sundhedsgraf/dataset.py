"""The dataset description (DCAT + VoID) of a build: what, whose licence, how big, which files.

It describes the dumps, so it is not part of them. Every node has an IRI under
`<base>id/dataset` (no blank nodes), so each can be linked to and looked up.
"""

import hashlib
import re
from datetime import date

from rdflib import OWL, RDF, XSD, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS

from .dumps import DUMPS, Published
from .namespaces import EXTRA_PREFIXES, prefixes, sg, shorten

VOID = Namespace(EXTRA_PREFIXES["void"])
SPDX = Namespace(EXTRA_PREFIXES["spdx"])
EU = "http://publications.europa.eu/resource/authority/"
IANA = "http://www.iana.org/assignments/media-types/"

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
# The first (by IRI) instance of each of these sg: classes is an example resource.
EXAMPLE_CLASSES = ["Initiative", "Relation", "Milestone"]


def describe(published: Published, files: dict[str, bytes], version: str, day: date) -> Graph:
    """The description of `published`, whose dumps were written as `files` (name -> bytes)."""
    base, graph = published.base, published.union
    dataset = URIRef(base + "id/dataset")
    g = Graph()
    for name, ns in prefixes(base, extra=True).items():
        g.bind(name, ns, replace=True)
    g.add((dataset, RDF.type, DCAT.Dataset))
    g.add((dataset, RDF.type, VOID.Dataset))
    for lang in ("da", "en"):
        g.add((dataset, DCTERMS.title, Literal(TITLE[lang], lang=lang)))
        g.add((dataset, DCTERMS.description, Literal(DESCRIPTION[lang], lang=lang)))
    g.add((dataset, DCTERMS.license, URIRef(EU + "licence/CC_BY_4_0")))
    g.add((dataset, DCTERMS.source, URIRef(base + "id/source/afsluttende-status")))
    for lang in ("DAN", "ENG"):
        g.add((dataset, DCTERMS.language, URIRef(EU + "language/" + lang)))
    g.add((dataset, OWL.versionInfo, Literal(version)))
    g.add((dataset, URIRef(str(DCAT) + "version"), Literal(version)))  # DCAT 3, unknown to rdflib
    for prop in (DCTERMS.issued, DCTERMS.modified):
        g.add((dataset, prop, Literal(day.isoformat(), datatype=XSD.date)))
    add_statistics(g, dataset, graph, base)
    add_partitions(g, dataset, graph, base)
    for dump in DUMPS:
        add_distribution(g, dataset, dump, files[dump.file], base)
    return g


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


def add_distribution(g: Graph, dataset: URIRef, dump, content: bytes, base: str) -> None:
    distribution = URIRef(f"{dataset}/distribution/{dump.format}")
    checksum = URIRef(f"{distribution}/sha256")
    url = URIRef(f"{base}dist/{dump.file}")
    g.add((dataset, DCAT.distribution, distribution))
    g.add((dataset, VOID.dataDump, url))
    g.add((distribution, RDF.type, DCAT.Distribution))
    g.add((distribution, DCTERMS.title, Literal(f"sundhedsgraf som {dump.name}", lang="da")))
    g.add((distribution, DCTERMS.title, Literal(f"sundhedsgraf as {dump.name}", lang="en")))
    g.add((distribution, DCAT.downloadURL, url))
    g.add((distribution, DCAT.accessURL, url))
    g.add((distribution, DCAT.mediaType, URIRef(IANA + dump.media_type)))
    g.add((distribution, DCTERMS["format"], URIRef(EU + "file-type/" + dump.file_type)))
    size = Literal(len(content), datatype=XSD.nonNegativeInteger)
    g.add((distribution, DCAT.byteSize, size))
    g.add((distribution, SPDX.checksum, checksum))
    g.add((checksum, RDF.type, SPDX.Checksum))
    g.add((checksum, SPDX.algorithm, SPDX.checksumAlgorithm_sha256))
    digest = hashlib.sha256(content).hexdigest()
    g.add((checksum, SPDX.checksumValue, Literal(digest, datatype=XSD.hexBinary)))

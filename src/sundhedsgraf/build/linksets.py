"""VoID linksets: one `void:Linkset` per (external target dataset, link predicate) of the graph.

The links themselves are curated in data/links/ (docs/linking.md). Each linkset is a subset of the
dataset, names the predicate, the target dataset (with its title and the space of its IRIs) and
the number of link triples actually in the graph; a linkset without triples is left out. Every
node has an IRI under `<base>id/dataset/linkset/` (no blank nodes), like the rest of the dataset
description.

Two kinds of link are counted:

- IRI links `?s P ?o` from one of our resources (an IRI under `<base>id/`) to an IRI in the target's
  URI space;
- structured identifiers `?s adms:identifier ?id` where `?id` is of the sg: identifier class of
  the target scheme (the notation, not an IRI, lives in the target: CVR, ISO 3166-2, OIDs).

Homepages are not a linkset: they point to many independent web sites, none a dataset.
A target's own IRI counts as in the target (rdfs:seeAlso to the EHMI terminology IG itself).
"""

import re
from dataclasses import dataclass

from rdflib import RDF, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, RDFS

from sundhedsgraf.namespaces import EXTRA_PREFIXES, PREFIXES, sg

VOID = Namespace(EXTRA_PREFIXES["void"])
ADMS = Namespace(PREFIXES["adms"])


@dataclass(frozen=True)
class Target:
    """An external dataset our resources link to."""

    slug: str
    iri: str | None  # its own IRI if verified; None: described under our dataset's IRI
    title_da: str
    title_en: str
    uri_space: str | None = None  # where the IRIs it defines start (besides its own IRI)


@dataclass(frozen=True)
class Linkset:
    target: Target
    predicate: str  # a full IRI, or "sg:<local>" for our vocabulary (rebased with the base)
    identifier_class: str | None = None  # "sg:<local>": count adms:identifier to this class


CVR = Target(
    "cvr",
    "http://cvr.dk",
    "CVR – Det Centrale Virksomhedsregister",
    "CVR – the Danish Central Business Register",
)
ISO_3166_2_DK = Target(
    "iso-3166-2-dk",
    None,
    "ISO 3166-2:DK – koder for Danmarks regioner",
    "ISO 3166-2:DK – codes of the regions of Denmark",
)
OID = Target(
    "oid",
    None,
    "Objektidentifikatorer (OID'er, urn:oid:)",
    "Object identifiers (OIDs, urn:oid:)",
    uri_space="urn:oid:",
)
MEDCOM_FHIR = Target(
    "medcom-fhir",
    None,
    "MedComs FHIR-implementeringsguides",
    "MedCom's FHIR implementation guides",
    uri_space="http://medcomfhir.dk/ig/",
)
EHMI_TERMINOLOGY = Target(
    "ehmi-terminology",
    "http://medcomehmi.dk/ig/terminology",
    "EHMI-terminologien (MedComs kodelister for EHMI, herunder meddelelses-URN'er)",
    "EHMI terminology (MedCom's code lists for EHMI, including message URNs)",
    uri_space="urn:dk:healthcare:medcom:messaging:",
)
HL7_FHIR = Target(
    "hl7-fhir",
    "http://hl7.org/fhir/",
    "HL7 FHIR (ressourcetyper i FHIR RDF)",
    "HL7 FHIR (resource types in FHIR RDF)",
    uri_space="http://hl7.org/fhir/",
)
HL7_DK_CORE = Target(
    "hl7-dk-core",
    "http://hl7.dk/fhir/core",
    "HL7 Denmark DK Core FHIR-implementeringsguide",
    "HL7 Denmark DK Core FHIR implementation guide",
    uri_space="http://hl7.dk/fhir/core/",
)

LINKSETS = [
    Linkset(CVR, str(ADMS.identifier), identifier_class="sg:CvrIdentifier"),
    Linkset(ISO_3166_2_DK, str(ADMS.identifier), identifier_class="sg:Iso31662Identifier"),
    Linkset(OID, str(ADMS.identifier), identifier_class="sg:OidIdentifier"),
    Linkset(MEDCOM_FHIR, str(RDFS.isDefinedBy)),
    Linkset(EHMI_TERMINOLOGY, str(DCTERMS.hasVersion)),
    Linkset(EHMI_TERMINOLOGY, str(RDFS.seeAlso)),
    Linkset(HL7_FHIR, "sg:messageFocus"),
    Linkset(HL7_DK_CORE, str(RDFS.seeAlso)),
]


def resolve(name: str, base: str) -> URIRef:
    """`sg:<local>` under `base`, or the IRI itself."""
    return URIRef(sg(base) + name[3:]) if name.startswith("sg:") else URIRef(name)


def short(name: str) -> str:
    """The local name of a predicate: `http://…/rdf-schema#isDefinedBy` -> `isDefinedBy`."""
    return re.split(r"[/#:]", name)[-1]


def count(graph: Graph, linkset: Linkset, base: str) -> int:
    """The link triples of `linkset` in `graph`, from our resources (IRIs under `<base>id/`)."""
    predicate, ours = resolve(linkset.predicate, base), base + "id/"
    ours = [(s, o) for s, o in graph.subject_objects(predicate) if str(s).startswith(ours)]
    if linkset.identifier_class:
        kind = resolve(linkset.identifier_class, base)
        return sum(1 for _, o in ours if (o, RDF.type, kind) in graph)
    target, space = linkset.target.iri, linkset.target.uri_space or linkset.target.iri
    inside = (str(o) for _, o in ours if isinstance(o, URIRef))
    return sum(1 for o in inside if o == target or o.startswith(space))


def target_iri(dataset: URIRef, target: Target) -> URIRef:
    """The target's own IRI, or one of ours for a target with no verified IRI of its own."""
    return URIRef(target.iri or f"{dataset}/target/{target.slug}")


def linkset_iri(dataset: URIRef, linkset: Linkset) -> URIRef:
    slug = f"{linkset.target.slug}-{short(linkset.predicate)}"
    return URIRef(f"{dataset}/linkset/{slug}")


def add_linksets(g: Graph, dataset: URIRef, graph: Graph, base: str) -> None:
    """Describe in `g` one void:Linkset per (target dataset, link predicate) that `graph` uses."""
    for linkset in LINKSETS:
        triples = count(graph, linkset, base)
        if not triples:
            continue
        node, target = linkset_iri(dataset, linkset), target_iri(dataset, linkset.target)
        predicate = resolve(linkset.predicate, base)
        g.add((dataset, VOID.subset, node))
        g.add((node, RDF.type, VOID.Linkset))
        g.add((node, VOID.subjectsTarget, dataset))
        g.add((node, VOID.objectsTarget, target))
        g.add((node, VOID.linkPredicate, predicate))
        g.add((node, VOID.triples, Literal(triples)))
        name, da, en = short(linkset.predicate), linkset.target.title_da, linkset.target.title_en
        g.add((node, DCTERMS.title, Literal(f"Lænker ({name}) til {da}", lang="da")))
        g.add((node, DCTERMS.title, Literal(f"Links ({name}) to {en}", lang="en")))
        g.add((target, RDF.type, VOID.Dataset))
        g.add((target, DCTERMS.title, Literal(da, lang="da")))
        g.add((target, DCTERMS.title, Literal(en, lang="en")))
        if linkset.target.uri_space:
            g.add((target, VOID.uriSpace, Literal(linkset.target.uri_space)))

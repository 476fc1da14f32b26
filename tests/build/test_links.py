"""Links to external identifiers and resources (data/links/, docs/linking.md): only verified
values, well-formed, each with its source, counted right in the VoID linksets."""

import csv
import re
from pathlib import Path

import pytest
from rdflib import RDF, BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, FOAF, RDFS, SKOS, XSD

from sundhedsgraf.build.linksets import LINKSETS, VOID, add_linksets, resolve, target_iri
from sundhedsgraf.publication import open_publication

REPO = Path(__file__).resolve().parents[2]
LINKS = REPO / "data" / "links"
REFERENCE = REPO.parent / "shared" / "reference" / "identifiers.tsv"
BASE = "https://w3id.org/sundhedsgraf/"
SG = Namespace(BASE + "def#")
ADMS = Namespace("http://www.w3.org/ns/adms#")
ID = Namespace(BASE + "id/")
SOURCE = ID["source/reference-identifiers"]
LINK_PREDICATES = {
    FOAF.homepage,
    RDFS.isDefinedBy,
    RDFS.seeAlso,
    DCTERMS.hasVersion,
    SG.messageFocus,
}
FHIR = "http://hl7.org/fhir/"  # verified namespace; the types are verified per message below

# Which FHIR resource type each MedCom message is about (MessageHeader.focus), verified by hand in
# the publisher's IG pages and source repositories (docs/linking.md lists what each says).
FHIR_FOCUS = {
    "hospitalnotification": (
        "Encounter",
        "https://build.fhir.org/ig/medcomdk/dk-medcom-hospitalnotification/"
        "StructureDefinition-medcom-hospitalNotification-messageHeader.html",
        "https://github.com/medcomdk/dk-medcom-hospitalnotification",
    ),
    "carecommunication": (
        "Communication",
        "https://build.fhir.org/ig/medcomdk/dk-medcom-carecommunication/"
        "StructureDefinition-medcom-careCommunication-messageHeader.html",
        "https://github.com/medcomdk/dk-medcom-carecommunication",
    ),
    "homecareobservation": (
        "DiagnosticReport",
        "https://build.fhir.org/ig/medcomdk/dk_HomeCareObservations/profiles.html",
        "https://github.com/medcomdk/dk_MunicipalityObservationResults",
    ),
}

# The identifiers that were in organisations.ttl before they moved to data/links/: none is lost.
MOVED = {
    ("organisation/sds", SG.cvr, Literal("33257872")),
    ("organisation/medcom", SG.cvr, Literal("26919991")),
    ("organisation/kombit", SG.cvr, Literal("19435075")),
    ("organisation/region-nordjylland", SG.iso31662, Literal("DK-81")),
    ("organisation/sds", FOAF.homepage, URIRef("https://sundhedsdatastyrelsen.dk")),
    ("organisation/medcom", FOAF.homepage, URIRef("https://www.medcom.dk")),
    ("organisation/kombit", FOAF.homepage, URIRef("https://www.kombit.dk")),
    ("organisation/dr", FOAF.homepage, URIRef("https://www.regioner.dk")),
    ("organisation/kl", FOAF.homepage, URIRef("https://www.kl.dk")),
    ("organisation/plo", FOAF.homepage, URIRef("https://www.laeger.dk/foreninger/plo")),
    ("organisation/ism", FOAF.homepage, URIRef("https://www.ism.dk")),
    ("organisation/laegemiddelstyrelsen", FOAF.homepage, URIRef("https://laegemiddelstyrelsen.dk")),
}


def modulus_11(cvr: str) -> bool:
    """The CVR check: 8 digits, weights 2,7,6,5,4,3,2,1, weighted sum divisible by 11."""
    weights = (2, 7, 6, 5, 4, 3, 2, 1)
    return (
        len(cvr) == 8
        and cvr.isdigit()
        and sum(int(d) * w for d, w in zip(cvr, weights, strict=True)) % 11 == 0
    )


@pytest.fixture(scope="module")
def reference() -> dict[str, set[str]]:
    """The values of identifiers.tsv by status."""
    with REFERENCE.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    by_status: dict[str, set[str]] = {}
    for row in rows:
        by_status.setdefault(row["status"], set()).add(row["value"])
    return by_status


@pytest.fixture(scope="module")
def links() -> Graph:
    """Only the files of data/links/."""
    graph = Graph()
    for path in sorted(LINKS.glob("*.ttl")):
        graph.parse(path)
    return graph


@pytest.fixture(scope="module")
def build(real_root) -> Graph:
    """The data graph of the real build."""
    return open_publication(real_root).named_graph("data")


def link_values(graph: Graph) -> list[str]:
    """Every identifier value and link target stated in `graph` (not the sources)."""
    values = [str(o) for o in graph.objects(None, SKOS.notation)]
    values += [str(o) for p in (SG.cvr, SG.iso31662) for o in graph.objects(None, p)]
    for p in LINK_PREDICATES - {SG.messageFocus}:
        values += [str(o) for s, o in graph.subject_objects(p) if str(s).startswith(BASE)]
    return values


# --- the values ----------------------------------------------------------------------------------


def test_the_verified_cvrs_pass_modulus_11(reference):
    with REFERENCE.open(encoding="utf-8", newline="") as f:
        verified = [
            r["value"]
            for r in csv.DictReader(f, delimiter="\t")
            if r["identifier_kind"] == "CVR" and r["status"] == "verified"
        ]
    assert sorted(verified) == ["19435075", "26919991", "33257872"]
    assert all(modulus_11(cvr) for cvr in verified)
    assert not modulus_11("33257873") and not modulus_11("3325787")


def test_every_cvr_in_the_data_passes_modulus_11(links):
    cvrs = [str(o) for o in links.objects(None, SG.cvr)]
    cvrs += [
        str(n)
        for i in links.subjects(RDF.type, SG.CvrIdentifier)
        for n in links.objects(i, SKOS.notation)
    ]
    assert len(cvrs) == 6
    assert all(modulus_11(cvr) for cvr in cvrs), cvrs


def test_every_value_is_verbatim_in_the_reference_as_verified(links, reference):
    values = link_values(links)
    assert values
    not_verified = sorted(v for v in values if v not in reference["verified"])
    assert not not_verified, f"not in identifiers.tsv with status verified: {not_verified}"


def test_no_likely_value_is_used(links, reference):
    text = "\n".join(p.read_text(encoding="utf-8") for p in sorted(LINKS.glob("*.ttl")))
    used = [v for v in reference["likely"] if v in text or v.removeprefix("https://") in text]
    assert not used, f"`likely` values in data/links/: {used}"
    assert not set(link_values(links)) & reference["likely"]


def test_fhir_resource_types_are_the_verified_message_foci(links):
    found = {str(s).rsplit("/", 1)[-1]: str(o) for s, o in links.subject_objects(SG.messageFocus)}
    assert found == {name: FHIR + kind for name, (kind, *_) in FHIR_FOCUS.items()}
    for name, (_, *pages) in FHIR_FOCUS.items():
        node = ID[f"standard/{name}/link/message-focus"]
        # The reference list verifies the FHIR namespace, not which type a message is about:
        # each link cites only the MedCom pages the mapping was checked in.
        assert set(links.objects(node, DCTERMS.source)) == set(map(URIRef, pages))


def test_an_identifier_system_is_not_the_identifier_of_a_service(links):
    """The X-eCPR OID names the identifier system of national eCPR numbers; the graph has no
    resource for that system, and the eCPR service is not identified by it."""
    ecpr = ID["system/ecpr"]
    assert not list(links.objects(ecpr, ADMS.identifier))
    assert "1.2.208.176.1.6.1.1" not in {str(o) for o in links.objects(None, SKOS.notation)}


def test_nothing_moved_is_lost(build):
    for subject, predicate, value in MOVED:
        assert (ID[subject], predicate, value) in build, (subject, predicate, value)


def test_no_identifier_or_link_left_in_the_resource_files():
    for name in ("organisations", "systems", "standards"):
        graph = Graph().parse(REPO / "data" / f"{name}.ttl")
        for p in LINK_PREDICATES | {SG.cvr, SG.iso31662, ADMS.identifier}:
            assert not list(graph.triples((None, p, None))), (name, p)


# --- form and provenance -------------------------------------------------------------------------


def test_no_blank_nodes_in_the_link_files(links):
    assert not [t for t in links if any(isinstance(x, BNode) for x in t)]


def test_identifier_nodes_live_under_their_resource_and_cite_the_reference(links):
    nodes = set(links.subjects(RDF.type, ADMS.Identifier))
    assert len(nodes) == 6
    for node in nodes:
        owner = links.value(predicate=ADMS.identifier, object=node)
        assert str(node).startswith(f"{owner}/identifier/"), node
        assert SOURCE in set(links.objects(node, DCTERMS.source)), node
        assert len(list(links.objects(node, SKOS.notation))) == 1, node
    oids = [links.value(n, SKOS.notation) for n in links.subjects(RDF.type, SG.OidIdentifier)]
    assert oids and all(o.datatype == XSD.anyURI for o in oids)


def test_every_link_triple_has_one_link_node_citing_its_source(build):
    """The converse of the shape sgsh:Link-asserted: every IRI link from our resources is stated
    once as an sg:Link with a dcterms:source."""
    resource = re.compile(re.escape(BASE) + r"id/(organisation|system|standard)/[^/]+")
    subjects = {s for s in build.subjects() if resource.fullmatch(str(s))}
    triples = {
        (s, p, o) for p in LINK_PREDICATES for s, o in build.subject_objects(p) if s in subjects
    }
    stated = {}
    for node in build.subjects(RDF.type, SG.Link):
        key = tuple(build.value(node, p) for p in (RDF.subject, RDF.predicate, RDF.object))
        stated.setdefault(key, []).append(node)
        assert list(build.objects(node, DCTERMS.source)), node
        assert str(node) == f"{key[0]}/link/{str(node).rsplit('/', 1)[-1]}"
    assert triples == set(stated), sorted(triples ^ set(stated))
    assert all(len(nodes) == 1 for nodes in stated.values())


# --- counts and linksets -------------------------------------------------------------------------


def counts(graph: Graph) -> dict[URIRef, int]:
    """Link triples per predicate from our resources, and the number of link nodes."""
    ours = BASE + "id/"
    result = {
        p: sum(1 for s in graph.subjects(p, None) if str(s).startswith(ours))
        for p in LINK_PREDICATES | {ADMS.identifier, SG.cvr, SG.iso31662}
    }
    result[SG.Link] = len(set(graph.subjects(RDF.type, SG.Link)))
    return result


def test_the_build_has_exactly_the_links_of_the_files(links, build):
    expected = {
        FOAF.homepage: 8,
        RDFS.isDefinedBy: 3,
        RDFS.seeAlso: 2,
        DCTERMS.hasVersion: 5,
        SG.messageFocus: 3,
        ADMS.identifier: 6,
        SG.cvr: 3,
        SG.iso31662: 1,
        SG.Link: 21,
    }
    assert counts(links) == expected
    assert counts(build) == expected


IRI_LINKS = """SELECT (COUNT(*) AS ?n) WHERE {
    ?s ?p ?o .
    FILTER (STRSTARTS(STR(?s), ?ours) && isIRI(?o) && (?o = ?target || STRSTARTS(STR(?o), ?space)))
}"""
IDENTIFIERS = """SELECT (COUNT(*) AS ?n) WHERE {
    ?s <http://www.w3.org/ns/adms#identifier> ?id . ?id a ?kind .
    FILTER (STRSTARTS(STR(?s), ?ours))
}"""


def test_linksets_of_the_build_count_the_real_triples(build):
    """Each linkset's void:triples equals a SPARQL count over the build."""
    dataset = URIRef(BASE + "id/dataset")
    g = Graph()
    add_linksets(g, dataset, build, BASE)
    found = {
        (g.value(s, VOID.objectsTarget), g.value(s, VOID.linkPredicate)): g.value(s, VOID.triples)
        for s in g.subjects(RDF.type, VOID.Linkset)
    }
    assert len(found) == len(LINKSETS)
    ours = Literal(BASE + "id/")
    for linkset in LINKSETS:
        target, predicate = target_iri(dataset, linkset.target), resolve(linkset.predicate, BASE)
        if linkset.identifier_class:
            kind = resolve(linkset.identifier_class, BASE)
            rows = build.query(IDENTIFIERS, initBindings={"kind": kind, "ours": ours})
        else:
            space = Literal(linkset.target.uri_space or linkset.target.iri)
            bindings = {"p": predicate, "target": target, "space": space, "ours": ours}
            rows = build.query(IRI_LINKS, initBindings=bindings)
        expected = next(iter(rows))[0].toPython()
        assert found[(target, predicate)].toPython() == expected > 0, linkset
    totals = {}
    for (_, predicate), n in found.items():
        totals[predicate] = totals.get(predicate, 0) + n.toPython()
    assert totals == {
        ADMS.identifier: 6,
        RDFS.isDefinedBy: 3,
        DCTERMS.hasVersion: 5,
        RDFS.seeAlso: 2,
        SG.messageFocus: 3,
    }


def tiny(base: str) -> Graph:
    """Two organisations, a standard, a few links of each kind, and ontology-like noise."""
    sg, ids = Namespace(base + "def#"), Namespace(base + "id/")
    g = Graph()
    for org in ("a", "b"):
        node = ids[f"organisation/{org}/identifier/cvr"]
        g.add((ids[f"organisation/{org}"], ADMS.identifier, node))
        g.add((node, RDF.type, sg.CvrIdentifier))
        g.add((ids[f"organisation/{org}"], FOAF.homepage, URIRef(f"https://{org}.example.org")))
    std = ids["standard/s"]
    g.add((std, sg.messageFocus, URIRef(FHIR + "Encounter")))
    g.add((std, sg.messageFocus, URIRef(FHIR + "Patient")))
    g.add((std, RDFS.isDefinedBy, URIRef("http://medcomfhir.dk/ig/s")))
    g.add((sg.something, RDFS.isDefinedBy, URIRef("http://medcomfhir.dk/ig/x")))  # a term: not ours
    g.add((URIRef("http://example.org/x"), sg.messageFocus, URIRef(FHIR + "Encounter")))
    return g


@pytest.mark.parametrize("base", [BASE, "https://example.org/graph/"])
def test_add_linksets_on_a_graph_of_our_own(base):
    dataset = URIRef(base + "id/dataset")
    g = Graph()
    add_linksets(g, dataset, tiny(base), base)
    sets = set(g.subjects(RDF.type, VOID.Linkset))
    by_predicate = {g.value(s, VOID.linkPredicate): s for s in sets}
    assert set(by_predicate) == {
        ADMS.identifier,
        URIRef(base + "def#messageFocus"),
        RDFS.isDefinedBy,
    }
    cvr = by_predicate[ADMS.identifier]
    assert g.value(cvr, VOID.triples) == Literal(2)
    assert g.value(cvr, VOID.objectsTarget) == URIRef("http://cvr.dk")
    assert g.value(by_predicate[URIRef(base + "def#messageFocus")], VOID.triples) == Literal(2)
    assert g.value(by_predicate[RDFS.isDefinedBy], VOID.triples) == Literal(1)  # not def#
    for s in sets:
        assert str(s).startswith(f"{dataset}/linkset/")
        assert (dataset, VOID.subset, s) in g
        assert g.value(s, VOID.subjectsTarget) == dataset
        target = g.value(s, VOID.objectsTarget)
        assert {t.language for t in g.objects(target, DCTERMS.title)} == {"da", "en"}
        assert {t.language for t in g.objects(s, DCTERMS.title)} == {"da", "en"}
    assert g.value(URIRef(FHIR), VOID.uriSpace) == Literal(FHIR)
    assert not [t for t in g if any(isinstance(x, BNode) for x in t)]

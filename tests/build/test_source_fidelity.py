"""The curated data against the source document: published titles and owners verbatim, the
focus-area structure, and prose written in our own words rather than pasted from the source."""

import hashlib
import re
from pathlib import Path

import pytest
from rdflib import Graph, Literal, Namespace
from rdflib.namespace import DCTERMS, PROV, RDF, RDFS, SKOS
from source_facts import (
    DESCRIPTION_TARGETS,
    FOCUS_AREAS,
    INITIATIVES,
    OWNER_SLUGS,
    QUESTIONNAIRE_AREAS,
    TABLE_PAGES,
)

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT.parent / "shared/source/strategi-for-digital-sundhed-2018-2024-afsluttende-status.txt"
SG = Namespace("https://w3id.org/sundhedsgraf/def#")
ID = Namespace("https://w3id.org/sundhedsgraf/id/")
ORG = Namespace("http://www.w3.org/ns/org#")
ORG_BASE = "https://w3id.org/sundhedsgraf/id/organisation/"
PROSE = (DCTERMS.description, SG.statusSummary, SG.statusReason, SG.counts, RDFS.comment)
SHARED_WORDS = 9  # a run of this many words in common with the source counts as pasted


@pytest.fixture(scope="module")
def data() -> Graph:
    graph = Graph()
    for path in sorted((ROOT / "data").glob("*.ttl")):
        graph.parse(path)
    return graph


def initiatives(graph: Graph) -> dict[str, object]:
    return {
        str(graph.value(i, DCTERMS.identifier)): i for i in graph.subjects(RDF.type, SG.Initiative)
    }


def text(graph: Graph, subject, predicate, lang: str) -> list[str]:
    return [str(o) for o in graph.objects(subject, predicate) if o.language == lang]


def test_five_focus_areas_with_published_names(data):
    found = {
        str(data.value(fa, SKOS.notation)): text(data, fa, SKOS.prefLabel, "da")
        for fa in data.subjects(RDF.type, SG.FocusArea)
    }
    assert found == {n: [name] for n, name in FOCUS_AREAS.items()}


def test_all_27_initiatives_with_published_titles(data):
    found = initiatives(data)
    assert sorted(found) == sorted(INITIATIVES)
    for identifier, (title, _) in INITIATIVES.items():
        assert text(data, found[identifier], DCTERMS.title, "da") == [title], identifier


def test_each_initiative_in_the_focus_area_of_its_number(data):
    for identifier, initiative in initiatives(data).items():
        focus_area = data.value(initiative, SG.focusArea)
        assert str(data.value(focus_area, SKOS.notation)) == identifier.split(".")[0]


def test_owners_as_published_and_as_organisations(data):
    for identifier, (_, owner_cell) in INITIATIVES.items():
        initiative = initiatives(data)[identifier]
        assert data.value(initiative, SG.ownerAsPublished) == Literal(owner_cell)
        expected = {ORG_BASE + OWNER_SLUGS[name] for name in re.split(r", | og ", owner_cell)}
        assert {str(o) for o in data.objects(initiative, SG.owner)} == expected, identifier


def test_duplicate_title_of_4_4_and_4_5_is_kept_and_explained(data):
    found = initiatives(data)
    for identifier in ("4.4", "4.5"):
        notes = " ".join(text(data, found[identifier], SKOS.editorialNote, "en"))
        other = "4.5" if identifier == "4.4" else "4.4"
        assert other in notes, f"{identifier} must say it shares its title with {other}"


def words(value: str) -> list[str]:
    return re.findall(r"\w+", value.lower())


def runs(tokens: list[str]) -> set[tuple[str, ...]]:
    return {tuple(tokens[i : i + SHARED_WORDS]) for i in range(len(tokens) - SHARED_WORDS + 1)}


def test_prose_is_in_our_own_words(data):
    # Join words the PDF hyphenated across lines before comparing.
    source = re.sub(r"(\w)-\s*\n\s*(\w)", r"\1\2", SOURCE.read_text(encoding="utf-8"))
    pasted = runs(words(source))
    offenders = [
        f"{s} {p}: {' '.join(sorted(runs(words(o)) & pasted)[0])}"
        for p in PROSE
        for s, o in data.subject_objects(p)
        if runs(words(o)) & pasted
    ]
    assert not offenders, "\n".join(offenders)


# --- The corrections of the independent audit (issue 11) ----------------------------------------


def status_of(graph: Graph, identifier: str) -> str:
    return str(graph.value(initiatives(graph)[identifier], SG.outcomeStatus)).rsplit("/", 1)[-1]


def test_a_completed_initiative_has_nothing_left_planned(data):
    """status:completed is "delivered as described and closed": nothing the initiative's own
    relations or milestones still plan. 4.5's description promises replacing Den Gode Web Service
    and testing a migration; its status reports only the REST/FHIR profile and an architecture
    description, and its relation to the replacement is planned: partly delivered."""
    for identifier, initiative in initiatives(data).items():
        if status_of(data, identifier) != "completed":
            continue
        planned = [
            node
            for node in data.subjects(PROV.wasDerivedFrom, initiative)
            for p in (SG.realisation, SG.milestoneStatus)
            if str(data.value(node, p)).endswith("/planned")
        ]
        assert not planned, f"{identifier} is completed but plans {planned}"
    assert status_of(data, "4.5") == "partly-delivered"


def test_the_eleven_questionnaire_areas_of_1_2(data):
    """1.2 lists the areas with national questionnaires; the graph has each as a concept and
    their number as a figure."""
    source = SOURCE.read_text(encoding="utf-8")
    listed = re.search(r"på følgende områder: (.+?)\.\n", source, re.S).group(1)
    assert re.split(r",\s*", listed.replace("\n", " ")) == QUESTIONNAIRE_AREAS
    scheme = ID["scheme/pro-questionnaire-area"]
    concepts = set(data.subjects(SKOS.inScheme, scheme))
    assert sorted(text(data, c, SKOS.prefLabel, "da")[0] for c in concepts) == sorted(
        QUESTIONNAIRE_AREAS
    )
    assert all((c, SG.mentionedIn, ID["initiative/1.2"]) in data for c in concepts)
    figures = [
        f
        for f in data.subjects(SG.figureOf, ID["initiative/1.2"])
        if data.value(f, SG.unit) == ID["unit/questionnaire-area"]
    ]
    assert len(figures) == 1
    assert data.value(figures[0], SG.value).toPython() == len(QUESTIONNAIRE_AREAS) == 11


@pytest.mark.parametrize("milestone", sorted(DESCRIPTION_TARGETS))
def test_a_target_is_revised_only_where_the_source_says_it_was_missed_or_moved(data, milestone):
    status = data.value(ID[f"milestone/{milestone}"], SG.milestoneStatus)
    assert str(status).rsplit("/", 1)[-1] == DESCRIPTION_TARGETS[milestone]


def test_4_4_concerns_the_monitoring_platform_it_does_not_deploy_it(data):
    """4.4's status reports only a signed agreement on a pilot connecting the practice sector."""
    initiative, platform = ID["initiative/4.4"], ID["system/overvaagnings-og-analyseplatform"]
    for specific in (SG.deploys, SG.develops, SG.uses, SG.extends):
        assert (initiative, specific, platform) not in data, specific
    assert (initiative, SG.concerns, platform) in data


def test_the_2022_test_of_graviditetsmappen_is_not_the_svangrejournal_project(data):
    """2.3: the national Graviditetsmappen was tested in 2022; the stand-alone Digital Svangre
    Journal project was started after its evaluation."""
    milestone = ID["milestone/2.3-graviditetsmappen-tested"]
    assert data.value(milestone, SG.milestoneOf) == ID["initiative/2.3"]
    assert (milestone, SG.concerns, ID["system/graviditetsmappen"]) in data


def test_all_regions_are_connected_to_the_monitoring_platform(data):
    """4.2: "Alle regioner er tilsluttet overvågning- og analyseplatformen"; 3.4 says there are
    five regions ("de fem regioner")."""
    platform = ID["system/overvaagnings-og-analyseplatform"]
    found = {
        (data.value(f, SG.value).toPython(), data.value(f, SG.outOf).toPython())
        for f in data.subjects(SG.figureOf, ID["initiative/4.2"])
        if data.value(f, SG.unit) == ID["unit/region"] and (f, SG.concerns, platform) in data
    }
    assert found == {(5, 5)}


def test_the_board_for_health_apps_has_its_secretariat_in_laegemiddelstyrelsen(data):
    """1.5: "Nævnet er nu nedsat, og der er etableret et sekretariat i Lægemiddelstyrelsen"."""
    board = ID["organisation/naevn-for-sundhedsapps"]
    agency = ID["organisation/laegemiddelstyrelsen"]
    secretariats = set(data.subjects(ORG.linkedTo, board)) & set(data.subjects(ORG.unitOf, agency))
    assert len(secretariats) == 1
    assert (secretariats.pop(), SG.mentionedIn, ID["initiative/1.5"]) in data


def test_what_the_source_does_not_spell_out_stays_unexpanded(data):
    """Background the source does not state stays out: it never expands ØA25 or EPJ."""
    unexpanded = {
        "project/oea25": ("økonomiaftale", "economic agreement"),
        "system/epj": ("patientjournal", "patient record"),
    }
    for resource, words in unexpanded.items():
        texts = " ".join(str(o) for o in data.objects(ID[resource], None)).lower()
        assert not [w for w in words if w in texts], resource


# --- Facts from outside the source: who runs a system ---------------------------------------------

# Each operator with the public pages it was read from (found with the project's search tool in
# stored copies of the pages; what each page says is in the statement's rdfs:comment).
OPERATORS = {
    "fmk": (
        "sds",
        {
            "https://sundhedsdatastyrelsen.dk/da/registre-og-services/om-faelles-medicinkort/"
            "spoergsmaal-og-svar-fmk",
            "https://laeger.dk/foreninger/plo/digital-praksis/projektoverblik/faelles-medicinkort-fmk",
        },
    ),
    "sor": (
        "sds",
        {
            "https://sundhedsdatastyrelsen.dk/da/rammer-og-retningslinjer/organisationsregistrering/"
            "organisation"
        },
    ),
    "nsp": ("sds", {"https://www.nspop.dk/display/Web3/Ordliste"}),
    "ecpr": ("sds", {"https://www.nspop.dk/pages/viewpage.action?pageId=223415385"}),
    "minlaege": ("plo", {"https://minlaegeapp.dk/persondatapolitik/"}),
}


def test_who_runs_a_system_is_read_on_a_public_page_it_cites(data):
    found = {
        str(s).rsplit("/", 1)[-1]: str(o).rsplit("/", 1)[-1]
        for s, o in data.subject_objects(SG.operator)
    }
    assert found == {system: org for system, (org, _) in OPERATORS.items()}
    for system, (org, pages) in OPERATORS.items():
        statements = [
            st
            for st in data.subjects(RDF.subject, ID[f"system/{system}"])
            if (st, RDF.type, SG.SourcedStatement) in data
            and (st, RDF.predicate, SG.operator) in data
            and (st, RDF.object, ID[f"organisation/{org}"]) in data
        ]
        assert statements == [ID[f"system/{system}/statement/operator"]], system
        assert {str(s) for s in data.objects(statements[0], DCTERMS.source)} == pages, system


# --- A source a reader can check --------------------------------------------------------------


def test_the_checksum_is_of_the_text_the_graph_was_read_from(data):
    text = ID["source/afsluttende-status-tekst"]
    assert (ID["source/afsluttende-status"], DCTERMS.hasFormat, text) in data
    spdx = Namespace("http://spdx.org/rdf/terms#")
    checksum = data.value(text, spdx.checksum)
    assert data.value(checksum, spdx.algorithm) == spdx.checksumAlgorithm_sha256
    assert (
        str(data.value(checksum, spdx.checksumValue))
        == hashlib.sha256(SOURCE.read_bytes()).hexdigest()
    )
    assert str(data.value(text, DCTERMS.identifier)) == SOURCE.name


def test_each_initiative_gives_the_table_page_it_starts_on(data):
    """Count the table's repeated header ("Indsats Indsatsbeskrivelse ...") down to the line where
    the initiative's number first starts a line; the hand-made table agrees."""
    page, starts = 0, {}
    for line in SOURCE.read_text(encoding="utf-8").splitlines():
        page += line.strip().startswith("Indsats Indsatsbeskrivelse")
        number = re.match(r"\d\.\d\b", line)
        if number and page:
            starts.setdefault(number.group(0), page)
    assert starts == TABLE_PAGES
    assert max(TABLE_PAGES.values()) == 10
    for identifier, initiative in initiatives(data).items():
        assert data.value(initiative, SG.tablePage).toPython() == starts[identifier], identifier

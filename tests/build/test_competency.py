"""The competency questions in queries/, run against the real build, with answers checked by hand
against the source document (the comment on each test says where in the source)."""

import re
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import RDF, Graph, URIRef

from sundhedsgraf.pages.impact import walk
from sundhedsgraf.pages.labels import index
from sundhedsgraf.publication import open_publication

REPO = Path(__file__).resolve().parents[2]
QUERIES = REPO / "queries"


@pytest.fixture(scope="session")
def store(real_root) -> ox.Store:
    return open_publication(real_root).store


def ask(store: ox.Store, name: str) -> list[dict[str, str]]:
    """Rows of queries/<name>.rq as {variable: lexical value}, unbound variables left out."""
    text = (QUERIES / f"{name}.rq").read_text(encoding="utf-8")
    solutions = store.query(text, use_default_graph_as_union=True)
    names = [v.value for v in solutions.variables]
    return [
        {n: t.value for n, t in zip(names, row, strict=True) if t is not None} for row in solutions
    ]


def column(rows: list[dict[str, str]], *names: str) -> list:
    return [
        tuple(row.get(n) for n in names) if len(names) > 1 else row.get(names[0]) for row in rows
    ]


def test_every_query_file_has_a_test():
    tested = {name for name in globals() if name.startswith("test_q")}
    assert {f"test_q{p.name[:2]}" for p in QUERIES.glob("*.rq")} <= {t[:8] for t in tested}


def test_q01_initiatives_per_focus_area(store):
    # 1.1-1.7, 2.1-2.5, 3.1-3.6, 4.1-4.5, 5.1-5.4 in the source's tables.
    rows = ask(store, "01-initiatives-per-focus-area")
    assert column(rows, "notation", "initiatives") == [
        ("1", "7"),
        ("2", "5"),
        ("3", "6"),
        ("4", "5"),
        ("5", "4"),
    ]


def test_q02_initiatives_per_owner(store):
    # The "Indsats-ejer" cells; 3.4 has three owners and 3.6 two.
    rows = ask(store, "02-initiatives-per-owner")
    found = {row["label"]: sorted(row["identifiers"].split()) for row in rows}
    assert found == {
        "Sundhedsdatastyrelsen": sorted(
            ["1.2", "1.6", "1.7", "2.2", "3.4", "3.6", "4.2", "4.3", "5.1", "5.2", "5.3", "5.4"]
        ),
        "Danske Regioner": ["1.4", "3.3", "3.4", "3.6", "4.1"],
        "Indenrigs- og Sundhedsministeriet": ["1.5", "3.2", "4.4", "4.5"],
        "MedCom": ["2.1", "2.3", "2.4", "3.5"],
        "KL (Kommunernes Landsforening)": ["1.3", "2.5", "3.1"],
        "Praktiserende Lægers Organisation": ["1.1"],
        "Region Nordjylland": ["3.4"],
    }


def test_q03_initiatives_involving_fmk(store):
    # 1.1: MinLæge integrated with FMK in 2024; 2.4: FMK rolled out to bosteder and misbrugscentre.
    rows = ask(store, "03-initiatives-involving-a-system")
    assert column(rows, "id", "how") == [("1.1", "uses"), ("2.4", "deploys")]


def test_q04_what_replaced_what(store):
    # 2.1: HospitalNotification replaced XDIS20 and XDIS17 when the last regions went live on
    # 8 January 2025; CareCommunication is to replace XDIS91 from 31 May 2025. 5.3 and 4.1: SOR
    # replaces SHAK (transition medio 2025). 1.7: Graviditetsmappen replaces the paper record.
    # 4.5: Den Gode Web Service is to be replaced (by the profiled REST/FHIR standard).
    rows = ask(store, "04-what-replaced-what")
    found = {
        (r["newLabel"], r["oldLabel"]): (
            r["realisation"],
            r.get("from"),
            set(r["initiatives"].split()),
        )
        for r in rows
    }
    assert found == {
        ("HospitalNotification", "XDIS20"): ("Achieved", "2025-01-08", {"2.1"}),
        ("HospitalNotification", "XDIS17"): ("Achieved", "2025-01-08", {"2.1"}),
        ("CareCommunication", "XDIS91"): ("Planned", "2025-05-31", {"2.1"}),
        ("Healthcare Organisation Register", "Hospital Department Classification"): (
            "Planned",
            "2025-05-01",
            {"4.1", "5.3"},
        ),
        ("Graviditetsmappen (digital pregnancy record)", "Paper-based maternity record"): (
            "Planned",
            "2025-10-01",
            {"1.7"},
        ),
        ("Standard for REST/FHIR services", "Den Gode Web Service"): ("Planned", None, {"4.5"}),
    }


def test_q05_initiatives_that_never_started_stopped_or_paused(store):
    # 1.6 wound down by agreement; 3.1 dropped for lack of common municipal data; 3.2 "blev
    # ikke igangsat" (no reason given); 5.1 paused in 2022 (funding, business need); 5.2 paused
    # (COVID-19).
    rows = ask(store, "05-stalled-initiatives")
    assert column(rows, "id", "status") == [
        ("1.6", "Discontinued"),
        ("3.1", "Discontinued"),
        ("3.2", "Never started"),
        ("5.1", "Paused"),
        ("5.2", "Paused"),
    ]
    reasons = {row["id"]: row.get("reason", "") for row in rows}
    assert reasons["3.2"] == ""
    assert "COVID-19" in reasons["5.2"]
    assert "funding" in reasons["5.1"]
    assert "data" in reasons["3.1"]


def test_q06_milestones_in_2025(store):
    rows = ask(store, "06-milestones-in-a-year")
    assert all(r["from"] <= "2025-12-31" and r["to"] >= "2025-01-01" for r in rows)
    found = {(r["initiativeId"], r["when"], r["status"]) for r in rows}
    # A sample read off the source, one per kind of date.
    assert {
        ("2.1", "den 8. januar 2025", "Achieved"),  # last two regions on HospitalNotification
        ("2.1", "fra d. 31. maj 2025", "Planned"),  # CareCommunication front-runners
        ("5.3", "januar 2025", "Achieved"),  # new administrative attribute in SOR
        ("5.3", "Q2 2025", "Planned"),  # SHAK published for the last time
        ("4.1", "medio 2025", "Planned"),  # transition from SHAK to SOR
        ("4.4", "med udgangen af 2025", "Planned"),  # result of the practice-sector pilot
        ("2.1", "i løbet af 2025-2026", "Planned"),  # regions and other municipalities
    } <= found
    assert len(rows) == 20


def test_q07_figures_of_initiative_3_5(store):
    # 3.5: "mere end 240.000 forløbsplaner i 2024", "ca. 80% af klinikkerne ... mere end 5".
    rows = ask(store, "07-figures-of-an-initiative")
    assert column(rows, "value", "comparator", "unit") == [
        ("240000", "More than", "plans"),
        ("80", "Approximately", "percent"),
        ("5", "More than", "plans"),
    ]
    assert rows[0]["period"] == "2024"


def test_q08_what_depends_on_sor(real_root, store):
    # 1.4 and 4.1 concern SOR, 5.3 extends it; the SOR services on NSP and the SHAK phase-out
    # depend on it; Sundhedsjournalen is to move to it (planned), so what relies on
    # Sundhedsjournalen (1.4, 2.2, 3.5, 4.3 …) depends on SOR through it.
    rows = ask(store, "08-what-depends-on-sor")
    ini = "https://w3id.org/sundhedsgraf/id/initiative/"
    direct = {r["dependent"] for r in rows if r["how"] == "direct"}
    through = {(r["dependent"], r["through"]) for r in rows if r["how"] == "through"}
    assert {ini + n for n in ("1.4", "4.1", "5.3")} <= direct
    journal = "https://w3id.org/sundhedsgraf/id/system/sundhedsjournalen"
    assert {(ini + n, journal) for n in ("1.4", "2.2", "3.5", "4.3")} <= through
    realisation = {r["dependent"]: r.get("realisation") for r in rows if r["how"] == "direct"}
    assert realisation[journal] == "Planned"


@pytest.mark.parametrize("target", ["system/sor", "system/nsp", "system/fmk"])
def test_q08_follows_the_impact_views_definition(real_root, store, target):
    """Query 08 and the pages' impact view: the same dependents, directly and through others,
    and every link of the view's chains a row of the query (the view leaves out links that
    would go round a cycle). NSP's chains go on through planned relations after their first
    step; FMK is reached through a resource that both integrates with and is shown in another."""
    target = "https://w3id.org/sundhedsgraf/id/" + target
    text = (QUERIES / "08-what-depends-on-sor.rq").read_text(encoding="utf-8")
    text = text.replace("VALUES ?target { sys:sor }", f"VALUES ?target {{ <{target}> }}")
    solutions = store.query(text, use_default_graph_as_union=True)
    names = [v.value for v in solutions.variables]
    rows = [
        {n: t.value for n, t in zip(names, row, strict=True) if t is not None} for row in solutions
    ]
    direct = {r["dependent"] for r in rows if r["how"] == "direct"}
    through = {(r["dependent"], r["through"]) for r in rows if r["how"] == "through"}
    pub = open_publication(real_root)
    groups = walk(pub, index(pub, "http://sundhedsgraf.test/"), target)
    shown = {(s.source, g.hub) for g in groups for s in g.steps}
    assert through, "no chain through another resource"
    assert {m for m, hub in shown if hub == target} == direct
    assert {m for m, _ in shown} == direct | {d for d, _ in through}
    assert {(m, hub) for m, hub in shown if hub != target} <= through


def test_q08_names_the_dependency_like_properties_of_the_ontology():
    """A property path cannot take its properties from the ontology, so query 08 names them:
    they must be the ones the ontology types sg:DependencyProperty."""
    ontology = Graph().parse(REPO / "ontology" / "sundhedsgraf.ttl")
    sg = "https://w3id.org/sundhedsgraf/def#"
    declared = {
        "sg:" + str(p).removeprefix(sg)
        for p in ontology.subjects(RDF.type, URIRef(sg + "DependencyProperty"))
    }
    text = (QUERIES / "08-what-depends-on-sor.rq").read_text(encoding="utf-8")
    paths = re.findall(r"\(((?:\^?sg:\w+\|?)+)\)", text)
    assert paths, "no property path in query 08"
    for path in paths:
        named = {p.lstrip("^") for p in path.split("|")}
        assert named == declared, path


def test_q09_sds_initiatives_that_stalled(store):
    rows = ask(store, "09-sds-initiatives-that-stalled")
    assert column(rows, "id") == ["1.6", "5.1", "5.2"]


def test_q10_outcomes_per_focus_area(store):
    rows = ask(store, "10-outcomes-per-focus-area")
    totals: dict[str, int] = {}
    for row in rows:
        totals[row["notation"]] = totals.get(row["notation"], 0) + int(row["initiatives"])
    assert totals == {"1": 7, "2": 5, "3": 6, "4": 5, "5": 4}
    assert ("5", "Paused", "2") in column(rows, "notation", "status", "initiatives")


def test_q11_relations_in_both_directions(store):
    # 2.1: CareCommunication is to replace XDIS91 ("skal erstatte"), with the front-runners from
    # 31 May 2025; read from XDIS91 the same relation node says it is to be replaced.
    rows = ask(store, "11-relations-in-both-directions")
    found = column(rows, "phrase", "otherLabel", "realisation", "when", "from")
    when = ("fra d. 31. maj 2025", "2025-05-31")
    assert found == [("is to be replaced by", "CareCommunication", "Planned", *when)]


def test_q11_reads_the_other_end_and_achieved_relations(store):
    text = (QUERIES / "11-relations-in-both-directions.rq").read_text(encoding="utf-8")
    for resource, expected in {
        # The same relation from CareCommunication: forwards, planned.
        "std:carecommunication": ("is to replace", "XDIS91", "Planned"),
        # 2.1: HospitalNotification replaced XDIS20 when the last regions went live (achieved).
        "std:xdis20": ("is replaced by", "HospitalNotification", "Achieved"),
    }.items():
        values = f"VALUES ?resource {{ {resource} }}"
        query = text.replace("VALUES ?resource { std:xdis91 }", values)
        solutions = store.query(query, use_default_graph_as_union=True)
        names = [v.value for v in solutions.variables]
        rows = [
            {n: t.value for n, t in zip(names, row, strict=True) if t is not None}
            for row in solutions
        ]
        found = column(rows, "phrase", "otherLabel", "realisation")
        assert expected in found, (resource, found)


def test_q12_who_runs_each_system(store):
    # Not in the source: read on the operators' own pages (data/operators.ttl says what each says).
    rows = ask(store, "12-who-runs-each-system")
    found = {r["systemLabel"]: (r["operatorLabel"], len(r["sources"].split())) for r in rows}
    sds = "Danish Health Data Authority"
    assert found == {
        "Shared Medication Record": (sds, 2),
        "Healthcare Organisation Register": (sds, 1),
        "National Service Platform": (sds, 1),
        "National eCPR service": (sds, 1),
        "MinLæge": ("Organisation of General Practitioners in Denmark", 1),
    }

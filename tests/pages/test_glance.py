"""Pages that answer at a glance: the summary of a resource, its relations read from either end
with their realisation and date, what depends on it (and the CSV of it), one language per page.

Expected values come from the build (SPARQL over its relation nodes) or from the data files; the
facts named in the issue (SOR's dependents, CareCommunication and XDIS91) are checked against
both.
"""

import csv
import io
import re
from urllib.parse import quote

import pytest
from conftest import REPO
from rdflib import OWL, RDFS, Graph, Namespace
from test_pages import BASE, Page, assert_html_page, html, select

from sundhedsgraf.pages import i18n
from sundhedsgraf.pages.labels import index
from sundhedsgraf.pages.relations import wording
from sundhedsgraf.publication import open_publication


@pytest.fixture
def server(app_server):
    return app_server


def text_of(server, path: str) -> tuple[str, Page]:
    response = html(server.client, path)
    assert response.status_code == 200, (path, response.status_code)
    return response.text, assert_html_page(response, path)


def section(body: str, ident: str) -> str:
    """The text of the <section id=ident> of a page, tags removed."""
    found = re.search(rf'<section id="{ident}".*?</section>', body, re.S)
    assert found, f"no section {ident}"
    inline = r"</?(?:a|span|time|strong|code|q|mark|abbr)\b[^>]*>"
    text = re.sub(r"<[^>]+>", " ", re.sub(inline, "", found.group(0)))
    return " ".join(text.split())


def label(server, iri: str, lang: str) -> str:
    rows = select(
        server,
        f"SELECT ?l WHERE {{ <{iri}> <http://www.w3.org/2000/01/rdf-schema#label> ?l "
        f'FILTER(LANG(?l) = "{lang}") }}',
    )
    return rows[0]["l"]["value"]


def test_initiative_summary_in_one_language(server):
    body, _ = text_of(server, "doc/initiative/2.1?lang=en")
    summary = section(body, "summary")
    rows = select(
        server,
        "PREFIX sg: <https://w3id.org/sundhedsgraf/def#> SELECT ?owner ?status ?fa WHERE { "
        "<https://w3id.org/sundhedsgraf/id/initiative/2.1> sg:owner ?owner ; "
        "sg:outcomeStatus ?status ; sg:focusArea ?fa }",
    )
    for row in rows:
        for name in ("owner", "status", "fa"):
            assert label(server, row[name]["value"], "en") in summary, name
    assert "Outcome" in summary and "Focus area" in summary
    # Only the chosen language: the Danish title and description are not on the English page.
    danish = label(server, BASE + "id/initiative/2.1", "da")
    visible = re.sub(r'<script type="application/ld\+json">.*?</script>', "", body, flags=re.S)
    assert danish not in visible
    assert danish in body  # the JSON-LD island keeps both


def test_figures_are_numbers_of_the_language_with_their_date(server):
    rows = select(
        server,
        "PREFIX sg: <https://w3id.org/sundhedsgraf/def#> PREFIX dcterms: <http://purl.org/dc/terms/>"
        " SELECT ?f ?v ?p ?issued WHERE { ?f sg:value ?v ; sg:figureOf/dcterms:source ?s ."
        " ?s dcterms:issued ?issued OPTIONAL { ?f sg:referencePeriod ?p } } ORDER BY DESC(?v)",
    )
    for row in (rows[0], next(r for r in rows if "p" in r)):  # the largest; one with a period
        figure, value = row["f"]["value"], int(float(row["v"]["value"]))
        path = "doc/" + figure.removeprefix(BASE + "id/")
        danish, _ = text_of(server, path + "?lang=da")
        english, _ = text_of(server, path + "?lang=en")
        assert f"{value:,}".replace(",", ".") in section(danish, "summary")
        assert f"{value:,}" in section(english, "summary")
        when = (
            row["p"]["value"][:4]
            if "p" in row
            else f"as reported in the source ({row['issued']['value']})"
        )
        assert when in section(english, "summary")
        assert "xsd:integer" not in english


def planned_replacements(server) -> list[tuple[str, str]]:
    rows = select(
        server,
        "PREFIX sg: <https://w3id.org/sundhedsgraf/def#> "
        "PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> "
        "SELECT ?s ?o WHERE { ?r a sg:Relation ; rdf:subject ?s ; rdf:object ?o ; "
        "rdf:predicate <http://purl.org/dc/terms/replaces> ; "
        "sg:realisation <https://w3id.org/sundhedsgraf/id/milestone-status/planned> }",
    )
    return [(r["s"]["value"], r["o"]["value"]) for r in rows]


def test_planned_replacement_reads_as_planned_from_both_ends(server):
    pairs = planned_replacements(server)
    carecommunication = BASE + "id/standard/carecommunication"
    xdis91 = BASE + "id/standard/xdis91"
    assert (carecommunication, xdis91) in pairs  # data/standards.ttl, from initiative 2.1
    for subject, obj in pairs:
        forward, _ = text_of(server, "doc/" + subject.removeprefix(BASE + "id/") + "?lang=en")
        backward, _ = text_of(server, "doc/" + obj.removeprefix(BASE + "id/") + "?lang=en")
        other = label(server, obj, "en")
        assert re.search(
            rf"is to replace {re.escape(other)} — Planned", section(forward, "relations")
        )
        other = label(server, subject, "en")
        assert re.search(
            rf"is to be replaced by {re.escape(other)} — Planned", section(backward, "relations")
        )
    body, _ = text_of(server, "doc/standard/xdis91?lang=en")
    assert "is to be replaced by CareCommunication — Planned, 31 May 2025" in section(
        body, "summary"
    )
    body, _ = text_of(server, "doc/standard/carecommunication?lang=da")
    assert "skal erstatte XDIS91 — Planlagt, 31. maj 2025" in section(body, "summary")
    # The build asserts no plain triple for a planned relation, so the property table does not
    # state the replacement as a fact (were one there, the table would mark it planned).
    properties = section(body, "properties")
    assert not re.search(r"erstatter XDIS91(?! planlagt)", properties, re.I), properties


def test_sor_page_answers_which_initiatives_depend_on_it(server):
    body, page = text_of(server, "doc/system/sor?lang=en")
    impact = section(body, "impact")
    journal = label(server, BASE + "id/system/sundhedsjournalen", "en")
    chain = re.search(
        rf"Healthcare Organisation Register ← (?:through )?{re.escape(journal)}(.*?)"
        r"(?:Healthcare|Download)",
        impact,
    )
    assert chain, impact
    for number in ("1.4", "2.2", "3.5", "4.3"):
        assert f"{number} " in chain.group(1), number
    for number in ("1.4", "4.1", "5.3"):
        assert server.url + f"doc/initiative/{number}?lang=en" in page.links
    assert re.search(rf"{re.escape(journal)} is to depend on planned", impact), impact
    assert server.url + "impact/system/sor.csv?lang=en" in page.links


def test_impact_csv(server):
    response = server.client.get("impact/system/sor.csv?lang=en")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    journal = BASE + "id/system/sundhedsjournalen"
    via = {r["resource"] for r in rows if r["relies_on"] == journal}
    assert {BASE + f"id/initiative/{n}" for n in ("1.4", "2.2", "3.5", "4.3")} <= via
    planned = [r for r in rows if r["resource"] == journal and r["relies_on"].endswith("/sor")]
    assert planned[0]["realisation"] == "planned"
    assert server.client.get("impact/system/nothing-here.csv").status_code == 404


def test_initiative_shows_what_it_touches(server):
    body, _ = text_of(server, "doc/initiative/1.4?lang=en")
    reach = section(body, "impact")
    assert "Sundhedsjournalen" in reach and "→" in reach


def test_organisation_summary_says_what_it_owns(server):
    rows = select(
        server,
        "PREFIX sg: <https://w3id.org/sundhedsgraf/def#> SELECT ?o (COUNT(?i) AS ?n) "
        "WHERE { ?i sg:owner ?o } GROUP BY ?o ORDER BY DESC(?n) LIMIT 1",
    )
    org = rows[0]["o"]["value"]
    body, _ = text_of(server, "doc/" + org.removeprefix(BASE + "id/") + "?lang=en")
    assert "Owns the initiatives" in section(body, "summary")


def test_plain_words_for_identifiers_and_properties(server):
    body, page = text_of(server, "doc/standard/carecommunication?lang=en")
    urns = re.findall(r'href="(urn:[^"]*)"', body)
    assert urns == [], urns  # shown as identifiers, not as links no browser opens
    assert '<code class="identifier">urn:' in body
    properties = section(body, "properties")
    assert "dcterms:hasVersion" not in properties and "has version" in properties
    inbound = section(body, "inbound")
    assert " subject " not in inbound and " object " not in inbound


# ---- search ------------------------------------------------------------------------------


def search_json(server, q: str, **params) -> dict:
    response = server.client.get("search", params={"q": q, "lang": "en", **params})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    return response.json()


def ranked(server, q: str) -> list[str]:
    return [
        r["iri"].removeprefix(BASE + "id/")
        for r in search_json(server, q, format="json")["results"]
    ]


def test_search_ranks_whole_names_first(server):
    sor = ranked(server, "sor")
    assert sor[0] == "system/sor"
    assert sor.index("initiative/5.3") < 3
    # 2.5 is about care records (omsorgsjournaler): "sor" only inside a word.
    assert "initiative/2.5" not in sor or sor.index("initiative/5.3") < sor.index("initiative/2.5")
    assert ranked(server, "omsorg")[0] == "initiative/2.5"


@pytest.mark.parametrize("q", ["e-CPR", "eCPR", "ecpr", "E CPR"])
def test_search_ignores_hyphens_and_spaces_in_names(server, q):
    assert ranked(server, q)[0] == "system/ecpr"


def test_search_ranks_initiatives_by_how_central_the_term_is(server):
    initiatives = [r for r in ranked(server, "graviditet") if r.startswith("initiative/")]
    assert initiatives[0] == "initiative/1.7"  # Digital solution for pregnancy


def test_search_json_by_accept_and_type_facets(server):
    response = server.client.get(
        "search", params={"q": "sor", "lang": "en"}, headers={"Accept": "application/json"}
    )
    answer = response.json()
    assert answer["count"] == len(answer["results"]) == sum(t["count"] for t in answer["types"])
    systems = search_json(server, "sor", type="system", format="json")
    assert {r["kind"] for r in systems["results"]} == {"system"}
    assert systems["count"] == next(t["count"] for t in answer["types"] if t["type"] == "system")
    body, page = text_of(server, "search?q=sor&lang=en&type=system")
    assert "search-types" in page.ids
    assert html(server.client, "search?q=sor&type=nonsense").status_code == 400


def test_search_says_one_result_and_many_results(server):
    answer = search_json(server, "sor", format="json")
    body, _ = text_of(server, "search?q=sor&lang=da")
    assert f"{answer['count']} resultater" in body
    single = [t["type"] for t in answer["types"] if t["count"] == 1]
    assert single, answer["types"]  # a kind with one result, to see the singular
    for lang, text in (("da", "1 resultat<"), ("en", "1 result<")):
        body, _ = text_of(server, f"search?q=sor&lang={lang}&type={single[0]}")
        assert text in body, lang
    assert "1 resultater" not in body and "1 results" not in body


def test_search_suggests_names_as_one_types(server):
    names = server.client.get("search/suggest", params={"q": "gravid", "lang": "da"}).json()
    assert names and all(n["label"].lower().startswith("gravid") for n in names)
    assert (
        server.client.get("search/suggest", params={"q": "e-C"})
        .json()[0]["label"]
        .startswith("National eCPR")
    )


@pytest.mark.parametrize("path", ["", "doc/system/sor", "browse/initiatives", "def", "pictures"])
def test_every_page_has_a_search_box(server, path):
    _, page = text_of(server, path)
    assert "site-q" in page.ids


def test_a_missing_page_is_a_page_with_a_search_box(server):
    response = html(server.client, "no/such/page")
    assert response.status_code == 404
    page = assert_html_page(response, "404")
    assert {"site-q", "search-form", "error-message"} <= page.ids
    program = server.client.get("no/such/page")
    assert program.status_code == 404 and program.headers["content-type"].startswith("text/plain")


# ---- where browsers land -------------------------------------------------------------------


def test_a_browser_at_sparql_is_sent_to_the_query_page(server):
    response = html(server.client, "sparql")
    assert response.status_code == 303
    assert response.headers["location"] == server.url + "query"
    program = server.client.get("sparql")  # no Accept: the service description
    assert program.status_code == 200 and "turtle" in program.headers["content-type"]
    rdf = server.client.get("sparql", headers={"Accept": "text/turtle, text/html;q=0.5"})
    assert "turtle" in rdf.headers["content-type"]


@pytest.mark.parametrize("path", [".well-known/void", "dataset"])
def test_a_browser_at_the_dataset_gets_a_page_for_people(server, path):
    response = html(server.client, path)
    assert response.status_code == 303
    body, page = text_of(server, response.headers["location"].removeprefix(server.url))
    assert "https://creativecommons.org/licenses/by/4.0/" in page.links
    assert re.search(
        r'<a rel="license" href="https://creativecommons.org/licenses/by/4.0/">'
        r'<img src="[^"]*static/cc-by.svg"',
        body,
    )
    manifest = server.client.get("dist/manifest.json").json()
    assert f"{manifest['triples']:,}".replace(",", ".") in section(body, "counts")
    dumps = [f["name"] for f in manifest["files"] if f["name"].startswith("sundhedsgraf.")]
    for name in dumps:
        assert server.url + "dist/" + name in page.links, name
    assert "version" in section(body, "summary").lower()
    assert "cite" in page.ids
    program = server.client.get(path, follow_redirects=True)  # RDF for programs, as before
    assert program.headers["content-type"].startswith("text/turtle")


def test_every_page_links_to_the_licence(server):
    for path in ("", "doc/system/sor", "search?q=sor"):
        _, page = text_of(server, path)
        assert "https://creativecommons.org/licenses/by/4.0/" in page.links, path


# ---- cite this -------------------------------------------------------------------------------


def test_every_resource_page_has_a_cite_box(server):
    iri = BASE + "id/initiative/2.1"
    body, page = text_of(server, "doc/initiative/2.1?lang=en")
    version = select(
        server,
        "SELECT ?v WHERE { <https://w3id.org/sundhedsgraf/id/dataset> "
        "<http://www.w3.org/ns/dcat#version> ?v }",
    )[0]["v"]["value"]
    cite = section(body, "cite")
    assert iri in cite and f"version {version}" in cite
    assert re.search(r"@misc\{sundhedsgraf-initiative-2-1,", body)
    assert f"url = {{{iri}}}" in body and f"edition = {{{version}}}" in body
    assert f"UR  - {iri}" in body and "TY  - DATA" in body
    assert server.url + "doc/source/afsluttende-status?lang=en" in page.links
    pages = select(
        server,
        f"SELECT ?p WHERE {{ <{iri}> <https://w3id.org/sundhedsgraf/def#tablePage> ?p }}",
    )
    if pages:  # the source's locator, where the data gives it
        assert f"page {pages[0]['p']['value']} of the initiative table" in cite
    for path in ("doc/system/sor", "doc/milestone/2.1-hospitalnotification-all-regions"):
        _, other = text_of(server, path)
        assert "cite" in other.ids, path


def test_every_count_says_one_in_the_singular(server):
    """A list, the query page (rows and triples) and search: "1 resultat", never "1 resultater"."""
    owners = select(
        server,
        "SELECT ?o WHERE { ?i <https://w3id.org/sundhedsgraf/def#owner> ?o } "
        "GROUP BY ?o HAVING (COUNT(?i) = 1) LIMIT 1",
    )
    owner = owners[0]["o"]["value"].removeprefix(BASE + "id/organisation/")
    one = "SELECT ?x WHERE { VALUES ?x { 1 } }"
    triple = "CONSTRUCT { sys:sor a sg:System } WHERE {}"
    singular = {
        "da": ("1 resultat<", "1 række<", "1 tripel<"),
        "en": ("1 result<", "1 row<", "1 triple<"),
    }
    for lang, words in singular.items():
        body, _ = text_of(server, f"browse/initiatives?owner={owner}&lang={lang}")
        assert words[0] in body, lang
        body, _ = text_of(server, f"query?lang={lang}&query={quote(one)}")
        assert words[1] in body, lang
        body, _ = text_of(server, f"query?lang={lang}&query={quote(triple)}")
        assert words[2] in body, lang


def test_relation_wording_comes_from_the_ontology_alone(server, real_root):
    """Each relation predicate reads, from either end, achieved or planned, as the ontology's
    labels say (its own, its owl:inverseOf's, their sg:plannedLabel): one place for it."""
    assert not hasattr(i18n, "RELATION_WORDING")
    sg = Namespace("https://w3id.org/sundhedsgraf/def#")
    ontology = Graph().parse(REPO / "ontology" / "sundhedsgraf.ttl")
    pub = open_publication(real_root)
    idx = index(pub, server.url)
    checked = 0
    for prop, inverse in ontology.subject_objects(OWL.inverseOf):
        for forward, read in ((True, inverse), (False, prop)):  # inverse's subject reads `prop`
            for lang in ("da", "en"):
                done = {str(x) for x in ontology.objects(read, RDFS.label) if x.language == lang}
                todo = {
                    str(x) for x in ontology.objects(read, sg.plannedLabel) if x.language == lang
                }
                assert wording(pub, idx, str(inverse), forward, "achieved", lang) in done
                assert wording(pub, idx, str(inverse), forward, "planned", lang) in todo
                checked += 1
    assert checked >= 4 * 7, checked

"""The query page without a browser: prefixes added, errors explained in both languages, the
table sorted and paged, the chart, CONSTRUCT as Turtle, the editor's JSON (terms, search) and
the code snippets, which are run against a live server.

Expected answers come from the endpoint itself (/sparql), not typed in.
"""

import ast
import io
import json
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from datetime import datetime
from html import unescape
from urllib.parse import parse_qsl, urlencode, urlsplit

import openpyxl
import pyoxigraph as ox
import pytest
from conftest import REPO
from test_pages import html

from sundhedsgraf.namespaces import PREFIXES
from sundhedsgraf.pages.pictures.chart import Bar, bar_chart
from sundhedsgraf.pages.query import comment_fields
from sundhedsgraf.pages.query_help import TEXT
from sundhedsgraf.pages.snippets import python_string, r_string, snippets
from sundhedsgraf.pages.sparql_text import add_prefixes

SG = PREFIXES["sg"]
FIRST = "SELECT ?s WHERE { ?s a sg:Initiative }"


def page(client, query: str, lang: str = "en", **params) -> tuple[int, str]:
    response = html(client, "query?" + urlencode({"query": query, "lang": lang, **params}))
    return response.status_code, response.text


def section(text: str, ident: str) -> str:
    """The element with id `ident` (up to its closing tag of the same name), as text."""
    found = re.search(rf'<(\w+) id="{ident}"[^>]*>(.*?)</\1>', text, re.S)
    assert found, f"no #{ident}"
    return unescape(found.group(2))


def sparql(client, query: str) -> list[dict]:
    response = client.get("sparql", params={"query": query, "format": "json"})
    assert response.status_code == 200, response.text
    return response.json()["results"]["bindings"]


# ---- prefixes ------------------------------------------------------------------------------


def test_the_first_query_works_and_shows_the_prefix_added(app_server):
    status, text = page(app_server.client, FIRST)
    assert status == 200
    assert f"PREFIX sg: &lt;{SG}&gt;" in text.split('id="prefixes-added"')[1][:400]
    expected = sparql(app_server.client, f"PREFIX sg: <{SG}> " + FIRST)
    assert text.count("<tr><td>") == len(expected) == 27
    # the textarea holds the query as run, standard SPARQL
    textarea = unescape(re.search(r"<textarea[^>]*>(.*?)</textarea>", text, re.S).group(1))
    assert textarea == f"PREFIX sg: <{SG}>\n" + FIRST


def test_prefixes_are_added_only_for_names_outside_texts_iris_and_comments():
    known = {"sg": SG, "rdfs": PREFIXES["rdfs"], "skos": PREFIXES["skos"]}
    query = (
        "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
        '# skos:note in a comment\nSELECT * WHERE { ?s rdfs:label "skos:x" ; '
        "<http://ex/skos:y> sg:z . ?s unknown:w ?o }"
    )
    amended, added = add_prefixes(query, known)
    assert added == [f"PREFIX sg: <{SG}>"]
    assert amended == added[0] + "\n" + query
    assert add_prefixes(amended, known) == (amended, [])


# ---- errors --------------------------------------------------------------------------------

BROKEN = [
    # query, the line and column of the spot, the token there, keys of TEXT the hint is made of
    ("SELECT ?s WHERE { ?s a foo:Thing }", (1, 24), "foo:Thing", "h_prefix"),
    ("SELECT ?s WHERE {\n  ?s ?p ?o\n} LIMT 3", (3, 3), "LIMT", "h_keyword"),
    ("SELECT ?s WHERE {\n  ?s ?p ?o . OPTIONAL { ?s ?q ?r }", (1, 17), "{", "h_unclosed"),
    ("SELECT ?s WHERE { ?s ?p ?o } }", (1, 30), "}", "h_unopened"),
    ('SELECT ?s WHERE { ?s ?p "open }', (1, 25), '"', "h_string"),
    ("SELECT * WHERE { ?s ?p }", (1, 24), "}", "h_triple"),
    ("SELECT ?x (COUNT(*) AS ?n) WHERE { ?x ?p ?o } GROUP BY ?p", (1, 8), "?x", "h_group"),
]


@pytest.mark.parametrize("lang", ["da", "en"])
@pytest.mark.parametrize(("query", "spot", "token", "hint"), BROKEN)
def test_a_broken_query_gets_its_spot_token_and_hint(app_server, lang, query, spot, token, hint):
    status, text = page(app_server.client, query, lang)
    assert status == 400
    error = section(text, "query-error")
    line, column = spot
    assert f'data-line="{line}" data-column="{column}"' in text
    assert TEXT[lang]["where"].format(line=line, column=column) in error
    assert TEXT[lang]["at"].format(token=token) in error
    shown = query.split("\n")[line - 1]
    caret = re.search(r'<span class="caret" aria-hidden="true">( *)\^</span>', text)
    assert shown[len(caret.group(1)) :].startswith(token)  # the caret under the token
    kept = [part for part in re.split(r"\{\w+\}", TEXT[lang][hint]) if len(part) > 3]
    assert kept and all(unescape(part) in error for part in kept), error
    assert "<details" in text and "does not parse" in error  # the parser's own words


def test_the_hints_name_what_to_write(app_server):
    _, text = page(app_server.client, BROKEN[0][0])
    assert "PREFIX foo: &lt;…&gt;" in text
    _, text = page(app_server.client, BROKEN[1][0])
    assert "Did you mean LIMIT?" in section(text, "query-error")
    _, text = page(app_server.client, BROKEN[2][0], "da")
    assert "Denne { lukkes aldrig: tilføj en }" in section(text, "query-error")


def test_refusals_are_explained_with_their_spot(app_server):
    query = "SELECT * WHERE {\n  SERVICE <http://127.0.0.1:1/sparql> { ?s ?p ?o } }"
    status, text = page(app_server.client, query, "da")
    assert status == 400
    error = section(text, "query-error")
    assert TEXT["da"]["refused"] in error and TEXT["da"]["h_service"] in error
    assert 'data-line="2" data-column="3"' in text
    status, text = page(app_server.client, "DROP ALL", "en")
    assert status == 403
    assert "It asks for a change (DROP)" in section(text, "query-error")


def test_a_variable_the_pattern_never_binds_is_pointed_out(app_server):
    query = "SELECT ?s ?nmae WHERE { ?s sg:abbreviation ?name } LIMIT 3"
    status, text = page(app_server.client, query, "en")
    assert status == 200
    warning = section(text, "query-warnings")
    assert "?nmae is in SELECT but nowhere in the pattern" in warning
    assert "Did you mean ?name?" in warning
    _, text = page(app_server.client, "SELECT ?s WHERE { ?s sg:abbreviation ?name } LIMIT 3")
    assert 'id="query-warnings"' not in text


def test_time_and_row_limits_say_what_to_try(start_server):
    limited = start_server("--time-limit", "1", "--max-rows", "10")
    # the row limit first: after a time-out the client counts as heavy and its next query may
    # wait for the killed worker's replacement, past a 1 s limit on a loaded machine
    status, text = page(limited.client, "SELECT * WHERE { ?s ?p ?o }", "en")
    assert status == 400
    assert TEXT["en"]["h_rows"].format(rows="10") in section(text, "query-error")
    long = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
    status, text = page(limited.client, long, "da")
    assert status == 503
    error = section(text, "query-error")
    assert TEXT["da"]["h_time"].format(seconds="1") in error
    assert "LIMIT" in error and "OPTIONAL" in error


# ---- the table -----------------------------------------------------------------------------

OWNERS = (
    "SELECT ?owner (COUNT(?i) AS ?initiatives) "
    "WHERE { ?i a sg:Initiative ; sg:owner ?owner } GROUP BY ?owner"
)


def column(text: str, n: int) -> list[str]:
    body = text.split("<tbody>")[1].split("</tbody>")[0]
    rows = re.findall(r"<tr>(.*?)</tr>", body, re.S)
    cells = [re.findall(r"<td>(.*?)</td>", row, re.S)[n] for row in rows]
    cells = [re.sub(r'<span class="(tag|short)"[^>]*>.*?</span>', "", c) for c in cells]
    return [unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in cells]


def test_the_table_sorts_numbers_as_numbers(app_server):
    counts = sorted(
        int(row["initiatives"]["value"])
        for row in sparql(app_server.client, f"PREFIX sg: <{SG}> " + OWNERS)
    )
    _, text = page(app_server.client, OWNERS, sort="initiatives")
    assert [int(v) for v in column(text, 1)] == counts
    assert 'aria-sort="ascending"' in text
    _, text = page(app_server.client, OWNERS, sort="initiatives", desc="1")
    assert [int(v) for v in column(text, 1)] == counts[::-1]
    assert 'aria-sort="descending"' in text


def test_the_table_pages_and_links_resources_with_labels(app_server):
    query = "SELECT ?s ?label WHERE { ?s rdfs:label ?label } ORDER BY ?label"
    total = len(
        sparql(app_server.client, "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> " + query)
    )
    assert total > 200
    _, first = page(app_server.client, query)
    assert first.count("<tr><td>") == 100
    assert f"Rows 1–100 of {total}" in first
    following = unescape(re.search(r'<a rel="next" href="([^"]+)"', first).group(1))
    assert dict(parse_qsl(urlsplit(following).query))["page"] == "2"
    second = html(app_server.client, following).text
    assert f"Rows 101–200 of {total}" in second
    assert column(first, 1)[99] <= column(second, 1)[0]
    # IRIs: our page, labelled, with the compact name quietly beside it
    cell = re.search(
        r'<td><a href="([^"]+)" title="([^"]+)">([^<]+)</a> <span class="short">', first
    )
    assert cell.group(1).startswith(app_server.url + "doc/")


@pytest.mark.parametrize("params", [{"sort": "nope"}, {"page": "0"}, {"page": "x"}, {"page": "99"}])
def test_bad_table_parameters_are_400(app_server, params):
    response = html(app_server.client, "query?" + urlencode({"query": OWNERS, **params}))
    assert response.status_code == 400


# ---- the chart -----------------------------------------------------------------------------


def example(name: str) -> str:
    return (REPO / "queries" / f"{name}.rq").read_text(encoding="utf-8")


def test_a_label_and_a_number_column_draw_a_bar_chart(app_server):
    query = example("01-initiatives-per-focus-area")
    expected = {
        row["label"]["value"]: int(row["initiatives"]["value"])
        for row in sparql(app_server.client, query)
    }
    status, text = page(app_server.client, query, "da")
    assert status == 200
    chart = text.split('id="query-chart"')[1].split("</section>")[0]
    svg = re.search(r"<svg.*</svg>", chart, re.S).group(0)
    bars = re.findall(r'<g class="bar" data-value="([^"]+)"><g><title>([^<]+)</title>', svg)
    assert {unescape(t).rsplit(": ", 1)[0]: float(v) for v, t in bars} == expected
    assert "<script" not in svg and " on" not in svg.split(">")[0]
    # the resources' column as labels: each bar links to its page
    _, text = page(app_server.client, query, "en", **{"chart-label": "focusArea"})
    svg = text.split('id="query-chart"')[1].split("</svg>")[0]
    assert svg.count(f'<a href="{app_server.url}doc/focus-area/') == 5
    response = html(app_server.client, "query?" + urlencode({"query": query, "chart-value": "x"}))
    assert response.status_code == 400


def test_the_chart_axis_reaches_past_the_longest_bar():
    svg = ET.fromstring(bar_chart([Bar("a", 12), Bar("b", 5), Bar("c", 0)], "?l", "?v", "da"))
    ns = {"svg": "http://www.w3.org/2000/svg"}
    bars = svg.findall(".//svg:g[@class='bar']//svg:rect", ns)
    grid = [float(line.get("x1")) for line in svg.findall(".//svg:g[@class='axis']/svg:line", ns)]
    ends = [float(r.get("x")) + float(r.get("width")) for r in bars]
    assert max(ends) <= max(grid) and ends[0] > ends[1] > ends[2]
    assert abs((ends[0] - grid[0]) / (ends[1] - grid[0]) - 12 / 5) < 0.01  # to scale
    assert svg.find("svg:title", ns).text == "?v efter ?l"


def test_no_chart_without_a_number_column(app_server):
    _, text = page(app_server.client, FIRST)
    assert 'id="query-chart"' not in text


# ---- CONSTRUCT -----------------------------------------------------------------------------


def test_construct_is_shown_as_turtle_with_its_resources(app_server):
    query = "CONSTRUCT { ?s sg:dependsOn ?o } WHERE { ?s sg:dependsOn ?o }"
    status, text = page(app_server.client, query)
    assert status == 200
    turtle = section(text, "turtle").removeprefix("<code>").removesuffix("</code>")
    triples = list(ox.parse(turtle.encode(), format=ox.RdfFormat.TURTLE))
    full = f"PREFIX sg: <{SG}> " + query
    answer = app_server.client.get("sparql", params={"query": full, "format": "nt"})
    assert set(triples) == set(ox.parse(answer.content, format=ox.RdfFormat.N_TRIPLES))
    resources = section(text, "graph-resources")
    iris = {str(t.subject.value) for t in triples} | {str(t.object.value) for t in triples}
    assert resources.count("<li>") == len(iris)


def svg_edges_and_nodes(svg: str) -> tuple[set, dict]:
    """(the edges {(source, property, target)}, the nodes {IRI: label}) of a network picture."""
    root = ET.fromstring(svg)
    ns = {"svg": "http://www.w3.org/2000/svg"}
    edges = {
        (g.get("data-source"), g.get("data-property"), g.get("data-target"))
        for g in root.iterfind(".//svg:g[@class='edge']", ns)
    }
    nodes = {
        g.get("data-iri"): "".join(g.find(".//svg:text", ns).itertext())
        for g in root.iterfind(".//svg:g[@data-kind]", ns)
        if "node" in g.get("class", "").split()
    }
    return edges, nodes


def test_a_small_construct_answer_is_drawn_as_its_network(app_server):
    query = "CONSTRUCT { ?s sg:develops ?o ; rdfs:label ?l } WHERE { ?s sg:develops ?o ; "
    query += "rdfs:label ?l }"
    full = f"PREFIX sg: <{SG}> PREFIX rdfs: <{PREFIXES['rdfs']}> " + query
    answer = app_server.client.get("sparql", params={"query": full, "format": "nt"})
    triples = list(ox.parse(answer.content, format=ox.RdfFormat.N_TRIPLES))
    links = {
        (t.subject.value, t.predicate.value, t.object.value)
        for t in triples
        if isinstance(t.object, ox.NamedNode)
    }
    assert 0 < len(links) < len(triples)  # the labels are literals: not drawn
    status, text = page(app_server.client, query, "da")
    assert status == 200
    figure = text.split('id="answer-picture"')[1].split("</figure>")[0]
    edges, nodes = svg_edges_and_nodes(re.search(r"<svg.*</svg>", figure, re.S).group(0))
    assert edges == links
    assert set(nodes) == {s for s, _, _ in links} | {o for _, _, o in links}
    danish = {
        t.subject.value: t.object.value
        for t in triples
        if isinstance(t.object, ox.Literal) and t.object.language == "da"
    }
    assert any(danish[iri] in label for iri, label in nodes.items() if iri in danish)
    # the link: the same picture as an SVG file, the query run again through the endpoint path
    href = unescape(re.search(r'id="picture-link" href="([^"]+)"', figure).group(1))
    picture = app_server.client.get(href.removeprefix(app_server.url))
    assert picture.status_code == 200
    assert picture.headers["content-type"] == "image/svg+xml"
    assert svg_edges_and_nodes(picture.text) == (edges, nodes)
    assert "<script" not in picture.text


def test_a_large_answer_says_why_it_has_no_picture(app_server):
    query = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o FILTER(isIRI(?o)) }"
    _, text = page(app_server.client, query)
    assert 'id="answer-picture"' not in text
    reason = section(text, "picture-reason")
    count = re.search(r"has (\d+) triples", reason).group(1)
    assert int(count) > 150 and "at most 150" in reason
    picture = app_server.client.get("query/network.svg", params={"query": query})
    assert picture.status_code == 422 and "1 to 150" in picture.text


def test_a_table_answer_has_no_picture(app_server):
    _, text = page(app_server.client, FIRST)
    assert "picture-link" not in text and "answer-picture" not in text
    picture = app_server.client.get("query/network.svg", params={"query": FIRST})
    assert picture.status_code == 400 and "CONSTRUCT or DESCRIBE" in picture.text
    refused = "CONSTRUCT { ?s ?p ?o } WHERE { SERVICE <http://127.0.0.1:9/x> { ?s ?p ?o } }"
    assert app_server.client.get("query/network.svg", params={"query": refused}).status_code >= 400


# ---- the editor's JSON ---------------------------------------------------------------------


def test_terms_json_has_the_ontology_with_labels_and_definitions(app_server):
    response = app_server.client.get("query/terms.json")
    assert response.status_code == 200 and response.headers["content-type"].startswith(
        "application/json"
    )
    data = response.json()
    assert data["prefixes"]["sg"] == SG and data["prefixes"]["skos"] == PREFIXES["skos"]
    terms = {t["name"]: t for t in data["terms"]}
    rows = sparql(
        app_server.client,
        f"PREFIX sg: <{SG}> PREFIX skos: <{PREFIXES['skos']}> "
        "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> "
        "SELECT ?l ?d WHERE { sg:Initiative rdfs:label ?l ; skos:definition ?d "
        'FILTER(LANG(?l) = "da" && LANG(?d) = "da") }',
    )
    initiative = terms["sg:Initiative"]
    assert initiative["kind"] == "class"
    assert initiative["label"]["da"] == rows[0]["l"]["value"]
    assert initiative["definition"]["da"] == " ".join(rows[0]["d"]["value"].split())
    assert terms["sg:owner"]["kind"] == "property" and terms["rdfs:label"]["kind"] == "property"
    again = app_server.client.get(
        "query/terms.json", headers={"If-None-Match": response.headers["etag"]}
    )
    assert again.status_code == 304


def test_search_answers_json(app_server):
    response = app_server.client.get("search", params={"q": "medicinkort", "format": "json"})
    assert response.status_code == 200
    results = response.json()["results"]
    assert any(r["name"] == "sys:fmk" and r["page"].endswith("/doc/system/fmk") for r in results)
    by_accept = app_server.client.get(
        "search", params={"q": "medicinkort"}, headers={"Accept": "application/json"}
    )
    assert by_accept.json()["results"] == results
    assert (
        html(app_server.client, "search?q=medicinkort")
        .headers["content-type"]
        .startswith("text/html")
    )
    assert app_server.client.get("search", params={"q": "x", "format": "xml"}).status_code == 400


# ---- examples ------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["da", "en"])
def test_examples_are_grouped_with_their_descriptions(app_server, lang):
    text = html(app_server.client, f"query?lang={lang}").text
    examples = section(text, "examples")
    for path in sorted((REPO / "queries").glob("*.rq")):
        fields = comment_fields(path.read_text(encoding="utf-8"))
        for field in ("titles", "descriptions", "groups"):
            assert set(fields[field]) == {"da", "en"}, (path.name, field)
            assert fields[field][lang] in examples, (path.name, field)


# ---- code ----------------------------------------------------------------------------------

AWKWARD = 'SELECT ?s WHERE { ?s sg:abbreviation ?a FILTER(?a != "x\'\\\\\\"" ) } LIMIT 2'


def test_snippet_literals_read_back_as_the_query():
    assert r_string(FIRST) == f'r"-({FIRST})-"'
    assert r_string('a)-"b') == 'r"--(a)-"b)--"'  # the text cannot end the raw string
    for query in (FIRST, AWKWARD, 'x"""y', 'a)-"b', 'ends with "'):
        assert ast.literal_eval(python_string(query)) == query
    for item in snippets("http://h/sparql", AWKWARD, "select"):
        if item["name"] == "curl":
            url = re.search(r"'([^']+format=json)'", item["code"]).group(1)
            assert dict(parse_qsl(urlsplit(url).query))["query"] == AWKWARD
            assert " " not in url


def snippet_code(server, query: str, name: str) -> str:
    text = html(server.client, "query?" + urlencode({"query": query})).text
    code = text.split("<summary>" + name + "</summary>")[1].split("</code>")[0]
    return unescape(code.split("<code>")[1])


def test_the_python_snippet_runs_against_the_server(server):
    code = snippet_code(server, FIRST, "Python (requests)")
    scope: dict = {}
    exec(compile(code, "snippet", "exec"), scope)  # noqa: S102 - our own generated code
    assert len(scope["rows"]) == 27


def test_the_pandas_snippet_reads_a_dataframe(server):
    pandas = pytest.importorskip("pandas", reason="pandas is not installed here")
    code = snippet_code(server, FIRST, "Python (pandas)")
    scope: dict = {}
    exec(compile(code, "snippet", "exec"), scope)  # noqa: S102
    assert isinstance(scope["frame"], pandas.DataFrame) and len(scope["frame"]) == 27


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_the_curl_snippet_runs(server, tmp_path):
    code = snippet_code(server, FIRST, "curl")
    first, second = code.splitlines()
    answer = subprocess.run(first, shell=True, capture_output=True, check=True, timeout=60)
    assert len(json.loads(answer.stdout)["results"]["bindings"]) == 27
    subprocess.run(second, shell=True, cwd=tmp_path, check=True, timeout=60)
    assert len((tmp_path / "result.csv").read_text().splitlines()) == 28  # the head and 27


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_the_javascript_snippet_runs(server, tmp_path):
    code = snippet_code(server, FIRST, "JavaScript (fetch)")
    script = tmp_path / "snippet.mjs"
    script.write_text(code + "console.log(JSON.stringify(result));\n")
    answer = subprocess.run(["node", script], capture_output=True, check=True, timeout=60)
    assert len(json.loads(answer.stdout)) == 27


@pytest.mark.skipif(shutil.which("Rscript") is None, reason="R is not installed")
def test_the_r_snippet_runs(server):
    code = snippet_code(server, FIRST, "R (httr2)")
    answer = subprocess.run(
        ["Rscript", "-e", code + "cat(nrow(frame))"], capture_output=True, timeout=120
    )
    assert answer.stdout.strip() == b"27", answer.stderr.decode()


def test_snippets_come_for_ask_and_construct(app_server):
    _, text = page(app_server.client, "ASK { ?s a sg:Initiative }")
    assert '["boolean"]' in unescape(text) and "Python (pandas)" not in text
    construct = "CONSTRUCT { ?s a sg:Initiative } WHERE { ?s a sg:Initiative }"
    _, text = page(app_server.client, construct)
    assert "format=ttl" in text and "Python (pandas)" not in text


def test_the_xlsx_link_downloads_a_spreadsheet_of_typed_values(app_server):
    query = (
        f"PREFIX sg: <{SG}> PREFIX dcterms: <{PREFIXES['dcterms']}> "
        "SELECT ?id ?count ?start WHERE { ?m sg:milestoneOf ?i ; sg:periodStart ?start . "
        "?i dcterms:identifier ?id . { SELECT ?i (COUNT(?m2) AS ?count) WHERE { "
        "?m2 sg:milestoneOf ?i } GROUP BY ?i } }"
    )
    _, text = page(app_server.client, query)
    links = dict(re.findall(r'<a class="download" href="([^"]+)">(\w+)</a>', text))
    href = unescape(next(url for url, name in links.items() if name == "xlsx"))
    response = app_server.client.get(href.removeprefix(app_server.url))
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).worksheets[0]
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    expected = sparql(app_server.client, query)
    assert rows[0] == ["id", "count", "start"] and len(rows) - 1 == len(expected) > 0
    got = sorted((r[0], r[1], r[2].date().isoformat()) for r in rows[1:])
    want = [(b["id"]["value"], int(b["count"]["value"]), b["start"]["value"]) for b in expected]
    assert got == sorted(want)
    assert all(isinstance(r[1], int) and isinstance(r[2], datetime) for r in rows[1:])


def test_share_link_and_csv_link_carry_the_query(app_server):
    _, text = page(app_server.client, FIRST)
    full = f"PREFIX sg: <{SG}>\n" + FIRST
    share = unescape(re.search(r'id="share-link" href="([^"]+)"', text).group(1))
    assert dict(parse_qsl(urlsplit(share).query))["query"] == full
    csv = unescape(re.search(r'id="csv-link" href="([^"]+)"', text).group(1))
    assert dict(parse_qsl(urlsplit(csv).query)) == {"query": full, "format": "csv"}
    assert urlsplit(csv).path == "/sparql"

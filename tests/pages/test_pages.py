"""The HTML pages through the app (in-process; the real server where limits matter): a crawl
from the home page, escaping of hostile data, negotiation, the two languages, list filters, the
query page and the pictures.

Expected values are read from the build (its SPARQL endpoint) or the data files, never typed in,
except the strings the data is documented to hold (FMK's names, in data/systems.ttl).
"""

import re
from collections import deque
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from conftest import build_root, copy_project

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
HTML = {"Accept": BROWSER_ACCEPT}
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
BASE = "https://w3id.org/sundhedsgraf/"
LONG = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


class Page(HTMLParser):
    """The links, forms, scripts and attributes of an HTML page that the tests look at."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.links, self.ids, self.scripts, self.styles = [], set(), [], []
        self.html_lang = None
        self.text_parts, self._script = [], None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "html":
            self.html_lang = attributes.get("lang")
        if tag == "a" and attributes.get("href"):
            self.links.append(attributes["href"])
        if "id" in attributes:
            self.ids.add(attributes["id"])
        if "style" in attributes or tag == "style":
            self.styles.append(tag)
        if any(name.startswith("on") for name in attributes):
            self.styles.append(f"{tag} handler")
        if tag == "script":
            self._script = attributes
            self.scripts.append(attributes)

    def handle_endtag(self, tag):
        if tag == "script":
            self._script = None

    def handle_data(self, data):
        self.text_parts.append(data)

    @property
    def text(self) -> str:
        return " ".join(" ".join(self.text_parts).split())


def html(client, url: str, **headers):
    return client.get(url, headers={**HTML, **headers})


def select(server, query: str) -> list[dict]:
    response = server.client.get("sparql", params={"query": query, "format": "json"})
    assert response.status_code == 200, response.text
    return response.json()["results"]["bindings"]


def id_subjects(server) -> set[str]:
    rows = select(
        server,
        f'SELECT DISTINCT ?s WHERE {{ ?s ?p ?o FILTER(STRSTARTS(STR(?s), "{BASE}id/")) }}',
    )
    return {row["s"]["value"] for row in rows}


def assert_html_page(response, url: str) -> Page:
    """The headers and the shape every HTML page must have; the parsed page."""
    assert response.headers["content-security-policy"] == CSP, url
    assert response.headers["x-content-type-options"] == "nosniff", url
    assert response.headers.get("referrer-policy"), url
    vary = {v.strip().lower() for v in response.headers["vary"].split(",")}
    assert {"accept", "accept-language"} <= vary, url
    page = Page(response.text)
    assert response.text.startswith("<!DOCTYPE html>"), url
    assert page.html_lang in ("da", "en"), url
    assert response.headers["content-language"] == page.html_lang, url
    assert not page.styles, f"inline style or handler in {url}: {page.styles}"
    # data islands, and our own scripts from static/ (an enhancement: the pages work without)
    assert all(
        s.get("type") == "application/ld+json" or "/static/" in s.get("src", "")
        for s in page.scripts
    ), url
    assert "lang-switch" in page.ids, url
    return page


# ---- the crawl -----------------------------------------------------------------------------


def test_crawl_every_page_from_home(server):
    """Every internal link from the home page, in both languages, answers 200 (after a 303);
    no page fails; every resource under <base>id/ has a page that the crawl reaches."""
    client, root = server.client, server.url
    todo = deque([root + "?lang=da", root + "?lang=en"])
    seen, html_pages, reached = set(todo), 0, set()
    failures = []
    while todo and html_pages < 5000:
        url = todo.popleft()
        response = client.get(url, headers=HTML, follow_redirects=True)
        if response.status_code != 200:
            failures.append((url, response.status_code))
            continue
        kind = response.headers.get("content-type", "")
        path = urlsplit(str(response.url)).path
        if not kind.startswith("text/html"):
            continue
        html_pages += 1
        page = assert_html_page(response, url)
        if path.startswith("/doc/"):
            reached.add(BASE + "id/" + path.removeprefix("/doc/").removesuffix(".html"))
        for href in page.links:
            target = href.split("#")[0]
            if not target.startswith(root) or target in seen:
                continue
            if urlsplit(target).path == "/sparql" and urlsplit(target).query:
                continue  # query downloads: the query page's own test runs them
            seen.add(target)
            todo.append(target)
    assert not failures, failures[:20]
    assert not todo, f"the crawl stopped at {html_pages} pages"
    missing = id_subjects(server) - reached
    assert not missing, sorted(missing)[:20]


# ---- escaping --------------------------------------------------------------------------------

HOSTILE = "<script>alert(1)</script>"


@pytest.fixture
def server(app_server):
    """The pages need only the app: in-process, no sockets (the real server where limits or
    another build matter: `start_server`)."""
    return app_server


@pytest.fixture(scope="module")
def hostile_root(tmp_path_factory):
    """The real project with FMK's Danish label replaced by a script tag, built."""
    root = copy_project(tmp_path_factory.mktemp("hostile"))
    systems = root / "data" / "systems.ttl"
    text = systems.read_text(encoding="utf-8")
    assert '"Fælles Medicinkort"@da' in text
    systems.write_text(text.replace('"Fælles Medicinkort"@da', f'"{HOSTILE}"@da'), "utf-8")
    return build_root(root)  # the hostile label passes the shapes


def test_data_is_escaped_everywhere(start_server, hostile_root):
    running = start_server(root=hostile_root)
    for url in (
        "doc/system/fmk?lang=da",
        "doc/system/fmk.html?lang=en",
        "doc/initiative/2.4?lang=da",
        "browse/systems?lang=da",
        "search?q=alert&lang=da",
        "search?" + urlencode({"q": HOSTILE}),
        "query?" + urlencode({"query": f'SELECT ?x WHERE {{ BIND("{HOSTILE}" AS ?x) }}'}),
        "pictures?lang=da",
    ):
        response = html(running.client, url)
        assert response.status_code == 200, (url, response.text[:300])
        assert_html_page(response, url)
        assert "<script>alert" not in response.text, url
        if "search?q=alert" in url or url.startswith("doc/system/fmk?"):
            assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text, url
    page = html(running.client, "doc/system/fmk?lang=da").text
    embedded = re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)
    assert embedded and "<\\/script>" in embedded.group(1)


# ---- negotiation ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "accept, expected",
    [
        ("text/html", "text/html"),
        (BROWSER_ACCEPT, "text/html"),
        ("text/turtle", "text/turtle"),
        ("application/ld+json", "application/ld+json"),
        ("text/turtle;q=0.5, text/html;q=0.9", "text/html"),
        ("text/html;q=0.5, text/turtle;q=0.9", "text/turtle"),
        ("*/*", "text/turtle"),
    ],
)
def test_documents_negotiate_html(server, accept, expected):
    response = server.client.get("doc/system/fmk", headers={"Accept": accept})
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == expected
    assert "accept" in response.headers["vary"].lower()
    link = response.headers["link"]
    assert f'<{server.url}doc/system/fmk.html>; rel="alternate"; type="text/html"' in link


def test_id_redirects_then_html(server):
    response = server.client.get(
        "id/system/fmk", headers={**HTML, "Accept-Language": "en"}, follow_redirects=True
    )
    assert response.status_code == 200
    assert response.history and response.history[0].status_code == 303
    assert response.headers["content-type"].startswith("text/html")
    assert '<h1 lang="en">Shared Medication Record</h1>' in response.text


def test_html_extension_fixes_the_format(server):
    for accept in ("text/turtle", "application/ld+json", "*/*"):
        response = server.client.get("doc/initiative/2.1.html", headers={"Accept": accept})
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/html")
        assert response.headers["content-location"] == server.url + "doc/initiative/2.1.html"
    assert server.client.get("doc/no/such/thing.html").status_code == 404


def test_home_is_html_for_browsers_json_for_programs(server):
    for accept in ("text/html", BROWSER_ACCEPT, "*/*"):
        response = server.client.get("", headers={"Accept": accept})
        assert response.headers["content-type"].startswith("text/html"), accept
    response = server.client.get("", headers={"Accept": "application/json"})
    assert response.headers["content-type"] == "application/json"
    assert response.json()["sparql"] == server.url + "sparql"


def test_ontology_is_html_by_negotiation(server):
    response = html(server.client, "def")
    assert response.status_code == 200
    page = assert_html_page(response, "def")
    for term in ("Initiative", "FocusArea", "dependsOn", "mentionedIn"):
        assert term in page.ids
    assert "schema:Project" in page.text, "alignments are shown"
    assert (
        server.client.get("def.html", headers={"Accept": "text/turtle"})
        .headers["content-type"]
        .startswith("text/html")
    )
    turtle = server.client.get("def", headers={"Accept": "text/turtle"})
    assert turtle.headers["content-type"].startswith("text/turtle")


def test_pages_have_etags(server):
    first = html(server.client, "doc/system/fmk?lang=en")
    etag = first.headers["etag"]
    again = html(server.client, "doc/system/fmk?lang=en", **{"If-None-Match": etag})
    assert again.status_code == 304
    other = html(server.client, "doc/system/fmk?lang=da")
    assert other.headers["etag"] != etag


# ---- languages -----------------------------------------------------------------------------


def test_lang_parameter_and_accept_language(server):
    da = html(server.client, "doc/system/fmk?lang=da")
    en = html(server.client, "doc/system/fmk?lang=en")
    assert '<h1 lang="da">Fælles Medicinkort</h1>' in da.text
    assert '<h1 lang="en">Shared Medication Record</h1>' in en.text
    assert Page(da.text).html_lang == "da" and Page(en.text).html_lang == "en"
    assert "Egenskaber" in da.text and "Properties" in en.text
    by_header = html(server.client, "doc/system/fmk", **{"Accept-Language": "en-GB,en;q=0.9"})
    assert by_header.headers["content-language"] == "en"
    prefers_danish = html(server.client, "", **{"Accept-Language": "de, da;q=0.5, en;q=0.4"})
    assert prefers_danish.headers["content-language"] == "da"
    default = html(server.client, "", **{"Accept-Language": "fr"})
    assert default.headers["content-language"] == "da"
    # the query wins over the header, and links keep the language chosen in the query
    chosen = html(server.client, "browse?lang=en", **{"Accept-Language": "da"})
    assert chosen.headers["content-language"] == "en"
    internal = [h for h in Page(chosen.text).links if h.startswith(server.url + "browse/")]
    assert internal and all("lang=en" in h for h in internal)


def test_language_switch_keeps_path_and_query(server):
    response = html(server.client, "browse/initiatives?status=ongoing&lang=da")
    page = Page(response.text)
    switch = [h for h in page.links if "lang=en" in h and "/browse/initiatives" in h]
    assert switch, page.links[:20]
    assert dict(parse_qsl(urlsplit(switch[0]).query)) == {"status": "ongoing", "lang": "en"}


def test_bad_lang_is_400(server):
    response = html(server.client, "?lang=xx")
    assert response.status_code == 400
    assert "lang" in Page(response.text).text


def test_label_fallback_to_the_other_language(server):
    """A label only in Danish is shown on the English page (chosen, other, untagged, IRI)."""
    rows = select(
        server,
        f"""SELECT ?s ?label WHERE {{
          ?s <http://www.w3.org/2000/01/rdf-schema#label> ?label .
          FILTER(LANG(?label) = "da" && STRSTARTS(STR(?s), "{BASE}id/"))
          FILTER NOT EXISTS {{ ?s <http://www.w3.org/2000/01/rdf-schema#label> ?en .
                               FILTER(LANG(?en) = "en") }}
        }} LIMIT 1""",
    )
    if rows:
        subject, label = rows[0]["s"]["value"], rows[0]["label"]["value"]
        page = html(server.client, "doc/" + subject.removeprefix(BASE + "id/") + "?lang=en")
        assert f'<h1 lang="da">{label}</h1>' in page.text
    # no label at all: the IRI's compact name (a distribution of the dataset, say)
    rows = select(
        server,
        f"""SELECT ?s WHERE {{ ?s ?p ?o FILTER(STRSTARTS(STR(?s), "{BASE}id/"))
          FILTER NOT EXISTS {{ ?s <http://www.w3.org/2000/01/rdf-schema#label> ?l }}
          FILTER NOT EXISTS {{ ?s <http://www.w3.org/2004/02/skos/core#prefLabel> ?l }}
          FILTER NOT EXISTS {{ ?s <http://purl.org/dc/terms/title> ?l }} }} LIMIT 1""",
    )
    if rows:
        subject = rows[0]["s"]["value"]
        page = html(server.client, "doc/" + subject.removeprefix(BASE + "id/") + "?lang=en")
        assert page.status_code == 200
        heading = re.search(r"<h1[^>]*>(.*?)</h1>", page.text).group(1)
        local = subject.removeprefix(BASE + "id/")
        assert heading in ("sgd:" + local, local.rsplit("/", 1)[-1]), heading


# ---- list pages ----------------------------------------------------------------------------


def test_list_filters(server):
    ongoing = select(
        server,
        """PREFIX sg: <https://w3id.org/sundhedsgraf/def#>
        SELECT ?i WHERE { ?i sg:outcomeStatus
          <https://w3id.org/sundhedsgraf/id/outcome-status/ongoing> }""",
    )
    response = html(server.client, "browse/initiatives?status=ongoing&lang=en")
    assert response.status_code == 200
    page = assert_html_page(response, "initiatives")
    shown = {h for h in page.links if "/doc/initiative/" in h}
    expected = {
        server.url + "doc/" + r["i"]["value"].removeprefix(BASE + "id/") + "?lang=en"
        for r in ongoing
    }
    assert shown == expected
    both = html(server.client, "browse/initiatives?status=ongoing&focus-area=1&owner=")
    assert both.status_code == 200
    assert len({h for h in Page(both.text).links if "/doc/initiative/" in h}) < len(expected)
    kinds = html(server.client, "browse/systems?kind=Register")
    assert kinds.status_code == 200 and "/doc/system/fmk" in kinds.text


@pytest.mark.parametrize(
    "url",
    [
        "browse/initiatives?status=no-such-status",
        "browse/initiatives?focus-area=9",
        "browse/systems?kind=" + "x" * 5000,
        "browse/milestones?status=%3Cscript%3E",
    ],
)
def test_invalid_filter_is_400(server, url):
    response = html(server.client, url)
    assert response.status_code == 400
    page = assert_html_page(response, url)
    assert "error-message" in page.ids
    assert "<script>" not in response.text.split("</head>")[1]


def test_unknown_list_is_404(server):
    assert html(server.client, "browse/nothing").status_code == 404


# ---- search --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "q",
    [
        "FMK",
        "fmk",
        "medicinkort",
        "Shared Medication Record",
        "fælles medicinkort",
        "FÆLLES MEDICINKORT",
    ],
)
def test_search_finds_fmk_first(server, q):
    response = html(server.client, "search?" + urlencode({"q": q, "lang": "en"}))
    assert response.status_code == 200
    page = assert_html_page(response, q)
    assert "search-form" in page.ids
    results = [h for h in page.links if "/doc/" in h]  # the menu has none
    assert results and results[0] == server.url + "doc/system/fmk?lang=en", results[:5]


@pytest.mark.parametrize("q", ["", "   ", "x" * 201, "zzzzqqq", "\"'<>&"])
def test_search_odd_queries_never_fail(server, q):
    response = html(server.client, "search?" + urlencode({"q": q}))
    assert response.status_code in (200, 400), response.status_code
    assert_html_page(response, q)


# ---- the query page ------------------------------------------------------------------------


def test_query_page_examples_run(server):
    page = Page(html(server.client, "query?lang=en").text)
    assert "query-form" in page.ids
    examples = [h for h in page.links if "/query?" in h and "query=" in h]
    assert len(examples) >= 10
    for url in examples:
        response = html(server.client, url)
        assert response.status_code == 200, (url, response.text[:500])
        result = assert_html_page(response, url)
        assert "results" in result.ids or "boolean" in result.ids, url
    response = html(server.client, examples[2])  # 03: initiatives involving FMK
    result = Page(response.text)
    assert any("/doc/initiative/" in h for h in result.links)
    downloads = [h for h in result.links if "/sparql?" in h]
    formats = {dict(parse_qsl(urlsplit(h).query))["format"] for h in downloads}
    assert {"csv", "json"} <= formats
    for url in downloads:
        download = server.client.get(url)
        assert download.status_code == 200, url
    csv = server.client.get(next(h for h in downloads if "format=csv" in h))
    assert csv.headers["content-type"].startswith("text/csv")
    json_ = server.client.get(next(h for h in downloads if "format=json" in h))
    assert json_.json()["results"]["bindings"]


def test_query_syntax_error_is_a_readable_400(server):
    response = html(server.client, "query?" + urlencode({"query": "SELECT * WHERE { ?s ?p }"}))
    assert response.status_code == 400
    page = assert_html_page(response, "syntax")
    assert "query-error" in page.ids
    assert re.search(r"1:\d+", page.text), page.text


def test_query_refusals_are_shown(server):
    service = "SELECT * WHERE { SERVICE <http://127.0.0.1:1/sparql> { ?s ?p ?o } }"
    response = html(server.client, "query?" + urlencode({"query": service}))
    assert response.status_code == 400
    assert "SERVICE" in Page(response.text).text
    update = html(server.client, "query?" + urlencode({"query": "DROP ALL"}))
    assert update.status_code == 403


def test_query_construct_and_ask(server):
    ask = html(server.client, "query?" + urlencode({"query": "ASK { ?s ?p ?o }", "lang": "en"}))
    assert ask.status_code == 200 and "boolean" in Page(ask.text).ids
    construct = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 3"
    response = html(server.client, "query?" + urlencode({"query": construct}))
    assert response.status_code == 200 and "results" in Page(response.text).ids


def test_query_time_limit_message(start_server):
    limited = start_server("--time-limit", "1")
    response = html(limited.client, "query?" + urlencode({"query": LONG, "lang": "en"}))
    assert response.status_code == 503
    page = assert_html_page(response, "time limit")
    assert "time limit of 1 s" in page.text


# ---- pictures ------------------------------------------------------------------------------


def test_pictures_page_and_svg_files(server):
    response = html(server.client, "pictures?lang=en")
    assert response.status_code == 200
    assert_html_page(response, "pictures")
    assert response.text.count("<svg") >= 3
    assert 'class="node"' in response.text
    network = server.client.get("pictures/network.svg?around=system/fmk&lang=en")
    assert network.status_code == 200
    assert network.headers["content-type"].startswith("image/svg+xml")
    assert network.text.lstrip().startswith("<svg")
    area = html(server.client, "pictures?focus-area=2&lang=en")
    assert area.status_code == 200
    for url in (
        "pictures/network.svg?around=no/such",
        "pictures/timeline.svg?focus-area=9",
        "pictures/portfolio.svg?by=colour",
        "pictures?focus-area=x",
    ):
        assert html(server.client, url).status_code == 400, url
    assert server.client.get("pictures/other.svg").status_code == 404


def test_resource_page_content(server):
    response = html(server.client, "doc/initiative/2.1?lang=en")
    page = assert_html_page(response, "2.1")
    assert {"timeline", "properties", "provenance", "inbound", "as-data"} <= page.ids
    assert "neighbourhood" in page.ids
    assert 'class="badge badge-achieved"' in response.text
    assert server.url + "doc/source/afsluttende-status?lang=en" in page.links
    for ext in ("ttl", "jsonld", "nt", "rdf"):
        assert server.url + f"doc/initiative/2.1.{ext}" in page.links
    external = re.findall(r'<a class="external" href="[^"]*" rel="([^"]*)"', response.text)
    assert external and all("noopener" in rel for rel in external)


def test_no_page_loads_from_a_cdn(server):
    # FastAPI's Swagger UI and ReDoc would; they are switched off, the OpenAPI JSON stays.
    for path in ("/docs", "/redoc"):
        assert server.client.get(path).status_code == 404
    assert server.client.get("/openapi.json").json()["info"]["title"] == "sundhedsgraf"

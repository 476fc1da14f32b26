"""The page "Use this data" (/use), in both languages: linked from every page and the home page;
its files, tables and examples point at this server, and every address in them answers."""

import html
import re

import pytest

from sundhedsgraf.pages.i18n import texts

HTML = {"Accept": "text/html"}
SECTIONS = ("dumps", "tables", "endpoint", "licence", "cite", "examples")


@pytest.fixture
def server(app_server):
    return app_server


@pytest.mark.parametrize("lang", ["da", "en"])
def test_the_page_in_both_languages(server, lang):
    response = server.client.get(f"use?lang={lang}", headers=HTML)
    assert response.status_code == 200
    assert response.headers["content-language"] == lang
    page = response.text
    assert f'<html lang="{lang}">' in page
    assert f"<h1>{texts(lang)['use']}</h1>" in page
    for section in SECTIONS:
        assert f'<section id="{section}">' in page, section
    for example in ("pandas", "r", "excel", "power-bi", "curl"):
        assert f'id="example-{example}"' in page, example


@pytest.mark.parametrize("path", ["", "browse", "search", "doc/system/fmk.html"])
def test_linked_from_the_header_footer_and_home(server, path):
    page = server.client.get(f"{path}?lang=en", headers=HTML).text
    links = re.findall(r'<a href="([^"]+)">Use this data</a>', page)
    assert len(links) >= (3 if path == "" else 2)  # header and footer; home: its list too
    assert set(links) == {server.url + "use?lang=en"}


def test_every_file_and_example_address_answers(server):
    page = server.client.get("use?lang=en", headers=HTML).text
    files = set(re.findall(r'href="' + re.escape(server.url) + r'dist/([^"]+)" download', page))
    assert {"sundhedsgraf.ttl", "initiatives.csv", "csv-metadata.json"} <= files
    for name in files:
        assert server.client.head("dist/" + name).status_code == 200, name
    code = html.unescape(" ".join(re.findall(r"<pre><code>(.*?)</code></pre>", page, re.S)))
    # the addresses (not the IRIs of the query, in <>) are this server's; those the code
    # completes (ending in ? or =) are in the curl example in full
    found = set(re.findall(r"https?://[^\s\"']+", re.sub(r"<[^>\s]*>", "", code)))
    assert all(a.startswith(server.url) for a in found), found
    addresses = {a for a in found if not a.endswith(("?", "="))}
    assert any("/sparql?" in a for a in addresses) and any(".xlsx" in a for a in addresses)
    for address in addresses:
        response = server.client.get(address.removeprefix(server.url))
        assert response.status_code == 200, (address, response.text[:300])


def test_the_query_example_answers_and_the_citation_is_the_builds(server):
    page = server.client.get("use?lang=da", headers=HTML).text
    query = html.unescape(re.search(r'id="endpoint">.*?<pre><code>(.*?)</code>', page, re.S)[1])
    posted = server.client.post(
        "sparql", content=query.encode(), headers={"content-type": "application/sparql-query"}
    )
    rows = posted.json()["results"]["bindings"]
    assert rows and all(r["title"]["xml:lang"] == "da" for r in rows)
    citation = server.client.get(
        "sparql",
        params={
            "query": "SELECT ?c WHERE { ?d <http://purl.org/dc/terms/bibliographicCitation> ?c }",
            "format": "json",
        },
    ).json()["results"]["bindings"][0]["c"]["value"]
    assert html.escape(citation, quote=False) in page

"""The tables of the list and search pages: their downloads (CSV, CSV for Excel, TSV, JSON,
XLSX) read back and compared with the table the page shows, and sorting by a column.

Expected values come from the page itself or from the build's SPARQL endpoint, never typed in.
"""

import csv
import html
import io
import re
from datetime import date, datetime
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urlsplit

import openpyxl
import pytest

from sundhedsgraf.pages.i18n import texts
from sundhedsgraf.pages.search import fold
from sundhedsgraf.pages.tables import Table, csv_body, xlsx_body
from sundhedsgraf.pages.terms import number_key

HTML = {"Accept": "text/html"}
BASE = "https://w3id.org/sundhedsgraf/"
SG = "PREFIX sg: <https://w3id.org/sundhedsgraf/def#>\n"
BOM = b"\xef\xbb\xbf"


@pytest.fixture
def server(app_server):
    return app_server


class ShownTable(HTMLParser):
    """The table of a list page: header texts and sort links, and per cell its text, the texts
    of its links and their targets; the download links. A literal's language or datatype tag
    (`<span class="tag">`) says what the value is, and is no part of it."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.header, self.sort_links, self.rows, self.downloads = [], [], [], {}
        self._cell = self._link = self._where = None
        self._tag = False
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "span" and attributes.get("class") == "tag":
            self._tag = True
        elif tag in ("th", "td"):
            self._cell = {"text": "", "links": [], "hrefs": [], "sort": attributes.get("aria-sort")}
        elif tag == "tr" and self._where == "tbody":
            self.rows.append([])
        elif tag in ("thead", "tbody"):
            self._where = tag
        elif tag == "a" and self._cell is not None:
            self._link = ""
            self._cell["hrefs"].append(attributes["href"])
        elif tag == "a" and "download" in attributes:
            self._link, self._download = "", attributes["href"]

    def handle_endtag(self, tag):
        if tag == "span":
            self._tag = False
        elif tag == "a" and self._link is not None:
            if self._cell is not None:
                self._cell["links"].append(self._link)
            else:
                self.downloads[self._link] = self._download
            self._link = None
        elif tag == "th" and self._cell is not None:
            self.header.append(self._cell["links"][0])
            self.sort_links.append((self._cell["hrefs"][0], self._cell["sort"]))
            self._cell = None
        elif tag == "td" and self._cell is not None:
            self.rows[-1].append(self._cell)
            self._cell = None

    def handle_data(self, data):
        if self._tag:
            return
        if self._link is not None:
            self._link += data
        if self._cell is not None:
            self._cell["text"] += data


def shown(server, url: str) -> ShownTable:
    response = server.client.get(url, headers=HTML)
    assert response.status_code == 200, response.text
    return ShownTable(response.text)


def iri_of(server, href: str) -> str:
    """The IRI a link of a page stands for: /doc/x is <base>id/x, /def#T is <base>def#T, and
    a link elsewhere is the IRI itself."""
    if not href.startswith(server.url):
        return href
    parts = urlsplit(href)
    if parts.path == "/def":
        return BASE + "def#" + parts.fragment
    return BASE + "id/" + parts.path.removeprefix("/doc/")


def expected_rows(server, table: ShownTable) -> tuple[list[str], list[list[str]]]:
    """What a download must hold: per column the text shown and, for links, their IRIs."""
    linked = [any(row[i]["hrefs"] for row in table.rows) for i in range(len(table.header))]
    header = []
    for title, links in zip(table.header, linked, strict=True):
        header += [title, f"{title} (IRI)"] if links else [title]
    rows = []
    for row in table.rows:
        values = []
        for cell, links in zip(row, linked, strict=True):
            if links:
                values += [
                    "; ".join(cell["links"]),
                    "; ".join(iri_of(server, h) for h in cell["hrefs"]),
                ]
            else:
                values.append(cell["text"].strip())
        rows.append(values)
    return header, rows


def select(server, query: str) -> list[dict]:
    response = server.client.get("sparql", params={"query": query, "format": "json"})
    assert response.status_code == 200, response.text
    return response.json()["results"]["bindings"]


def shared_owner(server) -> str:
    """The filter value of an owner that shares an initiative with another owner."""
    rows = select(
        server,
        SG + "SELECT ?o WHERE { ?i sg:owner ?o, ?other FILTER(?o != ?other) } ORDER BY ?o LIMIT 1",
    )
    return rows[0]["o"]["value"].rsplit("/", 1)[1]


def download(server, href: str, name: str):
    response = server.client.get(href)
    assert response.status_code == 200, response.text
    assert response.headers["content-disposition"] == f'attachment; filename="{name}"'
    return response


def as_text(value) -> str:
    """An XLSX or JSON value as the CSV writes it."""
    if value is None:
        return ""
    if isinstance(value, list):
        return "; ".join(value)
    if isinstance(value, datetime):
        return value.date().isoformat()
    return str(value)


def xlsx_rows(body: bytes) -> list[list]:
    sheet = openpyxl.load_workbook(io.BytesIO(body)).worksheets[0]
    return [list(row) for row in sheet.iter_rows(values_only=True)]


# ---- downloads -----------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "da"])
def test_every_download_holds_the_table_shown(server, lang):
    owner = shared_owner(server)
    table = shown(server, f"browse/initiatives?owner={owner}&lang={lang}")
    header, rows = expected_rows(server, table)
    assert any(";" in row[header.index(table.header[3])] for row in rows), "a row of two owners"
    stem = f"sundhedsgraf-initiatives-owner-{owner}"
    assert set(table.downloads) == {"CSV", "TSV", "JSON", "XLSX", texts(lang)["csv_for_excel"]}

    plain = download(server, table.downloads["CSV"], stem + ".csv")
    assert plain.headers["content-type"] == "text/csv; charset=utf-8"
    assert not plain.content.startswith(BOM)
    assert list(csv.reader(io.StringIO(plain.content.decode(), newline=""))) == [header, *rows]

    excel = download(server, table.downloads[texts(lang)["csv_for_excel"]], stem + "-excel.csv")
    assert excel.content.startswith(BOM)  # so that Excel reads UTF-8: æøå
    text = excel.content.decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(text, newline=""), delimiter=";")) == [header, *rows]

    tsv = download(server, table.downloads["TSV"], stem + ".tsv")
    assert tsv.headers["content-type"].startswith("text/tab-separated-values")
    assert list(csv.reader(io.StringIO(tsv.text, newline=""), delimiter="\t")) == [header, *rows]

    document = download(server, table.downloads["JSON"], stem + ".json").json()
    assert document["columns"] == header
    assert [[as_text(r[c]) for c in header] for r in document["rows"]] == rows

    sheet = download(server, table.downloads["XLSX"], stem + ".xlsx")
    assert sheet.headers["content-type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    got = xlsx_rows(sheet.content)
    assert got[0] == header
    assert [[as_text(v) for v in row] for row in got[1:]] == rows


def test_every_list_downloads_in_every_format(server):
    from sundhedsgraf.pages.lists import LISTS

    for name in LISTS:
        table = shown(server, f"browse/{name}?lang=en")
        header, rows = expected_rows(server, table)
        for label, href in table.downloads.items():
            response = server.client.get(href)
            assert response.status_code == 200, (name, label, response.text[:300])
        got = list(csv.reader(io.StringIO(server.client.get(table.downloads["CSV"]).text)))
        assert got[1:] == rows, name


def test_xlsx_has_real_dates_and_numbers_and_a_frozen_header(server):
    milestones = server.client.get("browse/milestones.xlsx?lang=en")
    book = openpyxl.load_workbook(io.BytesIO(milestones.content))
    sheet = book.worksheets[0]
    assert sheet.freeze_panes == "A2"
    assert all(cell.font.b for cell in sheet[1])
    header = [c.value for c in sheet[1]]
    dates = [row[header.index("Date")] for row in sheet.iter_rows(min_row=2, values_only=True)]
    starts = select(server, SG + "SELECT ?d WHERE { ?m a sg:Milestone ; sg:periodStart ?d }")
    assert sorted(d.date() for d in dates) == sorted(
        date.fromisoformat(r["d"]["value"]) for r in starts
    )
    figures = xlsx_rows(server.client.get("browse/figures.xlsx?lang=en").content)
    amounts = [row[figures[0].index("Amount")] for row in figures[1:]]
    values = select(server, SG + "SELECT ?v WHERE { ?f a sg:Figure ; sg:value ?v }")
    assert all(isinstance(a, int) for a in amounts)
    assert sorted(amounts) == sorted(int(r["v"]["value"]) for r in values)


def test_the_csv_for_excel_writes_a_decimal_comma():
    table = Table("t", ["a", "b", "c"], [[2.5, 7, "x;y"]])
    assert csv_body(table, excel=True) == BOM + b'a;b;c\r\n2,5;7;"x;y"\r\n'
    assert csv_body(table) == b"a,b,c\r\n2.5,7,x;y\r\n"


FORMULAS = ['=HYPERLINK("http://127.0.0.1:9/","x")', "+1", "-2+3", "@SUM(A1)", "\tx", "\rx"]


def test_the_csv_for_excel_defuses_formulas_and_the_plain_csv_keeps_the_data():
    table = Table("t", ["text", "number"], [[text, -1.5] for text in FORMULAS])
    text = csv_body(table, excel=True).decode("utf-8-sig")
    excel = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    assert excel[1:] == [["'" + text, "-1,5"] for text in FORMULAS]  # numbers stay numbers
    plain = list(csv.reader(io.StringIO(csv_body(table).decode(), newline="")))
    assert plain[1:] == [[text, "-1.5"] for text in FORMULAS]


def test_every_xlsx_writes_formula_like_texts_as_texts(server):
    def cells(body: bytes) -> list:
        sheet = openpyxl.load_workbook(io.BytesIO(body)).worksheets[0]
        return [c for row in sheet.iter_rows(min_row=2) for c in row if c.value is not None]

    texts = FORMULAS[:5]  # (openpyxl reads a CR back as XML's escape _x000D_)
    table = Table("t", ["text"], [[text] for text in texts])  # the lists and search
    found = cells(xlsx_body(table, datetime(2024, 1, 1)))
    assert [(c.value, c.data_type) for c in found] == [(text, "s") for text in texts]
    values = " ".join(f"('{text}')" for text in FORMULAS[:4])  # SPARQL (no tab, CR in '')
    query = f"SELECT ?text WHERE {{ VALUES (?text) {{ {values} }} }}"
    answer = server.client.get("sparql", params={"query": query, "format": "xlsx"})
    assert answer.status_code == 200, answer.text
    found = cells(answer.content)
    assert [(c.value, c.data_type) for c in found] == [(text, "s") for text in FORMULAS[:4]]


def test_search_downloads_hold_the_results_shown(server):
    page = server.client.get("search?q=medicin&lang=en", headers=HTML)
    links = ShownTable(page.text).downloads
    results = re.findall(r'<p class="title"><a href="([^"]+)"', page.text)
    assert results
    name = "sundhedsgraf-search-medicin"
    body = download(server, links["CSV"], name + ".csv").text
    rows = list(csv.reader(io.StringIO(body, newline="")))
    assert rows[0] == ["Resource", "Resource (IRI)", "Types", "Types (IRI)", "Excerpt"]
    assert [row[1] for row in rows[1:]] == [iri_of(server, h) for h in results]
    sheet = xlsx_rows(download(server, links["XLSX"], name + ".xlsx").content)
    assert [[as_text(v) for v in row] for row in sheet] == rows


@pytest.mark.parametrize(
    ("url", "status", "message"),
    [
        ("browse/initiatives.pdf", 404, "no download as .pdf"),
        ("browse/nothing.csv", 404, "no list 'nothing'"),
        ("browse/initiatives.xlsx?excel=1", 400, "only of .csv"),
        ("browse/initiatives.csv?excel=yes", 400, "excel=1"),
        ("browse/initiatives.csv?owner=nobody", 400, "owner='nobody'"),
        ("search.tsv?q=a&q=b", 400, "at most one q"),
    ],
)
def test_bad_downloads_are_refused(server, url, status, message):
    response = server.client.get(url)
    assert response.status_code == status
    assert message in html.unescape(response.text)


# ---- sorting -------------------------------------------------------------------------------


def cell_texts(table: ShownTable, column: int) -> list[str]:
    return [row[column]["text"].strip() for row in table.rows]


def test_sorting_changes_the_order_shown(server):
    default = shown(server, "browse/initiatives?lang=en")
    numbers = cell_texts(default, 0)
    assert numbers == sorted(numbers, key=number_key)
    descending = shown(server, "browse/initiatives?sort=number&order=desc&lang=en")
    assert cell_texts(descending, 0) == numbers[::-1]
    by_status = shown(server, "browse/initiatives?sort=status&order=asc&lang=en")
    statuses = cell_texts(by_status, 4)
    assert statuses == sorted(statuses, key=fold) and statuses != cell_texts(default, 4)
    # equal statuses keep the list's own order (by number)
    for status in set(statuses):
        same = [row[0]["text"] for row in by_status.rows if row[4]["text"].strip() == status]
        assert same == sorted(same, key=number_key)


def test_dates_sort_as_dates_and_empty_cells_go_last(server):
    by_date = shown(server, "browse/milestones?sort=date&order=desc&lang=en")
    days = cell_texts(by_date, 1)
    assert days == sorted(days, reverse=True)
    assert all(date.fromisoformat(d) for d in days)
    figures = shown(server, "browse/figures?sort=amount&lang=en")
    amounts = [int(a) for a in cell_texts(figures, 2)]
    assert amounts == sorted(amounts)


def test_header_links_sort_and_reverse(server):
    table = shown(server, "browse/initiatives?status=ongoing&lang=da")
    link, order = table.sort_links[3]  # the owner column
    assert order is None
    assert dict(parse_qsl(urlsplit(link).query)) == {
        "status": "ongoing",
        "sort": "owner",
        "order": "asc",
        "lang": "da",
    }
    ascending = shown(server, link)
    assert ascending.sort_links[3][1] == "ascending"
    owners = cell_texts(ascending, 3)
    assert owners == sorted(owners, key=lambda o: number_key(fold(o)))
    reverse, _ = ascending.sort_links[3]
    assert dict(parse_qsl(urlsplit(reverse).query))["order"] == "desc"
    descending = shown(server, reverse)
    assert descending.sort_links[3][1] == "descending"
    assert cell_texts(descending, 3) == sorted(owners, key=lambda o: number_key(fold(o)))[::-1]
    # the downloads keep the filter and the sort
    assert "sort=owner&order=desc" in descending.downloads["CSV"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"sort": "colour"}, "sort='colour' is not a column"),
        ({"sort": "number", "order": "up"}, "order must be asc or desc"),
        ({"order": "desc"}, "order needs a column"),
        ([("sort", "number"), ("sort", "status")], "at most one sort"),
    ],
)
def test_bad_sorts_are_400(server, query, message):
    response = server.client.get("browse/initiatives?" + urlencode(query), headers=HTML)
    assert response.status_code == 400
    assert message in html.unescape(response.text)

"""The page "Use this data" (/use): the dumps, the tables, the endpoint, the licence, how to
cite, and examples to copy for pandas, R, Excel and Power BI, and curl, with this server's URLs.
"""

from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response

from sundhedsgraf.build import tables
from sundhedsgraf.formats import RDF
from sundhedsgraf.pages.labels import DCTERMS
from sundhedsgraf.pages.page import Page, cached
from sundhedsgraf.pages.terms import first_value
from sundhedsgraf.publication import Publication
from sundhedsgraf.settings import Settings

# A question to start from: the initiatives with their outcome, titles in the page's language.
QUERY = """PREFIX sg: <{sg}>
PREFIX dcterms: <http://purl.org/dc/terms/>
SELECT ?number ?title ?outcome WHERE {{
  ?initiative a sg:Initiative ; dcterms:identifier ?number ;
    dcterms:title ?title ; sg:outcomeStatus ?outcome .
  FILTER(LANG(?title) = "{lang}")
}}
ORDER BY ?number"""


def use_view(pub: Publication, page: Page) -> dict:
    public, lang = page.public, page.lang
    dataset = pub.base + "id/dataset"
    query = QUERY.format(sg=page.idx.sg, lang=lang)
    return {
        "dumps": [(d.file, d.title, d.media_type) for d in RDF if d.file in pub.files],
        "tables": [
            (tables.file_of(spec), spec.title[lang])
            for spec in tables.TABLES
            if tables.file_of(spec) in pub.files
        ],
        "metadata": tables.METADATA if tables.METADATA in pub.files else None,
        "licence": first_value(pub.store, dataset, DCTERMS + "license"),
        "citation": first_value(pub.store, dataset, DCTERMS + "bibliographicCitation"),
        "query": query,
        "examples": examples(public, lang, query),
    }


def examples(public: str, lang: str, query: str) -> dict[str, str]:
    """Code to copy, with this server's URLs: {name: text}."""
    table = f"{public}dist/initiatives.csv"
    listed = f"{public}browse/initiatives.xlsx?lang={lang}"
    answer = f"{public}sparql?" + urlencode({"query": query, "format": "csv"})
    quoted = query.replace('"', '\\"')
    return {
        "pandas": f"""import pandas as pd
from urllib.parse import urlencode

initiatives = pd.read_csv("{table}")
shown = pd.read_excel("{listed}")  # the list page's table

query = \"\"\"{query}\"\"\"
answer = pd.read_csv("{public}sparql?" + urlencode({{"query": query, "format": "csv"}}))""",
        "r": f"""initiatives <- read.csv("{table}", encoding = "UTF-8")

query <- "{quoted}"
answer <- read.csv(paste0("{public}sparql?format=csv&query=",
                          URLencode(query, reserved = TRUE)), encoding = "UTF-8")""",
        "excel": listed,
        "power_bi": f"""let
    Source = Csv.Document(Web.Contents("{table}"), [Delimiter = ",", Encoding = 65001]),
    Initiatives = Table.PromoteHeaders(Source, [PromoteAllScalars = true])
in
    Initiatives""",
        "curl": "\n".join(
            [
                f"curl -OJ {public}dist/sundhedsgraf.ttl",
                f'curl -OJ "{listed}"',
                f'curl -H "Accept: text/csv" --data-urlencode "query@question.rq" {public}sparql',
                f'curl -o answer.csv "{answer}"',
            ]
        ),
    }


def use_page(request: Request, pub: Publication, settings: Settings) -> Response:
    page = Page(request, pub, settings)

    def make():
        return page.render("use.html", view=use_view(pub, page))

    return cached(page, make)

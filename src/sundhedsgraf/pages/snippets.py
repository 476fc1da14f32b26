"""Ready-to-copy code that runs the page's query against our endpoint: curl, Python (requests,
and pandas into a DataFrame), R (httr2) and JavaScript's fetch.

Each snippet holds the query as a literal of its language, escaped by that language's rules,
or, for curl, URL-encoded in the URL itself. The tests run them against a live server.
"""

import json
from urllib.parse import quote, urlencode

# form of the query -> (format to read, reading it in Python, in R, in JavaScript)
READ = {
    "select": (
        "json",
        'rows = response.json()["results"]["bindings"]',
        "frame <- read.csv(text = resp_body_string(response))",
        "(await response.json()).results.bindings",
    ),
    "ask": (
        "json",
        'answer = response.json()["boolean"]',
        "answer <- resp_body_json(response)$boolean",
        "(await response.json()).boolean",
    ),
    "graph": (
        "ttl",
        "turtle = response.text",
        "turtle <- resp_body_string(response)",
        "await response.text()",
    ),
}


def data_url(endpoint: str, query: str, format: str) -> str:
    """The endpoint's URL for `query` in `format`, URL-encoded (a space as %20)."""
    return endpoint + "?" + urlencode({"query": query, "format": format}, quote_via=quote)


def python_string(text: str) -> str:
    """A Python literal of `text`: triple-quoted where that reads back the same, else repr()."""
    if '"""' not in text and "\\" not in text and not text.endswith('"'):
        return '"""' + text + '"""'
    return repr(text)


def r_string(text: str) -> str:
    """An R raw string r"-(…)-" with dashes enough that the text cannot end it."""
    dashes = "-"
    while ")" + dashes + '"' in text:
        dashes += "-"
    return f'r"{dashes}({text}){dashes}"'


def js_string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def shell_quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


def snippets(endpoint: str, query: str, form: str) -> list[dict]:
    """[{name, code}] for `query` of `form` ("select", "ask" or "graph")."""
    fmt, python_read, r_read, js_read = READ[form]
    r_format = "csv" if form == "select" else fmt
    curl = f"curl {shell_quote(data_url(endpoint, query, fmt))}"
    if form == "select":
        curl += f"\ncurl -o result.csv {shell_quote(data_url(endpoint, query, 'csv'))}"
    found = [
        {"name": "curl", "code": curl},
        {
            "name": "Python (requests)",
            "code": (
                "import requests\n\n"
                f"query = {python_string(query)}\n"
                f"response = requests.get(\n    {endpoint!r},\n"
                f'    params={{"query": query, "format": "{fmt}"}},\n    timeout=60,\n)\n'
                "response.raise_for_status()\n"
                f"{python_read}\n"
            ),
        },
    ]
    if form == "select":
        found.append(
            {
                "name": "Python (pandas)",
                "code": (
                    "from urllib.parse import urlencode\n\n"
                    "import pandas as pd\n\n"
                    f"query = {python_string(query)}\n"
                    f"frame = pd.read_csv({endpoint!r} + "
                    '"?" + urlencode({"query": query, "format": "csv"}))\n'
                ),
            }
        )
    found.append(
        {
            "name": "R (httr2)",
            "code": (
                "library(httr2)\n\n"
                f"query <- {r_string(query)}\n"
                f"response <- request({js_string(endpoint)}) |>\n"
                f'  req_url_query(query = query, format = "{r_format}") |>\n'
                "  req_perform()\n"
                f"{r_read}\n"
            ),
        }
    )
    found.append(
        {
            "name": "JavaScript (fetch)",
            "code": (
                f"const query = {js_string(query)};\n"
                f"const url = {js_string(endpoint + '?')} + "
                f'new URLSearchParams({{ query, format: "{fmt}" }});\n'
                "const response = await fetch(url);\n"
                "if (!response.ok) throw new Error(await response.text());\n"
                f"const result = {js_read};\n"
            ),
        }
    )
    return found

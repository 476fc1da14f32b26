"""The table a page shows, for downloading: CSV (and CSV for Excel), TSV, JSON and XLSX.

A download has the page's columns, each as the text shown in the page's language and, for a
column of links, a second column with their IRIs; and the page's rows, in the page's order. A
cell that may hold several values is a list in JSON, its values joined by "; " elsewhere.
Numbers and dates stay numbers and dates (XLSX has real ones).

The CSV for Excel (`?excel=1`) is what Danish Excel opens as it is: UTF-8 with a byte-order
mark (without one it garbles æøå), `;` between fields and a decimal comma, as Danish Windows
has them; a text that starts with =, +, -, @, a tab or a carriage return gets a leading '
there, so Excel does not run it as a formula (OWASP, CSV injection). The plain CSV is RFC 4180:
UTF-8, commas, no byte-order mark, the data untouched.
"""

import csv
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response

from sundhedsgraf import spreadsheet
from sundhedsgraf.formats import TABLES, TABLES_BY_NAME, TableSyntax
from sundhedsgraf.web.responses import HTTPProblem, conditional, disposition, file_name

JOIN = "; "
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # what Excel may run as a formula


@dataclass(frozen=True)
class Cells:
    """How a column's cells are made, and what the downloads need to know of them."""

    views: Callable | None  # (pub, idx, item, lang) -> list of views
    links: bool = False  # the views link to resources: the downloads add their IRIs
    many: bool = False  # a cell may hold more than one view


@dataclass
class Table:
    title: str
    header: list[str]
    rows: list[list]  # per column: None, text, number, date, or a list of these


def table(t: dict, title: str, columns: list[tuple[str, Cells]], rows: list[list]) -> Table:
    """The download of a page's table: `columns` (text key, Cells), `rows` of cell views."""
    header = []
    for key, cells in columns:
        header += [t[key], f"{t[key]} ({t['iri']})"] if cells.links else [t[key]]
    values = [
        [v for (_, cells), views in zip(columns, row, strict=True) for v in _values(views, cells)]
        for row in rows
    ]
    return Table(title, header, values)


def _values(views: list[dict], cells: Cells) -> list:
    """A cell's value, and its IRIs for a column of links."""
    found = [[v["value"] if v.get("value") is not None else v["text"] for v in views]]
    if cells.links:
        found.append([v["iri"] for v in views])
    return [each if cells.many else (each[0] if each else None) for each in found]


# ---- formats ---------------------------------------------------------------------------


def csv_body(table: Table, excel: bool = False) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";" if excel else ",", lineterminator="\r\n")
    writer.writerow(table.header)
    writer.writerows([_text(value, excel) for value in row] for row in table.rows)
    return out.getvalue().encode("utf-8-sig" if excel else "utf-8")


def tsv_body(table: Table) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter="\t", lineterminator="\n")
    writer.writerow(table.header)
    writer.writerows([_text(value) for value in row] for row in table.rows)
    return out.getvalue().encode()


def json_body(table: Table, url: str) -> bytes:
    rows = [dict(zip(table.header, map(_json, row), strict=True)) for row in table.rows]
    document = {"title": table.title, "url": url, "columns": table.header, "rows": rows}
    return json.dumps(document, ensure_ascii=False, indent=1).encode()


def xlsx_body(table: Table, created: datetime) -> bytes:
    rows = [[_text(v) if isinstance(v, list) else v for v in row] for row in table.rows]
    return spreadsheet.workbook(table.title, table.header, rows, created)


def _text(value, excel: bool = False) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return JOIN.join(_text(v, excel) for v in value)
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and excel:
        return repr(value).replace(".", ",")
    if isinstance(value, str) and excel and value.startswith(FORMULA_STARTS):
        return "'" + value
    return str(value)


def _json(value):
    if isinstance(value, list):
        return [_json(v) for v in value]
    return value.isoformat() if isinstance(value, date) else value


def render(table: Table, syntax: TableSyntax, excel: bool, url: str, built: str) -> bytes:
    """`table` in `syntax`; `url` is the page's, `built` the build's time (XLSX's date)."""
    if syntax.name == "csv":
        return csv_body(table, excel)
    if syntax.name == "tsv":
        return tsv_body(table)
    if syntax.name == "json":
        return json_body(table, url)
    created = datetime.fromisoformat(built).astimezone(UTC).replace(tzinfo=None)
    return xlsx_body(table, created)


# ---- requests and answers --------------------------------------------------------------


def asked_format(request: Request, extension: str) -> tuple[TableSyntax, bool]:
    """(the format of /….<extension>, whether it is the CSV for Excel), or a 4xx."""
    if extension not in TABLES_BY_NAME:
        names = ", ".join(f".{f.name}" for f in TABLES)
        raise HTTPProblem(404, f"no download as .{extension[:20]}; the tables come as {names}")
    excel = request.query_params.getlist("excel")
    if excel and (excel != ["1"] or extension != "csv"):
        raise HTTPProblem(400, "excel=1 asks for the CSV for Excel: only once, and only of .csv")
    return TABLES_BY_NAME[extension], bool(excel)


def links(page, path: str, params: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """(label, URL) of the download of the table at `path` (with `params`) in each format."""
    pairs = [*params, ("lang", page.lang)]

    def url(extension: str, *extra: tuple[str, str]) -> str:
        return f"{page.public}{path}.{extension}?{urlencode(pairs + list(extra))}"

    found = [(f.name.upper(), url(f.name)) for f in TABLES]
    found.insert(1, (page.t["csv_for_excel"], url("csv", ("excel", "1"))))
    return found


def download_name(stem: list[str], syntax: TableSyntax, excel: bool) -> str:
    return file_name("sundhedsgraf", *stem, "excel" if excel else "", extension=syntax.name)


def respond(page, body: bytes, syntax: TableSyntax, name: str) -> Response:
    headers = {
        "Content-Language": page.lang,
        "Vary": "Accept-Language",
        "Cache-Control": "public, max-age=60",
        "X-Content-Type-Options": "nosniff",
        **disposition(name),
    }
    return conditional(
        page.request, body, syntax.media_type, headers, last_modified=page.pub.last_modified
    )

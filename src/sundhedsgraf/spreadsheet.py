"""One sheet of rows as an XLSX workbook (XlsxWriter): the table downloads and SPARQL results.

Each value is written as what it is: numbers as numbers, dates as dates, truth values as
booleans, everything else as text (never as a formula or a link, whatever it starts with).
The header row is bold, frozen and filtered. The same rows and `created` give the same bytes,
in any process at any time (replicas answer alike): without `created` the file is dated as
XlsxWriter dates the parts inside it, 1 January 1980, never with the time it was made.
"""

import io
import math
import re
from datetime import date, datetime
from decimal import Decimal

import xlsxwriter

MAX_ROWS = 1_048_576  # what one Excel sheet holds, the header row included
MAX_EXACT = 2**53  # larger whole numbers are not exact as Excel's doubles: written as text
WIDEST = 60  # characters; a column is as wide as its longest value up to this
UNDATED = datetime(1980, 1, 1)  # Excel's and XlsxWriter's epoch of the parts of a file


def workbook(sheet: str, header: list[str], rows: list[list], created: datetime | None = None):
    """The XLSX bytes of one sheet named `sheet`: `header`, then `rows`."""
    if len(rows) + 1 > MAX_ROWS:
        raise ValueError(f"{len(rows)} rows are more than a spreadsheet holds ({MAX_ROWS - 1})")
    out = io.BytesIO()
    # Only write_string is called for texts; these options keep any other write() from reading
    # "=…" as a formula, a URL as a link or "+1" as a number.
    options = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}
    book = xlsxwriter.Workbook(out, {"in_memory": True, **options})
    book.set_properties({"created": created or UNDATED})
    formats = {
        "header": book.add_format({"bold": True}),
        "date": book.add_format({"num_format": "yyyy-mm-dd"}),
        "datetime": book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"}),
    }
    page = book.add_worksheet(sheet_name(sheet))
    for column, title in enumerate(header):
        page.write_string(0, column, title, formats["header"])
    for number, row in enumerate(rows, start=1):
        for column, value in enumerate(row):
            write(page, number, column, value, formats)
    page.freeze_panes(1, 0)
    page.autofilter(0, 0, len(rows), max(len(header) - 1, 0))
    for column, width in enumerate(widths(header, rows)):
        page.set_column(column, column, width)
    book.close()
    return out.getvalue()


def write(page, row: int, column: int, value, formats: dict) -> None:
    if value is None or value == "":
        return
    if isinstance(value, bool):
        page.write_boolean(row, column, value)
    elif isinstance(value, int) and abs(value) <= MAX_EXACT:
        page.write_number(row, column, value)
    elif isinstance(value, float | Decimal) and math.isfinite(value):
        page.write_number(row, column, float(value))
    elif isinstance(value, datetime):
        page.write_datetime(row, column, value, formats["datetime"])
    elif isinstance(value, date):
        page.write_datetime(row, column, value, formats["date"])
    else:
        page.write_string(row, column, str(value))


def sheet_name(text: str) -> str:
    """A name Excel takes: no []:*?/\\ and at most 31 characters."""
    return re.sub(r"[\[\]:*?/\\]", " ", text).strip()[:31] or "Sheet1"


def widths(header: list[str], rows: list[list], sample: int = 1000) -> list[int]:
    longest = [len(title) for title in header]
    for row in rows[:sample]:
        for column, value in enumerate(row):
            longest[column] = max(longest[column], len(str(value)) if value is not None else 0)
    return [min(max(n + 2, 8), WIDEST) for n in longest]

"""Generated Accept, Accept-Language and If-None-Match headers: never a server error.

The app runs in-process (TestClient with raise_server_exceptions): an exception in any route
fails the example as surely as a 500 would.
"""

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

PATHS = [
    "/",
    "/doc/initiative/2.1",
    "/def",
    "/sparql",
    "/sparql?query=ASK%20%7B%7D",
    "/sparql?query=CONSTRUCT%20%7B%3Curn%3Aa%3E%20%3Curn%3Ab%3E%201%7D%20WHERE%20%7B%7D",
    "/browse/initiatives",
]
# The pieces headers are made of, so that most examples are nearly well-formed.
PIECES = [
    ",", ";", "=", " ", "\t", '"', "\\", "*", "/", "q", "q=", "0", "1", ".5", "1.0", "W/",
    "text/html", "text/turtle", "*/*", "text/*", "application/sparql-results+json",
    "application/ld+json", "da", "en", "en-GB", "da-DK", '"abc"', "é", "\x7f",
]  # fmt: skip
NOISE = st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF), max_size=6)
HEADER = st.lists(st.one_of(st.sampled_from(PIECES), NOISE), max_size=12).map("".join)
# 303: a browser-like Accept at /sparql without a query is sent to the query page
ALLOWED = {200, 303, 304, 400, 406}


@pytest.mark.parametrize("path", PATHS)
@given(accept=HEADER, language=HEADER, match=HEADER)
@example(accept=";", language="", match="")
@example(accept=" ; q=1", language=";", match=",")
@settings(max_examples=150, deadline=None, database=None, suppress_health_check=list(HealthCheck))
def test_no_header_gives_a_server_error(app_server, path, accept, language, match):
    headers = {"Accept": accept, "Accept-Language": language, "If-None-Match": match}
    response = app_server.client.get(
        path, headers={k: v.encode("latin-1") for k, v in headers.items()}
    )
    assert response.status_code in ALLOWED, (response.status_code, response.text[:300])

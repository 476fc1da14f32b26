"""Reading a query string or form: the fast decoder gives what parse_qsl gives, always."""

import random
from urllib.parse import parse_qsl, quote

import pytest

from sundhedsgraf.sparql.protocol import parse_form


@pytest.mark.parametrize(
    "text",
    [
        "query=" + quote('SELECT * { ?s ?p "æ€\\\\x41 %" }', safe=""),
        "query=a+b&format=json&&x&y=",
        "a=%zz&b=%4",  # a % that starts no escape
        "a=%C3&b=%C3%A6%E2%82",  # cut UTF-8
        "a=\\x41%5Cx41",  # backslashes as sent and as escapes
        "a=æ%41",  # not ASCII, as a client may send it raw
        "=x&y==z",
    ],
)
def test_edge_cases_read_as_parse_qsl_reads_them(text):
    assert parse_form(text) == parse_qsl(text, keep_blank_values=True)


def test_random_texts_read_as_parse_qsl_reads_them():
    rng = random.Random(14)
    alphabet = ["%", "+", "&", "=", "\\", "x", "a", "4", "1", "f", "G", "C3", "A6", "æ", ";", " "]
    for _ in range(20_000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 14)))
        assert parse_form(text) == parse_qsl(text, keep_blank_values=True), text

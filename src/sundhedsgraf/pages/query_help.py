"""The query page's errors and warnings, explained in the page's language.

`explain` turns an answer of the endpoint other than 200 into what a person can act on: where
(line, column, that line with a caret under the spot, the token there), what is wrong and a
hint; the endpoint's own message stays in `raw`. pyoxigraph reports where its parser gave up,
which is often the end of the text, so the spot is found by reading the text: an unclosed
string or brace, a word that is not SPARQL, an undeclared prefix.
"""

import difflib
import re

from sundhedsgraf.pages.sparql_text import KEYWORDS, KNOWN_WORDS, Token, declared, line_column
from sundhedsgraf.pages.sparql_text import offset as offset_of
from sundhedsgraf.pages.sparql_text import tokens as lex

TEXT = {
    "en": {
        "syntax": "The query does not parse",
        "refused": "The query was refused",
        "update": "This endpoint only reads",
        "time": "The query took too long",
        "rows": "The answer has too many rows",
        "bytes": "The answer is too large",
        "busy": "The server is busy",
        "failed": "The query could not be run",
        "too_long": "The query is too long",
        "where": "Line {line}, column {column}",
        "at": "at {token}",
        "at_end": "at the end of the query",
        "raw": "The endpoint's own message",
        "h_prefix": "The prefix {prefix} is not declared. Add a PREFIX line at the top:",
        "h_prefix_like": "Or did you mean {known}, which is added for you?",
        "h_keyword": "{word} is not a SPARQL keyword. Did you mean {keyword}?",
        "h_word": (
            "{word} is not a SPARQL keyword or function. Write a resource as a prefixed name "
            "(sg:Initiative) or an IRI in <…>, a text in quotes, and a variable with ?."
        ),
        "h_unclosed": "This {open} is never closed: add a {close} where its group ends.",
        "h_unopened": "This {close} closes nothing: remove it, or add the {open} it belongs to.",
        "h_string": (
            "This text is never closed: end it with the same quote mark on the same line "
            "(or use three quote marks for a text over several lines)."
        ),
        "h_triple": (
            "A triple pattern has three parts, subject, predicate and object; this one has two."
        ),
        "h_group": (
            "{var} is selected but neither grouped nor aggregated: add it to GROUP BY, or take "
            "one of its values with (SAMPLE({var}) AS ?one)."
        ),
        "h_expected": "SPARQL expected something else here; it can take: {expected}.",
        "h_unexpected": "SPARQL expected something else here.",
        "h_time": (
            "It ran longer than the time limit of {seconds} s and was stopped. Try a LIMIT "
            "(say LIMIT 100); fewer OPTIONAL blocks; starting from a class or a known resource "
            "rather than ?s ?p ?o; property paths with + or * only from a fixed resource."
        ),
        "h_rows": (
            "The answer has more than {rows} rows, this endpoint's limit. Add a LIMIT (with "
            "OFFSET to go through it a page at a time), or count first with COUNT(*)."
        ),
        "h_bytes": (
            "The answer is larger than {bytes} bytes, this endpoint's limit. Select fewer "
            "columns, or add a LIMIT."
        ),
        "h_busy": "Other queries hold every worker just now. Wait a moment and run it again.",
        "h_update": (
            "It asks for a change ({keyword}), and queries here can only read. Use SELECT, "
            "ASK, CONSTRUCT or DESCRIBE."
        ),
        "h_service": "SERVICE may only call the endpoints on this server's allowlist.",
        "h_from": "FROM and FROM NAMED may only name this dataset's own graphs: {graphs}.",
        "h_failed": "The query parsed, but running it failed; the endpoint's message says why.",
        "h_too_long": "It is longer than {bytes} bytes, this endpoint's limit.",
        "w_unbound": "{var} is in SELECT but nowhere in the pattern, so its column stays empty.",
        "w_like": "Did you mean {like}?",
    },
    "da": {
        "syntax": "Forespørgslen kan ikke læses",
        "refused": "Forespørgslen blev afvist",
        "update": "Endepunktet kan kun læse",
        "time": "Forespørgslen tog for lang tid",
        "rows": "Svaret har for mange rækker",
        "bytes": "Svaret er for stort",
        "busy": "Serveren har travlt",
        "failed": "Forespørgslen kunne ikke køres",
        "too_long": "Forespørgslen er for lang",
        "where": "Linje {line}, kolonne {column}",
        "at": "ved {token}",
        "at_end": "ved slutningen af forespørgslen",
        "raw": "Endepunktets egen meddelelse",
        "h_prefix": "Præfikset {prefix} er ikke erklæret. Tilføj en PREFIX-linje øverst:",
        "h_prefix_like": "Eller mente du {known}, som bliver tilføjet for dig?",
        "h_keyword": "{word} er ikke et SPARQL-nøgleord. Mente du {keyword}?",
        "h_word": (
            "{word} er hverken et SPARQL-nøgleord eller en funktion. Skriv en ressource som "
            "præfiksnavn (sg:Initiative) eller som IRI i <…>, en tekst i anførselstegn og en "
            "variabel med ?."
        ),
        "h_unclosed": "Denne {open} lukkes aldrig: tilføj en {close}, hvor dens gruppe slutter.",
        "h_unopened": (
            "Denne {close} lukker ingenting: fjern den, eller tilføj den {open}, den hører til."
        ),
        "h_string": (
            "Denne tekst lukkes aldrig: afslut den med samme anførselstegn på samme linje "
            "(eller brug tre anførselstegn til en tekst over flere linjer)."
        ),
        "h_triple": (
            "Et tripelmønster har tre dele, subjekt, prædikat og objekt; dette har kun to."
        ),
        "h_group": (
            "{var} vælges, men hverken grupperes eller aggregeres: tilføj den til GROUP BY, "
            "eller tag én af dens værdier med (SAMPLE({var}) AS ?en)."
        ),
        "h_expected": "SPARQL ventede noget andet her; her kan stå: {expected}.",
        "h_unexpected": "SPARQL ventede noget andet her.",
        "h_time": (
            "Den kørte længere end tidsgrænsen på {seconds} s og blev stoppet. Prøv en LIMIT "
            "(fx LIMIT 100); færre OPTIONAL-blokke; at starte fra en klasse eller en kendt "
            "ressource frem for ?s ?p ?o; stier med + eller * kun fra en fast ressource."
        ),
        "h_rows": (
            "Svaret har flere end {rows} rækker, som er endepunktets grænse. Tilføj en LIMIT "
            "(og OFFSET for at gå det igennem side for side), eller tæl først med COUNT(*)."
        ),
        "h_bytes": (
            "Svaret er større end {bytes} byte, som er endepunktets grænse. Vælg færre "
            "kolonner, eller tilføj en LIMIT."
        ),
        "h_busy": "Andre forespørgsler optager alle arbejdere lige nu. Vent lidt, og kør den igen.",
        "h_update": (
            "Den beder om en ændring ({keyword}), og her kan forespørgsler kun læse. Brug "
            "SELECT, ASK, CONSTRUCT eller DESCRIBE."
        ),
        "h_service": "SERVICE må kun kalde de endepunkter, der står på serverens liste.",
        "h_from": "FROM og FROM NAMED må kun nævne datasættets egne grafer: {graphs}.",
        "h_failed": (
            "Forespørgslen kunne læses, men kørslen fejlede; endepunktets meddelelse siger hvorfor."
        ),
        "h_too_long": "Den er længere end {bytes} byte, som er endepunktets grænse.",
        "w_unbound": (
            "{var} står i SELECT, men ingen steder i mønsteret, så dens kolonne forbliver tom."
        ),
        "w_like": "Mente du {like}?",
    },
}

PAIRS = {"{": "}", "(": ")", "[": "]"}
_AT = re.compile(r"error at (\d+):(\d+)")
_LINE_COLUMN = re.compile(r"\(line (\d+), column (\d+)\)")
_UPDATE_AT = re.compile(r"\((\w+) at (\d+):(\d+)\)")
_NUMBER = re.compile(r"(\d+(?:\.\d+)?)")
SHOWN_LINE = 100  # characters of the line shown above the caret


def explain(query: str, status: int, message: str, lang: str, graphs: tuple[str, ...] = ()) -> dict:
    """{kind, title, where (or None), hint, code (a line to add, or None), raw, raw_title}."""
    text = TEXT[lang]
    kind, spot, hint, code = "failed", None, text["h_failed"], None
    if "does not parse" in message:
        kind = "syntax"
        spot, hint, code = syntax_hint(query, message, text)
    elif status == 403:
        kind = "update"
        found = _UPDATE_AT.search(message)
        keyword = found[1] if found else "?"
        if found:
            spot = offset_of(query, int(found[2]), int(found[3]))
        hint = text["h_update"].format(keyword=keyword)
    elif "time limit" in message:
        kind, hint = "time", text["h_time"].format(seconds=_number(message))
    elif status == 503:
        kind, hint = "busy", text["h_busy"]
    elif "rows" in message and "limit" in message:
        kind, hint = "rows", text["h_rows"].format(rows=_number(message))
    elif "bytes" in message and "result" in message:
        kind, hint = "bytes", text["h_bytes"].format(bytes=_number(message))
    elif status == 413:
        kind, hint = "too_long", text["h_too_long"].format(bytes=_number(message))
    elif message.startswith(("SERVICE", "FROM", "too many SERVICE")):
        kind = "refused"
        found = _LINE_COLUMN.search(message)
        if found:
            spot = offset_of(query, int(found[1]), int(found[2]))
        if message.startswith("FROM"):
            hint = text["h_from"].format(graphs=", ".join(graphs))
        else:
            hint = text["h_service"]
    return {
        "kind": kind,
        "title": text[kind],
        "where": where(query, spot, text) if spot is not None else None,
        "hint": hint,
        "code": code,
        "raw": message,
        "raw_title": text["raw"],
    }


def _number(message: str) -> str:
    found = _NUMBER.search(message)
    return found[1] if found else "?"


def where(query: str, pos: int, text: dict) -> dict:
    """The spot: line, column, the line's text with a caret under it, and the token there."""
    line, column = line_column(query, pos)
    start = query.rfind("\n", 0, pos) + 1
    end = query.find("\n", pos)
    shown = query[start : len(query) if end < 0 else end].replace("\t", " ").rstrip("\r")
    caret_at = column - 1
    if len(shown) > SHOWN_LINE:  # a window around the spot
        left = max(0, min(caret_at - SHOWN_LINE // 2, len(shown) - SHOWN_LINE))
        shown = ("…" if left else "") + shown[left : left + SHOWN_LINE]
        caret_at = caret_at - left + (1 if left else 0)
    token = next((t for t in lex(query) if t.start <= pos < t.end), None)
    label = text["at"].format(token=_clip(token.text)) if token else text["at_end"]
    return {
        "line": line,
        "column": column,
        "text": shown,
        "caret": " " * caret_at + "^",
        "token": label,
        "place": text["where"].format(line=line, column=column),
    }


def _clip(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def syntax_hint(query: str, message: str, text: dict) -> tuple[int, str, str | None]:
    """(offset of the spot, hint, a line to add or None) for a query pyoxigraph cannot parse."""
    toks = lex(query)
    for token in toks:
        if token.kind == "stray":
            return token.start, text["h_string"], None
    have = declared(toks)
    for i, token in enumerate(toks):
        if token.kind != "pname" or (i and toks[i - 1].text.upper() == "PREFIX"):
            continue
        name = token.text.partition(":")[0]
        if name not in have:
            hint = text["h_prefix"].format(prefix=name + ":")
            return token.start, hint, f"PREFIX {name}: <…>"
    for token in toks:
        if token.kind == "word" and token.text.upper() not in KNOWN_WORDS:
            like = difflib.get_close_matches(token.text.upper(), KEYWORDS, n=1, cutoff=0.7)
            if like:
                return token.start, text["h_keyword"].format(word=token.text, keyword=like[0]), None
            return token.start, text["h_word"].format(word=token.text), None
    if unbalanced := brackets(toks):
        token, opened = unbalanced
        if opened:
            hint = text["h_unclosed"].format(open=token.text, close=PAIRS[token.text])
            return token.start, hint, None
        opener = next(o for o, c in PAIRS.items() if c == token.text)
        return token.start, text["h_unopened"].format(open=opener, close=token.text), None
    found = _AT.search(message)
    pos = offset_of(query, int(found[1]), int(found[2])) if found else len(query)
    if "variable that is unbound" in message and (var := ungrouped(toks)):
        return var.start, text["h_group"].format(var=var.text), None
    if end := two_part_triple(toks, pos):
        return end.start, text["h_triple"], None
    expected = readable_expected(message)
    if expected:
        return pos, text["h_expected"].format(expected=", ".join(expected)), None
    return pos, text["h_unexpected"], None


def brackets(toks: list[Token]) -> tuple[Token, bool] | None:
    """The first bracket that closes nothing (token, False), else the innermost one left
    open (token, True), else None."""
    stack: list[Token] = []
    for token in toks:
        if token.kind != "punct":
            continue
        if token.text in PAIRS:
            stack.append(token)
        elif token.text in PAIRS.values():
            if not stack or PAIRS[stack[-1].text] != token.text:
                return (stack[-1], True) if stack else (token, False)
            stack.pop()
    return (stack[-1], True) if stack else None


def projected(toks: list[Token]) -> list[Token]:
    """The plain variables of a SELECT clause (not those inside expressions)."""
    start = next((i for i, t in enumerate(toks) if t.text.upper() == "SELECT"), None)
    if start is None:
        return []
    found, depth = [], 0
    for token in toks[start + 1 :]:
        if token.text.upper() in ("WHERE", "{", "FROM"):
            break
        depth += {"(": 1, ")": -1}.get(token.text, 0)
        if token.kind == "var" and depth == 0:
            found.append(token)
    return found


def ungrouped(toks: list[Token]) -> Token | None:
    """The first selected variable a GROUP BY clause leaves out."""
    words = [t.text.upper() for t in toks]
    at = next((i for i in range(len(words) - 1) if words[i : i + 2] == ["GROUP", "BY"]), None)
    if at is None:
        return None
    grouped = set()
    for token in toks[at + 2 :]:
        if token.kind == "word" and token.text.upper() in ("HAVING", "ORDER", "LIMIT", "OFFSET"):
            break
        if token.kind == "var":
            grouped.add(token.text[1:])
    return next((v for v in projected(toks) if v.text[1:] not in grouped), None)


TERMS = ("var", "pname", "iri", "string", "number", "bnode")


def two_part_triple(toks: list[Token], pos: int) -> Token | None:
    """The `}` or `.` at (or just before) `pos` if the pattern it ends has two terms."""
    at = next((i for i, t in enumerate(toks) if t.start >= pos), len(toks))
    if at == len(toks) or toks[at].text not in ("}", "."):
        at -= 1  # pyoxigraph often reports the spot after the token
    if at < 0 or toks[at].text not in ("}", "."):
        return None
    terms = 0
    for token in reversed(toks[:at]):
        if token.text in ("{", ".", "}"):
            break
        if token.text in (";", ",", "(", ")", "[", "]"):
            return None
        if token.kind == "word" and token.text != "a":
            return None
        terms += token.kind in TERMS or token.text == "a"
    return toks[at] if terms == 2 else None


def readable_expected(message: str) -> list[str]:
    """The keywords and punctuation of pyoxigraph's "expected one of …", without character
    classes."""
    _, _, rest = message.partition("expected ")
    rest = rest.removeprefix("one of ")
    rest = re.sub(r"\[[^\]]*\]", "", rest)
    items = []
    for item in (part.strip() for part in rest.split(",")):
        if re.fullmatch(r'"[^"]{1,3}"', item):
            items.append(item.strip('"'))
        elif re.fullmatch(r"[A-Za-z_]+", item):
            items.append(item)
    return items[:12]


def unbound_warnings(query: str, names: list[str], rows: list[list], lang: str) -> list[str]:
    """Warnings for selected variables written nowhere else in the query, whose column is
    empty: most likely a misspelling."""
    toks = lex(query)
    counts: dict[str, int] = {}
    for token in toks:
        if token.kind == "var":
            counts[token.text[1:]] = counts.get(token.text[1:], 0) + 1
    warnings = []
    for var in projected(toks):
        name = var.text[1:]
        if counts.get(name) != 1 or name not in names:
            continue
        column = names.index(name)
        if any(row[column] is not None for row in rows):
            continue
        text = TEXT[lang]["w_unbound"].format(var=var.text)
        others = [n for n in counts if n != name]
        if like := difflib.get_close_matches(name, others, n=1, cutoff=0.6):
            text += " " + TEXT[lang]["w_like"].format(like="?" + like[0])
        warnings.append(text)
    return warnings

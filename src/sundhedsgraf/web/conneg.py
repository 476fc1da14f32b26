"""HTTP content negotiation on the Accept header (RFC 9110, sections 12.4.2 and 12.5.1)."""

import re
from collections.abc import Sequence

_TOKEN = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_RANGE = re.compile(rf"({_TOKEN})/({_TOKEN})")
_QVALUE = re.compile(r"[0-9]+(\.[0-9]*)?|\.[0-9]+")
_ANY = ("*/*", 1.0, 0)


class NotAcceptable(ValueError):
    """No offered media type is acceptable; the message lists what can be served."""


def _split(text: str, separator: str) -> list[str]:
    """`text` split on `separator`, except inside quoted strings (a parameter may quote one)."""
    return re.findall(rf'(?:"(?:\\.|[^"\\])*"|[^{separator}"])+', text)


def parse_accept(header: str | None) -> list[tuple[str, float, int]]:
    """(media range, q, specificity) for each well-formed element of an Accept header.

    Specificity is 0 for */*, 1 for type/* and 2 for type/subtype. A missing or empty header,
    or one with no usable element, accepts anything: RFC 9110 lets a server disregard a header
    it cannot honour, and serving the default beats a 406 for a garbled header.
    """
    ranges = [r for element in _split(header or "", ",") if (r := _media_range(element))]
    return ranges or [_ANY]


def _media_range(element: str) -> tuple[str, float, int] | None:
    """One Accept element, or None if it is malformed. Parameters other than q are dropped:
    we compare type/subtype only, and whatever follows q (accept-ext) does not count."""
    # the range is all before the first ";" (no quotes in a token); "; q=1" has none
    name, _, rest = element.partition(";")
    name, parameters = name.strip(), [part.strip() for part in _split(rest, ";")]
    match = _RANGE.fullmatch(name)
    if not match or (match[1] == "*" and match[2] != "*"):
        return None
    q = 1.0
    for parameter in parameters:
        key, _, value = parameter.partition("=")
        if key.strip().lower() == "q":
            if not _QVALUE.fullmatch(value := value.strip()) or float(value) > 1:
                return None
            q = float(value)
            break
    specificity = 0 if match[1] == "*" else 1 if match[2] == "*" else 2
    return name.lower(), q, specificity


def _quality(media_type: str, ranges: list[tuple[str, float, int]]) -> float:
    """The q the most specific matching range gives `media_type` (the highest q if several
    are equally specific), 0 if none matches."""
    kind = media_type.partition(";")[0].strip().lower()
    candidates = (kind, kind.partition("/")[0] + "/*", "*/*")
    matches = [(specificity, q) for name, q, specificity in ranges if name in candidates]
    return max(matches)[1] if matches else 0.0


def choose(accept: str | None, offered: Sequence[str]) -> str:
    """The offered media type the Accept header likes best; ties go to the earlier offer."""
    ranges = parse_accept(accept)
    best, best_q = None, 0.0
    for media_type in offered:
        if (q := _quality(media_type, ranges)) > best_q:
            best, best_q = media_type, q
    if best is None:
        raise NotAcceptable(f"not acceptable; available: {', '.join(offered)}")
    return best

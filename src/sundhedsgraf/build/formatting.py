"""`sundhedsgraf format`: the curated Turtle files in the one canonical style (see turtle.py).

A file keeps its header: the comment lines at its top, above the prefixes or, failing that, in
one block right below them. Other comments cannot survive sorting; the command says how many
it drops.
"""

import re
from pathlib import Path

from sundhedsgraf.build.turtle import to_turtle
from sundhedsgraf.errors import naming
from sundhedsgraf.namespaces import prefixes
from sundhedsgraf.rdfio import parse_graph

_PREFIX = re.compile(r"(@?prefix|@?base)\s", re.IGNORECASE)


def canonical_text(path: Path) -> str:
    """The canonical form of a Turtle file (its IRIs as written: no base rewriting)."""
    before, after = header_comments(path.read_text(encoding="utf-8"))
    return to_turtle(parse_graph(path), prefixes(), before, after)


def header_comments(text: str) -> tuple[list[str], list[str]]:
    """The header: the comment lines above the prefix block (blank lines between them kept) or,
    if there are none, the first block of comment lines right below it. As (above, below)."""
    before, after, seen_prefix = [], [], False
    for raw in text.splitlines():
        line = raw.strip()
        if _PREFIX.match(line):
            seen_prefix = True
        elif not seen_prefix and (line.startswith("#") or (before and not line)):
            before.append(raw.rstrip())
        elif seen_prefix and line.startswith("#") and not before:
            after.append(raw.rstrip())
        elif line or after:
            break
    while before and not before[-1]:
        before.pop()
    return before, after


def dropped_comments(old: str, new: str) -> int:
    """How many full-line comments of `old` are not in `new`."""

    def comments(text: str) -> int:
        return sum(1 for line in text.splitlines() if line.lstrip().startswith("#"))

    return max(0, comments(old) - comments(new))


def format_file(path: Path, write: bool) -> tuple[bool, int]:
    """(whether the file was not canonical, comment lines dropped); rewrites it if `write`."""
    old = path.read_text(encoding="utf-8")
    new = canonical_text(path)
    if write and new != old:
        with naming(path):
            path.write_text(new, encoding="utf-8")
    return new != old, dropped_comments(old, new)

"""The build: load, rewrite the base IRI, entail, validate and, only if valid, publish dist/."""

import hashlib
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from rdflib.term import Node

from sundhedsgraf import __version__
from sundhedsgraf.build import dcat_ap, stats
from sundhedsgraf.build.description import describe
from sundhedsgraf.build.dumps import Published, dump_json, jsonld, render
from sundhedsgraf.build.entailment import entail
from sundhedsgraf.build.jsonld_context import context
from sundhedsgraf.build.output import publish
from sundhedsgraf.build.sources import load
from sundhedsgraf.build.turtle import to_turtle
from sundhedsgraf.build.validation import Report, validate
from sundhedsgraf.errors import SundhedsgrafError
from sundhedsgraf.namespaces import BASE_ENV, DEFAULT_BASE, prefixes, sg


@dataclass
class Checked:
    """Steps 1-4: the graph to publish and its SHACL report."""

    published: Published
    report: Report
    defined_in: dict[Node, list[str]]
    entailed: int

    def report_text(self) -> str:
        return self.report.render(prefixes(self.published.base), self.defined_in)


@dataclass
class Built:
    checked: Checked
    files: dict[str, bytes]
    folder: Path


def base_iri(option: str | None = None) -> str:
    """The base IRI: the option, else $SUNDHEDSGRAF_BASE_IRI, else the default."""
    base = option or os.environ.get(BASE_ENV) or DEFAULT_BASE
    if not re.match(r"[A-Za-z][A-Za-z0-9+.-]*://[^/]+/(.*/)?$", base):
        raise SundhedsgrafError(f"base IRI must be an absolute IRI ending in '/': {base}")
    return base


def build_time() -> datetime:
    """Now, or $SOURCE_DATE_EPOCH for reproducible builds."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    return datetime.fromtimestamp(int(epoch), UTC) if epoch else datetime.now(UTC)


def check(root: Path, base: str) -> Checked:
    """Parse, rewrite the base, entail and validate; writes nothing."""
    sources = load(root, base)
    entailed = entail(sources.data, sources.ontology, sg(base))
    published = Published(sources.ontology, sources.data, sources.shapes, base)
    report = validate(published.union, published.shapes, prefixes(base))
    return Checked(published, report, sources.defined_in, entailed)


def build(root: Path, base: str) -> Built:
    """check(), then, only if the graph conforms, write every file of dist/ at once."""
    checked = check(root, base)
    if not checked.report.conforms:
        raise SundhedsgrafError(
            "the graph does not conform to the shapes; dist/ is unchanged\n\n"
            + checked.report_text()
        )
    published, when = checked.published, build_time()
    files = render(published)
    description = describe(published, files, __version__, when.date())
    dcat_ap.check(description, prefixes(base, extra=True))  # raises on a DCAT-AP violation
    files["dataset.ttl"] = to_turtle(description, prefixes(base, extra=True)).encode()
    files["dataset.jsonld"] = jsonld(description, context(base)).encode()
    files["manifest.json"] = manifest(files, len(published.union), when, base).encode()
    return Built(checked, files, publish(root, files))


def manifest(files: dict[str, bytes], triples: int, when: datetime, base: str) -> str:
    listed = [
        {"name": name, "bytes": len(content), "sha256": hashlib.sha256(content).hexdigest()}
        for name, content in sorted(files.items())
    ]
    return dump_json(
        {
            "version": __version__,
            "base_iri": base,
            "built": when.isoformat(timespec="seconds"),
            "triples": triples,
            "files": listed,
        }
    )


def summary(built: Built) -> str:
    """One screen: triples, resources per class, files written."""
    published = built.checked.published
    files = [(name, len(content)) for name, content in sorted(built.files.items())]
    return "\n\n".join(
        [
            f"Built {len(published.union)} triples ({built.checked.entailed} entailed) "
            f"under {published.base}",
            stats.table(
                "Resources per class (data)",
                stats.class_counts(published.data, prefixes(published.base)),
            ),
            stats.table(f"Files written (bytes) to {built.folder}", files),
        ]
    )

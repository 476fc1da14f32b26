"""The build: load, rewrite the base IRI, entail, validate and, only if valid, publish dist/."""

import hashlib
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from rdflib.term import Node

from sundhedsgraf import __version__
from sundhedsgraf.build import dcat_ap, linked, stats, tables
from sundhedsgraf.build.description import describe_dataset
from sundhedsgraf.build.dumps import Build, dump_json, jsonld, render
from sundhedsgraf.build.entailment import entail
from sundhedsgraf.build.jsonld_context import context
from sundhedsgraf.build.output import publish
from sundhedsgraf.build.sources import load
from sundhedsgraf.build.turtle import to_turtle
from sundhedsgraf.build.validation import Report, require_targets, validate
from sundhedsgraf.errors import SundhedsgrafError
from sundhedsgraf.namespaces import BASE_ENV, DEFAULT_BASE, check_base_iri, prefixes, sg
from sundhedsgraf.stores import STORE_ENTRY, write_store


@dataclass
class Validated:
    """Steps 1-4: the build (ontology, data, shapes) and its SHACL report."""

    build: Build
    report: Report
    defined_in: dict[Node, list[str]]
    entailed: int

    def report_text(self) -> str:
        return self.report.render(prefixes(self.build.base), self.defined_in)


@dataclass
class Written:
    """Step 5: the files of dist/ and the folder they were published in."""

    validated: Validated
    files: dict[str, bytes]
    folder: Path


def base_iri(option: str | None = None) -> str:
    """The base IRI: the option, else $SUNDHEDSGRAF_BASE_IRI, else the default."""
    base = option or os.environ.get(BASE_ENV) or DEFAULT_BASE
    if problem := check_base_iri(base):
        raise SundhedsgrafError(f"base IRI {problem}")
    return base


def build_time() -> datetime:
    """Now, or $SOURCE_DATE_EPOCH for reproducible builds."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    return datetime.fromtimestamp(int(epoch), UTC) if epoch else datetime.now(UTC)


def prepare(root: Path, base: str) -> Validated:
    """Parse, rewrite the base, entail and validate; writes nothing."""
    sources = load(root, base)
    entailed = entail(sources.data, sources.ontology, sg(base))
    build = Build(sources.ontology, sources.data, sources.shapes, base)
    require_targets(build.data, build.union, build.shapes, prefixes(base))
    report = validate(build.union, build.shapes, prefixes(base))
    return Validated(build, report, sources.defined_in, entailed)


def build(root: Path, base: str) -> Written:
    """prepare(), then, only if the graph conforms, write every file of dist/ at once."""
    validated = prepare(root, base)
    if not validated.report.conforms:
        raise SundhedsgrafError(
            "the graph does not conform to the shapes; dist/ is unchanged\n\n"
            + validated.report_text()
        )
    graphs, when = validated.build, build_time()
    files = render(graphs) | tables.render(graphs)
    beside = linked.read_all(root)  # outside datasets, each its own file and named graph
    for dataset in beside:
        linked.check_graph(dataset.graph, base)
        files[dataset.file] = linked.contents(root, dataset)
    description = describe_dataset(graphs, files, __version__, when.date(), beside)
    dcat_ap.require_conformance(description, prefixes(base, extra=True))  # raises if not
    files["dataset.ttl"] = to_turtle(description, prefixes(base, extra=True)).encode()
    files["dataset.jsonld"] = jsonld(description, context(base)).encode()
    files["manifest.json"] = manifest(files, len(graphs.union), when, base, beside).encode()
    return Written(validated, files, publish(root, files, write_store))


def manifest(
    files: dict[str, bytes], triples: int, when: datetime, base: str, beside: list[linked.Linked]
) -> str:
    """The files with their SHA-256; `triples` are ours, the linked graphs are counted apart."""
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
            "linked": [{"graph": d.graph, "file": d.file, "triples": d.triples} for d in beside],
            "store": STORE_ENTRY,
        }
    )


def summary(written: Written) -> str:
    """One screen: triples, resources per class, files written."""
    build = written.validated.build
    files = [(name, len(content)) for name, content in sorted(written.files.items())]
    return "\n\n".join(
        [
            f"Built {len(build.union)} triples ({written.validated.entailed} entailed) "
            f"under {build.base}",
            stats.table(
                "Resources per class (data)",
                stats.class_counts(build.data, prefixes(build.base)),
            ),
            stats.table(f"Files written (bytes) to {written.folder}", files),
        ]
    )

"""The `sundhedsgraf` command line: build, validate, query, export, stats, format."""

import argparse
import sys
from dataclasses import fields
from pathlib import Path

from sundhedsgraf import __version__
from sundhedsgraf.build import stats
from sundhedsgraf.build.formatting import format_file
from sundhedsgraf.build.pipeline import base_iri, build, prepare, summary
from sundhedsgraf.build.sources import data_files
from sundhedsgraf.errors import SundhedsgrafError, naming
from sundhedsgraf.formats import RDF_BY_NAME
from sundhedsgraf.namespaces import prefixes
from sundhedsgraf.publication import build_folder, open_publication
from sundhedsgraf.settings import Settings, env_name, kind
from sundhedsgraf.sparql import console as query


def out(text: str | bytes) -> None:
    """Write to standard output; if that fails (a full disk, a closed pipe), the error says so."""
    with naming("standard output"):
        if isinstance(text, bytes):
            sys.stdout.flush()  # text written before goes first
            sys.stdout.buffer.write(text)
        else:
            sys.stdout.write(text)
        sys.stdout.flush()


def cmd_build(args) -> int:
    written = build(args.root, base_iri(args.base_iri))
    if written.validated.report.findings:  # warnings do not stop a build, but should be read
        print(written.validated.report_text(), file=sys.stderr)
    out(summary(written) + "\n")
    return 0


def cmd_validate(args) -> int:
    validated = prepare(args.root, base_iri(args.base_iri))
    if validated.report.findings:
        out(validated.report_text() + "\n")
    if not validated.report.conforms:
        return 1
    out(f"conforms: {len(validated.build.union)} triples, shapes satisfied\n")
    return 0


def cmd_query(args) -> int:
    text = args.file.read_text(encoding="utf-8") if args.file else args.query
    pub = open_publication(args.root)
    out(query.run(pub.store, text, args.format, prefixes(pub.base, extra=True)))
    return 0


def cmd_export(args) -> int:
    dump = RDF_BY_NAME[args.format]
    content = (build_folder(args.root) / dump.file).read_bytes()
    if args.output:
        with naming(args.output):
            args.output.write_bytes(content)
    else:
        out(content)
    return 0


def cmd_stats(args) -> int:
    pub = open_publication(args.root)
    out(stats.render(pub.named_graph("ontology"), pub.named_graph("data"), pub.base) + "\n")
    return 0


def cmd_format(args) -> int:
    paths = args.files or data_files(args.root)
    unformatted = []
    for path in paths:
        changed, dropped = format_file(path, write=not args.check)
        if changed:
            unformatted.append(path)
        if changed and dropped and not args.check:
            print(f"{path}: {dropped} comment lines outside the header dropped", file=sys.stderr)
    if args.check:
        for path in unformatted:
            out(f"not canonical: {path}\n")
        out(f"{len(unformatted)} of {len(paths)} files need `sundhedsgraf format`\n")
        return 1 if unformatted else 0
    out(f"formatted {len(unformatted)} of {len(paths)} files\n")
    return 0


def cmd_serve(args) -> int:
    import uvicorn

    from sundhedsgraf.app import create_app
    from sundhedsgraf.settings import from_env

    overrides = {f.name: getattr(args, f.name) for f in fields(Settings)}
    if args.service_allowlist is not None:
        overrides["service_allowlist"] = tuple(args.service_allowlist)
    settings = from_env(**overrides)
    app = create_app(settings)
    print(
        f"serving {settings.root.resolve() / 'dist'} at http://{settings.host}:{settings.port}/ "
        f"(SPARQL at {settings.public}sparql)",
        file=sys.stderr,
    )
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_level=args.log_level,
        access_log=args.log_level == "debug",
        # who a client is comes from --client-header alone: uvicorn would otherwise believe an
        # X-Forwarded-For from any local client
        proxy_headers=False,
    )
    return 0


def add_settings(sub: argparse.ArgumentParser) -> None:
    """One option per declared setting; the environment fills what the command line leaves."""
    for f in fields(Settings):
        if f.name == "root":  # every command has --root
            continue
        help = f"{f.metadata['help']} (default {f.metadata['shown']}; ${env_name(f)})"
        option = "--" + f.name.replace("_", "-")
        if kind(f) is tuple:
            sub.add_argument(option, nargs="*", metavar="URL", help=help)
        else:
            sub.add_argument(option, type=kind(f), help=help)


def parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--root", type=Path, default=Path("."), help="project folder (default: .)")
    base = argparse.ArgumentParser(add_help=False)
    base.add_argument("--base-iri", help="base IRI to publish under (or $SUNDHEDSGRAF_BASE_IRI)")

    top = argparse.ArgumentParser(
        prog="sundhedsgraf",
        description="Build, validate, query and export the sundhedsgraf linked-data graph.",
    )
    top.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = top.add_subparsers(dest="command", required=True)

    def command(name, run, help, parents=(common,)):
        sub = commands.add_parser(name, parents=list(parents), help=help, description=help)
        sub.set_defaults(run=run)
        return sub

    command("build", cmd_build, "validate and write dist/ atomically", (common, base))
    command("validate", cmd_validate, "validate only; exit 1 if not conforming", (common, base))

    sub = command("query", cmd_query, "run SPARQL against the written graph")
    source = sub.add_mutually_exclusive_group(required=True)
    source.add_argument("query", nargs="?", help="the SPARQL query")
    source.add_argument("--file", type=Path, help="read the query from this file")
    sub.add_argument("--format", choices=["table", "csv", "tsv", "json"], default="table")

    sub = command("export", cmd_export, "the written graph in one RDF format")
    sub.add_argument("--format", choices=list(RDF_BY_NAME), required=True)
    sub.add_argument("-o", "--output", type=Path, help="write here instead of stdout")

    command("stats", cmd_stats, "counts over the written graph")

    sub = command("serve", cmd_serve, "serve the written graph: SPARQL endpoint and linked data")
    add_settings(sub)
    sub.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])

    sub = command("format", cmd_format, "rewrite data/*.ttl in the canonical Turtle style")
    sub.add_argument("--check", action="store_true", help="list files not canonical; write nothing")
    sub.add_argument("files", nargs="*", type=Path, help="files (default: every data/*.ttl)")
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.run(args)
    except SundhedsgrafError as error:
        print(f"sundhedsgraf {args.command}: {error}", file=sys.stderr)
        return error.exit_code
    except OSError as error:  # a file that cannot be read or written; naming() says which
        where = f"{error.filename}: " if error.filename else ""
        # pyoxigraph's errors carry only a message, no errno and no strerror
        reason = error.strerror or " ".join(map(str, error.args)) or type(error).__name__
        print(f"sundhedsgraf {args.command}: {where}{reason}", file=sys.stderr)
        return 1

"""The `sundhedsgraf` command line: build, validate, query, export, stats, format."""

import argparse
import sys
from pathlib import Path

from sundhedsgraf import __version__
from sundhedsgraf.build import stats
from sundhedsgraf.build.formatting import format_file
from sundhedsgraf.build.pipeline import base_iri, build, check, summary
from sundhedsgraf.build.sources import data_files
from sundhedsgraf.errors import SundhedsgrafError
from sundhedsgraf.formats import RDF_BY_NAME
from sundhedsgraf.namespaces import prefixes
from sundhedsgraf.publication import build_folder, open_publication
from sundhedsgraf.sparql import console as query


def cmd_build(args) -> int:
    built = build(args.root, base_iri(args.base_iri))
    if built.checked.report.findings:  # warnings do not stop a build, but should be read
        print(built.checked.report_text(), file=sys.stderr)
    print(summary(built))
    return 0


def cmd_validate(args) -> int:
    checked = check(args.root, base_iri(args.base_iri))
    if checked.report.findings:
        print(checked.report_text())
    if not checked.report.conforms:
        return 1
    print(f"conforms: {len(checked.published.union)} triples, shapes satisfied")
    return 0


def cmd_query(args) -> int:
    text = args.file.read_text(encoding="utf-8") if args.file else args.query
    pub = open_publication(args.root)
    sys.stdout.write(query.run(pub.store, text, args.format, prefixes(pub.base, extra=True)))
    return 0


def cmd_export(args) -> int:
    dump = RDF_BY_NAME[args.format]
    content = (build_folder(args.root) / dump.file).read_bytes()
    if args.output:
        args.output.write_bytes(content)
    else:
        sys.stdout.buffer.write(content)
    return 0


def cmd_stats(args) -> int:
    pub = open_publication(args.root)
    print(stats.render(pub.named_graph("ontology"), pub.named_graph("data"), pub.base))
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
            print(f"not canonical: {path}")
        print(f"{len(unformatted)} of {len(paths)} files need `sundhedsgraf format`")
        return 1 if unformatted else 0
    print(f"formatted {len(unformatted)} of {len(paths)} files")
    return 0


def cmd_serve(args) -> int:
    import uvicorn

    from sundhedsgraf.app import create_app
    from sundhedsgraf.settings import from_env

    overrides = {name: getattr(args, name) for name in SERVE_OPTIONS}
    if args.service_allowlist is not None:
        overrides["service_allowlist"] = tuple(args.service_allowlist)
    settings = from_env(root=args.root, base_iri=args.base_iri, **overrides)
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
    )
    return 0


# serve options with a value: (name, type, help); each is also $SUNDHEDSGRAF_<NAME>.
SERVE_OPTIONS = {
    "host": (str, "address to listen on (default 127.0.0.1)"),
    "port": (int, "port to listen on (default 8000)"),
    "public_url": (
        str,
        "URL clients reach the server at, behind a proxy (default http://host:port/)",
    ),
    "time_limit": (float, "seconds a query may run (default 10)"),
    "max_rows": (int, "result rows a query may return (default 100000)"),
    "max_query_bytes": (int, "longest query in bytes (default 100000)"),
    "max_result_bytes": (int, "largest result in bytes (default 64 MiB)"),
    "workers": (int, "query worker processes (default 2)"),
    "max_queue": (int, "queries waiting for a worker before 503 (default 16)"),
    "cache_bytes": (int, "memory for repeated answers (default 64 MiB)"),
    "service_max_bytes": (int, "largest answer from a SERVICE endpoint (default 16 MiB)"),
}


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

    sub = command("query", cmd_query, "run SPARQL against the built graph")
    source = sub.add_mutually_exclusive_group(required=True)
    source.add_argument("query", nargs="?", help="the SPARQL query")
    source.add_argument("--file", type=Path, help="read the query from this file")
    sub.add_argument("--format", choices=["table", "csv", "tsv", "json"], default="table")

    sub = command("export", cmd_export, "the built graph in one RDF format")
    sub.add_argument("--format", choices=list(RDF_BY_NAME), required=True)
    sub.add_argument("-o", "--output", type=Path, help="write here instead of stdout")

    command("stats", cmd_stats, "counts over the built graph")

    sub = command("serve", cmd_serve, "serve the built graph: SPARQL endpoint and linked data")
    sub.add_argument("--base-iri", help="refuse to start unless the build is under this base")
    for name, (kind, text) in SERVE_OPTIONS.items():
        sub.add_argument("--" + name.replace("_", "-"), type=kind, help=text)
    sub.add_argument(
        "--service-allowlist",
        nargs="*",
        metavar="URL",
        help="SPARQL endpoints SERVICE may call (default: none)",
    )
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
    except OSError as error:  # a file named on the command line that cannot be read or written
        where = f"{error.filename}: " if error.filename else ""
        print(f"sundhedsgraf {args.command}: {where}{error.strerror or error}", file=sys.stderr)
        return 1

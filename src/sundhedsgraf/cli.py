"""The `sundhedsgraf` command line: build, validate, query, export, stats, format, link, serve,
publish."""

import argparse
import os
import sys
from dataclasses import fields
from pathlib import Path

from sundhedsgraf import __version__
from sundhedsgraf.build import linked, stats
from sundhedsgraf.build.formatting import format_file
from sundhedsgraf.build.pipeline import base_iri, build, build_time, prepare, summary
from sundhedsgraf.build.sources import data_files
from sundhedsgraf.errors import SundhedsgrafError, naming
from sundhedsgraf.formats import RDF_BY_NAME
from sundhedsgraf.namespaces import BASE_ENV, prefixes
from sundhedsgraf.publication import build_folder, open_publication
from sundhedsgraf.settings import Settings, env_name, kind
from sundhedsgraf.sparql import console as query
from sundhedsgraf.stores import read_manifest


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


def cmd_link_load(args) -> int:
    titles = {"da": args.title} | ({"en": args.title_en} if args.title_en else {})
    base = link_base(args)
    options = linked.Options(base, build_time(), args.source, args.licence, args.format)
    dataset, written = linked.load(
        args.root, args.file, args.graph, titles, options, lambda: build(args.root, base)
    )
    out(f"loaded {dataset.triples} triples as <{dataset.graph}>; published {written.folder}\n")
    return publish_to(args) if args.to else 0


def cmd_link_list(args) -> int:
    out(linked.listing(args.root) + "\n")
    return 0


def cmd_link_remove(args) -> int:
    base = link_base(args)
    dataset, written = linked.remove(args.root, args.graph, lambda: build(args.root, base))
    out(f"removed <{dataset.graph}>; published {written.folder}\n")
    return publish_to(args) if args.to else 0


def link_base(args) -> str:
    """The base to rebuild under: the option or $SUNDHEDSGRAF_BASE_IRI, else the current
    build's, else the default."""
    if args.base_iri or os.environ.get(BASE_ENV) or not (args.root / "dist").is_dir():
        return base_iri(args.base_iri)
    return read_manifest(build_folder(args.root))["base_iri"]


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


def cmd_publish(args) -> int:
    return publish_to(args, args.dry_run)


def publish_to(args, dry_run: bool = False) -> int:
    """Write the current build into the store at `args.to` (publish, link load|remove --to)."""
    from sundhedsgraf import remote
    from sundhedsgraf.publish import publish, report

    pub = open_publication(args.root)
    update_url = args.update_url or args.to
    with remote.client() as http:
        store = remote.Store(args.to, update_url, args.query_url or update_url, http)
        outcome = publish(pub, store, dry_run, lambda line: print(line, file=sys.stderr))
    out(report(outcome, pub, args.to))
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

    sub = command(
        "publish",
        cmd_publish,
        "write the build's named graphs into a triple store (Graph Store Protocol + Update); "
        "credentials from $SUNDHEDSGRAF_STORE_USER/_PASSWORD/_AUTH or $SUNDHEDSGRAF_STORE_TOKEN",
    )
    add_store(sub, required=True)
    sub.add_argument("--dry-run", action="store_true", help="say what would change; change nothing")
    add_link(commands, common, base)

    sub = command("format", cmd_format, "rewrite data/*.ttl in the canonical Turtle style")
    sub.add_argument("--check", action="store_true", help="list files not canonical; write nothing")
    sub.add_argument("files", nargs="*", type=Path, help="files (default: every data/*.ttl)")
    return top


def add_store(sub: argparse.ArgumentParser, required: bool) -> None:
    """Where `publish` (and `link load|remove --to`) writes: a store's endpoints."""
    sub.add_argument("--to", required=required, metavar="URL", help="the Graph Store endpoint")
    sub.add_argument(
        "--update-url", metavar="URL", help="the SPARQL Update endpoint (default: --to)"
    )
    sub.add_argument(
        "--query-url", metavar="URL", help="the SPARQL Query endpoint (default: --update-url)"
    )


def add_link(commands, common: argparse.ArgumentParser, base: argparse.ArgumentParser) -> None:
    """`link load|list|remove`: outside datasets as named graphs beside ours (build/linked.py)."""
    help = "outside datasets as named graphs beside ours, kept in linked/ and in every build"
    link = commands.add_parser("link", help=help, description=help)
    actions = link.add_subparsers(dest="action", required=True)
    load = actions.add_parser(
        "load",
        parents=[common, base],
        help="parse FILE, keep it in linked/ as the named graph --graph, and rebuild",
    )
    load.set_defaults(run=cmd_link_load)
    load.add_argument(
        "file", type=Path, help="Turtle, N-Triples, N-Quads, TriG, RDF/XML, JSON-LD; .gz too"
    )
    load.add_argument("--graph", required=True, help="the named graph's IRI (outside the base IRI)")
    load.add_argument("--title", required=True, help="its title in Danish")
    load.add_argument("--title-en", help="its title in English")
    load.add_argument("--source", help="where it comes from (URL); also the base of relative IRIs")
    load.add_argument("--licence", help="its licence (URL)")
    load.add_argument("--format", help="the RDF format (ttl, nt, nq, rdf, …), else by extension")
    add_store(load, required=False)
    listed = actions.add_parser("list", parents=[common], help="the linked datasets")
    listed.set_defaults(run=cmd_link_list)
    remove = actions.add_parser(
        "remove", parents=[common, base], help="take a linked dataset out of linked/ and rebuild"
    )
    remove.set_defaults(run=cmd_link_remove)
    remove.add_argument("--graph", required=True, help="the named graph's IRI")
    add_store(remove, required=False)


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

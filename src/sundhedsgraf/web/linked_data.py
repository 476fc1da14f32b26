"""Dereferenceable IRIs, documents, the Graph Store (read side), dumps and the VoID description.

The graph's IRIs live under the build's base IRI (https://w3id.org/sundhedsgraf/ by default);
the server answers under its public URL. A request path maps to the IRI base + path and back,
so the server works behind a proxy, a redirect service or another host name.
"""

import json
import re

import pyoxigraph as ox
from rdflib import Graph
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response

from sundhedsgraf.build.dumps import jsonld
from sundhedsgraf.build.jsonld_context import context
from sundhedsgraf.formats import DOCUMENT_TYPES, EXTENSIONS, GRAPH_TYPES, content_type
from sundhedsgraf.namespaces import prefixes
from sundhedsgraf.publication import Publication
from sundhedsgraf.rdfio import to_rdflib
from sundhedsgraf.web.resource_description import about, describe_resource, known
from sundhedsgraf.web.responses import (
    DOCUMENT_OFFERS,
    HTTPProblem,
    conditional,
    disposition,
    negotiate,
    not_modified,
)

HYDRA = {"hydra": "http://www.w3.org/ns/hydra/core#"}
DOC_HEADERS = {"Vary": "Accept", "Cache-Control": "public, max-age=60"}


def split_extension(path: str) -> tuple[str, str | None]:
    """`initiative/2.1.ttl` -> (`initiative/2.1`, `text/turtle`); no known extension -> None."""
    stem, dot, extension = path.rpartition(".")
    if dot and extension in EXTENSIONS and "/" not in extension:
        return stem, EXTENSIONS[extension]
    return path, None


def chosen_type(request: Request, fixed: str | None, offered: dict) -> str:
    if fixed is not None:
        if fixed not in offered:
            raise HTTPProblem(404, f"this document is not offered as {fixed}")
        return fixed
    return negotiate(request.headers.get("accept"), tuple(offered))


def serialize(triples: list, media_type: str, base: str) -> bytes:
    """`triples` in `media_type`; JSON-LD compacted with the dataset's own @context."""
    if media_type == "application/ld+json":
        graph = Graph()  # the terms are already under `base`: converted as they are
        for t in triples:
            graph.add(tuple(to_rdflib(term) for term in (t.subject, t.predicate, t.object)))
        return jsonld(graph, context(base)).encode()
    rdf_format = ox.RdfFormat.from_media_type(media_type)
    if rdf_format.supports_datasets:
        triples = [ox.Quad(t.subject, t.predicate, t.object) for t in triples]
    return ox.serialize(triples, format=rdf_format, prefixes=used_prefixes(triples, base))


def used_prefixes(triples: list, base: str) -> dict[str, str]:
    """The prefixes whose namespace starts an IRI of `triples`: a readable, short header."""
    iris = {t.value for triple in triples for t in triple if isinstance(t, ox.NamedNode)}
    declared = prefixes(base, extra=True) | HYDRA
    return {p: ns for p, ns in declared.items() if any(iri.startswith(ns) for iri in iris)}


def alternates(url: str, offered: dict) -> str:
    return ", ".join(f'<{url}.{ext}>; rel="alternate"; type="{t}"' for t, ext in offered.items())


def resource(pub: Publication, path: str) -> ox.NamedNode:
    """The IRI `<base><path>`; 404 if that is no IRI at all (a space, a control character)."""
    try:
        return ox.NamedNode(pub.base + path)
    except ValueError:
        raise HTTPProblem(404, f"no resource {pub.base + path} in this dataset") from None


def redirect_to_document(request: Request, pub: Publication, public: str, path: str) -> Response:
    """303 from the IRI of a thing to the document about it (404 if the graph does not know it)."""
    if not known(pub.store, resource(pub, path)):
        raise HTTPProblem(404, f"no resource {pub.base + path} in this dataset")
    headers = {"Vary": "Accept"}  # CORS headers come from the middleware
    return RedirectResponse(public + "doc/" + path.removeprefix("id/"), 303, headers)


def document(request: Request, pub: Publication, public: str, path: str, page_size: int):
    """The description of `<base>id/<path>` in the negotiated (or extension's) format."""
    stem, fixed = split_extension(path)
    page = page_number(request)
    node = resource(pub, "id/" + stem)
    media_type = chosen_type(request, fixed, DOCUMENT_TYPES)
    if not known(pub.store, node):
        raise HTTPProblem(404, f"no resource {node.value} in this dataset")
    key = (render_document, public, stem, media_type, page, page_size)
    body, links = pub.cache.get(
        key, lambda: render_document(pub, public, stem, node, media_type, page, page_size)
    )
    url = public + "doc/" + stem
    headers = {
        **DOC_HEADERS,
        "Content-Location": f"{url}.{DOCUMENT_TYPES[media_type]}" + query_page(page),
        "Link": ", ".join([alternates(url, DOCUMENT_OFFERS), *links]),
    }
    return conditional(request, body, media_type, headers, last_modified=pub.last_modified)


def render_document(pub, public, stem, node, media_type, page, page_size):
    url = public + "doc/" + stem
    found = describe_resource(pub.store, node, page, page_size)
    if page > found.pages:
        raise HTTPProblem(
            404, f"page {page} is past the last page ({found.pages}) of inbound links"
        )
    page_url = lambda n: url + query_page(n)  # noqa: E731
    document_url = page_url(page)
    triples = found.triples + about(document_url, node, pub.base + "id/dataset", found, page_url)
    links = [f'<{page_url(n)}>; rel="{rel}"' for rel, n in paging(found)]
    return serialize(triples, media_type, pub.base), links


def paging(found) -> list[tuple[str, int]]:
    links = [("first", 1), ("last", found.pages)]
    if found.page > 1:
        links.append(("prev", found.page - 1))
    if found.page < found.pages:
        links.append(("next", found.page + 1))
    return links


def page_number(request: Request) -> int:
    raw = request.query_params.get("page", "1")
    if not re.fullmatch(r"[1-9][0-9]{0,6}", raw):
        raise HTTPProblem(400, f"page must be a positive whole number, not {raw!r}")
    return int(raw)


def query_page(page: int) -> str:
    return "" if page == 1 else f"?page={page}"


def graph_triples(pub: Publication, graph: str | None) -> list[ox.Triple]:
    """The triples of a named graph, or of the default graph (the union of all) if None."""
    if graph is None:
        quads = pub.store.quads_for_pattern(None, None, None)
    elif graph in pub.graphs:
        quads = pub.store.quads_for_pattern(None, None, None, ox.NamedNode(graph))
    else:
        raise HTTPProblem(404, f"no graph {graph} in this dataset; graphs: {', '.join(pub.graphs)}")
    return list(dict.fromkeys(ox.Triple(q.subject, q.predicate, q.object) for q in quads))


def graph_document(request: Request, pub: Publication, graph: str | None, fixed=None) -> Response:
    """A whole graph, kept per format: the Graph Store's GET, the ontology document."""
    media_type = chosen_type(request, fixed, GRAPH_TYPES)
    body = pub.cache.get(
        (graph_triples, graph, media_type),
        lambda: serialize(graph_triples(pub, graph), media_type, pub.base),
    )
    return conditional(request, body, media_type, DOC_HEADERS, last_modified=pub.last_modified)


def graph_store(request: Request, pub: Publication) -> Response:
    """GET ?default or ?graph=<iri> (SPARQL 1.1 Graph Store HTTP Protocol, read side)."""
    params = request.query_params
    graphs = params.getlist("graph")
    if ("default" in params) == bool(graphs) or len(graphs) > 1:
        raise HTTPProblem(400, "give exactly one of ?default or ?graph=<IRI>")
    return graph_document(request, pub, graphs[0] if graphs else None)


def ontology(request: Request, pub: Publication, extension: str | None) -> Response:
    """The vocabulary's namespace document (`def#` terms are hash IRIs: no 303 needed)."""
    fixed = EXTENSIONS.get(extension) if extension else None
    if extension and fixed is None:
        raise HTTPProblem(404, f"no format with the extension .{extension}")
    return graph_document(request, pub, pub.base + "graph/ontology", fixed)


def dump(request: Request, pub: Publication, name: str, download: bool = False) -> Response:
    """A file of the build, with its SHA-256 as strong ETag; named for saving if a `download`."""
    entry = pub.files.get(name)
    if entry is None:
        raise HTTPProblem(
            404, f"no file {name} in this build; files: {', '.join(sorted(pub.files))}"
        )
    headers = {
        "ETag": entry.etag,
        "Last-Modified": pub.last_modified,
        "Cache-Control": "public, max-age=60",
        **(disposition(name) if download else {}),
    }
    if not_modified(request, entry.etag, pub.last_modified):
        return Response(status_code=304, headers=headers)
    return FileResponse(entry.path, headers=headers, media_type=content_type(entry.media_type))


def void(request: Request, pub: Publication) -> Response:
    """The dataset description (DCAT + VoID), as the well-known VoID location asks."""
    return graph_document(request, pub, pub.base + "graph/dataset")


def health(pub: Publication, pool_state: dict) -> Response:
    """The build served and the query engine's state; "degraded" while a --sparql-backend is
    down (pages and documents are still served)."""
    backend = pool_state.get("sparql_backend", {})
    body = {
        "status": "degraded" if backend.get("state") == "down" else "ok",
        "build": pub.manifest["built"],
        "version": pub.manifest.get("version"),
        "triples": pub.manifest.get("triples"),
        "base_iri": pub.base,
        **pool_state,
    }
    return Response(json.dumps(body), 200, {"Cache-Control": "no-store"}, "application/json")

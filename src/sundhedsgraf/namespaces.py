"""The base IRI, the canonical prefixes (those of docs/prefixes.ttl) and IRI shortening."""

import re

from rdflib import BNode, URIRef

DEFAULT_BASE = "https://w3id.org/sundhedsgraf/"
BASE_ENV = "SUNDHEDSGRAF_BASE_IRI"
_BASE_IRI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^/\s]+/(\S*/)?")


def check_base_iri(iri: str) -> str | None:
    """What is wrong with `iri` as a base IRI (absolute, with a host, ending in '/'), or None."""
    if _BASE_IRI.fullmatch(iri):
        return None
    return f"must be an absolute IRI with a host, ending in '/': {iri}"


# The canonical prefix map, in the order of docs/prefixes.ttl (a test keeps the two equal).
PREFIXES = {
    "adms": "http://www.w3.org/ns/adms#",
    "dcat": "http://www.w3.org/ns/dcat#",
    "dcterms": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "org": "http://www.w3.org/ns/org#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "prov": "http://www.w3.org/ns/prov#",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "schema": "https://schema.org/",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "sg": DEFAULT_BASE + "def#",
    "sgd": DEFAULT_BASE + "id/",
    "fa": DEFAULT_BASE + "id/focus-area/",
    "ini": DEFAULT_BASE + "id/initiative/",
    "sgo": DEFAULT_BASE + "id/organisation/",
    "sys": DEFAULT_BASE + "id/system/",
    "std": DEFAULT_BASE + "id/standard/",
    "prj": DEFAULT_BASE + "id/project/",
    "ms": DEFAULT_BASE + "id/milestone/",
    "fig": DEFAULT_BASE + "id/figure/",
    "rel": DEFAULT_BASE + "id/relation/",
    "status": DEFAULT_BASE + "id/outcome-status/",
    "mstat": DEFAULT_BASE + "id/milestone-status/",
    "prec": DEFAULT_BASE + "id/date-precision/",
    "unit": DEFAULT_BASE + "id/unit/",
    "scheme": DEFAULT_BASE + "id/scheme/",
    "src": DEFAULT_BASE + "id/source/",
    "cmp": DEFAULT_BASE + "id/comparator/",
}

# Vocabularies the ontology, shapes and dataset description use besides the canonical ones;
# only the published files (dist/) declare them, never the curated data.
EXTRA_PREFIXES = {
    "sh": "http://www.w3.org/ns/shacl#",
    "sgsh": DEFAULT_BASE + "shapes#",
    "spdx": "http://spdx.org/rdf/terms#",
    "vann": "http://purl.org/vocab/vann/",
    "void": "http://rdfs.org/ns/void#",
}

# What may follow "prefix:" unescaped in Turtle (a conservative, ASCII subset of PN_LOCAL).
_LOCAL_NAME = re.compile(r"([A-Za-z0-9_]([A-Za-z0-9_.\-]*[A-Za-z0-9_\-])?)?")


def rebase(iri: str, base: str) -> str:
    """The IRI with the default base replaced by `base`."""
    if base != DEFAULT_BASE and iri.startswith(DEFAULT_BASE):
        return base + iri[len(DEFAULT_BASE) :]
    return iri


def prefixes(base: str = DEFAULT_BASE, extra: bool = False) -> dict[str, str]:
    """The canonical prefix map under `base`, plus EXTRA_PREFIXES when `extra`."""
    chosen = PREFIXES | EXTRA_PREFIXES if extra else PREFIXES
    return {name: rebase(ns, base) for name, ns in chosen.items()}


def sg(base: str = DEFAULT_BASE) -> str:
    """The ontology namespace under `base`."""
    return base + "def#"


def shorten(iri: str, prefix_map: dict[str, str]) -> str | None:
    """`prefix:local` for the longest matching namespace, or None if no prefix fits."""
    fits = [
        (len(ns), name)
        for name, ns in prefix_map.items()
        if iri.startswith(ns) and _LOCAL_NAME.fullmatch(iri[len(ns) :])
    ]
    if not fits:
        return None
    length, name = max(fits)
    return f"{name}:{iri[length:]}"


def show(term, prefix_map: dict[str, str]) -> str:
    """An rdflib term for people: `prefix:local` or `<iri>`, `_:label`, a literal's text."""
    if isinstance(term, URIRef):
        return shorten(str(term), prefix_map) or f"<{term}>"
    return f"_:{term}" if isinstance(term, BNode) else str(term)

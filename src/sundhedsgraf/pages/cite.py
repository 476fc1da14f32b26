"""Cite this: how to cite one resource, as plain text, BibTeX and RIS, from the dataset's own
description (its title, publisher, version and date) and the resource's IRI and label; and where
in the source it was read, when the data gives the place (sg:tablePage of the initiative)."""

import re

import pyoxigraph as ox

from sundhedsgraf.pages.labels import DCTERMS, PROV, Index, link
from sundhedsgraf.pages.terms import first_value, literal_in, objects
from sundhedsgraf.publication import Publication

DCAT = "http://www.w3.org/ns/dcat#"
FOAF = "http://xmlns.com/foaf/0.1/"
BIBTEX_SPECIAL = re.compile(r"([{}&%#_$\\])")


def cite_view(pub: Publication, idx: Index, iri: str, lang: str) -> dict:
    store, dataset = pub.store, pub.base + "id/dataset"
    title = (literal_in(store, dataset, DCTERMS + "title", lang) or ("sundhedsgraf", ""))[0]
    publisher = first_value(store, dataset, DCTERMS + "publisher")
    author = (literal_in(store, publisher, FOAF + "name", lang) or ("", ""))[0] if publisher else ""
    version = first_value(store, dataset, DCAT + "version") or ""
    date = (first_value(store, dataset, DCTERMS + "modified") or pub.manifest["built"])[:10]
    label = idx.label(iri, lang)
    parts = {"author": author, "title": title, "label": label, "version": version, "date": date}
    return {
        "text": plain(parts, iri),
        "bibtex": bibtex(parts, iri),
        "ris": ris(parts, iri),
        "places": places(pub, idx, iri, lang),
    }


def plain(p: dict, iri: str) -> str:
    name = p["author"][:1].upper() + p["author"][1:]
    author = f"{name} ({p['date'][:4]}). " if name else ""
    version = f", version {p['version']}" if p["version"] else ""
    return f"{author}“{p['label']}”. In: {p['title']}{version}, {p['date']}. {iri}"


def bibtex(p: dict, iri: str) -> str:
    key = "sundhedsgraf-" + re.sub(r"[^A-Za-z0-9]+", "-", iri.rsplit("/id/", 1)[-1]).strip("-")
    fields = [
        ("author", "{" + p["author"] + "}" if p["author"] else ""),
        ("title", p["label"]),
        ("howpublished", p["title"]),
        ("edition", p["version"]),
        ("year", p["date"][:4]),
        ("date", p["date"]),
        ("url", iri),
    ]
    body = ",\n".join(
        f"  {name} = {{{value if name in ('url', 'author') else escape(value)}}}"
        for name, value in fields
        if value
    )
    return f"@misc{{{key},\n{body}\n}}"


def escape(text: str) -> str:
    return BIBTEX_SPECIAL.sub(r"\\\1", text)


def ris(p: dict, iri: str) -> str:
    lines = [
        ("TY", "DATA"),
        ("AU", p["author"]),
        ("TI", p["label"]),
        ("T2", p["title"]),
        ("ET", p["version"]),
        ("PY", p["date"][:4]),
        ("DA", p["date"].replace("-", "/")),
        ("UR", iri),
        ("ER", ""),
    ]
    return "\n".join(f"{tag}  - {value}".rstrip() for tag, value in lines if value or tag == "ER")


def places(pub: Publication, idx: Index, iri: str, lang: str) -> list[dict]:
    """Where in the source the resource was read: the source document of each initiative it
    is (or was read from), and the page of the initiative table it starts on, if given."""
    store = pub.store
    read = [iri] if idx.sg + "Initiative" in idx.types.get(iri, ()) else []
    read += [
        o.value for o in objects(store, iri, PROV + "wasDerivedFrom") if isinstance(o, ox.NamedNode)
    ]
    found = []
    for initiative in dict.fromkeys(read):
        page = first_value(store, initiative, idx.sg + "tablePage")
        for source in objects(store, initiative, DCTERMS + "source"):
            if isinstance(source, ox.NamedNode):
                found.append(
                    {
                        "source": link(idx, source.value, lang),
                        "initiative": idx.numbers.get(initiative),
                        "page": page,
                    }
                )
    return found

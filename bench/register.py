"""A register-shaped linked dataset for the scale benchmark: organisational units in a hierarchy,
with codes, names and addresses, linked to our organisations and systems.

Deterministic: the same size and seed give the same N-Quads, byte for byte. Every quad is in
the graph `<base>graph/register`, so it sits beside our graphs as a linked dataset does. A
unit is 12 quads; `write(path, triples, …)` writes as many units as make `triples` (rounded
down to whole units).

    python bench/register.py --triples 1000000 --output /tmp/register.nq [--root .]
"""

import argparse
import random
import sys
from pathlib import Path

import pyoxigraph as ox

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from sundhedsgraf.publication import build_folder  # noqa: E402
from sundhedsgraf.stores import load_store  # noqa: E402

QUADS_PER_UNIT = 12
FAN_OUT = 8  # children per unit: a tree about log8(n) deep, like a hospital's register
XSD = "http://www.w3.org/2001/XMLSchema#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
ORG = "http://www.w3.org/ns/org#"
SKOS_NOTATION = "http://www.w3.org/2004/02/skos/core#notation"
SCHEMA = "https://schema.org/"
TOWNS = ("Aarhus", "Odense", "Aalborg", "Esbjerg", "Vejle", "Herning", "Roskilde", "Horsens")
KINDS = ("Afdeling", "Klinik", "Ambulatorium", "Sengeafsnit", "Praksis", "Team")


def targets(root: Path) -> tuple[str, list[str], list[str]]:
    """The base IRI, and the IRIs of our organisations and systems, from the built graph."""
    store = load_store(str(build_folder(root)))
    base = next(g.value for g in store.named_graphs() if g.value.endswith("graph/data"))
    base = base.removesuffix("graph/data")

    def things(kind: str) -> list[str]:  # `<base>id/<kind>/<slug>`, statements left out
        prefix = base + f"id/{kind}/"
        found = {q.subject.value for q in store if isinstance(q.subject, ox.NamedNode)}
        return sorted(s for s in found if s.startswith(prefix) and "/" not in s[len(prefix) :])

    return base, things("organisation"), things("system")


def units(count: int, base: str, orgs: list[str], systems: list[str], seed: int):
    """N-Quads lines, unit by unit; unit 0 is the root, unit i's parent is (i - 1) // FAN_OUT."""
    rng = random.Random(seed)
    reg, graph = base + "register/", f"<{base}graph/register>"
    for i in range(count):
        unit, address = f"<{reg}unit/{i}>", f"<{reg}unit/{i}/address>"
        town, kind = rng.choice(TOWNS), rng.choice(KINDS)
        postcode = f"{rng.randrange(1000, 9999)}"
        parent = f"<{reg}unit/{(i - 1) // FAN_OUT}>" if i else f"<{orgs[0]}>"
        yield from (
            f"{unit} <{RDF_TYPE}> <{ORG}OrganizationalUnit> {graph} .\n",
            f'{unit} <{RDFS_LABEL}> "{kind} {i} {town}"@da {graph} .\n',
            f'{unit} <{SKOS_NOTATION}> "{i:09d}" {graph} .\n',
            f"{unit} <{ORG}unitOf> {parent} {graph} .\n",
            f"{unit} <{ORG}linkedTo> <{rng.choice(orgs)}> {graph} .\n",
            f"{unit} <{reg}usesSystem> <{rng.choice(systems)}> {graph} .\n",
            f'{unit} <{reg}founded> "{rng.randrange(1970, 2024)}-01-01"^^<{XSD}date> {graph} .\n',
            f"{unit} <{SCHEMA}address> {address} {graph} .\n",
            f"{address} <{RDF_TYPE}> <{SCHEMA}PostalAddress> {graph} .\n",
            f'{address} <{SCHEMA}streetAddress> "Vej {rng.randrange(1, 200)}" {graph} .\n',
            f'{address} <{SCHEMA}postalCode> "{postcode}" {graph} .\n',
            f'{address} <{SCHEMA}addressLocality> "{town}" {graph} .\n',
        )


def write(path: Path, triples: int, root: Path = ROOT, seed: int = 15) -> int:
    """Write about `triples` quads of register to `path`; the number written."""
    base, orgs, systems = targets(root)
    count = triples // QUADS_PER_UNIT
    with open(path, "w", encoding="utf-8", buffering=1 << 20) as out:
        out.writelines(units(count, base, orgs, systems, seed))
    return count * QUADS_PER_UNIT


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--triples", type=int, required=True)
    parser.add_argument("--output", type=Path, required=True)
    parser.add_argument("--root", type=Path, default=ROOT, help="project with a built dist/")
    parser.add_argument("--seed", type=int, default=15)
    args = parser.parse_args(argv)
    written = write(args.output, args.triples, args.root, args.seed)
    print(f"{written} quads in {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

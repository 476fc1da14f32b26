"""The dataset description checked against the official DCAT-AP 3.0.1 SHACL shapes.

The shapes are unmodified copies of the DCAT-AP 3.0.1 release (folder `dcat-ap-3.0.1/` next to
this module, see its NOTICE.md). The full check, as the release describes it, is the mandatory
constraints (`shapes.ttl`), the class ranges (`range.ttl`), the EU authority-table constraints
(`mdr-vocabularies.shape.ttl`) and the deprecated terms (`deprecateduris.ttl`). A description
conforms when no finding is a violation; warnings are reported (see docs/dcat-ap.md).
"""

from dataclasses import replace
from pathlib import Path

from pyshacl import validate as shacl_validate
from rdflib import RDF, SH, Graph, Namespace, URIRef
from rdflib.term import Node

from sundhedsgraf.build.validation import Finding, Report, finding_of
from sundhedsgraf.errors import SundhedsgrafError
from sundhedsgraf.namespaces import show

SHAPES_DIR = Path(__file__).parent / "dcat-ap-3.0.1"
# The full check; shapes_recommended.ttl (recommended properties, warnings only) is not enforced.
SHAPES_FILES = ("shapes.ttl", "range.ttl", "mdr-vocabularies.shape.ttl", "deprecateduris.ttl")
RECOMMENDED_FILE = "shapes_recommended.ttl"

SPDX = Namespace("http://spdx.org/rdf/terms#")
DCATAP_SHAPES = Namespace("http://data.europa.eu/r5r#")


def shapes(files: tuple[str, ...] = SHAPES_FILES) -> Graph:
    """The official shapes, parsed from the copies shipped with the package."""
    graph = Graph()
    for name in files:
        path = SHAPES_DIR / name
        if not path.is_file():
            raise SundhedsgrafError(f"the DCAT-AP 3.0.1 shapes file {path} is missing")
        graph.parse(path, format="turtle")
    return graph


def validate(description: Graph, prefix_map: dict[str, str], recommended: bool = False) -> Report:
    """The findings of the official shapes on `description` (with `recommended`, also those of
    shapes_recommended.ttl), minus the one known defect of the shapes (`known_defect`)."""
    files = SHAPES_FILES + ((RECOMMENDED_FILE,) if recommended else ())
    _, results, text = shacl_validate(
        description, shacl_graph=shapes(files), advanced=True, inference="none"
    )
    if not isinstance(results, Graph):
        raise SundhedsgrafError(f"the DCAT-AP shapes are not usable: {text}")
    findings = [
        with_value(
            finding_of(results, result, prefix_map), results.value(result, SH.value), prefix_map
        )
        for result in top_level_results(results)
        if not known_defect(results, result, description)
    ]
    return Report(not any(f.severity == "Violation" for f in findings), findings)


def with_value(finding: Finding, value: Node | None, prefix_map: dict[str, str]) -> Finding:
    """The finding, its message naming the offending value, if there is one."""
    if value is None:
        return finding
    return replace(finding, message=f"{finding.message} (value: {show(value, prefix_map)})")


def top_level_results(results: Graph) -> list[Node]:
    """The results of the report itself, not the nested results (sh:detail) that explain them."""
    report = results.value(predicate=RDF.type, object=SH.ValidationReport, any=False)
    return list(results.objects(report, SH.result))


def known_defect(results: Graph, result: Node, description: Graph) -> bool:
    """The checksum-algorithm restriction of mdr-vocabularies.shape.ttl requires the IRI to start
    with `https://spdx.org/rdf/terms`, but the SPDX terms DCAT 3 and DCAT-AP 3 name are
    `http://spdx.org/rdf/terms#...` (e.g. spdx:checksumAlgorithm_sha256), so no correct value
    can pass. The finding is ignored only when the value is such an SPDX term, typed
    spdx:ChecksumAlgorithm as the same restriction also asks, and the pattern is the only reason.
    """
    value = results.value(result, SH.value)
    if (
        results.value(result, SH.resultPath) != SPDX.algorithm
        or not isinstance(value, URIRef)
        or not str(value).startswith(str(SPDX) + "checksumAlgorithm_")
        or (value, RDF.type, SPDX.ChecksumAlgorithm) not in description
    ):
        return False
    source = results.value(result, SH.sourceShape)
    nodes = set(results.objects(source, SH.node)) if source is not None else set()
    if DCATAP_SHAPES.ChecksumAlgorithmRestriction not in nodes:
        return False
    details = list(results.objects(result, SH.detail))
    return all(
        results.value(d, SH.sourceConstraintComponent) == SH.PatternConstraintComponent
        for d in details
    )


def require_conformance(description: Graph, prefix_map: dict[str, str]) -> Report:
    """validate(), raising with the findings if the description does not conform."""
    report = validate(description, prefix_map)
    if not report.conforms:
        raise SundhedsgrafError(
            "the dataset description does not conform to DCAT-AP 3.0.1 "
            f"({', '.join(SHAPES_FILES)}); dist/ is unchanged\n\n" + render(report, prefix_map)
        )
    return report


def render(report: Report, prefix_map: dict[str, str]) -> str:
    origin: dict[Node, list[str]] = {
        f.focus: ["the dataset description, src/sundhedsgraf/dataset.py"] for f in report.findings
    }
    return report.render(prefix_map, origin)

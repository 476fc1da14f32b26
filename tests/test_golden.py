"""Golden files: the build of the tiny project, and pictures and pages of the real build, are
byte for byte the files committed in tests/golden/ (made by tests/golden/remake.py)."""

import difflib

import pytest
from golden.outputs import build_tiny, committed, produce

REMAKE = ".venv/bin/python tests/golden/remake.py"
GOLDEN = committed()


@pytest.fixture(scope="module")
def produced(tmp_path_factory, real_root) -> dict[str, bytes]:
    """Every golden output made afresh: the tiny project built here, the real one reused."""
    return produce(build_tiny(tmp_path_factory.mktemp("golden")), real_root)


def difference(name: str, expected: bytes, actual: bytes, lines: int = 30) -> str:
    """Where `actual` first differs from the golden file `name`, as a short unified diff."""
    old = expected.decode("utf-8", "replace").splitlines(keepends=True)
    new = actual.decode("utf-8", "replace").splitlines(keepends=True)
    first = next(
        (i for i, (a, b) in enumerate(zip(old, new, strict=False)) if a != b),
        min(len(old), len(new)),
    )
    diff = list(
        difflib.unified_diff(old, new, f"tests/golden/{name}", "made now", n=2, lineterm="")
    )
    shown = "".join(line if line.endswith("\n") else line + "\n" for line in diff[:lines])
    more = f"… ({len(diff) - lines} more diff lines)\n" if len(diff) > lines else ""
    return (
        f"tests/golden/{name} differs from the output made now "
        f"({len(expected)} vs {len(actual)} bytes), first at line {first + 1}:\n"
        f"{shown}{more}"
        f"If the change is intended, run `{REMAKE}` and review the golden diff in the commit."
    )


def test_the_golden_files_are_the_outputs_made(produced):
    missing, extra = sorted(produced.keys() - GOLDEN.keys()), sorted(GOLDEN.keys() - produced)
    if missing or extra:
        pytest.fail(
            f"made but not in tests/golden/: {missing}; in tests/golden/ but no longer made:"
            f" {extra}. If this is intended, run `{REMAKE}` and review the golden diff in the"
            " commit.",
            pytrace=False,
        )


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_output_is_byte_identical(produced, name):
    if name not in produced:
        pytest.fail(f"tests/golden/{name} is no longer made; run `{REMAKE}`", pytrace=False)
    if produced[name] != GOLDEN[name]:
        pytest.fail(difference(name, GOLDEN[name], produced[name]), pytrace=False)

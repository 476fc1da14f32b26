"""Fixtures: a copy of a small project under tests/fixtures/build/, built or not."""

import shutil
from pathlib import Path

import pytest

from sundhedsgraf.cli import main

FIXTURES = Path(__file__).parent / "fixtures" / "build"
REPO = Path(__file__).parent.parent
EPOCH = "1735689600"  # 2025-01-01T00:00:00Z


@pytest.fixture(autouse=True)
def reproducible(monkeypatch):
    """Builds in tests get a fixed date and the default base, whatever the environment says."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    monkeypatch.delenv("SUNDHEDSGRAF_BASE_IRI", raising=False)


@pytest.fixture
def project(tmp_path) -> Path:
    """A fresh copy of the tiny fixture project."""
    return Path(shutil.copytree(FIXTURES / "tiny", tmp_path / "project"))


@pytest.fixture
def cli(capsys):
    """Run the CLI in-process: (exit code, stdout, stderr)."""

    def run(*args) -> tuple[int, str, str]:
        code = main([str(arg) for arg in args])
        out, err = capsys.readouterr()
        return code, out, err

    return run


@pytest.fixture
def built(project, cli) -> Path:
    """The tiny project, built once."""
    code, _, err = cli("build", "--root", project)
    assert code == 0, err
    return project


def snapshot(root: Path) -> dict[str, bytes]:
    """Where dist points and every byte under it, to show a failed build changed nothing."""
    dist = root / "dist"
    files = {p.relative_to(dist).as_posix(): p.read_bytes() for p in dist.rglob("*")}
    return {"->": str(dist.readlink()).encode(), **files}

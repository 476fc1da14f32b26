"""Remake the golden files: `.venv/bin/python tests/golden/remake.py` (see README.md here).

Builds the tiny fixture project and the real project twice each, in temporary folders, makes
every golden output from both, refuses to write anything if the two differ (the output would
not be deterministic, so not a golden file), then writes tests/golden/{dist,pictures,pages}/
and removes golden files that are no longer made. Prints what changed.
"""

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: conftest, golden

from golden.outputs import (  # noqa: E402
    FOLDERS,
    GOLDEN,
    build_real,
    build_tiny,
    committed,
    produce,
)


def make_once(folder: Path) -> dict[str, bytes]:
    return produce(build_tiny(folder), build_real(folder))


def main() -> int:
    with tempfile.TemporaryDirectory() as first, tempfile.TemporaryDirectory() as second:
        made, again = make_once(Path(first)), make_once(Path(second))
    unstable = sorted(
        name for name in made.keys() | again.keys() if made.get(name) != again.get(name)
    )
    if unstable:
        print("not deterministic, nothing written:", ", ".join(unstable), file=sys.stderr)
        return 1
    old = committed()
    for name in sorted(old.keys() - made.keys()):
        (GOLDEN / name).unlink()
        print(f"removed  {name}")
    for name, body in made.items():
        if old.get(name) == body:
            continue
        (GOLDEN / name).parent.mkdir(parents=True, exist_ok=True)
        (GOLDEN / name).write_bytes(body)
        print(f"{'changed' if name in old else 'added':8} {name}")
    for folder in FOLDERS:  # folders left empty by removals
        for path in sorted((GOLDEN / folder).rglob("*"), reverse=True):
            if path.is_dir() and not any(path.iterdir()):
                path.rmdir()
    print(
        f"{len(made)} golden files in {GOLDEN}; review `git diff -- tests/golden` before committing"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

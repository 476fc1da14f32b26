"""Writing dist/ atomically: a failed or interrupted build leaves the previous dist/ as it was.

dist is a symlink to a complete build under .dist-builds/. A build writes a staging folder,
renames it into place, then points dist at it by renaming a new symlink over the old one.
rename(2) replaces the link in one step, so at every moment dist is either the previous
complete build or the new complete one, never a mix and never missing.
"""

import os
import shutil
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from sundhedsgraf.errors import SundhedsgrafError, naming

BUILDS = ".dist-builds"
KEEP = 2  # the current build and the one before, for readers that opened it just before a swap


def publish(
    root: Path, files: dict[str, bytes], finish: Callable[[Path], None] = lambda folder: None
) -> Path:
    """Write `files` (name -> bytes) as the new dist/ under `root`, then `finish(folder)` adds
    what is made from them (the on-disk store) before the folder is published; the folder."""
    dist, builds = root / "dist", root / BUILDS
    if dist.exists() and not dist.is_symlink():
        raise SundhedsgrafError(f"{dist} is a folder, not a build link: move it away and rebuild")
    builds.mkdir(exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=builds))
    staging.chmod(0o755)  # mkdtemp makes it private; dist/ is for everyone to read
    try:
        for name, content in files.items():
            with naming(staging / name):
                (staging / name).write_bytes(content)
        finish(staging)
        build = builds / datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        staging.rename(build)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    link = root / f".dist-{os.getpid()}.tmp"
    link.unlink(missing_ok=True)
    link.symlink_to(Path(BUILDS) / build.name, target_is_directory=True)
    os.replace(link, dist)
    prune(builds, build)
    return build


def prune(builds: Path, current: Path) -> None:
    """Remove all but the newest KEEP builds and `current` (staging folders start with .)."""
    done = sorted(p for p in builds.iterdir() if p.is_dir() and not p.name.startswith("."))
    for old in done[:-KEEP]:
        if old != current:
            shutil.rmtree(old)

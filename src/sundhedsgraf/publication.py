"""The build the server publishes: its files, its store, and a switch to a newer build.

dist/ is a symlink that a build swaps in one step, so the resolved folder identifies a build.
The server looks at the link at most once a second and loads a new build when it changes;
answers remembered for the old one are dropped with it.
"""

import hashlib
import json
import os
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import format_datetime
from pathlib import Path

import pyoxigraph as ox

from .errors import SundhedsgrafError
from .responses import EXTENSIONS
from .workers import load_store

# A file's media type by its extension: the RDF formats the server offers, and the manifest.
MEDIA_TYPES = {f".{ext}": media for ext, media in EXTENSIONS.items()} | {
    ".json": "application/json"
}


@dataclass(frozen=True)
class DistFile:
    path: Path
    media_type: str
    etag: str  # strong: the SHA-256 of the bytes, from the manifest


@dataclass
class Publication:
    folder: Path
    manifest: dict
    store: ox.Store
    files: dict[str, DistFile]
    last_modified: str  # HTTP date of the build
    graphs: tuple[str, ...]
    memo: dict = field(default_factory=dict)  # answers derived from this build only

    @property
    def base(self) -> str:
        return self.manifest["base_iri"]

    @property
    def id(self) -> str:
        return self.folder.name


def load(root: Path) -> Publication:
    """The build dist/ points at now; a clear error if there is none."""
    link = root / "dist"
    folder = link.resolve()
    if not (folder / "manifest.json").is_file() or not (folder / "sundhedsgraf.nq").is_file():
        raise SundhedsgrafError(f"no built graph in {link}: run `sundhedsgraf build` first")
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    files = {
        entry["name"]: DistFile(
            folder / entry["name"],
            MEDIA_TYPES.get(Path(entry["name"]).suffix, "application/octet-stream"),
            f'"{entry["sha256"]}"',
        )
        for entry in manifest["files"]
    }
    manifest_bytes = (folder / "manifest.json").read_bytes()
    files["manifest.json"] = DistFile(
        folder / "manifest.json",
        "application/json",
        f'"{hashlib.sha256(manifest_bytes).hexdigest()}"',
    )
    store = load_store(str(folder))
    built = datetime.fromisoformat(manifest["built"])
    graphs = tuple(sorted(g.value for g in store.named_graphs()))
    return Publication(folder, manifest, store, files, format_datetime(built, usegmt=True), graphs)


class Current:
    """The publication to answer from, switched when dist/ points at a new build."""

    CHECK_EVERY = 1.0  # seconds

    def __init__(self, root: Path):
        self.root = root
        self.publication = load(root)
        self.checked = time.monotonic()
        self.lock = threading.Lock()

    def get(self) -> Publication:
        now = time.monotonic()
        if now - self.checked >= self.CHECK_EVERY:
            self.checked = now
            self._maybe_switch()
        return self.publication

    def _maybe_switch(self) -> None:
        """Load a newly published build on a thread of its own: requests never wait for it."""
        try:
            folder = Path(os.path.realpath(self.root / "dist"))
        except OSError:
            return
        if folder != self.publication.folder and self.lock.acquire(blocking=False):
            threading.Thread(target=self._switch, daemon=True).start()

    def _switch(self) -> None:
        try:
            self.publication = load(self.root)
        except (SundhedsgrafError, OSError, SyntaxError, ValueError):
            pass  # a half-removed build: keep answering from the one we have
        finally:
            self.lock.release()

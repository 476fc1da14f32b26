"""The golden outputs: how each one is made, for tests/test_golden.py and remake.py alike.

`produce(tiny_root, real_root)` returns {path under tests/golden/: bytes}:

- `dist/…`: every file the build of the tiny fixture project writes (manifest.json included);
- `pictures/…` and `pages/…`: SVG pictures and HTML pages of the real project's build, asked of
  the app in-process (no server, no port) with a fixed public URL.

Both builds are made the way tests/conftest.py makes them: at SOURCE_DATE_EPOCH=EPOCH, under the
default base IRI. Nothing is normalised: every output below was checked to be the same bytes
when made twice (fresh builds, fresh apps, other PYTHONHASHSEED and working directory).
"""

import asyncio
import shutil
from contextlib import redirect_stdout
from io import StringIO
from pathlib import Path

import httpx
from conftest import FIXTURES, build_root, copy_project

# The package's modules, imported here only (they move; fix these lines when they do).
from sundhedsgraf.app import create_app
from sundhedsgraf.settings import Settings
from sundhedsgraf.stores import STORE

GOLDEN = Path(__file__).parent
FOLDERS = ("dist", "pictures", "pages")  # what remake.py writes, and the test reads
PUBLIC_URL = "http://sundhedsgraf.test/"
HTML = {"Accept": "text/html"}
SVG = {"Accept": "image/svg+xml"}

# golden file: (request target, headers, media type the answer must have)
REQUESTS = {
    "pictures/network-around-fmk.da.svg": (
        "pictures/network.svg?around=system/fmk&lang=da",
        SVG,
        "image/svg+xml",
    ),
    "pictures/timeline-focus-area-2.da.svg": (
        "pictures/timeline.svg?focus-area=2&lang=da",
        SVG,
        "image/svg+xml",
    ),
    "pictures/portfolio-by-owner.da.svg": (
        "pictures/portfolio.svg?by=owner&lang=da",
        SVG,
        "image/svg+xml",
    ),
    "pages/home.da.html": ("?lang=da", HTML, "text/html"),
    "pages/initiative-2.1.en.html": ("doc/initiative/2.1?lang=en", HTML, "text/html"),
    "pages/system-fmk.da.html": ("doc/system/fmk?lang=da", HTML, "text/html"),
    "pages/ontology.en.html": ("def?lang=en", HTML, "text/html"),
    "pages/browse-initiatives.da.html": ("browse/initiatives?lang=da", HTML, "text/html"),
    "pages/search-medicin.en.html": ("search?q=medicin&lang=en", HTML, "text/html"),
    "pages/use.en.html": ("use?lang=en", HTML, "text/html"),
}


def build_tiny(folder: Path) -> Path:
    """A copy of the tiny fixture project in `folder`, built."""
    return quietly(build_root, Path(shutil.copytree(FIXTURES / "tiny", folder / "tiny")))


def build_real(folder: Path) -> Path:
    """A copy of the real ontology, data and shapes in `folder`, built (conftest's real_root)."""
    (folder / "real").mkdir()
    return quietly(build_root, copy_project(folder / "real"))


def quietly(function, *args):
    """`function(*args)` without the build's summary on stdout."""
    with redirect_stdout(StringIO()):
        return function(*args)


def dist_files(root: Path) -> dict[str, bytes]:
    """Every file under root/dist (the build's folder, not the symlink's name), but the
    on-disk store: RocksDB's files differ from run to run (tests/build checks its quads)."""
    dist = root / "dist"
    return {
        "dist/" + path.relative_to(dist).as_posix(): path.read_bytes()
        for path in sorted(dist.rglob("*"))
        if path.is_file() and path.relative_to(dist).parts[0] != STORE
    }


def served(root: Path) -> dict[str, bytes]:
    """The bodies of REQUESTS, from an app over root's build (its lifespan, which only starts
    the query workers, is not run: no page or picture here asks them)."""
    app = create_app(Settings(root=root, public_url=PUBLIC_URL))

    async def fetch_all() -> dict[str, bytes]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=PUBLIC_URL) as client:
            bodies = {}
            for name, (target, headers, media_type) in REQUESTS.items():
                response = await client.get(PUBLIC_URL + target, headers=headers)
                kind = response.headers.get("content-type", "").partition(";")[0]
                if response.status_code != 200 or kind != media_type:
                    raise RuntimeError(
                        f"{target} answered {response.status_code} {kind}, not 200 {media_type}:"
                        f" {response.text[:300]}"
                    )
                bodies[name] = response.content
            return bodies

    return asyncio.run(fetch_all())


def produce(tiny_root: Path, real_root: Path) -> dict[str, bytes]:
    """{path under tests/golden/: bytes} for built `tiny_root` and `real_root`."""
    return dict(sorted({**dist_files(tiny_root), **served(real_root)}.items()))


def committed() -> dict[str, bytes]:
    """The golden files in git's working tree: {path under tests/golden/: bytes}."""
    return {
        path.relative_to(GOLDEN).as_posix(): path.read_bytes()
        for folder in FOLDERS
        for path in sorted((GOLDEN / folder).rglob("*"))
        if path.is_file()
    }

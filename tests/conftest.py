"""Fixtures: the tiny fixture project, the real build, and the real server over HTTP."""

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pyoxigraph
import pytest

from sundhedsgraf.cli import main
from sundhedsgraf.stores import STORE

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


def snapshot(root: Path, store_bytes: bool = True) -> dict[str, bytes]:
    """Where dist points and every byte under it, to show a failed build changed nothing.

    Two builds write the same files but not the same on-disk store (RocksDB names and logs
    differ): with `store_bytes=False` the store is its quads, sorted, instead of its files."""
    dist = root / "dist"
    files = {
        p.relative_to(dist).as_posix(): p.read_bytes()
        for p in dist.rglob("*")
        if p.is_file() and (store_bytes or p.relative_to(dist).parts[0] != STORE)
    }
    if not store_bytes:
        store = pyoxigraph.Store.read_only(str(dist / STORE))
        files[STORE] = "\n".join(sorted(canonical_quads(store))).encode()
    return {"->": str(dist.readlink()).encode(), **files}


def canonical_quads(quads) -> set[str]:
    """`quads` (a store) as N-Quads lines, blank nodes named canonically (RDFC-1.0): each
    parse of a file names its blank nodes afresh."""
    dataset = pyoxigraph.Dataset(quads)
    dataset.canonicalize(pyoxigraph.CanonicalizationAlgorithm.RDFC_1_0)
    return {str(quad) for quad in dataset}


def copy_project(root: Path) -> Path:
    """The real ontology, data and shapes copied into `root`."""
    for folder in ("ontology", "data", "shapes"):
        shutil.copytree(REPO / folder, root / folder)
    return root


def build_root(root: Path, *options: str) -> Path:
    """`sundhedsgraf build` of `root` at the fixed time EPOCH; fails the test if it fails."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", EPOCH)
        patch.delenv("SUNDHEDSGRAF_BASE_IRI", raising=False)
        assert main(["build", "--root", str(root), *options]) == 0
    return root


@pytest.fixture(scope="session")
def real_root(tmp_path_factory) -> Path:
    """A copy of the real ontology, data and shapes, built once per session."""
    return build_root(copy_project(tmp_path_factory.mktemp("repo")))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`sundhedsgraf serve` in a subprocess on a free local port: the real server, over HTTP."""

    def __init__(self, root: Path, *options: str, env: dict | None = None, port: int | None = None):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        command = [sys.executable, "-m", "sundhedsgraf", "serve", "--root", str(root)]
        command += ["--port", str(self.port), "--log-level", "warning", *options]
        environment = {k: v for k, v in os.environ.items() if not k.startswith("SUNDHEDSGRAF_")}
        self.process = subprocess.Popen(
            command, env=environment | (env or {}), stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        self.client = httpx.Client(base_url=self.url, timeout=30)
        self._wait()

    def _wait(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.process.stderr.read().decode()}")
            try:
                if self.client.get("/health").status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        raise RuntimeError("server did not answer /health within 60 s")

    def stop(self) -> None:
        self.client.close()
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class InProcess:
    """The app over the real build, in this process (no sockets): for tests that need only the
    app. Same face as Server: `.url` and `.client`. Its lifespan runs, so queries work too."""

    def __init__(self, root: Path, url: str = "http://sundhedsgraf.test/"):
        from starlette.testclient import TestClient

        from sundhedsgraf.app import create_app
        from sundhedsgraf.settings import Settings

        self.url = url
        app = create_app(Settings(root=root, public_url=url))
        self.client = TestClient(app, base_url=url, follow_redirects=False).__enter__()

    def stop(self) -> None:
        self.client.__exit__(None, None, None)


@pytest.fixture(scope="session")
def app_server(real_root):
    """The app in-process over the real build, for the whole session."""
    running = InProcess(real_root)
    yield running
    running.stop()


@pytest.fixture(scope="session")
def server(real_root):
    """One server over the real build, default settings, for the whole session."""
    running = Server(real_root)
    yield running
    running.stop()


@pytest.fixture
def start_server(real_root):
    """Start servers with their own options, stopped after the test."""
    started = []

    def start(
        *options: str, root: Path | None = None, env: dict | None = None, port: int | None = None
    ) -> Server:
        started.append(Server(root or real_root, *options, env=env, port=port))
        return started[-1]

    yield start
    for running in started:
        running.stop()


# --- helpers the HTTP tests share ---


def media_type(response: httpx.Response) -> str:
    return response.headers["content-type"].partition(";")[0].strip()


def assert_problem(response: httpx.Response, status: int, *message: str) -> None:
    """A client error with a plain-text message holding each of `message`."""
    assert response.status_code == status, (response.status_code, response.text)
    assert media_type(response) == "text/plain"
    for part in message:
        assert part in response.text, response.text


def wait_until(condition, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the condition did not come true"
        time.sleep(0.05)


# --- builds side by side, for switch tests ---


def builds(root: Path, *sources: Path) -> Path:
    """A project whose .dist-builds/ holds copies of the builds `sources` (A, B, …), dist -> A."""
    for name, source in zip("AB", sources, strict=False):
        shutil.copytree((source / "dist").resolve(), root / ".dist-builds" / name)
    (root / "dist").symlink_to(Path(".dist-builds") / "A", target_is_directory=True)
    return root


def switch_to(root: Path, name: str) -> None:
    link = root / ".dist-new"
    link.symlink_to(Path(".dist-builds") / name, target_is_directory=True)
    os.replace(link, root / "dist")

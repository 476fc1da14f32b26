"""Real triple stores for tests: each on 127.0.0.1 on a free port, in its own folder, stopped by
the PID it was started with."""

import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from conftest import free_port

START_SECONDS = 30


@dataclass
class RunningStore:
    name: str  # "oxigraph" or "virtuoso"
    query_url: str  # SPARQL 1.1 Query endpoint
    update_url: str  # SPARQL 1.1 Update endpoint
    gsp_url: str  # SPARQL 1.1 Graph Store HTTP Protocol endpoint (?graph=IRI)
    env: dict[str, str]  # environment our CLI needs for it (credentials, see auth_from_env)
    process: subprocess.Popen


@contextmanager
def oxigraph_store(folder: Path) -> Iterator[RunningStore]:
    """`oxigraph serve` (the binary from PyPI, in the test extra) with its data in `folder`."""
    binary = Path(sys.executable).parent / "oxigraph"
    port = free_port()
    root = f"http://127.0.0.1:{port}"
    command = [binary, "serve", "--location", str(folder), "--bind", f"127.0.0.1:{port}"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_for(root + "/query?query=ASK%7B%7D", process)
        yield RunningStore(
            "oxigraph", root + "/query", root + "/update", root + "/store", {}, process
        )
    finally:
        stop(process)


def wait_for(url: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + START_SECONDS
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"the store ended: {process.stderr.read().decode()}")
        try:
            httpx.get(url, timeout=5).raise_for_status()
            return
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"the store did not answer at {url}") from None
            time.sleep(0.1)


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()

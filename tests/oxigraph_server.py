"""`oxigraph serve` on a local port: a second, real SPARQL endpoint for the tests that compare
or federate with one (tests/sparql/test_federation.py, tests/build/test_linked.py)."""

import subprocess
import sys
import time
from pathlib import Path

import httpx
from conftest import free_port


class Oxigraph:
    """`oxigraph serve` in memory on a free port, loaded over its Graph Store Protocol."""

    def __init__(self, data: Path):
        binary = Path(sys.executable).parent / "oxigraph"  # from the test extra
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/query"
        self.process = subprocess.Popen(
            [binary, "serve", "--bind", f"127.0.0.1:{self.port}"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        self.load(data.read_bytes())

    def load(self, turtle: bytes) -> None:
        deadline = time.monotonic() + 30
        while True:
            try:
                response = httpx.post(
                    f"http://127.0.0.1:{self.port}/store?default",
                    content=turtle,
                    headers={"content-type": "text/turtle"},
                )
                response.raise_for_status()
                return
            except httpx.TransportError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise RuntimeError("oxigraph serve did not start") from None
                time.sleep(0.1)

    def stop(self) -> None:
        self.process.kill()
        self.process.wait()

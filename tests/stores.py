"""Real triple stores for tests: on 127.0.0.1 free ports, each in its own folder, stopped by PID.

Oxigraph's server comes from PyPI (the test extra); Virtuoso is Debian's `virtuoso-opensource`
(the Makefile's `test` target installs it, as it installs chromium), run as `virtuoso-t` in the
foreground with an ini file of its own: database, logs and ports all under `folder`, so it
shares nothing with a system instance. A fresh Virtuoso database has the user dba (password
dba), allowed SPARQL Update and the Graph Store Protocol behind digest authentication on
/sparql-auth and /sparql-graph-crud-auth.
"""

import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from conftest import free_port

VIRTUOSO = Path("/usr/bin/virtuoso-t")
VIRTUOSO_PAGES = Path("/var/lib/virtuoso-opensource-7/vsp")  # the package's HTTP server root
START_SECONDS = 120  # a slow, shared machine: Virtuoso makes its database on first start


@dataclass
class RunningStore:
    name: str  # "oxigraph" or "virtuoso"
    query_url: str  # SPARQL 1.1 Query endpoint
    update_url: str  # SPARQL 1.1 Update endpoint
    gsp_url: str  # SPARQL 1.1 Graph Store HTTP Protocol endpoint (?graph=IRI)
    env: dict[str, str]  # environment our CLI needs for it (credentials, see auth_from_env)
    process: subprocess.Popen


def wait_for(process: subprocess.Popen, url: str, log: Path) -> None:
    """Until `url` answers an ASK, or fail with the store's log."""
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url} exited ({process.returncode}): {log.read_text()[-2000:]}")
        try:
            if httpx.get(url, params={"query": "ASK {}"}, timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {START_SECONDS} s: {log.read_text()[-2000:]}")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def running(command: list, log: Path, ready_url: str) -> Iterator[subprocess.Popen]:
    with log.open("ab") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_for(process, ready_url, log)
        yield process
    finally:
        stop(process)


@contextmanager
def oxigraph_store(folder: Path) -> Iterator[RunningStore]:
    """`oxigraph serve` on an on-disk store in `folder` (started again on the same folder, it
    holds what it held)."""
    folder.mkdir(parents=True, exist_ok=True)
    url = f"http://127.0.0.1:{free_port()}"
    binary = Path(sys.executable).parent / "oxigraph"  # from the test extra
    command = [binary, "serve", "--location", folder / "db", "--bind", url.removeprefix("http://")]
    with running(command, folder / "oxigraph.log", f"{url}/query") as process:
        yield RunningStore("oxigraph", f"{url}/query", f"{url}/update", f"{url}/store", {}, process)


VIRTUOSO_INI = """\
[Database]
DatabaseFile = {folder}/virtuoso.db
ErrorLogFile = {folder}/virtuoso.log
LockFile = {folder}/virtuoso.lck
TransactionFile = {folder}/virtuoso.trx
xa_persistent_file = {folder}/virtuoso.pxa
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {folder}/virtuoso-temp.db
TransactionFile = {folder}/virtuoso-temp.trx

[Parameters]
ServerPort = 127.0.0.1:{sql_port}
DisableUnixSocket = 1
NumberOfBuffers = 10000
MaxDirtyBuffers = 6000
ThreadsPerQuery = 1
DirsAllowed = .

[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {pages}
ServerThreads = 4
Charset = UTF-8

[SPARQL]
ResultSetMaxRows = 1000000
MaxQueryExecutionTime = 120
"""


@contextmanager
def virtuoso_store(folder: Path) -> Iterator[RunningStore]:
    """Debian's virtuoso-t with its own virtuoso.ini, database folder and free ports (started
    again on the same folder, it holds what it committed)."""
    if not VIRTUOSO.exists():
        raise RuntimeError(f"no {VIRTUOSO}: `make test` installs it (scripts/install-virtuoso.sh)")
    folder.mkdir(parents=True, exist_ok=True)
    http_port, sql_port = free_port(), free_port()
    ini = folder / "virtuoso.ini"
    ini.write_text(
        VIRTUOSO_INI.format(
            folder=folder, sql_port=sql_port, http_port=http_port, pages=VIRTUOSO_PAGES
        )
    )
    url = f"http://127.0.0.1:{http_port}"
    command = [VIRTUOSO, "+foreground", "+configfile", ini]
    with running(command, folder / "virtuoso.out", f"{url}/sparql") as process:
        env = {
            "SUNDHEDSGRAF_STORE_USER": "dba",
            "SUNDHEDSGRAF_STORE_PASSWORD": "dba",
            "SUNDHEDSGRAF_STORE_AUTH": "digest",
        }
        yield RunningStore(
            "virtuoso",
            f"{url}/sparql",
            f"{url}/sparql-auth",
            f"{url}/sparql-graph-crud-auth",
            env,
            process,
        )

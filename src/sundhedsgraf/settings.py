"""The server's settings: each declared once (name, type, default, help), read from the
environment and the command line.

The declaration drives `sundhedsgraf serve --help`, the environment variables
($SUNDHEDSGRAF_<NAME>) and the table in the README (`markdown_table`, checked by a test).
"""

import os
import re
from dataclasses import Field, dataclass, field, fields, replace
from pathlib import Path

from sundhedsgraf.errors import SundhedsgrafError
from sundhedsgraf.namespaces import check_base_iri

ENV_PREFIX = "SUNDHEDSGRAF_"
MiB = 2**20
STORES = ("memory", "disk")  # where a build is read from: see stores.open_store


def setting(default, help: str, shown: str | None = None):
    """A declared setting: its default, what it does, and how the default is said."""
    metadata = {"help": help, "shown": shown if shown is not None else str(default)}
    if isinstance(default, tuple):
        return field(default_factory=lambda: default, metadata=metadata)
    return field(default=default, metadata=metadata)


@dataclass(frozen=True)
class Settings:
    """Every knob of `sundhedsgraf serve`; each field is also $SUNDHEDSGRAF_<NAME>."""

    root: Path = setting(Path("."), "project folder, whose dist/ is served", ".")
    host: str = setting("127.0.0.1", "address to listen on")
    port: int = setting(8000, "port to listen on")
    base_iri: str | None = setting(
        None, "refuse to start unless the build is under this base IRI", "the build's"
    )
    public_url: str | None = setting(
        None, "URL clients reach the server at, behind a proxy", "http://HOST:PORT/"
    )
    time_limit: float = setting(10.0, "seconds a query may run before its worker is killed", "10")
    max_rows: int = setting(100_000, "result rows (or triples) a query may return")
    max_query_bytes: int = setting(100_000, "longest query or request body, in bytes")
    max_result_bytes: int = setting(64 * MiB, "largest result, in bytes", "64 MiB")
    workers: int = setting(2, "query worker processes")
    store: str = setting(
        "memory",
        "where the server and each worker read the build: memory (each parses its own copy) or"
        " disk (all open the build's on-disk store, read-only; see Store modes)",
    )
    max_queue: int = setting(16, "queries waiting for a worker before 503 (0: none wait)")
    client_budget: float = setting(
        30.0, "seconds of worker time a client may use per --budget-window; then 429", "30"
    )
    budget_window: float = setting(60.0, "seconds in which a spent client budget refills", "60")
    client_share: float = setting(
        0.5, "share of --workers plus --max-queue one client's queries may hold; then 429", "0.5"
    )
    client_header: str | None = setting(
        None,
        "header a trusted proxy sets to the client's address (its last entry counts)",
        "none: the connection's address",
    )
    service_allowlist: tuple[str, ...] = setting(
        (), "SPARQL endpoints SERVICE may call, exact IRIs", "none: no federation"
    )
    service_max_bytes: int = setting(
        16 * MiB, "largest answer from a SERVICE endpoint, in bytes", "16 MiB"
    )
    cache_bytes: int = setting(64 * MiB, "memory for answers to repeated queries", "64 MiB")
    page_cache_bytes: int = setting(
        64 * MiB, "memory for pages, pictures and documents made from a build", "64 MiB"
    )
    describe_page: int = setting(100, "inbound links per page of a resource's document")
    sparql_backend: str | None = setting(
        None,
        "a SPARQL store's query endpoint to answer /sparql from, with --workers calls at a "
        "time (credentials: $SUNDHEDSGRAF_STORE_*)",
        "none: the build, in worker processes",
    )

    def __post_init__(self):
        problems = [
            f"{f.name} must be positive (max_queue: 0 or more)"
            for f in fields(self)
            if _not_positive(self, f)
        ]
        if not 0 < self.port < 65536:
            problems.append(f"port must be 1-65535, not {self.port}")
        if self.base_iri is not None and (problem := check_base_iri(self.base_iri)):
            problems.append(f"base_iri {problem}")
        if self.public_url is not None and not re.match(r"https?://[^/]+/(.*/)?$", self.public_url):
            problems.append(f"public_url must be an http(s) URL ending in '/': {self.public_url}")
        if self.client_share > 1:
            problems.append(f"client_share must be at most 1, not {self.client_share:g}")
        if self.store not in STORES:
            problems.append(f"store must be one of {', '.join(STORES)}, not {self.store}")
        header = self.client_header
        if header is not None and not re.fullmatch(r"[A-Za-z0-9-]+", header):
            problems.append(f"client_header must be a header name: {self.client_header}")
        for iri in self.service_allowlist:
            if not re.match(r"https?://[^/\s]+", iri):
                problems.append(f"service_allowlist entries must be http(s) URLs: {iri}")
        backend = self.sparql_backend
        if backend is not None and not re.match(r"https?://[^/\s]+", backend):
            problems.append(f"sparql_backend must be an http(s) URL: {backend}")
        if problems:
            raise SundhedsgrafError("invalid settings: " + "; ".join(problems))

    @property
    def public(self) -> str:
        """The public URL with a trailing slash."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return self.public_url or f"http://{host}:{self.port}/"


def kind(f: Field) -> type:
    """The type a value of `f` is read as: int, float, Path, tuple (of str) or str."""
    if f.type in (int, float, Path):
        return f.type
    return tuple if getattr(f.type, "__origin__", None) is tuple else str


def _not_positive(settings: Settings, f: Field) -> bool:
    value = getattr(settings, f.name)
    if f.name == "max_queue":  # 0: no waiting, 503 as soon as every worker is busy
        return value < 0
    return kind(f) in (int, float) and f.name != "port" and value <= 0


def env_name(f: Field) -> str:
    return ENV_PREFIX + f.name.upper()


def from_env(environ=os.environ, **overrides) -> Settings:
    """Settings from $SUNDHEDSGRAF_* variables, then `overrides` (the command line) on top."""
    values = {}
    for f in fields(Settings):
        raw = environ.get(env_name(f))
        if raw is not None and raw.strip():
            values[f.name] = _convert(f, raw.strip())
    values.update({k: v for k, v in overrides.items() if v is not None})
    return replace(Settings(), **values)


def _convert(f: Field, raw: str):
    read = kind(f)
    if read is tuple:
        return tuple(raw.replace(",", " ").split())
    try:
        return read(raw)
    except ValueError:
        raise SundhedsgrafError(f"${env_name(f)} must be a number: {raw}") from None


def markdown_table() -> str:
    """The settings as the README shows them."""
    lines = ["| option | environment | default | what |", "|---|---|---|---|"]
    for f in fields(Settings):
        option = "--" + f.name.replace("_", "-")
        lines.append(
            f"| `{option}` | `{env_name(f)}` | {f.metadata['shown']} | {f.metadata['help']} |"
        )
    return "\n".join(lines) + "\n"

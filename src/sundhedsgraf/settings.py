"""The server's settings: one object, read from the environment and the command line."""

import os
import re
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from sundhedsgraf.errors import SundhedsgrafError

ENV_PREFIX = "SUNDHEDSGRAF_"


@dataclass(frozen=True)
class Settings:
    """Every knob of `sundhedsgraf serve`; each field is also $SUNDHEDSGRAF_<NAME>."""

    root: Path = Path(".")
    host: str = "127.0.0.1"
    port: int = 8000
    # The IRI namespace of the served graph; None means the one the build was made under.
    base_iri: str | None = None
    # Where clients reach this server (behind a proxy, not the bound address); None: host:port.
    public_url: str | None = None
    time_limit: float = 10.0  # seconds a query may run before its worker is killed
    max_rows: int = 100_000  # result rows (or triples) a query may return
    max_query_bytes: int = 100_000  # size of a query or a request body
    max_result_bytes: int = 64 * 2**20
    workers: int = 2  # query worker processes
    max_queue: int = 16  # queries waiting for a worker before 503
    # SPARQL endpoints that SERVICE may call (exact IRIs); empty: no federation.
    service_allowlist: tuple[str, ...] = field(default_factory=tuple)
    service_max_bytes: int = 16 * 2**20  # size of one answer from a SERVICE endpoint
    cache_bytes: int = 64 * 2**20  # memory for answers to repeated requests
    describe_page: int = 100  # inbound links per page of a description

    def __post_init__(self):
        problems = [
            f"{f.name} must be positive (max_queue: 0 or more)"
            for f in fields(self)
            if _not_positive(self, f)
        ]
        if not 0 < self.port < 65536:
            problems.append(f"port must be 1-65535, not {self.port}")
        for name in ("base_iri", "public_url"):
            value = getattr(self, name)
            if value is not None and not re.match(r"https?://[^/]+/(.*/)?$", value):
                problems.append(f"{name} must be an http(s) URL ending in '/': {value}")
        for iri in self.service_allowlist:
            if not re.match(r"https?://[^/\s]+", iri):
                problems.append(f"service_allowlist entries must be http(s) URLs: {iri}")
        if problems:
            raise SundhedsgrafError("invalid settings: " + "; ".join(problems))

    @property
    def public(self) -> str:
        """The public URL with a trailing slash."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return self.public_url or f"http://{host}:{self.port}/"


def _not_positive(settings: Settings, f) -> bool:
    value = getattr(settings, f.name)
    if f.name == "max_queue":  # 0: no waiting, 503 as soon as every worker is busy
        return value < 0
    return f.type in (int, float, "int", "float") and f.name != "port" and value <= 0


def from_env(environ=os.environ, **overrides) -> Settings:
    """Settings from $SUNDHEDSGRAF_* variables, then `overrides` (the command line) on top."""
    values = {}
    for f in fields(Settings):
        raw = environ.get(ENV_PREFIX + f.name.upper())
        if raw is not None and raw.strip():
            values[f.name] = _convert(f.name, f.type, raw.strip())
    values.update({k: v for k, v in overrides.items() if v is not None})
    return replace(Settings(), **values)


def _convert(name: str, kind, raw: str):
    try:
        if kind in (int, "int"):
            return int(raw)
        if kind in (float, "float"):
            return float(raw)
    except ValueError:
        raise SundhedsgrafError(f"${ENV_PREFIX}{name.upper()} must be a number: {raw}") from None
    if name == "service_allowlist":
        return tuple(raw.replace(",", " ").split())
    if name == "root":
        return Path(raw)
    return raw

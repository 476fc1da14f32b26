"""Two replicas behind Debian's nginx, configured by deploy/nginx-sundhedsgraf.conf as it is.

nginx runs as this user, its files in the test's folder; only the ports and paths of the file
are replaced. `make test` installs nginx when it is missing, as it does chromium.
"""

import os
import re
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from conftest import EPOCH, REPO, build_root, copy_project, free_port, wait_until
from test_replicas import answer, samples

from sundhedsgraf.cli import main

NGINX = "/usr/sbin/nginx"
SITE = REPO / "deploy" / "nginx-sundhedsgraf.conf"
HEADERS = ("etag", "last-modified", "content-type", "content-disposition", "vary", "location")
SWITCH_SECONDS = 10  # a bound for a behaviour, not a benchmark: load and warm take 1-6 s here


class Nginx:
    """nginx in front of `replicas`, listening on a free port, with its log in `folder`."""

    def __init__(self, folder: Path, replicas: list, port: int):
        self.folder, self.port = folder, port
        self.url = f"http://127.0.0.1:{port}/"
        self.log = folder / "access.log"
        (folder / "site.conf").write_text(site(SITE.read_text(), port, replicas, self.log))
        (folder / "nginx.conf").write_text(MAIN.format(folder=folder))
        options = f"daemon off; pid {folder}/nginx.pid; error_log stderr;"
        if os.geteuid() == 0:  # as root nginx would run its workers as nobody
            options += " user root;"
        command = [NGINX, "-e", "stderr", "-p", str(folder), "-c", str(folder / "nginx.conf")]
        self.errors = folder / "error.log"
        with self.errors.open("w") as errors:
            self.process = subprocess.Popen([*command, "-g", options], stderr=errors)
        self.client = httpx.Client(base_url=self.url, timeout=30)
        wait_until(self.ready, 30)

    def ready(self) -> bool:
        assert self.process.poll() is None, self.errors.read_text()
        try:
            return self.client.get("/health").status_code == 200
        except httpx.TransportError:
            return False

    def upstreams(self) -> list[list[int]]:
        """The ports of the replicas each request went to, in turn, from the access log."""
        lines = self.log.read_text().splitlines()
        return [
            [int(p) for p in re.findall(r":(\d+)", line.partition("upstream=")[2])]
            for line in lines
        ]

    def stop(self) -> None:
        self.client.close()
        self.process.terminate()
        self.process.wait(10)


MAIN = """\
worker_processes 1;
events {{ worker_connections 256; }}
http {{
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    include {folder}/site.conf;
}}
"""


def site(text: str, port: int, replicas: list, log: Path) -> str:
    """The site file with this test's ports and log; each replacement must find its line."""
    text, listens = re.subn(r"listen 80;", f"listen 127.0.0.1:{port};", text)
    servers = iter(f"server 127.0.0.1:{replica.port} " for replica in replicas)
    text, upstreams = re.subn(r"server 127\.0\.0\.1:\d+ ", lambda m: next(servers), text)
    text, logs = re.subn(r"access_log \S+", f"access_log {log}", text)
    assert (listens, upstreams, logs) == (1, len(replicas), 1), "the site file changed shape"
    return text


@pytest.fixture
def behind_nginx(start_server, tmp_path):
    """Start replicas of `root` with `options`, and nginx in front of them."""
    started = []

    def start(*options: str, root: Path | None = None) -> tuple[Nginx, list]:
        port = free_port()
        public = ("--public-url", f"http://127.0.0.1:{port}/", "--client-header", "X-Real-IP")
        replicas = [start_server(*public, *options, root=root) for _ in range(2)]
        folder = tmp_path / f"nginx{len(started)}"
        folder.mkdir()
        started.append(Nginx(folder, replicas, port))
        return started[-1], replicas

    yield start
    for nginx in started:
        nginx.stop()


def proxied(response: httpx.Response) -> tuple:
    """What nginx must pass on unchanged: status, body and the headers that name the answer."""
    headers = {k: response.headers.get(k) for k in HEADERS}
    return response.status_code, headers, response.content


def test_nginx_answers_as_the_replicas_do(behind_nginx, real_root):
    nginx, replicas = behind_nginx()
    checked = 0
    for route, requests in samples(real_root).items():
        for sample in requests[:3]:
            through, direct = answer(nginx, sample), answer(replicas[0], sample)
            if route == "/health":  # the workers' state is each replica's own
                assert through.json()["build"] == direct.json()["build"]
                continue
            assert proxied(through) == proxied(direct), (route, sample[:2])
            checked += 1
    assert checked > 60
    ports = {port for tried in nginx.upstreams() for port in tried}
    assert ports == {replica.port for replica in replicas}  # both took requests


def test_a_conditional_request_gets_304_through_nginx(behind_nginx):
    nginx, _ = behind_nginx()
    for path in ("/dist/sundhedsgraf.ttl", "/doc/initiative/2.1", "/sparql?query=ASK%7B%7D"):
        first = nginx.client.get(path, headers={"Accept": "text/turtle, */*;q=0.1"})
        assert first.status_code == 200 and not first.headers["etag"].startswith("W/")
        for _ in range(2):  # each replica in turn
            again = nginx.client.get(
                path,
                headers={
                    "Accept": "text/turtle, */*;q=0.1",
                    "If-None-Match": first.headers["etag"],
                },
            )
            assert again.status_code == 304 and again.content == b"", path
            assert again.headers["etag"] == first.headers["etag"]


def test_the_site_answers_when_a_replica_dies(behind_nginx):
    nginx, replicas = behind_nginx()
    replicas[0].process.kill()  # by its PID
    replicas[0].process.wait()
    for number in range(10):  # every other request would go to the dead one
        response = nginx.client.get(
            f"/doc/initiative/2.{1 + number % 5}", headers={"Accept": "text/turtle"}
        )
        assert response.status_code == 200, response.text
    assert {tried[-1] for tried in nginx.upstreams()[-10:]} == {replicas[1].port}


def on_budget(client: httpx.Client, number: int, headers: dict | None = None) -> httpx.Response:
    """A query not asked before (answers in memory are served whatever the budget)."""
    query = f"SELECT (COUNT(*) AS ?n) WHERE {{ ?s ?p ?o FILTER(?o != {number}) }}"
    return client.get("/sparql", params={"query": query}, headers=headers)


def from_address(url: str, address: str) -> httpx.Client:
    """A client whose connections come from `address` (any of 127.0.0.0/8 is this machine)."""
    return httpx.Client(base_url=url, transport=httpx.HTTPTransport(local_address=address))


def test_the_replicas_see_the_client_nginx_saw(behind_nginx):
    # a budget that one query spends, refilling in no time the test could wait
    nginx, replicas = behind_nginx("--client-budget", "0.000001", "--budget-window", "3600")
    statuses = []
    with from_address(nginx.url, "127.0.0.2") as spender:
        for number in range(6):  # forged addresses: a client that would seem new every time
            forged = {"X-Real-IP": f"203.0.113.{number}", "X-Forwarded-For": f"203.0.113.{number}"}
            statuses.append(on_budget(spender, number, forged).status_code)
    # each replica served the client once, then found its budget spent, whatever it claimed
    assert sorted(statuses) == [200, 200, 429, 429, 429, 429], statuses
    with from_address(nginx.url, "127.0.0.3") as other:  # another client, also through nginx
        assert [on_budget(other, n).status_code for n in (10, 11)] == [200, 200]
    # sent straight to a replica, the header is believed: nginx is what makes it true
    direct = on_budget(replicas[0].client, 20, {"X-Real-IP": "198.51.100.1"})
    assert direct.status_code == 200


def test_a_forwarded_for_header_is_not_believed_without_client_header(start_server):
    """uvicorn's proxy headers are off: only --client-header names a header to believe."""
    server = start_server("--client-budget", "0.000001", "--budget-window", "3600")
    assert on_budget(server.client, 1).status_code == 200
    assert on_budget(server.client, 2).status_code == 429
    forged = on_budget(server.client, 3, {"X-Forwarded-For": "198.51.100.2"})
    assert forged.status_code == 429, forged.text


def test_a_new_build_reaches_every_replica_within_seconds(behind_nginx, tmp_path, monkeypatch):
    root = build_root(copy_project(tmp_path / "shared"))
    nginx, replicas = behind_nginx(root=root)
    old = nginx.client.get("/dist/manifest.json").headers["etag"]
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(EPOCH) + 86400))  # the next day's build
    assert main(["build", "--root", str(root)]) == 0
    published = time.monotonic()
    switched = {}

    def all_switched() -> bool:
        for client in [nginx.client, nginx.client] + [r.client for r in replicas]:
            etag = client.get("/dist/manifest.json").headers["etag"]
            if etag != old:
                switched.setdefault(str(client.base_url), time.monotonic() - published)
        return len(switched) == 3

    wait_until(all_switched, SWITCH_SECONDS)
    print(f"switched after {max(switched.values()):.2f} s: {switched}")
    # and from then on nginx has only the new build to pass on, whichever replica answers
    new = [nginx.client.get("/dist/manifest.json").headers["etag"] for _ in range(4)]
    assert old not in new


def test_the_docs_show_the_files_as_they_are():
    doc = (REPO / "docs" / "deploy.md").read_text(encoding="utf-8")
    for name in ("nginx-sundhedsgraf.conf", "sundhedsgraf@.service", "w3id.htaccess"):
        assert (REPO / "deploy" / name).read_text(encoding="utf-8") in doc, name

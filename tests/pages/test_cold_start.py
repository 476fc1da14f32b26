"""The first requests after a start or a build switch: each page rendered once while the others
wait for it, and the home page, the search index and the pictures made before a build is
served (in-process app, so the renderings can be counted and the cache looked into)."""

import threading
import time

import pytest
from conftest import InProcess, builds, switch_to, wait_until

from sundhedsgraf.pages import page as page_module
from sundhedsgraf.pages.labels import build_index
from sundhedsgraf.pages.pictures import draw
from sundhedsgraf.pages.search import search_index

HTML = {"Accept": "text/html"}


@pytest.fixture
def app(real_root, tmp_path):
    running = InProcess(builds(tmp_path, real_root, real_root))
    yield running
    running.stop()


def warmed_keys(public: str) -> list[tuple]:
    """What `pages.warm` makes: the indexes, and per language the home and pictures pages
    (as Accept-Language and as ?lang= ask for them) and the pictures they show."""
    keys = [(build_index, public), (search_index, public)]
    for lang in ("da", "en"):
        for path in ("/", "/pictures"):
            keys += [
                (page_module.kept, path, "", lang),
                (page_module.kept, path, f"lang={lang}", lang),
            ]
        keys += [
            (draw, "network", lang, public, (("focus_area", None), ("kind", None))),
            (draw, "timeline", lang, public, (("focus_area", None),)),
            (draw, "portfolio", lang, public, (("by", "focus-area"),)),
            (draw, "portfolio", lang, public, (("by", "owner"),)),
        ]
    return keys


def missing(pub, public: str) -> list[tuple]:
    return [key for key in warmed_keys(public) if key not in pub.cache.entries]


def test_a_build_is_warmed_before_it_is_served_at_start_and_after_a_switch(app, tmp_path):
    current = app.client.app.state.current
    first = current.publication
    assert missing(first, app.url) == []  # at start: before any request

    switch_to(tmp_path, "B")
    current.checked = float("-inf")  # look at dist/ now
    current.get()
    wait_until(lambda: current.publication is not first)
    # switched in already warm: no request has reached the new build yet
    assert current.publication.folder.name == "B"
    assert missing(current.publication, app.url) == []
    for path in ("/", "/pictures", "/pictures/network.svg"):
        assert app.client.get(path, headers=HTML).status_code == 200


def test_concurrent_first_requests_for_a_page_render_it_once(app, monkeypatch):
    rendered, release = [], threading.Event()
    render = page_module.Page.render

    def counted(self, template, **context):
        if template == "resource.html":
            rendered.append(self.request.url.path)
            release.wait()  # held until every request has arrived
        return render(self, template, **context)

    monkeypatch.setattr(page_module.Page, "render", counted)
    responses = []

    def ask():
        responses.append(app.client.get("/doc/initiative/2.1", headers=HTML))

    threads = [threading.Thread(target=ask) for _ in range(6)]
    for thread in threads:
        thread.start()
    wait_until(lambda: rendered)
    time.sleep(0.3)  # let the other requests reach the cache; unfixed, each would render
    release.set()
    for thread in threads:
        thread.join(60)
    assert rendered == ["/doc/initiative/2.1"]
    assert [r.status_code for r in responses] == [200] * 6
    assert len({r.content for r in responses}) == 1

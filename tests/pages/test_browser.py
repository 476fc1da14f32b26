"""The pages in a real browser: Debian's chromium, headless, driven by Playwright, at desktop
size (1400×1000) and on a phone (390×844); every kind of page checked with axe-core against
WCAG 2.1 A and AA.

`make test` installs chromium when it is missing. Screenshots of the main pages are kept in
test-artifacts/screenshots/ (or $SUNDHEDSGRAF_ARTIFACTS) for people to look at.
"""

import os
import re
from pathlib import Path
from urllib.parse import quote

import pytest
from axe_playwright_python.sync_playwright import Axe
from conftest import REPO
from playwright.sync_api import Page, expect, sync_playwright

CHROMIUM = "/usr/bin/chromium"


def example(name: str) -> str:
    return (REPO / "queries" / f"{name}.rq").read_text(encoding="utf-8")


# No background traffic: this machine's network is closed, and the pages need none.
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SHOTS = Path(os.environ.get("SUNDHEDSGRAF_ARTIFACTS", REPO / "test-artifacts")) / "screenshots"


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser
        browser.close()


SIZES = {"desktop": {"width": 1400, "height": 1000}, "phone": {"width": 390, "height": 844}}


@pytest.fixture(params=list(SIZES))
def size(request) -> str:
    return request.param


@pytest.fixture
def page(browser, server, request):
    """A page at the size the test asks for (its `size` parameter), else at desktop size."""
    size = request.getfixturevalue("size") if "size" in request.fixturenames else "desktop"
    context = browser.new_context(base_url=server.url, locale="da-DK", viewport=SIZES[size])
    page = context.new_page()
    blocked = []
    context.route(re.compile(r"^(?!" + re.escape(server.url) + ")"), lambda r: block(r, blocked))
    violations = []
    page.on("console", lambda m: "Content Security Policy" in m.text and violations.append(m.text))
    yield page
    assert blocked == [], f"the page asked for something not served by us: {blocked}"
    assert violations == [], f"the page broke its own Content-Security-Policy: {violations}"
    context.close()


def block(route, blocked: list) -> None:
    blocked.append(route.request.url)
    route.abort()


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SHOTS / f"{name}.png", full_page=True)


def test_home_to_an_initiative_and_switch_language(page: Page):
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "da")
    shot(page, "home-da")
    page.locator('a[href$="/doc/initiative/2.1"]').first.click()
    expect(page).to_have_url(re.compile(r"/doc/initiative/2\.1"))
    expect(page.locator("h1")).to_contain_text("Modernisering af digitale meddelelser")
    expect(page.locator("#timeline")).to_be_visible()
    shot(page, "initiative-2.1-da")
    page.locator('#lang-switch a[hreflang="en"]').click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page).to_have_url(re.compile(r"/doc/initiative/2\.1.*lang=en"))
    shot(page, "initiative-2.1-en")


def test_search_for_medicinkort_finds_fmk(page: Page):
    page.goto("/")
    page.locator("header nav.menu a[href*='/search']").click()
    page.locator("#search-form #q").fill("medicinkort")
    page.locator("#search-form #q").press("Enter")
    expect(page).to_have_url(re.compile(r"/search\?.*q=medicinkort"))
    first = page.locator("#search-results li.result").first
    expect(first.locator('a[href*="/doc/system/fmk"]')).to_have_count(1)
    shot(page, "search-medicinkort")
    first.locator('a[href*="/doc/system/fmk"]').first.click()
    expect(page.locator("h1")).to_contain_text("Fælles Medicinkort")


def test_run_an_example_query_and_read_the_table(page: Page):
    page.goto("/query?lang=en")
    page.locator("#examples a").first.click()
    table = page.locator("#results")
    expect(table).to_be_visible()
    assert table.locator("tbody tr").count() == 5  # query 01: one row per focus area
    link = table.locator("tbody a").first
    href = link.get_attribute("href")
    assert href.startswith(page.url.split("/query")[0] + "/doc/"), href
    expect(page.locator("#query")).to_have_value(re.compile("SELECT", re.I))  # kept in the URL
    shot(page, "query-results")
    page.locator("#query-form .cm-content").click()  # the editor over the textarea
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    page.keyboard.type("SELECT * WHERE { ?s ?p }")
    page.locator('#query-form [type="submit"]').click()
    expect(page.locator("#query-error")).to_contain_text("parse")
    link_page = page.context.new_page()
    link_page.goto(href)
    expect(link_page.locator("h1")).not_to_be_empty()


def test_open_the_dependency_picture_and_click_a_node(page: Page):
    page.goto("/pictures?lang=en")
    node = page.locator("svg g.node").filter(has_text="Shared Medication Record").first
    expect(node).to_be_visible()
    shot(page, "pictures")
    iri = node.get_attribute("data-iri")
    assert iri.endswith("/id/system/fmk"), iri
    node.locator("a").first.click()
    expect(page).to_have_url(re.compile(r"/doc/system/fmk"))
    expect(page.locator("#neighbourhood svg g.node").first).to_be_visible()
    shot(page, "system-fmk-en")


# ---- at a glance, desktop and phone ---------------------------------------------------------

WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
PAGE_KINDS = {
    "home": "/?lang=da",
    "initiative": "/doc/initiative/2.1?lang=en",
    "system": "/doc/system/fmk?lang=da",
    "standard": "/doc/standard/xdis91?lang=en",
    "organisation": "/doc/organisation/sds?lang=da",
    "project": "/doc/project/klinikkens-cockpit?lang=en",
    "milestone": "/doc/milestone/2.1-hospitalnotification-all-regions?lang=da",
    "figure": "/doc/figure/1.1-minlaege-downloads?lang=en",
    "relation": "/doc/relation/carecommunication-replaces-xdis91?lang=da",
    "focus-area": "/doc/focus-area/2?lang=en",
    "lists": "/browse?lang=da",
    "list": "/browse/initiatives?lang=en",
    "search": "/search?q=sor&lang=da",
    "query": "/query?lang=en",
    "pictures": "/pictures?lang=da",
    "ontology": "/def?lang=en",
    "dataset": "/doc/dataset?lang=da",
    "accessibility": "/accessibility?lang=en",
    "error": "/no/such/page",
}


@pytest.mark.parametrize("kind", list(PAGE_KINDS))
def test_every_kind_of_page_meets_wcag_2_1_aa(page: Page, size, kind):
    page.goto(PAGE_KINDS[kind])
    found = Axe().run(page, options=WCAG).response
    assert found["testEngine"]["name"] == "axe-core"
    problems = [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"][:3]]) for v in found["violations"]
    ]
    assert problems == [], problems


def inside(inner: dict, outer: dict, slack: float = 1.0) -> bool:
    return (
        inner["x"] >= outer["x"] - slack
        and inner["y"] >= outer["y"] - slack
        and inner["x"] + inner["width"] <= outer["x"] + outer["width"] + slack
        and inner["y"] + inner["height"] <= outer["y"] + outer["height"] + slack
    )


def test_initiative_summary_at_a_glance(page: Page, size):
    page.goto("/doc/initiative/2.1?lang=en")
    summary = page.locator("#summary")
    for row in ("focus_area", "owner", "outcome"):
        box = summary.locator(f".summary-{row} dd").bounding_box()
        assert box and box["y"] + box["height"] <= SIZES[size]["height"], (row, box)
    expect(summary).to_contain_text("MedCom")
    expect(summary.locator(".summary-outcome")).to_contain_text("Ongoing")
    expect(page.locator("main")).not_to_contain_text("Modernisering af digitale meddelelser")
    shot(page, f"initiative-2.1-summary-{size}")


def test_sor_page_says_which_initiatives_depend_on_it(page: Page, size):
    page.goto("/doc/system/sor?lang=en")
    impact = page.locator("#impact")
    group = impact.locator(".impact-group").filter(
        has=page.locator(".chain", has_text="Sundhedsjournalen")
    )
    members = group.first.locator(".members")
    for number in ("1.4", "2.2", "3.5", "4.3"):
        expect(members).to_contain_text(number + " ")
    expect(group.first.locator(".chain")).to_contain_text("Healthcare Organisation Register")
    impact.scroll_into_view_if_needed()
    shot(page, f"system-sor-impact-{size}")


@pytest.mark.parametrize("size", ["phone"])
def test_sor_page_is_short_on_a_phone_and_unfolds_every_chain(page: Page, size):
    """SOR's page was 8,366 px tall on a phone: its chains beyond the first three, and the list
    of initiatives affected, now unfold on request (<details>, no JavaScript)."""
    page.goto("/doc/system/sor?lang=da")
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height < 6000, height
    assert page.evaluate("document.documentElement.scrollWidth") <= SIZES[size]["width"]
    shot(page, "system-sor-phone-folded")
    groups = page.locator("#impact .impact-group")
    total = groups.count()
    more = page.locator("#impact details.more-chains").filter(has_text=str(total))
    expect(more.locator("summary")).to_contain_text(f"Vis alle {total} kæder")
    assert sum(g.is_visible() for g in groups.all()) == 3
    more.locator("summary").click()
    assert all(g.is_visible() for g in groups.all())


def test_planned_replacement_reads_as_planned_from_both_ends(page: Page, size):
    page.goto("/doc/standard/carecommunication?lang=en")
    expect(page.locator("#summary")).to_contain_text("is to replace XDIS91 — Planned, 31 May 2025")
    page.goto("/doc/standard/xdis91?lang=en")
    expect(page.locator("#summary")).to_contain_text("is to be replaced by CareCommunication")
    expect(page.locator("#summary")).to_contain_text("Planned")
    # the citation's long IRI wraps: the page never scrolls sideways on a phone
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]
    shot(page, f"standard-xdis91-{size}")


def test_fmk_network_shows_fmk_inside_its_frame(page: Page, size):
    page.goto("/doc/system/fmk?lang=en")
    frame = page.locator("#neighbourhood figure")
    if size == "phone":  # the network gives way to the list of paths
        expect(frame).to_be_hidden()
        expect(page.locator("#neighbourhood .narrow a")).to_be_visible()
        expect(page.locator("#impact .impact-group").first).to_be_visible()
    else:
        frame.scroll_into_view_if_needed()
        outer = frame.bounding_box()
        focus = page.locator("#neighbourhood g.node.focus")
        expect(focus).to_be_visible()
        assert inside(focus.bounding_box(), outer)
        for text in frame.locator("svg text").all():
            assert inside(text.bounding_box(), outer), text.text_content()
    shot(page, f"system-fmk-{size}")


def test_network_nodes_are_reached_by_keyboard(page: Page):
    page.goto("/doc/system/fmk?lang=en")
    page.locator("#neighbourhood").scroll_into_view_if_needed()
    for _ in range(200):
        page.keyboard.press("Tab")
        inside_svg = page.evaluate("document.activeElement.closest('svg') !== null")
        if inside_svg:
            break
    assert inside_svg, "no node of the network took the focus"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"


def test_search_ranks_sor_first_and_finds_ecpr(page: Page, size):
    page.goto("/?lang=en")
    page.locator("#site-q").fill("sor")
    page.locator("#site-q").press("Enter")
    first = page.locator("#search-results li.result").first
    expect(first.locator("a").first).to_have_attribute("href", re.compile(r"/doc/system/sor\b"))
    shot(page, f"search-sor-{size}")
    page.goto("/search?q=e-CPR&lang=en")
    first = page.locator("#search-results li.result").first
    expect(first.locator("a").first).to_have_attribute("href", re.compile(r"/doc/system/ecpr\b"))


def test_pictures_fit_a_phone_and_a_desktop(page: Page, size):
    page.goto("/pictures?lang=en&focus-area=2")
    if size == "phone":
        expect(page.locator("#network-list")).to_be_visible()
        expect(page.locator("#timeline-list")).to_be_visible()
    else:
        frame = page.locator("#network figure")  # keeps 12 px text, scrolls in its frame
        outer = frame.bounding_box()
        assert outer["width"] <= SIZES[size]["width"]
        width = frame.locator("svg").bounding_box()["width"]
        assert frame.evaluate("f => f.scrollWidth") >= width - 1
    shot(page, f"pictures-{size}")


ANSWER = "CONSTRUCT { ?s sg:develops ?o } WHERE { ?s sg:develops ?o ; sg:focusArea ?f }"
PICTURE_KINDS = {  # page, the picture's section, what stands for it where it gives way
    "network": ("/pictures?lang=en", "#network", "#network-list"),
    "neighbourhood": ("/doc/system/fmk?lang=en", "#neighbourhood", "#neighbourhood .narrow"),
    "timeline": ("/pictures?lang=en", "#timeline", "#timeline-list"),
    "portfolio": ("/pictures?lang=en", "#portfolio", None),
    "chart": (
        "/query?lang=en&query=" + quote(example("01-initiatives-per-focus-area")),
        "#query-chart",
        None,
    ),
    "answer": ("/query?lang=en&query=" + quote(ANSWER), "#answer-picture", None),
}


@pytest.mark.parametrize("kind", list(PICTURE_KINDS))
def test_no_label_of_a_picture_is_cut_off(page: Page, size, kind):
    """Every text of every picture lies inside its picture (none clipped by the viewBox); the
    page never scrolls sideways; where a picture gives way to a list on a phone, the list is
    there. The whole network keeps 12 px text (at least 11 CSS px at its displayed size)."""
    url, where, instead = PICTURE_KINDS[kind]
    page.goto(url)
    figures = page.locator(f"{where} figure, figure{where}")
    expect(figures.first).to_be_attached()
    shown = [f for f in figures.all() if f.is_visible()]
    if not shown:
        assert size == "phone" and instead, f"no {kind} picture on the {size}"
        expect(page.locator(instead)).to_be_visible()
    for figure in shown:
        figure.scroll_into_view_if_needed()
        svg = figure.locator("svg").first
        box = svg.bounding_box()
        texts = svg.locator("text").all()
        assert texts, kind
        for text in texts:
            assert inside(text.bounding_box(), box), (kind, text.text_content())
        view_width = svg.evaluate("s => s.viewBox.baseVal.width")
        if kind == "network":
            assert 12 * box["width"] / view_width >= 11, (box, view_width)
    assert page.evaluate("document.documentElement.scrollWidth") <= SIZES[size]["width"]
    SHOTS.mkdir(parents=True, exist_ok=True)
    (shown[0] if shown else page).screenshot(path=SHOTS / f"picture-{kind}-{size}.png")


def test_a_browser_at_sparql_lands_on_the_query_page(page: Page):
    page.goto("/sparql")
    expect(page).to_have_url(re.compile(r"/query$"))
    expect(page.locator("h1")).to_be_visible()


def test_dataset_page_shows_the_licence(page: Page, size):
    page.goto("/.well-known/void")
    expect(page).to_have_url(re.compile(r"/doc/dataset$"))
    expect(page.locator('#licence a[rel="license"]')).to_have_attribute(
        "href", "https://creativecommons.org/licenses/by/4.0/"
    )
    shot(page, f"dataset-{size}")

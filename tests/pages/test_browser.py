"""The pages in a real browser: Debian's chromium, headless, driven by Playwright.

`make test` installs chromium when it is missing. Screenshots of the main pages are kept in
test-artifacts/screenshots/ (or $SUNDHEDSGRAF_ARTIFACTS) for people to look at.
"""

import os
import re
from pathlib import Path

import pytest
from conftest import REPO
from playwright.sync_api import Page, expect, sync_playwright

CHROMIUM = "/usr/bin/chromium"
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


@pytest.fixture
def page(browser, server):
    context = browser.new_context(base_url=server.url, locale="da-DK")
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

"""The query page in a real browser (Debian's chromium through Playwright): the editor's
completion, running, sorting, the chart, errors in both languages, an example, the form without
JavaScript, axe-core's WCAG 2.1 A/AA rules and the keyboard alone. Screenshots go where
test_browser.py keeps its own."""

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect, sync_playwright
from test_browser import CHROMIUM, FLAGS, block, shot

from sundhedsgraf.pages.query_help import TEXT

FIRST = "SELECT ?s WHERE { ?s a sg:Initiative }"
WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


@pytest.fixture(scope="module")
def chromium():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium, server):
    """A page in Danish by default, asking nothing of other hosts, breaking no CSP rule."""
    context = chromium.new_context(base_url=server.url, locale="da-DK")
    tab = context.new_page()
    blocked, violations = [], []
    context.route(re.compile(r"^(?!" + re.escape(server.url) + ")"), lambda r: block(r, blocked))
    tab.on("console", lambda m: "Content Security Policy" in m.text and violations.append(m.text))
    yield tab
    assert blocked == [], f"the page asked for something not served by us: {blocked}"
    assert violations == [], f"the page broke its own Content-Security-Policy: {violations}"
    context.close()


def editor(page: Page):
    return page.locator("#query-form .cm-content")


def query_text(page: Page) -> str:
    return page.evaluate("document.getElementById('query').value")


def type_query(page: Page, text: str) -> None:
    editor(page).click()
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    page.keyboard.type(text)


def accept(page: Page) -> None:
    """Enter on the completion list, once CodeMirror takes it (it ignores an accept command for
    75 ms after the list changes, so that a list that just appeared is not taken by mistake)."""
    page.wait_for_timeout(200)
    page.keyboard.press("Enter")


def count(server, query: str) -> int:
    response = server.client.get("sparql", params={"query": query, "format": "json"})
    return len(response.json()["results"]["bindings"])


def numbers(page: Page, column: int) -> list[int]:
    cells = page.locator(f"#results tbody tr td:nth-child({column}) .literal").all_inner_texts()
    return [int(c) for c in cells]


def test_complete_run_sort_and_chart(page: Page, server):
    page.goto("/query?lang=en")
    editor(page).click()
    page.keyboard.type("SELECT ?owner (COUNT(?i) AS ?n) WHERE { ?i a sg:Initi")
    option = page.locator(".cm-tooltip-autocomplete li").filter(has_text="sg:Initiative")
    expect(option).to_be_visible()
    expect(option).to_contain_text("Initiative")  # its English label beside the name
    expect(page.locator(".cm-completionInfo")).to_contain_text("initiative")  # the definition
    shot(page, "query-editor-completion")
    accept(page)
    page.keyboard.type(" ; sg:own")
    label = page.locator(".cm-completionLabel", has_text=re.compile("^sg:owner$"))
    expect(page.locator(".cm-tooltip-autocomplete li").filter(has=label)).to_be_visible()
    accept(page)
    page.keyboard.type(" ?owner } GROUP BY ?owner")
    page.keyboard.press("Control+Enter")
    expect(page.locator("#results tbody tr").first).to_be_visible()
    assert query_text(page).startswith("PREFIX sg: <https://w3id.org/sundhedsgraf/def#>\n")
    owners = count(server, query_text(page))
    assert page.locator("#results tbody tr").count() == owners > 3
    assert "query=PREFIX" in page.url  # the query is in the URL, to share
    page.locator("#results th a", has_text="?n").click()
    expect(page.locator("#results th[aria-sort=ascending]")).to_contain_text("?n")
    assert numbers(page, 2) == sorted(numbers(page, 2))
    page.locator("#results th a", has_text="?n").click()
    expect(page.locator("#results th[aria-sort=descending]")).to_contain_text("?n")
    assert numbers(page, 2) == sorted(numbers(page, 2), reverse=True)
    chart = page.locator("#query-chart svg")
    expect(chart).to_be_visible()
    assert chart.locator("g.bar").count() == owners
    chart.scroll_into_view_if_needed()
    shot(page, "query-chart")


def test_the_first_query_a_user_types_gets_its_prefix(page: Page):
    page.goto("/query")
    type_query(page, FIRST)
    page.locator('#query-form [type="submit"]').click()
    expect(page.locator("#results tbody tr")).to_have_count(27)
    assert query_text(page) == "PREFIX sg: <https://w3id.org/sundhedsgraf/def#>\n" + FIRST
    expect(editor(page)).to_contain_text("PREFIX sg: <https://w3id.org/sundhedsgraf/def#>")
    expect(page.locator("#editor-status")).to_contain_text("PREFIX sg:")


def test_resources_complete_by_label_and_runs_are_remembered(page: Page):
    page.goto("/query?lang=en")
    editor(page).click()
    page.keyboard.type("SELECT ?initiative WHERE { ?initiative sg:uses medicinkort")
    option = page.locator(".cm-tooltip-autocomplete li").first  # the best hit of /search
    expect(option).to_contain_text("Shared Medication Record")  # found by its Danish name
    expect(option.locator(".cm-completionDetail")).to_have_text("sys:fmk")
    accept(page)
    page.keyboard.type(" }")
    expect(editor(page)).to_contain_text("sg:uses sys:fmk }")
    page.keyboard.press("Control+Enter")
    expect(page.locator("#results tbody tr").first).to_be_visible()
    assert "PREFIX sys: <https://w3id.org/sundhedsgraf/id/system/>" in query_text(page)
    # the run is in this browser's history, after a reload too, and loads back into the editor
    page.reload()
    entry = page.locator("#history-list button").first
    expect(entry).to_contain_text("sg:uses sys:fmk")
    type_query(page, "ASK {}")
    entry.click()
    assert "sg:uses sys:fmk" in query_text(page)


@pytest.mark.parametrize("lang", ["da", "en"])
def test_a_broken_query_shows_caret_and_hint(page: Page, lang):
    page.goto(f"/query?lang={lang}")
    type_query(page, "SELECT ?s WHERE {\n?s a sg:Initiative\n} LIMT 3")
    page.keyboard.press("Control+Enter")
    error = page.locator("#query-error")
    expect(error).to_be_visible()
    expect(error.locator("h2")).to_have_text(TEXT[lang]["syntax"])
    lines = query_text(page).split("\n")  # as run: with the PREFIX line, indented as typed
    line = next(n for n, text in enumerate(lines, 1) if "LIMT" in text)
    column = lines[line - 1].index("LIMT") + 1
    where = TEXT[lang]["where"].format(line=line, column=column)
    expect(error.locator(".where")).to_contain_text(where)
    expect(error.locator(".caret-view")).to_contain_text(lines[line - 1])
    expect(error.locator(".caret")).to_have_text(" " * (column - 1) + "^")
    hint = TEXT[lang]["h_keyword"].format(word="LIMT", keyword="LIMIT")
    expect(error.locator(".hint-text")).to_have_text(hint)
    expect(error.locator("details.raw .message")).to_be_hidden()  # the parser's words, folded
    error.locator("details.raw summary").click()
    expect(error.locator("details.raw .message")).to_contain_text("does not parse")
    shot(page, f"query-error-{lang}")


def test_run_an_example_and_follow_a_link(page: Page):
    page.goto("/query?lang=en")
    page.locator("#examples a").first.click()
    table = page.locator("#results")
    expect(table).to_be_visible()
    assert table.locator("tbody tr").count() == 5  # query 01: one row per focus area
    expect(page.locator("#examples .description").first).to_be_visible()
    href = table.locator("tbody a").first.get_attribute("href")
    assert href.startswith(page.url.split("/query")[0] + "/doc/"), href
    assert "SELECT" in query_text(page)
    shot(page, "query-example-results")
    table.locator("tbody a").first.click()
    expect(page.locator("h1")).not_to_be_empty()


def test_the_form_answers_without_javascript(chromium, server):
    context = chromium.new_context(base_url=server.url, java_script_enabled=False)
    blocked = []
    context.route(re.compile(r"^(?!" + re.escape(server.url) + ")"), lambda r: block(r, blocked))
    tab = context.new_page()
    tab.goto("/query?lang=en")
    expect(tab.locator("#query")).to_be_visible()  # the plain textarea
    tab.locator("#query").fill(FIRST)
    tab.locator('#query-form [type="submit"]').click()
    expect(tab.locator("#results tbody tr")).to_have_count(27)
    expect(tab.locator("#prefixes-added")).to_contain_text("PREFIX sg:")
    tab.locator("#results th a").first.click()
    expect(tab.locator("#results th[aria-sort]")).to_have_count(1)
    shot(tab, "query-no-javascript")
    context.close()
    assert blocked == []


def axe_violations(page: Page) -> list[str]:
    """axe-core's WCAG 2.1 A and AA violations on the page: rule, impact and where."""
    results = Axe().run(page, options=WCAG)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']]}"
        for v in results.response["violations"]
    ]


def test_the_page_passes_axe_wcag_21_aa(page: Page):
    page.goto("/query?lang=en")
    expect(editor(page)).to_be_visible()
    assert axe_violations(page) == []
    page.locator("#examples a").first.click()  # results, a chart, code
    expect(page.locator("#query-chart svg")).to_be_visible()
    assert axe_violations(page) == []
    type_query(page, "SELECT ?s WHERE { ?s ?p }")
    page.keyboard.press("Control+Enter")
    expect(page.locator("#query-error")).to_be_visible()
    assert axe_violations(page) == []


def focused(page: Page) -> str:
    """What has the focus: 'editor' for the editor's text, else a CSS-like name."""
    return page.evaluate(
        """() => {
        const a = document.activeElement;
        if (a && a.shadowRoot && a.shadowRoot.activeElement &&
            a.shadowRoot.activeElement.classList.contains('cm-content')) return 'editor';
        if (!a) return '';
        return a.tagName.toLowerCase() + (a.type ? '[' + a.type + ']' : '') +
            (a.closest('th') ? ' th' : '');
    }"""
    )


def tab_to(page: Page, target: str, limit: int = 60) -> None:
    for _ in range(limit):
        if focused(page) == target:
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {target}; last: {focused(page)}")


def test_the_keyboard_alone_suffices(page: Page):
    page.goto("/query?lang=en")
    tab_to(page, "editor")
    page.keyboard.type("SELECT ?s ?n WHERE { ?s sg:abbreviation ?n } ORDER BY ?n LIMIT 5")
    page.keyboard.press("End")
    page.keyboard.type("\n# sg:a")
    page.keyboard.press("Control+Space")  # nothing is completed in a comment
    expect(page.locator(".cm-tooltip-autocomplete")).to_have_count(0)
    page.keyboard.press("Enter")
    page.keyboard.type("sg:abbr")
    page.keyboard.press("Control+Space")
    expect(page.locator(".cm-tooltip-autocomplete li").first).to_be_visible()
    page.keyboard.press("Escape")
    page.keyboard.press("Tab")  # out of the editor: Tab is not taken by it
    assert focused(page) == "button[submit]"
    page.keyboard.press("Enter")
    expect(page.locator("#query-error")).to_be_visible()  # the dangling sg:abbr
    page.keyboard.press("Shift+Tab")  # back into the editor
    assert focused(page) == "editor"
    page.keyboard.press("Control+A")
    # Delete first: Chromium's own typing over a selection in an editable element tries a
    # style attribute, which the CSP blocks (harmless, but the fixture counts it)
    page.keyboard.press("Delete")
    page.keyboard.type("SELECT ?s ?n WHERE { ?s sg:abbreviation ?n } LIMIT 5")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.locator("#results tbody tr")).to_have_count(5)
    tab_to(page, "a th")
    page.keyboard.press("Enter")
    expect(page.locator("#results th[aria-sort=ascending]")).to_have_count(1)

"""The search box and search page in a real browser (Chromium through Playwright).

The site is built from this repository's content plus one paper whose title
is an HTML injection attempt, served from 127.0.0.1 by a plain threaded HTTP
server, and also opened from file://. Every test fails on a console error or
an uncaught page error.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from sitegen.cli import main as sitegen_main

ROOT = Path(__file__).parent.parent
XSS_TITLE = "Xsstrap: Prompt <img src=x onerror=window.__xss=1> injection in paper titles"
HALLUCINATION_TITLE = "Joint Evaluation of Answer and Reasoning Consistency for Hallucination Detection in Large Reasoning Models"
CONTEXT_TITLE = "Context-Alignment: Activating and Enhancing LLM Capabilities in Time Series"


@pytest.fixture(scope="module")
def site_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This repository's content plus a paper whose title tries to inject an <img>."""
    root = tmp_path_factory.mktemp("search-browser")
    shutil.copy(ROOT / "pyproject.toml", root / "pyproject.toml")
    shutil.copytree(ROOT / "content", root / "content")
    (root / "content" / "papers" / "xsstrap.md").write_text(
        "---\n"
        f"title: '{XSS_TITLE}'\n"
        "date: 2025-11-02\n"
        "tags:\n- safety\n"
        "---\n\n"
        "A title with markup must stay text wherever it is shown, including search results.\n",
        encoding="utf-8",
    )
    out = root / "site"
    assert sitegen_main(["build", "--root", str(root), "-o", str(out), "--set", f"theme_dir={ROOT / 'theme'}"]) == 0
    return out


@pytest.fixture(scope="module")
def base_url(site_dir: Path, static_server: Callable[[Path], str]) -> str:
    return static_server(site_dir)


@dataclass
class Tab:
    page: Any
    errors: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def context(browser: Any) -> Iterator[Any]:
    opened = browser.new_context(viewport={"width": 1100, "height": 900})
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def tab(context: Any) -> Iterator[Tab]:
    """A fresh page (own history); console errors and uncaught exceptions fail the test."""
    page = context.new_page()
    page.set_default_timeout(5000)
    opened = Tab(page)

    def on_console(message: Any) -> None:
        # Chromium asks every server for /favicon.ico by itself; the theme has none.
        if message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico"):
            opened.errors.append(f"console: {message.text} ({message.location.get('url')})")

    page.on("console", on_console)
    page.on("pageerror", lambda error: opened.errors.append(f"page error: {error}"))
    yield opened
    page.close()
    assert opened.errors == []


def results(page: Any) -> Any:
    return page.locator("#search-results > li")


def result_titles(page: Any) -> list[str]:
    titles: list[str] = page.locator("#search-results .paper-title").all_inner_texts()
    return titles


def wait_for_search(page: Any, query: str) -> None:
    """Until the page shows the results for `query` (the debounce has run)."""
    page.wait_for_function(
        "q => document.querySelector('#search-status').textContent.includes('\\u201c' + q + '\\u201d')", arg=query.strip()
    )


# --- the header box -----------------------------------------------------------------


def test_slash_focuses_header_box_and_enter_opens_search_page(tab: Tab, base_url: str) -> None:
    from playwright.sync_api import expect

    page = tab.page
    page.goto(base_url + "index.html")
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "site-search-q"
    page.keyboard.type("hallucination")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/search/index\.html\?q=hallucination$"), timeout=15_000)
    expect(results(page).first).to_be_visible()
    assert result_titles(page)[0] == HALLUCINATION_TITLE
    expect(page.locator("#search-results .paper-title").first.locator("mark")).to_have_text(["Hallucination"])
    expect(page.locator("#site-search-q")).to_have_value("hallucination")


def test_slash_is_typed_inside_fields(tab: Tab, base_url: str) -> None:
    page = tab.page
    page.goto(base_url + "tags/index.html")
    page.locator("#site-search-q").click()
    page.keyboard.type("a/b")
    assert page.locator("#site-search-q").input_value() == "a/b"


def test_header_box_is_labelled_search_form_on_every_page(tab: Tab, base_url: str) -> None:
    page = tab.page
    for path in ("index.html", "tags/index.html", "dates/index.html", "search/index.html"):
        page.goto(base_url + path)
        form = page.get_by_role("search", name="Site search")
        assert form.get_attribute("method") == "get"
        assert form.evaluate("form => form.action") == base_url + "search/index.html"
        assert page.get_by_label("Search papers").get_attribute("name") == "q"


# --- the search page ----------------------------------------------------------------


def test_results_appear_as_you_type(tab: Tab, base_url: str) -> None:
    from playwright.sync_api import expect

    page = tab.page
    page.goto(base_url + "search/index.html")
    assert page.evaluate("document.activeElement.id") == "site-search-q"
    expect(page.locator("#search-status")).to_contain_text("Type in the search box")
    page.keyboard.type("halluc")
    wait_for_search(page, "halluc")
    count = results(page).count()
    assert count >= 3
    expect(page.locator("#search-status")).to_have_text(f"{count} papers match \u201challuc\u201d.")
    assert page.locator("#search-status").get_attribute("aria-live") == "polite"
    assert result_titles(page)[0] == HALLUCINATION_TITLE
    marks = page.locator("#search-results mark").all_inner_texts()
    assert marks and all(mark.lower().startswith("halluc") for mark in marks)
    # Every card shows a snippet around its match, not just the abstract's opening.
    for excerpt in page.locator("#search-results .excerpt").all():
        assert excerpt.locator("mark").count() >= 1
        assert len(excerpt.inner_text()) <= 165
    page.wait_for_function("location.search === '?q=halluc'")
    assert page.title().startswith("\u201challuc\u201d")


def test_pasted_title_finds_that_paper_first(tab: Tab, base_url: str) -> None:
    page = tab.page
    page.goto(base_url + "search/index.html")
    page.locator("#site-search-q").fill(CONTEXT_TITLE)
    wait_for_search(page, CONTEXT_TITLE)
    assert result_titles(page)[0] == CONTEXT_TITLE


UNPARSEABLE = [
    ("title:", "Nothing to search for"),
    ("*", "Nothing to search for"),
    ("+", "Nothing to search for"),
    ('"', "Nothing to search for"),
    ("~", "Nothing to search for"),
    ("^2", ""),
    ("php:", "No papers match"),
    ("+graph title:", "instead of the query syntax"),
    ("the ", "too common"),
]


def test_unparseable_queries_explain_themselves(tab: Tab, base_url: str) -> None:
    page = tab.page
    page.goto(base_url + "search/index.html")
    box = page.locator("#site-search-q")
    for query, says in UNPARSEABLE:
        box.fill(query)
        page.wait_for_function("q => new URLSearchParams(location.search).get('q') === q", arg=query)
        status = page.locator("#search-status").inner_text()
        assert says in status and status.strip(), (query, status)


def test_tag_and_year_filters_narrow_and_go_in_the_url(tab: Tab, base_url: str) -> None:
    from playwright.sync_api import expect

    page = tab.page
    page.goto(base_url + "search/index.html?q=alignment")
    wait_for_search(page, "alignment")
    everything = results(page).count()
    tag = page.get_by_label("Tag", exact=True)
    assert tag.locator("option[value='surveys']").inner_text().startswith("surveys (")
    tag.select_option("surveys")
    expect(page).to_have_url(re.compile(r"\?q=alignment&tag=surveys$"), timeout=15_000)
    surveys = results(page).count()
    assert 0 < surveys < everything
    for card in results(page).all():
        assert "surveys" in card.locator(".tag").all_inner_texts()
    expect(page.locator("#search-status")).to_contain_text("tagged surveys")

    page.get_by_label("Year", exact=True).select_option("2023")
    expect(page).to_have_url(re.compile(r"\?q=alignment&tag=surveys&year=2023$"), timeout=15_000)
    assert 0 < results(page).count() <= surveys
    for stamp in page.locator("#search-results time").all():
        assert stamp.get_attribute("datetime").startswith("2023-")

    page.go_back()
    expect(page).to_have_url(re.compile(r"\?q=alignment&tag=surveys$"), timeout=15_000)
    expect(page.get_by_label("Year", exact=True)).to_have_value("")
    expect(results(page)).to_have_count(surveys)


def test_filters_alone_list_papers(tab: Tab, base_url: str) -> None:
    page = tab.page
    page.goto(base_url + "search/index.html?tag=surveys")
    page.wait_for_function("document.querySelectorAll('#search-results > li').length > 0")
    for card in results(page).all():
        assert "surveys" in card.locator(".tag").all_inner_texts()


def test_result_link_opens_the_paper(tab: Tab, base_url: str) -> None:
    from playwright.sync_api import expect

    page = tab.page
    page.goto(base_url + "search/index.html?q=honesty")
    wait_for_search(page, "honesty")
    first = page.locator("#search-results .paper-title a").first
    title = first.inner_text()
    assert first.get_attribute("href").startswith("../papers/")
    first.click()
    expect(page).to_have_url(re.compile(r"/papers/[a-z0-9-]+/index\.html$"), timeout=15_000)
    assert page.locator("h1").inner_text() == title


def test_query_in_the_address(tab: Tab, base_url: str) -> None:
    from playwright.sync_api import expect

    page = tab.page
    page.goto(base_url + "search/index.html?q=RL")
    wait_for_search(page, "RL")
    expect(page.locator("#site-search-q")).to_have_value("RL")
    assert "RL" in page.locator("#search-results mark").all_inner_texts()


def test_back_button_restores_the_previous_query(tab: Tab, base_url: str) -> None:
    from playwright.sync_api import expect

    page = tab.page
    page.goto(base_url + "search/index.html?q=halluc")
    wait_for_search(page, "halluc")
    box = page.locator("#site-search-q")
    box.click()
    page.keyboard.press("Control+A")
    page.keyboard.type("honesty")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"\?q=honesty$"), timeout=15_000)
    wait_for_search(page, "honesty")
    assert "Alignment for Honesty" in result_titles(page)

    page.go_back()
    expect(page).to_have_url(re.compile(r"\?q=halluc$"), timeout=15_000)
    expect(box).to_have_value("halluc")
    wait_for_search(page, "halluc")
    assert result_titles(page)[0] == HALLUCINATION_TITLE

    page.go_forward()
    expect(page).to_have_url(re.compile(r"\?q=honesty$"), timeout=15_000)
    expect(box).to_have_value("honesty")


def test_works_from_file_url(tab: Tab, site_dir: Path) -> None:
    from playwright.sync_api import expect

    page = tab.page
    page.goto((site_dir / "search" / "index.html").as_uri() + "?q=hallucination")
    wait_for_search(page, "hallucination")
    assert result_titles(page)[0] == HALLUCINATION_TITLE
    link = page.locator("#search-results .paper-title a").first
    page.get_by_label("Tag", exact=True).select_option("truthfulness")
    expect(page.locator("#search-status")).to_contain_text("tagged truthfulness")
    page.locator("#site-search-q").fill("honesty")
    wait_for_search(page, "honesty")
    link = page.locator("#search-results .paper-title a").first
    link.click()
    expect(page).to_have_url(re.compile(r"^file://.*/papers/[a-z0-9-]+/index\.html$"), timeout=15_000)


def test_markup_in_a_title_stays_text(tab: Tab, base_url: str) -> None:
    from playwright.sync_api import expect

    page = tab.page
    for query in ("xsstrap", "onerror"):
        page.goto(base_url + "search/index.html?q=" + query)
        wait_for_search(page, query)
        assert XSS_TITLE in result_titles(page)
        assert page.locator("#search-results img").count() == 0
        assert page.evaluate("typeof window.__xss") == "undefined"
    page.locator("#search-results .paper-title a").first.click()
    expect(page).to_have_url(re.compile(r"/papers/"), timeout=15_000)
    assert page.locator("h1").inner_text() == XSS_TITLE
    assert page.locator("main img").count() == 0
    assert page.evaluate("typeof window.__xss") == "undefined"


def test_without_javascript_the_page_says_so(browser: Any, base_url: str) -> None:
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(base_url + "search/index.html?q=alignment")
        notice = page.locator(".search-noscript")
        assert "needs JavaScript" in notice.inner_text()
        hrefs = [link.get_attribute("href") for link in notice.locator("a").all()]
        assert hrefs == ["../tags/index.html", "../dates/index.html"]
        assert page.locator("#search-filters").is_hidden()
    finally:
        context.close()

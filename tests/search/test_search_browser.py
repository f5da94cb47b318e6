"""The search box and search page in a real browser (Chromium through Playwright).

The site is built from this repository's content plus one paper whose title
is an HTML injection attempt and one with author names (one of them markup),
served from 127.0.0.1 by a plain threaded HTTP
server, and also opened from file://; the same project is built a second
time with its search index in 8 KiB shards, which the page loads one by one.
The Sort control is tested on the project of test_search_sort.py (papers
with comment and upvote counts), built whole and in 4 KiB shards.
Every test fails on a console error or an uncaught page error.
"""

from __future__ import annotations

import re
import shutil
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from lunr.stop_word_filter import WORDS as STOP_WORDS
from search_files import load_in_node, need_node, read_search
from search_files import vocabulary as site_vocabulary
from test_search_page import all_stems, load_texts
from test_search_sort import SORTS, expected_order, sort_project

from sitegen.cli import main as sitegen_main
from sitegen.search.lunr_index import stem, tokenize, trim

ROOT = Path(__file__).parents[2]
XSS_TITLE = "Xsstrap: Prompt <img src=x onerror=window.__xss=1> injection in paper titles"
HALLUCINATION_TITLE = "Joint Evaluation of Answer and Reasoning Consistency for Hallucination Detection in Large Reasoning Models"
CONTEXT_TITLE = "Context-Alignment: Activating and Enhancing LLM Capabilities in Time Series"
NAMED_TITLE = "Energy-Based Readers for Handwritten Cheques"
NAMED_AUTHORS = ["Yann LeCun", "Łukasz Kaiser", "Ada <b>Bold</b> Lovelace", "Geoffrey Hinton"]


SHARD_KIB = 8


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This repository's content plus a paper whose title tries to inject an <img>, and one with author names."""
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
    (root / "content" / "papers" / "energy-based-readers.md").write_text(
        "---\n"
        f"title: '{NAMED_TITLE}'\n"
        "date: 2025-11-03\n"
        "authors:\n" + "".join(f"- '{name}'\n" for name in NAMED_AUTHORS) +
        "keywords:\n- energy-based models\n"
        "---\n\n"
        "Cheques written by hand are read by a network trained end to end.\n",
        encoding="utf-8",
    )
    return root


def build(root: Path, out: Path, *settings: str) -> Path:
    overrides = [part for setting in (f"theme_dir={ROOT / 'sitegen' / 'theme'}", *settings) for part in ("--set", setting)]
    assert sitegen_main(["build", "--root", str(root), "-o", str(out), *overrides]) == 0
    return out


@pytest.fixture(scope="module")
def site_dir(project: Path) -> Path:
    site = build(project, project / "site")
    assert len(read_search(site)[0]["shards"]) == 1
    return site


@pytest.fixture(scope="module")
def sharded_dir(project: Path) -> Path:
    """The same project with its search index in shards of SHARD_KIB KiB."""
    site = build(project, project / "sharded", f"search_shard_kib={SHARD_KIB}")
    assert len(read_search(site)[0]["shards"]) >= 4
    return site


@pytest.fixture(scope="module")
def base_url(site_dir: Path, static_server: Callable[[Path], str]) -> str:
    return static_server(site_dir)


@pytest.fixture(scope="module")
def sharded_url(sharded_dir: Path, static_server: Callable[[Path], str]) -> str:
    return static_server(sharded_dir)


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


RESULTS = "#search-results > li, #search-results-some > li"
"""Every result card: those with every word of the query, then those with only some."""


def results(page: Any) -> Any:
    return page.locator(RESULTS)


def result_titles(page: Any) -> list[str]:
    titles: list[str] = results(page).locator(".paper-title").all_inner_texts()
    return titles


def wait_for_search(page: Any, query: str) -> None:
    """Until the page shows the results for `query` (the debounce has run) from every shard."""
    page.wait_for_function(
        "q => { const status = document.querySelector('#search-status').textContent;"
        " return status.includes('\\u201c' + q + '\\u201d') && !status.includes('Still loading') }",
        arg=query.strip(),
    )


def wait_for_results(page: Any) -> None:
    """Until the page has searched every shard for what the address or the boxes say."""
    page.wait_for_function(
        "() => { const status = document.querySelector('#search-status').textContent;"
        " return status !== '' && !status.includes('Still loading') }"
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
        wait_for_results(page)
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


def site_papers(site: Path) -> list[tuple[str, dict[str, Any]]]:
    """(ref, store entry) of every paper in site order (newest first), as the shards list them."""
    _, shards = read_search(site)
    return [pair for shard in shards for pair in zip(shard["refs"], shard["store"], strict=True)]


def js_key_order(keys: list[str]) -> list[str]:
    """The order Object.keys lists these keys in: array indexes ("7", "19") first, by value, then the rest as added."""
    indexes = [key for key in keys if re.fullmatch(r"0|[1-9][0-9]*", key)]
    return sorted(indexes, key=int) + [key for key in keys if key not in indexes]


@pytest.mark.parametrize("build_name", ["single", "sharded"])
@pytest.mark.parametrize(("name", "value"), [("tag", "reasoning"), ("tag", "surveys"), ("year", "2023")])
def test_filters_alone_list_papers_newest_first(
    tab: Tab, request: pytest.FixtureRequest, build_name: str, name: str, value: str
) -> None:
    """No words, only a filter: every paper it matches, in site order, not in the order of their refs as object keys."""
    site: Path = request.getfixturevalue("site_dir" if build_name == "single" else "sharded_dir")
    url: str = request.getfixturevalue("base_url" if build_name == "single" else "sharded_url")
    matching = [
        (ref, entry) for ref, entry in site_papers(site)
        if (value in entry.get("g", []) if name == "tag" else entry.get("d", "").startswith(value + "-"))
    ]
    expected = [entry["t"] for _, entry in matching]
    entry_of = dict(matching)
    assert [entry_of[ref]["t"] for ref in js_key_order(list(entry_of))] != expected, "the check cannot tell the orders apart"
    page = tab.page
    page.goto(f"{url}search/index.html?{name}={value}")
    wait_for_results(page)
    assert result_titles(page) == expected
    for card in results(page).all():
        if name == "tag":
            assert value in card.locator(".tag").all_inner_texts()
        else:
            assert card.locator("time").get_attribute("datetime").startswith(value + "-")


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


@pytest.mark.parametrize("build_name", ["single", "sharded"])
def test_typing_a_family_name_finds_the_paper_and_shows_its_authors(
    tab: Tab, request: pytest.FixtureRequest, build_name: str
) -> None:
    """The first three names under the title, the typed one marked, "et al." for the rest; markup in a name stays text."""
    from playwright.sync_api import expect

    url: str = request.getfixturevalue("base_url" if build_name == "single" else "sharded_url")
    page = tab.page
    page.goto(url + "search/index.html")
    page.keyboard.type("lecun")
    wait_for_search(page, "lecun")
    assert result_titles(page) == [NAMED_TITLE]
    authors = results(page).first.locator(".meta .authors")
    expect(authors).to_have_text(", ".join(NAMED_AUTHORS[:3]) + " et al.")
    expect(authors.locator("mark")).to_have_text(["LeCun"])
    assert page.locator("#search-results b").count() == 0

    page.locator("#site-search-q").fill("authors:kaiser")
    wait_for_search(page, "authors:kaiser")
    assert result_titles(page) == [NAMED_TITLE]
    expect(results(page).first.locator(".authors mark")).to_have_text(["Kaiser"])

    # A paper known by its author count shows no names.
    page.locator("#site-search-q").fill("honesty")
    wait_for_search(page, "honesty")
    assert "Alignment for Honesty" in result_titles(page)
    expect(page.locator("#search-results .authors")).to_have_count(0)


def test_search_tips_name_the_fields(tab: Tab, base_url: str) -> None:
    page = tab.page
    page.goto(base_url + "search/index.html")
    page.locator(".search-help summary").click()
    tips = page.locator(".search-help").inner_text()
    assert "authors:hinton" in tips and "keywords:diffusion" in tips and "title:reasoning" in tips


# --- a sharded index ----------------------------------------------------------------


def card_texts(page: Any) -> list[str]:
    texts: list[str] = results(page).all_inner_texts()
    return texts


def test_shards_are_searched_as_they_arrive(tab: Tab, sharded_dir: Path, sharded_url: str) -> None:
    """With only the newest shards in (up to the first with a paper that has the word), their papers show and the page
    says the rest is loading; then all show."""
    from playwright.sync_api import expect

    meta, shards = read_search(sharded_dir)
    through = next(number for number, shard in enumerate(shards) if "reason" in shard["terms"])
    assert through < len(shards) - 2
    newest = {entry["t"] for shard in shards[: through + 1] for entry in shard["store"]}
    early_files = {f"/search/shard-{number}.js" for number in range(through + 1)}
    held: list[Any] = []
    released = False

    def hold(route: Any) -> None:
        if released or any(route.request.url.endswith(file) for file in early_files):
            route.continue_()
        else:
            held.append(route)

    page = tab.page
    page.route("**/search/shard-*.js", hold)
    page.goto(sharded_url + "search/index.html?q=reasoning", wait_until="domcontentloaded")  # "load" waits for every shard
    status = page.locator("#search-status")
    count = sum(shard["count"] for shard in meta["shards"][: through + 1])
    expect(status).to_contain_text(f"Still loading: {count} of {meta['documents']} papers searched so far.")
    early = result_titles(page)
    assert early and set(early) <= newest
    assert held, "no shard was held back: the page did not wait for the others"

    released = True
    for route in held:
        route.continue_()
    wait_for_search(page, "reasoning")
    complete = result_titles(page)
    assert len(complete) > len(early)
    assert [title for title in complete if title in newest] == early
    expect(status).to_have_text(f"{len(complete)} papers match \u201creasoning\u201d.")


@pytest.mark.parametrize("address", ["search/index.html?q=reasoning", "search/index.html?q=halluc",
                                     "search/index.html?q=%2Bgraph%20-vision", "search/index.html?q=alignment&tag=surveys",
                                     "search/index.html?q=reasoning&sort=discussed", "search/index.html?tag=alignment&sort=newest"])
def test_sharded_index_shows_what_the_single_index_shows(tab: Tab, base_url: str, sharded_url: str, address: str) -> None:
    page = tab.page
    shown = []
    for url in (base_url, sharded_url):
        page.goto(url + address)
        wait_for_results(page)
        assert results(page).count() > 0
        options = page.locator("#search-filters option").all_inner_texts()
        shown.append((page.locator("#search-status").inner_text(), card_texts(page), options))
    assert shown[1] == shown[0]


def test_sharded_index_works_from_file_url(tab: Tab, site_dir: Path, sharded_dir: Path) -> None:
    """file:// refuses fetch: the shards come in as plain scripts there too."""
    page = tab.page
    shown = []
    for site in (site_dir, sharded_dir):
        page.goto((site / "search" / "index.html").as_uri() + "?q=hallucination")
        wait_for_search(page, "hallucination")
        shown.append((page.locator("#search-status").inner_text(), card_texts(page)))
    assert result_titles(page)[0] == HALLUCINATION_TITLE
    assert "could not be loaded" not in shown[1][0]
    assert shown[1] == shown[0]


def test_without_javascript_the_page_says_so(browser: Any, base_url: str) -> None:
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(base_url + "search/index.html?q=alignment")
        notice = page.locator(".search-noscript")
        assert "needs JavaScript" in notice.inner_text()
        hrefs = [link.get_attribute("href") for link in notice.locator("a").all()]
        assert hrefs == ["../papers/index.html", "../tags/index.html", "../dates/index.html"]  # every paper, for the browser's find
        assert page.locator("#search-filters").is_hidden()
        assert page.locator("#search-sort").is_hidden()
    finally:
        context.close()


# --- sorting ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sort_sites(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The project of test_search_sort.py (the rich site, with comment and upvote counts, plus pages made for
    ties and missing counts), built whole and in 4 KiB shards."""
    folder = tmp_path_factory.mktemp("search-sort-browser")
    root = sort_project(folder / "project")
    sites = {"single": build(root, folder / "single"), "sharded": build(root, folder / "sharded", "search_shard_kib=4")}
    assert len(read_search(sites["single"])[0]["shards"]) == 1
    assert len(read_search(sites["sharded"])[0]["shards"]) >= 4
    return sites


@pytest.fixture(scope="module")
def sort_urls(sort_sites: dict[str, Path], static_server: Callable[[Path], str]) -> dict[str, str]:
    return {name: static_server(site) for name, site in sort_sites.items()}


SORT_QUERY = "models"


@pytest.fixture(scope="module")
def sorted_refs(sort_sites: dict[str, Path]) -> dict[str, list[str]]:
    """The papers `SORT_QUERY` finds in each order: search()'s relevance order (in Node), sorted here in Python."""
    site = sort_sites["single"]
    store = dict(site_papers(site))
    (answer,) = load_in_node(need_node(), site, page=[{"query": SORT_QUERY}])["page"]
    relevance = [ref for ref, _ in answer["hits"]]
    orders = {sort: expected_order(relevance, store, sort) for sort in SORTS}
    assert len({tuple(order) for order in orders.values()}) == 3
    return orders


@pytest.fixture(scope="module")
def sorted_paths(sort_sites: dict[str, Path], sorted_refs: dict[str, list[str]]) -> dict[str, list[str]]:
    """The same, as the papers' paths (`papers/slug/`)."""
    store = dict(site_papers(sort_sites["single"]))
    return {sort: [store[ref]["u"] for ref in refs] for sort, refs in sorted_refs.items()}


def result_paths(page: Any) -> list[str]:
    """Each result's paper, as its path from the site root (`papers/slug/`): two papers may share a title."""
    hrefs = [link.get_attribute("href") for link in results(page).locator(".paper-title a").all()]
    assert all(href.startswith("../") and href.endswith("index.html") for href in hrefs), hrefs
    return [href[len("../") : -len("index.html")] for href in hrefs]


def sort_select(page: Any) -> Any:
    return page.get_by_label("Sort", exact=True)


def count_queries(page: Any) -> None:
    """From now on, window.__queries counts the lunr queries the page runs."""
    page.evaluate(
        "() => { window.__queries = 0; const query = lunr.Index.prototype.query;"
        " lunr.Index.prototype.query = function () { window.__queries++; return query.apply(this, arguments) } }"
    )


def test_sort_is_a_labelled_select_in_the_filters(tab: Tab, sort_urls: dict[str, str]) -> None:
    page = tab.page
    page.goto(sort_urls["single"] + f"search/index.html?q={SORT_QUERY}")
    wait_for_search(page, SORT_QUERY)
    group = page.get_by_role("group", name="Filter and sort results")
    select = group.get_by_role("combobox", name="Sort")
    assert select.evaluate("node => node.id") == "search-sort"
    assert select.locator("option").all_inner_texts() == ["Relevance", "Newest", "Most discussed"]
    assert select.input_value() == "relevance"


@pytest.mark.parametrize("build_name", ["single", "sharded"])
def test_choosing_a_sort_reorders_without_searching_again(
    tab: Tab, sort_urls: dict[str, str], sorted_paths: dict[str, list[str]], build_name: str
) -> None:
    from playwright.sync_api import expect

    page = tab.page
    page.goto(sort_urls[build_name] + f"search/index.html?q={SORT_QUERY}")
    wait_for_search(page, SORT_QUERY)
    assert result_paths(page) == sorted_paths["relevance"]
    status = page.locator("#search-status")
    count = len(sorted_paths["relevance"])
    expect(status).to_have_text(f"{count} papers match \u201c{SORT_QUERY}\u201d.")
    count_queries(page)
    for sort, note in (("newest", "newest first"), ("discussed", "most discussed first")):
        sort_select(page).select_option(sort)
        expect(page).to_have_url(re.compile(rf"\?q={SORT_QUERY}&sort={sort}$"), timeout=15_000)
        expect(status).to_have_text(f"{count} papers match \u201c{SORT_QUERY}\u201d, {note}.")
        assert result_paths(page) == sorted_paths[sort]
    sort_select(page).select_option("relevance")
    expect(page).to_have_url(re.compile(rf"\?q={SORT_QUERY}$"), timeout=15_000)
    assert result_paths(page) == sorted_paths["relevance"]
    assert page.evaluate("window.__queries") == 0, "changing the sort ran the search again"
    # A new query keeps the chosen sort.
    sort_select(page).select_option("discussed")
    page.locator("#site-search-q").fill("echo models")
    wait_for_search(page, "echo models")
    expect(page).to_have_url(re.compile(r"\?q=echo\+models&sort=discussed$"), timeout=15_000)
    assert page.evaluate("window.__queries") > 0, "the count of queries counts nothing"
    # The two papers with both words first, then the others, each group most discussed first.
    titles = result_titles(page)
    assert titles[:2] == ["Echo Models One", "Echo Models Two"]
    assert titles[2] == "Llama 2: Open Foundation and Fine-Tuned Chat Models"  # the most comments
    expect(page.locator("#search-status")).to_have_text(
        f"2 papers match all words of \u201cecho models\u201d; {len(titles) - 2} more match some, most discussed first."
    )


def test_reloading_the_address_restores_the_sort(tab: Tab, sort_urls: dict[str, str], sorted_paths: dict[str, list[str]]) -> None:
    from playwright.sync_api import expect

    page = tab.page
    page.goto(sort_urls["single"] + f"search/index.html?q={SORT_QUERY}")
    wait_for_search(page, SORT_QUERY)
    sort_select(page).select_option("discussed")
    expect(page).to_have_url(re.compile(r"&sort=discussed$"), timeout=15_000)
    page.reload()
    wait_for_search(page, SORT_QUERY)
    expect(sort_select(page)).to_have_value("discussed")
    assert result_paths(page) == sorted_paths["discussed"]
    # A shared address opens as it was; an unknown sort is relevance.
    page.goto(sort_urls["single"] + f"search/index.html?sort=newest&q={SORT_QUERY}")
    wait_for_search(page, SORT_QUERY)
    expect(sort_select(page)).to_have_value("newest")
    assert result_paths(page) == sorted_paths["newest"]
    page.goto(sort_urls["single"] + f"search/index.html?q={SORT_QUERY}&sort=oldest")
    wait_for_search(page, SORT_QUERY)
    expect(sort_select(page)).to_have_value("relevance")
    assert result_paths(page) == sorted_paths["relevance"]


def test_back_and_forward_restore_the_sort(tab: Tab, sort_urls: dict[str, str], sorted_paths: dict[str, list[str]]) -> None:
    from playwright.sync_api import expect

    page = tab.page
    page.goto(sort_urls["single"] + f"search/index.html?q={SORT_QUERY}")
    wait_for_search(page, SORT_QUERY)
    sort_select(page).select_option("newest")
    expect(page).to_have_url(re.compile(r"&sort=newest$"), timeout=15_000)
    sort_select(page).select_option("discussed")
    expect(page).to_have_url(re.compile(r"&sort=discussed$"), timeout=15_000)
    for step, sort in ((page.go_back, "newest"), (page.go_back, "relevance"), (page.go_forward, "newest"),
                       (page.go_forward, "discussed")):
        step()
        suffix = "" if sort == "relevance" else f"&sort={sort}"
        expect(page).to_have_url(re.compile(rf"\?q={SORT_QUERY}{re.escape(suffix)}$"), timeout=15_000)
        expect(sort_select(page)).to_have_value(sort)
        assert result_paths(page) == sorted_paths[sort], sort


def test_sort_works_from_the_keyboard(tab: Tab, sort_urls: dict[str, str], sorted_paths: dict[str, list[str]]) -> None:
    from playwright.sync_api import expect

    page = tab.page
    page.goto(sort_urls["single"] + f"search/index.html?q={SORT_QUERY}")
    wait_for_search(page, SORT_QUERY)
    page.get_by_label("Year", exact=True).focus()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "search-sort"
    page.keyboard.press("ArrowDown")
    expect(page).to_have_url(re.compile(r"&sort=newest$"), timeout=15_000)
    assert result_paths(page) == sorted_paths["newest"]
    page.keyboard.press("ArrowDown")
    expect(page).to_have_url(re.compile(r"&sort=discussed$"), timeout=15_000)
    assert result_paths(page) == sorted_paths["discussed"]
    assert page.evaluate("document.activeElement.id") == "search-sort", "re-sorting moved the focus"


def test_cards_show_the_counts_as_listing_cards_do(tab: Tab, sort_urls: dict[str, str]) -> None:
    page = tab.page
    page.goto(sort_urls["single"] + "search/index.html?q=llama")
    wait_for_search(page, "llama")
    card = results(page).first
    assert card.locator(".paper-title").inner_text() == "Llama 2: Open Foundation and Fine-Tuned Chat Models"
    assert card.locator(".meta .comments").inner_text() == "20 comments"
    assert card.locator(".meta .upvotes").inner_text() == "252 upvotes"
    assert card.locator(".meta").inner_text().endswith("20 comments · 252 upvotes")
    # The same meta line as the paper's card in the month's listing.
    shown = card.locator(".meta").inner_text()
    page.goto(sort_urls["single"] + "dates/2023/07/index.html")
    listed = page.locator(".paper-card", has=page.get_by_role("link", name="Llama 2: Open Foundation and Fine-Tuned Chat Models"))
    assert listed.locator(".meta").inner_text() == shown

    page.goto(sort_urls["single"] + "search/index.html?q=title:quoted")
    wait_for_search(page, "title:quoted")
    meta = results(page).first.locator(".meta")
    assert meta.locator(".comments").inner_text() == "0 comments"  # 0 is a count
    assert meta.locator(".upvotes").inner_text() == "12 upvotes"
    for query, title, comments, upvotes in (("tiny reasoners", "Tiny Reasoners Can Count & Compare <Numbers>", "2 comments", None),
                                            ("liked", "Liked Models Nobody Discussed", None, "300 upvotes"),
                                            ("quiet", "Quiet Models", None, None),
                                            ("thoughts", "Tree of Thoughts: Deliberate Problem Solving with Large Language Models",
                                             "1 comment", "15 upvotes")):
        page.locator("#site-search-q").fill(query)
        wait_for_search(page, query)
        card = results(page).first
        assert card.locator(".paper-title").inner_text() == title
        for kind, text in (("comments", comments), ("upvotes", upvotes)):
            counts = card.locator(f".meta .{kind}")
            assert (counts.inner_text() if counts.count() else None) == text, (title, kind)


@pytest.mark.parametrize("build_name", ["single", "sharded"])
@pytest.mark.parametrize("address", ["tag=reasoning", "tag=benchmarks", "year=2024"])
def test_filter_listings_follow_the_sort(
    tab: Tab, sort_sites: dict[str, Path], sort_urls: dict[str, str], build_name: str, address: str
) -> None:
    """A tag or a year without words lists every paper it matches, in the chosen order."""
    name, value = address.split("=")
    papers = site_papers(sort_sites["single"])
    store = dict(papers)
    matching = [ref for ref, entry in papers
                if (value in entry.get("g", []) if name == "tag" else entry.get("d", "").startswith(value + "-"))]
    assert len(matching) >= 3
    page = tab.page
    shown = []
    for sort in SORTS:
        page.goto(f"{sort_urls[build_name]}search/index.html?{address}&sort={sort}")
        wait_for_results(page)
        assert sort_select(page).input_value() == sort
        expected = [store[ref]["u"] for ref in expected_order(matching, store, sort)]
        assert result_paths(page) == expected, sort
        shown.append(expected)
    assert shown[2] != shown[0], "most discussed should differ from site order here"


@pytest.mark.parametrize("sort", ["newest", "discussed"])
def test_sorted_results_are_right_once_every_shard_is_in(
    tab: Tab, sort_sites: dict[str, Path], sort_urls: dict[str, str], sorted_refs: dict[str, list[str]], sort: str
) -> None:
    """The newest shards' hits show first, in the chosen order; as the others arrive the merged results are sorted again."""
    from playwright.sync_api import expect

    meta, shards = read_search(sort_sites["sharded"])
    first = 2  # the newest shard is a single paper that does not say "models"
    newest = {ref for shard in shards[:first] for ref in shard["refs"]}
    path_of = dict(zip((ref for shard in shards for ref in shard["refs"]),
                       (entry["u"] for shard in shards for entry in shard["store"]), strict=True))

    def expected(sort: str, refs: set[str] | None = None) -> list[str]:
        return [path_of[ref] for ref in sorted_refs[sort] if refs is None or ref in refs]

    held: list[Any] = []
    released = False

    def hold(route: Any) -> None:
        if released or any(route.request.url.endswith(f"/search/shard-{number}.js") for number in range(first)):
            route.continue_()
        else:
            held.append(route)

    page = tab.page
    page.route("**/search/shard-*.js", hold)
    other = "discussed" if sort == "newest" else "newest"
    page.goto(sort_urls["sharded"] + f"search/index.html?q={SORT_QUERY}&sort={other}", wait_until="domcontentloaded")
    status = page.locator("#search-status")
    arrived = sum(shard["count"] for shard in meta["shards"][:first])
    loading = f"Still loading: {arrived} of {meta['documents']} papers searched so far."
    expect(status).to_contain_text(loading)
    early = result_paths(page)
    assert early == expected(other, newest)
    assert len(early) >= 2, "the newest shards have too few hits for the check to show anything"
    # Choosing another sort while shards load re-sorts what is in, and the status still says the rest is coming.
    sort_select(page).select_option(sort)
    expect(page).to_have_url(re.compile(rf"&sort={sort}$"), timeout=15_000)
    expect(status).to_contain_text(loading)
    assert result_paths(page) == expected(sort, newest)
    assert held, "no shard was held back: the page did not wait for the others"

    released = True
    for route in held:
        route.continue_()
    wait_for_search(page, SORT_QUERY)
    assert result_paths(page) == expected(sort)
    expect(sort_select(page)).to_have_value(sort)
    note = "newest first" if sort == "newest" else "most discussed first"
    expect(status).to_have_text(f"{len(sorted_refs[sort])} papers match \u201c{SORT_QUERY}\u201d, {note}.")


# --- filter counts, all words first, the status line, the box on a phone ----------------------


def option_labels(page: Any, label: str) -> list[str]:
    labels: list[str] = page.get_by_label(label, exact=True).locator("option").all_inner_texts()
    return labels


def year_of(entry: dict[str, Any]) -> str:
    return entry["d"][:4] if "d" in entry else "undated"


def expected_labels(papers: list[tuple[str, dict[str, Any]]], tag: str = "", year: str = "") -> tuple[list[str], list[str]]:
    """The Tag and Year options as the page should label them for ``papers``: each filter counted with the other applied."""
    tags = Counter(name for _, entry in papers if not year or year_of(entry) == year for name in entry.get("g", []))
    years = Counter(year_of(entry) for _, entry in papers if not tag or tag in entry.get("g", []))
    every_tag = sorted({name for _, entry in papers for name in entry.get("g", [])})
    dated = sorted({year_of(entry) for _, entry in papers} - {"undated"}, reverse=True)
    every_year = dated + (["undated"] if "undated" in {year_of(entry) for _, entry in papers} else [])
    return (["All tags", *(f"{name} ({tags[name]})" for name in every_tag)],
            ["All years", *(f"{'Undated' if name == 'undated' else name} ({years[name]})" for name in every_year)])


def show_every_result(page: Any) -> None:
    more = page.locator("#search-more")
    while more.is_visible():
        more.click()


def test_filter_counts_are_the_whole_archive_before_anything_is_typed(tab: Tab, sharded_dir: Path, sharded_url: str) -> None:
    """No words: each option counts the archive's papers, from search/index.js alone (no shard has arrived)."""
    from playwright.sync_api import expect

    papers = site_papers(sharded_dir)
    held: list[Any] = []
    released = False

    def hold(route: Any) -> None:
        if released:
            route.continue_()
        else:
            held.append(route)

    page = tab.page
    page.route("**/search/shard-*.js", hold)
    page.goto(sharded_url + "search/index.html", wait_until="domcontentloaded")
    expect(page.locator("#search-status")).to_contain_text("Type in the search box")
    tags, years = expected_labels(papers)
    assert f"safety ({sum('safety' in entry.get('g', []) for _, entry in papers)})" in tags
    assert option_labels(page, "Tag") == tags
    assert option_labels(page, "Year") == years
    assert held and page.evaluate("window.SITEGEN_SEARCH_SHARDS === undefined"), "a shard was read"
    # A filter without words: the other filter's counts are of the papers it leaves, still before any shard.
    page.get_by_label("Tag", exact=True).select_option("safety")
    expect(page).to_have_url(re.compile(r"\?tag=safety$"), timeout=15_000)
    assert option_labels(page, "Year") == expected_labels(papers, tag="safety")[1]
    page.get_by_label("Year", exact=True).select_option("2024")
    assert option_labels(page, "Tag") == expected_labels(papers, year="2024")[0]
    assert option_labels(page, "Year") == expected_labels(papers, tag="safety")[1]

    released = True
    for route in held:
        route.continue_()
    wait_for_results(page)
    assert option_labels(page, "Tag") == expected_labels(papers, year="2024")[0]
    # With words, the counts are over the results, as before.
    page.goto(sharded_url + "search/index.html?q=alignment")
    wait_for_search(page, "alignment")
    show_every_result(page)
    cards = results(page).all()
    assert 0 < len(cards) < len(papers)
    card_tags = Counter(tag for card in cards for tag in card.locator(".tag").all_inner_texts())
    card_years = Counter(
        card.locator("time").get_attribute("datetime")[:4] if card.locator("time").count() else "Undated" for card in cards
    )
    assert label_counts(option_labels(page, "Tag")) == card_tags
    assert label_counts(option_labels(page, "Year")) == card_years


def label_counts(labels: list[str]) -> dict[str, int]:
    """{name: n} of the options labelled "name (n)" with n > 0."""
    counts = {}
    for label in labels[1:]:
        match = re.fullmatch(r"(.+) \((\d+)\)", label)
        assert match is not None, label
        if int(match.group(2)):
            counts[match.group(1)] = int(match.group(2))
    return counts


def every_word_refs(site: Path, project: Path, query: str) -> set[str]:
    """The papers with every word of a plain-words ``query``, worked out in Python from the papers' own text.

    A word is the stem of a query word that is no stop word; the last one, while being typed, also counts as the
    start of a longer word of the paper, or, if no word of the site starts with it, as its longest stem there.
    """
    vocabulary = site_vocabulary(read_search(site)[1])
    store = dict(site_papers(site))
    texts = load_texts(project, store)
    words = [word for word in (trim(token) for token in tokenize(query)) if word]
    assert not any(":" in word for word in words)
    typing = query[-1].isalnum()
    required = [word for word in words if word not in STOP_WORDS]

    def has(terms: set[str], word: str) -> bool:
        if stem(word) in terms:
            return True
        if not (typing and word == words[-1]):
            return False
        if any(term.startswith(word) for term in vocabulary):
            return any(term.startswith(word) for term in terms)
        stand = next((word[:end] for end in range(len(word) - 1, 3, -1) if word[:end] in vocabulary), None)
        return stand in terms

    return {ref for ref in store if all(has(all_stems(texts[ref]), word) for word in required)}


def group_paths(page: Any) -> tuple[list[str], list[str]]:
    """The papers listed under "Matching all words" and under "Matching some of the words", by path."""
    lists = []
    for selector in ("#search-results", "#search-results-some"):
        hrefs = [link.get_attribute("href") for link in page.locator(f"{selector} .paper-title a").all()]
        lists.append([href[len("../") : -len("index.html")] for href in hrefs])
    return lists[0], lists[1]


@pytest.mark.parametrize("build_name", ["single", "sharded"])
def test_papers_with_every_word_come_first_under_their_own_heading(
    tab: Tab, request: pytest.FixtureRequest, project: Path, build_name: str
) -> None:
    """A pasted title: its paper, the one with all its words, then the rest under "Matching some of the words"."""
    from playwright.sync_api import expect

    site: Path = request.getfixturevalue("site_dir" if build_name == "single" else "sharded_dir")
    url: str = request.getfixturevalue("base_url" if build_name == "single" else "sharded_url")
    store = dict(site_papers(site))
    every = every_word_refs(site, project, CONTEXT_TITLE)
    (answer,) = load_in_node(need_node(), site, page=[{"query": CONTEXT_TITLE}])["page"]
    relevance = [ref for ref, _ in answer["hits"]]
    assert every <= set(relevance) and len(every) == 1 and 1 < len(relevance) < 50
    status = f"1 paper matches all words of \u201c{CONTEXT_TITLE}\u201d; {len(relevance) - 1} more match some"

    def expected(sort: str) -> tuple[list[str], list[str]]:
        order = expected_order(relevance, store, sort)
        return ([store[ref]["u"] for ref in order if ref in every], [store[ref]["u"] for ref in order if ref not in every])

    page = tab.page
    page.goto(url + "search/index.html")
    page.locator("#site-search-q").fill(CONTEXT_TITLE)
    wait_for_search(page, CONTEXT_TITLE)
    expect(page.locator("#search-status")).to_have_text(status + ".")
    assert group_paths(page) == expected("relevance")
    assert result_titles(page)[0] == CONTEXT_TITLE
    expect(page.locator("#search-every-heading")).to_be_visible()
    expect(page.locator("#search-every-heading")).to_have_text("Matching all words")
    expect(page.locator("#search-some-heading")).to_be_visible()
    expect(page.locator("#search-some-heading")).to_have_text("Matching some of the words")
    expect(page.get_by_role("list", name="Matching some of the words").locator("> li")).to_have_count(len(relevance) - 1)
    # Under the group headings (h2), each paper's title is an h3.
    assert set(results(page).locator(".paper-title").evaluate_all("nodes => nodes.map(node => node.tagName)")) == {"H3"}

    # Sorting orders each group; the address still says it all.
    for sort, note in (("newest", "newest first"), ("discussed", "most discussed first")):
        sort_select(page).select_option(sort)
        expect(page).to_have_url(re.compile(rf"&sort={sort}$"), timeout=15_000)
        expect(page.locator("#search-status")).to_have_text(f"{status}, {note}.")
        assert group_paths(page) == expected(sort), sort
    page.reload()
    wait_for_search(page, CONTEXT_TITLE)
    expect(page.locator("#search-status")).to_have_text(status + ", most discussed first.")
    assert group_paths(page) == expected("discussed")

    # When every paper found has every word, one list, no headings.
    page.locator("#site-search-q").fill("halluc")
    wait_for_search(page, "halluc")
    expect(page.locator("#search-status")).to_have_text(re.compile(r"^\d+ papers match \u201challuc\u201d, most discussed first\.$"))
    expect(page.locator("#search-every-heading")).to_be_hidden()
    expect(page.locator("#search-some-heading")).to_be_hidden()
    expect(page.locator("#search-results-some > li")).to_have_count(0)
    assert set(results(page).locator(".paper-title").evaluate_all("nodes => nodes.map(node => node.tagName)")) == {"H2"}


def papers_phrase(count: int, adjective: str = "") -> str:
    return f"{'No' if count == 0 else count} {adjective}{'paper' if count == 1 else 'papers'}"


def test_the_status_line_reads_naturally(tab: Tab, site_dir: Path, base_url: str, project: Path) -> None:
    """Words only, a tag only, a year only, words and filters; no paper, one, many."""
    from playwright.sync_api import expect

    papers = site_papers(site_dir)

    def listed(tag: str = "", year: str = "") -> int:
        return sum((not tag or tag in entry.get("g", [])) and (not year or year_of(entry) == year) for _, entry in papers)

    (answer,) = load_in_node(need_node(), site_dir, page=[{"query": "reward model", "tag": "safety", "year": "2025"}])["page"]
    found = {ref for ref, _ in answer["hits"]}
    every = len(every_word_refs(site_dir, project, "reward model") & found)
    some = len(found) - every
    assert 0 < every < len(found), "the case should have papers with both words and papers with one"
    both = (f"{papers_phrase(every)} match{'es' if every == 1 else ''} all words of \u201creward model\u201d in 2025,"
            f" tagged safety; {some} more match{'es' if some == 1 else ''} some.")
    assert listed(tag="safety") > 1 and listed(year="undated") > 1 and listed(tag="safety", year="2025") > 1
    cases = [
        ("tag=safety", f"{listed(tag='safety')} papers tagged safety."),
        ("year=2024", f"{listed(year='2024')} papers from 2024."),
        ("tag=safety&year=2025", f"{listed(tag='safety', year='2025')} papers from 2025 tagged safety."),
        ("year=undated", f"{listed(year='undated')} undated papers."),
        ("tag=safety&year=2025&sort=newest", f"{listed(tag='safety', year='2025')} papers from 2025 tagged safety, newest first."),
        ("q=xsstrap", "1 paper matches \u201cxsstrap\u201d."),
        ("q=xsstrap&year=2025", "1 paper matches \u201cxsstrap\u201d in 2025."),
        ("q=xsstrap&tag=safety&year=2025", "1 paper matches \u201cxsstrap\u201d in 2025, tagged safety."),
        ("q=xsstrap&year=2024", "No papers match \u201cxsstrap\u201d in 2024."),
        ("q=xsstrap&year=undated", "No undated papers match \u201cxsstrap\u201d."),
        ("q=xylophone", "No papers match \u201cxylophone\u201d."),
        ("q=reward%20model&tag=safety&year=2025", both),
    ]
    page = tab.page
    for address, sentence in cases:
        page.goto(f"{base_url}search/index.html?{address}")
        wait_for_results(page)
        expect(page.locator("#search-status")).to_have_text(sentence)


def test_a_long_pasted_title_stays_in_sight_on_a_phone(tab: Tab, base_url: str) -> None:
    """At 375 px the search page's box wraps a pasted title over lines, all of it visible, and nothing scrolls sideways."""
    from playwright.sync_api import expect

    page = tab.page
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(base_url + "search/index.html")
    box = page.locator("#site-search-q")
    box.fill(HALLUCINATION_TITLE)
    wait_for_search(page, HALLUCINATION_TITLE)
    assert result_titles(page)[0] == HALLUCINATION_TITLE

    def measure() -> dict[str, float]:
        found: dict[str, float] = box.evaluate(
            "box => { const rect = box.getBoundingClientRect(); const style = getComputedStyle(box);"
            " return {scrollWidth: box.scrollWidth, clientWidth: box.clientWidth, scrollHeight: box.scrollHeight,"
            " clientHeight: box.clientHeight, left: rect.left, right: rect.right, lineHeight: parseFloat(style.lineHeight),"
            " pageWidth: document.documentElement.scrollWidth, viewport: window.innerWidth} }"
        )
        return found

    phone = measure()
    assert phone["scrollWidth"] <= phone["clientWidth"], phone
    assert phone["scrollHeight"] <= phone["clientHeight"], phone  # every line in sight, none scrolled away
    assert phone["clientHeight"] >= 3 * phone["lineHeight"], phone  # the title wraps
    assert 0 <= phone["left"] and phone["right"] <= phone["viewport"], phone
    assert phone["pageWidth"] <= phone["viewport"], phone
    # The box has the header's whole row.
    assert phone["right"] - phone["left"] > 0.6 * phone["viewport"], phone

    # Line breaks pasted with a title become spaces, and Enter searches.
    box.fill("Joint Evaluation of Answer\nand Reasoning Consistency")
    expect(box).to_have_value("Joint Evaluation of Answer and Reasoning Consistency")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"\?q=Joint\+Evaluation\+of\+Answer\+and\+Reasoning\+Consistency$"), timeout=15_000)
    assert box.input_value() == "Joint Evaluation of Answer and Reasoning Consistency"

    # On a wider phone the same text takes fewer lines; on a desktop it is still all in sight.
    box.fill(HALLUCINATION_TITLE)
    page.set_viewport_size({"width": 600, "height": 800})
    page.wait_for_function("h => document.querySelector('#site-search-q').clientHeight < h", arg=phone["clientHeight"])
    for width in (600, 1100):
        page.set_viewport_size({"width": width, "height": 800})
        page.wait_for_function("() => { const box = document.querySelector('#site-search-q');"
                               " return box.scrollHeight <= box.clientHeight && box.scrollWidth <= box.clientWidth }")
        wide = measure()
        assert wide["pageWidth"] <= wide["viewport"] == width, wide

"""The site is accessible: static checks on every page, and checks in Chromium on a sample of every kind of page.

Two sites are built (tests/a11y.py ``built_site``): the repository's seed and the rich fixture site
(author names, arXiv ids, organisations, code links, an undated page, pagination). The kinds of page
are found in the output (``a11y.page_kinds``: the home page and its pages, papers, tags, dates, years,
months, undated, search, 404, and any kind added later), never listed here.

- Static (html5lib's DOM of every HTML file): lang, one <h1>, no skipped heading level, landmarks
  (one main, banner and contentinfo; several navs each named, names distinct), a name for every link,
  button and control, alt on images, a title and role on charts, no positive tabindex, the skip link
  to <main> first in the tab order, rel="noopener" on links that leave the site.
- In Chromium (``a11y.survey`` of the sample: the first page of each kind, the pages that show
  elements or classes the others do not, the page with the longest word; the search page also with
  a query, so its results are there): WCAG text contrast in light and dark, details closed and open;
  a visible focus indicator on one element of every kind, reached with Tab (light) or focused after
  a Tab (dark); the skip link moves the focus into <main>; no horizontal scrolling at 320 CSS px; and
  the static checks again on the DOM as the scripts leave it (search results, the copy button).

Each family ends with guard tests that feed a broken snippet to the same functions.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import a11y
import linkcheck
import pytest

from sitegen.config import load_config


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Path]]:
    folder = tmp_path_factory.getbasetemp() / "a11y-sites"
    return {name: a11y.built_site(name, folder) for name in a11y.SITES}


@pytest.fixture(scope="module")
def pages(sites: dict[str, tuple[Path, Path]]) -> dict[str, dict[str, a11y.Doc]]:
    return {name: a11y.load_pages(out) for name, (_, out) in sites.items()}


def report(problems: dict[str, list[str]]) -> str:
    return "\n".join(f"{where}: {problem}" for where, found in problems.items() for problem in found)


# --- static checks, every page ------------------------------------------------------------


@pytest.mark.parametrize("name", a11y.SITES)
def test_every_page_passes_the_static_checks(name: str, pages: dict[str, dict[str, a11y.Doc]]) -> None:
    problems = {path: a11y.page_problems(doc) for path, doc in pages[name].items()}
    assert not any(problems.values()), report(problems)


@pytest.mark.parametrize("name", a11y.SITES)
def test_the_sample_shows_every_kind_of_page_and_all_they_are_made_of(name: str, pages: dict[str, dict[str, a11y.Doc]]) -> None:
    chosen = a11y.sample(pages[name])
    assert set(chosen) == set(a11y.page_kinds(pages[name]))
    assert a11y.unseen_features(pages[name], chosen) == {}
    kinds = set(chosen)
    # What the brief of these tests names must be among the kinds found (more may come).
    assert {"index.html", "page/#/index.html", "papers/*/index.html", "tags/index.html", "tags/*/index.html"} <= kinds
    assert {"dates/index.html", "dates/#/index.html", "dates/#/#/index.html", "dates/undated/index.html", "404.html"} <= kinds
    assert any(kind.startswith("search/") for kind in kinds)
    if name == "rich":  # arXiv links, title searches, folded author names and the Cite block are all sampled
        shown = set().union(*(a11y.features(pages[name][path]) for path in chosen["papers/*/index.html"]))
        assert {"a.arxiv", "a.search", "details.more-authors", "section.cite"} <= shown
        assert any(feature.endswith(".author-names") for feature in shown)


# --- guard the static checks ----------------------------------------------------------------

GOOD = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>A page</title></head>
<body>
<a class="skip-link" href="#main">Skip to content</a>
<header><nav aria-label="Site"><a href="index.html">Papers</a></nav>
<form role="search" aria-label="Site search"><label for="q">Search</label><input id="q" type="search"><button>Go</button></form></header>
<main id="main" tabindex="-1">
<h1>Title</h1>
<section aria-labelledby="s"><h2 id="s">Section</h2><h3>Sub</h3><p><a href="https://example.org/" rel="noopener">Out</a></p>
<img src="x.png" alt=""><svg role="img" aria-labelledby="c"><title id="c">Chart</title><a href="m.html" aria-label="May: 2 papers"><rect/></a></svg>
<a href="p.html" aria-label="arXiv: A paper">arXiv</a> <button type="button"><span aria-hidden="true">×</span><span class="visually-hidden">Close</span></button>
<nav aria-label="Pages"><a href="2.html">2</a></nav></section>
</main>
<footer><p>Footer</p></footer>
</body></html>"""


def static(page: str) -> list[str]:
    return a11y.page_problems(a11y.parse(page))


def test_guard_a_good_page_passes() -> None:
    assert static(GOOD) == []


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ('<html lang="en">', "<html>", "<html> has no lang"),
        ("<title>A page</title>", "<title></title>", "no <title>"),
        ("<h3>Sub</h3>", "<h4>Sub</h4>", "heading level skipped: <h4> 'Sub' follows <h2>"),
        ("<h1>Title</h1>", "<h2>Title</h2>", "0 <h1> elements"),
        ("<h3>Sub</h3>", "<h1>Sub</h1>", "2 <h1> elements"),
        ("<h3>Sub</h3>", "<h3> </h3>", "empty heading"),
        ('<main id="main" tabindex="-1">', '<div id="main">', "0 <main> landmarks"),
        ("<footer><p>Footer</p></footer>", "", "0 contentinfo <footer> landmarks"),
        ('<nav aria-label="Pages">', "<nav>", "2 navigation landmarks, and <nav> has no name"),
        ('<nav aria-label="Pages">', '<nav aria-label="Site">', "navigation landmarks share the name 'Site'"),
        ('<a href="index.html">Papers</a>', '<a href="index.html"></a>', "link without a name"),
        ('<a href="index.html">Papers</a>', '<a href="index.html"><span aria-hidden="true">→</span></a>', "link without a name"),
        ('<a href="index.html">Papers</a>', '<a href="index.html"><img src="logo.png"></a>', "image without alt"),
        ('<a href="m.html" aria-label="May: 2 papers">', '<a href="m.html">', 'link without a name: <a href="m.html">'),
        ('<span class="visually-hidden">Close</span>', "", "button without a name"),
        ('<label for="q">Search</label>', "", 'form control without a label: <input id="q" type="search">'),
        (
            '<label for="q">Search</label><input id="q" type="search">',
            '<input id="q" placeholder="Search">',
            "(a placeholder is not a label)",
        ),
        (
            '<label for="q">Search</label>',
            '<label for="q">Search</label><select name="s"><option>A</option></select>',
            "form control without a label: <select",
        ),
        ('<svg role="img" aria-labelledby="c"><title id="c">Chart</title>', "<svg>", "<svg> without a role"),
        (
            '<svg role="img" aria-labelledby="c"><title id="c">Chart</title>',
            '<svg role="img">',
            "<svg> without a <title> or aria-label",
        ),
        ('<button type="button">', '<button type="button" tabindex="2">', "positive tabindex"),
        (
            '<p><a href="https://example.org/"',
            '<p aria-hidden="true"><a href="https://example.org/"',
            "focusable element inside aria-hidden",
        ),
        ('href="#main">Skip', 'href="#content">Skip', "does not point at the <main> landmark"),
        (
            '<a class="skip-link" href="#main">Skip to content</a>',
            "",
            'the first thing in the tab order is <a href="index.html">',
        ),
        (' rel="noopener">Out', ">Out", "link leaving the site without rel=noopener"),
        ('aria-label="arXiv: A paper">arXiv', 'aria-label="Read it">arXiv', "does not contain its visible text 'arXiv'"),
    ],
)
def test_guard_static_checks_report_a_broken_page(old: str, new: str, expected: str) -> None:
    assert old in GOOD
    found = static(GOOD.replace(old, new, 1))
    assert any(expected in problem for problem in found), found


def test_guard_the_skip_link_under_base_must_name_its_own_page() -> None:
    page = GOOD.replace("<title>", '<base href="/papers/"><title>')
    doc = a11y.parse(page, "404.html")
    assert any("leads to 'index.html' (with <base href='/papers/'>)" in problem for problem in a11y.page_problems(doc))
    fixed = a11y.parse(page.replace('href="#main">Skip', 'href="404.html#main">Skip'), "404.html")
    assert a11y.skip_link_problems(fixed) == []


def test_guard_a_scoped_header_is_no_banner() -> None:
    page = (
        GOOD.replace("<header>", "<div>")
        .replace("</header>", "</div>")
        .replace("<h1>Title</h1>", "<article><header><h1>Title</h1></header></article>")
    )
    assert any("0 banner <header> landmarks" in problem for problem in static(page))


def test_guard_page_kinds_come_from_paths() -> None:
    paths = [
        "index.html", "page/2/index.html", "page/3/index.html", "404.html", "search/index.html",
        "papers/a/index.html", "papers/b/index.html", "papers/c/index.html",
        "dates/index.html", "dates/2024/index.html", "dates/2024/05/index.html", "dates/undated/index.html",
        "orgs/x/index.html", "orgs/y/index.html", "orgs/z/index.html", "orgs/index.html",
    ]  # fmt: skip
    kinds = a11y.page_kinds(paths)
    assert kinds["papers/*/index.html"] == ["papers/a/index.html", "papers/b/index.html", "papers/c/index.html"]
    assert kinds["orgs/*/index.html"] == ["orgs/x/index.html", "orgs/y/index.html", "orgs/z/index.html"]
    assert set(kinds) == {
        "index.html", "page/#/index.html", "404.html", "search/index.html", "papers/*/index.html", "dates/index.html",
        "dates/#/index.html", "dates/#/#/index.html", "dates/undated/index.html", "orgs/*/index.html", "orgs/index.html",
    }  # fmt: skip


def test_guard_the_sample_picks_the_pages_that_differ() -> None:
    plain = "<!doctype html><html lang=en><title>t</title><p>{}</p>"
    pages = {
        f"papers/{slug}/index.html": a11y.parse(plain.format(body))
        for slug, body in [("a", "text"), ("b", "text"), ("c", '<details class="more">x</details>'), ("d", "a" * 90)]
    }
    chosen = a11y.sample(pages)["papers/*/index.html"]
    assert chosen == ["papers/a/index.html", "papers/c/index.html", "papers/d/index.html"]
    assert a11y.unseen_features(pages, {"papers/*/index.html": chosen}) == {}


# --- in Chromium ----------------------------------------------------------------------------


def common_title_word(site: Path) -> str:
    """A word many paper titles share, to search for (so the search page shows results, marks and filters)."""
    titles = [paper["title"] for paper in json.loads((site / "api" / "papers.json").read_text(encoding="utf-8"))["papers"]]
    words = Counter(word for title in titles for word in set(re.findall(r"[a-z]{5,}", title.lower())))
    return words.most_common(1)[0][0]


def search_target(docs: dict[str, a11y.Doc]) -> str | None:
    """The page the search box of the home page submits to."""
    for form in docs["index.html"].named("form"):
        if form.get("role") == "search" and form.get("action"):
            return linkcheck.resolve("index.html", form.get("action", ""))
    return None


READY = "() => { const s = document.querySelector('[role=status]'); return s && s.textContent.trim() !== '' && !/loading/i.test(s.textContent) }"
"""Results are shown: the search page's status line says how many, and nothing is still loading."""


def served(name: str, project: Path, out: Path, folder: Path, static_server: Callable[[Path], str]) -> str:
    """The site's address on a local server, below the path of its base_url (the 404 page's <base href> is that path)."""
    base_path = urlsplit(load_config(project).base_url).path.strip("/")
    if not base_path:
        return static_server(out)
    root = folder / f"{name}-root"
    (root / base_path).parent.mkdir(parents=True, exist_ok=True)
    (root / base_path).symlink_to(out, target_is_directory=True)
    return static_server(root) + quote(base_path) + "/"


@pytest.fixture(scope="module")
def context(browser: Any) -> Iterator[Any]:
    """Transitions off (the theme honours prefers-reduced-motion), so a focus style is measured at its end."""
    opened = browser.new_context(viewport=a11y.DESKTOP, reduced_motion="reduce")
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture(scope="module")
def bases(
    sites: dict[str, tuple[Path, Path]], static_server: Callable[[Path], str], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, str]:
    """site -> the address it is served at."""
    folder = tmp_path_factory.mktemp("a11y-served")
    return {name: served(name, project, out, folder, static_server) for name, (project, out) in sites.items()}


@pytest.fixture(scope="module")
def surveys(
    bases: dict[str, str], sites: dict[str, tuple[Path, Path]], pages: dict[str, dict[str, a11y.Doc]], context: Any
) -> dict[str, dict[str, a11y.Survey]]:
    """site -> page (``search/index.html?q=word`` for the search page with results) -> what the browser measured."""
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    # Every stylesheet and script must load (the 404 page's through its <base href>), or the colours measured are
    # the browser's defaults. Chromium asks for /favicon.ico by itself; the theme has none.
    page.on("requestfailed", lambda request: errors.append(f"{request.url}: {request.failure}"))
    page.on(
        "response",
        lambda response: (
            errors.append(f"{response.url}: {response.status}")
            if response.status >= 400 and not response.url.endswith("/favicon.ico")
            else None
        ),
    )
    found: dict[str, dict[str, a11y.Survey]] = {}
    for name, (_, out) in sites.items():
        chosen = [path for paths in a11y.sample(pages[name]).values() for path in paths]
        found[name] = {path: a11y.survey(page, bases[name] + path) for path in chosen}
        target = search_target(pages[name])
        if target is not None:
            query = f"{target}?q={common_title_word(out)}"
            found[name][query] = a11y.survey(page, bases[name] + query, ready=READY)
    page.close()
    assert errors == [], errors
    return found


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("name", a11y.SITES)
def test_text_contrast(name: str, scheme: str, surveys: dict[str, dict[str, a11y.Survey]]) -> None:
    problems: dict[str, list[str]] = {}
    measured = 0
    for path, found in surveys[name].items():
        for state, texts in found.texts.items():
            if state.split(",")[0] == scheme:
                measured += len(texts)
                problems[f"{path} ({state})"] = sorted(set(a11y.contrast_problems(texts)))
    assert not any(problems.values()), report(problems)
    assert measured > 20 * len(surveys[name])


@pytest.mark.parametrize("name", a11y.SITES)
def test_text_contrast_without_javascript(
    name: str, bases: dict[str, str], pages: dict[str, dict[str, a11y.Doc]], browser: Any
) -> None:
    """What the search page says when scripts are off (its <noscript> text), in light and dark."""
    target = search_target(pages[name])
    assert target is not None
    opened = browser.new_context(viewport=a11y.DESKTOP, reduced_motion="reduce", java_script_enabled=False)
    try:
        page = opened.new_page()
        page.goto(bases[name] + target)
        problems = {}
        for scheme in ("light", "dark"):
            page.emulate_media(color_scheme=scheme)
            texts = a11y.measure(page, "texts")
            assert any("noscript" in text["selector"] for text in texts)
            problems[scheme] = a11y.contrast_problems(texts)
    finally:
        opened.close()
    assert not any(problems.values()), report(problems)


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("name", a11y.SITES)
def test_focus_is_visible_on_every_kind_of_link_and_button(
    name: str, scheme: str, surveys: dict[str, dict[str, a11y.Survey]]
) -> None:
    problems: dict[str, list[str]] = {}
    for path, found in surveys[name].items():
        before, visited = found.focus[scheme]
        assert len(visited) >= 5, (path, visited)
        problems[f"{path} ({scheme})"] = a11y.tab_problems(before, visited) + (found.tab_order if scheme == "light" else [])
    assert not any(problems.values()), report(problems)


@pytest.mark.parametrize("name", a11y.SITES)
def test_the_skip_link_moves_the_focus_into_main(name: str, surveys: dict[str, dict[str, a11y.Survey]]) -> None:
    problems = {path: a11y.skip_problems(found.skip) for path, found in surveys[name].items()}
    assert not any(problems.values()), report(problems)


@pytest.mark.parametrize("name", a11y.SITES)
def test_no_horizontal_scrolling_at_320_css_pixels(name: str, surveys: dict[str, dict[str, a11y.Survey]]) -> None:
    problems = {path: a11y.reflow_problems(found.overflow) for path, found in surveys[name].items()}
    assert not any(problems.values()), report(problems)
    assert all(found.overflow["innerWidth"] == 320 for found in surveys[name].values())


@pytest.mark.parametrize("name", a11y.SITES)
def test_the_dom_scripts_leave_passes_the_static_checks(name: str, surveys: dict[str, dict[str, a11y.Survey]]) -> None:
    problems = {}
    for path, found in surveys[name].items():
        doc = a11y.parse(found.live_html, path.split("?")[0])
        problems[path] = (
            a11y.page_problems(doc) + a11y.id_problems(doc) + a11y.reference_problems(doc)
        )
    assert not any(problems.values()), report(problems)
    searched = next(found.live_html for path, found in surveys[name].items() if "?q=" in path)
    assert "<mark>" in searched  # the results were there to check


# --- guard the browser checks ---------------------------------------------------------------


@pytest.fixture
def tab(context: Any) -> Iterator[Any]:
    page = context.new_page()
    page.set_default_timeout(5000)
    page.emulate_media(color_scheme="light")
    yield page
    page.close()


def snippet(body: str, style: str = "") -> str:
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>t</title><style>
    body {{ margin: 0; background: #ffffff; color: #000000; font: 16px/1.5 sans-serif; }}
    :focus-visible {{ outline: 3px solid #1a4fd6; outline-offset: 2px; }}
    .visually-hidden {{ position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }}
    {style}</style></head><body>{body}</body></html>"""


def test_guard_contrast_maths_matches_wcag() -> None:
    assert a11y.ratio_of("#000000", "#ffffff") == pytest.approx(21)
    assert a11y.ratio_of("#ffffff", "#ffffff") == pytest.approx(1)
    assert round(a11y.ratio_of("#777777", "#ffffff"), 2) == 4.48  # the well-known just-failing grey
    assert round(a11y.ratio_of("#767676", "#ffffff"), 2) == 4.54
    half_black = a11y.contrast((0, 0, 0, 0.5), (255, 255, 255, 1))
    assert half_black == pytest.approx(a11y.ratio_of("#808080", "#ffffff"), rel=0.02)
    assert a11y.large_text(24, 400) and a11y.large_text(18.67, 700) and not a11y.large_text(18.67, 400)


def contrast_of(tab: Any, body: str, style: str = "") -> list[str]:
    tab.set_content(snippet(body, style))
    return a11y.contrast_problems(a11y.measure(tab, "texts"))


def test_guard_good_contrast_passes(tab: Any) -> None:
    body = '<p>black</p><p style="color:#767676">grey</p><p style="font-size:24px;color:#949494">large grey</p><p class="visually-hidden" style="color:#eee">hidden</p>'
    assert contrast_of(tab, body) == []


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ('<p style="color:#777777">low</p>', "'low': contrast 4.48:1 < 4.5:1 (#777777 on #ffffff"),
        ('<p style="font-size:24px;color:#aaaaaa">large</p>', "'large': contrast 2.32:1 < 3.0:1"),
        ('<div style="background:#202020"><p><span style="color:#555555">on dark</span></p></div>', "'on dark': contrast"),
        ('<p style="color:rgba(0,0,0,0.3)">faint</p>', "'faint': contrast"),
        ('<div style="background:rgba(0,0,0,0.8)"><p style="color:#333">dim</p></div>', "'dim': contrast"),
        ('<input placeholder="Search" style="background:#fff">', "'Search' (placeholder): contrast"),
        ('<svg width="200" height="40"><text x="0" y="20" style="fill:#cccccc">axis</text></svg>', "'axis': contrast"),
        ('<p style="background-image:linear-gradient(#000,#fff)">over an image</p>', "not measurable"),
        ('<p style="opacity:0.3">see-through</p>', "'see-through': contrast"),
    ],
)
def test_guard_low_contrast_is_reported(tab: Any, body: str, expected: str) -> None:
    found = contrast_of(tab, body, "::placeholder { color: #aaaaaa; }")
    assert any(expected in problem for problem in found), found


def focus_of(tab: Any, body: str, style: str = "") -> list[str]:
    tab.set_content(snippet(body, style))
    before, visited, order = a11y.tab_walk(tab)
    return a11y.tab_problems(before, visited) + order


def test_guard_a_visible_focus_passes(tab: Any) -> None:
    body = '<a href="#a">one</a> <button>two</button> <a class="shadow" href="#b">three</a> <svg width="40" height="40"><a href="#c" aria-label="bar"><rect width="10" height="30"/></a></svg>'
    style = ".shadow:focus-visible { outline: none; box-shadow: 0 0 0 3px #1a4fd6; } svg a:focus-visible { outline: none; } svg a:focus-visible rect { fill: #000; stroke: #1a4fd6; }"
    assert focus_of(tab, body, style) == []


@pytest.mark.parametrize(
    ("style", "expected"),
    [
        ("a:focus-visible { outline: none; }", "'gone': nothing shows the focus"),
        ("a:focus-visible { outline: 1px solid #1a4fd6; }", "'gone': focus outline 1px wide, under 2px"),
        ("a:focus-visible { outline: 3px solid #dddddd; }", "'gone': focus outline #dddddd on #ffffff is 1.36:1, under 3:1"),
        ("a { position: absolute; top: -10em; }", "'gone': focused but not on screen"),
    ],
)
def test_guard_an_invisible_focus_is_reported(tab: Any, style: str, expected: str) -> None:
    found = focus_of(tab, '<a href="#x">gone</a>', style)
    assert any(expected in problem for problem in found), found


def test_guard_an_svg_link_without_a_focus_mark_is_reported(tab: Any) -> None:
    found = focus_of(
        tab,
        '<svg width="40" height="40"><a href="#c" aria-label="bar"><rect width="10" height="30"/></a></svg>',
        "svg a:focus-visible { outline: none; }",
    )
    assert any("'bar': nothing shows the focus" in problem for problem in found), found


def test_guard_a_tab_order_out_of_document_order_is_reported(tab: Any) -> None:
    found = focus_of(
        tab, '<a href="#1">first</a> <a href="#2" tabindex="1">jumps the queue</a> <a class="other" href="#3">third</a>'
    )
    # Tab follows tabindex=1 first, out of the document order the page is read in: a stop is not where it should be.
    assert any(re.match(r"Tab from .* went to .*, not to ", problem) and "'jumps the queue'" in problem for problem in found), (
        found
    )


def test_guard_focus_text_contrast_is_checked(tab: Any) -> None:
    found = focus_of(tab, '<a href="#x">pale when focused</a>', "a:focus { color: #bbbbbb; }")
    assert any("focused: " in problem and "'pale when focused': contrast" in problem for problem in found), found


def test_guard_a_skip_link_that_skips_nothing_is_reported(tab: Any) -> None:
    tab.set_content(snippet('<a href="#main">Skip</a> <a href="#a">a</a> <main id="main" tabindex="-1"><h1>T</h1></main>'))
    assert a11y.skip_problems(a11y.follow_skip_link(tab)) == []
    tab.set_content(
        snippet('<a href="#nav">Skip</a> <nav id="nav"><a href="#a">a</a></nav> <main id="main" tabindex="-1"></main>')
    )
    found = a11y.skip_problems(a11y.follow_skip_link(tab))
    assert found and "after Tab and Enter from the top, the focus is on" in found[0], found


def test_guard_sideways_scrolling_is_reported(tab: Any) -> None:
    tab.set_viewport_size(a11y.NARROW)
    tab.set_content(snippet('<p>fits</p><pre style="overflow:auto"><code>' + "x" * 200 + "</code></pre>"))
    assert a11y.reflow_problems(a11y.measure(tab, "overflow")) == []
    tab.set_content(snippet('<p>fits</p><div class="wide" style="display:flex"><span>' + "x" * 80 + "</span></div>"))
    found = a11y.reflow_problems(a11y.measure(tab, "overflow"))
    assert found and "scrolls sideways at 320px" in found[0] and "div.wide > span" in found[0], found

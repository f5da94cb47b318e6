"""Publishing under a sub-path, as README's "Publish" section promises.

The repository's content (plus a hand-written page with no date at all) is built
for https://example.org/papers/ and served by a plain HTTP server on 127.0.0.1
whose /papers/ is the output folder; every other address answers 404 with the
site's 404.html, as a static host does. Every link of every page, and of the 404
page at addresses of any depth, is followed over HTTP; the search page runs in
Chromium at /papers/search/. The 404 page carries its stylesheet inline, so it is
styled served from another root and opened from disk; the build's summary says
that robots.txt under a sub-path is not read.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import io
import shutil
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urldefrag, urljoin, urlsplit

import linkcheck
import pytest

from sitegen.cli import main

REPO = Path(__file__).resolve().parents[2]
THEME = REPO / "sitegen" / "theme"
BASE_URL = "https://example.org/papers/"
PREFIX = "/papers/"
NO_DAY_PAGE = "---\ntitle: Notes Written on No Particular Day\ntags:\n- reasoning\n---\n\nHand-written notes with no date.\n"
"""A page with neither ``date:`` nor ``listed:``: no feed can list it, and the build says so."""


@dataclass(frozen=True)
class Run:
    code: int
    stdout: str
    stderr: str


def sitegen(*argv: str) -> Run:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return Run(code, out.getvalue(), err.getvalue())


def project(folder: Path, theme: Path = THEME) -> Path:
    """The repository's content and configuration in a folder of its own, with the page that has no day."""
    folder.mkdir(parents=True)
    shutil.copytree(REPO / "content", folder / "content")
    text = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    table = text[text.index("[tool.sitegen]") :]
    table = table[: table.find("\n[", 1)] if "\n[" in table else table
    (folder / "pyproject.toml").write_text(f"{table}\ntheme_dir = {str(theme)!r}\n", encoding="utf-8")
    (folder / "content" / "papers" / "no-day.md").write_text(NO_DAY_PAGE, encoding="utf-8")
    return folder


@dataclass(frozen=True)
class Published:
    root: Path
    out: Path
    run: Run


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Published:
    folder = tmp_path_factory.mktemp("publish")
    root = project(folder / "project")
    run = sitegen("build", "--root", str(root), "-o", str(folder / "site"), "--base-url", BASE_URL)
    assert run.code == 0, run.stderr
    return Published(root, folder / "site", run)


class _SubPathHandler(http.server.SimpleHTTPRequestHandler):
    """``prefix`` is the output folder; anything else, and anything missing, is 404 with the site's 404.html."""

    prefix = PREFIX

    def translate_path(self, path: str) -> str:
        request = urlsplit(path).path
        if not request.startswith(self.prefix):
            return str(Path(self.directory) / ".not-below-the-prefix")
        return super().translate_path("/" + request[len(self.prefix) :])

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        if code != 404:
            super().send_error(code, message, explain)
            return
        body = (Path(self.directory) / "404.html").read_bytes()
        self.send_response(404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextlib.contextmanager
def serving(folder: Path, prefix: str) -> Iterator[str]:
    """``http://127.0.0.1:PORT`` of a server with ``folder`` at ``prefix`` and the site's 404 page everywhere else."""
    handler = functools.partial(type("Handler", (_SubPathHandler,), {"prefix": prefix}), directory=str(folder))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


@pytest.fixture(scope="module")
def host(published: Published) -> Iterator[str]:
    """The site at /papers/, as published, and nothing else."""
    with serving(published.out, PREFIX) as address:
        yield address


@pytest.fixture(scope="module")
def other_root(published: Published) -> Iterator[str]:
    """The same site served at / (a mirror, a preview): the 404 page's <base href="/papers/"> leads nowhere there."""
    with serving(published.out, "/") as address:
        yield address


def fetch(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def links_of(page_url: str, body: bytes) -> list[str]:
    """Every address a browser would load or follow from this page (its <base href> honoured), without fragments."""
    document, _ = linkcheck.parse_html(body)
    base = linkcheck.base_href(document)
    against = urljoin(page_url, base) if base is not None else page_url
    found = []
    for element in linkcheck.elements(document):
        if linkcheck.local_name(element) == "base":
            continue
        for attribute in linkcheck.URL_ATTRIBUTES:
            value = element.get(attribute)
            if value is not None and not value.strip().startswith("#"):
                found.append(urldefrag(urljoin(against, value.strip())).url)
    return found


# --- served from its sub-path -----------------------------------------------------------------------------


def test_the_built_site_passes_the_link_checker(published: Published) -> None:
    assert linkcheck.check_links(published.out) == []


def test_every_link_of_every_page_resolves_over_http_below_the_sub_path(published: Published, host: str) -> None:
    site = host + PREFIX
    pages = {site + path.relative_to(published.out).as_posix(): path for path in linkcheck.html_files(published.out)}
    missing = [f"{site}no/such/page/", f"{site}papers/no-such-paper/index.html", f"{host}/", f"{host}/elsewhere/deep/x.html"]
    not_found = (published.out / "404.html").read_bytes()
    seen: dict[str, int] = {}
    broken = []
    for url in [*pages, *missing]:
        status, body = fetch(url)
        if url in missing:
            assert (status, body) == (404, not_found), url
        else:
            assert (status, body) == (200, pages[url].read_bytes()), url
        for target in links_of(url, body):
            if urlsplit(target).netloc != urlsplit(host).netloc:
                continue  # a reader's link to another host (arXiv, the paper's code): not the site's to serve
            if target not in seen:
                seen[target] = fetch(target)[0]
            if seen[target] != 200 or not target.startswith(site):
                broken.append(f"{url}: {target} ({seen[target]})")
    assert len(seen) > 200, "almost nothing was followed: is the site built?"
    assert broken == []


def test_search_runs_under_the_sub_path_and_its_results_open_real_pages(browser: Any, host: str) -> None:
    site = host + PREFIX
    context = browser.new_context()
    problems: list[str] = []
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        # Chromium asks every server for /favicon.ico by itself; the theme's icon is static/favicon.svg.
        page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
        page.on(
            "console",
            lambda message: problems.append(f"console: {message.text}")
            if message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico")
            else None,
        )
        page.on(
            "response",
            lambda response: problems.append(f"{response.url}: {response.status}")
            if response.status >= 400 and not response.url.endswith("/favicon.ico")
            else None,
        )
        page.goto(site + "search/index.html")
        page.locator("#site-search-q").fill("reasoning")
        page.wait_for_function(
            "() => { const s = document.querySelector('#search-status').textContent;"
            " return s.includes('reasoning') && !s.includes('Still loading') }"
        )
        links = page.locator("#search-results .paper-title a")
        assert links.count() >= 3
        hrefs = page.eval_on_selector_all("#search-results a", "links => links.map(link => link.href)")
        assert hrefs and all(href.startswith(site) for href in hrefs), hrefs
        assert {fetch(href)[0] for href in set(hrefs)} == {200}
        title = links.first.inner_text()
        href = links.first.evaluate("link => link.href")
        assert href.startswith(site + "papers/") and href.endswith("/index.html"), href
        links.first.click()
        page.wait_for_url(href)
        assert page.locator("h1").inner_text() == title
    finally:
        context.close()
    assert problems == []


# --- the 404 page ----------------------------------------------------------------------------------------


def test_the_404_page_carries_its_stylesheet_inline(published: Published) -> None:
    document, errors = linkcheck.parse_html((published.out / "404.html").read_bytes())
    assert errors == []
    styles = [element for element in linkcheck.elements(document) if linkcheck.local_name(element) == "style"]
    assert len(styles) == 1
    css = (THEME / "static" / "style.css").read_text(encoding="utf-8")
    assert (styles[0].text or "").strip() == css.replace("</", "<\\/").strip()
    sheets = [
        element for element in linkcheck.elements(document)
        if linkcheck.local_name(element) == "link" and "stylesheet" in (element.get("rel") or "").split()
    ]
    assert sheets == []
    assert linkcheck.base_href(document) == PREFIX  # its links: absolute paths below base_url's path


LOOK = """() => {
  const header = getComputedStyle(document.querySelector('.site-header'));
  const body = getComputedStyle(document.body);
  const title = getComputedStyle(document.querySelector('.site-title'));
  return [body.fontFamily, body.backgroundColor, body.color, header.backgroundColor, header.borderBottomWidth, title.fontWeight, title.color];
}"""
"""What the stylesheet decides of a page's look, in any page of the theme."""


def test_the_404_page_is_styled_from_another_root_and_from_disk(browser: Any, published: Published, host: str, other_root: str) -> None:
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(host + PREFIX + "index.html")
        styled = page.evaluate(LOOK)
        page.set_content("<header class=site-header><a class=site-title href=x>x</a></header>")
        assert page.evaluate(LOOK) != styled, "the comparison cannot tell a styled page from an unstyled one"
        for missing in (host + "/elsewhere/deep/missing.html", other_root + "/no/such/page/"):
            response = page.goto(missing)
            assert response is not None and response.status == 404
            assert page.locator("h1").inner_text() == "Page not found"
            assert page.evaluate(LOOK) == styled, missing
        page.goto((published.out / "404.html").as_uri())
        assert page.evaluate(LOOK) == styled
    finally:
        context.close()


def test_a_new_stylesheet_reaches_the_404_page_on_the_next_build(tmp_path: Path) -> None:
    """The 404 page depends on style.css: an incremental build renders it again when the stylesheet changes."""
    theme = tmp_path / "theme"
    shutil.copytree(THEME, theme)
    root = project(tmp_path / "project", theme)
    out = tmp_path / "site"
    assert sitegen("build", "--root", str(root), "-o", str(out)).code == 0
    with (theme / "static" / "style.css").open("a", encoding="utf-8") as sheet:
        sheet.write("\n.restyled { color: rebeccapurple; }\n")
    again = sitegen("build", "--root", str(root), "-o", str(out), "-v")
    assert again.code == 0
    assert ".restyled { color: rebeccapurple; }" in (out / "404.html").read_text(encoding="utf-8")
    written = sorted(line.split()[1] for line in again.stdout.splitlines() if line.startswith("  wrote "))
    assert written == ["404.html", "static/style.css"], again.stdout


# --- robots.txt and the feeds ------------------------------------------------------------------------------


def test_the_summary_says_robots_txt_under_a_sub_path_is_not_read(published: Published, tmp_path: Path) -> None:
    note = (
        "note: base_url has a path (/papers/): crawlers read robots.txt only at the host's root, "
        "https://example.org/robots.txt, not the one written here; the sitemap is at https://example.org/papers/sitemap.xml: "
        "list it there ('Sitemap: https://example.org/papers/sitemap.xml') or submit it to search engines"
    )
    lines = published.run.stdout.splitlines()
    assert note in lines and lines[-1].startswith("built "), published.run.stdout
    assert "Sitemap: https://example.org/papers/sitemap.xml" in (published.out / "robots.txt").read_text(encoding="utf-8").splitlines()

    root = project(tmp_path / "project")
    at_root = sitegen("build", "--root", str(root), "-o", str(tmp_path / "site"), "--base-url", "https://papers.example.org/")
    assert at_root.code == 0, at_root.stderr
    assert "note:" not in at_root.stdout and at_root.stdout.startswith("built ")
    assert "Sitemap: https://papers.example.org/sitemap.xml" in (tmp_path / "site" / "robots.txt").read_text(encoding="utf-8").splitlines()


def test_a_paper_with_no_day_is_named_by_the_build(published: Published) -> None:
    assert "no-day.md: warning: no 'date:' and no 'listed:' day, so no Atom feed can list it" in published.run.stderr

"""The built site asks no other host for anything: every asset is its own, every path relative.

(a) Statically, no HTML, JS, CSS or XML file refers to an absolute
(`http://`, `https://`) or protocol-relative (`//`) URL in src, href,
url(), @import, import or fetch, except links a reader follows to a paper's
own pages (`<a href>` to the paper's links) and the site's own published
address (base_url) in the canonical link, the 404 page's <base>, the feed
and the sitemap.
(b) In Chromium, the pages a visitor sees most request nothing but the local
server they came from.
"""

from __future__ import annotations

import html.parser
import re
import shutil
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from sitegen.build.load import load_papers
from sitegen.cli import main as sitegen_main
from sitegen.config import load_config

ROOT = Path(__file__).parent.parent
EXTERNAL = re.compile(r"^\s*(?:[a-z][a-z0-9+.-]*:)?//", re.IGNORECASE)
URL_ATTRIBUTES = {"src", "href", "action", "formaction", "poster", "data", "srcset", "xlink:href", "cite", "background"}
CSS_URL = re.compile(r"""url\(\s*(["']?)([^"')\s]*)\1\s*\)|@import\s+(["'])([^"']*)\3""", re.IGNORECASE)
JS_URL = re.compile(
    r"""\b(?:import\s*\(?|from|fetch\s*\(|importScripts\s*\(|new\s+(?:Worker|WebSocket|EventSource)\s*\()\s*(["'`])([^"'`]*)\1"""
)


PIXEL_PAGE = """---
title: A Page With Remote Images
date: 2025-12-10
tags: [reasoning]
---

A tracking pixel ![pixel](https://tracker.example/pixel.png) and a protocol-relative one ![](//tracker.example/p.png).
"""
"""Images on other hosts in an abstract: rendered as links, so nothing is fetched."""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The repository's own site, built from a copy so the build's state stays out of the checkout."""
    folder = tmp_path_factory.mktemp("third-party")
    project = folder / "project"
    shutil.copytree(ROOT / "content", project / "content")
    shutil.copy(ROOT / "pyproject.toml", project / "pyproject.toml")
    (project / "theme").symlink_to(ROOT / "sitegen" / "theme")
    (project / "content" / "papers" / "tracking-pixel.md").write_text(PIXEL_PAGE, encoding="utf-8")
    (project / "seeds").mkdir()
    for dump in (ROOT / "tests" / "fixtures" / "hf").glob("*.json"):
        shutil.copy(dump, project / "seeds" / dump.name)  # papers with arXiv ids, names, code links
    assert sitegen_main(["convert", "--root", str(project)]) == 0
    assert sitegen_main(["build", "--root", str(project), "-o", str(folder / "site")]) == 0
    return folder / "site"


@pytest.fixture(scope="module")
def base_url() -> str:
    return load_config(ROOT).base_url


@pytest.fixture(scope="module")
def paper_links(site: Path) -> set[str]:
    """Every address a reader may follow from a page, from the pages' own front matter: the paper's links
    and its reading places (arXiv abstract and PDF, Hugging Face, DOI), or title searches when it has none."""
    project = site.parent / "project"
    urls: set[str] = set()
    for paper in load_papers(load_config(project)):
        urls.update(paper.links)
        if paper.arxiv:
            urls |= {f"https://arxiv.org/abs/{paper.arxiv}", f"https://arxiv.org/pdf/{paper.arxiv}", f"https://huggingface.co/papers/{paper.arxiv}"}
        if paper.doi:
            urls.add(f"https://doi.org/{paper.doi}")
        if not (paper.arxiv or paper.doi or paper.url or paper.pdf):
            urls |= {
                "https://arxiv.org/search/?" + urlencode({"query": paper.title, "searchtype": "title"}),
                "https://huggingface.co/papers?" + urlencode({"q": paper.title}),
            }
    return urls


def _css_urls(text: str) -> list[str]:
    return [m.group(2) if m.group(2) is not None else m.group(4) for m in CSS_URL.finditer(text)]


class _References(html.parser.HTMLParser):
    """(tag, attributes, url) for every URL an HTML page makes the browser use or offers as a link."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, dict[str, str], str]] = []
        self._raw: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        for name, value in attributes.items():
            if name in URL_ATTRIBUTES:
                urls = [part.strip().split(" ")[0] for part in value.split(",")] if name == "srcset" else [value]
                self.found.extend((tag, attributes, url) for url in urls)
            elif name == "style":
                self.found.extend((tag, attributes, url) for url in _css_urls(value))
        self._raw = tag if tag in ("script", "style") else None

    def handle_data(self, data: str) -> None:
        if self._raw == "style":
            self.found.extend(("style", {}, url) for url in _css_urls(data))
        elif self._raw == "script":
            self.found.extend(("script", {}, m.group(2)) for m in JS_URL.finditer(data))

    def handle_endtag(self, tag: str) -> None:
        self._raw = None


def _references(path: Path) -> list[tuple[str, dict[str, str], str]]:
    text = path.read_text(encoding="utf-8")
    suffix = path.suffix
    if suffix == ".html":
        parser = _References()
        parser.feed(text)
        parser.close()
        return parser.found
    if suffix == ".css":
        return [("css", {}, url) for url in _css_urls(text)]
    if suffix == ".js":
        return [("js", {}, m.group(2)) for m in JS_URL.finditer(text)]
    if suffix == ".xml":
        found: list[tuple[str, dict[str, str], str]] = []
        for element in ET.fromstring(text).iter():
            for name, value in element.attrib.items():
                if name.rsplit("}", 1)[-1] in URL_ATTRIBUTES:
                    found.append(("xml", dict(element.attrib), value))
        return found
    return []


def _allowed(tag: str, attributes: dict[str, str], url: str, base_url: str, paper_links: set[str]) -> bool:
    if tag == "a" and url in paper_links and attributes.get("rel") == "noopener":
        return True  # a reader's link to the paper itself, its code or data: not something the page loads
    if tag == "a" and attributes.get("class") == "remote-image":
        return True  # an image on another host, shown as a link to it, not loaded
    if url.startswith(base_url):
        if tag == "xml":
            return True  # the feed's links to itself and the site
        if tag == "link" and attributes.get("rel") == "canonical":
            return True
        if tag == "base":
            return True  # 404.html: served at any address, so it resolves links against the site's own
    return False


def test_site_refers_to_no_other_host(site: Path, base_url: str, paper_links: set[str]) -> None:
    checked = 0
    offending: list[str] = []
    for path in sorted(site.rglob("*")):
        if path.suffix not in {".html", ".js", ".css", ".xml"} or not path.is_file():
            continue
        for tag, attributes, url in _references(path):
            checked += 1
            if EXTERNAL.match(url) and not _allowed(tag, attributes, url, base_url, paper_links):
                offending.append(f"{path.relative_to(site)}: <{tag}> {url}")
    assert checked > 1000, "the scan found almost no references: is the site built?"
    assert not offending, "references to other hosts:\n" + "\n".join(offending)


def test_the_check_catches_what_it_should(tmp_path: Path, base_url: str) -> None:
    """Guard the guard: each kind of third-party reference is reported."""
    samples = {
        "a.html": '<link rel="stylesheet" href="https://cdn.example.com/x.css"><script src="//cdn.example.com/x.js"></script>'
        '<img srcset="a.png 1x, https://img.example.com/b.png 2x"><div style="background: url(\'http://x.example/y.png\')"></div>'
        '<style>@import "https://fonts.example.com/css";</style><script>fetch("https://api.example.com/q")</script>'
        f'<link rel="canonical" href="{base_url}"><a href="https://elsewhere.example/">x</a>',
        "b.css": "@import url(https://fonts.example.com/a.css); .x { background: url(//x.example/y.png) }",
        "c.js": "import('https://esm.example.com/m.js'); fetch(`https://api.example.com/`)",
    }
    flagged: list[str] = []
    for name, text in samples.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
        flagged += [url for tag, attributes, url in _references(tmp_path / name)
                    if EXTERNAL.match(url) and not _allowed(tag, attributes, url, base_url, set())]
    assert flagged == [
        "https://cdn.example.com/x.css", "//cdn.example.com/x.js", "https://img.example.com/b.png",
        "http://x.example/y.png", "https://fonts.example.com/css", "https://api.example.com/q",
        "https://elsewhere.example/",
        "https://fonts.example.com/a.css", "//x.example/y.png",
        "https://esm.example.com/m.js", "https://api.example.com/",
    ]


# --- in a browser --------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(site: Path, static_server: Callable[[Path], str]) -> str:
    return static_server(site)


def test_pages_request_only_the_local_server(browser: Any, server: str, site: Path) -> None:
    paper = min((site / "papers").glob("*/index.html")).relative_to(site).as_posix()
    requested: list[str] = []
    context = browser.new_context()
    try:
        page = context.new_page()
        page.on("request", lambda request: requested.append(request.url))
        for path in ("index.html", paper, "papers/a-page-with-remote-images/index.html", "tags/index.html", "dates/index.html", "search/index.html?q=alignment"):
            page.goto(server + path, wait_until="networkidle")
        page.locator("#site-search-q").fill("graph")
        page.wait_for_function("document.querySelector('#search-status').textContent.includes('graph')")
        page.wait_for_load_state("networkidle")
    finally:
        context.close()
    shards = sorted(path.name for path in (site / "search").glob("shard-*.js"))
    assert shards, "the site has no search shards"
    for name in ("search/index.js", *(f"search/{shard}" for shard in shards), "static/vendor/lunr/lunr.min.js"):
        assert server + name in requested, f"{name} was not loaded"
    others = [url for url in requested if not url.startswith(server)]
    assert others == [], f"requests to other hosts: {others}"

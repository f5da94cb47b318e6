"""A link checker over a built site, for the tests: every internal href/src/action must name a file inside the output.

Rules, as a browser opening the site from ``file://`` or from its base URL sees them:

- a relative URL resolves against the folder of the HTML file that holds it;
- a page with ``<base href="/prefix/">`` (the 404 page, served at any depth)
  resolves against that base, whose path ``/prefix/`` is the output root;
- the result must stay inside the output folder and be a regular file there (a
  link to a folder is a problem: the site links ``index.html`` explicitly so it
  also works without a web server);
- ``http(s):``, ``mailto:`` and scheme-relative ``//host`` URLs are external and
  skipped, as are pure ``#fragment`` links; any other scheme (``javascript:``,
  ``data:``, ``file:``...) is a problem, and so is a root-relative ``/path``,
  which breaks as soon as the site is published below a prefix.

HTML is parsed with html5lib, the WHATWG algorithm browsers use, so what is
checked is what a browser would see; parse errors are collected, not fatal.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit
from xml.etree import ElementTree

import html5lib

XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
URL_ATTRIBUTES = ("href", "src", "action", XLINK_HREF)
"""Attributes a browser follows or loads: links, assets, form targets (the search box), SVG links."""
EXTERNAL_SCHEMES = ("http", "https", "mailto")


class LinkError(ValueError):
    """A URL that does not resolve to a file inside the output."""


@dataclass(frozen=True, slots=True)
class Reference:
    """One URL-valued attribute of one element."""

    page: str
    """The HTML file holding it, relative to the output root."""
    element: str
    """Local tag name, e.g. ``a`` or ``link``."""
    attribute: str
    url: str
    target: str | None
    """The output file it names, relative to the root; None for external, fragment-only or broken URLs."""
    problem: str | None = None


@dataclass(slots=True)
class ParsedPage:
    path: str
    document: ElementTree.Element
    errors: list[str]
    base: str | None
    references: list[Reference] = field(default_factory=list)


def parse_html(data: bytes) -> tuple[ElementTree.Element, list[str]]:
    """A DOM as a browser builds it (HTML elements without namespace) and the parse errors, as text."""
    parser = html5lib.HTMLParser(tree=html5lib.getTreeBuilder("etree"), namespaceHTMLElements=False)
    document = parser.parse(data)
    errors = [f"line {line}, column {column}: {code} {dict(data or {})}" for (line, column), code, data in parser.errors]
    return document, errors


def local_name(element: ElementTree.Element) -> str:
    tag = element.tag if isinstance(element.tag, str) else ""
    return tag.rsplit("}", 1)[-1]


def elements(document: ElementTree.Element) -> Iterator[ElementTree.Element]:
    """Every element, SVG and MathML ones included (they keep their namespace in the tag)."""
    return (element for element in document.iter() if isinstance(element.tag, str))


def base_href(document: ElementTree.Element) -> str | None:
    """The first ``<base href>``, which is the one browsers use."""
    for element in elements(document):
        if local_name(element) == "base" and element.get("href") is not None:
            return element.get("href")
    return None


def resolve(page: str, url: str, base: str | None = None) -> str | None:
    """The output file ``url`` names when found in ``page``; None if external or same-page.

    Raises LinkError for a URL that leaves the output or uses a scheme a site must not link.
    """
    url = url.strip()
    if url.startswith("#"):
        return None  # this same page (with a <base>, a browser would go to the base page: the theme's concern)
    parts = urlsplit(url)
    if parts.scheme:
        if parts.scheme.lower() in EXTERNAL_SCHEMES:
            return None
        raise LinkError(f"scheme {parts.scheme}: is not a link a page should have")
    if parts.netloc:
        return None  # //host/path: external, whatever the page's scheme
    path = unquote(parts.path)
    if base is None:
        if path.startswith("/"):
            raise LinkError("root-relative URL; it breaks when the site is not at the root of its host (use a relative URL)")
        if path == "":
            return None  # "?query": this same page
        directory = posixpath.dirname(page)
    else:
        base_parts = urlsplit(base)
        if base_parts.netloc or not base_parts.path.startswith("/"):
            raise LinkError(f"<base href={base!r}> must be a path from the host's root, naming no host")
        root = base_parts.path if base_parts.path.endswith("/") else posixpath.dirname(base_parts.path) + "/"
        if path.startswith("/"):
            if not path.startswith(root):
                raise LinkError(f"leaves the site: {path!r} is not below the base path {root!r}")
            path = path[len(root) :]
        if path == "":
            path = "."
        directory = ""
    normal = posixpath.normpath(posixpath.join(directory, path))
    if normal == ".." or normal.startswith("../"):
        raise LinkError("leaves the output folder")
    return normal


def html_files(root: Path) -> list[Path]:
    """The HTML files under ``root``; links (to files or folders) are not followed: they are not pages of the site."""
    found = []
    for directory, _, names in os.walk(root, followlinks=False):
        found += [Path(directory) / name for name in names if name.endswith(".html") and not (Path(directory) / name).is_symlink()]
    return sorted(found)


def scan(root: Path) -> dict[str, ParsedPage]:
    """Every HTML file under ``root``, parsed once, with its references resolved and checked."""
    pages: dict[str, ParsedPage] = {}
    real_root = root.resolve()
    for path in html_files(root):
        relative = path.relative_to(root).as_posix()
        document, errors = parse_html(path.read_bytes())
        page = ParsedPage(relative, document, errors, base_href(document))
        for element in elements(document):
            if local_name(element) == "base":
                continue  # not a link: the root every other link resolves against
            for attribute in URL_ATTRIBUTES:
                url = element.get(attribute)
                if url is None:
                    continue
                target: str | None = None
                problem: str | None = None
                try:
                    target = resolve(relative, url, page.base)
                except LinkError as error:
                    problem = str(error)
                if target is not None:
                    problem = _file_problem(root, real_root, target)
                    if problem is not None:
                        target = None
                page.references.append(Reference(relative, local_name(element), attribute, url, target, problem))
        pages[relative] = page
    return pages


def _file_problem(root: Path, real_root: Path, target: str) -> str | None:
    full = root / target
    if full.is_symlink():
        return f"{target} is a symbolic link"
    if full.is_dir():
        return f"{target} is a folder, not a file (link its index.html)"
    if not full.is_file():
        return f"{target} does not exist"
    if not full.resolve().is_relative_to(real_root):
        return f"{target} resolves outside the output folder"
    return None


def problems(pages: dict[str, ParsedPage]) -> list[str]:
    """One line per broken reference: ``page: <element attribute="url">: why``."""
    return [
        f"{reference.page}: <{reference.element} {reference.attribute}={reference.url!r}>: {reference.problem}"
        for page in pages.values()
        for reference in page.references
        if reference.problem is not None
    ]


def check_links(root: Path) -> list[str]:
    return problems(scan(root))


def targets(page: ParsedPage) -> list[str]:
    """Internal files a page refers to, in document order, each once."""
    return list(dict.fromkeys(reference.target for reference in page.references if reference.target is not None))

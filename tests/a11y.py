"""Accessibility and validity checks over built pages, for the tests (tests/test_validity.py, tests/test_accessibility.py).

Every check is a function that takes what it checks (a parsed page, a file's bytes,
what the browser measured) and returns a list of problems, one line each, empty when
all is well; none of them knows the theme, so they hold for any page kind a build
produces and for snippets the guard tests feed them.

- Static checks read the DOM html5lib builds (the WHATWG parser, as a browser would):
  ``page_problems`` (landmarks, headings, names of links, buttons, controls, images and
  charts, tabindex, the skip link, ``rel="noopener"``) and the validity checks
  ``id_problems``, ``reference_problems``, ``fragment_problems``, ``xml_problems``,
  ``atom_problems``, ``sitemap_problems``, ``json_problems``, ``utf8_problems``.
- Browser checks run tests/a11y.js in a page (``measure``) and judge what it reports in
  Python: ``contrast_problems`` (WCAG 2.x relative luminance), ``focus_problems`` and
  ``tab_problems``, ``reflow_problems``. ``tab_walk`` presses Tab into one element of every
  kind a page has; ``survey`` loads a page once and takes every measurement.
- ``page_kinds`` and ``sample`` find the kinds of page in a built site from its output
  paths, and pick pages of each kind that together show every element and class the
  kind uses (so a paper page with names, one without an identifier, one with a folded
  author list... are all picked without naming them).
"""

from __future__ import annotations

import functools
import json
import posixpath
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit
from xml.etree import ElementTree

import linkcheck

SVG = "{http://www.w3.org/2000/svg}"
ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
A11Y_JS = Path(__file__).with_name("a11y.js")

# --- parsed pages -----------------------------------------------------------------------


@dataclass
class Doc:
    """One parsed HTML page: the html5lib tree, its parse errors and a parent map."""

    path: str
    root: ElementTree.Element
    errors: list[str]
    parents: dict[ElementTree.Element, ElementTree.Element] = field(default_factory=dict)
    ids: dict[str, list[ElementTree.Element]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for parent in self.root.iter():
            for child in parent:
                self.parents[child] = parent
        for element in self.elements():
            if element.get("id") is not None:
                self.ids.setdefault(element.get("id", ""), []).append(element)

    def elements(self) -> Iterator[ElementTree.Element]:
        return linkcheck.elements(self.root)

    def named(self, *names: str) -> list[ElementTree.Element]:
        """Elements by tag: plain names are HTML, ``svg:a`` an SVG element."""
        wanted = {SVG + name[4:] if name.startswith("svg:") else name for name in names}
        return [element for element in self.elements() if element.tag in wanted]

    def ancestors(self, element: ElementTree.Element) -> Iterator[ElementTree.Element]:
        while element in self.parents:
            element = self.parents[element]
            yield element

    def by_id(self, value: str) -> ElementTree.Element | None:
        found = self.ids.get(value)
        return found[0] if found else None

    @property
    def base(self) -> str | None:
        return linkcheck.base_href(self.root)


def parse(data: bytes | str, path: str = "snippet.html") -> Doc:
    """A page (or a snippet: html5lib adds what a browser adds around it) as a Doc."""
    root, errors = linkcheck.parse_html(data.encode("utf-8") if isinstance(data, str) else data)
    return Doc(path, root, errors)


def load_pages(site: Path) -> dict[str, Doc]:
    """Every HTML file of a built site, parsed, by its path relative to the site."""
    return {
        path.relative_to(site).as_posix(): parse(path.read_bytes(), path.relative_to(site).as_posix())
        for path in linkcheck.html_files(site)
    }


def describe(element: ElementTree.Element) -> str:
    """A short start tag for messages: ``<a class="tag" href="...">``."""
    name = linkcheck.local_name(element)
    shown = [
        f'{key.rsplit("}", 1)[-1]}="{value[:60]}"' for key, value in element.attrib.items() if key.rsplit("}", 1)[-1] in _SHOWN
    ]
    return "<" + " ".join([name, *shown]) + ">"


_SHOWN = ("id", "class", "href", "type", "name", "role", "for", "aria-label", "aria-labelledby", "tabindex")


def _hidden(doc: Doc, element: ElementTree.Element) -> bool:
    """Hidden from everyone by markup alone (CSS is the browser checks' business)."""
    for node in (element, *doc.ancestors(element)):
        if node.get("hidden") is not None or node.get("aria-hidden") == "true" or node.tag in ("template", "script", "style"):
            return True
        if node.tag == "input" and node.get("type", "").lower() == "hidden":
            return True
    return False


def _aria_hidden(doc: Doc, element: ElementTree.Element) -> bool:
    return any(node.get("aria-hidden") == "true" for node in (element, *doc.ancestors(element)))


def _squash(text: str) -> str:
    return " ".join(text.split())


def accessible_name(doc: Doc, element: ElementTree.Element, _from_content: bool = False) -> str:
    """The accessible name, after the steps of the W3C accname algorithm that static markup decides.

    aria-labelledby, aria-label, the host language's own label (alt, <label>, a button's value, an SVG
    <title> child), then the content (skipping hidden subtrees), then title. Enough for a site's pages;
    not CSS-generated content (the browser checks see that).
    """
    return _squash(_name(doc, element, _from_content, frozenset()))


def _name(doc: Doc, element: ElementTree.Element, from_content: bool, seen: frozenset[int]) -> str:
    """``accessible_name`` before white space is collapsed, so inline pieces keep the spaces between them."""
    if id(element) in seen:
        return ""
    seen = seen | {id(element)}
    if not from_content:
        targets = [target for target in map(doc.by_id, element.get("aria-labelledby", "").split()) if target is not None]
        named = " ".join(_name(doc, target, True, seen) for target in targets)
        if named.strip():
            return named
    elif element.get("aria-hidden") == "true" or element.get("hidden") is not None:
        return ""
    if element.get("aria-label", "").strip():
        return element.get("aria-label", "")
    tag = element.tag
    if tag in ("img", "area"):
        return element.get("alt", "") or element.get("title", "")
    if tag == "input":
        kind = element.get("type", "text").lower()
        if kind == "image":
            return element.get("alt", "") or element.get("title", "")
        if kind in ("submit", "reset", "button"):
            return element.get("value", "") or {"submit": "Submit", "reset": "Reset"}.get(kind, "")
        if from_content:
            return element.get("value", "")
        labels = _labels_of(doc, element)
        return " ".join(_name(doc, found, True, seen) for found in labels) if labels else element.get("title", "")
    if tag in ("select", "textarea") and not from_content:
        labels = _labels_of(doc, element)
        return " ".join(_name(doc, found, True, seen) for found in labels) if labels else element.get("title", "")
    if isinstance(tag, str) and tag.startswith(SVG) and not from_content:
        titles = [child for child in element if child.tag == SVG + "title"]
        if titles and "".join(titles[0].itertext()).strip():
            return "".join(titles[0].itertext())
    if tag in ("script", "style", "template", SVG + "desc", SVG + "style"):
        return ""
    parts = [element.text or ""]
    for child in element:
        if isinstance(child.tag, str):
            if child.tag == SVG + "title":
                if element.tag in (SVG + "a", SVG + "svg") or from_content:
                    parts.append("".join(child.itertext()))  # an SVG link's or shape's own tooltip names it
            else:
                inner = _name(doc, child, True, seen)
                parts.append(f" {inner} " if child.tag in _BLOCKS else inner)
        parts.append(child.tail or "")
    content = "".join(parts)
    return content if content.strip() else element.get("title", "")


def label(doc: Doc, element: ElementTree.Element) -> str:
    """A name given by label alone, as landmarks, regions, forms and images get theirs (never from their content):
    aria-labelledby, aria-label, an SVG <title> child, a title attribute."""
    targets = [target for target in map(doc.by_id, element.get("aria-labelledby", "").split()) if target is not None]
    named = _squash(" ".join(_name(doc, target, True, frozenset()) for target in targets))
    if named:
        return named
    if element.get("aria-label", "").strip():
        return _squash(element.get("aria-label", ""))
    titles = [child for child in element if child.tag == SVG + "title"]
    if titles and _squash("".join(titles[0].itertext())):
        return _squash("".join(titles[0].itertext()))
    return _squash(element.get("title", ""))


_BLOCKS = {
    "p",
    "div",
    "li",
    "ul",
    "ol",
    "section",
    "article",
    "header",
    "footer",
    "nav",
    "main",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "br",
    "td",
    "th",
}


def _labels_of(doc: Doc, control: ElementTree.Element) -> list[ElementTree.Element]:
    """<label for=id> elements and the <label> around the control."""
    found = [label for label in doc.named("label") if control.get("id") and label.get("for") == control.get("id")]
    found += [node for node in doc.ancestors(control) if node.tag == "label" and node.get("for") is None]
    return found


# --- static accessibility -----------------------------------------------------------------

LANDMARK_TAGS = {"main": "main", "nav": "navigation", "aside": "complementary", "search": "search"}
SECTIONING = {"article", "aside", "main", "nav", "section"}
FOCUSABLE_INPUT_EXCLUDED = {"hidden"}
LABELLED_INPUT_EXCLUDED = {"hidden", "submit", "reset", "button", "image"}
CHART_ROLES = {"img", "graphics-document", "group", "figure", "document", "application"}


def landmarks(doc: Doc) -> list[tuple[str, ElementTree.Element]]:
    """(role, element) for every landmark of the page, as HTML-AAM maps elements to roles."""
    found: list[tuple[str, ElementTree.Element]] = []
    for element in doc.elements():
        if _hidden(doc, element):
            continue
        role = element.get("role", "").split()[0] if element.get("role", "").strip() else None
        if role is None:
            tag = element.tag
            if tag in LANDMARK_TAGS:
                role = LANDMARK_TAGS[tag]
            elif tag in ("header", "footer"):
                scoped = any(node.tag in SECTIONING for node in doc.ancestors(element))
                role = None if scoped else ("banner" if tag == "header" else "contentinfo")
            elif tag == "section" and label(doc, element):
                role = "region"
            elif tag == "form" and label(doc, element):
                role = "form"
        if role in ("main", "navigation", "banner", "contentinfo", "complementary", "search", "region", "form"):
            found.append((role, element))
    return found


def focusable(doc: Doc, element: ElementTree.Element) -> bool:
    """In the tab order by markup: links with href, controls, summaries, tabindex >= 0."""
    if _hidden(doc, element) or element.get("disabled") is not None:
        return False
    tabindex = element.get("tabindex")
    if tabindex is not None and re.fullmatch(r"\s*-?\d+\s*", tabindex):
        return int(tabindex) >= 0
    tag = element.tag
    if tag in ("a", "area", SVG + "a"):
        return element.get("href") is not None or element.get(XLINK_HREF) is not None
    if tag == "input":
        return element.get("type", "text").lower() not in FOCUSABLE_INPUT_EXCLUDED
    if tag in ("button", "select", "textarea", "iframe"):
        return True
    if tag == "summary":
        parent = doc.parents.get(element)
        return (
            parent is not None
            and parent.tag == "details"
            and next(iter(c for c in parent if c.tag == "summary"), None) is element
        )
    return False


def _href(element: ElementTree.Element) -> str | None:
    return element.get("href") if element.get("href") is not None else element.get(XLINK_HREF)


def external(url: str) -> bool:
    """A link that leaves the site: another host (http(s) or //host), or mail."""
    parts = urlsplit(url.strip())
    return bool(parts.netloc) or parts.scheme.lower() in ("http", "https", "mailto")


def heading_problems(doc: Doc) -> list[str]:
    problems = []
    headings = [element for element in doc.named("h1", "h2", "h3", "h4", "h5", "h6") if not _hidden(doc, element)]
    ones = [element for element in headings if element.tag == "h1"]
    if len(ones) != 1:
        problems.append(f"{len(ones)} <h1> elements, not exactly one")
    previous = 0
    for heading in headings:
        level = int(heading.tag[1])
        name = accessible_name(doc, heading)
        if level > previous + 1:
            problems.append(
                f"heading level skipped: <h{level}> {name[:50]!r} follows "
                + (f"<h{previous}>" if previous else "the start of the page")
            )
        if not name:
            problems.append(f"empty heading {describe(heading)}")
        previous = level
    return problems


def landmark_problems(doc: Doc) -> list[str]:
    problems = []
    found = landmarks(doc)
    for role, tag in (("main", "<main>"), ("banner", "banner <header>"), ("contentinfo", "contentinfo <footer>")):
        count = sum(1 for kind, _ in found if kind == role)
        if count != 1:
            problems.append(f"{count} {tag} landmarks, not exactly one")
    by_role: dict[str, list[ElementTree.Element]] = {}
    for role, element in found:
        by_role.setdefault(role, []).append(element)
    for role, members in by_role.items():
        if len(members) < 2:
            continue
        names = [label(doc, element) for element in members]
        for element, name in zip(members, names, strict=True):
            if not name:
                problems.append(f"{len(members)} {role} landmarks, and {describe(element)} has no name (aria-label)")
        repeated = sorted({name for name in names if name and names.count(name) > 1})
        problems += [f"{role} landmarks share the name {name!r}" for name in repeated]
    main = [element for role, element in found if role == "main"]
    for element in main:
        inside = [node.tag for node in doc.ancestors(element) if node.tag in ("article", "aside", "footer", "header", "nav")]
        if inside:
            problems.append(f"<main> inside <{inside[0]}>")
    return problems


def name_problems(doc: Doc) -> list[str]:
    """Links, buttons, form controls, images and charts have accessible names; a visible label is part of the name."""
    problems = []
    for element in doc.elements():
        if _hidden(doc, element):
            continue
        tag = element.tag
        if tag in ("a", SVG + "a", "area") and _href(element) is not None:
            name = accessible_name(doc, element)
            if not name:
                problems.append(f"link without a name: {describe(element)}")
            else:
                problems += _label_in_name(doc, element, name)
        elif tag == "button" or (tag == "input" and element.get("type", "").lower() in ("submit", "reset", "button", "image")):
            if not accessible_name(doc, element):
                problems.append(f"button without a name: {describe(element)}")
        elif element.get("role") in ("button", "link") and not accessible_name(doc, element):
            problems.append(f"{element.get('role')} without a name: {describe(element)}")
        if tag == "img" and element.get("alt") is None:
            problems.append(f"image without alt: {describe(element)}")
        if element.get("role") == "img" and not label(doc, element):
            problems.append(f"role=img without a name: {describe(element)}")
        control = tag in ("select", "textarea") or (
            tag == "input" and element.get("type", "text").lower() not in LABELLED_INPUT_EXCLUDED
        )
        if control and not accessible_name(doc, element):
            hint = " (a placeholder is not a label)" if element.get("placeholder") else ""
            problems.append(f"form control without a label: {describe(element)}{hint}")
        if tag == SVG + "svg" and not any(node.tag == SVG + "svg" for node in doc.ancestors(element)):
            role = element.get("role", "").strip()
            if role in ("presentation", "none"):
                continue
            if role not in CHART_ROLES:
                problems.append(f"<svg> without a role (img, group, graphics-document) or aria-hidden: {describe(element)}")
            if not label(doc, element):
                problems.append(f"<svg> without a <title> or aria-label: {describe(element)}")
    return problems


def _label_in_name(doc: Doc, element: ElementTree.Element, name: str) -> list[str]:
    """WCAG 2.5.3: a link named by aria-label keeps its visible text in the name (speech users say what they see)."""
    if not element.get("aria-label") and not element.get("aria-labelledby"):
        return []
    visible = _content_text(doc, element)
    if visible and _squash(visible).lower() not in name.lower():
        return [f"the name {name!r} of {describe(element)} does not contain its visible text {visible!r}"]
    return []


def _content_text(doc: Doc, element: ElementTree.Element) -> str:
    copy = ElementTree.Element(
        element.tag, {k: v for k, v in element.attrib.items() if k not in ("aria-label", "aria-labelledby")}
    )
    copy.text = element.text
    copy.extend(list(element))
    return accessible_name(doc, copy, _from_content=True)


def focus_order_problems(doc: Doc) -> list[str]:
    """No positive tabindex; nothing focusable inside aria-hidden; the first stop is a skip link to <main>."""
    problems = []
    for element in doc.elements():
        tabindex = element.get("tabindex")
        if tabindex is not None:
            if not re.fullmatch(r"-?\d+", tabindex.strip()):
                problems.append(f"tabindex is not an integer: {describe(element)}")
            elif int(tabindex) > 0:
                problems.append(f"positive tabindex (changes the tab order): {describe(element)}")
        if _aria_hidden(doc, element) and focusable_ignoring_aria_hidden(doc, element):
            problems.append(f"focusable element inside aria-hidden: {describe(element)}")
    problems += skip_link_problems(doc)
    return problems


def focusable_ignoring_aria_hidden(doc: Doc, element: ElementTree.Element) -> bool:
    if any(node.get("hidden") is not None for node in (element, *doc.ancestors(element))):
        return False
    saved = {node: node.attrib.pop("aria-hidden") for node in (element, *doc.ancestors(element)) if "aria-hidden" in node.attrib}
    try:
        return focusable(doc, element)
    finally:
        for node, value in saved.items():
            node.set("aria-hidden", value)


def skip_link_problems(doc: Doc) -> list[str]:
    body = next(iter(doc.named("body")), None)
    if body is None:
        return ["no <body>"]
    first = next((element for element in body.iter() if isinstance(element.tag, str) and focusable(doc, element)), None)
    if first is None:
        return []  # nothing to skip past
    mains = [element for role, element in landmarks(doc) if role == "main"]
    href = _href(first) or ""
    if first.tag != "a" or "#" not in href:
        return [f"the first thing in the tab order is {describe(first)}, not a skip link to <main>"]
    target, fragment = href.split("#", 1)
    fragment = unquote(fragment)
    if not mains or mains[0].get("id") != fragment:
        return [
            f"the skip link {describe(first)} does not point at the <main> landmark (id {mains[0].get('id') if mains else None!r})"
        ]
    base = doc.base
    if base is None and target == "":
        return []
    try:
        resolved = linkcheck.resolve(doc.path, target or ".", base)
    except linkcheck.LinkError as error:
        return [f"the skip link {describe(first)} leads nowhere: {error}"]
    if resolved is None:
        return [f"the skip link {describe(first)} leaves the site"]
    if resolved == "." or target.endswith("/") or target == "":
        resolved = posixpath.join("" if resolved == "." else resolved, "index.html")  # a folder: its index.html
    if resolved != doc.path:
        where = f" (with <base href={base!r}>)" if base else ""
        return [f"the skip link {describe(first)} leads to {resolved!r}{where}, not to this page"]
    return []


def noopener_problems(doc: Doc) -> list[str]:
    """Links that leave the site carry rel=noopener (or noreferrer)."""
    problems = []
    for element in doc.named("a", "area", "svg:a"):
        href = _href(element)
        if href is None or not external(href):
            continue
        rel = element.get("rel", "").lower().split()
        if "noopener" not in rel and "noreferrer" not in rel:
            problems.append(f"link leaving the site without rel=noopener: {describe(element)}")
    return problems


def document_problems(doc: Doc) -> list[str]:
    problems = []
    html = doc.root if doc.root.tag == "html" else next(iter(doc.named("html")), None)
    lang = html.get("lang", "").strip() if html is not None else ""
    if not lang:
        problems.append("<html> has no lang")
    elif not re.fullmatch(r"[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*", lang):
        problems.append(f"<html lang={lang!r}> is not a language tag")
    titles = doc.named("title")
    if not titles or not _squash("".join(titles[0].itertext())):
        problems.append("no <title>, or an empty one")
    for element in doc.elements():
        if element.get("lang") is not None and not re.fullmatch(r"([A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*)?", element.get("lang", "")):
            problems.append(f"lang={element.get('lang')!r} is not a language tag: {describe(element)}")
    return problems


def page_problems(doc: Doc) -> list[str]:
    """Every static accessibility check of one page."""
    return (
        document_problems(doc)
        + heading_problems(doc)
        + landmark_problems(doc)
        + name_problems(doc)
        + focus_order_problems(doc)
        + noopener_problems(doc)
    )


# --- validity: HTML ------------------------------------------------------------------------

IDREF_LISTS = (
    "aria-labelledby",
    "aria-describedby",
    "aria-controls",
    "aria-owns",
    "aria-flowto",
    "aria-details",
    "aria-errormessage",
)
IDREFS = ("aria-activedescendant", "for", "list", "form", "popovertarget", "commandfor")
IDREF_OWNERS = {
    "for": ("label", "output"),
    "form": ("button", "fieldset", "input", "object", "output", "select", "textarea"),
    "list": ("input",),
    "headers": ("td", "th"),
}


def id_problems(doc: Doc) -> list[str]:
    problems = []
    for value, found in doc.ids.items():
        if len(found) > 1:
            problems.append(f"id {value!r} is used {len(found)} times")
        if value == "" or any(character.isspace() for character in value):
            problems.append(f"id {value!r} is empty or holds a space: {describe(found[0])}")
    return problems


def reference_problems(doc: Doc) -> list[str]:
    """Every attribute that names an id (aria-labelledby, for, href="#id", headers...) names one of this page."""
    problems = []
    for element in doc.elements():
        for attribute in IDREF_LISTS + IDREFS + ("headers",):
            value = element.get(attribute)
            if value is None or element.tag not in IDREF_OWNERS.get(attribute, (element.tag,)):
                continue  # for= on a <script>, list= on a <div>: not a reference
            tokens = value.split() if attribute in IDREF_LISTS + ("headers", "for") else [value]
            if not tokens:
                problems.append(f"{attribute} is empty: {describe(element)}")
            problems += [
                f"{attribute}={token!r} names no element of the page: {describe(element)}"
                for token in tokens
                if doc.by_id(token) is None
            ]
        href = _href(element)
        if href is not None and element.tag in ("a", "area", SVG + "a") and href.startswith("#"):
            fragment = unquote(href[1:])
            if doc.base is not None:
                problems.append(
                    f"{href!r} under <base href={doc.base!r}> leads to the base page, not to this one: {describe(element)}"
                )
            elif fragment == "":
                problems.append(f'href="#" goes nowhere (a button is the element for an action): {describe(element)}')
            elif doc.by_id(fragment) is None and fragment.lower() != "top":
                problems.append(f"{href!r} names no element of the page: {describe(element)}")
        usemap = element.get("usemap")
        if usemap is not None and not any(m.get("name") == usemap.lstrip("#") for m in doc.named("map")):
            problems.append(f"usemap={usemap!r} names no <map>")
    return problems


def fragment_problems(site: Path, pages: dict[str, Doc] | None = None) -> list[str]:
    """Links to another page of the site with a #fragment name an id of that page."""
    pages = pages if pages is not None else load_pages(site)
    problems = []
    for parsed in linkcheck.scan(site).values():
        for reference in parsed.references:
            if reference.target is None or "#" not in reference.url or reference.target not in pages:
                continue
            fragment = unquote(reference.url.split("#", 1)[1])
            if fragment and fragment.lower() != "top" and pages[reference.target].by_id(fragment) is None:
                problems.append(
                    f"{reference.page}: <{reference.element} {reference.attribute}={reference.url!r}>: {reference.target} has no id {fragment!r}"
                )
    return problems


def html_problems(doc: Doc, data: bytes | None = None) -> list[str]:
    """Parse errors, ids, id references and the charset of one page."""
    problems = [f"parse error: {error}" for error in doc.errors] + id_problems(doc) + reference_problems(doc)
    if data is not None and not re.search(rb"<meta\s+charset=\"?utf-8\"?\s*/?>", data[:1024], re.IGNORECASE):
        problems.append('no <meta charset="utf-8"> in the first 1024 bytes')
    return problems


# --- validity: XML, Atom, sitemaps, JSON, UTF-8 ----------------------------------------------

RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")


def xml_problems(data: bytes) -> tuple[ElementTree.Element | None, list[str]]:
    """The document element as the standard library's expat parser reads it (well-formed XML only), and the problems."""
    problems = []
    if not data.startswith(b"<?xml") and not data.lstrip().startswith(b"<svg"):
        problems.append("no XML declaration")
    declared = re.match(rb"<\?xml[^>]*encoding=[\"']([^\"']+)", data)
    if declared and declared.group(1).lower() not in (b"utf-8", b"utf8"):
        problems.append(f"declared encoding {declared.group(1).decode()!r}, not utf-8")
    parser = ElementTree.XMLParser()
    try:
        parser.feed(data)
        return parser.close(), problems
    except ElementTree.ParseError as error:
        return None, [*problems, f"not well-formed XML: {error}"]


def _absolute(url: str | None) -> bool:
    parts = urlsplit(url or "")
    return parts.scheme in ("http", "https", "tag", "urn") and (bool(parts.netloc) or parts.scheme in ("tag", "urn"))


def _one(parent: ElementTree.Element, name: str, where: str) -> tuple[ElementTree.Element | None, list[str]]:
    found = parent.findall(ATOM + name)
    if len(found) != 1:
        return (found[0] if found else None), [f"{where}: {len(found)} <{name}> elements, not exactly one"]
    return found[0], []


def atom_problems(feed: ElementTree.Element) -> list[str]:
    """RFC 4287's musts: a feed has one id, title and updated (and an author, unless every entry has one);
    every entry has one id, title and updated and a link; dates are RFC 3339; ids are absolute and unique."""
    if feed.tag != ATOM + "feed":
        return [f"the document element is {feed.tag}, not an Atom <feed>"]
    problems = []
    for name in ("id", "title", "updated"):
        element, found = _one(feed, name, "feed")
        problems += found
        if element is not None and not (element.text or "").strip():
            problems.append(f"feed: empty <{name}>")
    problems += _date_problems(feed, "feed")
    feed_id = feed.findtext(ATOM + "id")
    if feed_id is not None and not _absolute(feed_id.strip()):
        problems.append(f"feed: <id> {feed_id!r} is not an absolute IRI")
    selves = [link for link in feed.findall(ATOM + "link") if link.get("rel") == "self"]
    if len(selves) != 1 or not _absolute(selves[0].get("href")):
        problems.append('feed: no absolute <link rel="self">')
    entries = feed.findall(ATOM + "entry")
    if not feed.findall(ATOM + "author") and not all(entry.findall(ATOM + "author") for entry in entries):
        problems.append("feed: no <author>, and not every entry has one")
    ids = []
    for number, entry in enumerate(entries, 1):
        where = f"entry {number} ({(entry.findtext(ATOM + 'title') or '').strip()[:40]!r})"
        for name in ("id", "title", "updated"):
            element, found = _one(entry, name, where)
            problems += found
            if element is not None and not "".join(element.itertext()).strip():
                problems.append(f"{where}: empty <{name}>")
        problems += _date_problems(entry, where)
        links = entry.findall(ATOM + "link")
        if not links or any(not _absolute(link.get("href")) for link in links):
            problems.append(f"{where}: no <link>, or one with no absolute href")
        if entry.find(ATOM + "content") is None and not any(link.get("rel", "alternate") == "alternate" for link in links):
            problems.append(f'{where}: no <content> and no <link rel="alternate">')
        for author in entry.findall(ATOM + "author"):
            if not (author.findtext(ATOM + "name") or "").strip():
                problems.append(f"{where}: an <author> without a <name>")
        entry_id = (entry.findtext(ATOM + "id") or "").strip()
        if entry_id and not _absolute(entry_id):
            problems.append(f"{where}: <id> {entry_id!r} is not an absolute IRI")
        ids.append(entry_id)
    problems += [
        f"entry id {value!r} is used {ids.count(value)} times" for value in sorted(set(ids)) if value and ids.count(value) > 1
    ]
    return problems


def _date_problems(parent: ElementTree.Element, where: str) -> list[str]:
    return [
        f"{where}: <{element.tag[len(ATOM) :]}> {element.text!r} is not an RFC 3339 date-time"
        for element in (*parent.findall(ATOM + "updated"), *parent.findall(ATOM + "published"))
        if not RFC3339.fullmatch((element.text or "").strip())
    ]


def sitemap_problems(urlset: ElementTree.Element) -> list[str]:
    if urlset.tag != SITEMAP + "urlset":
        return [f"the document element is {urlset.tag}, not a sitemap <urlset>"]
    urls = urlset.findall(SITEMAP + "url")
    problems = [] if len(urls) <= 50_000 else [f"{len(urls)} URLs, over the sitemap limit of 50,000"]
    locs = [(url.findtext(SITEMAP + "loc") or "").strip() for url in urls]
    problems += [f"<loc> {loc!r} is not an absolute http(s) URL" for loc in locs if not _absolute(loc)]
    problems += [f"<loc> {loc!r} is listed {locs.count(loc)} times" for loc in sorted(set(locs)) if locs.count(loc) > 1]
    return problems


def json_problems(data: bytes) -> list[str]:
    """Strict JSON (RFC 8259): UTF-8, no NaN or Infinity, no key twice in an object."""

    def no_constants(name: str) -> Any:
        raise ValueError(f"{name} is not JSON")

    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        keys = [key for key, _ in pairs]
        repeated = sorted({key for key in keys if keys.count(key) > 1})
        if repeated:
            raise ValueError(f"key {repeated[0]!r} appears twice in one object")
        return dict(pairs)

    try:
        json.loads(data.decode("utf-8"), parse_constant=no_constants, object_pairs_hook=no_duplicates)
    except (UnicodeDecodeError, ValueError) as error:
        return [f"not strict JSON: {error}"]
    return []


BINARY_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".webp", ".ico", ".woff", ".woff2", ".gz", ".br", ".zip", ".pdf"}


def utf8_problems(data: bytes) -> list[str]:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as error:
        return [f"not UTF-8: {error}"]
    return ["starts with a byte order mark"] if data.startswith(b"\xef\xbb\xbf") else []


def site_files(site: Path) -> list[Path]:
    return sorted(path for path in site.rglob("*") if path.is_file() and not path.is_symlink())


# --- page kinds ---------------------------------------------------------------------------


def page_kinds(paths: Iterable[str]) -> dict[str, list[str]]:
    """Output paths grouped by shape: ``papers/*/index.html``, ``dates/#/#/index.html``, ``tags/*/page/#/index.html``...

    A folder name made of digits is ``#``; below the top level, a folder whose parent holds three or
    more non-numeric folders is ``*`` (papers, tags, organisations...). Nothing is named here, so a kind
    of page added later is a kind of its own.
    """
    paths = sorted(paths)
    children: dict[str, set[str]] = {}
    for path in paths:
        parts = path.split("/")
        for depth in range(1, len(parts) - 1):
            children.setdefault("/".join(parts[:depth]), set()).add(parts[depth])
    kinds: dict[str, list[str]] = {}
    for path in paths:
        parts = path.split("/")
        shape = []
        for depth, part in enumerate(parts):
            parent = "/".join(parts[:depth])
            if depth < len(parts) - 1 and part.isdigit():
                shape.append("#")
            elif depth and depth < len(parts) - 1 and len([name for name in children.get(parent, ()) if not name.isdigit()]) >= 3:
                shape.append("*")
            else:
                shape.append(part)
        kinds.setdefault("/".join(shape), []).append(path)
    return kinds


def features(doc: Doc) -> set[str]:
    """What a page is made of: every element name, element.class and element[role] under <body>."""
    found: set[str] = set()
    body = next(iter(doc.named("body")), doc.root)
    for element in body.iter():
        if not isinstance(element.tag, str):
            continue
        name = linkcheck.local_name(element)
        found.add(name)
        found.update(f"{name}.{cls}" for cls in element.get("class", "").split())
        if element.get("role"):
            found.add(f"{name}[role={element.get('role')}]")
    return found


def longest_word(doc: Doc) -> int:
    """The longest run of text without a space on the page (what is likeliest to overflow a narrow screen);
    not in <pre>, which wraps or scrolls by itself, nor in scripts."""

    def text(element: ElementTree.Element) -> Iterator[str]:
        if element.tag in ("pre", "script", "style", "template"):
            return
        yield element.text or ""
        for child in element:
            if isinstance(child.tag, str):
                yield from text(child)
            yield child.tail or ""

    body = next(iter(doc.named("body")), doc.root)
    return max((len(word) for word in " ".join(text(body)).split()), default=0)


def sample(pages: dict[str, Doc], per_kind: int = 6) -> dict[str, list[str]]:
    """Pages of each kind for the browser checks: the first, then those that add the most features not yet
    seen (a greedy cover, at most ``per_kind``), and the one with the longest word."""
    chosen: dict[str, list[str]] = {}
    for kind, paths in page_kinds(pages).items():
        made = {path: features(pages[path]) for path in paths}
        picked = [paths[0]]
        seen = set(made[paths[0]])
        while len(picked) < per_kind:
            best = max((path for path in paths if path not in picked), key=lambda path: len(made[path] - seen), default=None)
            if best is None or not made[best] - seen:
                break
            picked.append(best)
            seen |= made[best]
        widest = max(paths, key=lambda path: (longest_word(pages[path]), path))
        if widest not in picked:
            picked.append(widest)
        chosen[kind] = picked
    return chosen


def unseen_features(pages: dict[str, Doc], chosen: dict[str, list[str]]) -> dict[str, set[str]]:
    """Per kind, the features some page has and no sampled page shows (empty when the sample covers the kind)."""
    missing = {}
    for kind, paths in page_kinds(pages).items():
        every = set().union(*(features(pages[path]) for path in paths))
        shown = set().union(*(features(pages[path]) for path in chosen[kind]))
        if every - shown:
            missing[kind] = every - shown
    return missing


# --- the two sites --------------------------------------------------------------------------

SITES = ("seed", "rich")


def built_site(name: str, folder: Path) -> tuple[Path, Path]:
    """(project, built site) of ``seed`` (the repository's content) or ``rich`` (tests/rich_site.py), built once
    into ``folder`` (a session's temporary folder, so every test module shares the build)."""
    from rich_site import build, rich_project, seed_project

    project, out = folder / name, folder / f"{name}-site"
    if not (out / "index.html").is_file():
        folder.mkdir(parents=True, exist_ok=True)
        if project.exists():
            raise RuntimeError(f"{project} is left from a build that did not finish")
        (rich_project if name == "rich" else seed_project)(project)
        build(project, out)
    return project, out


# --- browser checks -----------------------------------------------------------------------


@functools.cache
def _script() -> str:
    return A11Y_JS.read_text(encoding="utf-8").strip()


_CALL = "window.__a11y ? JSON.stringify(window.__a11y[name](argument) ?? null) : undefined"


def measure(page: Any, name: str, argument: Any = None) -> Any:
    """Run ``name`` of tests/a11y.js in a Playwright page and return what it reports.

    As JSON text: Playwright's own transfer of a large nested result takes ten times longer than the measuring.
    """
    text = page.evaluate(f"([name, argument]) => {_CALL}", [name, argument])
    if text is None:  # a new document: install the measurements once, then call
        text = page.evaluate(f"([name, argument]) => {{ window.__a11y = ({_script()}); return {_CALL}; }}", [name, argument])
    return json.loads(text)


Colour = tuple[float, float, float, float]


def composite(top: Colour, bottom: Colour) -> Colour:
    """``top`` painted over ``bottom`` (source-over, straight alpha)."""
    alpha = top[3] + bottom[3] * (1 - top[3])
    if alpha == 0:
        return (0.0, 0.0, 0.0, 0.0)
    mix = [(top[i] * top[3] + bottom[i] * bottom[3] * (1 - top[3])) / alpha for i in range(3)]
    return (mix[0], mix[1], mix[2], alpha)


def luminance(colour: Colour) -> float:
    """WCAG 2.x relative luminance of an sRGB colour (0-255 channels)."""

    def channel(value: float) -> float:
        value /= 255
        return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(value) for value in colour[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(foreground: Colour, background: Colour) -> float:
    """The WCAG contrast ratio of ``foreground`` over an opaque ``background``, 1 to 21."""
    seen = composite(foreground, background) if foreground[3] < 1 else foreground
    lighter, darker = sorted((luminance(seen), luminance(background)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def backdrop(layers: list[list[float]], canvas: Colour) -> Colour:
    """The colour behind an element: its backgrounds up the tree (nearest first) painted over the canvas."""
    colour = canvas
    for layer in reversed(layers):
        colour = composite((layer[0], layer[1], layer[2], layer[3]), colour)
    return colour


def large_text(size_px: float, weight: int) -> bool:
    """WCAG large text: 18pt (24px), or 14pt (18.67px) bold."""
    return size_px >= 24 or (size_px >= 18.66 and weight >= 700)


def contrast_problems(texts: list[dict[str, Any]], where: str = "") -> list[str]:
    """Text under 4.5:1 (3:1 when large) against what is behind it; text over an image cannot be judged and is reported."""
    problems = []
    for text in texts:
        background = backdrop(text["backgrounds"], _colour(text["canvas"]))
        colour = text["color"]
        ratio = contrast((colour[0], colour[1], colour[2], colour[3] * text.get("opacity", 1)), background)
        needed = 3.0 if large_text(text["size"], text["weight"]) else 4.5
        label = f"{where}{text['selector']} {text['text'][:40]!r}" + (f" ({text['kind']})" if text.get("kind") else "")
        if text.get("image"):
            problems.append(f"{label}: text over a background image, contrast not measurable")
        elif ratio < needed - 1e-9:
            problems.append(
                f"{label}: contrast {ratio:.2f}:1 < {needed}:1 ({_css(colour)} on {_css(background)}, {text['size']}px/{text['weight']})"
            )
    return problems


def _css(colour: Any) -> str:
    r, g, b = (round(value) for value in colour[:3])
    return f"#{r:02x}{g:02x}{b:02x}" + ("" if colour[3] >= 1 else f"@{colour[3]:.2f}")


def focus_problems(before: dict[str, Any], after: dict[str, Any], where: str = "") -> list[str]:
    """One element's focus indicator, from its unfocused and its focused state (tests/a11y.js ``focusables``, ``focused``).

    It matches :focus-visible; its outline or box-shadow (for an SVG link, the fill or stroke of its
    shape) changes; an outline is at least 2px and 3:1 against what is around it (WCAG 1.4.11), a
    focused shape 3:1 too; and the focused element is on screen.
    """
    label = f"{where}{after['selector']} {after['text'][:40]!r}"
    problems = []
    if not after["focusVisible"]:
        problems.append(f"{label}: does not match :focus-visible when tabbed to")
    style, old = after["style"], before["style"]
    changed = {key for key in style if style[key] != old.get(key)}
    outline = style["outlineStyle"] != "none" and _px(style["outlineWidth"]) > 0 and bool(changed & OUTLINE)
    shadow = style["boxShadow"] != "none" and "boxShadow" in changed
    shape = bool(changed & SHAPE)
    around = backdrop(after["around"], _colour(after["canvas"]))
    if not (outline or shadow or shape):
        problems.append(f"{label}: nothing shows the focus (outline, box-shadow unchanged)")
    elif outline:
        ring = _colour(after["outlineColor"])
        if _px(style["outlineWidth"]) < 2:
            problems.append(f"{label}: focus outline {style['outlineWidth']} wide, under 2px")
        if contrast(ring, around) < 3:
            problems.append(f"{label}: focus outline {_css(ring)} on {_css(around)} is {contrast(ring, around):.2f}:1, under 3:1")
    elif shape:
        marks = [_colour(after[key]) for key in ("shapeFill", "shapeStroke") if after.get(key)]
        if marks and max(contrast(mark, around) for mark in marks) < 3:
            problems.append(f"{label}: focused shape ({', '.join(map(_css, marks))}) on {_css(around)} is under 3:1")
    if not after["onScreen"]:
        problems.append(f"{label}: focused but not on screen")
    return problems


OUTLINE = {"outlineStyle", "outlineWidth", "outlineColor", "outlineOffset"}
SHAPE = {"shapeFill", "shapeStroke", "shapeStrokeWidth"}


def _colour(values: list[float]) -> Colour:
    return (values[0], values[1], values[2], values[3])


def _px(value: str) -> float:
    match = re.match(r"([\d.]+)px", value or "")
    return float(match.group(1)) if match else 0.0


def kinds_of_stop(before: list[dict[str, Any]]) -> list[int]:
    """Positions in the tab order of the first element of each signature (what a stylesheet can tell apart)."""
    first: dict[str, int] = {}
    for position, item in enumerate(before):
        first.setdefault(item["signature"], position)
    return sorted(first.values())


def tab_walk(page: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[str]]:
    """Press Tab into one element of every kind the page has, as a keyboard user reaches it.

    From the top of the page for the first stop; for each later kind, from the stop before it
    (focused from script) with one real Tab, which must land on it. Returns (the tab order, with
    unfocused styles; the focused state of each kind's element; where Tab went somewhere else).
    """
    before = measure(page, "focusables")
    visited: list[dict[str, Any]] = []
    problems: list[str] = []
    positions = kinds_of_stop(before)
    measure(page, "fromTop")
    for number, position in enumerate(positions):
        page.keyboard.press("Tab")
        following = positions[number + 1] if number + 1 < len(positions) else None
        # What this Tab focused; then, from script, the stop before the next kind, to Tab from.
        now = measure(page, "step", before[following - 1]["index"] if following else None)
        expected = before[position]
        if now is None or now["index"] != expected["index"]:
            start = (
                f"from {before[position - 1]['selector']} {before[position - 1]['text'][:30]!r}" if position else "from the top"
            )
            went = f"{now['selector']} {now['text'][:30]!r}" if now else "out of the page"
            problems.append(f"Tab {start} went to {went}, not to {expected['selector']} {expected['text'][:30]!r}")
            continue
        visited.append(now)
    return before, visited, problems


def focus_each(page: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """One element of every kind focused from script, after a real Tab so :focus-visible applies (a second colour scheme)."""
    before = measure(page, "focusables")
    measure(page, "fromTop")
    page.keyboard.press("Tab")
    return before, measure(page, "focusEach", [before[position]["index"] for position in kinds_of_stop(before)])


def tab_problems(before: list[dict[str, Any]], visited: list[dict[str, Any]], where: str = "") -> list[str]:
    """``focus_problems`` for every focused element against its unfocused self, and the contrast of the text it shows focused."""
    problems = []
    baseline = {item["index"]: item for item in before}
    for after in visited:
        if after is None:
            continue
        if after["index"] in baseline:
            problems += focus_problems(baseline[after["index"]], after, where)
        problems += contrast_problems(after.get("texts", []), where + "focused: ")
    return problems


@dataclass
class Survey:
    """What the browser checks measured on one page (``survey``)."""

    url: str
    texts: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    """by state: ``light``, ``dark``, and ``light, details open``... when the page has <details>"""
    focus: dict[str, tuple[list[dict[str, Any]], list[dict[str, Any]]]] = field(default_factory=dict)
    """by colour scheme: (the tab order unfocused, one focused element of each kind)"""
    tab_order: list[str] = field(default_factory=list)
    skip: dict[str, Any] = field(default_factory=dict)
    """where Tab from the top then Enter (the skip link) leaves the focus, and the page's path before"""
    overflow: dict[str, Any] = field(default_factory=dict)
    live_html: str = ""
    """the DOM as the page's scripts left it (search results, the copy button), details open"""


def follow_skip_link(page: Any) -> dict[str, Any]:
    """Tab from the top of the page, then Enter: where the focus is then (tests/a11y.js ``where``), and the path before."""
    path = page.evaluate("location.pathname")
    measure(page, "fromTop")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    try:
        page.wait_for_function(f"location.pathname !== {json.dumps(path)} || location.hash !== ''", timeout=2000)
    except Exception as error:  # Playwright's TimeoutError: the skip link went nowhere, which where() shows
        if type(error).__name__ != "TimeoutError":
            raise
    page.wait_for_load_state()
    return {"before": path, **measure(page, "where")}


def skip_problems(skip: dict[str, Any], where: str = "") -> list[str]:
    """The skip link moved the focus into <main>, on the same page."""
    if skip["inMain"] and skip["path"] == skip["before"]:
        return []
    return [f"{where}after Tab and Enter from the top, the focus is on {skip['selector']!r} at {skip['path']}{skip['hash']}"]


DESKTOP = {"width": 1100, "height": 900}
NARROW = {"width": 320, "height": 640}


def survey(page: Any, url: str, ready: str | None = None) -> Survey:
    """Load ``url`` once and measure it: text colours in light and dark, details closed and open; the focus
    indicator of one element of each kind (tabbed to in light, focused from script in dark); the width at
    320 CSS px; the live DOM. ``ready`` is a JavaScript expression to wait for (results of a search)."""
    found = Survey(url)
    page.set_viewport_size(DESKTOP)
    page.emulate_media(color_scheme="light")
    page.goto(url)
    if ready:
        page.wait_for_function(ready)
    found.texts["light"] = measure(page, "texts")
    before, visited, found.tab_order = tab_walk(page)
    found.focus["light"] = (before, visited)
    found.skip = follow_skip_link(page)
    measure(page, "blur")
    page.emulate_media(color_scheme="dark")
    found.texts["dark"] = measure(page, "texts")
    found.focus["dark"] = focus_each(page)
    measure(page, "blur")
    if measure(page, "openDetails"):
        found.texts["dark, details open"] = measure(page, "texts")
        page.emulate_media(color_scheme="light")
        found.texts["light, details open"] = measure(page, "texts")
    page.emulate_media(color_scheme="light")
    page.set_viewport_size(NARROW)
    found.overflow = measure(page, "overflow")
    found.live_html = page.content()
    page.set_viewport_size(DESKTOP)
    return found


def reflow_problems(report: dict[str, Any], where: str = "") -> list[str]:
    """WCAG 1.4.10: no horizontal scrolling at 320 CSS px."""
    if report["scrollWidth"] <= report["innerWidth"]:
        return []
    wide = "; ".join(f"{item['selector']} {item['text'][:30]!r} to {item['right']:.0f}px" for item in report["offenders"][:5])
    return [f"{where}scrolls sideways at {report['innerWidth']}px: {report['scrollWidth']}px wide ({wide})"]


def ratio_of(hex_foreground: str, hex_background: str) -> float:
    """The contrast of two ``#rrggbb`` colours, for the guard tests and for reading messages."""

    def rgb(text: str) -> Colour:
        text = text.lstrip("#")
        return (int(text[0:2], 16), int(text[2:4], 16), int(text[4:6], 16), 1.0)

    return contrast(rgb(hex_foreground), rgb(hex_background))

"""sitegen.site.render: relative URLs, safe Markdown, plain text and the Jinja environment."""

from __future__ import annotations

import datetime as dt
import posixpath
from pathlib import Path

import jinja2
import linkcheck
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sitegen.site.render import date_label, environment, excerpt, markdown_html, plain_text, relative_url, render

# --- relative_url -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "page", "expected"),
    [
        ("", "index.html", "index.html"),
        ("tags/", "index.html", "tags/index.html"),
        ("static/style.css", "index.html", "static/style.css"),
        ("", "papers/x/index.html", "../../index.html"),
        ("papers/y/", "papers/x/index.html", "../y/index.html"),
        ("papers/x/", "papers/x/index.html", "index.html"),
        ("static/style.css", "tags/reasoning/page/2/index.html", "../../../../static/style.css"),
        ("feed.xml", "tags/reasoning/index.html", "../../feed.xml"),
        ("tags/reasoning/feed.xml", "tags/reasoning/index.html", "feed.xml"),
        ("dates/2024/03/", "dates/2024/index.html", "03/index.html"),
        ("dates/", "dates/2024/03/index.html", "../../index.html"),
        ("", "page/2/index.html", "../../index.html"),
        ("page/3/", "page/2/index.html", "../3/index.html"),
        ("", "404.html", "index.html"),
        ("tags/#top", "index.html", "tags/index.html#top"),
        ("#main", "papers/x/index.html", "#main"),
        ("https://example.org/x", "papers/x/index.html", "https://example.org/x"),
        ("http://example.org/", "index.html", "http://example.org/"),
        ("mailto:a@example.org", "index.html", "mailto:a@example.org"),
    ],
)
def test_relative_url(target: str, page: str, expected: str) -> None:
    assert relative_url(target, page) == expected


segment = st.text(alphabet="abcxyz019-", min_size=1, max_size=6)
folders = st.lists(segment, max_size=4).map(lambda parts: "".join(f"{part}/" for part in parts))


@settings(max_examples=40, deadline=None)
@given(target=folders, file=st.sampled_from(["", "feed.xml", "style.css"]), page_folder=folders)
def test_relative_url_resolves_back_to_the_target(target: str, file: str, page_folder: str) -> None:
    """Followed from the page, the link lands on the target (a folder's index.html); never an absolute path."""
    page = f"{page_folder}index.html"
    url = relative_url(target + file, page)
    assert not url.startswith("/")
    assert posixpath.normpath(posixpath.join(posixpath.dirname(page), url)) == posixpath.normpath(target + (file or "index.html"))
    assert linkcheck.resolve(page, url) == posixpath.normpath(target + (file or "index.html"))


# --- Markdown: raw HTML off, unsafe schemes dropped -----------------------------------------------


def dom(html: str) -> list[tuple[str, dict[str, str]]]:
    document, _ = linkcheck.parse_html(f"<!doctype html><title>t</title><body>{html}".encode())
    return [(linkcheck.local_name(element), dict(element.attrib)) for element in linkcheck.elements(document)]


@pytest.mark.parametrize(
    "source",
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "<b onmouseover=alert(1)>bold</b>",
        "text <iframe src=javascript:alert(1)></iframe>",
        '<a href="javascript:alert(1)">raw</a>',
        "<!-- comment --><style>body{}</style>",
        "<div>\n\n*inside*\n\n</div>",
    ],
)
def test_raw_html_in_markdown_is_shown_as_text(source: str) -> None:
    html = str(markdown_html(source))
    elements = dom(html)
    assert {name for name, _ in elements} <= {"html", "head", "title", "body", "p", "em"}, html
    assert not [attributes for _, attributes in elements if any(key.startswith("on") for key in attributes)]
    assert "<" not in source or "&lt;" in html


@pytest.mark.parametrize(
    "source",
    [
        "[x](javascript:alert(1))",
        "[x](JaVaScRiPt:alert(1))",
        "[x](javascript&#58;alert(1))",
        "[x](&#106;avascript:alert(1))",
        "[x](javascript\\:alert(1))",
        "[x](<javascript:alert(1)>)",
        "<javascript:alert(1)>",
        "![image](javascript:alert(1))",
        "[x][ref]\n\n[ref]: javascript:alert(1)",
        "[x](vbscript:msgbox(1))",
        "[x](VBScript:msgbox(1))",
        "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        "![x](data:image/svg+xml,<svg onload=alert(1)>)",
        "[x](file:///etc/passwd)",
    ],
)
def test_unsafe_link_schemes_never_become_links(source: str) -> None:
    html = str(markdown_html(source))
    for name, attributes in dom(html):
        assert name not in ("a", "img"), html
        for value in attributes.values():
            assert not "".join(value.split()).lower().startswith(("javascript:", "vbscript:", "data:", "file:")), html


@pytest.mark.parametrize(
    ("source", "href"),
    [
        ("[x](https://example.org/a?b=c)", "https://example.org/a?b=c"),
        ("[x](http://example.org/)", "http://example.org/"),
        ("[x](mailto:someone@example.org)", "mailto:someone@example.org"),
        ("<https://example.org/auto>", "https://example.org/auto"),
        ("[x](relative/page.html)", "relative/page.html"),
        ("[x](#section)", "#section"),
    ],
)
def test_safe_links_are_kept(source: str, href: str) -> None:
    links = [attributes for name, attributes in dom(str(markdown_html(source))) if name == "a"]
    assert [link.get("href") for link in links] == [href]


def test_markdown_renders_commonmark_tables_and_strikethrough() -> None:
    html = str(markdown_html("**bold** _em_ `code`\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n~~gone~~"))
    names = {name for name, _ in dom(html)}
    assert {"strong", "em", "code", "table", "td", "s"} <= names, html


@settings(max_examples=40, deadline=None)
@given(st.text(max_size=200))
def test_markdown_never_produces_script_handlers_or_unsafe_links(text: str) -> None:
    for name, attributes in dom(str(markdown_html(text))):
        assert name not in ("script", "iframe", "object", "embed", "style")
        assert not any(key.lower().startswith("on") for key in attributes)
        for key in ("href", "src"):
            value = "".join(attributes.get(key, "").split()).lower()
            assert not value.startswith(("javascript:", "vbscript:", "data:", "file:"))


# --- plain_text and excerpt -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("**bold** and `code` and [a link](https://example.org) end", "bold and code and a link end"),
        ("para one\n\npara two", "para one para two"),
        ("soft\nbreak and hard  \nbreak", "soft break and hard break"),
        ("- first\n- second", "first second"),
        ("# Heading\n\ntext", "Heading text"),
        ("&amp; &lt;b&gt; AT&amp;T", "& <b> AT&T"),
        ("<b>raw</b> stays text", "<b>raw</b> stays text"),
        ("  spaced   out  ", "spaced out"),
        ("[x](javascript:alert(1))", "[x](javascript:alert(1))"),
        ("", ""),
    ],
)
def test_plain_text(source: str, expected: str) -> None:
    assert plain_text(source) == expected


def test_excerpt_cuts_at_a_word_boundary() -> None:
    assert excerpt("short text") == "short text"
    text = " ".join(["word"] * 100)
    cut = excerpt(text, 50)
    assert cut.endswith("…") and len(cut) <= 51
    assert cut[:-1] == text[: len(cut) - 1] and text[len(cut) - 1] == " "
    assert excerpt("a" * 300, 10) == "a" * 10 + "…"
    assert excerpt("one, two, three", 10) == "one, two…"


def test_date_label() -> None:
    assert date_label(dt.date(2024, 3, 5)) == "Mar 5, 2024"
    assert date_label(None) == "undated"


# --- the Jinja environment ------------------------------------------------------------------------


@pytest.fixture
def templates(tmp_path: Path) -> tuple[Path, Path]:
    project, theme = tmp_path / "project", tmp_path / "theme"
    project.mkdir()
    theme.mkdir()
    (theme / "page.html").write_text("theme page {{ title }} {{ url('tags/') }}", encoding="utf-8")
    (theme / "other.html").write_text("theme other", encoding="utf-8")
    (theme / "feed.xml").write_text("<t>{{ title }}</t>", encoding="utf-8")
    (project / "page.html").write_text("project page {{ title }}", encoding="utf-8")
    return project, theme


def test_project_templates_come_before_the_theme_one_by_one(templates: tuple[Path, Path]) -> None:
    env = environment(list(templates))
    assert render(env, "page.html", "index.html", {"title": "T"}) == b"project page T"
    assert render(env, "other.html", "index.html", {}) == b"theme other"


def test_missing_project_folder_is_ignored(templates: tuple[Path, Path], tmp_path: Path) -> None:
    env = environment([tmp_path / "no-such-folder", templates[1]])
    assert render(env, "page.html", "papers/x/index.html", {"title": "T"}) == b"theme page T ../../tags/index.html"


def test_templates_autoescape_html_and_xml_and_fail_on_undefined_names(templates: tuple[Path, Path]) -> None:
    env = environment([templates[1]])
    hostile = "<script>alert(1)</script> & \"q\""
    assert b"<script>" not in render(env, "page.html", "index.html", {"title": hostile})
    assert render(env, "feed.xml", "feed.xml", {"title": hostile}) == b"<t>&lt;script&gt;alert(1)&lt;/script&gt; &amp; &#34;q&#34;</t>"
    with pytest.raises(jinja2.UndefinedError):
        render(env, "page.html", "index.html", {})

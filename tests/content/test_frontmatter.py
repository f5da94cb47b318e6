"""sitegen.content.frontmatter: Paper <-> page text round trips, escaping survives Markdown, errors point at lines."""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import re
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from sitegen.content import frontmatter
from sitegen.content.frontmatter import escape_markdown, parse_page, render_page
from sitegen.errors import BuildFailed, SitegenError
from sitegen.model import Notice, Organisation, Paper

MD = MarkdownIt("commonmark", {"html": False})


def rendered_text(markdown: str) -> str:
    """The text a reader sees: the single paragraph markdown-it makes, HTML entities decoded."""
    out = MD.render(markdown)
    match = re.fullmatch(r"<p>(.*)</p>\n", out, re.DOTALL)
    assert match, f"not a single plain paragraph: {out!r}"
    return html.unescape(match[1])


def same_paper(a: Paper, b: Paper) -> bool:
    """Equal in every field but ``loc`` (where it was read from)."""
    return all(
        getattr(a, f.name) == getattr(b, f.name)
        for f in fields(Paper)
        if f.name != "loc"
    )


def errors_of(text: str, name: str = "page.md") -> list[tuple[int | None, str]]:
    with pytest.raises(BuildFailed) as caught:
        parse_page(text, Path(name))
    assert all(error.loc.path == Path(name) for error in caught.value.errors)
    return [(error.loc.line, error.message) for error in caught.value.errors]


# Text as the digest parser hands it over: one line, single spaces, no edge spaces.
MARKUP = [
    "*",
    "**",
    "_",
    "__",
    "<",
    ">",
    "<think>",
    "</a>",
    "[",
    "]",
    "](x)",
    "(",
    ")",
    "\\",
    "\\*",
    "#",
    "# ",
    "1.",
    "1. ",
    "2)",
    "&amp;",
    "&",
    "&#35;",
    "&copy",
    "`",
    "``",
    "!",
    "![",
    "-",
    "- ",
    "+ ",
    "=",
    "===",
    "---",
    "***",
    "|",
    "~~",
    "{",
    "}",
    "$O(n^2)$",
    "45\\%",
    "•",
    "http://example.org",
    "<https://x.y>",
    "\\emph{x}",
    ": ",
    "'",
    '"',
    "🤔",
]
XML_FORBIDDEN = "".join(map(chr, [*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0xFFFE, 0xFFFF]))
characters = st.characters(codec="utf-8", exclude_characters=XML_FORBIDDEN)
"""What a page can hold: the characters XML allows (the others are removed on reading, tested below)."""
one_line_text = (
    st.lists(
        st.one_of(st.sampled_from(MARKUP), st.text(characters, max_size=6)),
        min_size=1,
        max_size=14,
    )
    .map(lambda parts: " ".join("".join(parts).split()))
    .filter(bool)
)


# --- escape_markdown ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Plain words.",
        "*not emphasis* and _not either_ and **nor this**",
        '<think> stays text </think> and <a href="https://x.org">a tag</a>',
        "[not a link](https://x.org) ![not an image](y.png)",
        "# not a heading",
        "1. not a list",
        "2) not a list either",
        "- not a bullet",
        "+ not a bullet",
        "> not a quote",
        "--- not a rule",
        "---",
        "***",
        "=== not a setext underline",
        "&amp; stays an entity name, &copy; too, and & alone",
        "back\\slash \\emph{x} 45\\% $O(n^2)$ and a trailing backslash\\",
        "`code` ``more``",
        "| a | b |",
        "~~not struck~~",
        "• inline • bullets 🚀",
        "https://github.com/org/repo <https://autolink.example>",
    ],
)
def test_escape_markdown_renders_as_the_same_text(text: str) -> None:
    assert rendered_text(escape_markdown(text)) == text


@settings(max_examples=250, deadline=None)
@given(one_line_text)
def test_escape_markdown_property(text: str) -> None:
    assert rendered_text(escape_markdown(text)) == text


# --- render_page / parse_page -----------------------------------------------------------------------

FULL = Paper(
    slug="a-paper",
    title="A Paper: *Stars* & <Tags>",
    body=escape_markdown("An abstract with *markup* and https://github.com/org/repo."),
    date=dt.date(2024, 10, 16),
    listed=dt.date(2024, 10, 18),
    authors=("Ada Lovelace", "Łukasz Kaiser", "Yann LeCun"),
    organisation=Organisation("kaist-ai", "KAIST AI"),
    comments=2,
    upvotes=40,
    arxiv="2410.12345v2",
    doi="10.1145/3292500.3330701",
    url="https://example.org/paper",
    pdf="https://example.org/paper.pdf",
    tags=("reasoning", "alignment"),
    keywords=("chain of thought", "reward model"),
    summary="A one-line summary: what it does.",
    links=("https://github.com/org/repo",),
    sources=("daily-papers-2025-12-11.txt",),
    draft=True,
)
"""Every field a page can hold; names, so no author count (a page holds one or the other)."""


def test_an_author_count_round_trips() -> None:
    paper = Paper(slug="x", title="X", body="", author_count=7)
    back = parse_page(render_page(paper), Path("x.md"))
    assert (back.authors, back.author_count, back.author_total) == ((), 7, 7)


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("arxiv", "2504.104", "an arXiv id such as 2504.10479, 2504.10479v2 or cs/0101001"),
        ("arxiv", "arXiv:2504.10479", "an arXiv id such as"),
        ("doi", "https://doi.org/10.1/x", "a DOI such as 10.1145/3292500.3330701"),
        ("url", "ftp://example.org", "an http(s) URL of the paper's own page"),
        ("pdf", "paper.pdf", "an http(s) URL of the paper's PDF"),
        ("authors", "7.5", "a whole number or a list of names, e.g. [Ada Lovelace, Alan Turing]"),
        ("upvotes", "-1", "a whole number"),
    ],
)
def test_an_identifier_of_the_wrong_form_names_its_line_and_the_form(key: str, value: str, expected: str) -> None:
    text = f"---\ntitle: T\ntags: []\n{key}: {value}\n---\n"
    with pytest.raises(BuildFailed) as failure:
        parse_page(text, Path("p.md"))
    assert str(failure.value.errors[0]).startswith(f"p.md:4: '{key}' must be {expected}"), str(failure.value)


def test_a_list_item_of_the_wrong_kind_is_named_on_its_own_line() -> None:
    with pytest.raises(BuildFailed) as failure:
        parse_page("---\ntitle: T\nauthors:\n- Ada Lovelace\n- 7\n---\n", Path("p.md"))
    assert str(failure.value.errors[0]) == "p.md:5: 'authors': item 2 is not text (7); write text, or remove the line"


def test_an_unclosed_quote_is_reported_where_it_opens() -> None:
    text = "---\ntitle: 'Alignment for Honesty\ndate: 2023-12-12\n" + "".join(f"tag{n}: x\n" for n in range(10)) + "---\n"
    with pytest.raises(BuildFailed) as failure:
        parse_page(text, Path("p.md"))
    error = str(failure.value.errors[0])
    assert error.startswith("p.md:2: front matter is not valid YAML: the ' opened here is never closed"), error
    assert "'Alignment for Honesty" in error


def test_an_unquoted_colon_says_to_quote_the_value() -> None:
    with pytest.raises(BuildFailed) as failure:
        parse_page("---\ntitle: Foo: Bar\n---\n", Path("p.md"))
    assert "p.md:2: front matter is not valid YAML: a value containing ': ' must be quoted" in str(failure.value)


@pytest.mark.parametrize("identifier", ["2504.10479", "2504.10470", "2504.10479v12", "cs/0101001", "math.GT/0309136", "1501.00001"])
def test_arxiv_ids_of_both_styles_are_read_as_written(identifier: str) -> None:
    assert parse_page(f"---\ntitle: T\narxiv: {identifier}\n---\n", Path("p.md")).arxiv == identifier


def test_round_trip_of_every_field() -> None:
    text = render_page(FULL)
    assert text.startswith("---\n")
    back = parse_page(text, Path("a-paper.md"))
    assert same_paper(back, FULL)
    assert back.loc.path == Path("a-paper.md")


def test_round_trip_of_a_minimal_page() -> None:
    paper = Paper(slug="x", title="X", body="")
    assert same_paper(parse_page(render_page(paper), Path("x.md")), paper)


def test_render_is_stable() -> None:
    assert render_page(FULL) == render_page(FULL)
    assert render_page(
        parse_page(render_page(FULL), Path("a-paper.md"))
    ) == render_page(FULL)


def test_page_tolerates_bom_and_crlf() -> None:
    text = "\ufeff" + render_page(FULL).replace("\n", "\r\n")
    assert same_paper(parse_page(text, Path("a-paper.md")), FULL)


def test_body_renders_as_the_abstract() -> None:
    abstract = "We beat *all* baselines by 45\\% on <think> tags; see [1]."
    page = render_page(Paper(slug="p", title="T", body=escape_markdown(abstract)))
    body = parse_page(page, Path("p.md")).body
    assert rendered_text(body) == abstract


@settings(max_examples=80, deadline=None)
@given(
    title=one_line_text,
    abstract=one_line_text,
    name=one_line_text,
    date=st.one_of(st.none(), st.dates(dt.date(1900, 1, 1), dt.date(2100, 12, 31))),
    authors=st.one_of(st.none(), st.integers(0, 10_000)),
    tags=st.lists(
        st.from_regex(r"[a-z0-9]{1,8}(-[a-z0-9]{1,8}){0,2}", fullmatch=True),
        max_size=4,
        unique=True,
    ),
)
def test_round_trip_property(
    title: str,
    abstract: str,
    name: str,
    date: dt.date | None,
    authors: int | None,
    tags: list[str],
) -> None:
    paper = Paper(
        slug="p",
        title=title,
        body=escape_markdown(abstract),
        date=date,
        author_count=authors,
        authors=(name, title) if authors is None else (),
        organisation=Organisation("org-id", name),
        tags=tuple(tags),
        sources=(f"{name}.txt",),
    )
    back = parse_page(render_page(paper), Path("p.md"))
    assert same_paper(back, paper)
    assert rendered_text(back.body) == abstract


# --- validation errors, each with its line ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        pytest.param(
            "---\ntitle: x\ndate: 2024-01-01\n  bad: indent\n---\n",
            4,
            "YAML",
            id="bad yaml",
        ),
        pytest.param("---\ntitle: x\n\ttags: []\n---\n", 3, "YAML", id="tab in yaml"),
        pytest.param(
            "---\ndate: 2024-01-01\n---\nbody\n", 2, "title", id="missing title"
        ),
        pytest.param(
            "---\ndate: 2024-01-01\ntitle: ''\n---\n", 3, "title", id="empty title"
        ),
        pytest.param("---\ntitle: [a, b]\n---\n", 2, "title", id="title a list"),
        pytest.param(
            "---\ntitle: x\ndate: 2024-02-30\n---\n", 3, "date", id="impossible date"
        ),
        pytest.param(
            "---\ntitle: x\n\ndate: 12/03/2024\n---\n", 4, "date", id="date not iso"
        ),
        pytest.param(
            "---\ntitle: x\ntags: reasoning\n---\n", 3, "tags", id="tags a string"
        ),
        pytest.param(
            "---\ntitle: x\ntags: [1, 2]\n---\n", 3, "tags", id="tags not strings"
        ),
        pytest.param(
            "---\ntitle: x\ntags:\n- ok\n- Not A Slug\n---\n",
            5,  # the item's own line, not the key's
            "tag 'Not A Slug' is not a tag name (lowercase words joined by hyphens); write it as 'not-a-slug'",
            id="tag not a slug",
        ),
        pytest.param(
            "---\ntitle: x\ndat: 2024-01-01\n---\n",
            3,
            "Did you mean 'date'",
            id="unknown key",
        ),
        pytest.param(
            "---\ntitle: x\nauthors: -3\n---\n", 3, "authors", id="negative authors"
        ),
        pytest.param(
            "---\ntitle: x\ncomments: yes\n---\n", 3, "comments", id="bool comments"
        ),
        pytest.param(
            "---\ntitle: x\nslug: ../x\n---\n", 3, "slug", id="unsafe slug ../x"
        ),
        pytest.param(
            "---\ntitle: x\nslug: a/b\n---\n", 3, "slug", id="unsafe slug a/b"
        ),
        pytest.param(
            "---\ntitle: x\nlinks: [javascript:alert(1)]\n---\n",
            3,
            "links",
            id="bad link",
        ),
        pytest.param(
            "---\ntitle: x\norganisation: kaist\n---\n",
            3,
            "organisation",
            id="organisation a string",
        ),
        pytest.param(
            "---\ntitle: x\ndraft: maybe\n---\n", 3, "draft", id="draft not bool"
        ),
        pytest.param(
            "---\ntitle: x\ntags: []\ntitle: y\n---\n", 4, "twice", id="duplicate key"
        ),
        pytest.param(
            "title: x\n---\nbody\n", 1, "Did you forget '---'", id="no opening fence"
        ),
        pytest.param("---\ntitle: x\nbody\n", 1, "second '---'", id="no closing fence"),
        pytest.param("", 1, "---", id="empty file"),
        pytest.param("---\n- a\n---\n", 2, "mapping", id="front matter a list"),
        pytest.param(
            "---\ntitle: x\nauthors: " + "9" * 5000 + "\n---\n",
            1,
            "value",
            id="huge number",
        ),
    ],
)
def test_each_error_is_reported_with_its_line(text: str, line: int, words: str) -> None:
    problems = errors_of(text)
    assert problems and all(got_line == line for got_line, _ in problems), problems
    assert words in problems[0][1]


def test_every_problem_is_reported_at_once_in_line_order() -> None:
    text = "---\ntitle: x\ntags: [Bad Tag]\ndate: 2024-02-30\nauthorz: 3\n---\n"
    problems = errors_of(text)
    assert [line for line, _ in problems] == [3, 4, 5]
    assert (
        "tags" in problems[0][1]
        and "date" in problems[1][1]
        and "authors" in problems[2][1]
    )


def test_unsafe_file_name_is_an_error_unless_slug_is_given() -> None:
    ((line, message),) = errors_of("---\ntitle: x\n---\n", name="Bad Name.md")
    assert line == 1 and "slug" in message
    assert (
        parse_page("---\ntitle: x\nslug: good-name\n---\n", Path("Bad Name.md")).slug
        == "good-name"
    )


def test_dates_stay_dates_and_numbers_stay_text_in_titles() -> None:
    page = parse_page("---\ntitle: 2024\ndate: 2024-01-05\n---\n", Path("p.md"))
    assert (page.title, page.date) == ("2024", dt.date(2024, 1, 5))


# --- hostile or broken text never escapes as anything but a SitegenError ---------------------------

YAML_PIECES = [
    "---\n", "title: ", "date: ", "tags:\n", "- ", "organisation:\n", "  id: ", "  name: ", "authors: ", "slug: ",
    "'", '"', "\\x07", "\\ud800", "{", "}", "[", "]", ": ", "&a ", "*a", "!!python/object:os.system ", "<<: ", "? ",
    "2024-02-30", "99999999999999999999999", "\x1b[31m", "\x00", "\r", "\n", "\t", "é", "🤔", "|\n", ">\n", "%", "#",
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(YAML_PIECES), st.text(max_size=8)), max_size=30))
def test_any_page_text_parses_or_fails_with_a_sitegen_error(pieces: list[str]) -> None:
    text = "".join(pieces)
    notices: list[Notice] = []
    try:
        paper = parse_page(text, Path("p.md"), notices)
    except SitegenError as error:
        assert str(error)
    else:
        assert paper.title and not XML_FORBIDDEN_PATTERN.search(paper.title + paper.body)
        assert not XML_FORBIDDEN_PATTERN.search(repr(paper.organisation) + "".join(paper.sources))


XML_FORBIDDEN_PATTERN = re.compile(f"[{re.escape(XML_FORBIDDEN)}\ud800-\udfff]")


def test_control_characters_are_removed_with_a_warning_naming_the_line() -> None:
    text = "---\ntitle: 'Bell\x07 and \x1b[31mred'\norganisation:\n  id: x\n  name: \"escaped \\x07 bell\"\n---\n\nBody\x0c here.\n"
    notices: list[Notice] = []
    paper = parse_page(text, Path("p.md"), notices)
    assert paper.title == "Bell and [31mred"
    assert paper.organisation is not None and paper.organisation.name == "escaped bell"
    assert paper.body == "Body here."
    assert [notice.loc.line for notice in notices] == [2, 8, 3]  # raw characters at their line, escapes at their key
    assert "U+0007" in notices[0].message and "U+001B" in notices[0].message


def test_a_key_given_twice_in_a_nested_mapping_is_an_error_on_its_line() -> None:
    text = "---\ntitle: T\norganisation:\n  id: a\n  id: b\n---\n"
    with pytest.raises(BuildFailed) as failure:
        parse_page(text, Path("p.md"))
    assert str(failure.value.errors[0]).startswith("p.md:5: key 'id' appears twice (first on line 4)")


def test_a_page_with_carriage_returns_only_is_read() -> None:
    paper = parse_page("---\rtitle: Old Mac\rdate: 2024-01-02\r---\r\rThe abstract.\r", Path("p.md"))
    assert (paper.title, paper.date, paper.body) == ("Old Mac", dt.date(2024, 1, 2), "The abstract.")


# --- the front matter is what PyYAML's pure-Python emitter writes, byte for byte ------------------------
# Pages written by earlier versions exist; a faster emitter that wrote them otherwise would make every
# convert rewrite them (and report them updated).

PYYAML_OPTIONS: dict[str, Any] = {"sort_keys": False, "allow_unicode": True, "width": 1_000_000, "default_flow_style": False}
ODD = [
    "😀", "𝑥", "\U0010ffff", "\x85", "\u2028", "\u2029", "\ufeff", "\t", "\r", "\n", "\x00", "\x01", "\x7f", "\xa0",
    "\ud800", "\ufffe", "\uffff", "\ufffd", "\ue000", "é", "中",
]  # fmt: skip
TRICKY = [
    " ", ":", "#", "-", "?", "'", '"', "\\", ",", "[", "]", "{", "}", "&", "*", "!", "|", ">", "%", "@", "`", "~", "=", "<",
    ".", "a", "n", "y", "T", "1", "0", "x", "e", "_", "+", "/",
]  # fmt: skip
WORDS = [
    "", "yes", "No", "on", "OFF", "null", "Null", "~", "true", "False", "1", "-1", "+1", "0x1F", "0o17", "0b101", "1_000",
    "1.5", ".5", "1e3", "-.inf", ".NaN", "1:20", "190:20:30", "2025-01-01", "2025-1-1 10:00:00", "2025-01-01T10:00:00Z",
    "<<", "=", "!", "&", "*", "---", "---x", "...", "..x", "- x", "-x", "? x", "?x", ": x", ":x", "x:", "x: y", "x #y", "x#y",
    "#x", " x", "x ", "x  y", "It's", "'q'", "\"q\"", "@home", "`code`", "%x", "a, b", "[a]", "{a}", "|x", ">x", "x" * 5000,
    "Attention Is All You Need", "GPT-4o: a study", "Q&A", "50% better", "C++ and C#", "x" * 200 + ": y",
]  # fmt: skip


def pyyaml(meta: dict[str, Any]) -> str:
    return yaml.dump(meta, Dumper=yaml.SafeDumper, **PYYAML_OPTIONS)


def libyaml(meta: dict[str, Any]) -> str:
    return yaml.dump(meta, Dumper=frontmatter._FastDumper, **PYYAML_OPTIONS)


def metas_holding(text: str) -> list[dict[str, Any]]:
    return [
        {"title": text, "date": dt.date(2025, 1, 2), "tags": []},
        {"title": "T", "authors": [text, "B"], "upvotes": 3, "draft": True},
        {"title": "T", "organisation": {"id": text, "name": text}, "links": [text]},
    ]


@pytest.mark.parametrize(
    "texts",
    [
        pytest.param(WORDS, id="words"),
        pytest.param([a + b for a in TRICKY + ODD for b in TRICKY + ODD], id="pairs"),
        pytest.param([a + b + c for a in TRICKY for b in TRICKY[:9] for c in TRICKY[:9]], id="triples"),
        pytest.param([f"a{odd}b" for odd in ODD] + [f" {odd}" for odd in ODD] + [f"{odd}: x" for odd in ODD], id="odd"),
    ],
)
def test_front_matter_is_what_pyyaml_writes(texts: list[str]) -> None:
    for text in texts:
        for meta in metas_holding(text):
            assert frontmatter._dump(meta) == pyyaml(meta), repr(text)


def test_the_usual_page_is_written_without_pyyaml() -> None:
    """The hand-made header covers what listings give (else the test above checks only PyYAML against itself)."""
    assert frontmatter._usual_header(
        {"title": "GPT-4o: a study", "date": dt.date(2025, 1, 2), "authors": ["Ada", "yes"], "tags": [], "draft": True}
    ) == "title: 'GPT-4o: a study'\ndate: 2025-01-02\nauthors:\n- Ada\n- 'yes'\ntags: []\ndraft: true\n"
    assert frontmatter._usual_header({"title": "a\nb"}) is None
    assert frontmatter._usual_header({"title": "😀"}) is None
    shared = ["a"]
    assert frontmatter._usual_header({"tags": shared, "keywords": shared}) is None


@pytest.mark.skipif(frontmatter._FastDumper is None, reason="libyaml is not used here")
def test_libyaml_writes_what_pyyaml_writes_for_every_character_it_is_given() -> None:
    """Every code point but those routed to PyYAML (``_LIBYAML_DIFFERS``, all above U+FFFF among them),
    alone and inside text, in chunks: one page-sized dump per character would take minutes."""
    given = [chr(code) for code in range(0x10000) if not frontmatter._LIBYAML_DIFFERS.search(chr(code))]
    for start in range(0, len(given), 2048):
        chunk = given[start : start + 2048]
        meta = {"tags": [text for character in chunk for text in (character, f"a{character}b {character}")]}
        if libyaml(meta) != pyyaml(meta):
            wrong = [f"U+{ord(c):04X}" for c in chunk if libyaml({"t": f"a{c}b {c}"}) != pyyaml({"t": f"a{c}b {c}"})]
            pytest.fail(f"libyaml writes these otherwise: {wrong}")


@settings(max_examples=300, deadline=None)
@given(
    title=st.text(st.sampled_from(TRICKY + ODD), max_size=8),
    name=st.text(characters, max_size=8),
    count=st.integers(-(10**20), 10**20),
    words=st.lists(st.one_of(st.sampled_from(WORDS), st.text(st.sampled_from(TRICKY + ODD), max_size=4)), max_size=4),
)
def test_front_matter_is_what_pyyaml_writes_property(title: str, name: str, count: int, words: list[str]) -> None:
    meta = {"title": title, "authors": count, "organisation": {"id": name, "name": title}, "keywords": words, "summary": name}
    assert frontmatter._dump(meta) == pyyaml(meta)


def test_a_page_with_odd_characters_in_every_field_is_written_as_pyyaml_writes_it(monkeypatch: pytest.MonkeyPatch) -> None:
    papers = [
        dataclasses.replace(
            FULL,
            title=f"Title {odd} x",
            authors=(f"A{odd}", "B: c"),
            summary=f"{odd} s",
            keywords=(f"k{odd}",),
            organisation=Organisation(f"id{odd}", f"{odd}Name"),
            sources=(f"{odd}.txt",),
        )
        for odd in [*ODD, "plain", ": ", " #", "'"]
    ]
    written = [render_page(paper) for paper in papers]
    monkeypatch.setattr(frontmatter, "_dump", pyyaml)
    assert written == [render_page(paper) for paper in papers]

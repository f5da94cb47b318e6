"""TeX in abstracts (sitegen/site/tex.py, tex_markdown.py): the fixture cases, the heuristics, MathML that parses.

The cases live in tests/fixtures/tex/*.txt, markdown-it-py's fixture style
extended by two sections: a title line, then the Markdown as a page file holds
it, the HTML, the plain text and (when there are any) the warnings, each
section ended by a line holding one ".". To see what changed after an intended
change, render a case with ``sitegen.site.render.rendered_markdown``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from xml.etree.ElementTree import Element

import html5lib
import linkcheck
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sitegen.content.frontmatter import escape_markdown
from sitegen.site.render import markdown_html, markdown_problems, plain_text, rendered_markdown
from sitegen.site.tex import MAX_MATH, NBSP, Math, find_math, mathml, read_tex

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "tex"
MATHML = "{http://www.w3.org/1998/Math/MathML}"


@dataclass(frozen=True)
class Case:
    file: str
    line: int
    title: str
    markdown: str
    html: str
    text: str
    warnings: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.file}:{self.line} {self.title}"


def read_cases(path: Path) -> list[Case]:
    """The cases of one fixture file; comment lines (#) and blank lines come before the first case and between cases."""
    lines = path.read_text(encoding="utf-8").split("\n")
    cases: list[Case] = []
    at = 0
    while at < len(lines):
        if not lines[at].strip() or lines[at].startswith("#"):
            at += 1
            continue
        title, start = lines[at], at + 1
        assert lines[start] == ".", f"{path.name}:{start + 1}: a title is followed by a '.' line"
        at = start + 1
        sections: list[str] = []
        while len(sections) < 4:
            end = lines.index(".", at)
            sections.append("\n".join(lines[at:end]))
            at = end + 1
            if len(sections) == 3 and (at >= len(lines) or not lines[at].strip()):
                break
        markdown, html, text, *warnings = sections
        shown = tuple(warnings[0].split("\n")) if warnings else ()
        cases.append(Case(path.name, start, title, markdown, html, text, shown))
    return cases


CASES = [case for path in sorted(FIXTURES.glob("*.txt")) for case in read_cases(path)]


def test_the_fixtures_cover_every_kind_of_case() -> None:
    assert {case.file for case in CASES} == {"math.txt", "text.txt", "robustness.txt", "security.txt"}
    assert len(CASES) >= 50
    assert len({str(case) for case in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_fixture(case: Case) -> None:
    rendered = rendered_markdown(case.markdown)
    assert rendered.html.rstrip("\n") == case.html
    assert rendered.text == case.text
    assert tuple(f"{line}: {message}" for line, message in rendered.problems) == case.warnings


@pytest.mark.parametrize("case", CASES, ids=str)
def test_fixture_html_parses_and_its_plain_text_has_no_markup_or_tex_escapes(case: Case) -> None:
    document, errors = linkcheck.parse_html(f"<!doctype html><title>t</title><body>{case.html}".encode())
    assert not errors, errors
    for element in document.iter(f"{MATHML}math"):
        check_math_element(element)
    assert "<math" not in case.text and "<mrow" not in case.text
    if not case.warnings and "<code>" not in case.html:  # shown as written: what could not be read, and code
        assert not re.search(r"\\[%&#$_{}]|\\(?:emph|textbf|textit|url|href)\b|``|''|\w~\w", case.text), case.text


def check_math_element(element: Element) -> None:
    """What sitegen writes: <math display> with alttext, holding <semantics>: the presentation, then the TeX."""
    assert element.get("display") in ("inline", "block")
    tex = element.get("alttext")
    assert tex
    (semantics,) = list(element)
    assert semantics.tag == f"{MATHML}semantics"
    presentation, annotation = list(semantics)
    assert presentation.tag.startswith(MATHML) and presentation.tag != f"{MATHML}annotation"
    assert annotation.tag == f"{MATHML}annotation" and annotation.get("encoding") == "application/x-tex"
    assert annotation.text == tex
    for node in element.iter():
        assert str(node.tag).startswith(MATHML), node.tag
        for name in node.attrib:
            assert not name.lower().startswith("on") and name not in ("href", "style", "class", "src"), name


# --- finding formulas --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "formula"),
    [
        ("$x$", "x"),
        ("a $O(n^2)$ b", "O(n^2)"),
        ("$$x + y$$", "x + y"),
        (r"\(a\)", "a"),
        (r"\[a\]", "a"),
        ("$a\\$b$", "a\\$b"),
        ("$2n+1$ steps", "2n+1"),
        ("costs $250", None),
        ("$5 and $10", None),
        ("$5-$10", None),
        ("$5, or $x$", None),  # the first $ closes at the second, which follows a space: text; then $x$ is a formula
        ("$ x$", None),
        ("$x $", None),
        ("$$", None),
        ("$$ $$", None),
        (r"\(\)", None),
        ("$" + "x" * (MAX_MATH + 1) + "$", None),
    ],
)
def test_a_dollar_opens_a_formula_only_where_one_is_plausible(text: str, formula: str | None) -> None:
    start = min(index for index in (text.find("$"), text.find("\\")) if index >= 0)
    span = find_math(text, start)
    assert (text[span.content_start : span.content_end] if span else None) == formula


def test_money_then_a_formula_in_one_sentence() -> None:
    pieces, problems = read_tex("a $5 fee, then $x$ and $10")
    assert [type(piece).__name__ for piece in pieces] == ["str", "Math", "str"]
    assert pieces[0] == "a $5 fee, then " and pieces[2] == " and $10" and not problems


def test_a_tie_is_a_no_break_space_only_between_two_non_spaces() -> None:
    assert read_tex("Fig.~3 and ~50% and a ~ b")[0] == [f"Fig.{NBSP}3 and ~50% and a ~ b"]
    assert f"Fig.{NBSP}3" in markdown_html("Fig.\\~3")


def test_a_page_keeps_its_tex_and_a_converted_page_reads_as_its_listing_wrote_it() -> None:
    """content/ holds the TeX; rendering reads the text Markdown yields, so escape_markdown(abstract)
    renders what the abstract's TeX means, whatever Markdown-special characters it holds."""
    abstract = (
        r"With $\mathcal{O}(n \log n)$ steps and $x_i * y_{[j]}$, we cut errors by 45\% (see \emph{Fig.~2}) -- ``honestly''."
    )
    body = escape_markdown(abstract)
    assert "\\\\%" in body and "\\_" in body
    html = markdown_html(body)
    assert html.count("<math ") == 2 and "45%" in html and "<em>Fig.\u00a02</em>" in html and "–" in html and "“honestly”" in html
    assert 'alttext="\\mathcal{O}(n \\log n)"' in html and 'alttext="x_i * y_{[j]}"' in html
    assert plain_text(body) == "With 𝒪(n log n) steps and x_i * y_([j]), we cut errors by 45% (see Fig. 2) – “honestly”."
    assert not markdown_problems(body)


def test_mathml_is_serialized_here_so_text_is_escaped() -> None:
    html = mathml(r"\text{<b onclick=x>&}")
    assert "<b" not in html.replace("&lt;b", "") and "&amp;" in html
    document = html5lib.parse(f"<p>{html}</p>", namespaceHTMLElements=False)
    assert [element.tag for element in document.iter() if "}" not in str(element.tag)] == ["html", "head", "body", "p"]


# --- nothing an abstract holds breaks the page ---------------------------------------------------


TEXISH = st.lists(
    st.sampled_from([*"ab1 $\\{}~`'-_^%&#*[]()<>\n", "\\emph", "\\frac", "\\(", "\\]", "$$", "``", "\\url{", "x_i"]), max_size=40
).map("".join)


@settings(max_examples=300, deadline=None)
@given(source=TEXISH)
def test_any_text_renders_to_html_that_parses_and_plain_text_without_markup(source: str) -> None:
    for markdown in (source, escape_markdown(source)):
        rendered = rendered_markdown(markdown)
        document, errors = linkcheck.parse_html(f"<!doctype html><title>t</title><body>{rendered.html}".encode())
        assert not errors, (markdown, errors)
        for element in document.iter(f"{MATHML}math"):
            check_math_element(element)
        assert "<math" not in rendered.text
        assert all(isinstance(line, int) and line >= 1 for line, _ in rendered.problems)


@settings(max_examples=200, deadline=None)
@given(source=TEXISH)
def test_reading_never_loses_text_outside_what_it_converts(source: str) -> None:
    """Every piece comes from the text: with no TeX trigger in it, the text is given back whole."""
    pieces, _ = read_tex(source)
    if not re.search(r"[\\$~`{']|--", source):
        assert pieces == [source]
    assert all(isinstance(piece, str | Math) or piece.children is not None for piece in pieces)

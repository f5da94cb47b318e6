"""TeX in abstracts, end to end: the seed (plus pages with formulas) built into a temporary folder.

The seed's abstracts hold text-mode TeX (``\\%``, ````…''``, `` `…' ``, ``~``,
``--``, an unknown ``\\method``) but no formula, so two converted pages with
formulas (written as ``sitegen convert`` writes pages: ``escape_markdown`` of
the abstract) and a hand-written one are added to the copy. Checked: no
rendered abstract shows raw TeX, formulas are MathML that parses, the search
files and feeds carry readable text, warnings name file and line once per
build (cached pages too), and Chromium lays the MathML out.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any
from xml.etree import ElementTree
from xml.etree.ElementTree import Element

import linkcheck
import pytest
from rich_site import seed_project
from search_files import read_search

from sitegen.build.build import BuildReport, build
from sitegen.build.cache import _VERSION as CACHE_VERSION
from sitegen.build.state import build_state, read_state, write_state
from sitegen.cli import main
from sitegen.config import load_config
from sitegen.content.frontmatter import escape_markdown, render_page
from sitegen.model import Paper

MATHML = "{http://www.w3.org/1998/Math/MathML}"
ATOM = "{http://www.w3.org/2005/Atom}"
SEED_PAPERS = 46

CONVERTED = {
    "sorting-with-formulas": (
        r"We sort in $O(n \log n)$ time with $k$-shot prompts, where $\alpha \leq \frac{1}{2}$ and \(x_i \in \mathbb{R}^d\)."
        "\n\n"
        r"The loss is $$\mathcal{L} = \sum_{i=1}^{n} \ell(y_i, \hat{y}_i)$$ and it costs $250 per run, 45\% less than"
        r" \emph{strong} baselines~(see ``Table~2'') -- or $5 and $10 a day."
    ),
    "a-broken-formula": "A first paragraph that is fine.\n\nA second one, with $\\frac{a}{$ in it, and $x^2$.",
}
HAND_WRITTEN = """---
title: Hand-written TeX
date: 2025-02-01
tags:
- reasoning
---

Products $a*b*c$ are not *emphasis*; \\textbf{bold} and \\url{https://example.org/a_b}.
"""
FORMULAS = {"sorting-with-formulas": 5, "a-broken-formula": 1, "hand-written-tex": 1}
"""Formulas rendered as MathML on each added page (the broken one stays as written)."""
RAW_TEX = re.compile(r"\\%|``|''|\w~\w|\\emph|\\textbf|\\textit|\\url|\$[^$\s]+\$")


def add_pages(root: Path) -> dict[str, int]:
    """The added pages, as convert (or a person) writes them; returns the file line of each one's abstract."""
    papers = root / "content" / "papers"
    lines = {}
    for number, (slug, abstract) in enumerate(CONVERTED.items()):
        paper = Paper(
            slug=slug,
            title=slug.replace("-", " ").title(),
            body=escape_markdown(abstract),
            date=dt.date(2025, 1, 10 + number),
            tags=("reasoning",),
        )
        text = render_page(paper)
        (papers / f"{slug}.md").write_text(text, encoding="utf-8")
        lines[slug] = text.split("\n").index(paper.body.split("\n")[0]) + 1
    (papers / "hand-written-tex.md").write_text(HAND_WRITTEN, encoding="utf-8")
    return lines


def build_report(root: Path, out: Path) -> BuildReport:
    return build(load_config(root), out)


def cli_build(root: Path, out: Path) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        code = main(["build", "--root", str(root), "-o", str(out)])
    return code, err.getvalue()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, BuildReport, dict[str, int]]:
    folder = tmp_path_factory.mktemp("tex")
    root = seed_project(folder / "project")
    lines = add_pages(root)
    return root, folder / "site", build_report(root, folder / "site"), lines


def abstract(page: Path) -> Element:
    document, errors = linkcheck.parse_html(page.read_bytes())
    assert not errors, f"{page}: {errors}"
    sections = [
        element
        for element in document.iter()
        if linkcheck.local_name(element) == "section" and element.get("class") == "abstract"
    ]
    assert len(sections) == 1, page
    return sections[0]


def shown_text(element: Element) -> str:
    """The text a reader sees: a formula's annotation (its TeX, for assistive technology) is not shown."""
    if element.tag == f"{MATHML}annotation":
        return element.tail or ""
    return (element.text or "") + "".join(shown_text(child) for child in element) + (element.tail or "")


def paper_pages(out: Path) -> dict[str, Path]:
    return {page.parent.name: page for page in sorted((out / "papers").glob("*/index.html"))}


def test_every_seed_page_and_the_added_ones_are_built(site: tuple[Path, Path, BuildReport, dict[str, int]]) -> None:
    _, out, report, _ = site
    assert report.papers == SEED_PAPERS + len(FORMULAS)
    assert set(FORMULAS) <= set(paper_pages(out))


def test_no_rendered_abstract_shows_raw_tex(site: tuple[Path, Path, BuildReport, dict[str, int]]) -> None:
    _, out, _, _ = site
    pages = paper_pages(out)
    assert len(pages) == SEED_PAPERS + len(FORMULAS)
    for slug, page in pages.items():
        text = " ".join(shown_text(abstract(page)).split())
        allowed = "$\\frac{a}{$" if slug == "a-broken-formula" else None  # shown as written, with a warning
        found = [match.group() for match in RAW_TEX.finditer(text) if match.group() != allowed]
        assert not found, f"{slug}: raw TeX {found} in {text[:200]!r}"
    honesty = " ".join(shown_text(abstract(pages["alignment-for-honesty"])).split())
    assert "defining “honesty” inspired" in honesty
    assert "33.25% to 1.74%" in shown_text(abstract(pages["alleviating-the-fear-of-losing-alignment-in-llm-fine-tuning"]))
    assert "Logic\u00a0(FOL)" in shown_text(abstract(pages["assessing-the-sensitivity-and-alignment-of-fol-closeness-metrics"]))
    assert "‘better’ or ‘safer.’" in shown_text(abstract(pages["ai-alignment-at-your-discretion"]))


def test_pages_with_formulas_hold_mathml_that_parses(site: tuple[Path, Path, BuildReport, dict[str, int]]) -> None:
    _, out, _, _ = site
    pages = paper_pages(out)
    for slug, page in pages.items():
        formulas = list(abstract(page).iter(f"{MATHML}math"))
        assert len(formulas) == FORMULAS.get(slug, 0), slug
        for formula in formulas:
            (semantics,) = list(formula)
            presentation, annotation = list(semantics)
            assert presentation.tag == f"{MATHML}mrow" and annotation.tag == f"{MATHML}annotation"
            assert annotation.get("encoding") == "application/x-tex" and annotation.text == formula.get("alttext")
            assert formula.get("display") in ("inline", "block")
    sorting = abstract(pages["sorting-with-formulas"])
    assert [formula.get("alttext") for formula in sorting.iter(f"{MATHML}math")] == [
        r"O(n \log n)",
        "k",
        r"\alpha \leq \frac{1}{2}",
        r"x_i \in \mathbb{R}^d",
        r"\mathcal{L} = \sum_{i=1}^{n} \ell(y_i, \hat{y}_i)",
    ]
    text = re.sub(r"[ \t\n]+", " ", shown_text(sorting))  # runs of spaces as one; a no-break space stays one
    assert "costs $250 per run, 45% less than strong baselines\u00a0(see “Table\u00a02”) – or $5 and $10 a day." in text
    assert [element.text for element in sorting.iter() if linkcheck.local_name(element) == "em"] == ["strong"]


def test_no_math_javascript_is_shipped(site: tuple[Path, Path, BuildReport, dict[str, int]]) -> None:
    _, out, _, _ = site
    pages = paper_pages(out)

    def scripts(page: Path) -> list[str]:
        document, _ = linkcheck.parse_html(page.read_bytes())
        return [str(element.get("src")) for element in document.iter() if linkcheck.local_name(element) == "script"]

    assert scripts(pages["sorting-with-formulas"]) == scripts(pages["alignment-for-honesty"])
    for path in out.rglob("*.js"):
        assert not re.search(rb"mathjax|katex|MathML", path.read_bytes(), re.IGNORECASE), path


def test_search_files_and_feeds_carry_readable_text(site: tuple[Path, Path, BuildReport, dict[str, int]]) -> None:
    _, out, _, _ = site
    meta, shards = read_search(out)
    abstracts = {entry["u"]: entry["a"] for shard in shards for entry in shard["store"]}
    searched = json.dumps([meta, shards, json.loads((out / "search" / "lunr.json").read_bytes())], ensure_ascii=False)
    for text in [searched, *abstracts.values()]:
        assert "<math" not in text and "<mrow" not in text and "\\\\%" not in text and "\\%" not in text
    sorting = abstracts["papers/sorting-with-formulas/"]
    assert sorting.startswith(
        "We sort in O(n log n) time with k-shot prompts, where α ≤ 1/2 and x_i ∈ ℝ^d. The loss is ℒ = ∑_(i=1)^n ℓ(y_i, ŷ_i) and"
    )
    assert "45% less than strong baselines (see “Table 2”) – or $5 and $10 a day." in sorting
    feed = ElementTree.fromstring((out / "feed.xml").read_bytes())
    summaries = {entry.findtext(f"{ATOM}id"): entry.findtext(f"{ATOM}summary") or "" for entry in feed.iter(f"{ATOM}entry")}
    assert any("O(n log n)" in summary for summary in summaries.values())
    for summary in summaries.values():
        assert "<math" not in summary and "\\%" not in summary and "``" not in summary


def test_warnings_name_file_and_line_once_per_build_cached_or_not(
    site: tuple[Path, Path, BuildReport, dict[str, int]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    built_root, _, report, lines = site
    papers = load_config(built_root).papers_dir
    said = [str(notice) for notice in report.notices]
    broken = (
        f"{papers / 'a-broken-formula.md'}:{lines['a-broken-formula'] + 2}: warning: the formula $\\frac{{a}}{{$ does not parse"
    )
    method = f"{papers / 'lmm-r1-empowering-3b-lmms-with-strong-reasoning-abilities-through-two-stage-rule.md'}:17: warning: unknown TeX macro \\method"
    assert sum(line.startswith(broken) for line in said) == 1
    assert sum(line.startswith(method) for line in said) == 1
    assert len(said) == 2, said  # nothing else in the seed or the added pages is shown as written

    root, out = tmp_path / "project", tmp_path / "site"
    shutil.copytree(built_root, root)
    for build_number in range(2):  # a first build parses every page; the second reads them all from its cache
        if build_number:
            monkeypatch.setattr("sitegen.build.load.parse_page", lambda *args: pytest.fail("a page was parsed again"))
        code, stderr = cli_build(root, out)
        assert code == 0
        warnings = [line for line in stderr.splitlines() if ": warning: " in line]
        assert len(warnings) == 2, (build_number, stderr)
        assert sum("a-broken-formula.md:" in line and "$\\frac{a}{$ does not parse" in line for line in warnings) == 1
        assert (
            sum("two-stage-rule.md:17: warning: unknown TeX macro \\method" in line and "(2 times)" in line for line in warnings)
            == 1
        )

    monkeypatch.undo()
    page = root / "content" / "papers" / "a-broken-formula.md"
    page.write_text(page.read_text(encoding="utf-8").replace("\\\\frac\\{a\\}\\{$", "\\\\frac\\{a\\}\\{b\\}$"), encoding="utf-8")
    code, stderr = cli_build(root, out)
    assert code == 0 and "a-broken-formula.md" not in stderr and stderr.count(": warning: ") == 1


# --- in a browser ------------------------------------------------------------------------------------


def test_chromium_lays_out_the_mathml(
    site: tuple[Path, Path, BuildReport, dict[str, int]], browser: Any, static_server: Callable[[Path], str]
) -> None:
    _, out, _, _ = site
    base = static_server(out)
    page = browser.new_page()
    try:
        page.goto(base + "papers/sorting-with-formulas/index.html")
        boxes = page.eval_on_selector_all(
            "section.abstract math",
            """formulas => formulas.map(math => {
                const box = math.getBoundingClientRect();
                const note = math.querySelector('annotation').getBoundingClientRect();
                return {ns: math.namespaceURI, width: box.width, height: box.height, note: note.width * note.height,
                        display: getComputedStyle(math).display};
            })""",
        )
        assert len(boxes) == FORMULAS["sorting-with-formulas"]
        for box in boxes:
            assert box["ns"] == "http://www.w3.org/1998/Math/MathML"
            assert box["width"] > 0 and box["height"] > 0, box
            assert box["note"] == 0, box  # the TeX annotation is not drawn: only the presentation is
        assert [box["display"] for box in boxes] == ["math"] * 4 + ["block math"]  # display="block": a block
        # A superscript sits above its base: MathML laid out, not text in unknown elements.
        raised = page.eval_on_selector(
            "section.abstract math msup",
            "sup => sup.children[1].getBoundingClientRect().top < sup.children[0].getBoundingClientRect().top",
        )
        assert raised
    finally:
        page.close()


def test_a_parse_cache_with_damaged_warnings_is_ignored_with_one_warning(
    site: tuple[Path, Path, BuildReport, dict[str, int]], tmp_path: Path
) -> None:
    """The warnings kept with each parsed page are checked on read like every cached value."""
    root, out = tmp_path / "project", tmp_path / "site"
    shutil.copytree(site[0], root)
    first = build_report(root, out)
    state = build_state(root, out).folder / "papers.json"
    cached = read_state(state, "papers", CACHE_VERSION)
    kept = {name: entry[4] for name, entry in cached.items() if entry[4]}
    assert kept == {notice.loc.path.name: [[notice.loc.line, notice.message]] for notice in first.notices}
    for entry in cached.values():
        entry[4] = [["seventeen", 17]]
    write_state(state, "papers", CACHE_VERSION, cached)
    report = build_report(root, out)
    damaged, *tex = report.notices
    assert damaged.loc.path.name == "papers.json" and "unexpected value" in damaged.message
    assert [str(notice) for notice in tex] == [str(notice) for notice in first.notices]  # pages parsed again: still said

"""The citation files of built sites, read by real consumers, and the Cite block of paper pages.

Three sites: the repository's seed, the fixture site (tests/fixtures/site) and the
citation fixture (tests/fixtures/cite: titles with & % _ { $\\alpha$ # and markup,
non-ASCII names, particles and suffixes, one, three and sixty names, a count only,
namesakes sharing a key). Every .bib file must parse with bibtexparser 2 (no failed
block) and pybtex (strict: no warning), the CSL-JSON bundle must render in APA with
citeproc-py, and every cite link must resolve.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import bibtexparser
import linkcheck
import pytest
from citation_readers import apa, read_bibtexparser, read_pybtex
from test_build import (
    THEME,
    Entry,
    age,
    build_ok,
    changed_files,
    copy_fixture,
    copy_seed,
    files_of,
    read_entries,
    snapshot,
    tag_names,
)

from sitegen.build.load import load_papers
from sitegen.config import load_config

REPO = Path(__file__).resolve().parents[2]
CITE_FIXTURE = REPO / "tests" / "fixtures" / "cite"
ENTRY = re.compile(r"^@misc\{([a-z0-9]+),$", re.MULTILINE)


@dataclass(frozen=True, repr=False)
class Site:
    name: str
    root: Path
    out: Path
    entries: list[Entry]
    """The papers, in site order, read from their front matter without sitegen."""
    files: dict[str, bytes]

    def __repr__(self) -> str:
        return f"<{self.name} site>"

    def text(self, path: str) -> str:
        assert path in self.files, f"{self.name}: {path} was not built"
        return self.files[path].decode("utf-8")


def copy_cite_fixture(destination: Path) -> Path:
    shutil.copytree(CITE_FIXTURE, destination)
    config = destination / "pyproject.toml"
    text = config.read_text(encoding="utf-8")
    assert 'theme_dir = "../../../sitegen/theme"' in text
    config.write_text(text.replace('theme_dir = "../../../sitegen/theme"', f"theme_dir = {str(THEME)!r}"), encoding="utf-8")
    return destination


def _site(name: str, root: Path, out: Path) -> Site:
    build_ok(root, out)
    return Site(name, root, out, read_entries(load_config(root).papers_dir), files_of(out))


@pytest.fixture(scope="module")
def cite_site(tmp_path_factory: pytest.TempPathFactory) -> Site:
    folder = tmp_path_factory.mktemp("cite")
    return _site("cite", copy_cite_fixture(folder / "project"), folder / "site")


@pytest.fixture(scope="module", params=["seed", "fixture", "cite"])
def site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Site:
    if request.param == "cite":
        return request.getfixturevalue("cite_site")
    folder = tmp_path_factory.mktemp(request.param)
    copy = copy_seed if request.param == "seed" else copy_fixture
    return _site(request.param, copy(folder / "project"), folder / "site")


def keys_of(text: str) -> list[str]:
    return ENTRY.findall(text)


def citation_files(site: Site) -> set[str]:
    return {path for path in site.files if path.endswith((".bib", ".csl.json", "/cite.json"))}


# --- the files ---------------------------------------------------------------------------------


def test_every_bib_file_parses_cleanly_with_bibtexparser_and_pybtex(site: Site) -> None:
    bib_files = sorted(path for path in site.files if path.endswith(".bib"))
    assert "papers.bib" in bib_files
    assert {f"papers/{entry.slug}/cite.bib" for entry in site.entries} <= set(bib_files)
    assert {f"tags/{tag}/papers.bib" for tag in tag_names(site.entries)} <= set(bib_files)
    for path in bib_files:
        text = site.text(path)
        keys = keys_of(text)
        library = bibtexparser.parse_string(text)
        assert library.failed_blocks == [], f"{path}: {[block.error for block in library.failed_blocks]}"
        assert [entry.key for entry in library.entries] == keys, path
        assert list(read_pybtex(text)) == keys, path
        assert len(set(keys)) == len(keys), f"{path}: duplicate keys"
        if path.startswith("papers/"):
            assert len(keys) == 1, path


def test_bundles_hold_the_papers_entries_in_site_order(site: Site) -> None:
    entry_of = {entry.slug: site.text(f"papers/{entry.slug}/cite.bib") for entry in site.entries}
    assert site.text("papers.bib") == "\n".join(entry_of[entry.slug] for entry in site.entries)
    for tag in tag_names(site.entries):
        members = [entry for entry in site.entries if tag in entry.tags]
        assert site.text(f"tags/{tag}/papers.bib") == "\n".join(entry_of[entry.slug] for entry in members), tag
    keys = keys_of(site.text("papers.bib"))
    assert len(keys) == len(site.entries) == len(set(keys))


def test_csl_json_bundle_renders_as_an_apa_bibliography(site: Site) -> None:
    items = json.loads(site.text("papers.csl.json"))
    assert [item["id"] for item in items] == keys_of(site.text("papers.bib"))
    for entry, item in zip(site.entries, items, strict=True):
        assert json.loads(site.text(f"papers/{entry.slug}/cite.json")) == [item]
        assert item["title"] == entry.title
        assert item["type"] == "article"
    rendered = apa(items)
    assert len(rendered) == len(items)
    assert all(entry.title.split()[-1] in "\n".join(rendered) for entry in site.entries)


def test_the_fixture_round_trips_through_both_parsers(cite_site: Site) -> None:
    text = cite_site.text("papers.bib")
    by_bibtexparser, by_pybtex = read_bibtexparser(text), read_pybtex(text)
    keys = keys_of(text)
    papers = {paper.slug: paper for paper in load_papers(load_config(cite_site.root))}
    for entry, key in zip(cite_site.entries, keys, strict=True):
        paper = papers[entry.slug]
        title = paper.title
        if entry.slug == "odd-names":
            # LaTeX prints \textasciicircum{} and \textbraceleft{} as ^ and {; pylatexenc reads the first as U+02C6 and drops the second.
            assert r"\textasciicircum{} \textbackslash{} \textbraceleft{}{Unpaired}" in cite_site.text("papers/odd-names/cite.bib")
            title = title.replace("^", "\u02c6").replace("{", "")
        for read in (by_bibtexparser[key], by_pybtex[key]):
            assert read["title"] == title, key
            assert read.get("author", []) == list(paper.authors), key
    assert dict(zip((entry.slug for entry in cite_site.entries), keys, strict=True)) == {
        "odd-names": "king2025",
        "escapes": "kaiser2024",
        "namesake-second": "lecun2024b",
        "namesake-first": "lecun2024a",
        "three-names": "lecun2024",
        "collaboration": "costa2022",
        "counted": "countingnd",
    }
    assert len(by_bibtexparser["costa2022"]["author"]) == 60


def test_bib_files_are_bibtex_not_html(cite_site: Site) -> None:
    """Autoescaping is on for every template: the .bib files must still hold what BibTeX needs, unescaped for HTML."""
    text = cite_site.text("papers/odd-names/cite.bib")
    assert r"{Hostile} <script>alert(1)</script> \& " in text and '"{Quotes}"' in text
    assert r"\textasciitilde{} \textasciicircum{} \textbackslash{} \textbraceleft{}{Unpaired}" in text
    for escaped in ("&amp;", "&lt;", "&gt;", "&#34;", "&#39;", "&quot;"):
        assert escaped not in cite_site.text("papers.bib"), escaped
        assert escaped not in cite_site.text("papers.csl.json"), escaped
    assert json.loads(cite_site.text("papers/odd-names/cite.json"))[0]["title"].startswith("Hostile <script>")


# --- the Cite block ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def scanned(site: Site) -> dict[str, linkcheck.ParsedPage]:
    return linkcheck.scan(site.out)


def test_every_paper_page_has_a_cite_block_with_its_entry_and_files(site: Site, scanned: dict[str, linkcheck.ParsedPage]) -> None:
    for entry in site.entries:
        page = scanned[f"papers/{entry.slug}/index.html"]
        sections = [e for e in linkcheck.elements(page.document) if linkcheck.local_name(e) == "section" and "cite" in (e.get("class") or "").split()]
        assert len(sections) == 1, page.path
        section = sections[0]
        heading = next(e for e in section.iter() if e.get("id") == section.get("aria-labelledby"))
        assert linkcheck.local_name(heading) == "h2" and "".join(heading.itertext()) == "Cite"
        pre = next(e for e in section.iter() if linkcheck.local_name(e) == "pre")
        assert "".join(pre.itertext()) == site.text(f"papers/{entry.slug}/cite.bib").rstrip("\n"), page.path
        assert not [e for e in section.iter() if linkcheck.local_name(e) == "button"], "the copy button is only added by the script"
        targets = set(linkcheck.targets(page))
        assert {f"papers/{entry.slug}/cite.bib", f"papers/{entry.slug}/cite.json", "papers.bib", "papers.csl.json"} <= targets
        assert {f"tags/{tag}/papers.bib" for tag in entry.tags} <= targets
        assert "static/cite.js" in targets
        script = next(e for e in linkcheck.elements(page.document) if linkcheck.local_name(e) == "script" and (e.get("src") or "").endswith("cite.js"))
        assert script.get("defer") is not None
    others = [path for path, page in scanned.items() if not path.startswith("papers/") and "static/cite.js" in linkcheck.targets(page)]
    assert others == [], "cite.js is loaded only on paper pages"


def test_the_link_checker_finds_every_cite_link_resolving(site: Site, scanned: dict[str, linkcheck.ParsedPage]) -> None:
    problems = linkcheck.problems(scanned)
    assert problems == [], "\n".join(problems[:20])
    linked = {target for page in scanned.values() for target in linkcheck.targets(page)}
    assert citation_files(site) <= linked, sorted(citation_files(site) - linked)


# --- incremental builds ----------------------------------------------------------------------------


@pytest.fixture
def seed_copy(tmp_path: Path) -> tuple[Path, Path]:
    root = copy_seed(tmp_path / "project")
    build_ok(root, tmp_path / "out")
    age(tmp_path / "out")
    return root, tmp_path / "out"


def _cite_changes(root: Path, out: Path, edit: Callable[[Path], None]) -> set[str]:
    before = snapshot(out)
    edit(load_config(root).papers_dir)
    build_ok(root, out)
    return {path for path in changed_files(before, snapshot(out)) if path.endswith((".bib", ".csl.json", "/cite.json"))}


def test_a_new_title_rewrites_only_the_citation_files_that_hold_it(seed_copy: tuple[Path, Path]) -> None:
    root, out = seed_copy
    entries = read_entries(load_config(root).papers_dir)
    edited = next(entry for entry in entries if entry.tags)

    def retitle(papers: Path) -> None:
        page = papers / edited.file
        text, count = re.subn(r"(?m)^title: .*$", "title: 'Renamed: A New Title'", page.read_text(encoding="utf-8"), count=1)
        assert count == 1
        page.write_text(text, encoding="utf-8")

    changed = _cite_changes(root, out, retitle)
    assert b"title = {{Renamed}: {A} {New} {Title}}" in (out / "papers" / edited.slug / "cite.bib").read_bytes()
    expected = {f"papers/{edited.slug}/cite.bib", f"papers/{edited.slug}/cite.json", "papers.bib", "papers.csl.json"}
    expected |= {f"tags/{tag}/papers.bib" for tag in edited.tags}
    assert changed == expected


def test_a_new_paper_renames_no_other_papers_key(seed_copy: tuple[Path, Path]) -> None:
    root, out = seed_copy
    before = {path: data for path, data in files_of(out).items() if path.endswith("/cite.bib")}
    entries = read_entries(load_config(root).papers_dir)
    shared = next(entry for entry in entries if entry.tags and entry.date is not None)
    first_word = keys_of((out / "papers" / shared.slug / "cite.bib").read_text(encoding="utf-8"))[0]

    def add(papers: Path) -> None:
        # Same first title word and year as an existing paper, listed later: a namesake of its key.
        title = " ".join([shared.title.split()[0], "Revisited Once More"])
        assert shared.date is not None
        (papers / "a-namesake.md").write_text(
            f"---\ntitle: '{title}'\ndate: {shared.date.isoformat()}\nlisted: 2099-01-01\nauthors: 2\ntags: [{shared.tags[0]}]\n---\n\nNew.\n",
            encoding="utf-8",
        )

    changed = _cite_changes(root, out, add)
    assert changed == {"papers/a-namesake/cite.bib", "papers/a-namesake/cite.json", "papers.bib", "papers.csl.json", f"tags/{shared.tags[0]}/papers.bib"}
    after = {path: data for path, data in files_of(out).items() if path.endswith("/cite.bib")}
    assert {path: after[path] for path in before} == before
    new_key = keys_of((out / "papers" / "a-namesake" / "cite.bib").read_text(encoding="utf-8"))[0]
    assert new_key != first_word and new_key.startswith(first_word.rstrip("abcdefghijklmnopqrstuvwxyz"))


# --- in a browser --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(cite_site: Site, static_server: Callable[[Path], str]) -> str:
    return static_server(cite_site.out)


def test_copy_bibtex_puts_the_entry_on_the_clipboard_and_says_copied(browser: Any, server: str, cite_site: Site) -> None:
    context = browser.new_context(permissions=["clipboard-read", "clipboard-write"])
    try:
        page = context.new_page()
        page.goto(server + "papers/escapes/index.html")
        button = page.get_by_role("button", name="Copy BibTeX")
        button.wait_for()
        status = page.locator(".cite .cite-status")
        assert status.get_attribute("role") == "status" and status.get_attribute("aria-live") == "polite"
        page.keyboard.press("Tab")  # keyboard focus first, so :focus-visible applies
        button.focus()
        assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") == "solid"
        page.keyboard.press("Enter")
        page.wait_for_function("document.querySelector('.cite .cite-status').textContent === 'Copied'")
        assert page.evaluate("navigator.clipboard.readText()") == cite_site.text("papers/escapes/cite.bib").rstrip("\n")
    finally:
        context.close()


def test_without_javascript_or_the_clipboard_api_there_is_no_button(browser: Any, server: str) -> None:
    for options, script in (({"java_script_enabled": False}, None), ({}, "Object.defineProperty(Navigator.prototype, 'clipboard', {get: () => undefined})")):
        context = browser.new_context(**options)
        try:
            if script:
                context.add_init_script(script)
            page = context.new_page()
            page.goto(server + "papers/escapes/index.html", wait_until="load")
            assert page.locator(".cite pre").count() == 1
            assert page.locator(".cite-entry").inner_text().startswith("@misc{kaiser2024,")
            assert page.locator("button.cite-copy").count() == 0, options or script
        finally:
            context.close()


CONTRAST = """
(selector) => {
  const channel = (value) => { value /= 255; return value <= 0.03928 ? value / 12.92 : ((value + 0.055) / 1.055) ** 2.4; };
  const luminance = (colour) => { const [r, g, b] = colour.match(/[\\d.]+/g).map(Number); return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b); };
  const background = (element) => {
    for (let node = element; node; node = node.parentElement) {
      const colour = getComputedStyle(node).backgroundColor;
      if (!colour.startsWith("rgba(0, 0, 0, 0)") && colour !== "transparent") return colour;
    }
    return "rgb(255, 255, 255)";
  };
  const element = document.querySelector(selector);
  const [a, b] = [luminance(getComputedStyle(element).color), luminance(background(element))];
  return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
}
"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_cite_block_is_readable_in_light_and_dark(browser: Any, server: str, scheme: str) -> None:
    context = browser.new_context(color_scheme=scheme, permissions=["clipboard-write"])
    try:
        page = context.new_page()
        page.goto(server + "papers/escapes/index.html")
        page.get_by_role("button", name="Copy BibTeX").wait_for()
        for selector in (".cite-entry code", ".cite-copy", ".cite-topics", ".cite-files a"):
            ratio = page.evaluate(CONTRAST, selector)
            assert ratio >= 4.5, f"{scheme}: {selector} contrast {ratio:.2f}"
        region = page.get_by_role("region", name="Cite")
        assert region.count() == 1
    finally:
        context.close()

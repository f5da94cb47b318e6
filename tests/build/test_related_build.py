"""Related papers in a build: the paper pages' section, the open data's `related`, and the build state that
makes an unchanged archive compute nothing and an edit compute only what it changed, with the lists a
fresh build gives."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import html5lib
import pytest
from rich_site import seed_project

from sitegen.build import build as build_module
from sitegen.build.build import BuildReport, build
from sitegen.build.session import BuildSession
from sitegen.config import load_config
from sitegen.search import related

EDITED = "are-large-language-models-really-good-logical-reasoners-a-comprehensive"


def built(root: Path, out: Path, session: BuildSession | None = None) -> BuildReport:
    return build(load_config(root), out, session=session)


def papers_json(out: Path) -> list[dict[str, Any]]:
    papers: list[dict[str, Any]] = json.loads((out / "api" / "papers.json").read_text(encoding="utf-8"))["papers"]
    return papers


def related_of(out: Path) -> dict[str, list[str]]:
    return {paper["slug"]: paper["related"] for paper in papers_json(out)}


def state_file(root: Path, name: str) -> Path:
    (found,) = (root / ".sitegen" / "builds").glob(f"*/{name}")
    return found


def fresh_copy(root: Path, destination: Path) -> Path:
    """The project as it is now, without its build state or output: what a first build sees."""
    shutil.copytree(root, destination, ignore=shutil.ignore_patterns(".sitegen", "site"))
    return destination


def edit(root: Path, slug: str, old: str, new: str) -> None:
    page = root / "content" / "papers" / f"{slug}.md"
    text = page.read_text(encoding="utf-8")
    assert old in text
    page.write_text(text.replace(old, new, 1), encoding="utf-8")


class Work:
    """What the related-papers computation does in one build: documents counted, rows ranked, kept terms read."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.counted: list[int] = []
        self.ranked: list[list[int]] = []
        self.loaded = 0
        count, rank, load = related.count_terms, related._rank_rows, build_module.read_related_terms

        def counting(documents: Any) -> Any:
            self.counted.append(len(documents))
            return count(documents)

        def ranking(vectors: Any, rows: Any) -> Any:
            self.ranked.append(rows.tolist())
            return rank(vectors, rows)

        def loading(*args: Any) -> Any:
            self.loaded += 1
            return load(*args)

        monkeypatch.setattr(related, "count_terms", counting)
        monkeypatch.setattr(related, "_rank_rows", ranking)
        monkeypatch.setattr(build_module, "read_related_terms", loading)


@pytest.fixture(scope="module")
def seed_site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The seed built into its project's own site/, so a copy of the folder keeps its build state."""
    root = seed_project(tmp_path_factory.mktemp("related") / "project")
    built(root, root / "site")
    return root, root / "site"


@pytest.fixture
def project(seed_site: tuple[Path, Path], tmp_path: Path) -> tuple[Path, Path]:
    """A copy of the built seed project, its build state and output included."""
    root = tmp_path / "project"
    shutil.copytree(seed_site[0], root, symlinks=True)
    return root, root / "site"


# --- the pages and the open data ----------------------------------------------------------------------


def _page(out: Path, slug: str) -> ElementTree.Element:
    text = (out / "papers" / slug / "index.html").read_text(encoding="utf-8")
    tree: ElementTree.Element = html5lib.parse(text, namespaceHTMLElements=False)
    return tree


def _sections(page: ElementTree.Element) -> list[str]:
    return [" ".join(section.get("class", "").split()) for section in page.iter("section")]


def test_each_page_lists_the_papers_the_export_names_with_the_tags_they_share(seed_site: tuple[Path, Path]) -> None:
    _, out = seed_site
    papers = {paper["slug"]: paper for paper in papers_json(out)}
    listed = 0
    for slug, paper in papers.items():
        page = _page(out, slug)
        found = [section for section in page.iter("section") if section.get("class") == "related"]
        if not paper["related"]:
            assert not found and "Related papers" not in ElementTree.tostring(page, encoding="unicode"), slug
            continue
        (section,) = found
        sections = _sections(page)
        assert sections.index("abstract") + 1 == sections.index("related") == sections.index("links") - 1, sections
        heading = section.find("h2")
        assert heading is not None and heading.text == "Related papers"
        assert section.get("aria-labelledby") == heading.get("id")
        items = section.findall("./ul/li")
        shown = []
        for item in items:
            link = item.find("a")
            assert link is not None
            other = link.get("href", "").removeprefix("../").removesuffix("/index.html")
            shown.append(other)
            assert link.text == papers[other]["title"]
            tags = item.find("ul")
            shared = [tag for tag in paper["tags"] if tag in papers[other]["tags"]]
            if shared:
                assert tags is not None and tags.get("aria-label") == "Tags in common"
                assert [a.text for a in tags.iter("a")] == shared
                assert [a.get("href") for a in tags.iter("a")] == [f"../../tags/{tag}/index.html" for tag in shared]
            else:
                assert tags is None
        assert shown == paper["related"], slug
        listed += 1
    assert listed > len(papers) // 2


def test_a_paper_sharing_no_term_has_no_section_and_is_in_no_list(seed_site: tuple[Path, Path], tmp_path: Path) -> None:
    root = fresh_copy(seed_site[0], tmp_path / "project")
    (root / "content" / "papers" / "zzyzx-qwomble.md").write_text(
        "---\ntitle: Zzyzx qwomble\ndate: 2024-02-02\ntags:\n- alignment\n---\n\nVrallen plinth oxquirm. Zzyzx blorft snavel.\n",
        encoding="utf-8",
    )
    out = root / "site"
    built(root, out)
    lists = related_of(out)
    assert lists["zzyzx-qwomble"] == []
    assert not any("zzyzx-qwomble" in others for others in lists.values())
    assert "related" not in _sections(_page(out, "zzyzx-qwomble"))
    assert "Related papers" not in (out / "papers" / "zzyzx-qwomble" / "index.html").read_text(encoding="utf-8")


# --- what the build keeps, and what an edit costs -----------------------------------------------------------


def test_an_unchanged_archive_computes_nothing(project: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    root, out = project
    before = related_of(out)
    work = Work(monkeypatch)
    built(root, out)  # the pages moved with the project (each paper knows its file): the lists are rekeyed, not computed
    assert (work.counted, work.ranked, work.loaded) == ([], [], 0)
    kept = {name: state_file(root, name).stat().st_mtime_ns for name in ("related.json", "related-terms.json")}
    built(root, out)
    assert (work.counted, work.ranked, work.loaded) == ([], [], 0)
    assert related_of(out) == before
    assert {name: state_file(root, name).stat().st_mtime_ns for name in kept} == kept, "nothing is written either"


def test_a_one_paper_edit_counts_one_paper_and_ranks_it_with_the_lists_that_held_it(
    project: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A word no other paper has changes only the edited paper's vector (its norm): that paper is
    counted; it and the papers that listed it are ranked again; every other list only checks it."""
    root, out = project
    order = [paper["slug"] for paper in papers_json(out)]
    holders = {slug for slug, others in related_of(out).items() if EDITED in others}
    assert holders
    edit(root, EDITED, "Logical reasoning", "Flibbertigibbet. Logical reasoning")
    work = Work(monkeypatch)
    report = built(root, out)
    assert work.counted == [1] and work.loaded == 1
    assert [[order[row] for row in rows] for rows in work.ranked] == [[slug for slug in order if slug in holders | {EDITED}]]
    assert report.related_seconds > 0
    fresh = fresh_copy(root, tmp_path / "fresh") / "site"
    built(fresh.parent, fresh)
    assert related_of(out) == related_of(fresh)
    for slug in order:
        page = Path("papers", slug, "index.html")
        assert (out / page).read_bytes() == (fresh / page).read_bytes(), slug


@pytest.mark.parametrize(
    ("slug", "old", "new"),
    [
        (EDITED, "title: Are Large", "title: Aligning Reasoning Models, Are Large"),  # common words: other vectors change
        ("alignment-for-honesty", "date: 2023-12-12", "date: 2025-01-01"),  # moves in the site order
        ("alignment-for-honesty", "title: Alignment for Honesty", "title: Alignment for Honesty\ndraft: true"),
    ],
    ids=["common-words", "new-date", "made-a-draft"],
)
def test_any_edit_gives_the_lists_of_a_fresh_build(
    seed_site: tuple[Path, Path], project: tuple[Path, Path], tmp_path: Path, slug: str, old: str, new: str
) -> None:
    root, out = project
    edit(root, slug, old, new)
    built(root, out)
    fresh = fresh_copy(root, tmp_path / "fresh") / "site"
    built(fresh.parent, fresh)
    assert related_of(out) == related_of(fresh)
    # and back: the kept state follows every edit
    edit(root, slug, new, old)
    built(root, out)
    assert related_of(out) == related_of(seed_site[1])


def test_a_removed_paper_leaves_every_list(project: tuple[Path, Path], tmp_path: Path) -> None:
    root, out = project
    holders = {slug for slug, others in related_of(out).items() if EDITED in others}
    (root / "content" / "papers" / f"{EDITED}.md").unlink()
    built(root, out)
    lists = related_of(out)
    assert EDITED not in lists and not any(EDITED in lists[slug] for slug in holders)
    fresh = fresh_copy(root, tmp_path / "fresh") / "site"
    built(fresh.parent, fresh)
    assert lists == related_of(fresh)


def test_a_damaged_state_file_is_ignored_with_a_warning(project: tuple[Path, Path], tmp_path: Path) -> None:
    root, out = project
    terms = state_file(root, "related-terms.json")
    header, _, payload = terms.read_bytes().partition(b"\n")
    terms.write_bytes(header + b"\n" + payload.replace(b'"papers":[', b'"papers":[7,', 1))
    edit(root, EDITED, "Logical reasoning", "Flibbertigibbet. Logical reasoning")
    report = built(root, out)
    assert any("related-terms.json" in str(notice.loc) and "building without it" in notice.message for notice in report.notices)
    fresh = fresh_copy(root, tmp_path / "fresh") / "site"
    built(fresh.parent, fresh)
    assert related_of(out) == related_of(fresh)


def test_a_session_keeps_them_in_memory_and_writes_them_when_it_closes(
    project: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, out = project
    session = BuildSession()
    try:
        built(root, out, session)
        edit(root, EDITED, "Logical reasoning", "Flibbertigibbet. Logical reasoning")
        work = Work(monkeypatch)
        built(root, out, session)
        assert work.counted == [1] and work.loaded == 1  # the first change reads the kept terms once ...
        edit(root, EDITED, "Flibbertigibbet. ", "Quuxification. ")
        built(root, out, session)
        assert work.counted == [1, 1] and work.loaded == 1  # ... and keeps them
    finally:
        session.close()
    monkeypatch.undo()
    fresh = fresh_copy(root, tmp_path / "fresh") / "site"
    built(fresh.parent, fresh)
    assert related_of(out) == related_of(fresh)
    work = Work(monkeypatch)
    built(root, out)  # what the session wrote is what it had
    assert (work.counted, work.ranked, work.loaded) == ([], [], 0)

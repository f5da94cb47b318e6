"""End-to-end builds: the real seed and a tiny fixture site, built through the command line into temporary folders.

What is expected comes from the content's own front matter, read here with
plain PyYAML (not through sitegen), so the site is checked against an
independent reading of its sources.

Golden files: tests/golden/ holds pages of the fixture site (tests/fixtures/site).
After an intended template change, regenerate them with one command and review
the diff::

    python -m pytest tests/build/test_build.py --update-golden
    git diff tests/golden
"""

from __future__ import annotations

import contextlib
import datetime as dt
import difflib
import importlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import unicodedata
from collections.abc import Iterable, Sequence
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Self
from urllib.parse import urlsplit
from xml.etree import ElementTree

import linkcheck
import pytest
import rich_site
import yaml
from search_files import read_search

from sitegen.build.build import build
from sitegen.build.session import BuildSession
from sitegen.cli import main
from sitegen.config import Config, load_config
from sitegen.errors import BuildFailed

REPO = Path(__file__).resolve().parents[2]
FIXTURE = REPO / "tests" / "fixtures" / "site"
GOLDEN = REPO / "tests" / "golden"
THEME = REPO / "sitegen" / "theme"
UPDATE_GOLDEN = "python -m pytest tests/build/test_build.py --update-golden"
GOLDEN_PAGES = ("index.html", "papers/tiny-reasoners/index.html", "tags/reasoning/index.html", "dates/2024/index.html")
ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
PAPER_LINK = re.compile(r"papers/([a-z0-9-]+)/index\.html")


# --- an independent reading of the content --------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """One content page as its front matter says, read without sitegen."""

    file: str
    slug: str
    title: str
    date: dt.date | None
    tags: tuple[str, ...]
    draft: bool
    body: str
    comments: int | None = None
    upvotes: int | None = None
    org: tuple[str, str] | None = None
    """(id, name)."""
    listed: dt.date | None = None

    @property
    def page(self) -> str:
        return f"papers/{self.slug}/index.html"

    @property
    def day(self) -> dt.date | None:
        """What feeds and the sitemap date the paper by: its date, else its listing day."""
        return self.date or self.listed

    @property
    def discussed(self) -> bool:
        return self.comments is not None or self.upvotes is not None


def read_entries(papers_dir: Path, *, drafts: bool = False) -> list[Entry]:
    """Pages of a content folder, drafts left out unless asked for, in site order:
    newest first, undated last, ties by title (case-insensitive) then slug."""
    entries = []
    for path in sorted(papers_dir.glob("*.md")):
        _, header, body = path.read_text(encoding="utf-8").split("---\n", 2)
        meta = yaml.safe_load(header)
        date, listed = _date(meta.get("date")), _date(meta.get("listed"))
        entry = Entry(
            file=path.name,
            slug=meta.get("slug", path.stem),
            title=" ".join(str(meta["title"]).split()),
            date=date,
            tags=tuple(dict.fromkeys(meta.get("tags") or ())),
            draft=bool(meta.get("draft", False)),
            body=body.strip(),
            comments=meta.get("comments"),
            upvotes=meta.get("upvotes"),
            org=(str(meta["organisation"]["id"]), str(meta["organisation"].get("name") or meta["organisation"]["id"]))
            if meta.get("organisation")
            else None,
            listed=listed,
        )
        if drafts or not entry.draft:
            entries.append(entry)
    return sorted(entries, key=lambda e: (e.date is None, -(e.date.toordinal() if e.date else 0), e.title.casefold(), e.slug))


def _date(value: object) -> dt.date | None:
    if isinstance(value, str):
        return dt.date.fromisoformat(value)
    assert value is None or isinstance(value, dt.date), value
    return value


def chunks(items: Sequence[Entry], size: int) -> list[Sequence[Entry]]:
    return [items[start : start + size] for start in range(0, len(items), size)] or [items]


def listing_pages(base: str, entries: Sequence[Entry], size: int) -> list[str]:
    """``base/index.html``, then ``base/page/2/index.html``...: one file per page of a paginated listing."""
    return [f"{base}index.html" if number == 1 else f"{base}page/{number}/index.html" for number in range(1, len(chunks(entries, size)) + 1)]


def tag_names(entries: Sequence[Entry]) -> list[str]:
    return sorted({tag for entry in entries for tag in entry.tags})


def months(entries: Sequence[Entry]) -> dict[tuple[int, int], list[Entry]]:
    grouped: dict[tuple[int, int], list[Entry]] = {}
    for entry in entries:
        if entry.date is not None:
            grouped.setdefault((entry.date.year, entry.date.month), []).append(entry)
    return grouped


def org_slug(org_id: str) -> str:
    """Lowercase ASCII words joined by hyphens (the test sites have no two ids that make one)."""
    ascii_id = unicodedata.normalize("NFKD", org_id).encode("ascii", "ignore").decode("ascii").lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_id).strip("-")


def orgs(entries: Sequence[Entry]) -> dict[str, list[Entry]]:
    """Organisation slug -> its papers in site order, most papers first (ties by name)."""
    grouped: dict[str, list[Entry]] = {}
    for entry in entries:
        if entry.org is not None:
            grouped.setdefault(entry.org[0], []).append(entry)
    assert len({org_slug(org_id) for org_id in grouped}) == len(grouped), "two organisation ids make one slug"
    ordered = sorted(grouped.values(), key=lambda members: (-len(members), members[0].org[1].casefold() if members[0].org else ""))
    return {org_slug(members[0].org[0]): members for members in ordered if members[0].org}


def most_discussed(entries: Sequence[Entry]) -> list[Entry]:
    """Papers with a comment or upvote count: by comments, then upvotes, then date (newest first), then site order."""
    ranked = [(index, entry) for index, entry in enumerate(entries) if entry.discussed]
    ranked.sort(key=lambda item: (
        -(item[1].comments or 0), -(item[1].upvotes or 0), item[1].date is None, -(item[1].date.toordinal() if item[1].date else 0), item[0]
    ))
    return [entry for _, entry in ranked]


def years(entries: Sequence[Entry]) -> dict[int, list[Entry]]:
    grouped: dict[int, list[Entry]] = {}
    for entry in entries:
        if entry.date is not None:
            grouped.setdefault(entry.date.year, []).append(entry)
    return grouped


YEAR_PAGE_FACTOR = 5
"""A year page holds page_size * 5 cards (sitegen/theme/README.md)."""


def listings(entries: Sequence[Entry]) -> dict[str, list[Entry]]:
    """Every paginated listing: its base folder -> the papers it shows, in order."""
    result = {"": list(entries), "top/": most_discussed(entries)}
    for tag in tag_names(entries):
        result[f"tags/{tag}/"] = [entry for entry in entries if tag in entry.tags]
    for slug, members in orgs(entries).items():
        result[f"orgs/{slug}/"] = members
    undated = [entry for entry in entries if entry.date is None]
    if undated:
        result["dates/undated/"] = undated
    return result


def expected_pages(entries: Sequence[Entry], config: Config) -> set[str]:
    """Every HTML and XML file the site must have, and no other."""
    pages = {"404.html", "feed.xml", "sitemap.xml", "tags/index.html", "dates/index.html", "search/index.html"}
    pages |= {"papers/index.html", "orgs/index.html"}
    pages |= {entry.page for entry in entries}
    for base, members in listings(entries).items():
        pages |= set(listing_pages(base, members, config.page_size))
    pages |= {f"tags/{tag}/feed.xml" for tag in tag_names(entries)}
    pages |= {f"orgs/{slug}/feed.xml" for slug in orgs(entries)}
    for year, members in years(entries).items():
        pages |= set(listing_pages(f"dates/{year:04d}/", members, config.page_size * YEAR_PAGE_FACTOR))
    for year, month in months(entries):
        pages.add(f"dates/{year:04d}/{month:02d}/index.html")
    return pages


def newest_dated(entries: Iterable[Entry], size: int) -> list[Entry]:
    """A feed's entries: the papers with a day (date, else listing day), newest day first, ties in site order."""
    dated = [entry for entry in entries if entry.day is not None]
    return sorted(dated, key=lambda entry: -entry.day.toordinal() if entry.day else 0)[:size]


# --- building --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    code: int
    stdout: str
    stderr: str


def sitegen(*argv: str) -> Run:
    """``sitegen ARGV`` in process, with its output captured (works in module-scoped fixtures too)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return Run(code, out.getvalue(), err.getvalue())


def build_ok(root: Path, output: Path, *flags: str) -> Run:
    run = sitegen("build", "--root", str(root), "-o", str(output), *flags)
    assert run.code == 0, f"build of {root} failed:\n{run.stderr}"
    return run


def files_of(folder: Path) -> dict[str, bytes]:
    """Every published file under ``folder``, by relative POSIX path."""
    return {path.relative_to(folder).as_posix(): path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file()}


def snapshot(folder: Path) -> dict[str, tuple[str, bytes, int, int]]:
    """Kind, bytes, mtime and inode of every entry (folders too: a file created and deleted again changes its folder)."""
    state: dict[str, tuple[str, bytes, int, int]] = {}
    for directory, subdirectories, names in os.walk(folder):
        for name in [*subdirectories, *names]:
            path = Path(directory) / name
            info = path.lstat()
            if path.is_symlink():
                state[path.relative_to(folder).as_posix()] = ("link", os.readlink(path).encode(), info.st_mtime_ns, info.st_ino)
            elif path.is_dir():
                state[path.relative_to(folder).as_posix()] = ("dir", b"", info.st_mtime_ns, info.st_ino)
            else:
                state[path.relative_to(folder).as_posix()] = ("file", path.read_bytes(), info.st_mtime_ns, info.st_ino)
    info = folder.lstat()
    state["."] = ("dir", b"", info.st_mtime_ns, info.st_ino)
    return state


def age(folder: Path) -> None:
    """Set every mtime to a fixed past moment, so any rewrite shows even on coarse-clock file systems."""
    old = 946_684_800_000_000_000  # 2000-01-01
    for path in sorted(folder.rglob("*"), reverse=True):
        os.utime(path, ns=(old, old), follow_symlinks=False)
    os.utime(folder, ns=(old, old))


def changed_files(before: dict[str, tuple[str, bytes, int, int]], after: dict[str, tuple[str, bytes, int, int]]) -> set[str]:
    """Files rewritten between two snapshots (new mtime or new inode), or created."""
    return {
        path
        for path, (kind, _, mtime, inode) in after.items()
        if kind == "file" and (path not in before or before[path][2:] != (mtime, inode))
    }


def paper_links(page: linkcheck.ParsedPage) -> list[str]:
    """Slugs of the paper pages a page links to, in document order, each once."""
    return [match[1] for target in linkcheck.targets(page) if (match := PAPER_LINK.fullmatch(target))]


def _with_class(page: linkcheck.ParsedPage, name: str) -> list[ElementTree.Element]:
    return [element for element in linkcheck.elements(page.document) if name in (element.get("class") or "").split()]


def _slugs_in(page: linkcheck.ParsedPage, element: ElementTree.Element) -> list[str]:
    found = []
    for link in element.iter():
        if linkcheck.local_name(link) == "a" and (match := PAPER_LINK.fullmatch(linkcheck.resolve(page.path, link.get("href") or "") or "")):
            found.append(match[1])
    return list(dict.fromkeys(found))


def card_slugs(page: linkcheck.ParsedPage) -> list[str]:
    """The papers a page shows as cards, in order."""
    return [_slugs_in(page, card)[0] for card in _with_class(page, "paper-card")]


def section_slugs(page: linkcheck.ParsedPage, name: str) -> list[str]:
    """The papers linked from the elements of class ``name`` (``top-papers``), in order."""
    return [slug for element in _with_class(page, name) for slug in _slugs_in(page, element)]


def card_meta(page: linkcheck.ParsedPage, slug: str) -> ElementTree.Element:
    """The metadata line of the card of ``slug``."""
    (card,) = [card for card in _with_class(page, "paper-card") if _slugs_in(page, card)[:1] == [slug]]
    (meta,) = [element for element in card.iter() if "meta" in (element.get("class") or "").split()]
    return meta


def page_meta(page: linkcheck.ParsedPage) -> ElementTree.Element:
    """The metadata line of a paper page, in its header."""
    (header,) = _with_class(page, "paper-header")
    return next(element for element in header.iter() if "meta" in (element.get("class") or "").split())


def unified(expected: str, actual: str, expected_name: str, actual_name: str) -> str:
    return "".join(difflib.unified_diff(expected.splitlines(True), actual.splitlines(True), expected_name, actual_name))


def copy_fixture(destination: Path) -> Path:
    """The fixture site as a project of its own, still using this repository's theme."""
    shutil.copytree(FIXTURE, destination)
    config = destination / "pyproject.toml"
    text = config.read_text(encoding="utf-8")
    assert 'theme_dir = "../../../sitegen/theme"' in text
    config.write_text(text.replace('theme_dir = "../../../sitegen/theme"', f"theme_dir = {str(THEME)!r}"), encoding="utf-8")
    return destination


def copy_seed(destination: Path) -> Path:
    """The repository's content and configuration in a project folder of its own, using the repository's theme."""
    destination.mkdir()
    shutil.copytree(REPO / "content", destination / "content")
    text = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    table = text[text.index("[tool.sitegen]") :]
    table = table[: table.find("\n[", 1)] if "\n[" in table else table
    assert "theme_dir" not in table, "the copy below assumes the repository uses the default theme folder"
    (destination / "pyproject.toml").write_text(f"{table}\ntheme_dir = {str(THEME)!r}\n", encoding="utf-8")
    return destination


# --- the two sites every structural test runs on ---------------------------------------------------


@dataclass(frozen=True, repr=False)
class Built:
    name: str
    root: Path
    out: Path
    run: Run
    config: Config
    entries: list[Entry]
    pages: dict[str, linkcheck.ParsedPage]

    def __repr__(self) -> str:
        return f"<{self.name} site built into {self.out}>"

    def page(self, path: str) -> linkcheck.ParsedPage:
        assert path in self.pages, f"{self.name}: {path} was not built"
        return self.pages[path]


def _built(name: str, root: Path, out: Path) -> Built:
    run = build_ok(root, out)
    config = load_config(root)
    return Built(name, root, out, run, config, read_entries(config.papers_dir), linkcheck.scan(out))


@pytest.fixture(scope="module")
def seed(tmp_path_factory: pytest.TempPathFactory) -> Built:
    folder = tmp_path_factory.mktemp("seed")
    return _built("seed", copy_seed(folder / "project"), folder / "site")


@pytest.fixture(scope="module")
def fixture_site(tmp_path_factory: pytest.TempPathFactory) -> Built:
    folder = tmp_path_factory.mktemp("fixture")
    return _built("fixture", copy_fixture(folder / "project"), folder / "site")


@pytest.fixture(scope="module")
def rich(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """tests/rich_site.py: the fixture site plus converted Hugging Face API papers (organisations, upvotes)."""
    folder = tmp_path_factory.mktemp("rich")
    return _built("rich", rich_site.rich_project(folder / "project"), folder / "site")


@pytest.fixture(scope="module", params=["seed", "fixture_site", "rich"])
def built(request: pytest.FixtureRequest) -> Built:
    return request.getfixturevalue(request.param)


# --- the real seed ---------------------------------------------------------------------------------


def test_seed_builds_46_paper_pages(seed: Built) -> None:
    assert len(seed.entries) == 46
    assert re.search(r"\bbuilt 46 papers\b", seed.run.stdout), seed.run.stdout
    built_papers = {path for path in files_of(seed.out) if path.startswith("papers/") and path.endswith(".html")}  # citations: cite.bib/json beside
    assert built_papers == {entry.page for entry in seed.entries} | {"papers/index.html"}  # and the list of every paper


def test_seed_has_year_month_undated_and_paginated_pages(seed: Built) -> None:
    files = set(files_of(seed.out))
    for year, month in months(seed.entries):
        assert f"dates/{year:04d}/index.html" in files
        assert f"dates/{year:04d}/{month:02d}/index.html" in files
    assert "dates/undated/index.html" in files  # the seed has undated papers
    assert "page/2/index.html" in files and "page/3/index.html" in files  # 46 papers, 20 a page
    assert "page/4/index.html" not in files
    assert "tags/reasoning/page/2/index.html" in files  # the only tag with more than 20 papers


def test_seed_build_is_deterministic(seed: Built, tmp_path: Path) -> None:
    """A second build, in another process with another hash seed and another folder, gives the same bytes."""
    other = tmp_path / "again"
    env = {**os.environ, "PYTHONHASHSEED": "12345", "PYTHONPATH": str(REPO)}
    process = subprocess.run(
        [sys.executable, "-m", "sitegen", "build", "--root", str(seed.root), "-o", str(other)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False,
    )
    assert process.returncode == 0, process.stderr
    first, second = files_of(seed.out), files_of(other)
    assert sorted(first) == sorted(second)
    different = [path for path in first if first[path] != second[path]]
    assert not different, f"bytes differ between two builds: {different[:10]}\n" + unified(
        first[different[0]].decode(errors="replace"), second[different[0]].decode(errors="replace"), "first", "second"
    )


# --- structure, on both sites ----------------------------------------------------------------------


def test_html_and_xml_files_are_exactly_the_planned_pages(built: Built) -> None:
    files = set(files_of(built.out))
    actual = {path for path in files if path.endswith((".html", ".xml"))}
    actual -= {path for path in actual if path.startswith("static/")}
    expected = expected_pages(built.entries, built.config)
    assert sorted(actual - expected) == [], "built but not planned"
    assert sorted(expected - actual) == [], "planned but not built"
    assert "robots.txt" in files


def test_theme_assets_are_copied_unchanged(built: Built) -> None:
    config_theme = built.config.path("theme_dir") / "static"
    assets = files_of(config_theme)
    assert assets, "the theme has static files"
    files = files_of(built.out)
    for path, data in assets.items():
        if not Path(path).name.startswith("."):
            assert files.get(f"static/{path}") == data, f"static/{path}"


def test_every_internal_link_and_asset_resolves(built: Built) -> None:
    problems = linkcheck.problems(built.pages)
    assert not problems, f"{len(problems)} broken references:\n" + "\n".join(problems[:30])
    for path, page in built.pages.items():
        kinds = {(reference.element, reference.attribute) for reference in page.references if reference.target}
        assert ("link", "href") in kinds, f"{path}: no <link href> was checked (stylesheet, feed)"


def test_html_parses_without_errors(built: Built) -> None:
    errors = [f"{path}: {error}" for path, page in built.pages.items() for error in page.errors]
    assert not errors, "\n".join(errors[:30])


def test_listings_show_their_papers_in_order_across_pages(built: Built) -> None:
    """Home, every tag and the undated listing: papers newest first, split page_size at a time."""
    size = built.config.page_size
    for base, members in listings(built.entries).items():
        paths = listing_pages(base, members, size)
        for path, expected in zip(paths, chunks(members, size), strict=True):
            shown = paper_links(built.page(path))
            assert shown == [entry.slug for entry in expected], f"{built.name}: {path}"


def test_pagination_links_each_page_to_its_neighbours(built: Built) -> None:
    for base, members in listings(built.entries).items():
        paths = listing_pages(base, members, built.config.page_size)
        for index, path in enumerate(paths):
            targets = set(linkcheck.targets(built.page(path)))
            if index > 0:
                assert paths[index - 1] in targets, f"{path} does not link back to {paths[index - 1]}"
            if index + 1 < len(paths):
                assert paths[index + 1] in targets, f"{path} does not link on to {paths[index + 1]}"
    if built.name == "seed":
        assert "page/2/index.html" in linkcheck.targets(built.page("index.html"))


def test_month_pages_list_their_papers_and_year_pages_their_months(built: Built) -> None:
    """A month page shows its three most discussed papers first (when one has a count), then all of them."""
    for (year, month), members in months(built.entries).items():
        page = built.page(f"dates/{year:04d}/{month:02d}/index.html")
        top = most_discussed(members)[:3]
        assert paper_links(page) == list(dict.fromkeys([entry.slug for entry in top + members])), page.path
        assert card_slugs(page) == [entry.slug for entry in members], page.path
        assert section_slugs(page, "top-papers") == [entry.slug for entry in top], page.path
        year_page = built.page(f"dates/{year:04d}/index.html")
        assert f"dates/{year:04d}/{month:02d}/index.html" in linkcheck.targets(year_page)


def test_year_pages_show_their_chart_their_most_discussed_and_every_paper_as_a_card(built: Built) -> None:
    size = built.config.page_size * YEAR_PAGE_FACTOR
    for year, members in years(built.entries).items():
        paths = listing_pages(f"dates/{year:04d}/", members, size)
        first = built.page(paths[0])
        charts = [element for element in linkcheck.elements(first.document) if "chart" in (element.get("class") or "").split()]
        assert len(charts) == 1 and linkcheck.local_name(charts[0]) == "svg", first.path
        bars = {linkcheck.resolve(first.path, link.get("href") or "") for link in charts[0].iter() if linkcheck.local_name(link) == "a"}
        assert bars == {f"dates/{year:04d}/{month:02d}/index.html" for (y, month) in months(members) if y == year}, first.path
        top = most_discussed(members)[:3]
        assert section_slugs(first, "top-papers") == [entry.slug for entry in top], first.path
        shown = [slug for path in paths for slug in card_slugs(built.page(path))]
        assert shown == [entry.slug for entry in members], f"{built.name}: cards of {year}"
        for path in paths[1:]:
            page = built.page(path)
            assert not section_slugs(page, "top-papers") and not section_slugs(page, "chart"), path


def test_cards_and_paper_pages_show_counts_and_link_the_organisation(built: Built) -> None:
    """Every card (on the paper's month or undated listing) and every paper page: "N comments · N upvotes"
    where the listing gave them, and the organisation's name linked to its page."""
    size = built.config.page_size
    undated = [entry for entry in built.entries if entry.date is None]
    for entry in built.entries:
        if entry.date is not None:
            listing = built.page(f"dates/{entry.date.year:04d}/{entry.date.month:02d}/index.html")
        else:
            listing = built.page(listing_pages("dates/undated/", undated, size)[undated.index(entry) // size])
        for page, meta in ((listing, card_meta(listing, entry.slug)), (built.page(entry.page), page_meta(built.page(entry.page)))):
            text = " ".join("".join(meta.itertext()).split())
            for count, noun in ((entry.comments, "comment"), (entry.upvotes, "upvote")):
                if count is None:
                    assert noun not in text, (page.path, entry.slug, text)
                else:
                    assert f"{count} {noun}{'' if count == 1 else 's'}" in text, (page.path, entry.slug, text)
            org_links = [link for link in meta.iter() if linkcheck.local_name(link) == "a" and "org" in (link.get("class") or "").split()]
            if entry.org is None:
                assert not org_links, (page.path, entry.slug)
            else:
                (link,) = org_links
                assert linkcheck.resolve(page.path, link.get("href") or "") == f"orgs/{org_slug(entry.org[0])}/index.html"
                assert link.text == entry.org[1]


def test_organisations_index_lists_every_organisation_with_its_count(built: Built) -> None:
    page = built.page("orgs/index.html")
    expected = orgs(built.entries)
    listed = [slug for listing in _with_class(page, "org-list") for link in listing.iter("a") for slug in [linkcheck.resolve(page.path, link.get("href") or "")]]
    assert listed == [f"orgs/{slug}/index.html" for slug in expected]
    rows = [" ".join("".join(item.itertext()).split()) for listing in _with_class(page, "org-list") for item in listing.findall("li")]
    names = [members[0].org[1] if members[0].org else "" for members in expected.values()]
    assert rows == [f"{name} {len(members)} paper{'' if len(members) == 1 else 's'}" for name, members in zip(names, expected.values(), strict=True)]
    if built.name == "rich":
        assert len(expected) >= 3  # hand-written, converted from the API and from the fixture
    for slug, members in expected.items():
        _check_feed(built, f"orgs/{slug}/feed.xml", members, f"orgs/{slug}/")
        first = built.page(f"orgs/{slug}/index.html")
        assert f"orgs/{slug}/feed.xml" in linkcheck.targets(first)


def test_most_discussed_says_which_papers_it_leaves_out(built: Built) -> None:
    left_out = sum(not entry.discussed for entry in built.entries)
    text = " ".join("".join(built.page("top/index.html").document.itertext()).split())
    if left_out:
        assert f"{left_out} paper{' whose listing gave' if left_out == 1 else 's whose listings gave'} neither count" in text
    else:
        assert "left out" not in text
    if built.name == "rich":
        assert most_discussed(built.entries)[0].slug == "llama-2-open-foundation-and-fine-tuned-chat-models"  # 20 comments


def test_every_paper_page_lists_titles_dates_and_tags_by_year(built: Built) -> None:
    """papers/index.html: a section per year (newest first), undated last, each paper's title, date and tags; no abstracts."""
    page = built.page("papers/index.html")
    groups: dict[str, list[Entry]] = {str(year): members for year, members in sorted(years(built.entries).items(), reverse=True)}
    if any(entry.date is None for entry in built.entries):
        groups["Undated"] = [entry for entry in built.entries if entry.date is None]
    sections = [element for element in linkcheck.elements(page.document) if linkcheck.local_name(element) == "section"]
    assert [" ".join((section.find("h2").text or "").split()) for section in sections] == list(groups)
    for section, members in zip(sections, groups.values(), strict=True):
        rows = section.findall("./ol/li")
        assert len(rows) == len(members)
        for row, entry in zip(rows, members, strict=True):
            link = row.find("a")
            assert link is not None and linkcheck.resolve(page.path, link.get("href") or "") == entry.page
            assert " ".join("".join(link.itertext()).split()) == entry.title
            text = " ".join("".join(row.itertext()).split())
            assert (entry.date is None) or entry.date.isoformat() in text, text
            assert all(tag in text for tag in entry.tags), text
    assert not [element for element in linkcheck.elements(page.document) if "excerpt" in (element.get("class") or "")]
    assert "papers/index.html" in linkcheck.targets(built.page("index.html"))


def test_the_search_page_without_javascript_points_at_every_paper(built: Built) -> None:
    page = built.page("search/index.html")
    (note,) = [element for element in linkcheck.elements(page.document) if linkcheck.local_name(element) == "noscript"]
    links = [linkcheck.resolve(page.path, link.get("href") or "") for link in note.iter() if linkcheck.local_name(link) == "a"]
    assert "papers/index.html" in links
    text = " ".join("".join(note.itertext()).split())
    assert "Ctrl+F" in text and "Cmd+F" in text


def test_tag_and_date_indexes_link_every_tag_month_and_year(built: Built) -> None:
    tag_index = set(linkcheck.targets(built.page("tags/index.html")))
    assert {f"tags/{tag}/index.html" for tag in tag_names(built.entries)} <= tag_index
    date_index = set(linkcheck.targets(built.page("dates/index.html")))
    for year, month in months(built.entries):
        assert {f"dates/{year:04d}/index.html", f"dates/{year:04d}/{month:02d}/index.html"} <= date_index
    if any(entry.date is None for entry in built.entries):
        assert "dates/undated/index.html" in date_index


def test_every_page_is_reachable_from_the_home_page(built: Built) -> None:
    seen = {"index.html"}
    todo = ["index.html"]
    while todo:
        for target in linkcheck.targets(built.pages[todo.pop()]):
            if target.endswith(".html") and target not in seen:
                seen.add(target)
                todo.append(target)
    unreachable = set(built.pages) - seen - {"404.html"}
    assert not unreachable, sorted(unreachable)


def test_404_page_resolves_links_against_the_site_base(built: Built) -> None:
    page = built.page("404.html")
    assert page.base == urlsplit(built.config.base_url).path
    assert "index.html" in linkcheck.targets(page)


def _feed(path: Path) -> ElementTree.Element:
    root = ElementTree.fromstring(path.read_bytes())
    assert root.tag == f"{ATOM}feed", path
    return root


def _check_feed(built: Built, path: str, papers: Sequence[Entry], home: str) -> None:
    feed = _feed(built.out / path)
    base = built.config.base_url
    expected = newest_dated(papers, built.config.feed_size)
    entries = feed.findall(f"{ATOM}entry")
    assert [entry.findtext(f"{ATOM}id") for entry in entries] == [f"{base}papers/{e.slug}/" for e in expected], path
    assert [entry.findtext(f"{ATOM}title") for entry in entries] == [e.title for e in expected], path
    for entry, paper in zip(entries, expected, strict=True):
        assert paper.day is not None
        link = entry.find(f"{ATOM}link")
        assert link is not None and link.get("href") == f"{base}papers/{paper.slug}/"
        for name in ("updated", "published"):  # RFC 3339 date-times, the paper's day (its listing day when undated)
            stamp = entry.findtext(f"{ATOM}{name}") or ""
            assert dt.datetime.fromisoformat(stamp).date() == paper.day and stamp == f"{paper.day.isoformat()}T00:00:00Z", (path, stamp)
        assert [category.get("term") for category in entry.findall(f"{ATOM}category")] == list(paper.tags)
    links = {link.get("rel"): link.get("href") for link in feed.findall(f"{ATOM}link")}
    assert links["self"] == base + path
    assert links["alternate"] == base + home
    if expected:
        assert expected[0].day is not None
        assert (feed.findtext(f"{ATOM}updated") or "").startswith(expected[0].day.isoformat())


def test_main_feed_lists_the_newest_dated_papers_in_order(built: Built) -> None:
    """Every published paper with a date or a listing day is an entry, up to feed_size; one with neither is
    left out, and the build names its page."""
    _check_feed(built, "feed.xml", built.entries, "")
    with_day = [entry for entry in built.entries if entry.day is not None]
    assert len(_feed(built.out / "feed.xml").findall(f"{ATOM}entry")) == min(len(with_day), built.config.feed_size)
    for entry in built.entries:
        left_out = f"{entry.file}: warning: no 'date:' and no 'listed:' day, so no Atom feed can list it"
        assert (left_out in built.run.stderr) == (entry.day is None), built.run.stderr


def test_seed_feed_has_every_paper_undated_ones_by_their_listing_day(seed: Built) -> None:
    undated = [entry for entry in seed.entries if entry.date is None]
    assert undated and all(entry.listed is not None for entry in undated)
    assert len(seed.entries) <= seed.config.feed_size
    ids = {entry.findtext(f"{ATOM}id") for entry in _feed(seed.out / "feed.xml").findall(f"{ATOM}entry")}
    assert ids == {f"{seed.config.base_url}papers/{entry.slug}/" for entry in seed.entries}


def test_tag_feeds_list_the_newest_dated_papers_of_their_tag(built: Built) -> None:
    for tag in tag_names(built.entries):
        _check_feed(built, f"tags/{tag}/feed.xml", [entry for entry in built.entries if tag in entry.tags], f"tags/{tag}/")


def test_fixture_feed_is_cut_at_feed_size(fixture_site: Built) -> None:
    """The fixture has more dated papers than feed_size, so the cut is exercised, not just allowed."""
    assert fixture_site.config.feed_size == 2
    ids = [entry.findtext(f"{ATOM}id") for entry in _feed(fixture_site.out / "feed.xml").findall(f"{ATOM}entry")]
    base = fixture_site.config.base_url
    assert ids == [f"{base}papers/tiny-reasoners/", f"{base}papers/steady-steps/"]


def test_sitemap_lists_every_html_page_but_404(built: Built) -> None:
    root = ElementTree.fromstring((built.out / "sitemap.xml").read_bytes())
    assert root.tag == f"{SITEMAP}urlset"
    locs = [url.findtext(f"{SITEMAP}loc") for url in root.findall(f"{SITEMAP}url")]
    assert len(locs) == len(set(locs)), "duplicates in the sitemap"
    pages = {path for path in expected_pages(built.entries, built.config) if path.endswith(".html")} - {"404.html"}
    base = built.config.base_url
    assert set(locs) == {base + path.removesuffix("index.html") for path in pages}


W3C_DATE = re.compile(r"\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])")
"""The complete-date form of W3C Datetime, the one the sitemaps.org schema's xsd:date takes for <lastmod>."""
URL_CHARACTERS = re.compile(r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+")
"""What RFC 3986 lets a URL hold: sitemaps.org wants every <loc> URL-escaped."""
SUMMARY_PAGES = {"tags/index.html", "orgs/index.html", "dates/index.html", "papers/index.html", "search/index.html"}
"""Pages that summarise the whole archive rather than list some of its papers: their <lastmod> is the archive's."""


def expected_lastmod(built: Built, page: str) -> dt.date | None:
    """A paper's page: the paper's day; a page summarising the archive: the newest day of all; a listing:
    the newest day of the papers it shows as cards (none: no <lastmod>)."""
    by_slug = {entry.slug: entry for entry in built.entries}
    if match := PAPER_LINK.fullmatch(page):
        return by_slug[match[1]].day
    shown = built.entries if page in SUMMARY_PAGES else [by_slug[slug] for slug in card_slugs(built.page(page))]
    return max((entry.day for entry in shown if entry.day is not None), default=None)


def test_sitemap_follows_the_sitemaps_org_schema_and_dates_every_page(built: Built) -> None:
    data = (built.out / "sitemap.xml").read_bytes()
    assert data.startswith(b'<?xml version="1.0" encoding="utf-8"?>') and len(data) <= 50 * 1024 * 1024
    root = ElementTree.fromstring(data)
    assert root.tag == f"{SITEMAP}urlset" and not root.attrib
    assert 0 < len(root) <= 50_000 and all(url.tag == f"{SITEMAP}url" for url in root)
    base = built.config.base_url
    dated = 0
    for url in root:
        names = [child.tag for child in url]
        assert names in ([f"{SITEMAP}loc"], [f"{SITEMAP}loc", f"{SITEMAP}lastmod"]), names  # the schema's sequence
        assert all(len(child) == 0 and not child.attrib for child in url)
        loc = url.findtext(f"{SITEMAP}loc") or ""
        # Every address absolute, escaped, 12 to 2048 characters, and below the sitemap's own folder.
        assert 12 <= len(loc) <= 2048 and URL_CHARACTERS.fullmatch(loc) and loc.startswith(base), loc
        path = loc[len(base) :]
        page = path + "index.html" if path == "" or path.endswith("/") else path
        lastmod = url.findtext(f"{SITEMAP}lastmod")
        expected = expected_lastmod(built, page)
        if expected is None:
            assert lastmod is None, loc
        else:
            assert lastmod is not None and W3C_DATE.fullmatch(lastmod), (loc, lastmod)
            assert dt.date.fromisoformat(lastmod) == expected, loc
            dated += 1
    assert dated >= len([entry for entry in built.entries if entry.day is not None])


def test_a_site_over_the_sitemap_limit_gets_a_sitemap_index(seed: Built, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The sitemap protocol allows 50,000 addresses a file: past that, sitemap.xml is an index of files that
    each stay within the limit and together list what the single sitemap lists, in its order."""
    monkeypatch.setattr(importlib.import_module("sitegen.site.publishing"), "SITEMAP_LIMIT", 20)
    root = copy_seed(tmp_path / "project")
    out = tmp_path / "out"
    build_ok(root, out)
    single = [(url.findtext(f"{SITEMAP}loc"), url.findtext(f"{SITEMAP}lastmod")) for url in ElementTree.fromstring((seed.out / "sitemap.xml").read_bytes())]
    index = ElementTree.fromstring((out / "sitemap.xml").read_bytes())
    assert index.tag == f"{SITEMAP}sitemapindex" and all(child.tag == f"{SITEMAP}sitemap" for child in index)
    base = seed.config.base_url
    listed: list[tuple[str | None, str | None]] = []
    for number, entry in enumerate(index, start=1):
        assert entry.findtext(f"{SITEMAP}loc") == f"{base}sitemaps/{number}.xml"
        part = ElementTree.fromstring((out / "sitemaps" / f"{number}.xml").read_bytes())
        assert part.tag == f"{SITEMAP}urlset" and 0 < len(part) <= 20
        urls = [(url.findtext(f"{SITEMAP}loc"), url.findtext(f"{SITEMAP}lastmod")) for url in part]
        assert entry.findtext(f"{SITEMAP}lastmod") == max((day for _, day in urls if day), default=None)
        listed += urls
    assert len(index) == -(-len(single) // 20) > 1
    assert listed == single
    assert sorted(path.name for path in (out / "sitemaps").iterdir()) == sorted(f"{number}.xml" for number in range(1, len(index) + 1))


def test_a_theme_copied_before_a_template_existed_gets_the_shipped_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A project's copy of the theme predates sitemap_index.xml: the build takes the shipped template."""
    monkeypatch.setattr(importlib.import_module("sitegen.site.publishing"), "SITEMAP_LIMIT", 20)
    root = copy_seed(tmp_path / "project")
    shutil.copytree(THEME, root / "old-theme")
    (root / "old-theme" / "templates" / "sitemap_index.xml").unlink()
    config = root / "pyproject.toml"
    config.write_text(config.read_text(encoding="utf-8").replace(f"theme_dir = {str(THEME)!r}", 'theme_dir = "old-theme"'), encoding="utf-8")
    build_ok(root, tmp_path / "out")
    assert ElementTree.fromstring((tmp_path / "out" / "sitemap.xml").read_bytes()).tag == f"{SITEMAP}sitemapindex"


def test_robots_txt_points_at_the_sitemap(built: Built) -> None:
    text = (built.out / "robots.txt").read_text(encoding="utf-8")
    assert f"Sitemap: {built.config.base_url}sitemap.xml" in text.splitlines()


def test_search_files_are_the_index_script_and_its_shards(built: Built) -> None:
    """search/ holds the page, index.js, exactly the shards it lists, every paper once, and lunr.json (the whole
    index, tests/search/test_lunr_json.py); the summary counts the shards and gives lunr.json's size."""
    meta, shards = read_search(built.out)
    files = {path for path in files_of(built.out) if path.startswith("search/")}
    assert files == {
        "search/index.html", "search/index.js", "search/lunr.json", *(f"search/{shard['file']}" for shard in meta["shards"])
    }
    titles = [entry["t"] for shard in shards for entry in shard["store"]]
    assert titles == [entry.title for entry in built.entries]
    count = len(meta["shards"])
    assert f"search index in {count} shard{'' if count == 1 else 's'}," in built.run.stdout, built.run.stdout
    assert re.search(r"; lunr\.json \d+(\.\d)? (B|KiB|MiB) \(\d+(\.\d)? (B|KiB|MiB) gzipped\)$", built.run.stdout.strip())


# --- golden files ----------------------------------------------------------------------------------


@pytest.mark.parametrize("page", GOLDEN_PAGES)
def test_golden_page(fixture_site: Built, page: str, request: pytest.FixtureRequest) -> None:
    actual = (fixture_site.out / page).read_bytes()
    golden = GOLDEN / page
    if request.config.getoption("--update-golden"):
        golden.parent.mkdir(parents=True, exist_ok=True)
        if not golden.is_file() or golden.read_bytes() != actual:
            golden.write_bytes(actual)
        return
    if not golden.is_file():
        pytest.fail(f"tests/golden/{page} is missing; create it with: {UPDATE_GOLDEN}", pytrace=False)
    expected = golden.read_bytes()
    if actual != expected:
        diff = unified(expected.decode("utf-8"), actual.decode("utf-8"), f"tests/golden/{page}", f"built/{page}")
        pytest.fail(
            f"{page} differs from tests/golden/{page}.\nIf the change is intended, regenerate with: {UPDATE_GOLDEN}\n{diff}",
            pytrace=False,
        )


# --- drafts ----------------------------------------------------------------------------------------


def test_drafts_are_left_out_unless_asked_for(fixture_site: Built, tmp_path: Path) -> None:
    title = b"Work in Progress Draft"
    published = files_of(fixture_site.out)
    assert "papers/work-in-progress/index.html" not in published
    assert "tags/drafts-only/index.html" not in published
    assert not [path for path, data in published.items() if title in data], "the draft shows somewhere"

    run = build_ok(copy_fixture(tmp_path / "project"), tmp_path / "with-drafts", "--drafts")
    assert "built 5 papers" in run.stdout
    with_drafts = files_of(tmp_path / "with-drafts")
    assert "papers/work-in-progress/index.html" in with_drafts
    assert "tags/drafts-only/index.html" in with_drafts
    assert title in with_drafts["index.html"]
    assert title in with_drafts["feed.xml"]  # the newest dated paper of the fixture


# --- bad content: a clear message with file and line, exit 1, previous output untouched --------------


BAD_PAGES = {
    "broken-yaml": ("---\ntitle: [unclosed\ndate: 2024-01-01\n---\n\nBody.\n", 3, "not valid YAML"),
    "bad-yaml-indent": ("---\ntitle: A title\n  date: 2024-01-01\n---\n\nBody.\n", 3, "not valid YAML"),
    "missing-title": ("---\ndate: 2024-01-01\ntags: [reasoning]\n---\n\nBody.\n", 2, "missing 'title'"),
    "empty-title": ("---\ndate: 2024-01-01\ntitle: ''\n---\n\nBody.\n", 3, "missing 'title'"),
    "february-30": ("---\ntitle: A title\ndate: 2024-02-30\n---\n\nBody.\n", 3, "'date' must be a date"),
    "date-yesterday": ("---\ntitle: A title\ntags: [reasoning]\ndate: yesterday\n---\n\nBody.\n", 4, "'date' must be a date"),
    "date-number": ("---\ntitle: A title\ndate: 20240101\n---\n\nBody.\n", 3, "'date' must be a date"),
    "tags-a-string": ("---\ntitle: A title\ntags: reasoning\n---\n\nBody.\n", 3, "'tags' must be a list"),
    "tags-numbers": ("---\ntitle: A title\ntags: [1, 2]\n---\n\nBody.\n", 3, "'tags': item 1 is not text (1)"),
    "tags-mappings": ("---\ntitle: A title\n\ntags:\n- name: reasoning\n---\n\nBody.\n", 5, "'tags': item 1 is not text"),
    "tag-with-markup": ("---\ntitle: A title\ntags: ['<script>alert(1)</script>']\n---\n\nBody.\n", 3, "is not a tag name (lowercase words joined by hyphens); write it as 'script-alert-1-script'"),
    "tag-escaping": ("---\ntitle: A title\ntags: [../../etc]\n---\n\nBody.\n", 3, "tag '../../etc' is not a tag name"),
    "slug-escaping": ("---\ntitle: A title\nslug: ../../etc\n---\n\nBody.\n", 3, "'slug' must be"),
    "slug-absolute": ("---\ntitle: A title\nslug: /etc/passwd\n---\n\nBody.\n", 3, "'slug' must be"),
    "no-front-matter": ("title: A title\n\nBody.\n", 1, "must start with a '---' line"),
}


@pytest.fixture(scope="module")
def built_project(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("project")
    root = copy_fixture(folder / "project")
    build_ok(root, folder / "out")
    return root, folder / "out"


@pytest.fixture
def project(built_project: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """A copy of the fixture project and of its built output; the working folder is the project, as for a user."""
    root, out = tmp_path / "project", tmp_path / "out"
    shutil.copytree(built_project[0], root, symlinks=True)
    shutil.copytree(built_project[1], out, symlinks=True)
    monkeypatch.chdir(root)
    return root, out


def failed_build(root: Path, out: Path, capsys: pytest.CaptureFixture[str]) -> str:
    """Build, expecting failure with exit 1 and the output folder exactly as it was; return stderr."""
    before = snapshot(out)
    code = main(["build", "--root", str(root), "-o", str(out)])
    captured = capsys.readouterr()
    assert code == 1, f"expected exit 1, got {code}\nstdout: {captured.out}\nstderr: {captured.err}"
    assert "Traceback" not in captured.err
    after = snapshot(out)
    assert after == before, f"the failed build changed the output: {sorted(set(after.items()) ^ set(before.items()))[:5]}"
    return captured.err


@pytest.mark.parametrize("case", sorted(BAD_PAGES))
def test_bad_page_fails_with_file_and_line_and_writes_nothing(
    case: str, project: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    root, out = project
    text, line, message = BAD_PAGES[case]
    (root / "content" / "papers" / f"{case}.md").write_text(text, encoding="utf-8")
    stderr = failed_build(root, out, capsys)
    assert f"content/papers/{case}.md:{line}: " in stderr, stderr
    assert message in stderr, stderr


def test_every_bad_page_is_reported_in_one_run(project: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    root, out = project
    for case, (text, _, _) in BAD_PAGES.items():
        (root / "content" / "papers" / f"{case}.md").write_text(text, encoding="utf-8")
    stderr = failed_build(root, out, capsys)
    for case, (_, line, _) in BAD_PAGES.items():
        assert f"content/papers/{case}.md:{line}: " in stderr, case


def test_two_pages_with_one_slug_fail_naming_both_files(project: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    root, out = project
    (root / "content" / "papers" / "another.md").write_text("---\ntitle: Another\nslug: steady-steps\n---\n\nBody.\n", encoding="utf-8")
    stderr = failed_build(root, out, capsys)
    assert "content/papers/another.md" in stderr and "content/papers/steady-steps.md" in stderr, stderr
    assert "'steady-steps'" in stderr


def test_slug_collision_points_at_the_slug_line(project: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    root, out = project
    (root / "content" / "papers" / "another.md").write_text("---\ntitle: Another\nslug: steady-steps\n---\n\nBody.\n", encoding="utf-8")
    stderr = failed_build(root, out, capsys)
    assert "content/papers/another.md:3: " in stderr, stderr


@pytest.mark.parametrize(
    ("template", "line", "message"),
    [
        ('{% extends "base.html" %}\n{% block main %}\n<h1>{{ paper.title }</h1>\n{% endblock %}\n', 3, "unexpected '}'"),
        ('{% extends "base.html" %}\n{% block main %}\n\n<h1>{{ no_such_name }}</h1>\n{% endblock %}\n', 4, "'no_such_name' is undefined"),
        ('{% extends "base.html" %}\n{% block main %}\n{% if paper.title %}\n<h1>x</h1>\n{% endblock %}\n', 5, "endblock"),
    ],
    ids=["syntax", "undefined", "unclosed-if"],
)
def test_template_error_names_template_file_and_line(
    template: str, line: int, message: str, project: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    root, out = project
    (root / "templates").mkdir()
    (root / "templates" / "paper.html").write_text(template, encoding="utf-8")
    stderr = failed_build(root, out, capsys)
    assert f"templates/paper.html:{line}: " in stderr, stderr
    assert message in stderr, stderr


# --- a project's templates/ overrides the theme template by template ------------------------------


def test_project_template_overrides_only_that_template(fixture_site: Built, tmp_path: Path) -> None:
    root = copy_fixture(tmp_path / "project")
    (root / "templates").mkdir()
    (root / "templates" / "paper.html").write_text(
        '{% extends "base.html" %}\n{% block main %}<p id="override">Overridden: {{ paper.title }}</p>{% endblock %}\n',
        encoding="utf-8",
    )
    build_ok(root, tmp_path / "out")
    theme_only = files_of(fixture_site.out)
    overridden = files_of(tmp_path / "out")
    assert sorted(theme_only) == sorted(overridden)
    for path, data in overridden.items():
        if PAPER_LINK.fullmatch(path):
            document, _ = linkcheck.parse_html(data)
            marks = [element for element in linkcheck.elements(document) if element.get("id") == "override"]
            assert len(marks) == 1 and (marks[0].text or "").startswith("Overridden: "), path
        else:
            assert data == theme_only[path], f"{path} changed although only paper.html was overridden"


# --- hostile content ends up as text -------------------------------------------------------------


HOSTILE_TITLE = "<script>alert(1)</script> and <img src=x onerror=alert(1)>"
HOSTILE_PAGE = """\
---
title: '<script>alert(1)</script> and <img src=x onerror=alert(1)>'
date: 2024-03-03
organisation:
  id: '"><script>alert(4)</script>'
  name: <img src=x onerror=alert(5)>
tags: [reasoning]
links:
- https://example.org/"onmouseover="alert(6)
- https://example.org/'><script>alert(7)</script>
---

<script>alert(2)</script>
<img src=x onerror=alert(3)>

<a href="javascript:alert(8)">raw link</a> <svg onload=alert(9)>

[x](javascript:alert(1)) [y](JaVaScRiPt:alert(1)) [z](vbscript:msgbox(1))
[d](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==) [e](javascript&#58;alert(1))
<javascript:alert(1)> ![i](javascript:alert(1)) [r][ref] [f](file:///etc/passwd)

[ref]: javascript:alert(1)
"""
UNSAFE_SCHEMES = ("javascript:", "vbscript:", "data:", "file:")


def test_hostile_title_abstract_and_links_are_escaped_everywhere(tmp_path: Path) -> None:
    root = copy_fixture(tmp_path / "project")
    (root / "content" / "papers" / "hostile.md").write_text(HOSTILE_PAGE, encoding="utf-8")
    out = tmp_path / "out"
    build_ok(root, out)
    pages = linkcheck.scan(out)
    shown_on = []
    for path, page in pages.items():
        for element in linkcheck.elements(page.document):
            name = linkcheck.local_name(element)
            handlers = [attribute for attribute in element.attrib if attribute.rsplit("}", 1)[-1].lower().startswith("on")]
            assert not handlers, f"{path}: <{name}> has event handler attributes {handlers}"
            if name == "script":
                assert "alert" not in (element.text or "") and element.get("src") != "x", f"{path}: injected <script>"
            assert not (name == "img" and element.get("src") == "x"), f"{path}: injected <img>"
            for attribute in ("href", "src", "action", "formaction", linkcheck.XLINK_HREF):
                value = "".join((element.get(attribute) or "").split()).lower()
                assert not value.startswith(UNSAFE_SCHEMES), f"{path}: <{name} {attribute}={value!r}>"
        text = "".join(page.document.itertext())
        if HOSTILE_TITLE in text:
            shown_on.append(path)
    # The title is shown, as text, where the paper is: its page, listings, its tag, month and year.
    assert {"papers/hostile/index.html", "tags/reasoning/index.html", "dates/2024/03/index.html"} <= set(shown_on)
    paper = "".join(pages["papers/hostile/index.html"].document.itertext())
    assert "<script>alert(2)</script>" in paper and "<img src=x onerror=alert(3)>" in paper  # shown, not run

    for feed_path in ("feed.xml", "tags/reasoning/feed.xml"):
        feed = ElementTree.fromstring((out / feed_path).read_bytes())
        assert all(str(element.tag).startswith(ATOM) for element in feed.iter()), f"{feed_path}: foreign element"
        titles = [entry.findtext(f"{ATOM}title") for entry in feed.findall(f"{ATOM}entry")]
        assert HOSTILE_TITLE in titles, feed_path
        assert b"<script" not in (out / feed_path).read_bytes()
    ElementTree.fromstring((out / "sitemap.xml").read_bytes())


# --- incremental builds ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def built_seed_project(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("seed-project")
    root = copy_seed(folder / "project")
    build_ok(root, folder / "out")
    return root, folder / "out"


@pytest.fixture
def seed_project(built_seed_project: tuple[Path, Path], tmp_path: Path) -> tuple[Path, Path]:
    """A copy of the seed as a project and of its built output, every output file dated in the past."""
    root, out = tmp_path / "project", tmp_path / "out"
    shutil.copytree(built_seed_project[0], root, symlinks=True)
    shutil.copytree(built_seed_project[1], out, symlinks=True)
    age(out)
    return root, out


def _verbose_paths(run: Run, word: str) -> set[str]:
    return {line.split(None, 1)[1] for line in run.stdout.splitlines() if line.startswith(f"  {word} ")}


def test_rebuild_without_changes_writes_nothing(seed_project: tuple[Path, Path]) -> None:
    root, out = seed_project
    before = snapshot(out)
    run = build_ok(root, out, "-v")
    assert re.search(r"\b0 files written\b", run.stdout), run.stdout
    assert re.search(r"\b0 removed\b", run.stdout), run.stdout
    assert snapshot(out) == before


def test_a_new_shard_budget_rewrites_only_the_search_files(seed_project: tuple[Path, Path]) -> None:
    """Smaller shards replace the search files and nothing else; going back removes the extra shards."""
    root, out = seed_project
    original = {path: data for path, data in files_of(out).items() if path.startswith("search/")}
    before = snapshot(out)
    run = build_ok(root, out, "-v", "--set", "search_shard_kib=8")
    meta, _ = read_search(out)
    shards = {f"search/{shard['file']}" for shard in meta["shards"]}
    assert len(shards) >= 4
    assert f"search index in {len(shards)} shards," in run.stdout, run.stdout
    changed = changed_files(before, snapshot(out))
    assert changed == _verbose_paths(run, "wrote")
    assert changed == {"search/index.js", *shards}
    assert not _verbose_paths(run, "removed")

    run = build_ok(root, out, "-v")
    assert _verbose_paths(run, "removed") == shards - set(original)
    assert {path: data for path, data in files_of(out).items() if path.startswith("search/")} == original


def test_editing_an_abstract_rewrites_only_the_pages_that_show_it(seed_project: tuple[Path, Path]) -> None:
    root, out = seed_project
    config = load_config(root)
    entries = read_entries(config.papers_dir)
    size = config.page_size
    dated = [entry for entry in entries if entry.date is not None and entry.tags]
    edited = dated[len(dated) // 2]
    position = entries.index(edited)
    source = config.papers_dir / edited.file
    text = source.read_text(encoding="utf-8")
    assert edited.body in text
    source.write_text(text.replace(edited.body, f"Edited first words. {edited.body}"), encoding="utf-8")

    related_before = _related_lists(out)
    before = snapshot(out)
    run = build_ok(root, out, "-v")
    changed = changed_files(before, snapshot(out))
    assert changed == _verbose_paths(run, "wrote")

    assert edited.date is not None
    home_page = listing_pages("", entries, size)[position // size]
    must = {edited.page, home_page}
    if edited in newest_dated(entries, config.feed_size):
        must.add("feed.xml")
    year = years(entries)[edited.date.year]
    year_page = listing_pages(f"dates/{edited.date.year:04d}/", year, size * YEAR_PAGE_FACTOR)[year.index(edited) // (size * YEAR_PAGE_FACTOR)]
    may = set(must) | {"feed.xml", year_page, f"dates/{edited.date.year:04d}/{edited.date.month:02d}/index.html"}
    for tag in edited.tags:
        members = [entry for entry in entries if tag in entry.tags]
        may |= {listing_pages(f"tags/{tag}/", members, size)[members.index(edited) // size], f"tags/{tag}/feed.xml"}
    for slug, members in orgs(entries).items():
        if edited in members:
            may |= {listing_pages(f"orgs/{slug}/", members, size)[members.index(edited) // size], f"orgs/{slug}/feed.xml"}
    top = most_discussed(entries)
    if edited in top:
        may.add(listing_pages("top/", top, size)[top.index(edited) // size])
    neighbours = {entries[index].page for index in (position - 1, position + 1) if 0 <= index < len(entries)}
    may |= neighbours
    # New words move term weights, so other papers' related papers may change: their pages and the open data show them.
    related_after = _related_lists(out)
    relisted = {entry.page for entry in entries if related_before.get(entry.slug) != related_after.get(entry.slug)}
    may |= relisted | ({"api/papers.json"} if relisted else set())
    assert must <= changed, f"not rewritten: {sorted(must - changed)}"
    unexpected = {path for path in changed - may if not path.startswith("search/")}
    assert not unexpected, f"rewritten although they do not show the abstract: {sorted(unexpected)}"
    unrelated = {entry.page for entry in entries} - {edited.page} - neighbours - relisted
    assert not unrelated & changed
    assert not {"tags/index.html", "dates/index.html", "sitemap.xml", "404.html", "static/style.css", "papers/index.html", "orgs/index.html"} & changed


def _related_lists(out: Path) -> dict[str, list[str]]:
    """Each paper's related papers, by slug, from the open data (which lists what the pages show)."""
    return {paper["slug"]: paper["related"] for paper in json.loads((out / "api" / "papers.json").read_text(encoding="utf-8"))["papers"]}


def test_deleting_a_paper_removes_the_files_it_produced(seed_project: tuple[Path, Path]) -> None:
    root, out = seed_project
    config = load_config(root)
    entries = read_entries(config.papers_dir)
    counts = {tag: sum(tag in entry.tags for entry in entries) for tag in tag_names(entries)}
    # A paper that is the only one of some tag, so its tag page and feed must go too.
    victim = next(entry for entry in entries if any(counts[tag] == 1 for tag in entry.tags))
    lonely = [tag for tag in victim.tags if counts[tag] == 1]
    (config.papers_dir / victim.file).unlink()

    run = build_ok(root, out, "-v")
    remaining = [entry for entry in entries if entry is not victim]
    assert not (out / "papers" / victim.slug).exists()
    for tag in lonely:
        assert not (out / "tags" / tag).exists()
    assert {victim.page, *(f"tags/{tag}/index.html" for tag in lonely)} <= _verbose_paths(run, "removed")
    files = set(files_of(out))
    pages = {path for path in files if path.endswith((".html", ".xml")) and not path.startswith("static/")}
    assert pages == expected_pages(remaining, config)
    empty = [str(path) for path in out.rglob("*") if path.is_dir() and not any(path.iterdir())]
    assert not empty, f"empty folders left behind: {empty}"
    sitemap = (out / "sitemap.xml").read_text(encoding="utf-8")
    assert f"papers/{victim.slug}/" not in sitemap


# --- the link checker itself -----------------------------------------------------------------------


def test_link_checker_reports_each_kind_of_broken_reference(tmp_path: Path) -> None:
    site = tmp_path / "site"
    pages = {
        "index.html": '<link rel="stylesheet" href="static/style.css"><a href="papers/a/index.html#x">ok</a>'
        '<a href="https://example.org/">external</a><a href="#top">fragment</a><a href="mailto:a@b.c">mail</a>'
        '<a href="missing.html">missing</a><a href="papers/a/">folder</a><a href="/static/style.css">rooted</a>'
        '<img src="../outside.png"><a href="javascript:alert(1)">js</a><script src="static/gone.js"></script>',
        "papers/a/index.html": '<a href="../../index.html">up</a><a href="../../../index.html">too far</a>'
        '<svg><a href="../../nowhere.html"><rect/></a></svg>',
        "404.html": '<base href="/archive/"><a href="index.html">home</a>'
        '<a href="/archive/papers/a/index.html">absolute in site</a><a href="/elsewhere/">outside base</a>'
        '<link rel="stylesheet" href="static/missing.css">',
    }
    for path, body in pages.items():
        write = site / path
        write.parent.mkdir(parents=True, exist_ok=True)
        write.write_text(f"<!doctype html><title>t</title>{body}", encoding="utf-8")
    (site / "static").mkdir()
    (site / "static" / "style.css").write_text("", encoding="utf-8")
    (site / "linked.html").symlink_to(site / "index.html")
    (site / "extra.html").write_text('<!doctype html><title>t</title><a href="linked.html">l</a>', encoding="utf-8")

    found = sorted(linkcheck.check_links(site))
    expected_urls = [
        ("404.html", "/elsewhere/"),
        ("404.html", "static/missing.css"),
        ("extra.html", "linked.html"),
        ("index.html", "../outside.png"),
        ("index.html", "/static/style.css"),
        ("index.html", "javascript:alert(1)"),
        ("index.html", "missing.html"),
        ("index.html", "papers/a/"),
        ("index.html", "static/gone.js"),
        ("papers/a/index.html", "../../../index.html"),
        ("papers/a/index.html", "../../nowhere.html"),
    ]
    assert len(found) == len(expected_urls), "\n".join(found)
    for page, url in expected_urls:
        assert any(line.startswith(f"{page}: ") and f"={url!r}>" in line for line in found), (page, url, found)
    assert linkcheck.targets(linkcheck.scan(site)["404.html"])[:2] == ["index.html", "papers/a/index.html"]


def test_link_checker_collects_html_parse_errors() -> None:
    _, errors = linkcheck.parse_html(b"<!doctype html><title>t</title><p><b>unclosed</p></div>")
    assert errors
    _, clean = linkcheck.parse_html(b"<!doctype html><html lang=en><head><title>t</title></head><body><p>fine</p></body></html>")
    assert clean == []


def test_a_missing_theme_is_one_clear_error(project: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    root, out = project
    config = root / "pyproject.toml"
    config.write_text(re.sub(r"(?m)^theme_dir = .*$", 'theme_dir = "no-such-theme"', config.read_text(encoding="utf-8")), encoding="utf-8")
    stderr = failed_build(root, out, capsys)
    assert "theme folder (theme_dir) is not a folder" in stderr and "no-such-theme" in stderr, stderr


class _DyingPool:
    """A process pool whose worker dies as soon as it is given work, as under the out-of-memory killer."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        pass

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def submit(self, *args: object, **kwargs: object) -> Future[object]:
        future: Future[object] = Future()
        future.set_exception(BrokenProcessPool("the worker was killed"))
        return future

    def shutdown(self, *args: object, **kwargs: object) -> None:
        pass


class _DyingCall(_DyingPool):
    """A one-call worker process that dies before it answers."""

    def result(self) -> object:
        raise BrokenProcessPool("the worker was killed")


@pytest.mark.parametrize("dying", ["pool", "call"])
def test_a_dead_search_process_falls_back_to_this_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dying: str) -> None:
    root = copy_seed(tmp_path / "project")
    expected = build(load_config(root), tmp_path / "expected")
    monkeypatch.setattr(importlib.import_module("sitegen.search.files"), "PARALLEL_SEARCH_FROM", 1)
    if dying == "pool":  # the preview's long-lived worker
        monkeypatch.setattr(importlib.import_module("sitegen.search.worker"), "ProcessPoolExecutor", _DyingPool)
        session = BuildSession()
        try:
            report = build(load_config(root), tmp_path / "out", session=session)
        finally:
            session.close()
    else:  # a build's one call, forked or spawned
        monkeypatch.setattr(importlib.import_module("sitegen.search.files"), "Forked", _DyingCall)
        monkeypatch.setattr(importlib.import_module("sitegen.search.files"), "OneCall", _DyingCall)
        report = build(load_config(root), tmp_path / "out")
    assert report.search.files == expected.search.files
    assert read_search(tmp_path / "out") == read_search(tmp_path / "expected")


def test_pages_parsed_in_two_processes_are_the_pages_parsed_in_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A first build of a large archive parses half its pages in a second process; problems found there still name file and line."""
    building = importlib.import_module("sitegen.build.load")
    root = copy_seed(tmp_path / "project")
    config = load_config(root)
    alone, _ = building.read_pages(config, {})
    monkeypatch.setattr(building, "PARALLEL_PARSE_FROM", 2)
    together, _ = building.read_pages(config, {})
    assert together == alone
    broken = max(config.papers_dir.glob("*.md"))
    broken.write_text(broken.read_text(encoding="utf-8").replace("\ntags:", "\ndate: 2025-13-45\ntags:", 1), encoding="utf-8")
    with pytest.raises(BuildFailed) as failure:
        building.read_pages(config, {})
    assert [error.loc.path.name for error in failure.value.errors] == [broken.name]
    assert failure.value.errors[0].loc.line is not None

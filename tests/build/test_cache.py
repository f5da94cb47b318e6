"""Incremental builds: reusing parsed pages and unchanged rendered pages never changes the output."""

from __future__ import annotations

import json
import re
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sitegen.build.cache
import sitegen.build.load
import sitegen.build.rendering
from sitegen.build.build import BuildSession, build
from sitegen.build.cache import _VERSION as CACHE_VERSION
from sitegen.build.state import build_state, read_state, write_state
from sitegen.config import Config, load_config
from sitegen.content.frontmatter import parse_page

REPO = Path(__file__).resolve().parents[2]


def published(folder: Path) -> dict[str, bytes]:
    return {path.relative_to(folder).as_posix(): path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file()}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    shutil.copytree(REPO / "content", root / "content")
    shutil.copy(REPO / "pyproject.toml", root / "pyproject.toml")
    (root / "theme").symlink_to(REPO / "sitegen" / "theme")
    return root


@pytest.fixture
def renders(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Paths of the pages rendered, in order (template rendering is what incremental builds skip)."""
    seen: list[str] = []
    real = sitegen.build.rendering.render

    def counting(env, template, path, context):  # type: ignore[no-untyped-def]
        seen.append(path)
        return real(env, template, path, context)

    monkeypatch.setattr(sitegen.build.rendering, "render", counting)
    return seen


def first_paper(root: Path) -> Path:
    return min((root / "content" / "papers").glob("*.md"))


def retitle(root: Path) -> None:
    page = first_paper(root)
    text = re.sub(r"(?m)^title: .*$", "title: A revised title", page.read_text(encoding="utf-8"), count=1)
    page.write_text(text, encoding="utf-8")


def new_paper(root: Path) -> None:
    (root / "content" / "papers" / "a-new-paper.md").write_text(
        "---\ntitle: A new paper\ndate: 2025-12-01\ntags:\n- reasoning\n---\n\nFresh.\n", encoding="utf-8"
    )


def delete_paper(root: Path) -> None:
    first_paper(root).unlink()


def override_template(root: Path) -> None:
    templates = root / "templates"
    templates.mkdir(exist_ok=True)
    source = (REPO / "sitegen" / "theme" / "templates" / "paper.html").read_text(encoding="utf-8")
    (templates / "paper.html").write_text(source.replace("<article", "<article data-override"), encoding="utf-8")


def override_template_again(root: Path) -> None:
    """The override edited once more: a session that keeps compiled templates must notice."""
    page = root / "templates" / "paper.html"
    page.write_text(page.read_text(encoding="utf-8").replace("data-override", "data-override-again"), encoding="utf-8")


def retune_config(root: Path) -> None:
    config = root / "pyproject.toml"
    config.write_text(config.read_text(encoding="utf-8") + "page_size = 7\n", encoding="utf-8")


@pytest.mark.parametrize(
    "change",
    [retitle, new_paper, delete_paper, override_template, retune_config],
    ids=["retitle", "new-paper", "delete-paper", "template-override", "config"],
)
def test_an_incremental_build_equals_a_fresh_one(project: Path, tmp_path: Path, change: Callable[[Path], None]) -> None:
    incremental = tmp_path / "incremental"
    build(load_config(project), incremental)
    change(project)
    build(load_config(project), incremental)
    fresh = tmp_path / "fresh"
    build(load_config(project), fresh)
    assert published(incremental) == published(fresh)


def test_a_build_without_changes_renders_no_page(project: Path, tmp_path: Path, renders: list[str]) -> None:
    out = tmp_path / "out"
    build(load_config(project), out)
    assert renders
    renders.clear()
    report = build(load_config(project), out)
    assert renders == []
    assert report.result.written == ()


def test_a_build_without_changes_does_not_serialize_the_parse_cache(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Serializing every parsed page costs over half a second at 10,000 papers; a no-change build skips it."""
    out = tmp_path / "out"
    build(load_config(project), out)
    written: list[str] = []
    real = sitegen.build.cache._write

    def recording(state: Any, name: str, data: Any) -> None:
        written.append(name)
        real(state, name, data)

    monkeypatch.setattr(sitegen.build.cache, "_write", recording)
    build(load_config(project), out)
    assert sitegen.build.cache.PAPERS_CACHE not in written
    retitle(project)
    build(load_config(project), out)
    assert sitegen.build.cache.PAPERS_CACHE in written


def test_editing_one_paper_renders_only_the_pages_that_show_it(project: Path, tmp_path: Path, renders: list[str]) -> None:
    out = tmp_path / "out"
    build(load_config(project), out)
    total = len(renders)
    renders.clear()
    page = first_paper(project)
    slug = page.stem
    related_before = _related(out)
    page.write_text(page.read_text(encoding="utf-8").replace("\n\n", "\n\nAn added sentence. ", 1), encoding="utf-8")
    build(load_config(project), out)
    related_after = _related(out)
    assert f"papers/{slug}/index.html" in renders
    assert len(renders) < total / 3, renders
    site_wide = {"tags/index.html", "dates/index.html"}  # they list every tag and month, so they count as showing it
    tag_folders = tuple(f"tags/{tag}/" for tag in parse_page(page.read_text(encoding="utf-8"), page).tags)
    for path in set(renders) - site_wide:
        shown = slug in (out / path).read_text(encoding="utf-8")
        neighbour = path.startswith("papers/") and f"papers/{slug}/" in (out / path).read_text(encoding="utf-8")
        same_tag = path.startswith(tag_folders)  # every page of a tag's listing carries the whole tag
        other = path.removeprefix("papers/").removesuffix("/index.html")
        new_related = path.startswith("papers/") and related_before.get(other) != related_after.get(other)  # its words' weights moved
        assert shown or neighbour or same_tag or new_related, path


def _related(out: Path) -> dict[str, list[str]]:
    """Each paper's related papers, from the open data (the pages list the same)."""
    return {paper["slug"]: paper["related"] for paper in json.loads((out / "api" / "papers.json").read_text(encoding="utf-8"))["papers"]}


def test_a_hand_edited_output_file_is_repaired(project: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build(load_config(project), out)
    good = (out / "tags" / "index.html").read_bytes()
    (out / "tags" / "index.html").write_bytes(b"<p>vandalised</p>")
    report = build(load_config(project), out)
    assert (out / "tags" / "index.html").read_bytes() == good
    assert "tags/index.html" in report.result.written


def test_a_corrupt_cache_is_ignored(project: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build(load_config(project), out)
    before = published(out)
    for cached in build_state(project, out).folder.iterdir():
        if cached.is_file():
            cached.write_bytes(b"{not json")
    report = build(load_config(project), out)
    assert published(out) == before
    assert report.result.written == ()


def test_a_session_builds_what_fresh_builds_do_and_leaves_a_complete_cache(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The preview's session keeps pages in memory and a search worker up; the output must not notice."""
    out = tmp_path / "out"
    session = BuildSession()
    try:
        build(load_config(project), out, session=session)
        for change in (retitle, new_paper, delete_paper, override_template, override_template_again):
            change(project)
            report = build(load_config(project), out, session=session)
            assert report.search.rebuilt == (change in (retitle, new_paper, delete_paper))
            fresh = tmp_path / f"fresh-{change.__name__}"
            build(load_config(project), fresh)
            assert published(out) == published(fresh)
        assert b"data-override-again" in (out / "papers" / first_paper(project).stem / "index.html").read_bytes()
    finally:
        session.close()
    parsed: list[Path] = []
    real = sitegen.build.load.parse_page

    def counting(text: str, path: Path) -> Any:
        parsed.append(path)
        return real(text, path)

    monkeypatch.setattr(sitegen.build.load, "parse_page", counting)
    build(load_config(project), out)
    assert parsed == []


# --- caches are validated, not trusted ------------------------------------------------------------

FIXTURE = REPO / "tests" / "fixtures" / "site"


def fixture_config(project: Path) -> Config:
    """The fixture site's configuration, wherever it was copied to (its theme_dir is relative to tests/)."""
    return load_config(project, {"theme_dir": str(REPO / "sitegen" / "theme")})


@pytest.fixture(scope="module")
def damaged_builds(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path, dict[str, bytes], dict[str, bytes]]:
    """The fixture site built once (caches and all), and the sites a fresh build gives before and after an edit."""
    base = tmp_path_factory.mktemp("damaged")
    project = base / "project"
    shutil.copytree(FIXTURE, project)
    out = base / "out"
    build(fixture_config(project), out)
    pristine = base / "pristine"
    shutil.copytree(build_state(project, out).folder, pristine, symlinks=True)
    before = published(out)
    edited = base / "edited"
    shutil.copytree(project, edited, symlinks=True)
    add_sentence(edited)
    build(fixture_config(edited), base / "fresh-edited")
    return project, out, pristine, before, published(base / "fresh-edited")


def add_sentence(project: Path) -> None:
    page = first_paper(project)
    page.write_text(page.read_text(encoding="utf-8") + "\nA sentence added after the caches were damaged.\n", encoding="utf-8")


CACHE_FILES = ("pages.json", "papers.json", "search.json", "spare.json")


def cache_notices(report: Any) -> list[Any]:
    """The build's warnings but the fixture's standing one: notes-without-a-date.md has no day, so no feed lists it."""
    return [notice for notice in report.notices if notice.loc.path.name != "notes-without-a-date.md"]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    name=st.sampled_from(CACHE_FILES),
    cut=st.one_of(st.none(), st.floats(0, 1)),
    flips=st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(1, 255)), max_size=3),
    edit=st.booleans(),
)
def test_damaged_caches_give_the_site_a_fresh_build_gives(
    damaged_builds: tuple[Path, Path, Path, dict[str, bytes], dict[str, bytes]],
    tmp_path: Path,
    name: str,
    cut: float | None,
    flips: list[tuple[float, int]],
    edit: bool,
) -> None:
    """Random truncations and byte flips of any cache file: a warning at most, and the same bytes as a fresh build."""
    project, out, pristine, before, after = damaged_builds
    work = tmp_path / uuid.uuid4().hex
    shutil.copytree(project, work / "project", symlinks=True)
    shutil.copytree(out, work / "out")
    state = build_state(work / "project", work / "out").folder
    shutil.rmtree(state)
    shutil.copytree(pristine, state, symlinks=True)
    shutil.rmtree(state / "tree", ignore_errors=True)  # the spare tree held hard links into the original output
    data = bytearray((state / name).read_bytes())
    for where, mask in flips:
        data[int(where * len(data))] ^= mask
    if cut is not None:
        del data[int(cut * len(data)) :]
    (state / name).write_bytes(bytes(data))
    if edit:
        add_sentence(work / "project")
    report = build(fixture_config(work / "project"), work / "out")
    assert published(work / "out") == (after if edit else before)
    changed = bytes(data) != (pristine / name).read_bytes()
    assert all("build cache" in notice.message or "build state" in notice.message for notice in cache_notices(report))
    if not changed:
        assert not cache_notices(report)


@pytest.mark.parametrize(
    ("name", "payload"),
    [
        ("pages.json", {"version": 3, "pages": []}),
        ("papers.json", {"p.md": [1, 2, ["t", None], "x"]}),
        ("search.json", {"key": "k", "files": {"search/index.js": [10, 10 ** 400]}}),
        ("papers.json", None),
    ],
    ids=["old-shape", "wrong-fields", "huge-size", "null"],
)
def test_a_cache_of_the_wrong_shape_is_ignored_with_one_warning(
    damaged_builds: tuple[Path, Path, Path, dict[str, bytes], dict[str, bytes]], tmp_path: Path, name: str, payload: Any
) -> None:
    """Well-formed state files (right kind, version and checksum) whose values are wrong: still ignored."""
    project, out, pristine, before, _ = damaged_builds
    work = tmp_path / "work"
    shutil.copytree(project, work / "project", symlinks=True)
    shutil.copytree(out, work / "out")
    state = build_state(work / "project", work / "out").folder
    shutil.rmtree(state)
    shutil.copytree(pristine, state, symlinks=True)
    shutil.rmtree(state / "tree", ignore_errors=True)
    write_state(state / name, name.removesuffix(".json"), CACHE_VERSION, payload)
    report = build(fixture_config(work / "project"), work / "out")
    assert published(work / "out") == before
    if payload is not None:
        assert [notice.loc.path.name for notice in cache_notices(report)] == [name], report.notices


def test_a_null_title_or_slug_in_the_parse_cache_never_reaches_a_page(
    damaged_builds: tuple[Path, Path, Path, dict[str, bytes], dict[str, bytes]], tmp_path: Path
) -> None:
    project, _, pristine, before, _ = damaged_builds
    work = tmp_path / "work"
    shutil.copytree(project, work / "project", symlinks=True)
    state = build_state(work / "project", work / "out").folder
    shutil.copytree(pristine, state, symlinks=True, dirs_exist_ok=True)
    shutil.rmtree(state / "tree", ignore_errors=True)
    cached = read_state(state / "papers.json", "papers", CACHE_VERSION)
    for entry in cached.values():
        entry[2][0] = None  # slug
        entry[2][1] = None  # title
    write_state(state / "papers.json", "papers", CACHE_VERSION, cached)
    report = build(fixture_config(work / "project"), work / "out")
    assert published(work / "out") == before
    assert not any("papers/None/" in data.decode("utf-8", "replace") for data in published(work / "out").values())
    assert [notice.loc.path.name for notice in cache_notices(report)] == ["papers.json"]


def test_a_search_record_missing_its_shards_rebuilds_them(
    damaged_builds: tuple[Path, Path, Path, dict[str, bytes], dict[str, bytes]], tmp_path: Path
) -> None:
    """A record that lists only index.js, with the right key and a valid checksum, must not lose the shards."""
    project, out, pristine, before, _ = damaged_builds
    work = tmp_path / "work"
    shutil.copytree(project, work / "project", symlinks=True)
    shutil.copytree(out, work / "out")
    state = build_state(work / "project", work / "out").folder
    shutil.copytree(pristine, state, symlinks=True, dirs_exist_ok=True)
    shutil.rmtree(state / "tree", ignore_errors=True)
    record = read_state(state / "search.json", "search", CACHE_VERSION)
    assert len(record["files"]) > 1
    record["files"] = {"search/index.js": record["files"]["search/index.js"]}
    write_state(state / "search.json", "search", CACHE_VERSION, record)
    build(fixture_config(work / "project"), work / "out")
    assert published(work / "out") == before

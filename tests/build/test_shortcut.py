"""A build with nothing to do (sitegen/build/shortcut.py): known without reading the caches, giving the report a
full build with nothing to do gives; and any input changed, or any output file touched, makes it a real build."""

from __future__ import annotations

import importlib
import os
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from test_build import copy_seed, snapshot

from sitegen.build.build import BuildReport, build
from sitegen.build.shortcut import RECORD
from sitegen.build.state import build_state
from sitegen.config import load_config

shortcut = importlib.import_module("sitegen.build.shortcut")


@pytest.fixture
def built(tmp_path: Path) -> tuple[Path, Path]:
    root = copy_seed(tmp_path / "project")
    build(load_config(root), tmp_path / "out")
    return root, tmp_path / "out"


def again(root: Path, out: Path, **options: object) -> BuildReport:
    return build(load_config(root, dict(options)), out)


def slow(root: Path, out: Path) -> BuildReport:
    """A build that cannot take the shortcut: what a build with nothing to do did before there was one."""
    (build_state(root, out).file(RECORD)).unlink(missing_ok=True)
    return again(root, out)


def test_nothing_to_do_is_known_without_building(built: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    root, out = built
    expected = slow(root, out)
    before = snapshot(out)
    monkeypatch.setattr(importlib.import_module("sitegen.build.build"), "read_pages", None)  # never called
    report = again(root, out)
    assert snapshot(out) == before
    assert report.result == expected.result and report.result.written == () and report.result.removed == ()
    assert (report.papers, report.tags, report.search, report.notes) == (expected.papers, expected.tags, expected.search, expected.notes)
    assert report.notices == expected.notices and report.notices  # the seed's TeX warnings, on every build
    assert report.summary().split(" in ")[0] == expected.summary().split(" in ")[0]


def _touch(path: Path) -> None:
    status = path.stat()
    os.utime(path, ns=(status.st_atime_ns, status.st_mtime_ns + 1_000_000_000))


CHANGES: dict[str, Callable[[Path, Path], None]] = {
    "a page touched": lambda root, out: _touch(min((root / "content" / "papers").glob("*.md"))),
    "a page added": lambda root, out: (root / "content" / "papers" / "zz-new.md").write_text(
        "---\ntitle: New\ndate: 2024-05-01\n---\n\nNew.\n", encoding="utf-8"
    ),
    "a template overridden": lambda root, out: (root / "templates").mkdir() or (root / "templates" / "robots.txt").write_text(
        "User-agent: *\n", encoding="utf-8"
    ),
    "the configuration": lambda root, out: (root / "pyproject.toml").write_text(
        re.sub(r'(?m)^title = .*$', 'title = "Another title"', (root / "pyproject.toml").read_text(encoding="utf-8")), encoding="utf-8"
    ),
    "an output file edited": lambda root, out: (out / "index.html").write_bytes((out / "index.html").read_bytes() + b"x"),
    "an output file removed": lambda root, out: (out / "feed.xml").unlink(),
    "an output file added": lambda root, out: (out / "papers" / "stray.html").write_bytes(b"stray"),
    "an output file replaced": lambda root, out: os.replace(_copy(out / "robots.txt"), out / "robots.txt"),
    "a cache damaged": lambda root, out: build_state(root, out).file("papers.json").write_bytes(b"damaged"),
    "the record damaged": lambda root, out: build_state(root, out).file(RECORD).write_bytes(b"{}"),
}


def _copy(path: Path) -> Path:
    copy = path.with_name(path.name + ".copy")
    copy.write_bytes(path.read_bytes())
    return copy


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_any_change_makes_a_real_build(built: tuple[Path, Path], change: str, monkeypatch: pytest.MonkeyPatch) -> None:
    root, out = built
    monkeypatch.chdir(root)
    CHANGES[change](root, out)
    calls: list[object] = []
    original = importlib.import_module("sitegen.build.build").read_pages

    def reading(*args: object, **kwargs: object) -> object:
        calls.append(args)
        return original(*args, **kwargs)

    monkeypatch.setattr(importlib.import_module("sitegen.build.build"), "read_pages", reading)
    report = again(root, out)
    assert calls, "the build took the shortcut"
    if change in ("an output file edited", "an output file removed", "an output file added"):
        assert report.result.written or report.result.removed
        assert not (out / "papers" / "stray.html").exists() and (out / "feed.xml").is_file()
    calls.clear()
    again(root, out)
    assert not calls, "the build after it did not take the shortcut"


def test_drafts_and_another_output_folder_are_other_builds(built: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root, out = built
    keys: list[str] = []
    original = shortcut.inputs_key
    monkeypatch.setattr(importlib.import_module("sitegen.build.build"), "inputs_key", lambda *args: keys.append(original(*args)) or keys[-1])
    build(load_config(root), out)
    build(load_config(root), out, drafts=True)
    build(load_config(root), tmp_path / "elsewhere")
    assert len(set(keys)) == 3


def test_a_preview_build_leaves_no_shortcut(built: tuple[Path, Path]) -> None:
    from sitegen.build.session import BuildSession

    root, out = built
    session = BuildSession()
    try:
        build(load_config(root), out, session=session)
    finally:
        session.close()
    assert not build_state(root, out).file(RECORD).exists()
    assert shortcut.unchanged_report(build_state(root, out), "any") is None

"""Output safety: sitegen writes and cleans only a folder it owns, only inside it, and never through a link."""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import pytest

import sitegen.build.output
from sitegen.build.output import MARKER, Spare, WriteResult, check_owned, publish
from sitegen.cli import main
from sitegen.errors import OutputError

REPO = Path(__file__).resolve().parents[2]
FIXTURE = REPO / "tests" / "fixtures" / "site"


def snapshot(folder: Path) -> dict[str, tuple[str, bytes, int]]:
    """Kind, bytes (or link target) and mtime of every entry under ``folder``, links not followed."""
    state: dict[str, tuple[str, bytes, int]] = {}
    for directory, subdirectories, names in os.walk(folder):
        for name in [*subdirectories, *names]:
            path = Path(directory) / name
            relative = path.relative_to(folder).as_posix()
            mtime = path.lstat().st_mtime_ns
            if path.is_symlink():
                state[relative] = ("link", os.readlink(path).encode(), mtime)
            elif path.is_dir():
                state[relative] = ("dir", b"", mtime)
            else:
                state[relative] = ("file", path.read_bytes(), mtime)
    return state


def fixture_project(tmp_path: Path) -> Path:
    """The fixture site as a project of its own (builds keep state in their project)."""
    project = tmp_path / "fixture-project"
    shutil.copytree(FIXTURE, project)
    config = project / "pyproject.toml"
    config.write_text(config.read_text(encoding="utf-8").replace('"../../../sitegen/theme"', repr(str(REPO / "sitegen" / "theme"))), encoding="utf-8")
    return project


def write(path: Path, data: bytes = b"x") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def write_tree(folder: Path, files: dict[str, bytes | None], last: set[str] | None = None) -> WriteResult:
    """Publish ``files`` into ``folder``, its spare tree and state kept beside it as a build keeps them in .sitegen/."""
    state = folder.parent / f".{folder.name}.state"
    return publish(folder, files, Spare(state / "tree", state / "spare.json"), last)


def owned(folder: Path) -> Path:
    """A folder as an earlier build leaves it."""
    write_tree(folder, {"index.html": b"old index"})
    return folder


# --- refusing folders sitegen does not own --------------------------------------------------------


def test_build_refuses_a_non_empty_folder_without_marker_and_touches_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home = tmp_path / "home"
    write(home / "notes.txt", b"my notes")
    write(home / "projects" / "thesis.tex", b"\\documentclass{article}")
    before = snapshot(home)

    code = main(["build", "--root", str(fixture_project(tmp_path)), "-o", str(home)])

    err = capsys.readouterr().err
    assert code == 1
    assert str(home) in err and "refusing" in err and MARKER in err, err
    assert "Traceback" not in err
    assert snapshot(home) == before
    assert not (home / MARKER).exists()


def test_check_owned_accepts_new_empty_and_marked_folders(tmp_path: Path) -> None:
    check_owned(tmp_path / "does-not-exist-yet")
    (tmp_path / "empty").mkdir()
    check_owned(tmp_path / "empty")
    check_owned(owned(tmp_path / "built"))


@pytest.mark.parametrize("kind", ["file", "link-to-folder", "marker-is-a-folder"])
def test_check_owned_refuses_files_links_and_fake_markers(tmp_path: Path, kind: str) -> None:
    target = tmp_path / "target"
    if kind == "file":
        write(target, b"a file")
    elif kind == "link-to-folder":
        elsewhere = owned(tmp_path / "elsewhere")
        target.symlink_to(elsewhere, target_is_directory=True)
    else:
        (target / MARKER).mkdir(parents=True)
    before = snapshot(tmp_path)
    with pytest.raises(OutputError, match="target"):
        check_owned(target)
    with pytest.raises(OutputError):
        write_tree(target, {"index.html": b"new"})
    assert snapshot(tmp_path) == before


def test_write_tree_claims_a_new_folder(tmp_path: Path) -> None:
    folder = tmp_path / "a" / "b" / "site"
    result = write_tree(folder, {"index.html": b"<p>hi</p>", "tags/x/index.html": b"x"})
    assert (folder / MARKER).is_file()
    assert result.written == ("index.html", "tags/x/index.html")
    assert (folder / "tags" / "x" / "index.html").read_bytes() == b"x"


def test_written_files_are_readable_by_a_web_server(tmp_path: Path) -> None:
    umask = os.umask(0o022)
    os.umask(umask)
    write_tree(tmp_path / "site", {"index.html": b"hi"})
    mode = stat.S_IMODE((tmp_path / "site" / "index.html").stat().st_mode)
    assert mode == 0o666 & ~umask, oct(mode)


# --- writing only what changed, cleaning only inside ----------------------------------------------


def test_same_files_again_touch_nothing(tmp_path: Path) -> None:
    folder = tmp_path / "site"
    files = {"index.html": b"a", "papers/x/index.html": b"b"}
    write_tree(folder, files)
    before = snapshot(folder)
    result = write_tree(folder, files)
    assert result.written == () and result.removed == ()
    assert result.unchanged == ("index.html", "papers/x/index.html")
    assert snapshot(folder) == before


def test_stale_files_are_removed_only_inside_the_output(tmp_path: Path) -> None:
    folder = owned(tmp_path / "site")
    write(folder / "stale.html")
    write(folder / "papers" / "gone" / "index.html")
    write(folder / "papers" / "kept" / "old-asset.png")
    (folder / "empty" / "deeper").mkdir(parents=True)
    neighbour = write(tmp_path / "site-notes.txt", b"next to the output")
    parent_file = write(tmp_path / "index.html", b"not ours")

    result = write_tree(folder, {"index.html": b"new", "papers/kept/index.html": b"k"})

    assert set(result.removed) == {"stale.html", "papers/gone/index.html", "papers/kept/old-asset.png"}
    left = {path.relative_to(folder).as_posix() for path in folder.rglob("*")}
    assert left == {MARKER, "index.html", "papers", "papers/kept", "papers/kept/index.html"}
    assert neighbour.read_bytes() == b"next to the output"
    assert parent_file.read_bytes() == b"not ours"


def test_rebuild_through_the_command_line_removes_stale_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    project = fixture_project(tmp_path)
    assert main(["build", "--root", str(project), "-o", str(out)]) == 0
    built = snapshot(out)
    write(out / "old-page" / "index.html")
    write(out / "static" / "old.css")
    sibling = write(tmp_path / "keep.txt", b"keep")
    assert main(["build", "--root", str(project), "-o", str(out), "-v"]) == 0
    stdout = capsys.readouterr().out
    assert "removed old-page/index.html" in stdout and "removed static/old.css" in stdout
    assert {path: entry[:2] for path, entry in snapshot(out).items()} == {path: entry[:2] for path, entry in built.items()}
    assert sibling.read_bytes() == b"keep"


# --- links are unlinked, never followed -------------------------------------------------------------


def test_symlinks_in_the_output_are_unlinked_and_their_targets_survive(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    write(elsewhere / "secret.txt", b"secret")
    write(elsewhere / "docs" / "index.html", b"someone else's page")
    write(elsewhere / "same.html", b"new index")
    before = snapshot(elsewhere)

    folder = owned(tmp_path / "site")
    (folder / "stale-link.txt").symlink_to(elsewhere / "secret.txt")
    (folder / "stale-dir").symlink_to(elsewhere / "docs", target_is_directory=True)
    (folder / "papers").symlink_to(elsewhere / "docs", target_is_directory=True)  # a folder the build writes into
    (folder / "index.html").unlink()
    (folder / "index.html").symlink_to(elsewhere / "same.html")  # a file the build writes, same bytes
    (folder / "feed.xml").symlink_to(elsewhere / "secret.txt")  # a file the build writes, other bytes
    (folder / "dangling").symlink_to(tmp_path / "nowhere")

    files = {"index.html": b"new index", "feed.xml": b"<feed/>", "papers/x/index.html": b"paper", "papers/index.html": b"list"}
    result = write_tree(folder, files)

    assert snapshot(elsewhere) == before, "a write or delete went through a link"
    links = [path for path in folder.rglob("*") if path.is_symlink()]
    assert links == []
    for relative, data in files.items():
        path = folder / relative
        assert path.is_file() and not path.is_symlink() and path.read_bytes() == data, relative
    assert {"stale-link.txt", "stale-dir", "dangling"} <= set(result.removed)


@pytest.mark.parametrize("planted", ["papers", "papers/x", "papers/x/index.html"])
def test_a_link_planted_on_the_way_is_found_without_a_full_walk(tmp_path: Path, planted: str) -> None:
    """A preview that knows its last file set skips the walk, but still never writes through a link."""
    elsewhere = tmp_path / "elsewhere"
    write(elsewhere / "x" / "index.html", b"someone else's page")
    write(elsewhere / "index.html", b"someone else's page")
    folder = owned(tmp_path / "site")
    files: dict[str, bytes | None] = {"index.html": b"home", "papers/x/index.html": b"paper"}
    write_tree(folder, files)
    before = snapshot(elsewhere)
    target = folder / planted
    shutil.rmtree(target) if target.is_dir() else target.unlink()
    target.symlink_to(elsewhere if planted == "papers" else elsewhere / planted.split("/", 1)[1], target_is_directory=target.suffix == "")

    result = write_tree(folder, {"index.html": None, "papers/x/index.html": b"paper, edited"}, last=set(files))

    assert snapshot(elsewhere) == before, "a write went through a link"
    assert (folder / "papers" / "x" / "index.html").read_bytes() == b"paper, edited"
    assert not any(path.is_symlink() for path in folder.rglob("*"))
    assert planted in result.removed or planted in result.written


def test_a_known_file_set_skips_the_walk_and_a_new_one_cleans(tmp_path: Path) -> None:
    folder = owned(tmp_path / "site")
    files: dict[str, bytes | None] = {"index.html": b"home", "a/index.html": b"a"}
    write_tree(folder, files)
    assert write_tree(folder, {"index.html": None, "a/index.html": b"a2"}, last=set(files)).written == ("a/index.html",)
    result = write_tree(folder, {"index.html": None}, last=set(files))
    assert result.removed == ("a/index.html",)
    assert not (folder / "a").exists()


def test_symlinks_are_not_followed_when_cleaning(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    write(elsewhere / "keep" / "deep.txt", b"deep")
    before = snapshot(elsewhere)
    folder = owned(tmp_path / "site")
    (folder / "sub").mkdir()
    (folder / "sub" / "link").symlink_to(elsewhere, target_is_directory=True)
    write_tree(folder, {"index.html": b"i"})
    assert snapshot(elsewhere) == before
    assert not (folder / "sub").exists()


# --- paths that would leave the folder ----------------------------------------------------------


@pytest.mark.parametrize(
    "bad", ["../x", "a/../../x", "/etc/x", "a/../b", "./a", "a//b", "a/", "", ".", "..", "a\\..\\..\\x", MARKER]
)
def test_write_tree_rejects_paths_outside_the_folder_before_writing_anything(tmp_path: Path, bad: str) -> None:
    folder = owned(tmp_path / "site")
    before = snapshot(tmp_path)
    with pytest.raises(OutputError, match="outside the output folder"):
        write_tree(folder, {"index.html": b"changed", "zzz.html": b"new", bad: b"evil"})
    assert snapshot(tmp_path) == before
    assert not (tmp_path / "x").exists()


def test_a_deleted_output_folder_is_rebuilt_without_the_spare_trees_old_files(tmp_path: Path) -> None:
    """The spare holds an older generation; when the live folder is gone, none of it may come back."""
    folder = tmp_path / "site"
    write_tree(folder, {"index.html": b"one", "shared/index.html": b"in both"})
    write_tree(folder, {"index.html": b"two", "shared/index.html": b"in both"})  # the spare: generation one
    shutil.rmtree(folder)
    write_tree(folder, {"index.html": b"three"})
    assert {path.relative_to(folder).as_posix() for path in folder.rglob("*")} == {MARKER, "index.html"}
    assert (folder / "index.html").read_bytes() == b"three"


def test_bringing_the_spare_up_to_date_costs_what_changed_not_the_site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Once the spare exists, an edit touches the paths the last two builds changed, not every file."""
    folder = tmp_path / "site"
    files: dict[str, bytes | None] = {f"papers/{n}/index.html": f"paper {n}".encode() for n in range(200)}
    write_tree(folder, {**files, "index.html": b"v1"})
    write_tree(folder, {**files, "index.html": b"v2"})  # makes the spare (a full copy, once)
    touched: list[Path] = []
    link, replace = sitegen.build.output._link, sitegen.build.output._replace

    def linking(source: Path, target: Path) -> None:
        touched.append(target)
        link(source, target)

    def replacing(target: Path, data: bytes) -> None:
        touched.append(target)
        replace(target, data)

    monkeypatch.setattr(sitegen.build.output, "_link", linking)
    monkeypatch.setattr(sitegen.build.output, "_replace", replacing)
    write_tree(folder, {**files, "index.html": b"v3", "papers/7/index.html": b"edited"})
    assert len(touched) <= 4, touched  # index.html, the edited paper, the marker
    assert (folder / "papers" / "7" / "index.html").read_bytes() == b"edited" and (folder / "index.html").read_bytes() == b"v3"
    assert (folder / "papers" / "8" / "index.html").read_bytes() == b"paper 8"

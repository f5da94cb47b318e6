"""Work spread over two processes (sitegen/build/parallel.py, search/worker.py) and a site published file by file
(output.Publication): the same result as one process, whatever the fork does."""

from __future__ import annotations

import importlib
import os
import shutil
from pathlib import Path

import pytest
from test_build import copy_seed, snapshot
from test_output import write_tree

from sitegen.build import parallel
from sitegen.build.build import build
from sitegen.build.load import load_papers
from sitegen.build.output import MARKER, Publication, Spare
from sitegen.build.rendering import render_site
from sitegen.config import load_config
from sitegen.search.worker import Forked
from sitegen.site.collect import collect

building = importlib.import_module("sitegen.build.rendering")


def test_items_done_in_two_processes_are_each_done_once() -> None:
    kept: dict[int, tuple[int, int]] = {}
    adopted: dict[int, int] = {}
    parallel.in_two(
        range(1000),
        lambda item: item * item,
        lambda item, done: kept.__setitem__(item, (done, os.getpid())),
        lambda item, done: (done, os.getpid()),
        lambda item, reported: adopted.__setitem__(item, reported),
    )
    assert sorted([*kept, *adopted]) == list(range(1000))
    assert all(done == item * item for item, (done, _) in [*kept.items(), *adopted.items()])
    assert all(pid == os.getpid() for _, pid in kept.values())
    assert all(pid != os.getpid() for _, pid in adopted.values())  # reported by the fork


def test_a_fork_that_fails_leaves_its_share_to_this_process() -> None:
    """An error in the fork (here: in what it reports) is not lost: this process does the fork's items,
    and an error there would be raised here."""
    kept: list[int] = []
    main = os.getpid()

    def report(item: int, done: int) -> int:
        if os.getpid() != main:
            raise RuntimeError("the fork fails")
        return done

    parallel.in_two(range(500), lambda item: item, lambda item, done: kept.append(item), report, lambda item, done: kept.append(item))
    assert sorted(kept) == list(range(500))


def test_an_error_in_an_item_is_raised_here() -> None:
    def work(item: int) -> int:
        if item == 250:
            raise ValueError("item 250")
        return item

    with pytest.raises(ValueError, match="item 250"):
        parallel.in_two(range(500), work, lambda item, done: None, lambda item, done: done, lambda item, done: None)


def test_a_forked_call_answers_and_a_failed_one_says_so() -> None:
    with Forked(sorted, [3, 1, 2]) as call:
        assert call.result() == [1, 2, 3]
    with Forked(int, "not a number") as call, pytest.raises(Exception, match="ended without an answer"):
        call.result()


def test_pages_rendered_in_two_processes_are_the_pages_rendered_in_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = load_config(copy_seed(tmp_path / "project"))
    site = collect(load_papers(config), config)
    monkeypatch.setattr(building, "PARALLEL_RENDER_FROM", 10**9)
    alone = render_site(site)
    monkeypatch.setattr(building, "PARALLEL_RENDER_FROM", 1)
    together = render_site(site)
    assert together.files == alone.files and together.fingerprints == alone.fingerprints


def test_a_site_built_in_two_processes_is_the_site_built_in_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = copy_seed(tmp_path / "project")
    monkeypatch.setattr(building, "PARALLEL_RENDER_FROM", 10**9)
    build(load_config(root), tmp_path / "one")
    monkeypatch.setattr(building, "PARALLEL_RENDER_FROM", 1)
    report = build(load_config(root), tmp_path / "two")
    one, two = snapshot(tmp_path / "one"), snapshot(tmp_path / "two")
    assert {path: kind_and_bytes[:2] for path, kind_and_bytes in one.items()} == {path: entry[:2] for path, entry in two.items()}
    assert len(report.result.written) == len(one) - 1 - sum(kind == "dir" for kind, *_ in one.values())  # all but the marker


def test_files_another_process_added_are_published(tmp_path: Path) -> None:
    """A fork adds its files into the spare tree itself; once adopted they are part of the swap."""
    folder = tmp_path / "site"
    write_tree(folder, {"index.html": b"v1", "a/index.html": b"a", "gone.html": b"old"})
    state = folder.parent / f".{folder.name}.state"
    publication = Publication(folder, Spare(state / "tree", state / "spare.json"))
    publication.prepare()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the fork
        code = 1
        try:
            code = 0 if publication.add("b/index.html", b"b") else 2
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.WEXITSTATUS(status) == 0
    publication.adopt("b/index.html", True)
    publication.add("index.html", b"v2")
    publication.add("a/index.html", None)
    result = publication.finish()
    assert result.written == ("b/index.html", "index.html") and result.unchanged == ("a/index.html",) and result.removed == ("gone.html",)
    found = {path.relative_to(folder).as_posix(): path.read_bytes() for path in folder.rglob("*") if path.is_file()}
    assert found == {"index.html": b"v2", "a/index.html": b"a", "b/index.html": b"b", MARKER: found[MARKER]}


def test_a_publication_readied_for_nothing_leaves_the_site_and_the_spare_usable(tmp_path: Path) -> None:
    folder = tmp_path / "site"
    files: dict[str, bytes | None] = {"index.html": b"v1", "a/index.html": b"a"}
    write_tree(folder, files)
    write_tree(folder, {**files, "index.html": b"v2"})  # a spare now exists
    before = snapshot(folder)
    state = folder.parent / f".{folder.name}.state"
    publication = Publication(folder, Spare(state / "tree", state / "spare.json"))
    publication.prepare()
    publication.add("index.html", b"v2")
    publication.add("a/index.html", None)
    assert publication.finish().written == ()
    assert snapshot(folder) == before
    assert write_tree(folder, {"index.html": b"v2", "a/index.html": b"a2"}).written == ("a/index.html",)
    assert (folder / "a" / "index.html").read_bytes() == b"a2" and (folder / "index.html").read_bytes() == b"v2"
    shutil.rmtree(state)


@pytest.mark.parametrize("why", ["a mount point", "no exchange"])
def test_a_folder_that_cannot_be_swapped_gets_the_same_site_in_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, why: str
) -> None:
    """Where the output cannot be swapped, the new files are written beside their targets and renamed, from
    memory (a mount point: known before rendering) or from the spare (the swap itself failed)."""
    output = importlib.import_module("sitegen.build.output")
    root = copy_seed(tmp_path / "project")
    build(load_config(root), tmp_path / "expected")
    (root / "content" / "papers" / "zz-new.md").write_text("---\ntitle: A new one\ndate: 2024-05-01\n---\n\nNew.\n", encoding="utf-8")
    build(load_config(root), tmp_path / "expected")
    (root / "content" / "papers" / "zz-new.md").unlink()
    build(load_config(root), tmp_path / "site")
    (root / "content" / "papers" / "zz-new.md").write_text("---\ntitle: A new one\ndate: 2024-05-01\n---\n\nNew.\n", encoding="utf-8")
    monkeypatch.setattr(building, "PARALLEL_RENDER_FROM", 1)  # the fork's files too
    if why == "a mount point":
        real = os.path.ismount
        monkeypatch.setattr(output.os.path, "ismount", lambda path: Path(path) == tmp_path / "site" or real(path))
    else:

        def refused(spare: Path, folder: Path) -> None:
            raise OSError(18, "Invalid cross-device link", str(folder))

        monkeypatch.setattr(output, "_exchange", refused)
    report = build(load_config(root), tmp_path / "site")
    assert any("cannot be swapped in one step" in notice.message for notice in report.notices)
    expected, found = snapshot(tmp_path / "expected"), snapshot(tmp_path / "site")
    assert {path: entry[:2] for path, entry in found.items()} == {path: entry[:2] for path, entry in expected.items()}

"""sitegen.content.journal: a change to content/ is all or nothing, and a journal is input, not trusted."""

from __future__ import annotations

import errno
import io
import json
import os
from pathlib import Path
from typing import Any

import pytest

from sitegen.config import Config
from sitegen.content import journal
from sitegen.content.journal import JOURNAL, TEMPORARY_SUFFIX, Transaction, finish, recover, sha256
from sitegen.errors import SourceError


def tree(folder: Path) -> dict[str, bytes | None]:
    return {
        path.relative_to(folder).as_posix(): None if path.is_dir() and not path.is_symlink() else path.read_bytes()
        for path in sorted(folder.rglob("*"))
    }


@pytest.fixture
def config(tmp_path: Path) -> Config:
    root = tmp_path / "project"
    (root / "content" / "papers").mkdir(parents=True)
    (root / "content" / "papers" / "a.md").write_bytes(b"old a\n")
    (root / "content" / "papers" / "b.md").write_bytes(b"old b\n")
    return Config(root=root)


def staged(config: Config, files: dict[str, bytes]) -> Transaction:
    content = config.path("content_dir")
    transaction = Transaction(content)
    for name, data in files.items():
        target = content / name
        transaction.stage(target, data, sha256(target.read_bytes()) if target.exists() else None)
    return transaction


def test_commit_puts_every_file_in_place_and_leaves_nothing_else(config: Config) -> None:
    content = config.path("content_dir")
    staged(config, {"papers/a.md": b"new a\n", "papers/c.md": b"new c\n", ".state.json": b"{}\n"}).commit()
    assert tree(content) == {
        ".state.json": b"{}\n",
        "papers": None,
        "papers/a.md": b"new a\n",
        "papers/b.md": b"old b\n",
        "papers/c.md": b"new c\n",
    }


def test_staged_files_are_dot_files_beside_their_targets(config: Config) -> None:
    content = config.path("content_dir")
    transaction = staged(config, {"papers/a.md": b"new a\n"})
    (temporary,) = [name for name in os.listdir(content / "papers") if name.endswith(TEMPORARY_SUFFIX)]
    assert temporary.startswith(".a.md.")
    transaction.discard()
    assert tree(content) == {"papers": None, "papers/a.md": b"old a\n", "papers/b.md": b"old b\n"}


def test_a_temporary_name_already_taken_is_left_alone(config: Config) -> None:
    """Temporary names are a counter after a random token: one someone made is never written over."""
    papers = config.path("content_dir") / "papers"
    transaction = Transaction(config.path("content_dir"))
    taken = papers / f".a.md.{transaction._token}1{TEMPORARY_SUFFIX}"
    taken.write_bytes(b"not ours\n")
    transaction.stage(papers / "a.md", b"new a\n", sha256(b"old a\n"))
    transaction.commit()
    assert (papers / "a.md").read_bytes() == b"new a\n" and taken.read_bytes() == b"not ours\n"
    assert (papers / "a.md").stat().st_mode & 0o777 == 0o666 & ~current_umask()


def current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_failed_stage_removes_what_it_made_even_folders(config: Config, monkeypatch: pytest.MonkeyPatch) -> None:
    content = config.path("content_dir")
    before = tree(content)
    transaction = staged(config, {"papers/a.md": b"new a\n", "new/deeper/x.md": b"x\n"})
    real_fdopen = os.fdopen

    class FullDisk(io.BufferedWriter):
        def write(self, data: Any) -> int:
            raise OSError(errno.ENOSPC, "No space left on device")

    with monkeypatch.context() as patch:
        patch.setattr(os, "fdopen", lambda handle, mode: FullDisk(real_fdopen(handle, mode, buffering=0)))
        with pytest.raises(SourceError) as caught:
            transaction.stage(content / "papers" / "b.md", b"new b\n", None)
    assert caught.value.loc.path == content / "papers" / "b.md" and "No space left on device" in caught.value.message
    assert tree(content) == before


@pytest.mark.skipif(not journal._SYNC_ONCE, reason="each staged file is fsynced here")
def test_staged_files_are_synced_once_after_all_are_written_and_before_the_journal(
    config: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A power cut after a rename must find the renamed file's data on disk: the journal (which lets a
    later run do renames) is written only after the one sync that makes every staged file durable."""
    content = config.path("content_dir")
    files = {"papers/a.md": b"new a\n", "papers/c.md": b"new c\n", "new/x.md": b"x\n"}
    events: list[str] = []
    real_sync, real_fsync, real_replace = os.sync, os.fsync, os.replace

    def sync() -> None:
        temporaries = sorted(p.read_bytes() for p in content.rglob(f"*{TEMPORARY_SUFFIX}"))
        events.append(f"sync {temporaries == sorted(files.values())} journal={(content / JOURNAL).exists()}")
        real_sync()

    def fsync(handle: int) -> None:
        events.append("fsync journal" if os.readlink(f"/proc/self/fd/{handle}").endswith(JOURNAL) else "fsync")
        real_fsync(handle)

    def replace(source: Any, target: Any) -> None:
        events.append(f"rename journal={(content / JOURNAL).exists()}")
        real_replace(source, target)

    monkeypatch.setattr(os, "sync", sync)
    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    transaction = staged(config, files)
    assert events == []  # staging alone syncs nothing: one sync for all is the point
    transaction.commit()
    journal_written = events.index("fsync journal")
    assert events[0] == "sync True journal=False" and events.count(events[0]) == 1
    assert events[journal_written + 1 :].count("rename journal=True") == 3 and "rename" not in str(events[:journal_written])
    assert tree(content)["papers/c.md"] == b"new c\n" and not (content / JOURNAL).exists()


def test_rename_failing_midway_leaves_the_journal_and_recovery_finishes(config: Config, monkeypatch: pytest.MonkeyPatch) -> None:
    content = config.path("content_dir")
    transaction = staged(config, {"papers/a.md": b"new a\n", "papers/b.md": b"new b\n", "papers/c.md": b"new c\n"})
    real = os.replace
    calls = [0]

    def replace(source: Any, target: Any) -> None:
        calls[0] += 1
        if calls[0] == 2:
            raise OSError(errno.EBUSY, "Device or resource busy")
        real(source, target)

    with monkeypatch.context() as patch:
        patch.setattr(os, "replace", replace)
        with pytest.raises(SourceError) as caught:
            transaction.commit()
    assert "the next sitegen convert or build puts them there" in caught.value.message
    assert (content / JOURNAL).is_file()
    notices = recover(config)
    assert any("finished an interrupted convert (2 files" in notice.message for notice in notices)
    assert tree(content) == {
        "papers": None,
        "papers/a.md": b"new a\n",
        "papers/b.md": b"new b\n",
        "papers/c.md": b"new c\n",
    }


def test_recover_without_a_journal_touches_nothing(config: Config) -> None:
    before = tree(config.root)
    assert recover(config) == []
    assert tree(config.root) == before, "no lock file, no state folder: a build of a read-only checkout still works"


def _journal(content: Path, renames: list[dict[str, Any]]) -> None:
    document = {"sitegen": "sitegen-convert-journal", "version": 1, "renames": renames}
    (content / JOURNAL).write_text(json.dumps(document), encoding="utf-8")


HOSTILE: dict[str, dict[str, Any]] = {
    "target above content": {"from": "../.x.md.1.convert.tmp", "to": "../x.md"},
    "absolute target": {"from": "/tmp/.x.md.1.convert.tmp", "to": "/tmp/x.md"},
    "dot-dot inside": {"from": "papers/../../.x.md.1.convert.tmp", "to": "papers/../../x.md"},
    "source is a page": {"from": "papers/b.md", "to": "papers/a.md"},
    "source elsewhere": {"from": ".a.md.1.convert.tmp", "to": "papers/a.md"},
    "source of another target": {"from": "papers/.b.md.1.convert.tmp", "to": "papers/a.md"},
    "backslash": {"from": "papers\\..\\..\\.x.md.1.convert.tmp", "to": "papers\\..\\..\\x.md"},
    "bad before": {"from": "papers/.a.md.1.convert.tmp", "to": "papers/a.md", "before": "yes"},
}


@pytest.mark.parametrize("entry", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_journal_is_dropped_and_renames_nothing(config: Config, tmp_path: Path, entry: dict[str, Any]) -> None:
    content = config.path("content_dir")
    for name in (".x.md.1.convert.tmp", "project/.x.md.1.convert.tmp", "project/content/.a.md.1.convert.tmp"):
        (tmp_path / name).write_bytes(b"planted\n")
    (content / "papers" / ".b.md.1.convert.tmp").write_bytes(b"planted\n")
    _journal(content, [{"before": None, **entry}])
    before = {name: data for name, data in tree(tmp_path).items() if not name.endswith(JOURNAL)}
    notices = recover(config)
    assert [notice.message for notice in notices] == ["an interrupted convert had not finished its journal; none of it was applied"]
    after = {name: data for name, data in tree(tmp_path).items() if not name.startswith("project/.sitegen")}
    assert after == before


def test_journal_through_a_link_out_of_content_is_not_followed(config: Config, tmp_path: Path) -> None:
    content = config.path("content_dir")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / ".x.md.1.convert.tmp").write_bytes(b"planted\n")
    (content / "elsewhere").symlink_to(outside)
    _journal(content, [{"from": "elsewhere/.x.md.1.convert.tmp", "to": "elsewhere/x.md", "before": None}])
    recover(config)
    assert sorted(os.listdir(outside)) == [".x.md.1.convert.tmp"]


def test_journal_cut_short_by_a_kill_is_dropped(config: Config) -> None:
    content = config.path("content_dir")
    transaction = staged(config, {"papers/a.md": b"new a\n", "papers/b.md": b"new b\n"})
    transaction._write_journal(content / JOURNAL)  # what commit writes first
    whole = (content / JOURNAL).read_bytes()
    temporaries = sorted(name for name in os.listdir(content / "papers") if name.endswith(TEMPORARY_SUFFIX))
    for cut in range(0, len(whole), 7):
        (content / JOURNAL).write_bytes(whole[:cut])
        notices = finish(content, [content / "papers"] if cut + 7 >= len(whole) else [])
        assert "had not finished its journal" in notices[0].message
        assert (content / "papers" / "a.md").read_bytes() == b"old a\n"
        assert not (content / JOURNAL).exists()
    assert temporaries and not [name for name in os.listdir(content / "papers") if name.endswith(TEMPORARY_SUFFIX)]


def test_target_changed_since_the_interruption_is_kept(config: Config) -> None:
    content = config.path("content_dir")
    transaction = staged(config, {"papers/a.md": b"new a\n", "papers/b.md": b"new b\n", "papers/c.md": b"new c\n"})
    transaction._write_journal(content / JOURNAL)  # then killed
    (content / "papers" / "a.md").write_bytes(b"edited a\n")
    (content / "papers" / "c.md").write_bytes(b"a page of my own\n")
    notices = recover(config)
    kept = sorted(notice.loc.path.name for notice in notices if "kept as is" in notice.message)
    assert kept == ["a.md", "c.md"]
    assert tree(content) == {
        "papers": None,
        "papers/a.md": b"edited a\n",
        "papers/b.md": b"new b\n",
        "papers/c.md": b"a page of my own\n",
    }

"""sitegen convert keeps the project's promise when things go wrong: a hostile state file, a full
disk, a read-only folder, kill -9, --force over an edit, a FIFO among the digests, control
characters in a digest.

Runs go through ``sitegen.cli.main`` in-process (a stray exception fails the test), except
where a real process must be killed: there a child runs the same command and SIGKILLs itself
at the N-th write, fsync, sync, rename or unlink, for every N.
"""

from __future__ import annotations

import contextlib
import errno
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sitegen.build.build import build
from sitegen.cli import main
from sitegen.config import load_config
from sitegen.content.frontmatter import parse_page
from sitegen.content.journal import JOURNAL, TEMPORARY_SUFFIX
from sitegen.content.slugs import title_key
from sitegen.errors import SitegenError
from sitegen.inputs.convert import STATE_FILE, convert
from sitegen.text import FORBIDDEN

REPO = Path(__file__).resolve().parents[2]
SEED = REPO / "seeds" / "daily-papers-2025-12-11.txt"
TAGS = REPO / "content" / "tags.yaml"
THEME = REPO / "sitegen" / "theme"
CHROME = "new\n\nGet trending papers in your email inbox!\n\nSubscribe\n\nDaily Papers\n\nbyAK and the research community\n\n"
ATOM = "{http://www.w3.org/2005/Atom}"


# --- helpers ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    code: int
    out: str
    err: str

    @property
    def err_lines(self) -> list[str]:
        return self.err.splitlines()

    def counts(self) -> dict[str, int]:
        line = next(line for line in self.out.splitlines() if line.startswith("pages:"))
        return {name: int(n) for n, name in re.findall(r"(\d+) (created|updated|unchanged|kept)", line)}


def sitegen(*args: str) -> Run:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return Run(code, out.getvalue(), err.getvalue())


def run_convert(root: Path, *args: str) -> Run:
    return sitegen("convert", "--root", str(root), *args)


def make_project(root: Path, *, seed: bool = False, theme: bool = False) -> Path:
    (root / "seeds").mkdir(parents=True)
    (root / "content").mkdir()
    shutil.copy(TAGS, root / "content" / "tags.yaml")
    if seed:
        shutil.copy(SEED, root / "seeds" / SEED.name)
    if theme:
        (root / "pyproject.toml").write_text(f"[tool.sitegen]\ntheme_dir = {str(THEME)!r}\n", encoding="utf-8")
    return root


def paper(title: str, abstract: str, metadata: str = "  • 3 authors\n·\nJan 7") -> str:
    return f"{title}\n\n{abstract}\n\n{metadata}\n\n"


def digest(*papers: str) -> str:
    return CHROME + "Dec 11\n\n" + "".join(papers)


def write_digest(root: Path, name: str, text: str) -> Path:
    path = root / "seeds" / name
    path.write_text(text, encoding="utf-8")
    return path


def page_files(root: Path) -> list[Path]:
    folder = root / "content" / "papers"
    return sorted(folder.glob("*.md")) if folder.is_dir() else []


def tree(folder: Path) -> dict[str, bytes | None]:
    """Every file (bytes) and folder (None) under ``folder``, links not followed."""
    found: dict[str, bytes | None] = {}
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder).as_posix()
        found[relative] = None if path.is_dir() and not path.is_symlink() else path.read_bytes()
    return found


def content_snapshot(root: Path) -> dict[str, tuple[bytes, int] | None]:
    """content/ exactly: every folder, and every file's bytes and modification time."""
    return {
        path.relative_to(root).as_posix(): None if path.is_dir() else (path.read_bytes(), path.lstat().st_mtime_ns)
        for path in sorted((root / "content").rglob("*"))
    }


def _age(root: Path) -> None:
    """Backdate content/, so a rewrite shows in mtime even on a coarse-clock file system."""
    for path in [root / "content", *(root / "content").rglob("*")]:
        os.utime(path, ns=(1_000_000_000, 1_000_000_000))


def leftovers(root: Path) -> list[str]:
    """Temporary files and journals left in content/."""
    return [
        path.name
        for path in (root / "content").rglob("*")
        if path.name.endswith(".tmp") or path.name == JOURNAL
    ]


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return make_project(tmp_path / "project")


@pytest.fixture(scope="module")
def converted_seed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = make_project(tmp_path_factory.mktemp("seed") / "project", seed=True)
    assert run_convert(root).code == 0
    return root


@pytest.fixture
def seed_project(converted_seed: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The converted seed, with its digest renamed, so that the next convert changes all 46 pages
    (their ``sources``)."""
    monkeypatch.chdir(tmp_path)
    root = tmp_path / "project"
    shutil.copytree(converted_seed, root)
    (root / "seeds" / SEED.name).rename(root / "seeds" / "renamed-2025-12-11.txt")
    _age(root)
    return root


# --- the state file is input, not trusted ----------------------------------------------------------


@pytest.mark.parametrize("slug", ["../../../x", "../x", "{tmp}/escape/x", "papers/../../x", "x/../../../x", ".hidden", "X"])
def test_state_entry_with_a_path_writes_nothing_outside_papers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, slug: str
) -> None:
    monkeypatch.chdir(tmp_path)
    slug = slug.format(tmp=tmp_path)
    root = make_project(tmp_path / "deep" / "er" / "project")
    write_digest(root, "d-2025-12-11.txt", digest(paper("Escaping Paper", "An abstract.")))
    state = {slug: {"key": title_key("Escaping Paper"), "sha256": "0" * 64}}
    (root / "content" / STATE_FILE).write_text(json.dumps(state), encoding="utf-8")
    before = tree(tmp_path)

    run = run_convert(root)

    assert run.code == 0, run.err
    after = tree(tmp_path)
    changed = {name for name in after if after[name] != before.get(name, b"\x00missing")}
    project = "deep/er/project/"
    allowed = (f"{project}content/papers", f"{project}content/{STATE_FILE}", f"{project}.sitegen")
    assert changed and all(name.startswith(allowed) for name in changed), sorted(changed)
    assert not (tmp_path / "escape").exists()
    assert [path.name for path in page_files(root)] == ["escaping-paper.md"]
    (warning,) = run.err_lines
    assert warning.startswith(f"{Path('deep/er/project/content') / STATE_FILE}: warning:") and "ignored" in warning
    saved = json.loads((root / "content" / STATE_FILE).read_text(encoding="utf-8"))
    assert list(saved) == ["escaping-paper"], "the bad entry is dropped from the state"


BAD_RECORDS = {
    "string": "a string",
    "number": 5,
    "null": None,
    "list": ["key", "sha256"],
    "key not text": {"key": 1, "sha256": "0" * 64},
    "no sha256": {"key": "some paper"},
    "sha256 not hex": {"key": "some paper", "sha256": "z" * 64},
    "sha256 too short": {"key": "some paper", "sha256": "0" * 63},
}


@pytest.mark.parametrize("record", BAD_RECORDS.values(), ids=BAD_RECORDS.keys())
def test_state_entry_that_is_no_record_is_a_warning_and_the_edit_stays(project: Path, record: Any) -> None:
    root = project
    write_digest(root, "d-2025-12-11.txt", digest(paper("Kept Paper", "Old."), paper("Other Paper", "Other.")))
    assert run_convert(root).code == 0
    page = root / "content" / "papers" / "kept-paper.md"
    edited = page.read_bytes() + b"\nMy note.\n"
    page.write_bytes(edited)
    state_path = root / "content" / STATE_FILE
    state = json.loads(state_path.read_text(encoding="utf-8"))
    state["kept-paper"] = record
    state_path.write_text(json.dumps(state), encoding="utf-8")
    write_digest(root, "d-2025-12-11.txt", digest(paper("Kept Paper", "New."), paper("Other Paper", "Other.")))

    run = run_convert(root)

    assert run.code == 0, run.err
    assert "Traceback" not in run.err
    assert page.read_bytes() == edited, "a page its record no longer vouches for counts as edited"
    assert run.counts() == {"created": 0, "updated": 0, "unchanged": 1, "kept": 1}
    state_warnings = [line for line in run.err_lines if STATE_FILE in line]
    assert len(state_warnings) == 1 and "warning:" in state_warnings[0] and "'kept-paper'" in state_warnings[0]


@pytest.mark.parametrize("text", ["[]", '"state"', "7", "{", "[" * 100_000, "\xff"], ids=["list", "string", "number", "cut", "deep", "not utf-8"])
def test_state_that_is_not_an_object_is_one_clear_error(project: Path, text: str) -> None:
    write_digest(project, "d-2025-12-11.txt", digest(paper("A Paper", "A.")))
    (project / "content" / STATE_FILE).write_bytes(text.encode("latin-1"))
    run = run_convert(project)
    assert run.code == 1
    (message,) = run.err_lines
    assert STATE_FILE in message and "corrupt" in message and "Traceback" not in run.err
    assert page_files(project) == []


# --- all or nothing --------------------------------------------------------------------------------


def _full_disk_at(number: int) -> Callable[[pytest.MonkeyPatch], None]:
    """Every write of a file through os.fdopen fails with ENOSPC from the ``number``-th on (half written first)."""

    def patch(monkeypatch: pytest.MonkeyPatch) -> None:
        real_fdopen = os.fdopen
        writes = [0]

        class Disk(io.RawIOBase):
            def __init__(self, stream: Any) -> None:
                self.stream = stream

            def write(self, data: Any) -> int:
                writes[0] += 1
                if writes[0] < number:
                    return int(self.stream.write(data))
                self.stream.write(bytes(data)[: len(data) // 2])
                self.stream.flush()
                raise OSError(errno.ENOSPC, "No space left on device")

            def flush(self) -> None:
                self.stream.flush()

            def fileno(self) -> int:
                return int(self.stream.fileno())

            def close(self) -> None:
                super().close()
                self.stream.close()

        monkeypatch.setattr(os, "fdopen", lambda fd, *a, **k: Disk(real_fdopen(fd, *a, **k)))

    return patch


def _read_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """The content folder is on a read-only file system (as root, chmod cannot show it): no file can be made."""
    real = os.open

    def mkstemp(*args: Any, **kwargs: Any) -> Any:
        raise OSError(errno.EROFS, "Read-only file system")

    def open_(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if flags & os.O_CREAT and os.fspath(path).endswith(TEMPORARY_SUFFIX):
            raise OSError(errno.EROFS, "Read-only file system")
        return real(path, flags, *args, **kwargs)

    monkeypatch.setattr(tempfile, "mkstemp", mkstemp)
    monkeypatch.setattr(os, "open", open_)


def _no_room_for_the_state(monkeypatch: pytest.MonkeyPatch) -> None:
    real = os.open

    def open_(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        name = os.path.basename(os.fspath(path))
        if name.startswith(f".{STATE_FILE}.") and name.endswith(TEMPORARY_SUFFIX):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", open_)


def _journal_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    real = os.open

    def open_(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if os.fspath(path).endswith(JOURNAL):
            raise OSError(errno.EACCES, "Permission denied")
        return real(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", open_)


FAILURES: dict[str, tuple[Callable[[pytest.MonkeyPatch], None], str]] = {
    "full disk at the 10th page": (_full_disk_at(10), ".md: cannot write: No space left on device"),
    "full disk at the state file": (_no_room_for_the_state, f"{STATE_FILE}: cannot write: No space left on device"),
    "read-only folder": (_read_only, ".md: cannot write: Read-only file system"),
    "journal refused": (_journal_refused, f"{JOURNAL}: cannot write: Permission denied"),
}


@pytest.mark.parametrize(("failure", "expected"), FAILURES.values(), ids=FAILURES.keys())
def test_failed_run_leaves_content_byte_identical(
    seed_project: Path, monkeypatch: pytest.MonkeyPatch, failure: Callable[[pytest.MonkeyPatch], None], expected: str
) -> None:
    root = seed_project
    before = content_snapshot(root)
    with monkeypatch.context() as patch:
        failure(patch)
        run = run_convert(root)
    assert run.code == 1
    (message,) = run.err_lines
    assert expected in message and "nothing was changed" in message and "Traceback" not in run.err
    assert content_snapshot(root) == before
    assert leftovers(root) == []

    healed = run_convert(root)
    assert healed.code == 0, healed.err
    assert healed.counts() == {"created": 0, "updated": 46, "unchanged": 0, "kept": 0}


def test_full_disk_on_a_first_run_leaves_no_pages_folder(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_digest(project, "d-2025-12-11.txt", digest(*(paper(f"Paper {n}", f"Abstract {n}.") for n in range(12))))
    before = content_snapshot(project)
    with monkeypatch.context() as patch:
        _full_disk_at(10)(patch)
        run = run_convert(project)
    assert run.code == 1 and len(run.err_lines) == 1
    assert content_snapshot(project) == before
    assert not (project / "content" / "papers").exists()


# --- kill -9 at any moment -------------------------------------------------------------------------

CHILD = r"""
import io, os, signal, sys

spec, args = sys.argv[1], sys.argv[2:]
what, _, number = spec.partition(":")
target, calls = int(number), {"any": 0}
journal = os.path.join(args[2], "content", ".convert-journal.json")


def point(name):
    for key in ("any", name):
        calls[key] = calls.get(key, 0) + 1
    if what == "renamed-after-journal":
        calls[what] = calls.get(what, 0) + (name == "replace" and os.path.exists(journal))
    return calls.get(what) == target


def wrap(name):
    real = getattr(os, name)

    def wrapper(*a, **k):
        if point(name):
            os.kill(os.getpid(), signal.SIGKILL)
        return real(*a, **k)

    setattr(os, name, wrapper)


for name in ("fsync", "sync", "replace", "rename", "unlink", "rmdir", "mkdir"):
    if hasattr(os, name):
        wrap(name)
real_fdopen = os.fdopen


class Stream:
    def __init__(self, inner):
        self.inner = inner

    def write(self, data):
        if point("write"):
            self.inner.write(bytes(data)[: len(data) // 2])
            self.inner.flush()
            os.kill(os.getpid(), signal.SIGKILL)
        return self.inner.write(data)

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.inner.close()


os.fdopen = lambda *a, **k: Stream(real_fdopen(*a, **k))
from sitegen.cli import main

code = main(args)
print(f"points: {calls['any']}")
sys.exit(code)
"""


def killed_convert(root: Path, spec: str, *args: str) -> subprocess.CompletedProcess[str]:
    """``sitegen convert`` in a child that SIGKILLs itself at ``spec``: ``any:N`` is the N-th write,
    fsync, sync, rename, unlink or mkdir; ``renamed-after-journal:N`` the N-th rename once the journal exists."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    return subprocess.run(
        [sys.executable, "-c", CHILD, spec, "convert", "--root", str(root), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def visible(root: Path) -> dict[str, bytes | None]:
    """content/ as a reader sees it: temporary files (dot-files nobody reads) left out."""
    return {name: data for name, data in tree(root / "content").items() if not name.endswith(TEMPORARY_SUFFIX)}


@pytest.fixture(scope="module")
def interrupted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, bytes | None], dict[str, bytes | None]]:
    """A converted project whose next ``convert --force`` updates a page, overwrites an edited one,
    creates one and leaves one alone; with content/ before that run and after a clean one."""
    base = make_project(tmp_path_factory.mktemp("kill") / "base", theme=True)
    write_digest(base, "d-2025-12-11.txt", digest(paper("Alpha", "A."), paper("Beta", "B."), paper("Gamma", "C.")))
    assert run_convert(base).code == 0
    edited = base / "content" / "papers" / "gamma.md"
    edited.write_bytes(edited.read_bytes() + b"\nA note by hand.\n")
    write_digest(
        base,
        "d-2025-12-11.txt",
        digest(paper("Alpha", "A, revised."), paper("Beta", "B."), paper("Gamma", "C, revised."), paper("Delta", "D.")),
    )
    clean = base.parent / "clean"
    shutil.copytree(base, clean)
    assert run_convert(clean, "--force").code == 0
    shutil.rmtree(clean / ".sitegen", ignore_errors=True)
    old, new = visible(base), visible(clean)
    assert old != new and leftovers(clean) == []
    return base, old, new


def _copy(source: Path, destination: Path) -> Path:
    shutil.copytree(source, destination, symlinks=True)
    return destination


def test_kill_at_any_moment_leaves_old_or_new_and_the_next_run_finishes(
    interrupted: tuple[Path, dict[str, bytes | None], dict[str, bytes | None]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base, old, new = interrupted
    monkeypatch.chdir(tmp_path)
    seen: set[str] = set()
    number = 0
    while True:
        number += 1
        work = _copy(base, tmp_path / f"run-{number}")
        child = killed_convert(work, f"any:{number}", "--force")
        if child.returncode == 0:
            total = int(re.search(r"points: (\d+)", child.stdout)[1])  # type: ignore[index]
            assert number > total and visible(work) == new
            break
        assert child.returncode == -signal.SIGKILL, child.stderr
        # what a build reads: the old content or the new, never a mix
        view = _copy(work, tmp_path / f"view-{number}")
        build(load_config(view), view / "site")
        after_build = visible(view)
        assert after_build in (old, new), f"kill at point {number}: a build read a mix"
        assert not (view / "content" / JOURNAL).exists()
        seen.add("old" if after_build == old else "new")
        # the next convert gives exactly what a clean run gives
        rerun = run_convert(work, "--force")
        assert rerun.code == 0, rerun.err
        assert tree(work / "content") == new, f"kill at point {number}: the next convert did not finish it"
        shutil.rmtree(view)
        shutil.rmtree(work)
    assert seen == {"old", "new"}, "kills both before and after the journal were exercised"
    assert number > 15


@pytest.fixture
def killed_after_the_journal(
    interrupted: tuple[Path, dict[str, bytes | None], dict[str, bytes | None]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Path:
    base, old, _ = interrupted
    monkeypatch.chdir(tmp_path)
    work = _copy(base, tmp_path / "project")
    child = killed_convert(work, "renamed-after-journal:1", "--force")  # the journal is written, nothing renamed yet
    assert child.returncode == -signal.SIGKILL, child.stderr
    assert (work / "content" / JOURNAL).is_file()
    assert [name for name in tree(work / "content") if name.endswith(TEMPORARY_SUFFIX)]
    assert visible(work) == {**old, JOURNAL: (work / "content" / JOURNAL).read_bytes()}
    return work


def test_run_killed_after_the_journal_is_finished_by_the_next_build(
    killed_after_the_journal: Path, interrupted: tuple[Path, dict[str, bytes | None], dict[str, bytes | None]]
) -> None:
    work, new = killed_after_the_journal, interrupted[2]
    report = build(load_config(work), work / "site")
    assert report.papers == 4
    assert tree(work / "content") == new
    assert "C, revised." in (work / "site" / "papers" / "gamma" / "index.html").read_text(encoding="utf-8")


def test_run_killed_after_the_journal_is_finished_by_the_next_convert(
    killed_after_the_journal: Path, interrupted: tuple[Path, dict[str, bytes | None], dict[str, bytes | None]]
) -> None:
    work, new = killed_after_the_journal, interrupted[2]
    run = run_convert(work)  # no --force: the interrupted run's overwrite is finished, nothing more
    assert run.code == 0, run.err
    assert tree(work / "content") == new
    assert any(JOURNAL in line and "finished an interrupted convert" in line for line in run.err_lines)
    assert run.counts() == {"created": 0, "updated": 0, "unchanged": 4, "kept": 0}


def test_page_edited_after_a_kill_is_not_overwritten_by_the_recovery(
    killed_after_the_journal: Path,
) -> None:
    work = killed_after_the_journal
    page = work / "content" / "papers" / "alpha.md"
    mine = page.read_bytes() + b"\nEdited after the crash.\n"
    page.write_bytes(mine)
    run = run_convert(work)
    assert run.code == 0, run.err
    assert page.read_bytes() == mine
    assert any("alpha.md" in line and "interrupted convert; kept" in line for line in run.err_lines)
    assert leftovers(work) == []


# --- --force keeps the edit ------------------------------------------------------------------------


def test_force_saves_the_edit_in_a_backup_and_says_where(project: Path) -> None:
    root = project
    write_digest(root, "d-2025-12-11.txt", digest(paper("Edited Paper", "Old."), paper("Plain Paper", "Old.")))
    assert run_convert(root).code == 0
    page = root / "content" / "papers" / "edited-paper.md"
    edited = page.read_bytes() + b"\nMy own careful summary.\n"
    page.write_bytes(edited)
    write_digest(root, "d-2025-12-11.txt", digest(paper("Edited Paper", "New."), paper("Plain Paper", "New.")))

    kept = run_convert(root)  # updates the page nobody edited
    assert kept.counts()["kept"] == 1 and not (root / ".sitegen" / "backups").exists()

    run = run_convert(root, "--force")
    assert run.code == 0, run.err
    assert run.counts() == {"created": 0, "updated": 1, "unchanged": 1, "kept": 0}
    backups = sorted((root / ".sitegen" / "backups").iterdir())
    assert len(backups) == 1, "only the edited page is saved"
    (backup,) = backups
    assert re.fullmatch(r"edited-paper\.\d{8}T\d{12}Z\.md", backup.name), backup.name
    assert backup.read_bytes() == edited
    assert b"New." in page.read_bytes()
    (line,) = [line for line in run.out.splitlines() if "edited-paper.md" in line]
    assert str(Path("project/.sitegen/backups") / backup.name) in line
    assert (root / ".sitegen" / "CACHEDIR.TAG").is_file() and (root / ".sitegen" / ".gitignore").read_text().endswith("*\n")


def test_force_changes_nothing_when_the_backup_cannot_be_saved(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = project
    write_digest(root, "d-2025-12-11.txt", digest(paper("Edited Paper", "Old.")))
    assert run_convert(root).code == 0
    page = root / "content" / "papers" / "edited-paper.md"
    page.write_bytes(page.read_bytes() + b"\nMine.\n")
    write_digest(root, "d-2025-12-11.txt", digest(paper("Edited Paper", "New.")))
    _age(root)
    before = content_snapshot(root)
    import sitegen.inputs.convert as module

    def full(path: Path, data: bytes, *, durable: bool = False) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    with monkeypatch.context() as patch:
        patch.setattr(module, "atomic_write", full)
        run = run_convert(root, "--force")
    assert run.code == 1
    (message,) = run.err_lines
    assert "backups" in message and "No space left on device" in message
    assert content_snapshot(root) == before
    assert leftovers(root) == []


# --- reading digests -------------------------------------------------------------------------------


def _within(seconds: float, call: Callable[[], Run]) -> Run:
    """``call()``, failing the test instead of hanging when it does not return in time."""
    result: list[Run] = []
    thread = threading.Thread(target=lambda: result.append(call()), daemon=True)
    thread.start()
    thread.join(seconds)
    assert result, f"still running after {seconds} s: a FIFO is being read"
    return result[0]


@pytest.mark.parametrize("named", [False, True], ids=["found in seeds", "named on the command line"])
def test_fifo_digest_is_skipped_with_a_warning(project: Path, named: bool) -> None:
    good = write_digest(project, "good-2025-12-11.txt", digest(paper("Good Paper", "A.")))
    fifo = project / "seeds" / "pipe-2025-12-11.txt"
    os.mkfifo(fifo)
    args = [str(good), str(fifo)] if named else []
    run = _within(30, lambda: run_convert(project, *args))
    assert run.code == 0, run.err
    (warning,) = run.err_lines
    assert fifo.name in warning and "warning:" in warning and "FIFO" in warning
    assert [path.name for path in page_files(project)] == ["good-paper.md"]


def test_digest_linked_from_outside_the_project(project: Path, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere-2025-12-11.txt"
    outside.write_text(digest(paper("Outside Paper", "A.")), encoding="utf-8")
    (project / "seeds" / outside.name).symlink_to(outside)
    refused = run_convert(project)
    assert refused.code == 1
    (message,) = refused.err_lines
    assert outside.name in message and "outside the project" in message
    assert page_files(project) == []
    named = run_convert(project, str(outside))  # named on the command line: anywhere is fine
    assert named.code == 0, named.err
    assert [path.name for path in page_files(project)] == ["outside-paper.md"]


@pytest.mark.parametrize("kind", ["folder", "FIFO"])
def test_page_that_is_no_longer_a_file_is_kept_and_said(project: Path, kind: str) -> None:
    write_digest(project, "d-2025-12-11.txt", digest(paper("Odd Paper", "A."), paper("Fine Paper", "B.")))
    assert run_convert(project).code == 0
    page = project / "content" / "papers" / "odd-paper.md"
    page.unlink()
    page.mkdir() if kind == "folder" else os.mkfifo(page)
    write_digest(project, "d-2025-12-11.txt", digest(paper("Odd Paper", "A, revised."), paper("Fine Paper", "B.")))
    run = _within(30, lambda: run_convert(project))
    assert run.code == 0, run.err
    (warning,) = run.err_lines
    assert "odd-paper.md" in warning and "kept as is" in warning and ("directory" if kind == "folder" else "FIFO") in warning
    assert run.counts() == {"created": 0, "updated": 0, "unchanged": 1, "kept": 1}
    assert page.is_dir() if kind == "folder" else page.is_fifo()


# --- control characters ----------------------------------------------------------------------------


def test_control_characters_are_removed_with_a_warning_and_the_feed_parses(project: Path) -> None:
    root = make_project(project.parent / "themed", theme=True)
    text = digest(
        paper("Bell\x07 Paper", "An \x1b[31mred\x1b[0m abstract.", "  • 3 authors\n·\nJan 7, 2025"),
        paper("Quiet Paper", "Nothing odd.", "  • 2 authors\n·\nJan 6, 2025"),
    )
    path = write_digest(root, "d-2025-12-11.txt", text)
    lines = text.split("\n")
    title_line = lines.index("Bell\x07 Paper") + 1
    abstract_line = lines.index("An \x1b[31mred\x1b[0m abstract.") + 1

    run = run_convert(root)

    assert run.code == 0, run.err
    assert len(run.err_lines) == 2
    assert f"{path.name}:{title_line}: warning: removed control characters (U+0007)" in run.err_lines[0]
    assert f"{path.name}:{abstract_line}: warning: removed control characters (U+001B)" in run.err_lines[1]
    page = root / "content" / "papers" / "bell-paper.md"
    paper_read = parse_page(page.read_text(encoding="utf-8"), page)
    assert paper_read.title == "Bell Paper" and paper_read.body == "An red abstract."
    assert not FORBIDDEN.search(page.read_text(encoding="utf-8"))

    build(load_config(root), root / "site")
    feed = ET.parse(root / "site" / "feed.xml").getroot()
    assert "Bell Paper" in [entry.findtext(f"{ATOM}title") for entry in feed.iter(f"{ATOM}entry")]


noisy = st.text(st.sampled_from("ab Z1.-:\x00\x07\x08\x0b\x0c\x0e\x1b\x1f[31m\x7f\x85\u2028\ufeff\ufffe\uffff"), min_size=1, max_size=20)
controlled_text = st.one_of(
    st.lists(st.tuples(noisy, noisy), min_size=1, max_size=4).map(lambda papers: digest(*(paper(t, a) for t, a in papers))),
    st.lists(
        st.one_of(
            st.sampled_from(["Daily Papers", "Dec 11", "A Title", "An abstract.", "  • 4 authors", "·", "Jan 7", ""]),
            st.text(max_size=12),
            noisy,
        ),
        max_size=30,
    ).map("\n".join),
)


@contextlib.contextmanager
def scratch_project() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as folder:
        yield make_project(Path(folder) / "project")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(controlled_text)
def test_random_digest_text_raises_only_sitegen_errors_and_writes_clean_pages(text: str) -> None:
    with scratch_project() as root:
        path = root / "seeds" / "random-2025-12-11.txt"
        path.write_text(text, encoding="utf-8")
        try:
            report = convert(load_config(root))
        except SitegenError:
            return
        assert all(notice.loc.path == path for notice in report.notices if "control" in notice.message)
        for page in page_files(root):
            written = page.read_text(encoding="utf-8")
            assert not FORBIDDEN.search(written), page
            parse_page(written, page)


def test_a_second_convert_at_the_same_time_is_refused(project: Path) -> None:
    from sitegen.content.journal import locked

    write_digest(project, "d-2025-12-11.txt", digest(paper("A Paper", "A.")))
    with locked(load_config(project), wait=False):  # as a convert still running holds it
        run = run_convert(project)
    assert run.code == 1
    (message,) = run.err_lines
    assert "another sitegen convert" in message and "Traceback" not in run.err
    assert page_files(project) == []

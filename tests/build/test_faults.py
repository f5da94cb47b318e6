"""A build is all or nothing: killed, on a full disk or into a read-only folder, the output holds the
complete old site or the complete new one, never a mix, and never a temporary file.

The full-disk and read-only cases mount a small tmpfs when the tests run as root
on Linux (as CI does); elsewhere they inject the same OSError at the write call.
"""

from __future__ import annotations

import errno
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

import sitegen.build.output
from benchmarks.corpus import write_project
from sitegen.build.build import build
from sitegen.cli import main
from sitegen.config import load_config

REPO = Path(__file__).resolve().parents[2]


def files_of(folder: Path) -> dict[str, bytes]:
    return {path.relative_to(folder).as_posix(): path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file()}


def entries_of(folder: Path) -> set[str]:
    return {path.relative_to(folder).as_posix() for path in folder.rglob("*")}


def edit_version(root: Path, version: int) -> None:
    """Rewrite a tenth of the papers' titles and drop or restore one paper: the two versions differ in
    hundreds of files (pages, listings, feeds, search shards) and in the file set."""
    folder = root / "content" / "papers"
    papers = sorted([*folder.glob("*.md"), *(folder / kept.stem for kept in root.glob("*.kept"))])
    for page in papers[::10]:
        if not page.exists():
            continue
        text = page.read_text(encoding="utf-8")
        head, _, rest = text.partition("\ntitle: ")
        title, _, tail = rest.partition("\n")
        base = title.removeprefix("'").removesuffix("'").removesuffix(" (revised)")
        page.write_text(f"{head}\ntitle: '{base}{' (revised)' if version else ''}'\n{tail}", encoding="utf-8")
    victim = papers[5]  # never one of the retitled pages
    kept = root / f"{victim.name}.kept"
    if version and victim.exists():
        victim.rename(kept)
    elif not version and kept.exists():
        kept.rename(victim)


@pytest.fixture(scope="module")
def large_project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[int, dict[str, bytes]]]]:
    """1,000 generated papers, and the site each of the two versions gives when built fresh."""
    base = tmp_path_factory.mktemp("faults")
    root = base / "project"
    write_project(1000, root)
    expected: dict[int, dict[str, bytes]] = {}
    for version in (1, 0):
        edit_version(root, version)
        build(load_config(root), base / f"expected-{version}")
        expected[version] = files_of(base / f"expected-{version}")
    assert expected[0] != expected[1] and expected[0].keys() != expected[1].keys()
    yield root, expected


def run_build(root: Path, out: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "sitegen", "build", "--root", str(root), "-o", str(out)],
        cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )


def test_a_build_killed_at_any_moment_leaves_the_old_or_the_new_site(
    large_project: tuple[Path, dict[int, dict[str, bytes]]], tmp_path: Path
) -> None:
    root, expected = large_project
    out = tmp_path / "site"
    edit_version(root, 0)
    assert main(["build", "--root", str(root), "-o", str(out)]) == 0
    started = time.perf_counter()
    edit_version(root, 1)
    assert main(["build", "--root", str(root), "-o", str(out)]) == 0
    duration = time.perf_counter() - started
    version, outcomes = 1, []
    for attempt in range(12):
        version = 1 - version
        edit_version(root, version)
        process = run_build(root, out)
        time.sleep(duration * (0.15 + 0.9 * attempt / 11))  # from before the first write to after the swap
        process.send_signal(signal.SIGKILL)
        process.wait()
        found = files_of(out)
        assert found in (expected[0], expected[1]), f"attempt {attempt}: a mix of old and new files"
        assert not [path for path in entries_of(out) if path.endswith(".tmp") or "sitegen-tmp" in path]
        outcomes.append(found == expected[version])
    assert main(["build", "--root", str(root), "-o", str(out)]) == 0  # a killed build's state is repaired
    assert files_of(out) == expected[version]
    assert any(outcomes) and not all(outcomes), f"kills never landed both before and after the swap: {outcomes}"


# --- full disk and read-only folders ---------------------------------------------------------------


def can_mount() -> bool:
    return sys.platform.startswith("linux") and os.geteuid() == 0 and shutil.which("mount") is not None


def mount_tmpfs(folder: Path, size: str) -> bool:
    folder.mkdir(parents=True, exist_ok=True)
    if not can_mount():
        return False
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)], capture_output=True, check=False)
    return done.returncode == 0


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[Path | None]:
    """A 3 MiB tmpfs, or None where none can be mounted."""
    folder = tmp_path / "disk"
    mounted = mount_tmpfs(folder, "3m")
    yield folder if mounted else None
    if mounted:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def seed_copy(root: Path) -> Path:
    shutil.copytree(REPO / "content", root / "content")
    shutil.copy(REPO / "pyproject.toml", root / "pyproject.toml")
    shutil.copytree(REPO / "sitegen" / "theme", root / "theme")
    return root


def grow(root: Path) -> None:
    """Long abstracts: the next site no longer fits a disk the current one fills most of."""
    for page in sorted((root / "content" / "papers").glob("*.md")):
        page.write_text(page.read_text(encoding="utf-8") + ("\n\nA longer abstract. " * 2000), encoding="utf-8")


def add_a_sentence(root: Path) -> None:
    page = min((root / "content" / "papers").glob("*.md"))
    page.write_text(page.read_text(encoding="utf-8") + "\nAn added sentence.\n", encoding="utf-8")


def fail_writes_after(monkeypatch: pytest.MonkeyPatch, count: int, code: int) -> None:
    """Where no tmpfs can be mounted: the write call fails as a full or read-only disk makes it fail."""
    real = sitegen.build.output._replace
    calls = [0]

    def failing(target: Path, data: bytes) -> None:
        calls[0] += 1
        if calls[0] > count:
            raise OSError(code, os.strerror(code), str(target))
        real(target, data)

    monkeypatch.setattr(sitegen.build.output, "_replace", failing)


def test_a_full_disk_fails_cleanly_and_leaves_the_site_whole(
    tmp_path: Path, disk: Path | None, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = seed_copy(tmp_path / "project")
    out = (disk or tmp_path / "plain") / "site"
    assert main(["build", "--root", str(root), "-o", str(out)]) == 0
    before = {path: (data, (out / path).stat().st_mtime_ns) for path, data in files_of(out).items()}
    grow(root)
    if disk is None:
        fail_writes_after(monkeypatch, 20, errno.ENOSPC)
    capsys.readouterr()
    assert main(["build", "--root", str(root), "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert "No space left on device" in err and "previous site is unchanged" in err, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert {path: (data, (out / path).stat().st_mtime_ns) for path, data in files_of(out).items()} == before
    assert not [path for path in entries_of(out) if path.endswith(".tmp") or "sitegen-tmp" in path]


def test_a_read_only_output_fails_cleanly_and_leaves_the_site_whole(
    tmp_path: Path, disk: Path | None, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = seed_copy(tmp_path / "project")
    out = (disk or tmp_path / "plain") / "site"
    assert main(["build", "--root", str(root), "-o", str(out)]) == 0
    before = files_of(out)
    add_a_sentence(root)
    if disk is not None:
        subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
    else:
        fail_writes_after(monkeypatch, 0, errno.EROFS)
    capsys.readouterr()
    assert main(["build", "--root", str(root), "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert "Read-only file system" in err and "Traceback" not in err, err
    assert files_of(out) == before


def test_an_output_where_a_folder_should_be_is_replaced_not_a_traceback(tmp_path: Path) -> None:
    root = seed_copy(tmp_path / "project")
    out = tmp_path / "site"
    assert main(["build", "--root", str(root), "-o", str(out)]) == 0
    expected = files_of(out)
    shutil.rmtree(out / "papers")
    (out / "papers").write_bytes(b"a file where a folder was")
    assert main(["build", "--root", str(root), "-o", str(out)]) == 0
    assert files_of(out) == expected


def test_a_killed_two_rename_swap_is_recovered(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without RENAME_EXCHANGE the swap is three renames; a kill between them is undone by the next build."""
    root = seed_copy(tmp_path / "project")
    out = tmp_path / "site"
    build(load_config(root), out)
    expected = files_of(out)
    swapping = out.parent / f".{out.name}.sitegen-swap"
    out.rename(swapping)  # as if killed after the first of the three renames
    build(load_config(root), out)
    assert files_of(out) == expected and not swapping.exists()
    monkeypatch.setattr(sitegen.build.output, "_libc", lambda: None)
    add_a_sentence(root)
    report = build(load_config(root), out)
    assert report.result.written and not swapping.exists()
    fresh = tmp_path / f"fresh-{uuid.uuid4().hex}"
    build(load_config(root), fresh)
    assert files_of(out) == files_of(fresh)

"""Writes a rendered site into its output folder: only changed bytes, atomically, and only in a folder sitegen owns.

Comparing bytes instead of tracking dependencies keeps uploads small (rsync and
object-storage sync see only real changes) with no state to go stale. The marker
file is the guard that makes ``sitegen build -o ~/`` refuse instead of cleaning
a home directory.
"""

from __future__ import annotations

import errno
import os
import posixpath
import stat
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from sitegen.errors import OutputError
from sitegen.fsutil import atomic_write

MARKER = ".sitegen-output"
MARKER_TEXT = b"This folder is build output of sitegen; sitegen may delete anything in it.\n"
CACHE_DIR = ".sitegen-cache"
"""Inside the output folder, never published as a page and never cleaned: what a build may reuse."""


@dataclass(frozen=True, slots=True)
class WriteResult:
    written: tuple[str, ...]
    unchanged: tuple[str, ...]
    removed: tuple[str, ...]


def check_owned(folder: Path) -> None:
    """Refuse early, before any work, a folder that is not ours to write and clean."""
    if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
        raise OutputError(f"{folder}: output must be a folder, not a file or link")
    if folder.is_dir() and not (folder / MARKER).is_file() and any(folder.iterdir()):
        raise OutputError(
            f"{folder}: refusing to build into a folder sitegen did not create (no {MARKER} file in it); "
            "choose a new or empty folder with -o"
        )


def claim(folder: Path) -> None:
    """Make ``folder`` ours: new, empty, or marked by an earlier build."""
    check_owned(folder)
    if (folder / MARKER).is_file():
        return
    folder.mkdir(parents=True, exist_ok=True)
    (folder / MARKER).write_bytes(MARKER_TEXT)


def write_tree(folder: Path, files: Mapping[str, bytes | None], last: Collection[str] | None = None) -> WriteResult:
    """Make ``folder`` hold exactly ``files`` (plus the marker), touching only what differs.

    ``None`` stands for a file the caller knows is already there with the right bytes.
    ``last`` is the set of files this process wrote there last time, if it knows it: when
    it is the same set, nothing can be stale, and instead of walking the whole tree for
    links only the paths about to be read or written are checked (10,000 papers are
    10,000 folders to walk).
    """
    for relative in files:
        _checked(relative)  # every path before the first write, so a bad one leaves the folder as it was
    claim(folder)
    links: list[str] = []
    present: list[tuple[str, bool]] | None = None
    if last is None or set(last) != files.keys() or _links_on_the_way(folder, [path for path, data in files.items() if data is not None]):
        links, present = _unlink_symlinks(folder)
    written: list[str] = []
    unchanged: list[str] = []
    for relative, data in sorted(files.items()):
        target = folder / relative
        if data is None:
            unchanged.append(relative)
            continue
        try:
            same = target.read_bytes() == data
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            same = False
        if same:
            unchanged.append(relative)
        else:
            atomic_write(target, data)
            written.append(relative)
    stale = _remove_stale(folder, present, files) if present is not None else ()
    removed = {*stale, *(link for link in links if link not in files)}
    return WriteResult(tuple(written), tuple(unchanged), tuple(sorted(removed)))


def _links_on_the_way(folder: Path, paths: Iterable[str]) -> bool:
    """Is any of ``paths``, or a folder above it inside ``folder``, a link (or not what it should be)?"""
    checked: set[str] = set()
    for path in paths:
        parts = path.split("/")
        for depth in range(1, len(parts) + 1):
            relative = "/".join(parts[:depth])
            if relative in checked:
                continue
            checked.add(relative)
            try:
                status = os.lstat(os.path.join(folder, relative))
            except FileNotFoundError:
                break  # nothing there yet: made below as a plain folder or file
            if stat.S_ISLNK(status.st_mode) or (depth < len(parts) and not stat.S_ISDIR(status.st_mode)):
                return True
    return False


def read_cache(folder: Path, name: str) -> bytes | None:
    try:
        return (folder / CACHE_DIR / name).read_bytes()
    except OSError:
        return None


def write_cache(folder: Path, name: str, data: bytes) -> None:
    if read_cache(folder, name) != data:
        atomic_write(folder / CACHE_DIR / name, data)


def _checked(relative: str) -> str:
    """Output paths come from slugs and tag names; this is the last line of defence against ``..``."""
    normal = posixpath.normpath(relative)
    if normal != relative or normal.startswith(("/", "../", CACHE_DIR)) or normal in (".", "..") or "\\" in relative:
        raise OutputError(f"refusing to write outside the output folder: {relative!r}")
    return relative


def _entries(folder: str, prefix: str = "") -> Iterator[tuple[str, os.DirEntry[str]]]:
    """Every entry below ``folder`` by relative path, parents first, never following a link."""
    with os.scandir(folder) as scan:
        for entry in scan:
            relative = prefix + entry.name
            yield relative, entry
            if entry.is_dir(follow_symlinks=False):
                yield from _entries(entry.path, relative + "/")


def _unlink_symlinks(folder: Path) -> tuple[list[str], list[tuple[str, bool]]]:
    """sitegen never makes links: any link in the output is removed, never followed, so no write
    (``papers/`` linked to a folder elsewhere) and no read lands outside the output folder.

    Returns the links removed and every other entry with whether it is a folder, so the
    stale-file sweep after writing needs no second walk (10,000 papers are 10,000 folders).
    """
    unlinked: list[str] = []
    present: list[tuple[str, bool]] = []
    for relative, entry in _entries(str(folder)):
        if entry.is_symlink():
            os.unlink(entry.path)
            unlinked.append(relative)
        else:
            present.append((relative, entry.is_dir(follow_symlinks=False)))
    return sorted(unlinked), present


def _remove_stale(folder: Path, present: list[tuple[str, bool]], files: Mapping[str, bytes | None]) -> tuple[str, ...]:
    """Remove what ``present`` lists that ``files`` does not: folders too, once empty."""
    removed: list[str] = []
    folders: list[str] = []
    for relative, is_folder in present:
        if relative == CACHE_DIR or relative.startswith(CACHE_DIR + "/"):
            continue
        if is_folder:
            folders.append(relative)
        elif relative not in files and relative != MARKER:
            os.unlink(folder / relative)
            removed.append(relative)
    occupied = _ancestors(files)
    for relative in sorted(folders, key=lambda path: path.count("/"), reverse=True):
        if relative not in occupied:
            try:
                os.rmdir(folder / relative)  # only succeeds on a folder left empty
            except OSError as error:
                if error.errno not in (errno.ENOTEMPTY, errno.EEXIST):
                    raise
    return tuple(sorted(removed))


def _ancestors(paths: Iterable[str]) -> set[str]:
    """Every folder that holds one of ``paths``, at any depth: the folders that stay."""
    folders: set[str] = set()
    for path in paths:
        parent = posixpath.dirname(path)
        while parent and parent not in folders:
            folders.add(parent)
            parent = posixpath.dirname(parent)
    return folders

"""Publishes a rendered site into its output folder all at once: at every moment the folder holds the
complete old site or the complete new one, whatever happens to the build (kill -9, a full disk).

The build never writes into the live folder. It brings a second tree up to
date (the *spare*: the previous generation of the site, kept in the build
state) and then swaps the two with one rename(2) (``RENAME_EXCHANGE``), as
git makes a change visible by one rename and ``rsync --link-dest`` snapshots
share unchanged files:

* in the spare, every file that did not change is a hard link to the live
  one, so unchanged files keep their inode, bytes and mtime (rsync and
  object-store syncs send only what changed) and a full snapshot costs
  almost nothing;
* the spare differs from the live tree only at the paths the last swap
  changed (recorded with it), so bringing it up to date costs what changed
  in the last two builds, not the size of the site;
* while it is being updated the spare is marked dirty; a build killed then
  leaves the live folder untouched, and the next one repairs the spare by
  comparing the two trees' inodes;
* files come one by one as they are rendered (``Publication``), by this
  process or a fork of it, and a new one goes into the spare at once, so a
  large site is never held in memory whole.

Where the swap cannot happen (the output folder is a mount point, or the
file system cannot rename it), files are written beside their targets first
and renamed into place after, with a warning that a kill during those renames
could leave a mix. The marker file is the guard that makes
``sitegen build -o ~/`` refuse instead of replacing a home directory.
"""

from __future__ import annotations

import ctypes
import errno
import os
import posixpath
import shutil
import stat
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sitegen.build.state import BuildState, StateUnreadable, read_state, write_state
from sitegen.config import Config
from sitegen.errors import OutputError
from sitegen.fsutil import STATE_DIR
from sitegen.model import Loc, Notice

MARKER = ".sitegen-output"
MARKER_TEXT = b"This folder is build output of sitegen; sitegen may replace anything in it.\n"
_SPARE_STATE = "spare.json"
_SPARE_VERSION = 1
_TEMPORARY = ".sitegen-tmp"
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


@dataclass(frozen=True, slots=True)
class WriteResult:
    written: tuple[str, ...]
    unchanged: tuple[str, ...]
    removed: tuple[str, ...]


def check_owned(folder: Path) -> None:
    """Refuse early, before any work, a folder that is not ours to replace."""
    if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
        raise OutputError(f"{folder}: output must be a folder, not a file or link")
    if folder.is_dir() and not (folder / MARKER).is_file() and any(folder.iterdir()):
        raise OutputError(
            f"{folder}: refusing to build into a folder sitegen did not create (no {MARKER} file in it); "
            "choose a new or empty folder with -o"
        )


SOURCE_OPTIONS = ("content_dir", "seeds_dir", "theme_dir", "templates_dir")


def check_output(config: Config, folder: Path) -> None:
    """Refuse an output folder that is, holds or lies inside a source folder, or holds the project,
    whatever marker it carries: a build replaces its output folder whole."""
    check_owned(folder)
    try:
        output = folder.resolve()
        root = config.root.resolve()
    except (OSError, RuntimeError) as error:
        raise OutputError(f"{folder}: cannot resolve the output folder: {error}") from None
    if output == root or root.is_relative_to(output):
        raise OutputError(f"{folder}: the output folder would hold the whole project; choose one inside it, such as site/")
    sources = [(option, config.path(option)) for option in SOURCE_OPTIONS]
    sources += [("tags_file", config.path("tags_file")), ("build state", root / STATE_DIR)]
    for option, source in sources:
        resolved = source.resolve()
        if output == resolved or output.is_relative_to(resolved) or resolved.is_relative_to(output):
            raise OutputError(
                f"{folder}: refusing to build here: the output folder would replace {source} ({option}); "
                "choose another folder with -o or output_dir"
            )


@dataclass(slots=True)
class Spare:
    """The spare tree of one output folder, and what the last swap left different in it."""

    path: Path
    state_file: Path
    diverged: set[str] | None = None
    """Paths at which the spare differs from the live tree; None when unknown (repair by comparing)."""
    generation: int = 0
    loaded: bool = False
    notices: list[Notice] = field(default_factory=list)

    @classmethod
    def of(cls, state: BuildState) -> Spare:
        spare = cls(state.file("tree"), state.file(_SPARE_STATE))
        if _device(state.folder) != _device(state.output.parent):
            spare.path = state.output.parent / f".{state.output.name}.sitegen-tree"  # a swap cannot cross file systems
        return spare

    def load(self) -> None:
        """Read what the last swap recorded, unless this process already knows it (a preview session)."""
        try:
            recorded = read_state(self.state_file, "spare", _SPARE_VERSION)
        except StateUnreadable as problem:
            self.notices.append(Notice(Loc(self.state_file), f"build state {problem}; comparing the trees instead"))
            recorded = None
        generation = recorded.get("generation") if isinstance(recorded, dict) else None
        if self.loaded and generation == self.generation:
            return
        self.loaded = True
        self.generation = generation if isinstance(generation, int) else 0
        diverged = recorded.get("diverged") if isinstance(recorded, dict) and recorded.get("clean") is True else None
        if isinstance(diverged, list) and all(isinstance(path, str) for path in diverged):
            self.diverged = set(diverged)
        else:
            self.diverged = None

    def save(self, clean: bool) -> None:
        """Record the spare's state; a dirty one is repaired by the next build."""
        self.generation += 1
        payload = {"clean": clean, "generation": self.generation, "diverged": sorted(self.diverged or ()) if clean else []}
        write_state(self.state_file, "spare", _SPARE_VERSION, payload)


def publish(
    folder: Path, files: Mapping[str, bytes | None], spare: Spare, last: Collection[str] | None = None
) -> WriteResult:
    """Make ``folder`` hold exactly ``files`` (plus the marker) in one step, touching only what differs.

    ``None`` stands for a file the caller knows is already there with the right bytes.
    ``last`` is the set of files this process published there last time, if it knows it:
    then the live tree is not walked (10,000 papers are 10,000 folders).
    Raises OutputError, naming the path, when the disk is full or a folder read-only;
    the live folder is then as it was.
    """
    for relative in files:
        _checked(relative)  # every path before the first write
    publication = Publication(folder, spare, last)
    for relative, data in sorted(files.items()):
        publication.add(relative, data)
    return publication.finish()


@contextmanager
def _writing(folder: Path) -> Iterator[None]:
    """OSError -> OutputError naming the path: the disk is full, a folder read-only; the live folder is as it was."""
    try:
        yield
    except OSError as error:
        where = error.filename or folder
        raise OutputError(f"{where}: cannot write the site: {error.strerror or error}; the previous site is unchanged") from None


class Publication:
    """A site published file by file as it is rendered: ``add`` every file, then ``finish`` swaps it in.

    A file whose bytes differ from the live one's is written into the spare tree
    at once, so a large site is never held in memory whole; the spare is not
    live, so a build that fails on the way leaves the site as it was (and the
    spare marked dirty, for the next build to compare). Unchanged files are
    linked at the end, and only when something changed. After ``prepare`` a
    forked process may ``add`` files too; the parent then ``adopt``s what it
    reports. Where the folder cannot be swapped (a mount point), the new files
    are kept in memory and written in place at the end, as they always were.
    """

    def __init__(self, folder: Path, spare: Spare, last: Collection[str] | None = None) -> None:
        check_owned(folder)
        self.folder = folder
        self.spare = spare
        self._last = last
        self._files: dict[str, bool] = {}
        """Every file added, and whether it was written (its bytes differ from the live file's)."""
        self._kept: dict[str, bytes] = {}
        """The new files' bytes, in place only (nothing can be staged in a spare)."""
        self._prepared = False
        self._touch: set[str] | None = None
        """Paths at which the spare may differ from the live tree besides the new files; None: all (a new spare)."""
        self._spare_files: set[str] = set()
        with _writing(folder):
            _recover_swap(folder, spare)
            self.exists = folder.is_dir()
            self._walked = not (self.exists and last is not None and not _odd_on_the_way(folder, last))
            if self._walked:
                self._live, self._odd = _scan(folder) if self.exists else ({}, [])
                self._live.pop(MARKER, None)
            else:
                self._live, self._odd = dict.fromkeys(last or ()), []
            self.in_place = self.exists and os.path.ismount(folder)

    @property
    def shared(self) -> bool:
        """Files go straight into the spare tree, so another process may add some (after ``prepare``)."""
        return not self.in_place

    def add(self, relative: str, data: bytes | None) -> bool:
        """One file of the new site (None: the caller knows the live one is right); True if it is new bytes."""
        _checked(relative)
        with _writing(self.folder):
            if data is None or (relative in self._live and _same_bytes(self.folder / relative, data)):
                self._files[relative] = False
                return False
            self._files[relative] = True
            if self.in_place:
                self._kept[relative] = data
            else:
                self.prepare()
                _replace(self.spare.path / relative, data)
        return True

    def adopt(self, relative: str, written: bool) -> None:
        """A file another process added (``add`` returned ``written`` there)."""
        self._files[_checked(relative)] = written

    def prepare(self) -> None:
        """Make the spare ready for new files: marked dirty, repaired if its state is unknown."""
        if self._prepared or self.in_place:
            return
        self._prepared = True
        spare = self.spare
        with _writing(self.folder):
            spare.load()
            if not self.exists:
                spare.diverged = None  # whatever the spare holds, nothing of it is live: compared and cleared
            spare.save(clean=False)
            try:
                self._touch = self._repair()
            except BaseException:
                spare.diverged = None  # it is marked dirty on disk too: the next build compares the trees
                raise

    def _repair(self) -> set[str] | None:
        root, spare = self.spare.path, self.spare
        if spare.diverged is not None and root.is_dir():
            return set(spare.diverged)
        if root.is_dir() and not root.is_symlink():
            spare_files, odd = _scan(root)
            for path in odd:
                _remove(root / path)
            live = self._live
            known = {path: ino for path, ino in live.items() if ino is not None} or _inodes(self.folder, live)
            self._spare_files = set(spare_files)
            return {path for path in spare_files.keys() | live.keys() if spare_files.get(path) != known.get(path)}
        if root.is_symlink() or root.exists():
            _remove(root)
        root.mkdir(parents=True)
        return None

    def finish(self) -> WriteResult:
        """Swap the new site in (or, where it cannot be swapped, write it in place) and say what changed."""
        with _writing(self.folder):
            return self._finish()

    def _finish(self) -> WriteResult:
        folder, spare, files = self.folder, self.spare, self._files
        live, odd = self._live, self._odd
        if not self._walked and set(self._last or ()) != files.keys():
            live, odd = _scan(folder)  # another set of files than last time: look at what is there
            live.pop(MARKER, None)
        written = sorted(path for path, new in files.items() if new)
        removed = sorted({*(path for path in live if path not in files), *odd})
        result = WriteResult(tuple(written), tuple(path for path in sorted(files) if not files[path]), tuple(removed))
        if self.exists and not written and not removed and (folder / MARKER).is_file():
            self._unprepare()
            return result
        if self.in_place:
            spare.notices.append(Notice(Loc(folder), _IN_PLACE_WARNING.format(reason="it is a mount point")))
            _write_in_place(folder, self._kept.__getitem__, written, removed, files)
            return result
        self.prepare()
        changed = set(written) | set(removed)
        try:
            self._complete(changed, live)
        except BaseException:
            spare.diverged = None  # it is marked dirty on disk too: the next build compares the trees
            raise
        if not self.exists:
            os.rename(spare.path, folder)
            spare.diverged = None  # no spare any more: the next swap makes one
        else:
            try:
                _exchange(spare.path, folder)
            except OSError as error:
                if error.errno not in (errno.EXDEV, errno.EBUSY, errno.EACCES, errno.EPERM):
                    raise
                spare.notices.append(Notice(Loc(folder), _IN_PLACE_WARNING.format(reason=error.strerror)))
                _write_in_place(folder, lambda relative: (spare.path / relative).read_bytes(), written, removed, files)
                return result
            spare.diverged = changed
        try:
            spare.save(clean=spare.diverged is not None)
        except OSError:
            pass  # the spare stays marked dirty: the next build compares the trees
        return result

    def _unprepare(self) -> None:
        """Nothing changed after all, but the spare was readied (for another process): record it as it is."""
        if not self._prepared:
            return
        if self._touch is None:
            self.spare.diverged = None  # a new, empty spare: left marked dirty, the next build fills it
            return
        self.spare.diverged = self._touch
        try:
            self.spare.save(clean=True)
        except OSError:
            self.spare.diverged = None

    def _complete(self, changed: set[str], live: Mapping[str, int | None]) -> None:
        """Bring the rest of the spare up to date: the new files are in; hard links to the live files elsewhere."""
        files, root, folder = self._files, self.spare.path, self.folder
        if self._touch is None:
            touch = set(files)
        else:
            touch = self._touch | {path for path in self._spare_files if path not in files}
        touch |= changed | {MARKER}
        keep = _ancestors(files)
        emptied: set[str] = set()
        for relative in sorted(touch):
            target = root / relative
            if relative == MARKER:
                if _same_bytes(folder / MARKER, MARKER_TEXT):
                    _link(folder / MARKER, target)
                else:
                    _replace(target, MARKER_TEXT)
            elif relative not in files:
                if relative in keep and target.is_dir() and not target.is_symlink():
                    continue  # a file or link where a folder now goes: new files made the folder already
                if _remove(target):
                    emptied.add(posixpath.dirname(relative))
            elif files[relative]:
                continue  # written when it was added
            elif relative not in live:
                _replace(target, (folder / relative).read_bytes())
            else:
                _link(folder / relative, target)
        _prune(root, emptied, keep)


_IN_PLACE_WARNING = (
    "the output folder cannot be swapped in one step ({reason}): files were written beside their targets "
    "and renamed into place, so a build killed during those renames could leave a mix"
)


def _write_in_place(
    folder: Path, data: Callable[[str], bytes], written: list[str], removed: list[str], files: Collection[str]
) -> None:
    """The fallback: every new file beside its target first (a full disk fails here, changing nothing), then renames."""
    staged: list[tuple[Path, Path]] = []
    try:
        for relative in written:
            target = folder / relative
            temporary = target.with_name(f".{target.name}{_TEMPORARY}")
            _replace(temporary, data(relative))
            staged.append((temporary, target))
        if not (folder / MARKER).is_file():
            _replace(folder / MARKER, MARKER_TEXT)
    except BaseException:
        for temporary, _ in staged:
            temporary.unlink(missing_ok=True)
        raise
    for temporary, target in staged:
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)
        os.replace(temporary, target)
    emptied = set()
    for relative in removed:
        if _remove(folder / relative):
            emptied.add(posixpath.dirname(relative))
    _prune(folder, emptied, _ancestors(files))


def _recover_swap(folder: Path, spare: Spare) -> None:
    """Finish or undo a two-rename swap (where RENAME_EXCHANGE is missing) that a kill interrupted."""
    swapping = folder.parent / f".{folder.name}.sitegen-swap"
    if not swapping.is_dir() or swapping.is_symlink():
        return
    if not folder.exists():
        os.rename(swapping, folder)
    elif not spare.path.exists():
        os.rename(swapping, spare.path)
    else:
        shutil.rmtree(swapping)
    spare.diverged = None


def _exchange(spare: Path, folder: Path) -> None:
    """Swap two folders in one step; two renames where the kernel or libc cannot."""
    function = getattr(_libc(), "renameat2", None)
    if function is not None:
        if function(_AT_FDCWD, os.fsencode(spare), _AT_FDCWD, os.fsencode(folder), _RENAME_EXCHANGE) == 0:
            return
        code = ctypes.get_errno()
        if code not in (errno.ENOSYS, errno.EINVAL):
            raise OSError(code, os.strerror(code), str(folder))
    swapping = folder.parent / f".{folder.name}.sitegen-swap"
    os.rename(folder, swapping)
    os.rename(spare, folder)
    os.rename(swapping, spare)


_LIBC: list[ctypes.CDLL | None] = []


def _libc() -> ctypes.CDLL | None:
    if not _LIBC:
        try:
            _LIBC.append(ctypes.CDLL(None, use_errno=True))
        except OSError:
            _LIBC.append(None)
    return _LIBC[0]


def _device(path: Path) -> int | None:
    try:
        return os.stat(path).st_dev
    except OSError:
        return None


def _same_bytes(path: Path, data: bytes) -> bool:
    try:
        status = os.lstat(path)
        if not stat.S_ISREG(status.st_mode) or status.st_size != len(data):
            return False
        return path.read_bytes() == data
    except OSError:
        return False


def _replace(target: Path, data: bytes) -> None:
    """A new file (a new inode: the old one may be shared with the live tree) holding ``data``."""
    try:
        handle = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except FileExistsError:
        _remove(target)
        handle = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except (FileNotFoundError, NotADirectoryError):
        _make_folder(target.parent)
        handle = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    with os.fdopen(handle, "wb") as stream:
        stream.write(data)


def _link(source: Path, target: Path) -> None:
    _remove(target)
    try:
        os.link(source, target, follow_symlinks=False)
    except (FileNotFoundError, NotADirectoryError):
        _make_folder(target.parent)
        os.link(source, target, follow_symlinks=False)
    except OSError as error:
        if error.errno not in (errno.EPERM, errno.EMLINK, errno.ENOTSUP, errno.EXDEV):
            raise
        shutil.copy2(source, target, follow_symlinks=False)  # a file system without hard links


def _make_folder(folder: Path) -> None:
    """A folder, replacing any file or link in the way (a stale page where a folder now goes). Two
    processes may make one folder at once (rendering spread over both cores): the second finds it made."""
    for parent in reversed([folder, *folder.parents]):
        try:
            status = os.lstat(parent)
        except FileNotFoundError:
            try:
                os.mkdir(parent)
            except FileExistsError:
                pass
            continue
        if not stat.S_ISDIR(status.st_mode):
            os.unlink(parent)
            os.mkdir(parent)


def _remove(target: Path) -> bool:
    """Remove a file, link or folder; True if something was there."""
    try:
        status = os.lstat(target)
    except (FileNotFoundError, NotADirectoryError):
        return False
    if stat.S_ISDIR(status.st_mode):
        shutil.rmtree(target)
    else:
        os.unlink(target)
    return True


def _prune(root: Path, emptied: Iterable[str], keep: set[str]) -> None:
    """Remove folders left empty, deepest first, except those that still hold files."""
    folders: set[str] = set()
    for relative in emptied:
        while relative and relative not in keep and relative not in folders:
            folders.add(relative)
            relative = posixpath.dirname(relative)
    for relative in sorted(folders, key=lambda path: path.count("/"), reverse=True):
        try:
            os.rmdir(root / relative)
        except OSError as error:
            if error.errno not in (errno.ENOTEMPTY, errno.EEXIST, errno.ENOENT):
                raise


def _inodes(folder: Path, paths: Iterable[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for path in paths:
        try:
            found[path] = os.lstat(folder / path).st_ino
        except OSError:
            pass
    return found


def _odd_on_the_way(folder: Path, files: Iterable[str]) -> bool:
    """Is any of ``files``, or a folder above it, a link or not what it should be? (Unchanged files are
    hard-linked from the live tree, so a link on the way would bring in a file from elsewhere.)"""
    checked: set[str] = set()
    for path in files:
        parts = path.split("/")
        for depth in range(1, len(parts) + 1):
            relative = "/".join(parts[:depth])
            if relative in checked:
                continue
            checked.add(relative)
            try:
                status = os.lstat(os.path.join(folder, relative))
            except FileNotFoundError:
                break
            wanted = stat.S_ISDIR if depth < len(parts) else stat.S_ISREG
            if not wanted(status.st_mode):
                return True
    return False


def _scan(folder: Path) -> tuple[dict[str, int | None], list[str]]:
    """Every regular file below ``folder`` with its inode, and every link or special file (never followed)."""
    files: dict[str, int | None] = {}
    odd: list[str] = []
    for relative, entry in _entries(str(folder)):
        if entry.is_dir(follow_symlinks=False):
            continue
        if entry.is_file(follow_symlinks=False):
            files[relative] = entry.inode()
        else:
            odd.append(relative)
    return files, odd


def _entries(folder: str, prefix: str = "") -> Iterator[tuple[str, os.DirEntry[str]]]:
    """Every entry below ``folder`` by relative path, parents first, never following a link."""
    with os.scandir(folder) as scan:
        for entry in scan:
            relative = prefix + entry.name
            yield relative, entry
            if entry.is_dir(follow_symlinks=False):
                yield from _entries(entry.path, relative + "/")


def _checked(relative: str) -> str:
    """Output paths come from slugs and tag names; this is the last line of defence against ``..``."""
    normal = posixpath.normpath(relative)
    if normal != relative or normal.startswith(("/", "../")) or normal in (".", "..", MARKER) or "\\" in relative:
        raise OutputError(f"refusing to write outside the output folder: {relative!r}")
    return relative


def _ancestors(paths: Iterable[str]) -> set[str]:
    """Every folder that holds one of ``paths``, at any depth: the folders that stay."""
    folders: set[str] = set()
    for path in paths:
        parent = posixpath.dirname(path)
        while parent and parent not in folders:
            folders.add(parent)
            parent = posixpath.dirname(parent)
    return folders

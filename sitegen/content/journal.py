"""Changes to content/ made all at once, whatever happens (a full disk, a read-only folder, kill -9).

A change (what one ``sitegen convert`` writes) goes in four steps, as a
database's write-ahead log does:

1. every new file is written beside its target as a dot-file
   (``.<name>.<random><n>.convert.tmp``). The page loader skips dot-files, so
   nobody reads these. If any write fails, they are removed and content/ is
   exactly as before;
2. they are made durable all at once: on Linux one ``sync()``, which returns
   when everything written is on disk (an fsync per file costs a disk flush
   each, seconds for ten thousand pages); elsewhere each is fsynced as it is
   written, since there ``sync()`` may return sooner. (``sync()`` reports no
   write error, as an fsync would: a disk failing under a convert is not told
   apart from one that did not fail);
3. a journal, ``content/.convert-journal.json``, lists the renames (and a hash
   of what each target held when the change was planned), and is fsynced;
4. the renames are done, then the journal is deleted.

So a power cut keeps each page old or new: no rename is journalled before
the data it puts in place is on disk.

Whoever finds a journal (the next convert, or a build before it reads a page)
finishes it first: the renames whose temporary file is still there are done,
so content/ is then exactly what the interrupted run would have left. A target
that no longer holds what the journal says it held (a person edited it since)
is kept and its temporary dropped. A journal that does not parse was never
completely written, so no rename of it ever happened: it is dropped.

Only names inside content/ are ever renamed onto: a journal is input like any
other file, and one naming anything else is not followed.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import secrets
import stat
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from sitegen.config import Config
from sitegen.errors import SourceError
from sitegen.fsutil import STATE_DIR, state_folder
from sitegen.model import Loc, Notice

JOURNAL = ".convert-journal.json"
TEMPORARY_SUFFIX = ".convert.tmp"
LOCK = "convert.lock"
"""In the project's state folder: one change to content/ at a time."""
_KIND = "sitegen-convert-journal"
_VERSION = 1
_HEX = re.compile(r"[0-9a-f]{64}")
_UMASK = os.umask(0)
os.umask(_UMASK)
_SYNC_ONCE = sys.platform.startswith("linux") and hasattr(os, "sync")
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True, slots=True)
class _Rename:
    temporary: Path
    target: Path
    before: str | None
    """sha256 of what the target held when the change was planned; None when it did not exist."""


@dataclass(slots=True)
class Transaction:
    """One all-or-nothing change to files under ``content``: ``stage`` every file, then ``commit``."""

    content: Path
    _staged: list[_Rename] = field(default_factory=list)
    _made: list[Path] = field(default_factory=list)
    _journal_written: bool = False
    _ready: set[Path] = field(default_factory=set)
    """Folders known to exist (made or found), not looked at again for the next file."""
    _token: str = field(default_factory=lambda: secrets.token_hex(4))
    _count: int = 0

    def stage(self, target: Path, data: bytes, before: str | None) -> None:
        """Write ``data`` beside ``target`` (durable once ``commit`` has synced). On failure everything staged is
        removed and a SourceError names ``target``. ``before`` is the sha256 of the target's current bytes (None: absent)."""
        if not target.is_relative_to(self.content):
            raise ValueError(f"{target} is not in {self.content}")
        try:
            self._make_folders(target.parent)
            handle, temporary = self._create(target)
        except OSError as error:
            self.discard()
            raise _cannot_write(target, error) from None
        self._staged.append(_Rename(temporary, target, before))
        try:
            with os.fdopen(handle, "wb") as stream:
                stream.write(data)
                stream.flush()
                if not _SYNC_ONCE:
                    os.fsync(stream.fileno())
        except OSError as error:
            self.discard()
            raise _cannot_write(target, error) from None
        except BaseException:
            self.discard()
            raise

    def commit(self) -> None:
        """Make the staged files durable, journal the renames, do them, delete the journal. If the journal
        cannot be written or the first rename fails, nothing changed and everything staged is removed; a
        failure after that leaves the journal for the next run to finish."""
        if not self._staged:
            return
        journal = self.content / JOURNAL
        try:
            if _SYNC_ONCE:
                os.sync()
            sync_folders(item.target.parent for item in self._staged)
            self._write_journal(journal)
        except OSError as error:
            self.discard()
            raise _cannot_write(journal, error) from None
        except BaseException:
            self.discard()
            raise
        for done, item in enumerate(self._staged):
            try:
                os.replace(item.temporary, item.target)
            except OSError as error:
                reason = error.strerror or str(error)
                if done == 0:
                    self.discard()
                    raise _cannot_write(item.target, error) from None
                left = len(self._staged) - done
                raise SourceError(
                    Loc(item.target),
                    f"cannot write: {reason}; {left} of {len(self._staged)} files are not in place yet, "
                    "the next sitegen convert or build puts them there",
                ) from None
        sync_folders(item.target.parent for item in self._staged)
        _remove_journal(journal)
        self._staged.clear()

    def discard(self) -> None:
        """Remove every temporary file, folder and journal this transaction made (best effort)."""
        for item in self._staged:
            _unlink(item.temporary)
        self._staged.clear()
        if self._journal_written:
            _unlink(self.content / JOURNAL)
            self._journal_written = False
        for folder in reversed(self._made):
            try:
                folder.rmdir()
            except OSError:
                pass
        self._made.clear()
        self._ready.clear()

    def _create(self, target: Path) -> tuple[int, Path]:
        """A new file beside ``target`` named as journals and ``remove_temporaries`` expect; a counter,
        not mkstemp's random name per file, and the umask's mode (mkstemp's 0600 would hide pages from
        web servers), since a convert makes ten thousand."""
        for _ in range(100):
            self._count += 1
            temporary = target.parent / f".{target.name}.{self._token}{self._count}{TEMPORARY_SUFFIX}"
            try:
                return os.open(temporary, _CREATE, 0o666), temporary
            except FileExistsError:
                self._token = secrets.token_hex(4)
        raise FileExistsError(errno.EEXIST, "no free name for a temporary file", str(target))

    def _make_folders(self, folder: Path) -> None:
        if folder in self._ready:
            return
        missing: list[Path] = []
        while not folder.is_dir() and folder != folder.parent:
            missing.append(folder)
            folder = folder.parent
        for made in reversed(missing):
            made.mkdir()
            self._made.append(made)
        self._ready.update(missing, [folder])

    def _write_journal(self, journal: Path) -> None:
        renames = [
            {
                "from": item.temporary.relative_to(self.content).as_posix(),
                "to": item.target.relative_to(self.content).as_posix(),
                "before": item.before,
            }
            for item in self._staged
        ]
        data = json.dumps({"sitegen": _KIND, "version": _VERSION, "renames": renames}, ensure_ascii=False, indent=1)
        # Created in place, not renamed: one that exists is never replaced, and one cut short by a
        # kill does not parse, which says that no rename of it happened.
        handle = os.open(journal, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o666 & ~_UMASK)
        self._journal_written = True
        with os.fdopen(handle, "wb") as stream:
            stream.write(data.encode("utf-8"))
            stream.flush()
            os.fsync(stream.fileno())
        sync_folders([journal.parent])


def recover(config: Config) -> list[Notice]:
    """Finish a convert that was interrupted, if there is one; cheap when there is none.

    ``sitegen build`` calls this before it reads a page, so it never reads half a convert.
    """
    content = config.path("content_dir")
    if not os.path.lexists(content / JOURNAL):
        return []
    with locked(config, wait=True):  # a convert still running holds it until its journal is gone
        return finish(content)


def finish(content: Path, folders: Iterable[Path] = ()) -> list[Notice]:
    """Finish an interrupted change (the caller holds ``locked``), then remove temporary files that an
    interrupted run left in ``folders`` before it wrote its journal."""
    notices: list[Notice] = []
    journal = content / JOURNAL
    if os.path.lexists(journal):
        renames = _read_journal(journal, content)
        if renames is None:
            notices.append(Notice(Loc(journal), "an interrupted convert had not finished its journal; none of it was applied"))
        else:
            put = 0
            for item in renames:
                if not os.path.lexists(item.temporary):
                    continue  # renamed before the interruption
                if _fingerprint(item.target) != item.before:
                    _unlink(item.temporary)
                    notices.append(Notice(Loc(item.target), "changed since an interrupted convert; kept as is"))
                    continue
                try:
                    os.replace(item.temporary, item.target)
                except OSError as error:
                    raise SourceError(
                        Loc(item.target), f"cannot finish an interrupted convert: {error.strerror or error}"
                    ) from None
                put += 1
            sync_folders(item.target.parent for item in renames)
            notices.append(Notice(Loc(journal), f"finished an interrupted convert ({put} files put in place)"))
        _remove_journal(journal)
    for folder in folders:
        remove_temporaries(folder)
    return notices


def remove_temporaries(folder: Path) -> None:
    """Delete the ``.*.convert.tmp`` files in ``folder``: left by a run killed before its journal."""
    try:
        with os.scandir(folder) as scan:
            names = [entry.name for entry in scan if _is_temporary(entry.name) and entry.is_file(follow_symlinks=False)]
    except (FileNotFoundError, NotADirectoryError):
        return
    except OSError as error:
        raise SourceError(Loc(folder), f"cannot read: {error.strerror or error}") from None
    for name in names:
        _unlink(folder / name)


@contextmanager
def locked(config: Config, *, wait: bool) -> Iterator[None]:
    """Hold the project's convert lock; without ``wait`` a lock someone holds is an error saying so."""
    try:
        import fcntl
    except ImportError:  # not on POSIX: no lock
        yield
        return
    path = config.root / STATE_DIR / LOCK
    try:
        path = state_folder(config.root) / LOCK
        handle = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o644)
    except OSError as error:
        raise SourceError(Loc(path), f"cannot lock the content folder: {error.strerror or error}") from None
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except OSError as error:
            if error.errno in (errno.EAGAIN, errno.EACCES):
                raise SourceError(
                    Loc(path), "another sitegen convert is changing content/ now; run this again when it has finished"
                ) from None
            raise SourceError(Loc(path), f"cannot lock the content folder: {error.strerror or error}") from None
        yield
    finally:
        os.close(handle)


def sync_folders(folders: Iterable[Path]) -> None:
    """fsync folders, so the names just made or renamed in them survive a power cut (best effort)."""
    for folder in dict.fromkeys(folders):
        try:
            handle = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        except OSError:
            continue
        try:
            os.fsync(handle)
        except OSError:
            pass  # some file systems cannot sync a folder
        finally:
            os.close(handle)


def _read_journal(journal: Path, content: Path) -> list[_Rename] | None:
    """The renames of a complete journal that names only files inside content/; None otherwise."""
    try:
        with open(journal, "rb") as stream:
            if not stat.S_ISREG(os.fstat(stream.fileno()).st_mode):
                return None
            document = json.loads(stream.read(1 << 24).decode("utf-8"))
    except FileNotFoundError:
        return []
    except (ValueError, UnicodeDecodeError, RecursionError, IsADirectoryError):
        return None
    except OSError as error:
        raise SourceError(Loc(journal), f"cannot read: {error.strerror or error}") from None
    if not isinstance(document, dict) or document.get("sitegen") != _KIND or document.get("version") != _VERSION:
        return None
    entries = document.get("renames")
    if not isinstance(entries, list):
        return None
    renames: list[_Rename] = []
    for entry in entries:
        rename = _rename(entry, content)
        if rename is None:
            return None
        renames.append(rename)
    return renames


def _rename(entry: Any, content: Path) -> _Rename | None:
    if not isinstance(entry, dict):
        return None
    source, target, before = entry.get("from"), entry.get("to"), entry.get("before")
    if not (isinstance(source, str) and isinstance(target, str) and _inside(target) and _inside(source)):
        return None
    if not (before is None or isinstance(before, str) and _HEX.fullmatch(before)):
        return None
    source_path, target_path = PurePosixPath(source), PurePosixPath(target)
    if source_path.parent != target_path.parent:
        return None
    if not (source_path.name.startswith(f".{target_path.name}.") and _is_temporary(source_path.name)):
        return None
    folder = content.joinpath(*target_path.parent.parts)
    try:
        if not folder.resolve().is_relative_to(content.resolve()):
            return None  # a link out of content/
    except (OSError, RuntimeError):
        return None
    return _Rename(folder / source_path.name, folder / target_path.name, before)


def _inside(relative: str) -> bool:
    """A relative path of plain names, so joined to content/ it stays in content/."""
    if not relative or "\\" in relative or "\x00" in relative or relative.startswith("/"):
        return False
    return all(part not in ("", ".", "..") for part in relative.split("/"))


def _is_temporary(name: str) -> bool:
    return name.startswith(".") and name.endswith(TEMPORARY_SUFFIX)


def _fingerprint(path: Path) -> str | None:
    """sha256 of a regular file's bytes, None when nothing is there, '' for anything else."""
    if not os.path.lexists(path):
        return None
    try:
        with open(path, "rb", opener=lambda name, flags: os.open(name, flags | os.O_NONBLOCK)) as stream:
            if not stat.S_ISREG(os.fstat(stream.fileno()).st_mode):
                return ""
            return sha256(stream.read())
    except OSError:
        return ""


def _remove_journal(journal: Path) -> None:
    try:
        journal.unlink(missing_ok=True)
    except OSError as error:
        raise SourceError(Loc(journal), f"cannot remove the finished journal: {error.strerror or error}") from None
    sync_folders([journal.parent])


def _unlink(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError:
        pass


def _cannot_write(path: Path, error: OSError) -> SourceError:
    return SourceError(Loc(path), f"cannot write: {error.strerror or error}; nothing was changed")

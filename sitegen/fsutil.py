"""Small file-system helpers shared by the shells: atomic writes and strict text reads.

A source is read only if it is a regular file: a FIFO would block a build for
ever and ``/dev/zero`` would fill the memory, so both are told apart before a
byte is read (the file is opened without blocking and checked on its own
descriptor, so nothing can be swapped in between). A link may point anywhere
inside the project, never out of it: what a page links to gets published.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from sitegen.errors import SourceError
from sitegen.model import Loc

_UMASK = os.umask(0)
os.umask(_UMASK)

STATE_DIR = ".sitegen"
"""The project's state folder: build caches, the spare tree, backups. Never published, never tracked."""
_CACHEDIR_TAG = b"""Signature: 8a477f597d28d172789f06886806bc55
# This file is a cache directory tag created by sitegen.
# For information about cache directory tags see https://bford.info/cachedir/
"""
_STATE_GITIGNORE = b"# Created by sitegen: build state, never published.\n*\n"


class NotAFile(SourceError):
    """A FIFO, device or socket where a text file was expected: skipped with a warning, never read."""


def atomic_write(path: Path, data: bytes, *, durable: bool = False) -> None:
    """Write through a temporary file and a rename, so readers never see half a file.

    ``durable`` also fsyncs, for files people edit (a power cut keeps the old or the new page).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(handle, 0o666 & ~_UMASK)  # mkstemp's 0600 would hide pages from web servers
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            if durable:
                stream.flush()
                os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def state_folder(project: Path) -> Path:
    """``project/.sitegen``, made on first use with a CACHEDIR.TAG and a .gitignore of its own
    (as mypy's and pytest's caches are), so backup tools and git leave it out. Raises OSError."""
    folder = project / STATE_DIR
    folder.mkdir(exist_ok=True)
    for name, data in (("CACHEDIR.TAG", _CACHEDIR_TAG), (".gitignore", _STATE_GITIGNORE)):
        if not (folder / name).is_file():
            atomic_write(folder / name, data)
    return folder


def read_text(path: Path, *, limit: int | None = None, inside: Path | None = None) -> str:
    """A UTF-8 text file's contents, or a SourceError that says why it cannot be read.

    ``limit`` caps the size in bytes; ``inside`` is the folder a link may not lead out of.
    """
    return decode_text(read_bytes(path, limit=limit, inside=inside), path)


def read_bytes(path: Path, *, limit: int | None = None, inside: Path | None = None) -> bytes:
    loc = Loc(path)
    try:
        if inside is not None and os.path.islink(path):
            real = path.resolve()
            if not real.is_relative_to(inside.resolve()):
                raise SourceError(loc, f"is a link to {real}, outside the project; refusing to read it")
        handle = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise SourceError(loc, "no such file") from None
    except IsADirectoryError:
        raise SourceError(loc, "is a directory, not a text file") from None
    except (OSError, RuntimeError) as error:
        raise SourceError(loc, f"cannot read: {getattr(error, 'strerror', None) or error}") from None
    try:
        status = os.fstat(handle)
        if stat.S_ISDIR(status.st_mode):
            raise SourceError(loc, "is a directory, not a text file")
        if not stat.S_ISREG(status.st_mode):
            raise NotAFile(loc, f"is a {_kind(status.st_mode)}, not a regular file; skipped")
        if limit is not None and status.st_size > limit:
            raise SourceError(loc, f"is {_size(status.st_size)}; files are read up to {_size(limit)} (max_page_kib)")
        chunks: list[bytes] = []
        total = 0
        while chunk := os.read(handle, 1 << 20):
            chunks.append(chunk)
            total += len(chunk)
            if limit is not None and total > limit:
                raise SourceError(loc, f"grew past {_size(limit)} while being read (max_page_kib)")
        return b"".join(chunks)
    except OSError as error:
        raise SourceError(loc, f"cannot read: {error.strerror or error}") from None
    finally:
        os.close(handle)


def decode_text(data: bytes, path: Path) -> str:
    """Bytes of a text file as text; a NUL byte (a binary file) or bytes that are not UTF-8 are errors with their line."""
    nul = data.find(b"\x00")
    if nul >= 0:
        line = data.count(b"\n", 0, nul) + 1
        raise SourceError(Loc(path, line), "binary data (a NUL byte), not a text file")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise SourceError(Loc(path, line), f"not UTF-8 text (byte {data[error.start]:#04x}); save the file as UTF-8") from None


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "FIFO"
    if stat.S_ISSOCK(mode):
        return "socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device"
    return "special file"


def _size(size: int) -> str:
    return f"{size / 1048576:.1f} MiB" if size >= 1048576 else f"{size / 1024:.0f} KiB" if size >= 1024 else f"{size} B"

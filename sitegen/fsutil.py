"""Small file-system helpers shared by the shells: atomic writes and strict text reads."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from sitegen.errors import SourceError
from sitegen.model import Loc

_UMASK = os.umask(0)
os.umask(_UMASK)


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


def read_text(path: Path) -> str:
    """A UTF-8 text file's contents, or a SourceError that says why it cannot be read."""
    loc = Loc(path)
    if path.is_dir():
        raise SourceError(loc, "is a directory, not a text file")
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise SourceError(loc, "no such file") from None
    except OSError as error:
        raise SourceError(loc, f"cannot read: {error.strerror or error}") from None
    if b"\x00" in data:
        raise SourceError(loc, "binary data, not a text file")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise SourceError(Loc(path, line), f"not UTF-8 text (byte {data[error.start]:#04x}); save the file as UTF-8") from None

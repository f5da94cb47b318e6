"""Where a build keeps what it leaves for the next: `.sitegen/` in the project, never in the output.

Shaped after mypy's and pytest's caches: a folder beside the project, tagged
with a CACHEDIR.TAG and git-ignored by a `.gitignore` of its own, one subfolder
per output folder (`.sitegen/builds/<name>/`). Nothing in it is trusted: every
file carries its kind, version and the sha256 of its payload, and one that
does not check out is ignored with a warning, so deleting `.sitegen/` or any
file in it costs one full build, nothing else. A lock file keeps two builds
from writing one output folder at once.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sitegen.errors import OutputError
from sitegen.fsutil import STATE_DIR, atomic_write, state_folder

_UNSAFE = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True, slots=True)
class BuildState:
    """The state folder of one output folder."""

    folder: Path
    """``.sitegen/builds/<name>/``: caches, the spare tree, the lock."""
    output: Path

    def file(self, name: str) -> Path:
        return self.folder / name


def build_state(project: Path, output: Path) -> BuildState:
    """The state folder for ``output``: named after its path inside the project, or after a hash of
    its absolute path when it lies elsewhere; made (tagged and git-ignored) when missing."""
    resolved = output.resolve()
    try:
        relative = resolved.relative_to(project.resolve()).as_posix()
        name = _UNSAFE.sub("-", relative.lower()).strip("-") or "root"
        name += "-" + hashlib.sha1(relative.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    except ValueError:
        name = "elsewhere-" + hashlib.sha1(str(resolved).encode("utf-8", "surrogatepass")).hexdigest()[:12]
    try:
        folder = state_folder(project) / "builds" / name
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise OutputError(f"{project / STATE_DIR}: cannot keep build state here: {error.strerror or error}") from None
    return BuildState(folder, output)


@contextmanager
def locked(state: BuildState, waiting: Callable[[str], None] = lambda message: print(message, file=sys.stderr)) -> Iterator[None]:
    """Hold the output folder's lock: a second build into it waits for the first (git's index.lock, but waiting)."""
    try:
        import fcntl
    except ImportError:  # not on POSIX: no lock, as before
        yield
        return
    path = state.file("lock")
    try:
        handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as error:
        raise OutputError(f"{path}: cannot lock the build: {error.strerror or error}") from None
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as error:
            if error.errno not in (errno.EAGAIN, errno.EACCES):
                raise
            waiting(f"waiting for another sitegen build into {state.output} to finish")
            fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        os.close(handle)


class StateUnreadable(ValueError):
    """A state file that is missing a header, has a wrong kind or version, or fails its checksum."""


def read_state(path: Path, kind: str, version: int) -> Any:
    """The payload of a state file; None when there is none; StateUnreadable when it does not check out."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as error:
        raise StateUnreadable(f"cannot be read ({error.strerror or error})") from None
    header, newline, payload = data.partition(b"\n")
    try:
        meta = json.loads(header)
    except (ValueError, UnicodeDecodeError):
        raise StateUnreadable("has no header") from None
    if not isinstance(meta, dict) or meta.get("sitegen") != kind:
        raise StateUnreadable(f"is not a {kind} file")
    if meta.get("version") != version:
        raise StateUnreadable(f"is from another version of sitegen ({meta.get('version')!r}, not {version})")
    if not newline or meta.get("sha256") != hashlib.sha256(payload).hexdigest():
        raise StateUnreadable("is damaged (its checksum does not match)")
    try:
        return json.loads(payload)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise StateUnreadable("is damaged (not JSON)") from None


def write_state(path: Path, kind: str, version: int, payload: Any) -> None:
    """Write a state file atomically; a failure (disk full) raises OSError for the caller to weigh."""
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "surrogatepass")
    header = json.dumps({"sitegen": kind, "version": version, "sha256": hashlib.sha256(body).hexdigest()})
    atomic_write(path, header.encode("ascii") + b"\n" + body)

"""A build with nothing to do, known in a fraction of a second: no input changed since the last build, and
the output folder is as that build left it. Then that build's report is given again, its warnings included.

The inputs are everything a build reads: sitegen's code and the versions of
what it builds with, the configuration, the bytes of every template and theme
file, and each page file's name, size and modification time (what the parse
cache trusts too). The output is checked as a build would check it: each
file's size, modification time and inode, and each folder's modification time
and inode, so a file edited, replaced, added or removed by hand makes the build
run (adding or removing an entry changes its folder's modification time).
Anything that does not check out, a missing or damaged record included, only
means the build runs as usual.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
import sys
from collections.abc import Iterable, Mapping, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

from sitegen.build.fingerprint import code_digest
from sitegen.build.output import MARKER
from sitegen.build.state import BuildState, StateUnreadable, read_state, write_state
from sitegen.config import Config
from sitegen.model import Loc, Notice

RECORD = "last-build.json"
_VERSION = 1
_STATE = ("pages.json", "papers.json", "search.json", "related.json", "related-terms.json", "spare.json")
"""The build state a build reads: one changed since (damaged, say) makes the next build read it, and say so."""
_DEPENDENCIES = ("jinja2", "markupsafe", "markdown-it-py", "pyyaml", "lunr", "numpy", "latex2mathml", "pylatexenc")
"""What the output is made with besides sitegen's own code: another version may make other bytes."""


def inputs_key(config: Config, output: Path, drafts: bool) -> str:
    """A digest of everything the build reads (module docstring)."""
    digest = hashlib.sha256()
    digest.update(f"{code_digest()}\0{sys.version}\0{_versions()}\0{config!r}\0{drafts}\0{output.resolve()}\0".encode())
    for option in ("templates_dir", "theme_dir"):
        folder = config.path(option)
        digest.update(f"{option}\0{folder.resolve() if folder.exists() else folder}\0".encode())
        for path in sorted(folder.rglob("*")) if folder.is_dir() else ():
            digest.update(f"{path.relative_to(folder).as_posix()}\0".encode("utf-8", "surrogatepass"))
            if path.is_file() and not path.is_symlink():
                digest.update(hashlib.sha256(path.read_bytes()).digest())
            else:
                digest.update(repr(path.lstat()).encode())
    try:
        with os.scandir(config.papers_dir) as scan:
            names = sorted(entry.name for entry in scan if entry.name.endswith(".md"))
    except OSError as error:
        names = []
        digest.update(f"no pages: {error}".encode("utf-8", "surrogatepass"))
    for name in names:
        try:
            status = os.stat(os.path.join(config.papers_dir, name))
            seen = f"{status.st_mode}\0{status.st_size}\0{status.st_mtime_ns}\0{status.st_ino}"
        except OSError as error:  # a dangling link, say: the build reports it
            seen = str(error)
        digest.update(f"{name}\0{seen}\n".encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


def _versions() -> str:
    found = []
    for name in _DEPENDENCIES:
        try:
            found.append(f"{name}={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            found.append(f"{name}=none")
    return " ".join(found)


def unchanged_report(state: BuildState, key: str) -> dict[str, Any] | None:
    """The last build's report when its inputs had ``key`` and its output is as it left it, else None."""
    try:
        record = read_state(state.file(RECORD), "last-build", _VERSION)
    except StateUnreadable:
        return None
    try:
        if not isinstance(record, dict) or record.get("key") != key:
            return None
        folder = str(state.output)
        for path, (size, mtime_ns, inode) in record["files"].items():
            status = os.lstat(os.path.join(folder, path))
            if not stat.S_ISREG(status.st_mode) or (status.st_size, status.st_mtime_ns, status.st_ino) != (size, mtime_ns, inode):
                return None
        for path, (mtime_ns, inode) in record["folders"].items():
            status = os.lstat(os.path.join(folder, path) if path else folder)
            if not stat.S_ISDIR(status.st_mode) or (status.st_mtime_ns, status.st_ino) != (mtime_ns, inode):
                return None
        if record["state"] != _state_files(state):
            return None
        report = record["report"]
        return {**report, "files": list(record["files"])} if isinstance(report, dict) else None
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return None


def report_notices(report: Mapping[str, Any]) -> tuple[Notice, ...]:
    """The warnings a recorded report gives again; ValueError if they are not what ``record`` wrote."""
    found = []
    for path, line, message in report["notices"]:
        if not isinstance(path, str) or not isinstance(message, str) or not (line is None or isinstance(line, int)):
            raise ValueError("a recorded warning")
        found.append(Notice(Loc(Path(path), line), message))
    return tuple(found)


def record(
    state: BuildState, key: str, files: Iterable[str], records: Mapping[str, tuple[int, int, int]], report: Mapping[str, Any]
) -> None:
    """Remember this build for the next: its inputs' key, the output tree as it is now and its report.

    ``records`` gives (size, mtime_ns, inode) of the files it knows (the page records); every other
    file and every folder is looked at here. A record that cannot be written only costs a build.
    """
    folder = state.output
    tree: dict[str, list[int]] = {}
    folders: dict[str, list[int]] = {}
    try:
        for path in sorted({*files, MARKER}):
            known = records.get(path)
            if known is None:
                status = os.lstat(folder / path)
                known = (status.st_size, status.st_mtime_ns, status.st_ino)
            tree[path] = list(known)
            parent = path.rpartition("/")[0]
            while parent not in folders:
                status = os.lstat(folder / parent if parent else folder)
                folders[parent] = [status.st_mtime_ns, status.st_ino]
                if not parent:
                    break
                parent = parent.rpartition("/")[0]
        payload = {"key": key, "files": tree, "folders": folders, "state": _state_files(state), "report": dict(report)}
        write_state(state.file(RECORD), "last-build", _VERSION, payload)
    except OSError:
        forget(state)


def _state_files(state: BuildState) -> dict[str, list[int] | None]:
    found: dict[str, list[int] | None] = {}
    for name in _STATE:
        try:
            status = os.lstat(state.file(name))
        except FileNotFoundError:
            found[name] = None
        else:
            found[name] = [status.st_size, status.st_mtime_ns, status.st_ino]
    return found


def forget(state: BuildState) -> None:
    """No shortcut for the next build (a preview's builds change the output without recording it)."""
    with contextlib.suppress(OSError):
        os.unlink(state.file(RECORD))


def notices_data(notices: Sequence[Notice]) -> list[list[Any]]:
    return [[str(notice.loc.path), notice.loc.line, notice.message] for notice in notices]

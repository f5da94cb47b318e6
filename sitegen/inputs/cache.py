"""What `sitegen convert` keeps in ``.sitegen/convert/`` so that a run over unchanged inputs does next to nothing.

Converting 10,000 papers parses and tags every listing and reads, merges and renders
every page; a run with nothing new would do it all again to change nothing. So each run
leaves two hints for the next:

* ``run.json``: a fingerprint of everything a run reads (the converter's own code, the
  listings' bytes, the vocabulary, the converter state, the name and bytes of every page)
  and what a run over exactly those inputs reports. A run whose inputs fingerprint the same
  reports that again and writes nothing. After a run that wrote pages, the fingerprint is the
  one of what it left: the next run over it would write nothing, since a page the
  converter wrote, with the listing values it wrote it from and its state record, converts
  to itself (a test converts every case both ways and compares).
* ``tags.json``: the tags of each (title, text) under one vocabulary, so a paper is
  tagged once.

Page bytes are fingerprinted by their sha256; reading 10,000 pages to hash them costs more
than the rest of such a run, so a page's sha256 is kept with its size, modification and
change times and inode, and taken again only when one of those differs. A page changed
within a clock tick of being looked at could keep all four (git's "racily clean" index
entries), so a page is trusted by its stat only when it had not changed for ``_RACY_NS``
before it was looked at (2 s on file systems whose times look coarse).

Both files are hints, never trusted: each carries its kind, version and the sha256 of its
payload, and the type of every value is checked on read; one that does not check out is
ignored with a warning, and the run proceeds from scratch and writes the same bytes.
Deleting ``.sitegen/`` costs one slower run.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sitegen.errors import SourceError
from sitegen.fsutil import atomic_write, read_bytes, state_folder
from sitegen.model import Loc, Notice

FOLDER = "convert"
RUN = "run.json"
TAGS = "tags.json"
_KIND_RUN = "sitegen-convert-run"
_KIND_TAGS = "sitegen-convert-tags"
_VERSION = 1
_RACY_NS = 50_000_000
_COARSE_RACY_NS = 2_000_000_000
_CODE = (
    "sitegen.inputs.convert", "sitegen.inputs.daily_text", "sitegen.inputs.hf_api", "sitegen.inputs.listing",
    "sitegen.inputs.merge", "sitegen.inputs.state", "sitegen.inputs.cache", "sitegen.content.frontmatter",
    "sitegen.content.slugs", "sitegen.content.tags", "sitegen.content.journal", "sitegen.model", "sitegen.text",
)  # fmt: skip
"""The modules whose code decides what a run writes: a changed converter never replays an old outcome."""


class _Unreadable(ValueError):
    """A cache file that is damaged, of another kind or version, or holds a value of the wrong type."""


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a run reported, minus what only that run did (finishing a journal, dropping state entries)."""

    digests: tuple[tuple[Path, int], ...]
    unchanged: tuple[Path, ...]
    kept: tuple[Path, ...]
    notices: tuple[Notice, ...]


@dataclass(frozen=True, slots=True)
class _Seen:
    """A page's stat as last seen, with the sha256 of its bytes then."""

    size: int
    mtime_ns: int
    ctime_ns: int
    inode: int
    sha256: str
    trusted: bool
    """False when the page had changed too shortly before it was looked at to be known by its stat."""


@dataclass(slots=True)
class Pages:
    """The pages folder's files by name, each as a token: the sha256 of a regular file's bytes,
    or what else is there. Tokens come from the stat kept by the last run when it still holds."""

    folder: Path
    root: Path
    previous: Mapping[str, _Seen] = field(default_factory=dict)
    seen: dict[str, _Seen] = field(default_factory=dict)

    def token(self, name: str) -> str:
        path = self.folder / name
        looked = time.time_ns()
        try:
            status = os.lstat(path)
        except FileNotFoundError:
            return "missing"
        except OSError as error:
            return f"unreadable:{error.errno}"
        if not stat.S_ISREG(status.st_mode):
            if not stat.S_ISLNK(status.st_mode):
                return f"other:{stat.S_IFMT(status.st_mode)}"
            try:  # a link: what it leads to, read as convert reads it
                return "link:" + hashlib.sha256(read_bytes(path, inside=self.root)).hexdigest()
            except SourceError as error:
                return f"link-error:{error.message}"
        before = self.previous.get(name)
        if (
            before is not None
            and before.trusted
            and (before.size, before.mtime_ns, before.ctime_ns, before.inode)
            == (status.st_size, status.st_mtime_ns, status.st_ctime_ns, status.st_ino)
        ):
            self.seen[name] = before
            return before.sha256
        try:
            digest = hashlib.sha256(read_bytes(path, inside=self.root)).hexdigest()
        except SourceError as error:
            return f"error:{error.message}"
        self.remember(name, status, digest, looked)
        return digest

    def remember(self, name: str, status: os.stat_result, digest: str, looked: int) -> None:
        """Keep ``digest`` as the bytes of the page whose stat, taken after ``looked``, is ``status``."""
        coarse = status.st_ctime_ns % 1_000_000 == 0
        trusted = looked - status.st_ctime_ns > (_COARSE_RACY_NS if coarse else _RACY_NS)
        self.seen[name] = _Seen(status.st_size, status.st_mtime_ns, status.st_ctime_ns, status.st_ino, digest, trusted)

    def wrote(self, name: str, digest: str) -> None:
        """A page this run just wrote with bytes of ``digest``."""
        looked = time.time_ns()
        try:
            status = os.lstat(self.folder / name)
        except OSError:
            self.seen.pop(name, None)
            return
        if stat.S_ISREG(status.st_mode):
            self.remember(name, status, digest, looked)


def page_names(folder: Path) -> list[str]:
    """The page files convert looks at, by name (``*.md``, as its glob sees them)."""
    return sorted(path.name for path in folder.glob("*.md"))


def fingerprint(parts: Iterable[object]) -> str:
    """One sha256 over the parts of a run's inputs, each written as JSON."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(json.dumps(part, ensure_ascii=False, sort_keys=True).encode("utf-8", "surrogatepass"))
        digest.update(b"\n")
    return digest.hexdigest()


def code_fingerprint() -> str:
    """The sha256 of the converter's source, so an edited or upgraded converter starts afresh."""
    digest = hashlib.sha256(f"{_VERSION}\n".encode())
    for name in _CODE:
        module = sys.modules.get(name)
        source = getattr(module, "__file__", None)
        try:
            digest.update(Path(source).read_bytes() if source else name.encode())
        except OSError:
            digest.update(name.encode())
    return digest.hexdigest()


# --- the files --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RunMemory:
    inputs: str
    outcome: Outcome
    pages: Mapping[str, _Seen]


def read_run(root: Path, notices: list[Notice]) -> tuple[RunMemory | None, Mapping[str, _Seen]]:
    """The last run's memory (None when there is none or it does not check out) and its pages' stats."""
    path = root / ".sitegen" / FOLDER / RUN
    try:
        data = _read(path, _KIND_RUN)
        if data is None:
            return None, {}
        memory = _run_memory(data)
    except _Unreadable as problem:
        notices.append(Notice(Loc(path), f"ignored the convert cache: it {problem}; converting from scratch"))
        return None, {}
    return memory, memory.pages


def write_run(root: Path, memory: RunMemory, notices: list[Notice]) -> None:
    outcome = memory.outcome
    payload = {
        "inputs": memory.inputs,
        "digests": [[str(path), count] for path, count in outcome.digests],
        "unchanged": [str(path) for path in outcome.unchanged],
        "kept": [str(path) for path in outcome.kept],
        "notices": [[str(notice.loc.path), notice.loc.line, notice.message] for notice in outcome.notices],
        "pages": {
            name: [seen.size, seen.mtime_ns, seen.ctime_ns, seen.inode, seen.sha256, seen.trusted]
            for name, seen in sorted(memory.pages.items())
        },
    }
    _write(root, RUN, _KIND_RUN, payload, notices)


def forget_run(root: Path) -> None:
    """Drop the run memory (a run whose outcome is not worth replaying: errors, --force)."""
    try:
        (root / ".sitegen" / FOLDER / RUN).unlink(missing_ok=True)
    except OSError:
        pass


def read_tags(root: Path, vocabulary: str, notices: list[Notice]) -> dict[str, tuple[str, ...]]:
    """The tags kept for ``vocabulary`` (the sha256 of its file), by ``tag_key``; empty for another one."""
    path = root / ".sitegen" / FOLDER / TAGS
    try:
        data = _read(path, _KIND_TAGS)
        if data is None:
            return {}
        _check(isinstance(data, dict) and isinstance(data.get("vocabulary"), str) and isinstance(data.get("tags"), dict))
        if data["vocabulary"] != vocabulary:
            return {}
        tags: dict[str, tuple[str, ...]] = {}
        for key, value in data["tags"].items():
            _check(isinstance(value, list) and all(isinstance(tag, str) for tag in value))
            tags[key] = tuple(value)
        return tags
    except _Unreadable as problem:
        notices.append(Notice(Loc(path), f"ignored the convert cache: it {problem}; tagging from scratch"))
        return {}


def write_tags(root: Path, vocabulary: str, tags: Mapping[str, Sequence[str]], notices: list[Notice]) -> None:
    _write(root, TAGS, _KIND_TAGS, {"vocabulary": vocabulary, "tags": {key: list(value) for key, value in tags.items()}}, notices)


def tag_key(title: str, text: str) -> str:
    return hashlib.blake2b(f"{title}\0{text}".encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def _run_memory(data: Any) -> RunMemory:
    _check(isinstance(data, dict) and isinstance(data.get("inputs"), str))
    digests = data.get("digests")
    _check(isinstance(digests, list) and all(_pair(item, str, int) for item in digests))
    paths = {name: data.get(name) for name in ("unchanged", "kept")}
    _check(all(isinstance(value, list) and all(isinstance(item, str) for item in value) for value in paths.values()))
    notices = data.get("notices")
    _check(isinstance(notices, list))
    for item in notices:
        _check(
            isinstance(item, list) and len(item) == 3 and isinstance(item[0], str)
            and (item[1] is None or _integer(item[1])) and isinstance(item[2], str)
        )  # fmt: skip
    pages = data.get("pages")
    _check(isinstance(pages, dict))
    seen: dict[str, _Seen] = {}
    for name, value in pages.items():
        _check(
            isinstance(value, list) and len(value) == 6 and all(_integer(number) for number in value[:4])
            and isinstance(value[4], str) and isinstance(value[5], bool)
        )  # fmt: skip
        seen[name] = _Seen(*value)
    outcome = Outcome(
        tuple((Path(path), count) for path, count in digests),
        tuple(Path(path) for path in paths["unchanged"]),
        tuple(Path(path) for path in paths["kept"]),
        tuple(Notice(Loc(Path(path), line), message) for path, line, message in notices),
    )
    return RunMemory(data["inputs"], outcome, seen)


def _pair(item: Any, first: type, second: type) -> bool:
    return isinstance(item, list) and len(item) == 2 and isinstance(item[0], first) and _integer(item[1])


def _integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check(condition: bool) -> None:
    if not condition:
        raise _Unreadable("holds a value of the wrong type")


def _read(path: Path, kind: str) -> Any:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as error:
        raise _Unreadable(f"cannot be read ({error.strerror or error})") from None
    header, newline, payload = data.partition(b"\n")
    try:
        meta = json.loads(header)
    except (ValueError, UnicodeDecodeError):
        raise _Unreadable("has no header") from None
    if not isinstance(meta, dict) or meta.get("sitegen") != kind:
        raise _Unreadable(f"is not a {kind} file")
    if meta.get("version") != _VERSION:
        return None  # another version's: simply not ours to read
    if not newline or meta.get("sha256") != hashlib.sha256(payload).hexdigest():
        raise _Unreadable("is damaged (its checksum does not match)")
    try:
        return json.loads(payload)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise _Unreadable("is damaged (not JSON)") from None


def _write(root: Path, name: str, kind: str, payload: Any, notices: list[Notice]) -> None:
    """Write a cache file atomically; a failure costs the next run its speed, so it is only a warning."""
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "surrogatepass")
    header = json.dumps({"sitegen": kind, "version": _VERSION, "sha256": hashlib.sha256(body).hexdigest()})
    try:
        folder = state_folder(root) / FOLDER
        folder.mkdir(exist_ok=True)
        atomic_write(folder / name, header.encode("ascii") + b"\n" + body)
    except OSError as error:
        notices.append(Notice(Loc(root / ".sitegen" / FOLDER / name), f"cannot keep the convert cache: {error.strerror or error}"))

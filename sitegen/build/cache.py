"""What one build leaves for the next in its state folder: parsed pages, output records, the search files' record.

All are only ever hints, checked on read (state.py checks kind, version and
checksum; this module checks every value's type), and a cache that does not
check out is ignored with one warning: the build then proceeds as a fresh one
and writes the same bytes. A page is re-read when its size or modification
time differs; an output file is re-rendered when its fingerprint, size,
modification time or inode differs from what was recorded, so a hand-edited or
replaced output file is repaired by the next build.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import os
import stat
import types
import typing
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np

from sitegen.build.state import BuildState, StateUnreadable, read_state, write_state
from sitegen.content.slugs import is_slug
from sitegen.model import Loc, Notice, Paper
from sitegen.search.related import RELATED, Lists, PaperKey, RelatedMemory, Terms

PAGES_CACHE = "pages.json"
PAPERS_CACHE = "papers.json"
SEARCH_CACHE = "search.json"
RELATED_CACHE = "related.json"
"""Related papers: the lists (read by every build)."""
RELATED_TERMS_CACHE = "related-terms.json"
"""Related papers: term counts and vector digests (read only when a paper changed)."""
_VERSION = 5
_LARGEST = 2**63 - 1


@dataclass(frozen=True, slots=True)
class OutputRecord:
    """How a rendered file looked when it was written."""

    fingerprint: str
    size: int
    mtime_ns: int
    inode: int


def still_there(folder: str | Path, path: str, record: OutputRecord | None, fingerprint: str | None) -> bool:
    """True when ``path`` was written from the same inputs and nobody touched or replaced it since."""
    if record is None or fingerprint is None or record.fingerprint != fingerprint:
        return False
    try:
        status = os.stat(os.path.join(folder, path), follow_symlinks=False)
    except OSError:
        return False
    return (
        stat.S_ISREG(status.st_mode)
        and status.st_size == record.size
        and status.st_mtime_ns == record.mtime_ns
        and status.st_ino == record.inode
    )


def page_records(
    folder: Path,
    fingerprints: Mapping[str, str | None],
    previous: Mapping[str, OutputRecord],
    written: Iterable[str],
) -> dict[str, OutputRecord]:
    """The records of this build's files as they are now: a file it did not write keeps its record, unless it
    was replaced since by the same bytes (the build found it so), which would otherwise be rendered every time."""
    rewritten = set(written)
    pages: dict[str, OutputRecord] = {}
    for path, fingerprint in sorted(fingerprints.items()):
        if fingerprint is None:
            continue
        record = previous.get(path)
        try:
            status = os.stat(os.path.join(folder, path), follow_symlinks=False)
        except OSError:
            continue
        if (
            path in rewritten
            or record is None
            or (record.fingerprint, record.size, record.mtime_ns, record.inode) != (fingerprint, status.st_size, status.st_mtime_ns, status.st_ino)
        ):
            record = OutputRecord(fingerprint, status.st_size, status.st_mtime_ns, status.st_ino)
        pages[path] = record
    return pages


def read_page_records(state: BuildState, notices: list[Notice]) -> dict[str, OutputRecord]:
    def records(data: Any) -> dict[str, OutputRecord]:
        return {_text(path): OutputRecord(_text(fingerprint), *map(_count, rest)) for path, (fingerprint, *rest) in _mapping(data).items()}

    return _read(state, PAGES_CACHE, records, notices)


def write_page_records(state: BuildState, pages: Mapping[str, OutputRecord], previous: Mapping[str, OutputRecord]) -> None:
    if pages != previous:
        data = {path: [record.fingerprint, record.size, record.mtime_ns, record.inode] for path, record in pages.items()}
        _write(state, PAGES_CACHE, data)


@dataclass(frozen=True, slots=True)
class ParsedPage:
    """A valid page as read last time, and the file state it was read from."""

    size: int
    mtime_ns: int
    paper: Paper
    text: str
    """The abstract as plain text, for the search index: Markdown parsing is its slowest input."""
    problems: tuple[tuple[int, str], ...] = ()
    """(file line, message) of the TeX in the abstract shown as written: warned about on every build."""
    html: str | None = None
    """The abstract as HTML when the page was parsed by this build (not kept in the cache: only pages
    to render again need it, and parsing made it anyway)."""


def read_parsed_pages(state: BuildState, papers_dir: Path, notices: list[Notice]) -> dict[str, ParsedPage]:
    """The pages of the last build, keyed by file name, located in ``papers_dir`` (the cache keeps names only)."""

    def pages(data: Any) -> dict[str, ParsedPage]:
        found: dict[str, ParsedPage] = {}
        for name, entry in _mapping(data).items():
            size, mtime_ns, fields, text, problems = _list(entry, 5)
            if not isinstance(name, str) or os.path.basename(name) != name or not name.endswith(".md"):
                raise ValueError(f"page name {name!r}")
            paper = _paper(papers_dir / name, fields)
            found[name] = ParsedPage(_count(size), _count(mtime_ns), paper, _text(text), _problems(problems))
        return found

    return _read(state, PAPERS_CACHE, pages, notices)


def _problems(value: Any) -> tuple[tuple[int, str], ...]:
    if not isinstance(value, list):
        raise TypeError(f"expected a list of problems, not {value!r:.60}")
    return tuple((_count(line), _text(message)) for line, message in (_list(item, 2) for item in value))


def write_parsed_pages(state: BuildState, pages: Mapping[str, ParsedPage], previous: Mapping[str, ParsedPage]) -> None:
    """Rewrite the cache unless every page was read from it (same names, sizes and mtimes)."""
    if pages.keys() == previous.keys() and all(
        (page.size, page.mtime_ns) == (previous[name].size, previous[name].mtime_ns) for name, page in pages.items()
    ):
        return
    papers = {
        name: [page.size, page.mtime_ns, _encode(page.paper), page.text, [list(problem) for problem in page.problems]]
        for name, page in sorted(pages.items())
    }
    _write(state, PAPERS_CACHE, papers)


def read_search_record(state: BuildState, notices: list[Notice]) -> dict[str, Any]:
    """What the last build recorded of its search files: a key, and each file's two sizes and digest."""

    def record(data: Any) -> dict[str, Any]:
        files = {_text(path): [_count(raw), _count(gzipped)] for path, (raw, gzipped) in _mapping(data["files"]).items()}
        digests = {_text(path): _text(digest) for path, digest in _mapping(data.get("digests", {})).items()}
        return {"key": _text(data["key"]), "files": files, "digests": digests}

    return _read(state, SEARCH_CACHE, lambda data: record(_mapping(data)) if data else {}, notices)


def write_search_record(state: BuildState, record: Mapping[str, Any], previous: Mapping[str, Any]) -> None:
    if record != previous:
        _write(state, SEARCH_CACHE, dict(record))


# --- related papers (sitegen/search/related.py): the lists, and the counts an update starts from -----

_RELATED_FORMAT = 2
"""Arrays are little-endian numbers in base64: a tenth of the time of JSON lists of a million numbers."""


def read_related(state: BuildState, notices: list[Notice]) -> RelatedMemory | None:
    """The last build's related-paper lists (without their `Terms`: ``read_related_terms``), or None."""

    def memory(data: Any) -> RelatedMemory:
        data = _mapping(data)
        _related_format(data)
        positions, scores = _array(data["positions"], "<i4"), _array(data["scores"], "<i8")
        if len(positions) != len(scores) or len(positions) % RELATED:
            raise ValueError("related lists of unequal lengths")
        rows = len(positions) // RELATED
        if len(positions) and (positions.min() < -1 or positions.max() >= rows or scores.min() < 0):
            raise ValueError("related lists: a position or score out of range")
        lists = Lists(positions.astype(np.int32).reshape(rows, RELATED), scores.astype(np.int64).reshape(rows, RELATED))
        return RelatedMemory(_text(data["key"]), _text(data["terms_key"]), lists)

    found = _read(state, RELATED_CACHE, lambda data: memory(data) if data else None, notices)
    return found if isinstance(found, RelatedMemory) else None


def read_related_terms(state: BuildState, notices: list[Notice]) -> Terms | None:
    """The counts and vector digests the last related-papers computation kept, or None."""

    def terms(data: Any) -> Terms:
        data = _mapping(data)
        _related_format(data)
        vocabulary = [_text(term) for term in _sequence(data["vocabulary"])]
        papers, vectors = [], []
        for row in _sequence(data["papers"]):
            slug, text, order, candidate, vector = _list(row, 5)
            if not is_slug(_text(slug)) or not isinstance(candidate, bool):
                raise ValueError(f"related row {row!r:.60}")
            papers.append(PaperKey(slug, _text(text), _text(order), candidate))
            vectors.append(bytes.fromhex(_text(vector)))
        lengths, ids, frequencies = (_array(data[name], "<i4").astype(np.int64) for name in ("lengths", "terms", "counts"))
        if len(lengths) != len(papers) or len(ids) != len(frequencies) or int(lengths.sum()) != len(ids):
            raise ValueError("related counts of unequal lengths")
        if len(ids) and (lengths.min() < 0 or ids.min() < 0 or ids.max() >= len(vocabulary) or frequencies.min() < 1):
            raise ValueError("related counts: a term or count out of range")
        bounds = [0, *np.cumsum(lengths).tolist()]
        counts = [(ids[a:b], frequencies[a:b]) for a, b in pairwise(bounds)]
        return Terms(_text(data["key"]), vocabulary, papers, counts, vectors)

    found = _read(state, RELATED_TERMS_CACHE, lambda data: terms(data) if data else None, notices)
    return found if isinstance(found, Terms) else None


def write_related(state: BuildState, memory: RelatedMemory, previous: RelatedMemory | None) -> None:
    """Write what changed since ``previous`` (what was read): the lists when any paper changed, the terms
    when a paper changed in a way the lists depend on."""
    if previous is not None and previous.key == memory.key:
        return
    lists = memory.lists
    header = {"format": _RELATED_FORMAT, "key": memory.key, "terms_key": memory.terms_key}
    _write(state, RELATED_CACHE, {**header, "positions": _packed(lists.positions, "<i4"), "scores": _packed(lists.scores, "<i8")})
    terms = memory.terms
    if terms is None or (previous is not None and previous.terms_key == memory.terms_key):
        return
    ids = np.concatenate([ids for ids, _ in terms.counts]) if terms.counts else np.zeros(0, dtype=np.int64)
    used, renumbered = np.unique(ids, return_inverse=True)  # only the terms still in use
    papers = [[paper.slug, paper.text, paper.order, paper.candidate, vector.hex()] for paper, vector in zip(terms.papers, terms.vectors)]
    frequencies = np.concatenate([counts for _, counts in terms.counts]) if terms.counts else ids
    payload = {
        "format": _RELATED_FORMAT,
        "key": terms.key,
        "vocabulary": [terms.vocabulary[number] for number in used.tolist()],
        "papers": papers,
        "lengths": _packed(np.array([len(ids) for ids, _ in terms.counts]), "<i4"),
        "terms": _packed(renumbered, "<i4"),
        "counts": _packed(frequencies, "<i4"),
    }
    _write(state, RELATED_TERMS_CACHE, payload)


def _related_format(data: dict[Any, Any]) -> None:
    if data.get("format") != _RELATED_FORMAT:
        raise ValueError(f"related papers format {data.get('format')!r}")


def _packed(values: Any, kind: str) -> str:
    return base64.b64encode(np.ascontiguousarray(values, dtype=kind).tobytes()).decode("ascii")


def _array(value: Any, kind: str) -> Any:
    """Numbers packed by ``_packed``; ValueError when the text is not that (binascii.Error is one)."""
    data = base64.b64decode(_text(value), validate=True)
    if len(data) % np.dtype(kind).itemsize:
        raise ValueError("packed numbers of a partial length")
    return np.frombuffer(data, dtype=kind)


def _sequence(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise TypeError(f"expected a list, not {type(value).__name__}")
    return value


def _read(state: BuildState, name: str, shape: Callable[[Any], Any], notices: list[Notice]) -> Any:
    path = state.file(name)
    try:
        data = read_state(path, name.removesuffix(".json"), _VERSION)
        return {} if data is None else shape(data)
    except (StateUnreadable, ValueError, TypeError, KeyError, AttributeError, RecursionError) as problem:
        reason = problem if isinstance(problem, StateUnreadable) else f"holds an unexpected value ({problem})"
        notices.append(Notice(Loc(path), f"build cache {reason}; building without it"))
        return {}


def _write(state: BuildState, name: str, payload: Any) -> None:
    """A cache that cannot be written (disk full) only costs the next build time: never an error."""
    try:
        write_state(state.file(name), name.removesuffix(".json"), _VERSION, payload)
    except OSError:
        pass


# --- Paper <-> JSON, every value checked against the field's type --------------------------------


def _encode(paper: Paper) -> list[Any]:
    return [*(encode(getattr(paper, name)) for name, encode, _ in _paper_codec()), paper.loc.line]


def _paper(path: Path, fields: Any) -> Paper:
    codec = _paper_codec()
    values = _list(fields, len(codec) + 1)
    decoded = {name: decode(value) for (name, _, decode), value in zip(codec, values)}
    line = values[-1]
    if line is not None:
        line = _count(line)
    paper = Paper(**decoded, loc=Loc(path, line))
    if not paper.title or not is_slug(paper.slug) or not all(is_slug(tag) for tag in paper.tags):
        raise ValueError(f"page {path.name}: title, slug or tags")
    return paper


_Codec = tuple[Callable[[Any], Any], Callable[[Any], Any]]


@cache
def _paper_codec() -> tuple[tuple[str, Callable[[Any], Any], Callable[[Any], Any]], ...]:
    """Each Paper field (but ``loc``) with its JSON encoder and checking decoder, worked out once from its type:
    a build reads and writes ten thousand papers."""
    hints = _hints(Paper)
    return tuple((f.name, *_codec(hints[f.name])) for f in dataclasses.fields(Paper) if f.name != "loc")


@cache
def _hints(kind: type) -> dict[str, Any]:
    return typing.get_type_hints(kind)


@cache
def _codec(hint: Any) -> _Codec:
    """(encode, decode) for values of the type ``hint`` names; the decoder raises ValueError or TypeError
    for a value of another type: every type a Paper field can have."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = typing.get_args(hint)
        (inner,) = [option for option in options if option is not type(None)]
        encode, decode = _codec(inner)
        if type(None) not in options:
            return encode, decode
        return (lambda value: None if value is None else encode(value)), (lambda value: None if value is None else decode(value))
    if origin is tuple:
        encode_item, decode_item = _codec(typing.get_args(hint)[0])

        def decode_tuple(value: Any) -> tuple[Any, ...]:
            if not isinstance(value, list):
                raise TypeError(f"expected a list, not {value!r:.60}")
            return tuple(map(decode_item, value))

        return (lambda value: [encode_item(item) for item in value]), decode_tuple
    if hint is str:
        return _same, _text
    if hint is bool:
        return _same, _bool
    if hint is int:
        return _same, _count
    if hint is dt.date:
        return (lambda value: value.isoformat()), (lambda value: dt.date.fromisoformat(_text(value)))
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        kind, hints = hint, _hints(hint)
        fields = [(f.name, *_codec(hints[f.name])) for f in dataclasses.fields(hint)]

        def decode_record(value: Any) -> Any:
            return kind(**{name: decode(element) for (name, _, decode), element in zip(fields, _list(value, len(fields)))})

        return (lambda value: [encode(getattr(value, name)) for name, encode, _ in fields]), decode_record
    raise TypeError(f"no cache form for {hint!r}")


def _same(value: Any) -> Any:
    return value


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"expected true or false, not {value!r:.60}")
    return value


def _mapping(value: Any) -> dict[Any, Any]:
    if not isinstance(value, dict):
        raise TypeError(f"expected a mapping, not {type(value).__name__}")
    return value


def _list(value: Any, length: int) -> list[Any]:
    if not isinstance(value, list) or len(value) != length:
        raise ValueError(f"expected a list of {length}, not {value!r:.60}")
    return value


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected text, not {value!r:.60}")
    return value


def _count(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= _LARGEST:
        raise ValueError(f"expected a whole number, not {value!r:.60}")
    return value

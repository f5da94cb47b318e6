"""What one build leaves for the next in the output's cache folder: parsed pages, page fingerprints, search files.

Both are only ever hints. A page is re-read when its size or modification time
differs; an output file is re-rendered when its fingerprint, size or
modification time differs from what was recorded, so a hand-edited output file
is repaired by the next build. A cache that cannot be read is ignored.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sitegen.build.output import read_cache, write_cache
from sitegen.model import Loc, Organisation, Paper

PAGES_CACHE = "pages.json"
PAPERS_CACHE = "papers.json"
SEARCH_CACHE = "search.json"
_VERSION = 3


@dataclass(frozen=True, slots=True)
class OutputRecord:
    """How a rendered file looked when it was written."""

    fingerprint: str
    size: int
    mtime_ns: int


def read_page_records(folder: Path) -> dict[str, OutputRecord]:
    data = _read_json(folder, PAGES_CACHE)
    try:
        return {path: OutputRecord(*record) for path, record in data.get("pages", {}).items()}
    except TypeError:
        return {}


def still_there(folder: str | Path, path: str, record: OutputRecord | None, fingerprint: str | None) -> bool:
    """True when ``path`` was written from the same inputs and nobody touched it since."""
    if record is None or fingerprint is None or record.fingerprint != fingerprint:
        return False
    try:
        status = os.stat(os.path.join(folder, path), follow_symlinks=False)
    except OSError:
        return False
    return status.st_size == record.size and status.st_mtime_ns == record.mtime_ns


def page_records(
    folder: Path,
    fingerprints: Mapping[str, str | None],
    previous: Mapping[str, OutputRecord],
    written: Iterable[str],
) -> dict[str, OutputRecord]:
    """The records of this build's files; files it did not write keep their previous record."""
    rewritten = set(written)
    pages: dict[str, OutputRecord] = {}
    for path, fingerprint in sorted(fingerprints.items()):
        if fingerprint is None:
            continue
        record = previous.get(path)
        if path in rewritten or record is None or record.fingerprint != fingerprint:
            try:
                status = os.stat(os.path.join(folder, path), follow_symlinks=False)
            except OSError:
                continue
            record = OutputRecord(fingerprint, status.st_size, status.st_mtime_ns)
        pages[path] = record
    return pages


def write_page_records(folder: Path, pages: Mapping[str, OutputRecord], previous: Mapping[str, OutputRecord]) -> None:
    if pages != previous:
        data = {path: [record.fingerprint, record.size, record.mtime_ns] for path, record in pages.items()}
        _write_json(folder, PAGES_CACHE, {"version": _VERSION, "pages": data})


@dataclass(frozen=True, slots=True)
class ParsedPage:
    """A valid page as read last time, and the file state it was read from."""

    size: int
    mtime_ns: int
    paper: Paper
    text: str
    """The abstract as plain text, for the search index: Markdown parsing is its slowest input."""


def read_parsed_pages(folder: Path, papers_dir: Path = Path()) -> dict[str, ParsedPage]:
    """The pages of the last build, keyed by file name, located in ``papers_dir`` (the cache keeps names only)."""
    data = _read_json(folder, PAPERS_CACHE)
    pages: dict[str, ParsedPage] = {}
    try:
        for name, (size, mtime_ns, fields, text) in data.get("papers", {}).items():
            pages[name] = ParsedPage(size, mtime_ns, _paper(papers_dir / name, fields), str(text))
    except (TypeError, ValueError, KeyError):
        return {}
    return pages


def write_parsed_pages(folder: Path, pages: Mapping[str, ParsedPage], previous: Mapping[str, ParsedPage]) -> None:
    """Rewrite the cache unless every page was read from it (same names, sizes and mtimes)."""
    if pages.keys() == previous.keys() and all(
        (page.size, page.mtime_ns) == (previous[name].size, previous[name].mtime_ns) for name, page in pages.items()
    ):
        return
    papers = {path: [page.size, page.mtime_ns, _fields(page.paper), page.text] for path, page in sorted(pages.items())}
    _write_json(folder, PAPERS_CACHE, {"version": _VERSION, "papers": papers})


def _fields(paper: Paper) -> dict[str, Any]:
    return {
        "slug": paper.slug,
        "title": paper.title,
        "body": paper.body,
        "date": paper.date.isoformat() if paper.date else None,
        "authors": paper.authors,
        "organisation": [paper.organisation.id, paper.organisation.name] if paper.organisation else None,
        "comments": paper.comments,
        "tags": list(paper.tags),
        "links": list(paper.links),
        "sources": list(paper.sources),
        "draft": paper.draft,
        "line": paper.loc.line,
    }


def _paper(path: Path, fields: dict[str, Any]) -> Paper:
    organisation = fields["organisation"]
    return Paper(
        slug=fields["slug"],
        title=fields["title"],
        body=fields["body"],
        date=dt.date.fromisoformat(fields["date"]) if fields["date"] else None,
        authors=fields["authors"],
        organisation=Organisation(*organisation) if organisation else None,
        comments=fields["comments"],
        tags=tuple(fields["tags"]),
        links=tuple(fields["links"]),
        sources=tuple(fields["sources"]),
        draft=fields["draft"],
        loc=Loc(path, fields["line"]),
    )


def read_search_record(folder: Path) -> dict[str, Any]:
    """What the last build recorded of its search files (search.files.SearchFiles reads it)."""
    raw = read_cache(folder, SEARCH_CACHE)
    try:
        recorded = json.loads(raw or b"{}")
    except (ValueError, UnicodeDecodeError):
        return {}
    return recorded if isinstance(recorded, dict) else {}


def write_search_record(folder: Path, record: Mapping[str, Any]) -> None:
    write_cache(folder, SEARCH_CACHE, json.dumps(record).encode())


def _read_json(folder: Path, name: str) -> dict[str, Any]:
    raw = read_cache(folder, name)
    if raw is None:
        return {}
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return {}
    return data if isinstance(data, dict) and data.get("version") == _VERSION else {}


def _write_json(folder: Path, name: str, data: Mapping[str, Any]) -> None:
    write_cache(folder, name, json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))

"""The converter's memory, ``content/.convert-state.json``: what it last wrote to each page.

Per page (by slug): the title key and arXiv id it matches listings by, the
sha256 of the page it wrote (a page still hashing to it is untouched), a short
hash of every field it wrote (a field no longer hashing to its value was edited
by a person: merge.py keeps it), every listing file it has seen the paper in,
and the listing day of the counts. The file is tracked with content/, one line
per page, so its diffs stay readable. It is input like any other: an entry that
is not a page name with a record of this shape is dropped with one warning.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sitegen.content.slugs import is_slug
from sitegen.errors import SourceError
from sitegen.fsutil import read_bytes
from sitegen.model import Loc, Notice

STATE_FILE = ".convert-state.json"
_SHA256 = re.compile(r"[0-9a-f]{64}")
_SHORT = re.compile(r"[0-9a-f]{12}")


@dataclass(frozen=True, slots=True)
class PageRecord:
    key: str
    sha256: str
    arxiv: str | None = None
    fields: Mapping[str, str] | None = None
    """Field -> value_hash of what was written; None for records of older converters (whole-page only)."""
    sources: tuple[str, ...] = ()
    counted: dt.date | None = None

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"key": self.key, "sha256": self.sha256}
        if self.arxiv:
            data["arxiv"] = self.arxiv
        if self.fields is not None:
            data["fields"] = dict(sorted(self.fields.items()))
        if self.sources:
            data["sources"] = list(self.sources)
        if self.counted:
            data["counted"] = self.counted.isoformat()
        return data


@dataclass(slots=True)
class ConvertState:
    records: dict[str, PageRecord] = field(default_factory=dict)
    original: bytes | None = None
    """The file's bytes as read; None when there was none."""

    def encoded(self) -> bytes:
        lines = [
            f"{json.dumps(slug)}: {json.dumps(record.as_json(), ensure_ascii=False, separators=(',', ':'))}"
            for slug, record in sorted(self.records.items())
        ]
        return ("{\n" + ",\n".join(lines) + "\n}\n").encode("utf-8") if lines else b"{}\n"


def read_state(path: Path, root: Path, notices: list[Notice]) -> ConvertState:
    """The state and its bytes; entries of a shape sitegen does not write are dropped with one warning."""
    if not os.path.lexists(path):
        return ConvertState()
    data = read_bytes(path, inside=root)
    corrupt = "converter state is corrupt; delete it (edited pages then stay protected)"
    try:
        document = json.loads(data.decode("utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise SourceError(Loc(path), corrupt) from None
    if not isinstance(document, dict):
        raise SourceError(Loc(path), corrupt)
    state = ConvertState(original=data)
    bad: list[str] = []
    for slug, value in document.items():
        if not is_slug(slug):
            bad.append(f"{slug[:40]!a} is not a page name")
            continue
        try:
            state.records[slug] = _record(value)
        except (TypeError, ValueError, KeyError):
            bad.append(f"{slug!r} has no record of 'key' and 'sha256'")
    if bad:
        more = f" and {len(bad) - 1} more" if len(bad) > 1 else ""
        notices.append(Notice(Loc(path), f"ignored entries sitegen did not write ({bad[0]}{more}); they are dropped from the state"))
    return state


def _record(value: Any) -> PageRecord:
    if not isinstance(value, dict):
        raise TypeError
    key, sha = value["key"], value["sha256"]
    if not isinstance(key, str) or not isinstance(sha, str) or not _SHA256.fullmatch(sha):
        raise ValueError
    arxiv = value.get("arxiv")
    if arxiv is not None and not isinstance(arxiv, str):
        raise TypeError
    fields = value.get("fields")
    if fields is not None and not (
        isinstance(fields, dict) and all(isinstance(name, str) and isinstance(h, str) and _SHORT.fullmatch(h) for name, h in fields.items())
    ):
        raise ValueError
    sources = value.get("sources", [])
    if not isinstance(sources, list) or not all(isinstance(source, str) for source in sources):
        raise TypeError
    counted = value.get("counted")
    return PageRecord(
        key, sha, arxiv, fields, tuple(sources), dt.date.fromisoformat(counted) if isinstance(counted, str) else None
    )

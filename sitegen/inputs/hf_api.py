"""Hugging Face daily papers API JSON -> listing entries (pure, no I/O).

The `api/daily_papers` endpoint returns a list of entries, one per paper and
listing day; monthly dumps concatenate them. Each entry holds a ``paper``
object with the arXiv id, the title and abstract (hard-wrapped with ``\\n``),
the authors (hidden ones included), ``publishedAt``, ``submittedOnDailyAt``
(the listing day), upvotes, and often ``ai_summary``, ``ai_keywords``,
``githubRepo``, ``projectPage`` and ``organization``; the comment count is
beside it (``numComments``). Every problem of every entry is reported, each
naming the entry's index, its title and the field, so one run shows them all.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sitegen.content.frontmatter import ARXIV
from sitegen.errors import SourceError
from sitegen.inputs.listing import Listing, links_in, unwrap
from sitegen.model import ListingEntry, Loc, Notice, Organisation

_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")
_TIMESTAMP = re.compile(r"(\d{4}-\d{2}-\d{2})(?:[T ][0-9:.]+(?:Z|[+-]\d{2}:?\d{2})?)?")


class _Invalid(ValueError):
    """One field of one entry that cannot be read."""


@dataclass(frozen=True, slots=True)
class _Entry:
    """One entry of the list, with what its messages say about where it is."""

    index: int
    value: Any

    def where(self) -> str:
        paper = self.value.get("paper") if isinstance(self.value, dict) else None
        title = paper.get("title") if isinstance(paper, dict) else None
        shown = f" ({unwrap(title)[:60]!r})" if isinstance(title, str) and title.strip() else ""
        return f"entry {self.index}{shown}"


def looks_like_api_json(text: str) -> bool:
    """A JSON document whose top level is a list: what a daily papers dump is."""
    return text.lstrip("\ufeff \t\r\n").startswith("[")


def parse_api_dump(text: str, path: Path) -> Listing:
    """Every entry of a dump; raises BuildFailed-style SourceErrors (all of them) for a malformed file."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise SourceError(Loc(path, error.lineno), f"not valid JSON: {error.msg} (column {error.colno})") from None
    except RecursionError:
        raise SourceError(Loc(path, 1), "not valid JSON: nested too deeply") from None
    if not isinstance(document, list):
        found = type(document).__name__
        raise SourceError(Loc(path, 1), f"expected the daily papers API format, a JSON list of entries, found a {found}")
    entries: list[ListingEntry] = []
    problems: list[SourceError] = []
    notices: list[Notice] = []
    for index, value in enumerate(document):
        entry = _Entry(index, value)
        try:
            entries.append(_listing_entry(entry, path, notices))
        except _Invalid as problem:
            problems.append(SourceError(Loc(path), f"{entry.where()}: {problem}"))
    if problems:
        raise ApiDumpInvalid(problems)
    if not entries:
        notices.append(Notice(Loc(path), "no papers found in this file"))
    return Listing(tuple(entries), tuple(notices))


class ApiDumpInvalid(SourceError):
    """Every problem of a dump, reported together (the first names the file as any SourceError does)."""

    def __init__(self, problems: list[SourceError]) -> None:
        self.problems = tuple(problems)
        super().__init__(problems[0].loc, problems[0].message)


def _listing_entry(entry: _Entry, path: Path, notices: list[Notice]) -> ListingEntry:
    item = entry.value
    if not isinstance(item, dict):
        raise _Invalid(f"expected an object with a 'paper', found {_kind(item)}")
    paper = _field(item, "paper", _object, required=True)
    title = unwrap(_field(paper, "title", _string, required=True, prefix="paper."))
    if not title:
        raise _Invalid("'paper.title' is empty")
    abstract = _paragraphs(_field(paper, "summary", _string, prefix="paper.") or "")
    arxiv = _field(paper, "id", _string, required=True, prefix="paper.").strip()
    if not ARXIV.fullmatch(arxiv):
        raise _Invalid(f"'paper.id' must be an arXiv id such as 2504.10479, not {arxiv!r}")
    names = [_author(author, position) for position, author in enumerate(_field(paper, "authors", _list, prefix="paper.") or [])]
    organisation = _field(paper, "organization", _organisation, prefix="paper.") or _field(item, "organization", _organisation)
    links = [link for key in ("githubRepo", "projectPage") if (link := _field(paper, key, _url, prefix="paper."))]
    keywords = [" ".join(keyword.split()) for keyword in _field(paper, "ai_keywords", _strings, prefix="paper.") or []]
    if any(not name for name in names):
        notices.append(Notice(Loc(path), f"{entry.where()}: an author without a name is left out"))
    return ListingEntry(
        title=title,
        abstract=abstract,
        loc=Loc(path),
        date=_field(paper, "publishedAt", _date, prefix="paper.") or _field(item, "publishedAt", _date),
        listed=_field(paper, "submittedOnDailyAt", _date, prefix="paper."),
        authors=tuple(name for name in names if name),
        organisation=organisation,
        comments=_field(item, "numComments", _count),
        upvotes=_field(paper, "upvotes", _count, prefix="paper."),
        arxiv=arxiv,
        links=tuple(dict.fromkeys([*links, *links_in(abstract)])),
        summary=unwrap(_field(paper, "ai_summary", _string, prefix="paper.") or ""),
        keywords=tuple(dict.fromkeys(keyword for keyword in keywords if keyword)),
    )


def _field(owner: dict[str, Any], key: str, read: Callable[[Any], Any], required: bool = False, prefix: str = "") -> Any:
    value = owner.get(key)
    if value is None:
        if required:
            raise _Invalid(f"'{prefix}{key}' is missing")
        return None
    try:
        return read(value)
    except _Invalid as problem:
        raise _Invalid(f"'{prefix}{key}' {problem}") from None


def _paragraphs(text: str) -> str:
    """Hard wraps undone, paragraph breaks (a blank line) kept."""
    return "\n\n".join(paragraph for part in _PARAGRAPH_BREAK.split(text) if (paragraph := unwrap(part)))


def _author(value: Any, position: int) -> str:
    if not isinstance(value, dict):
        raise _Invalid(f"'paper.authors[{position}]' must be an object with a 'name', not {_kind(value)}")
    name = value.get("name")
    if name is None:
        return ""
    if not isinstance(name, str):
        raise _Invalid(f"'paper.authors[{position}].name' must be text, not {_kind(name)}")
    return unwrap(name)


def _object(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _Invalid(f"must be an object, not {_kind(value)}")
    return value


def _list(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise _Invalid(f"must be a list, not {_kind(value)}")
    return value


def _string(value: Any) -> str:
    if not isinstance(value, str):
        raise _Invalid(f"must be text, not {_kind(value)}")
    return value


def _strings(value: Any) -> list[str]:
    items = _list(value)
    if not all(isinstance(item, str) for item in items):
        raise _Invalid("must be a list of text")
    return items


def _count(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**53:
        raise _Invalid(f"must be a whole number, not {_kind(value)}")
    return value


def _date(value: Any) -> dt.date:
    match = _TIMESTAMP.fullmatch(_string(value).strip())
    try:
        if match is None:
            raise ValueError
        return dt.date.fromisoformat(match[1])
    except ValueError:
        raise _Invalid(f"must be a date such as 2024-06-25T13:50:56.000Z, not {value!r}") from None


def _url(value: Any) -> str | None:
    text = _string(value).strip()
    if not text:
        return None
    if not re.fullmatch(r"https?://\S+", text):
        raise _Invalid(f"must be an http(s) URL, not {text[:80]!r}")
    return text


def _organisation(value: Any) -> Organisation | None:
    item = _object(value)
    name = item.get("name")
    if not isinstance(name, str) or not name.strip():
        raise _Invalid("must have a 'name'")
    full = item.get("fullname")
    return Organisation(name.strip(), unwrap(full) if isinstance(full, str) and full.strip() else name.strip())


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    names = {dict: "an object", list: "a list", str: "text", bool: "true or false", int: "a number", float: "a number"}
    return f"{names.get(type(value), type(value).__name__)} {json.dumps(value)[:40]}"

"""Digest text -> paper entries: the parser of Daily Papers listing dumps (pure, no I/O).

A digest is page chrome, the listing date, then per paper: a title paragraph, an
abstract paragraph and an optional metadata group (author count or organisation,
a ``·`` line, a date with an optional comment count). Paragraphs are separated by
blank lines; the metadata group is what closes a paper, so a missing abstract
never shifts the papers after it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sitegen.errors import SourceError
from sitegen.model import DigestEntry, Loc, Notice, Organisation
from sitegen.text import FORBIDDEN, describe, without_controls

CHROME = frozenset(
    {
        "new",
        "Get trending papers in your email inbox!",
        "Subscribe",
        "Daily Papers",
        "byAK and the research community",
    }
)
MONTHS = {name: number for number, name in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], start=1)}
DATE_LINE = re.compile(
    r"(?P<month>[A-Za-z]{3})[A-Za-z]*\.? (?P<day>\d{1,2})(?:, (?P<year>\d{4}))?(?: (?P<count>\d{1,9}))?"
)
AUTHORS_LINE = re.compile(r"•\s*(?P<count>\d{1,9})\s+authors?", re.IGNORECASE)
"""Counts are capped at 9 digits: int() refuses strings of more than 4300 digits."""
ORGANISATION_LINE = re.compile(r"(?P<id>[A-Za-z0-9][A-Za-z0-9_.-]*)(?:\s+(?P<name>\S.*))?")
FILE_NAME_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
TERMINAL_CODE = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]")
"""A terminal colour or cursor code (``\\x1b[31m``), pasted with the text: removed whole, not just its ESC."""
SEPARATOR = "·"


@dataclass(frozen=True, slots=True)
class Digest:
    """What one digest yields: its papers in listing order, and what looked off."""

    entries: tuple[DigestEntry, ...]
    notices: tuple[Notice, ...]


@dataclass(frozen=True, slots=True)
class _Paragraph:
    text: str
    line: int


@dataclass(frozen=True, slots=True)
class _MonthDay:
    """A listing date as written: month and day, and the year if one is given."""

    month: int
    day: int
    year: int | None
    count: int | None
    line: int


@dataclass(frozen=True, slots=True)
class _Metadata:
    line: int
    date: _MonthDay
    authors: int | None
    organisation: Organisation | None


def listing_date_from_name(path: Path) -> dt.date | None:
    """The date in a digest's file name (``daily-papers-2025-12-11.txt``), if it has a valid one."""
    match = FILE_NAME_DATE.search(path.name)
    if not match:
        return None
    try:
        return dt.date(*map(int, match.groups()))
    except ValueError:
        return None


def parse_digest(text: str, path: Path, listing_date: dt.date | None) -> Digest:
    """Parse a whole digest; raise SourceError at the first thing that cannot be a digest.

    ``listing_date`` gives the year of dates written without one; it is only
    required when such a date occurs.
    """
    notices: list[Notice] = []
    blocks = list(_blocks(text, path, notices))
    start = _skip_chrome(blocks, path)
    entries = list(_assemble(blocks[start:], path, listing_date, notices))
    if not entries:
        notices.append(Notice(Loc(path), "no papers found in this digest"))
    return Digest(tuple(entries), tuple(notices))


def _blocks(text: str, path: Path, notices: list[Notice]) -> Iterator[list[tuple[int, str]]]:
    """Runs of non-blank lines with their 1-based numbers; CRLF, BOM, tabs and edge spaces ignored.

    Characters XML forbids (a BEL, a terminal colour code) would break every feed that shows the
    paper; they are removed here, with a warning naming the line.
    """
    block: list[tuple[int, str]] = []
    lines = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    for number, raw in enumerate(lines, start=1):
        line = " ".join(raw.replace("\ufeff", "").split())
        if FORBIDDEN.search(line):
            found = describe(line)
            notices.append(Notice(Loc(path, number), f"removed control characters ({found}) that feeds cannot carry"))
            line = " ".join(without_controls(TERMINAL_CODE.sub("", line)).split())
        if line:
            block.append((number, line))
        elif block:
            yield block
            block = []
    if block:
        yield block


def _skip_chrome(blocks: list[list[tuple[int, str]]], path: Path) -> int:
    """Index of the first block after the page chrome and the listing's own date line."""
    index = 0
    while index < len(blocks) and all(line in CHROME for _, line in blocks[index]):
        index += 1
    if index and index < len(blocks) and len(blocks[index]) == 1:
        number, line = blocks[index][0]
        if DATE_LINE.fullmatch(line):
            _month_day(line, number, path)
            index += 1
    return index


def _assemble(
    blocks: list[list[tuple[int, str]]],
    path: Path,
    listing_date: dt.date | None,
    notices: list[Notice],
) -> Iterator[DigestEntry]:
    title: _Paragraph | None = None
    abstract: _Paragraph | None = None
    for item in _items(blocks, path):
        if isinstance(item, _Paragraph):
            if title is None:
                title = item
            elif abstract is None:
                abstract = item
            else:
                yield _entry(title, abstract, None, path, listing_date, notices)
                title, abstract = item, None
        elif title is None:
            notices.append(Notice(Loc(path, item.line), "metadata without a paper before it; ignored"))
        else:
            yield _entry(title, abstract, item, path, listing_date, notices)
            title = abstract = None
    if title is not None:
        yield _entry(title, abstract, None, path, listing_date, notices)


def _items(blocks: list[list[tuple[int, str]]], path: Path) -> Iterator[_Paragraph | _Metadata]:
    """Paragraphs and metadata groups in order; a group may share a block with text above it."""
    for block in blocks:
        text_lines, metadata = _split_metadata(block, path)
        if text_lines:
            yield _Paragraph(" ".join(line for _, line in text_lines), text_lines[0][0])
        if metadata is not None:
            yield metadata


def _split_metadata(
    block: list[tuple[int, str]], path: Path
) -> tuple[list[tuple[int, str]], _Metadata | None]:
    separators = [i for i, (_, line) in enumerate(block) if line == SEPARATOR]
    if not separators:
        return block, None
    at = separators[-1]
    if at != len(block) - 2:
        number = block[at][0]
        raise SourceError(
            Loc(path, number), f"expected a date such as 'Jan 7' or 'Oct 16, 2024' on the line after {SEPARATOR!r}"
        )
    date_number, date_text = block[at + 1]
    if not DATE_LINE.fullmatch(date_text):
        raise SourceError(
            Loc(path, date_number), f"expected a date such as 'Jan 7' or 'Oct 16, 2024 3', found {date_text!r}"
        )
    date = _month_day(date_text, date_number, path)
    first = at
    authors: int | None = None
    organisation: Organisation | None = None
    if at > 0:
        owner = block[at - 1][1]
        if match := AUTHORS_LINE.fullmatch(owner):
            authors = int(match["count"])
            first = at - 1
        elif at == 1 and (match := ORGANISATION_LINE.fullmatch(owner)):
            organisation = Organisation(match["id"], match["name"] or match["id"])
            first = at - 1
    line = block[first][0]
    return block[:first], _Metadata(line, date, authors, organisation)


def _month_day(text: str, number: int, path: Path) -> _MonthDay:
    match = DATE_LINE.fullmatch(text)
    assert match is not None
    month = MONTHS.get(match["month"].lower())
    if month is None:
        raise SourceError(Loc(path, number), f"unknown month in date {text!r}")
    year = int(match["year"]) if match["year"] else None
    count = int(match["count"]) if match["count"] else None
    day = int(match["day"])
    try:
        dt.date(year or 2000, month, day)  # 2000 is a leap year: only impossible days fail here
    except ValueError:
        raise SourceError(Loc(path, number), f"impossible date {text!r}") from None
    return _MonthDay(month, day, year, count, number)


def _entry(
    title: _Paragraph,
    abstract: _Paragraph | None,
    metadata: _Metadata | None,
    path: Path,
    listing_date: dt.date | None,
    notices: list[Notice],
) -> DigestEntry:
    loc = Loc(path, title.line)
    if abstract is None:
        notices.append(Notice(loc, f"paper {title.text!r} has no abstract"))
    if metadata is None:
        notices.append(Notice(loc, f"paper {title.text!r} has no date"))
        return DigestEntry(title.text, abstract.text if abstract else "", loc)
    return DigestEntry(
        title=title.text,
        abstract=abstract.text if abstract else "",
        loc=loc,
        date=_resolve_date(metadata.date, path, listing_date),
        authors=metadata.authors,
        organisation=metadata.organisation,
        comments=metadata.date.count,
    )


def _resolve_date(written: _MonthDay, path: Path, listing_date: dt.date | None) -> dt.date:
    """A written date as a real one: a missing year is the listing's, unless that is in the future."""
    loc = Loc(path, written.line)
    year = written.year
    if year is None:
        if listing_date is None:
            raise SourceError(
                loc,
                "date without a year and no listing date to take it from: pass --listing-date YYYY-MM-DD, "
                "put the date in the file name (daily-papers-2025-12-11.txt), or set "
                "[tool.sitegen.listing_dates] in pyproject.toml",
            )
        year = listing_date.year
        if (written.month, written.day) > (listing_date.month, listing_date.day):
            year -= 1
    try:
        return dt.date(year, written.month, written.day)
    except ValueError:
        raise SourceError(loc, f"impossible date: {written.day} {dt.date(2000, written.month, 1):%b} {year}") from None

"""Digest text -> paper entries: the parser of Daily Papers listing dumps (pure, no I/O).

A digest is page chrome, the listing date, then per paper: a title paragraph, an
abstract and an optional metadata group. Paragraphs are separated by blank lines.

Every line is first read for what it is. Metadata lines are never text:

- an author line, ``• N authors``;
- a ``·`` line, and the date on the line right under it (``Jan 7``, ``Oct 16, 2024 3``,
  the number after the date being the comment count); a ``·`` with nothing under it is
  a paper whose date the scraper lost (undated, with a warning);
- an organisation line, ``kaist-ai KAIST AI``, when it opens a block and a ``·`` follows;
- a date on a line of its own, with a real month name (``Jan 7``, ``September 26, 2024``).

Consecutive metadata lines form one group, and a group closes the paper before it:
the daily layout (authors, ``·``, date), the trending one (an author line only) and
papers with no metadata at all (the next title follows) all come out the same way.

Between two groups lies a run of paragraphs, cut into papers as a reader would: each
paper is a title followed by the paragraphs of its abstract. A paragraph that reads as
an abstract (long, several sentences), a bare URL or a bullet is never a title; a
short line without a final full stop reads as a title; and where nothing decides,
title and abstract alternate (the daily layout). More blank lines than usual after a
title stand for an empty abstract. A reading that is a guess gets a warning with the
line; a file that is not a listing at all (JSON, HTML, one huge paragraph) is refused.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path

from sitegen.errors import SourceError
from sitegen.model import ListingEntry, Loc, Notice, Organisation
from sitegen.text import FORBIDDEN, describe, without_controls

CHROME = frozenset(
    {
        "new",
        "Get trending papers in your email inbox!",
        "Get trending papers in your email inbox once a day!",
        "Subscribe",
        "Daily Papers",
        "byAK and the research community",
        "by AK and the research community",
    }
)
MONTHS = {name: number for number, name in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], start=1)}
MONTH_WORDS = frozenset(MONTHS) | {
    "january", "february", "march", "april", "june", "july", "august", "sept", "september",
    "october", "november", "december",
}
"""Month names a date standing alone may use (one under a ``·`` may be any word, and fails if no month)."""
DATE_LINE = re.compile(
    r"(?P<month>[A-Za-z]{3})(?P<rest>[A-Za-z]*)\.? (?P<day>\d{1,2})(?:, (?P<year>\d{4}))?(?: (?P<count>\d{1,9}))?"
)
AUTHORS_LINE = re.compile(r"(?:•\s*)?(?P<count>\d{1,9})\s+authors?", re.IGNORECASE)
"""Counts are capped at 9 digits: int() refuses strings of more than 4300 digits. The bullet may be lost."""
ORGANISATION_LINE = re.compile(r"(?P<id>[A-Za-z0-9][A-Za-z0-9_.-]*)(?:\s+(?P<name>\S.*))?")
FILE_NAME_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
TERMINAL_CODE = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]")
"""A terminal colour or cursor code (``\\x1b[31m``), pasted with the text: removed whole, not just its ESC."""
SEPARATOR = "·"
_LONGEST_METADATA = 30
"""Characters: an author line or a date standing alone is never longer (an organisation line may be)."""

LONGEST_TITLE = 300
"""Characters: a longer paragraph is an abstract (the longest arXiv titles stay well under it)."""
SURE_TITLE = 250
"""Characters: a paragraph up to this long with no final full stop reads as a title."""
NOT_A_LISTING = 1000
"""Characters: a first paragraph this long, in a file with nothing else of a listing, is named in the error."""
_URLS = re.compile(r"<?https?://\S+(?:\s+<?https?://\S+)*")
"""A paragraph of bare URLs: the end of an abstract, never a title."""
_SENTENCE_END = re.compile(r"(\w*)[.!?][\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9])")
_ABBREVIATIONS = frozenset({"al", "vs", "etc", "fig", "eq", "cf", "no", "dr", "mr", "ms", "st"})
"""Words whose full stop ends no sentence ("et al. Show", "vs. Humans"); so do single letters ("e.g.", "J. Smith")."""
_TAG_LINE = re.compile(r"</?[A-Za-z][\w:.-]*(?:\s[^<>]*)?/?>")
_HTML_START = re.compile(r"<!doctype\s+html|<html[\s>]|<head[\s>]|<body[\s>]", re.IGNORECASE)
_XML_START = re.compile(r"<\?xml[\s?]|<rss[\s>]|<feed[\s>]", re.IGNORECASE)
_JSON_START = re.compile(r"[\[{]\s*(?:$|[\"{\[\]}])")


@dataclass(frozen=True, slots=True)
class Digest:
    """What one digest yields: its papers in listing order, and what looked off."""

    entries: tuple[ListingEntry, ...]
    notices: tuple[Notice, ...]


Block = list[tuple[int, str]]
"""A run of non-blank lines: (1-based line number, text with spacing normalised)."""

# How a paragraph may be read.
_TITLE = 0
"""Reads as a title: short, no final full stop."""
_EITHER = 1
"""Short text that could be a title or a short abstract ("Its abstract.")."""
_TEXT = 2
"""Never a title: long or several sentences (an abstract), a bare URL, a bullet."""


@dataclass(slots=True)
class _Paragraph:
    text: str
    line: int
    gap: int
    """Blank lines before it; 0 when it starts under a metadata line of the same block."""
    kind: int = _EITHER


@dataclass(frozen=True, slots=True)
class _MonthDay:
    """A listing date as written: month and day, and the year if one is given."""

    month: int
    day: int
    year: int | None
    count: int | None
    line: int


@dataclass(slots=True)
class _Metadata:
    """One metadata group: consecutive author / organisation, ``·`` and date lines."""

    line: int
    gap: int
    """Blank lines before its first line."""
    rank: int = -1
    """The last part seen: 0 authors or organisation, 1 separator, 2 date; a group only grows forward."""
    authors: int | None = None
    organisation: Organisation | None = None
    separator: int | None = None
    """Line of the ``·``, if the group has one."""
    date: _MonthDay | None = None


@dataclass(slots=True)
class _Piece:
    """One metadata line (or a ``·`` with its date), before it joins a group."""

    line: int
    gap: int
    rank: int
    size: int = 1
    """Lines it takes: 2 for a ``·`` with its date."""
    authors: int | None = None
    organisation: Organisation | None = None
    separator: int | None = None
    date: _MonthDay | None = None


@dataclass(slots=True)
class _Shape:
    """What the file showed of a listing, to tell a listing from some other file."""

    header: bool = False
    metadata: bool = False
    paragraphs: list[_Paragraph] = field(default_factory=list)


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
    blocks, gaps = _blocks(text, path, notices)
    if blocks:
        _refuse_other_formats(text, blocks[0][0], path)
    start = _skip_chrome(blocks, path)
    shape = _Shape(header=start > 0)
    items = list(_items(blocks[start:], gaps[start:], path, shape))
    _refuse_non_listing(shape, blocks, path)
    typical = _typical_gap(gaps[1:])
    entries = list(_assemble(items, typical, path, listing_date, notices))
    if not entries:
        notices.append(Notice(Loc(path), "no papers found in this digest"))
    return Digest(tuple(entries), tuple(notices))


# --- lines and blocks ------------------------------------------------------------------------------


def _blocks(text: str, path: Path, notices: list[Notice]) -> tuple[list[Block], list[int]]:
    """Runs of non-blank lines, and how many blank lines come before each; CRLF, BOM, tabs and
    edge spaces ignored.

    Characters XML forbids (a BEL, a terminal colour code) would break every feed that shows the
    paper; they are removed here, with a warning naming the line.
    """
    blocks: list[Block] = []
    gaps: list[int] = []
    block: Block = []
    blank = 0
    lines = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    for number, raw in enumerate(lines, start=1):
        if raw.isprintable() and "  " not in raw:
            line = raw.strip(" ")  # nearly every line: no white space but single spaces, no BOM, no control
        elif FORBIDDEN.search(line := " ".join(raw.replace("\ufeff", "").split())):
            found = describe(line)
            notices.append(Notice(Loc(path, number), f"removed control characters ({found}) that feeds cannot carry"))
            line = " ".join(without_controls(TERMINAL_CODE.sub("", line)).split())
        if line:
            if not block:
                gaps.append(blank)
            block.append((number, line))
            blank = 0
        else:
            if block:
                blocks.append(block)
                block = []
            blank += 1
    if block:
        blocks.append(block)
    return blocks, gaps


def _skip_chrome(blocks: list[Block], path: Path) -> int:
    """Index of the first block after the page chrome and the listing's own date line (either may be missing)."""
    index = 0
    while index < len(blocks) and all(line in CHROME for _, line in blocks[index]):
        index += 1
    if index < len(blocks) and len(blocks[index]) == 1:
        number, line = blocks[index][0]
        if _standalone_date(line):
            _month_day(line, number, path)
            index += 1
    return index


def _typical_gap(gaps: Sequence[int]) -> int:
    """The number of blank lines that usually separates paragraphs in this file (on a tie, the fewest).

    One blank line, the listing's own spacing, starts with a head start of a few votes, so that in a
    short file a few empty abstracts (three blank lines each) do not pass for the usual spacing.
    """
    counts = Counter(gaps)
    counts[1] += 3
    return min(counts, key=lambda gap: (-counts[gap], gap))


def _standalone_date(line: str) -> bool:
    """A line that is a date even with no ``·`` above it: a real month name, then a day."""
    match = DATE_LINE.fullmatch(line)
    return match is not None and (match["month"] + match["rest"]).lower() in MONTH_WORDS


def _items(
    blocks: Sequence[Block], gaps: Sequence[int], path: Path, shape: _Shape
) -> Iterator[_Paragraph | _Piece]:
    """Paragraphs and metadata lines in order: every line is read for what it is first."""
    for block, gap in zip(blocks, gaps):
        text: list[str] = []
        text_line = text_gap = 0
        index = 0
        while index < len(block):
            number, line = block[index]
            piece = (
                None
                if len(line) > _LONGEST_METADATA and not (index == 0 and len(block) > 1 and block[1][1] == SEPARATOR)
                else _piece(block, index, gap if index == 0 else 0, path)
            )
            if piece is None:
                if not text:
                    text_line, text_gap = number, gap if index == 0 else 0
                text.append(line)
                index += 1
                continue
            if text:
                yield _paragraph(text, text_line, text_gap, shape)
                text = []
            shape.metadata = True
            yield piece
            index += piece.size
        if text:
            yield _paragraph(text, text_line, text_gap, shape)


def _piece(block: Block, index: int, gap: int, path: Path) -> _Piece | None:
    """The metadata line at ``block[index]``, or None when it is text."""
    number, line = block[index]
    if line == SEPARATOR:
        if index + 1 == len(block):
            return _Piece(number, gap, 1, separator=number)
        date_number, date_text = block[index + 1]
        if not DATE_LINE.fullmatch(date_text):
            raise SourceError(
                Loc(path, date_number),
                f"expected a date such as 'Jan 7' or 'Oct 16, 2024 3' on the line after {SEPARATOR!r}, found {date_text!r}",
            )
        return _Piece(number, gap, 2, size=2, separator=number, date=_month_day(date_text, date_number, path))
    if match := AUTHORS_LINE.fullmatch(line):
        return _Piece(number, gap, 0, authors=int(match["count"]))
    if index == 0 and len(block) > 1 and block[1][1] == SEPARATOR and _organisation_like(line):
        match = ORGANISATION_LINE.fullmatch(line)
        assert match is not None
        return _Piece(number, gap, 0, organisation=Organisation(match["id"], match["name"] or match["id"]))
    if _standalone_date(line):
        return _Piece(number, gap, 2, date=_month_day(line, number, path))
    return None


def _organisation_like(line: str) -> bool:
    """A hub id and a display name (``kaist-ai KAIST AI``), not the last line of an abstract (``... results.``)."""
    return len(line) <= 100 and not line.endswith(".") and not _standalone_date(line) and ORGANISATION_LINE.fullmatch(line) is not None


def _paragraph(lines: list[str], line: int, gap: int, shape: _Shape) -> _Paragraph:
    text = " ".join(lines)
    paragraph = _Paragraph(text, line, gap, _kind(text))
    shape.paragraphs.append(paragraph)
    return paragraph


def _kind(text: str) -> int:
    """Whether a paragraph may be a title: see _TITLE, _EITHER, _TEXT."""
    if len(text) > LONGEST_TITLE or text.startswith(("• ", "•\t")) or _URLS.fullmatch(text):
        return _TEXT
    full_stop = text.rstrip("\"')]").endswith(".")
    sentences = _sentence_breaks(text)
    if sentences >= 2 or (sentences and full_stop):
        return _TEXT
    return _TITLE if len(text) <= SURE_TITLE and not full_stop else _EITHER


def _sentence_breaks(text: str) -> int:
    """Places where one sentence ends and another begins (not after 'e.g.', 'et al.', an initial)."""
    count = 0
    if "." not in text and "?" not in text and "!" not in text:
        return 0
    for match in _SENTENCE_END.finditer(text):
        word = match[1]
        stop = text[match.end(1)]
        if stop == "." and (len(word) == 1 or word.lower() in _ABBREVIATIONS):
            continue
        count += 1
    return count


# --- what is not a listing -------------------------------------------------------------------------


def _refuse_other_formats(text: str, first: tuple[int, str], path: Path) -> None:
    """A JSON document or an HTML or XML file read as a listing: say what it is instead."""
    number, line = first
    if line[0] in "[{":
        document: object = None
        try:
            document = json.loads(text.removeprefix("\ufeff"))
        except (ValueError, RecursionError):
            pass
        if isinstance(document, (dict, list)) or _JSON_START.match(line):
            raise SourceError(
                Loc(path, number),
                "looks like JSON, not a Daily Papers text listing; JSON files are read as the Hugging Face "
                "API format when named *.json",
            )
    if _HTML_START.match(line):
        raise SourceError(
            Loc(path, number),
            "looks like HTML, not a Daily Papers text listing; save the page's text instead "
            "(select all, copy, paste into a .txt file)",
        )
    if _XML_START.match(line):
        raise SourceError(Loc(path, number), "looks like XML (a feed?), not a Daily Papers text listing")


def _refuse_non_listing(shape: _Shape, blocks: list[Block], path: Path) -> None:
    """A file with no page header, no metadata line and no title followed by an abstract is no listing."""
    paragraphs = shape.paragraphs
    if shape.header or shape.metadata or not paragraphs:
        return
    for before, after in pairwise(paragraphs):
        if before.kind != _TEXT and _reads_as_abstract(after.text):
            return
    first = paragraphs[0]
    lines = [line for block in blocks for _, line in block]
    tags = sum(1 for line in lines if _TAG_LINE.match(line))
    if tags * 3 >= len(lines):
        message = "looks like HTML or XML markup, not a Daily Papers text listing"
    elif len(first.text) >= NOT_A_LISTING:
        message = (
            f"does not look like a Daily Papers text listing: its first paragraph is {len(first.text):,} "
            "characters long, with no title before it and no page header or '• N authors' line anywhere"
        )
    else:
        message = (
            "does not look like a Daily Papers text listing: no page header, no '• N authors', '·' or date "
            "line, and no title followed by an abstract"
        )
    raise SourceError(Loc(path, first.line), message)


def _reads_as_abstract(text: str) -> bool:
    """Prose that ends like a sentence: mostly letters and spaces."""
    if not (len(text) > LONGEST_TITLE or text.rstrip("\"')]").endswith((".", "!", "?"))):
        return False
    letters = sum(1 for character in text if character.isalpha() or character == " ")
    return letters >= 0.7 * len(text)


# --- paragraphs and groups -> papers ---------------------------------------------------------------


def _assemble(
    items: Sequence[_Paragraph | _Piece],
    typical: int,
    path: Path,
    listing_date: dt.date | None,
    notices: list[Notice],
) -> Iterator[ListingEntry]:
    """Runs of paragraphs, each closed by a metadata group (or the end of the file), as papers."""
    run: list[_Paragraph] = []
    group: _Metadata | None = None
    for item in items:
        if isinstance(item, _Paragraph):
            if group is not None:
                yield from _papers(run, group, typical, path, listing_date, notices)
                run, group = [], None
            run.append(item)
            continue
        if group is not None and item.rank <= group.rank:
            yield from _papers(run, group, typical, path, listing_date, notices)
            run, group = [], None
        if group is None:
            group = _Metadata(item.line, item.gap)
        group.rank = item.rank
        if item.rank == 0:
            group.authors, group.organisation = item.authors, item.organisation
        if item.separator is not None:
            group.separator = item.separator
        if item.date is not None:
            group.date = item.date
    yield from _papers(run, group, typical, path, listing_date, notices)


_IMPOSSIBLE = 1 << 30
_ORPHAN = 20
"""Cost of leaving a paragraph out: only when it cannot be a title and no title precedes it."""
_EITHER_AS_TITLE = 2
_TITLE_AS_ABSTRACT = 6
_EMPTY_ABSTRACT = 4
"""A title directly followed by another title, with the usual spacing between them."""
_EMPTY_LAST_ABSTRACT = 3
"""A title directly followed by the metadata group (slightly cheaper: ties read as the daily layout)."""
_ABSTRACT_AFTER_GAP = 6
"""Extra blank lines after a title, then its abstract: the gap usually stands for an empty abstract."""
_MORE_PARAGRAPHS = 2
"""A second (third, ...) paragraph of one abstract."""
_AS_TITLE = (0, _EITHER_AS_TITLE, _IMPOSSIBLE)
_AS_ABSTRACT = (_TITLE_AS_ABSTRACT, 0, 0)


def _read_run(run: Sequence[_Paragraph], closing_gap: int, typical: int) -> list[int]:
    """The role of each paragraph of a run: 0 title, 1 abstract of the title before, 2 left out.

    The cheapest reading by the costs above (a shortest path over three states per paragraph,
    linear in the run); the first reading listed wins a tie.
    """
    title, abstract, orphan = 0, 1, 2
    first = run[0]
    cost = [_AS_TITLE[first.kind], _IMPOSSIBLE, _ORPHAN]
    back: list[tuple[int, int, int]] = []
    for paragraph in run[1:]:
        gap = _wide(paragraph.gap, typical)
        to_title = _cheapest(
            (cost[abstract], abstract),
            (cost[title] + (0 if gap else _EMPTY_ABSTRACT), title),
            (cost[orphan], orphan),
        )
        to_abstract = _cheapest(
            (cost[title] + (_ABSTRACT_AFTER_GAP if gap else 0), title),
            (cost[abstract] + _MORE_PARAGRAPHS, abstract),
        )
        cost = [
            to_title[0] + _AS_TITLE[paragraph.kind],
            to_abstract[0] + _AS_ABSTRACT[paragraph.kind],
            cost[orphan] + _ORPHAN,
        ]
        back.append((to_title[1], to_abstract[1], orphan))
    cost[title] += 0 if _wide(closing_gap, typical) else _EMPTY_LAST_ABSTRACT
    state = _cheapest((cost[abstract], abstract), (cost[title], title), (cost[orphan], orphan))[1]
    roles = [state]
    for links in reversed(back):
        state = links[state]
        roles.append(state)
    roles.reverse()
    return roles


def _cheapest(*options: tuple[int, int]) -> tuple[int, int]:
    """The (cost, state) of least cost; on a tie, the first listed."""
    return min(options, key=lambda option: option[0])


def _wide(gap: int, typical: int) -> bool:
    """More blank lines than this file puts between paragraphs: the place of an empty abstract."""
    return gap > typical


def _papers(
    run: Sequence[_Paragraph],
    group: _Metadata | None,
    typical: int,
    path: Path,
    listing_date: dt.date | None,
    notices: list[Notice],
) -> Iterator[ListingEntry]:
    """The papers of one run; the last one gets the group that closes the run."""
    if not run:
        if group is not None:
            notices.append(Notice(Loc(path, group.line), "metadata without a paper before it; ignored"))
        return
    roles = _read_run(run, group.gap if group is not None else 0, typical)
    untitled = "text that reads as an abstract, with no title before it; left out"
    if group is not None and 0 not in roles:
        untitled = (
            "text that reads as an abstract, with no title before it (a card that lost its title?); "
            "left out with its metadata"
        )
    papers: list[tuple[_Paragraph, list[_Paragraph]]] = []
    for paragraph, role in zip(run, roles):
        if role == 0:
            papers.append((paragraph, []))
        elif role == 1:
            title, abstract = papers[-1]
            if abstract and paragraph.kind != _TEXT:
                notices.append(
                    Notice(
                        Loc(path, paragraph.line),
                        f"read as a further paragraph of the abstract of {title.text!r}, not as a title",
                    )
                )
            abstract.append(paragraph)
        else:
            notices.append(Notice(Loc(path, paragraph.line), untitled))
    for index, (title, abstract) in enumerate(papers):
        metadata = group if index == len(papers) - 1 else None
        yield _entry(title, abstract, metadata, path, listing_date, notices)


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
    abstract: list[_Paragraph],
    metadata: _Metadata | None,
    path: Path,
    listing_date: dt.date | None,
    notices: list[Notice],
) -> ListingEntry:
    loc = Loc(path, title.line)
    text = "\n\n".join(paragraph.text for paragraph in abstract)
    if not text:
        notices.append(Notice(loc, f"paper {title.text!r} has no abstract"))
    if metadata is None or metadata.date is None:
        if metadata is not None and metadata.separator is not None:
            notices.append(
                Notice(
                    Loc(path, metadata.separator),
                    f"no date after {SEPARATOR!r} (a scraper that lost the dates?); paper {title.text!r} is undated",
                )
            )
        else:
            notices.append(Notice(loc, f"paper {title.text!r} has no date"))
    return ListingEntry(
        title=title.text,
        abstract=text,
        loc=loc,
        date=_resolve_date(metadata.date, path, listing_date) if metadata and metadata.date else None,
        listed=listing_date,
        author_count=metadata.authors if metadata else None,
        organisation=metadata.organisation if metadata else None,
        comments=metadata.date.count if metadata and metadata.date else None,
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

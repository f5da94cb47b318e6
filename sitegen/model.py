"""The small frozen types every stage passes along; no behaviour beyond formatting."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Loc:
    """Where something came from, so every message can point at it."""

    path: Path
    """The file, as given (relative paths stay relative in messages)."""
    line: int | None = None
    """1-based line number, or None when the problem concerns the whole file."""

    def __str__(self) -> str:
        shown = _display_path(self.path)
        return shown if self.line is None else f"{shown}:{self.line}"


def _display_path(path: Path) -> str:
    """Paths under the working directory print relative, as compilers do; others as given."""
    if not path.is_absolute():
        return str(path)
    try:
        relative = os.path.relpath(path)
    except ValueError:
        return str(path)
    return str(path) if relative.startswith("..") else relative


@dataclass(frozen=True, slots=True)
class Organisation:
    """The group a paper was submitted under on the listing page."""

    id: str
    """Hub id, e.g. ``kaist-ai``."""
    name: str
    """Display name, e.g. ``KAIST AI``."""


@dataclass(frozen=True, slots=True)
class ListingEntry:
    """One paper as a listing shows it (a Daily Papers text digest, an API dump), before it becomes a page."""

    title: str
    abstract: str
    """Plain text; paragraphs separated by a blank line."""
    loc: Loc
    """The title's line in the digest, or the entry's position in an API dump."""
    date: dt.date | None = None
    """The paper's own date (published)."""
    listed: dt.date | None = None
    """The day of the listing that showed it."""
    authors: tuple[str, ...] = ()
    """Names, in order, when the listing gives them."""
    author_count: int | None = None
    """How many authors, when the listing gives a count and no names."""
    organisation: Organisation | None = None
    comments: int | None = None
    """Comment count shown next to the date on the listing page."""
    upvotes: int | None = None
    arxiv: str | None = None
    links: tuple[str, ...] = ()
    """Code repository, project page, URLs in the abstract."""
    summary: str = ""
    """A one-line summary, shown on cards when there is one."""
    keywords: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Paper:
    """One page of content/papers/: the source of truth for a paper."""

    slug: str
    """File stem and URL segment: lowercase ASCII words joined by hyphens."""
    title: str
    body: str
    """The abstract as Markdown, exactly as in the page."""
    date: dt.date | None = None
    listed: dt.date | None = None
    """The day of the first listing that showed the paper (feeds date undated papers by it)."""
    authors: tuple[str, ...] = ()
    """Author names in order; empty when only a count is known."""
    author_count: int | None = None
    """How many authors, when their names are not known (``authors: 5`` in the page)."""
    organisation: Organisation | None = None
    comments: int | None = None
    upvotes: int | None = None
    arxiv: str | None = None
    """arXiv identifier: ``2504.10479`` (optionally ``v2``) or ``cs/0101001``."""
    doi: str | None = None
    url: str | None = None
    """The paper's own page."""
    pdf: str | None = None
    tags: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    """Key phrases (searchable, and read by the tagger)."""
    summary: str = ""
    """One line saying what the paper does, shown on cards."""
    links: tuple[str, ...] = ()
    """URLs worth a click: code repositories, project pages."""
    sources: tuple[str, ...] = ()
    """Listing files this paper was converted from, by file name."""
    draft: bool = False
    loc: Loc = field(default_factory=lambda: Loc(Path("<memory>")))
    """The page file, with the line of its ``slug:`` key if it sets one: where its URL comes from."""

    @property
    def author_total(self) -> int | None:
        """How many authors, from the names or the count; None when unknown."""
        return len(self.authors) if self.authors else self.author_count


@dataclass(frozen=True, slots=True)
class Notice:
    """A warning worth showing but not worth stopping for."""

    loc: Loc
    message: str

    def __str__(self) -> str:
        return f"{self.loc}: warning: {self.message}"

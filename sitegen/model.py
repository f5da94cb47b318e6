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
    """Paths under the working directory print relative, as compilers do."""
    try:
        return os.path.relpath(path) if path.is_absolute() else str(path)
    except ValueError:
        return str(path)


@dataclass(frozen=True, slots=True)
class Organisation:
    """The group a paper was submitted under on the listing page."""

    id: str
    """Hub id, e.g. ``kaist-ai``."""
    name: str
    """Display name, e.g. ``KAIST AI``."""


@dataclass(frozen=True, slots=True)
class DigestEntry:
    """One paper as a digest lists it, before it becomes a page."""

    title: str
    abstract: str
    """Plain text, one paragraph."""
    loc: Loc
    """The title's line in the digest."""
    date: dt.date | None = None
    authors: int | None = None
    organisation: Organisation | None = None
    comments: int | None = None
    """Comment count shown next to the date on the listing page."""


@dataclass(frozen=True, slots=True)
class Paper:
    """One page of content/papers/: the source of truth for a paper."""

    slug: str
    """File stem and URL segment: lowercase ASCII words joined by hyphens."""
    title: str
    body: str
    """The abstract as Markdown, exactly as in the page."""
    date: dt.date | None = None
    authors: int | None = None
    organisation: Organisation | None = None
    comments: int | None = None
    tags: tuple[str, ...] = ()
    links: tuple[str, ...] = ()
    """URLs worth a click: code repositories, project pages."""
    sources: tuple[str, ...] = ()
    """Digest files this paper was converted from, relative to the project."""
    draft: bool = False
    loc: Loc = field(default_factory=lambda: Loc(Path("<memory>")))
    """The page file, with the line of its ``slug:`` key if it sets one: where its URL comes from."""


@dataclass(frozen=True, slots=True)
class Notice:
    """A warning worth showing but not worth stopping for."""

    loc: Loc
    message: str

    def __str__(self) -> str:
        return f"{self.loc}: warning: {self.message}"

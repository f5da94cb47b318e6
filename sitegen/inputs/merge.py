"""Listing entries -> one set of values per paper, and those values merged into the page a person may have edited (pure).

Within a run, entries are the same paper when their arXiv ids agree, or, when
either side has none, when their titles agree (``title_key``); two entries with
different ids are never one paper, even under one title. Entries are folded in
order of their listing day: a later listing fills or updates what an earlier one
gave, the comment and upvote counts are the latest seen, ``listed`` is the
first listing's day and ``sources`` accumulate.

Across runs the page is the memory. For each field a listing gives, the
converter's state keeps a short hash of the value it last wrote; a field whose
value no longer has that hash was edited by a person and is kept (``--force``
overrides), while every other field takes the listings' value. So an edited
title stays while new counts still arrive.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import MISSING, dataclass, field, fields, replace
from functools import lru_cache
from typing import Any

from sitegen.content.frontmatter import escape_markdown
from sitegen.content.slugs import title_key
from sitegen.content.tags import TagVocabulary, assign_tags
from sitegen.inputs.listing import links_in
from sitegen.model import ListingEntry, Loc, Notice, Organisation, Paper

LISTING_FIELDS = (
    "title", "body", "date", "listed", "authors", "author_count", "organisation", "comments", "upvotes", "arxiv",
    "tags", "keywords", "summary", "links", "sources",
)  # fmt: skip
"""The fields a listing gives (or, for tags, that the tagger derives from it); a person's edits to any of them are kept."""
COUNTS = ("comments", "upvotes")
_UNWRITTEN = {f.name: f.default for f in fields(Paper) if f.name in LISTING_FIELDS and f.default is not MISSING}
"""What each field holds when a listing gives nothing: its hash is left out of the state (most fields, most pages)."""
_VERSION = re.compile(r"v\d+$")
_title_key = lru_cache(maxsize=1 << 16)(title_key)
"""title_key, asked several times per paper and entry (Unicode normalisation: a tenth of a convert otherwise)."""


def base_arxiv(identifier: str | None) -> str | None:
    """An arXiv id without its version: ``2504.10479v2`` and ``2504.10479`` are one paper."""
    return _VERSION.sub("", identifier) if identifier else None


@dataclass(slots=True)
class Found:
    """One paper as this run's listings show it, folded from every entry that is this paper."""

    title: str
    abstract: str
    loc: Loc
    date: dt.date | None = None
    listed: dt.date | None = None
    authors: tuple[str, ...] = ()
    author_count: int | None = None
    organisation: Organisation | None = None
    comments: int | None = None
    upvotes: int | None = None
    counted: dt.date | None = None
    """The listing day the counts come from: an older listing converted later does not undo them."""
    arxiv: str | None = None
    links: tuple[str, ...] = ()
    summary: str = ""
    keywords: tuple[str, ...] = ()
    sources: list[str] = field(default_factory=list)

    @property
    def key(self) -> str:
        return _title_key(self.title)

    def fold(self, entry: ListingEntry) -> None:
        """Take what ``entry`` (a later or same-day listing) gives; keep what it does not. The title stays
        the first listing's: it named the page, and a later listing's spelling is no better."""
        if entry.abstract:
            self.abstract = entry.abstract
        self.date = entry.date or self.date
        self.listed = min(day for day in (self.listed, entry.listed) if day is not None) if self.listed or entry.listed else None
        self.authors = entry.authors or self.authors
        self.author_count = entry.author_count if entry.author_count is not None else self.author_count
        self.organisation = entry.organisation or self.organisation
        if entry.comments is not None or entry.upvotes is not None:
            self.counted = entry.listed or self.counted
        self.comments = entry.comments if entry.comments is not None else self.comments
        self.upvotes = entry.upvotes if entry.upvotes is not None else self.upvotes
        self.arxiv = entry.arxiv or self.arxiv
        self.links = tuple(dict.fromkeys([*self.links, *entry.links, *links_in(entry.abstract)]))
        self.summary = entry.summary or self.summary
        self.keywords = entry.keywords or self.keywords
        source = entry.loc.path.name
        if source not in self.sources:
            self.sources.append(source)


def combine(entries: Iterable[ListingEntry]) -> tuple[list[Found], list[Notice]]:
    """One Found per paper, in order of first appearance, each folded in listing-day order.

    Entries with an arXiv id are grouped by it first; an entry without one then joins the
    first paper of its title (with a warning when several papers share that title).
    """
    listed = list(enumerate(entries))
    groups: list[list[tuple[int, ListingEntry]]] = []
    by_arxiv: dict[str, list[tuple[int, ListingEntry]]] = {}
    by_key: dict[str, list[list[tuple[int, ListingEntry]]]] = {}
    for position, entry in listed:
        identifier = base_arxiv(entry.arxiv)
        if identifier is None:
            continue
        if identifier not in by_arxiv:
            by_arxiv[identifier] = []
            groups.append(by_arxiv[identifier])
            by_key.setdefault(_title_key(entry.title), []).append(by_arxiv[identifier])
        by_arxiv[identifier].append((position, entry))
    notices: list[Notice] = []
    for position, entry in listed:
        if entry.arxiv:
            continue
        candidates = by_key.get(_title_key(entry.title))
        if not candidates:
            group: list[tuple[int, ListingEntry]] = []
            groups.append(group)
            by_key[_title_key(entry.title)] = [group]
        else:
            group = min(candidates, key=lambda members: members[0][0])
            if len(candidates) > 1:
                notices.append(Notice(entry.loc, f"title shared by {len(candidates)} papers with different arXiv ids; merged into the first"))
        group.append((position, entry))
    found: list[Found] = []
    for group in sorted(groups, key=lambda members: min(position for position, _ in members)):
        ordered = sorted(group, key=lambda pair: (pair[1].listed or dt.date.min, pair[0]))
        first = min(group, key=lambda pair: pair[0])[1]
        paper = Found(ordered[0][1].title, "", first.loc)
        for _, entry in ordered:
            if entry is not first:
                notices.append(Notice(entry.loc, f"same paper as {first.loc}; merged into one page"))
            paper.fold(entry)
        found.append(paper)
    return found, notices


Tagger = Callable[[str, str], tuple[str, ...]]
"""(title, abstract and key phrases) -> tags: ``assign_tags`` of a vocabulary, or a memo of it."""


def tagger(vocabulary: TagVocabulary | None) -> Tagger:
    """The tags a paper gets from ``vocabulary``; none without one."""
    if vocabulary is None:
        return lambda title, text: ()
    return lambda title, text: assign_tags(vocabulary, title, text)


def listing_values(found: Found, tag: Tagger) -> dict[str, Any]:
    """The page fields as the listings alone would write them; None or empty where they say nothing."""
    text = " ".join([found.abstract, *found.keywords])
    return {
        "title": found.title,
        "body": escape_markdown(found.abstract) if found.abstract else "",
        "date": found.date,
        "listed": found.listed,
        "authors": found.authors,
        "author_count": found.author_count,
        "organisation": found.organisation,
        "comments": found.comments,
        "upvotes": found.upvotes,
        "arxiv": found.arxiv,
        "tags": tag(found.title, text),
        "keywords": found.keywords,
        "summary": found.summary,
        "links": found.links,
        "sources": tuple(found.sources),
    }


def value_hash(value: Any) -> str:
    """A short fingerprint of a field's value, kept in the converter's state to tell edited fields."""
    return hashlib.sha256(repr(value).encode("utf-8", "surrogatepass")).hexdigest()[:12]


def written_hashes(paper: Paper) -> dict[str, str]:
    """The hash of every field of ``paper`` a listing gives, but those holding nothing (left out of the state)."""
    return {name: value_hash(getattr(paper, name)) for name in LISTING_FIELDS if not _unwritten(name, getattr(paper, name))}


def recorded_hash(recorded: Mapping[str, str], name: str) -> str:
    """The hash recorded for a field; a field left out was written holding nothing."""
    return recorded.get(name) or value_hash(_UNWRITTEN.get(name))


def _unwritten(name: str, value: Any) -> bool:
    return name == "sources" or (name in _UNWRITTEN and value == _UNWRITTEN[name])


@dataclass(frozen=True, slots=True)
class Merged:
    """A page as this run writes it, what was kept of a person's edits, and the state record to keep."""

    paper: Paper
    kept: tuple[str, ...]
    """Fields a person edited whose listing value differs (the edit stays)."""
    edited: tuple[str, ...]
    """Every field a person edited, kept or (with --force) overwritten."""
    hashes: dict[str, str]
    counted: dt.date | None
    owned: bool = True
    """False for a page the converter never wrote (made by hand): it is left as it is, and not recorded."""


def merge(
    slug: str,
    found: Found,
    values: Mapping[str, Any],
    current: Paper | None,
    recorded: Mapping[str, str] | None,
    counted: dt.date | None,
    seen_sources: Iterable[str],
    force: bool,
) -> Merged:
    """The page for ``found``: the listings' values, over the current page's where they say nothing,
    except in fields a person edited (their value no longer hashes to ``recorded``), which are kept.

    ``recorded`` is None when the state holds no field hashes for the page (one written by hand,
    or edited under a converter that kept no field hashes): then the page is a person's, left as
    it is. ``counted`` is the listing day of the page's counts.
    """
    fresh = Paper(slug=slug, **{name: values[name] for name in LISTING_FIELDS})
    if current is None or (recorded is None and replace(fresh, loc=current.loc) == current):
        # New, or exactly what this converter writes (its state was lost): the converter's page.
        paper = fresh if current is None else current
        return Merged(paper, (), (), written_hashes(paper), found.counted)
    if recorded is None and not force:
        differing = tuple(name for name in LISTING_FIELDS if _given(values[name]) not in (None, getattr(current, name)))
        return Merged(current, differing, differing, {}, counted, owned=False)
    newer_counts = found.counted is None or counted is None or found.counted >= counted
    chosen: dict[str, Any] = {}
    hashes: dict[str, str] = {}
    kept: list[str] = []
    edits: list[str] = []
    for name in LISTING_FIELDS:
        mine = getattr(current, name)
        listed = _given(values[name])
        if name in COUNTS and not newer_counts:
            listed = None
        theirs = listed if listed is not None else mine
        if name == "sources":
            theirs = tuple(dict.fromkeys([*mine, *seen_sources, *values[name]]))
        elif name == "listed" and mine is not None and theirs is not None:
            theirs = min(mine, theirs)
        edited = recorded is None or recorded_hash(recorded, name) != value_hash(mine)
        if edited and name != "sources" and theirs != mine:
            edits.append(name)
        if edited and not force and name != "sources":
            chosen[name] = mine
            if theirs != mine:
                kept.append(name)
            hashes[name] = recorded_hash(recorded, name) if recorded is not None else value_hash(theirs)
        else:
            chosen[name] = theirs
            hashes[name] = value_hash(theirs)
    hashes = {name: value for name, value in hashes.items() if name != "sources" and value != value_hash(_UNWRITTEN.get(name))}
    counts_from = found.counted if newer_counts and found.counted else counted
    return Merged(replace(current, **chosen), tuple(kept), tuple(edits), hashes, counts_from)


def _given(value: Any) -> Any:
    """A listing value, or None where the listing says nothing (no count, an empty list or text)."""
    return None if value is None or value == "" or value == () else value


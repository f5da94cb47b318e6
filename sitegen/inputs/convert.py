"""`sitegen convert`: listings -> content/papers/<slug>.md, without ever destroying an edit.

Two kinds of listing are read: Daily Papers text digests (daily_text.py) and the
Hugging Face daily papers API JSON (hf_api.py). The same paper in several
listings, or on several days, is one page (merge.py), and the converter's state
(state.py) remembers what it wrote to each page field by field: a field a person
edited stays as they wrote it, the others follow the listings (``--force``
overwrites edits too, after saving the page in ``.sitegen/backups/``).

A run is all or nothing (sitegen/content/journal.py): everything that changes is
written beside its target first and renamed into place after, so content/ is
either as it was or fully updated, also on a full disk or after kill -9.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gzip
import io
import os
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sitegen.config import Config
from sitegen.content.frontmatter import parse_page, render_page
from sitegen.content.journal import Transaction, finish, locked, sha256, sync_folders
from sitegen.content.slugs import disambiguated, slugify, title_key
from sitegen.content.tags import TagVocabulary, assign_tags, load_vocabulary
from sitegen.errors import BuildFailed, SitegenError, SourceError
from sitegen.fsutil import STATE_DIR, NotAFile, atomic_write, decode_text, read_bytes, state_folder
from sitegen.inputs.cache import (
    Outcome,
    Pages,
    RunMemory,
    code_fingerprint,
    fingerprint,
    forget_run,
    page_names,
    read_run,
    read_tags,
    tag_key,
    write_run,
    write_tags,
)
from sitegen.inputs.daily_text import listing_date_from_name, parse_digest
from sitegen.inputs.hf_api import ApiDumpInvalid, parse_api_dump
from sitegen.inputs.listing import Listing
from sitegen.inputs.merge import Found, Tagger, base_arxiv, combine, listing_values, merge, tagger, written_hashes
from sitegen.inputs.state import STATE_FILE, ConvertState, PageRecord, read_state
from sitegen.model import ListingEntry, Loc, Notice, Paper

BACKUPS = "backups"
"""Folder of the state folder (.sitegen/) where --force saves an edited page before overwriting it."""


@dataclass(frozen=True, slots=True)
class DigestSummary:
    path: Path
    papers: int


@dataclass(frozen=True, slots=True)
class Backup:
    page: Path
    copy: Path
    """Where the edited page was saved before --force overwrote it."""


@dataclass(slots=True)
class ConvertReport:
    """What a run did, for the command line to print."""

    digests: list[DigestSummary] = field(default_factory=list)
    created: list[Path] = field(default_factory=list)
    updated: list[Path] = field(default_factory=list)
    unchanged: list[Path] = field(default_factory=list)
    kept: list[Path] = field(default_factory=list)
    """Pages a person edited, whose new data was not written."""
    backups: list[Backup] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    errors: list[SourceError] = field(default_factory=list)


Progress = Callable[[str, int, int], None]
"""Told what a run is doing, how far it is and out of how many, as it goes (the command line draws it)."""


def convert(
    config: Config,
    listings: Sequence[Path] = (),
    listing_date: dt.date | None = None,
    force: bool = False,
    progress: Progress | None = None,
) -> ConvertReport:
    """Convert listings (default: every seeds/*.txt, *.json and *.json.gz); a file with an error writes nothing.

    Files found in the seeds folder may not be links out of the project; files named
    here may be anywhere. A FIFO, device or socket is skipped with a warning. When the
    listings, the vocabulary, the state and every page are what the last run left
    (inputs/cache.py), its report is given again and nothing is parsed or written.
    """
    report = ConvertReport()
    tell = progress or _silent
    with locked(config, wait=False):
        content = config.path("content_dir")
        report.notices.extend(finish(content, [content, config.papers_dir]))
        paths = list(listings) or listing_files(config.path("seeds_dir"))
        if not paths:
            raise SitegenError(
                f"no listings to convert: put .txt digests or .json API dumps in {config.path('seeds_dir')}/ or name them"
            )
        inside = None if listings else config.root
        own_notices: list[Notice] = []
        """Notices of this run alone (the cache's), never given again by a later run."""
        memory, seen = read_run(config.root, own_notices)
        report.notices.extend(own_notices)
        read: list[tuple[Path, dt.date | None, bytes | SourceError]] = []
        for number, path in enumerate(paths):
            tell("reading listings", number, len(paths))
            date = _listing_date(path, listing_date, config)
            try:
                read.append((path, date, read_bytes(path, limit=_MAX_LISTING, inside=inside)))
            except SourceError as error:
                read.append((path, date, error))
        tell("reading listings", len(paths), len(paths))
        pages = Pages(config.papers_dir, config.root, seen)
        inputs = None if force else _inputs(config, read, inside, pages)
        if memory is not None and inputs is not None and inputs.digest == memory.inputs:
            _replay(memory.outcome, report)
            if pages.seen != memory.pages:  # pages now known by their stat: not read again next time
                write_run(config.root, RunMemory(memory.inputs, memory.outcome, pages.seen), report.notices)
            return report
        replayable = len(report.notices)
        entries: list[ListingEntry] = []
        for number, (path, date, data) in enumerate(read):
            tell("parsing listings", number, len(read))
            try:
                if isinstance(data, SourceError):
                    raise data
                listing = parse_listing(data, path, date)
            except NotAFile as skipped:
                report.notices.append(Notice(skipped.loc, skipped.message))
                continue
            except ApiDumpInvalid as invalid:
                report.errors.extend(invalid.problems)
                continue
            except SourceError as error:
                report.errors.append(error)
                continue
            entries.extend(listing.entries)
            report.notices.extend(listing.notices)
            report.digests.append(DigestSummary(path, len(listing.entries)))
        tell("parsing listings", len(read), len(read))
        vocabulary = _vocabulary(config, report)
        found, notices = combine(entries)
        report.notices.extend(notices)
        said = len(own_notices)
        tags = _TagMemo(config.root, inputs.vocabulary if inputs else None, vocabulary, own_notices)
        report.notices.extend(own_notices[said:])
        written = _write_pages(config, found, tags.tag, force, report, tell)
        if inputs is None or report.errors:
            forget_run(config.root)
            return report
        said = len(own_notices)
        tags.save()
        report.notices.extend(own_notices[said:])
        _remember(config, inputs, pages, written, report, replayable, own_notices)
    return report


def _silent(stage: str, done: int, total: int) -> None:
    """No progress to show."""


@dataclass(frozen=True, slots=True)
class _Inputs:
    digest: str
    """The fingerprint of everything the run reads."""
    parts: tuple[object, ...]
    """What went into it, the pages' part (the last) as name -> token."""
    vocabulary: str | None


def _inputs(
    config: Config, read: Sequence[tuple[Path, dt.date | None, bytes | SourceError]], inside: Path | None, pages: Pages
) -> _Inputs | None:
    """Everything a run's outcome depends on, fingerprinted; None when a listing could not be read
    (such a run reports that, and is not remembered)."""
    listings = []
    for path, date, data in read:
        if isinstance(data, SourceError):
            return None
        listings.append([str(path), date.isoformat() if date else None, sha256(data)])
    state_path = config.path("content_dir") / STATE_FILE
    vocabulary = _file_digest(config.path("tags_file"))
    parts: tuple[object, ...] = (
        code_fingerprint(),
        [str(config.root), str(config.path("content_dir")), str(config.papers_dir), inside is None],
        listings,
        [str(config.path("tags_file")), vocabulary],
        _file_digest(state_path),
        {name: pages.token(name) for name in page_names(config.papers_dir)},
    )
    return _Inputs(fingerprint(parts), parts, vocabulary)


def _file_digest(path: Path) -> str | None:
    """The sha256 of a file convert reads whole (the vocabulary, the state); None when there is none."""
    try:
        return sha256(path.read_bytes()) if os.path.lexists(path) else None
    except OSError as error:
        return f"unreadable:{error.errno}"


@dataclass(frozen=True, slots=True)
class _Written:
    """What ``_write_pages`` did, for the memory of the run."""

    changes: tuple[tuple[Path, bytes], ...]
    settled: tuple[Path, ...]
    """Pages this run wrote or found as it would write them, in order: the next run's unchanged ones."""
    state_notices: tuple[int, int]
    """Where in the report's notices those of reading the state are (they go with the state rewritten)."""


def _remember(
    config: Config, inputs: _Inputs, pages: Pages, written: _Written, report: ConvertReport, replayable: int, own: list[Notice]
) -> None:
    """Keep what the next run over what this one left would report: the same, with every page settled."""
    *others, state, tokens = inputs.parts
    assert isinstance(tokens, dict)
    tokens = dict(tokens)
    state_path = config.path("content_dir") / STATE_FILE
    folder = config.papers_dir
    for path, data in written.changes:
        if path == state_path:
            state = sha256(data)
        elif path.parent == folder:
            tokens[path.name] = sha256(data)
            pages.wrote(path.name, tokens[path.name])
    begin, end = written.state_notices
    mine = {id(notice) for notice in own}
    kept_notices = [
        notice
        for position, notice in enumerate(report.notices)
        if position >= replayable and not begin <= position < end and id(notice) not in mine
    ]
    outcome = Outcome(
        tuple((digest.path, digest.papers) for digest in report.digests), written.settled, tuple(report.kept), tuple(kept_notices)
    )
    after = fingerprint((*others, state, {name: tokens[name] for name in page_names(folder) if name in tokens}))
    write_run(config.root, RunMemory(after, outcome, pages.seen), report.notices)


LISTING_SUFFIXES = (".txt", ".json", ".json.gz")
_MAX_LISTING = 512 * 1024 * 1024
"""Largest listing read, compressed or not: a month of the API is about 5 MiB."""


def listing_files(folder: Path) -> list[Path]:
    """The listing files of a seeds folder, by name: Daily Papers text digests and API dumps."""
    if not folder.is_dir():
        return []
    return sorted(path for path in folder.iterdir() if path.name.endswith(LISTING_SUFFIXES) and not path.name.startswith("."))


def read_listing(path: Path, listing_date: dt.date | None, inside: Path | None = None) -> Listing:
    """One listing file read and parsed by its kind: ``*.json`` (or gzipped) is the API format, anything else text."""
    return parse_listing(read_bytes(path, limit=_MAX_LISTING, inside=inside), path, listing_date)


def parse_listing(data: bytes, path: Path, listing_date: dt.date | None) -> Listing:
    """A listing file's bytes parsed by its kind (see read_listing)."""
    if path.name.endswith(".gz"):
        try:
            with gzip.GzipFile(fileobj=io.BytesIO(data)) as stream:
                data = stream.read(_MAX_LISTING + 1)
        except (OSError, EOFError, zlib.error) as error:
            raise SourceError(Loc(path), f"not a readable gzip file: {error}") from None
        if len(data) > _MAX_LISTING:
            raise SourceError(Loc(path), "decompresses to more than 512 MiB; refusing to read it")
    text = decode_text(data, path)
    if path.name.endswith((".json", ".json.gz")):
        return parse_api_dump(text, path)
    digest = parse_digest(text, path, listing_date)
    return Listing(digest.entries, digest.notices)


NEW_PAGE_BODY = (
    "Write the paper's abstract here, in Markdown. Add what you know above: `authors` (a list of names), "
    "`arxiv`, `doi` or `url`, `tags`. This page is a draft, left out of the site until you delete the "
    "`draft: true` line."
)


def new_page(config: Config, title: str, date: dt.date) -> Path:
    """A hand-written page for a paper from no listing, as a draft with a placeholder that says what to write,
    so an empty page never tops the index and the feed; never replaces an existing page."""
    title = " ".join(title.split())
    if not title:
        raise SitegenError("the title is empty: sitegen new \"Title of the paper\"")
    vocabulary = load_vocabulary(config.path("tags_file")) if config.path("tags_file").is_file() else None
    slug = slugify(title)
    path = config.papers_dir / f"{slug}.md"
    with locked(config, wait=False):
        finish(config.path("content_dir"))
        if os.path.lexists(path):
            raise SitegenError(f"{path} already exists; edit it, or choose another title")
        tags = assign_tags(vocabulary, title, "") if vocabulary else ()
        paper = Paper(slug=slug, title=title, body=NEW_PAGE_BODY, date=date, tags=tags, draft=True)
        _write(path, render_page(paper).encode("utf-8"))
    return path


def _listing_date(path: Path, given: dt.date | None, config: Config) -> dt.date | None:
    return given or listing_date_from_name(path) or config.listing_date_for(path.name)


def _vocabulary(config: Config, report: ConvertReport) -> TagVocabulary | None:
    path = config.path("tags_file")
    if not path.is_file():
        report.notices.append(Notice(Loc(path), "no tag vocabulary here; papers get no tags (sitegen init writes the default one)"))
        return None
    return load_vocabulary(path)


class _TagMemo:
    """Tags by (title, text) under one vocabulary, kept between runs: a paper is tagged once."""

    def __init__(self, root: Path, digest: str | None, vocabulary: TagVocabulary | None, notices: list[Notice]) -> None:
        self._root, self._digest, self._notices = root, digest, notices
        self._tag = tagger(vocabulary)
        self._known = read_tags(root, digest, notices) if digest and vocabulary else {}
        self._used: dict[str, tuple[str, ...]] = {}

    def tag(self, title: str, text: str) -> tuple[str, ...]:
        key = tag_key(title, text)
        tags = self._known.get(key)
        if tags is None:
            tags = self._tag(title, text)
        self._used[key] = tags
        return tags

    def save(self) -> None:
        """Keep the tags of this run's papers (those of papers gone from the listings are dropped)."""
        if self._digest and self._used != self._known:
            write_tags(self._root, self._digest, self._used, self._notices)


def _replay(outcome: Outcome, report: ConvertReport) -> None:
    report.digests.extend(DigestSummary(path, papers) for path, papers in outcome.digests)
    report.unchanged.extend(outcome.unchanged)
    report.kept.extend(outcome.kept)
    report.notices.extend(outcome.notices)


def _write_pages(
    config: Config, found: list[Found], tag: Tagger, force: bool, report: ConvertReport, tell: Progress
) -> _Written:
    folder = config.papers_dir
    state_path = config.path("content_dir") / STATE_FILE
    before = len(report.notices)
    state = read_state(state_path, config.root, report.notices)
    state_notices = (before, len(report.notices))
    settled: list[Path] = []
    slugs = _SlugIndex(state, {path.stem for path in folder.glob("*.md")})
    changes: list[tuple[Path, bytes, bytes | None]] = []
    """Target, new bytes, current bytes: written together or not at all."""
    edited: list[tuple[Path, bytes]] = []
    """Pages edited by hand that --force overwrites: saved first."""
    for number, paper in enumerate(found):
        tell("converting papers", number, len(found))
        slug, current_bytes, current = slugs.page_for(paper, folder, config.root, report)
        if slug is None:
            continue
        path = folder / f"{slug}.md"
        record = state.records.get(slug)
        recorded = _recorded_fields(record, current_bytes, current)
        merged = merge(
            slug, paper, listing_values(paper, tag), current, recorded,
            record.counted if record else None, record.sources if record else (), force,
        )  # fmt: skip
        text = render_page(merged.paper).encode("utf-8")
        if merged.kept:
            report.kept.append(path)
            fields = ", ".join(_FIELD_NAMES.get(name, name) for name in merged.kept)
            whose = "your" if merged.owned else "this hand-written page's"
            report.notices.append(Notice(Loc(path), f"edited by hand: kept {whose} {fields} (the listing differs; --force overwrites)"))
        if not merged.owned:
            continue
        if not merged.kept:
            settled.append(path)
        if current_bytes == text:
            if not merged.kept:
                report.unchanged.append(path)
        else:
            (report.created if current_bytes is None else report.updated).append(path)
            if force and merged.edited and current_bytes is not None:
                edited.append((path, current_bytes))  # only --force overwrites an edit: saved first
            changes.append((path, text, current_bytes))
        sources = tuple(dict.fromkeys([*(record.sources if record else ()), *paper.sources]))
        arxiv = base_arxiv(merged.paper.arxiv) or (record.arxiv if record else None)
        state.records[slug] = PageRecord(paper.key, sha256(text), arxiv, merged.hashes, sources, merged.counted)
        slugs.assign(slug, paper.key, arxiv)
    tell("converting papers", len(found), len(found))
    data = state.encoded()
    if state.original != data and (state.original is not None or state.records):
        changes.append((state_path, data, state.original))
    tell("writing files", 0, len(changes))
    _apply(config, changes, edited, report)
    tell("writing files", len(changes), len(changes))
    return _Written(tuple((path, new) for path, new, _ in changes), tuple(settled), state_notices)


_FIELD_NAMES = {"body": "abstract", "author_count": "author count"}


def _recorded_fields(record: PageRecord | None, current_bytes: bytes | None, current: Paper | None) -> Mapping[str, str] | None:
    """The field hashes to tell edits by: the state's, or, for a record of an older converter whose page
    is untouched, the page's own (nothing edited); None when nothing is known (every set field is a person's)."""
    if record is None or current is None:
        return None
    if record.fields is not None:
        return record.fields
    if current_bytes is not None and sha256(current_bytes) == record.sha256:
        return written_hashes(current)
    return None


class _SlugIndex:
    """Which page a paper of the listings is: by arXiv id, else by title key, never across two ids."""

    def __init__(self, state: ConvertState, existing: set[str]) -> None:
        self._by_arxiv: dict[str, str] = {}
        self._by_key: dict[str, list[str]] = {}
        self._arxiv_of: dict[str, str | None] = {}
        for slug, record in state.records.items():
            self.assign(slug, record.key, record.arxiv)
        self._taken = existing | set(state.records)
        self._on_disk = {stem.casefold() for stem in existing}
        self._recorded = set(state.records)
        self._used: set[str] = set()

    def assign(self, slug: str, key: str, arxiv: str | None) -> None:
        identifier = base_arxiv(arxiv)
        if identifier:
            self._by_arxiv.setdefault(identifier, slug)
        if slug not in self._by_key.get(key, []):
            self._by_key.setdefault(key, []).append(slug)
        self._arxiv_of[slug] = identifier or self._arxiv_of.get(slug)

    def page_for(
        self, paper: Found, folder: Path, root: Path, report: ConvertReport
    ) -> tuple[str | None, bytes | None, Paper | None]:
        """The slug for ``paper`` with the page's bytes and contents (None, None for a new page);
        (None, ...) when the page there cannot be read or replaced, which is then kept as it is."""
        identifier = base_arxiv(paper.arxiv)
        candidates = [self._by_arxiv[identifier]] if identifier in self._by_arxiv else []
        candidates += [
            slug for slug in self._by_key.get(paper.key, []) if identifier is None or self._arxiv_of.get(slug) in (None, identifier)
        ]
        candidates += _unrecorded_candidates(folder, paper.title, self._recorded, self._on_disk)
        for slug in dict.fromkeys(candidates):
            if slug in self._used:
                continue
            path = folder / f"{slug}.md"
            try:
                current_bytes = _current_page(path, root)
            except SourceError as problem:
                self._used.add(slug)
                report.kept.append(path)
                report.notices.append(Notice(problem.loc, f"{problem.message}; kept as is, not converted"))
                return None, None, None
            if current_bytes is None:
                if slug in self._recorded:
                    break  # its page was deleted: written again under the same name
                continue
            try:
                current = parse_page(decode_text(current_bytes, path), path)
            except (BuildFailed, SourceError):
                self._used.add(slug)
                report.kept.append(path)
                report.notices.append(Notice(Loc(path), "edited by hand and no longer a valid page; kept as is (--force rewrites it)"))
                return None, None, None
            if slug not in self._recorded and title_key(current.title) != paper.key:
                continue
            if identifier and current.arxiv and base_arxiv(current.arxiv) != identifier:
                continue  # another paper under the same title
            self._used.add(slug)
            return slug, current_bytes, current
        else:
            slug = _free_slug(paper.title, self._taken, identifier)
            self._taken.add(slug)
            self._used.add(slug)
            return slug, None, None
        self._used.add(slug)
        return slug, None, None


def _apply(
    config: Config, changes: list[tuple[Path, bytes, bytes | None]], edited: list[tuple[Path, bytes]], report: ConvertReport
) -> None:
    """Write every change or none: staged beside the targets, edited pages saved, then renamed in place."""
    if not changes:
        return
    transaction = Transaction(config.path("content_dir"))
    for path, data, current in changes:
        transaction.stage(path, data, sha256(current) if current is not None else None)
    try:
        backups = _back_up(config, edited)
    except BaseException:
        transaction.discard()
        raise
    transaction.commit()
    report.backups.extend(backups)


def _back_up(config: Config, edited: list[tuple[Path, bytes]]) -> list[Backup]:
    """Save each edited page as .sitegen/backups/<slug>.<UTC time>.md, durably, before it is overwritten."""
    if not edited:
        return []
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    folder = config.root / STATE_DIR / BACKUPS
    backups: list[Backup] = []
    try:
        folder = state_folder(config.root) / BACKUPS
        folder.mkdir(exist_ok=True)
        for page, data in edited:
            copy = folder / f"{page.stem}.{stamp}.md"
            atomic_write(copy, data, durable=True)
            backups.append(Backup(page, copy))
        sync_folders([folder])
    except OSError as error:
        for backup in backups:
            with contextlib.suppress(OSError):
                backup.copy.unlink(missing_ok=True)
        raise SourceError(
            Loc(folder), f"cannot save edited pages before overwriting them: {error.strerror or error}; nothing was changed"
        ) from None
    return backups


def _current_page(path: Path, root: Path) -> bytes | None:
    """The bytes of the page at ``path``, None when there is none; a SourceError when what is there
    is not a page sitegen may read and replace (a folder, a FIFO, a link out of the project)."""
    if not os.path.lexists(path):
        return None
    if os.path.islink(path) and not path.exists():
        raise SourceError(Loc(path), "is a broken link")
    return read_bytes(path, inside=root)


def _write(path: Path, data: bytes) -> None:
    """An atomic write whose failure (disk full, no permission) is one clear line, not a traceback."""
    try:
        atomic_write(path, data, durable=True)
    except OSError as error:
        raise SourceError(Loc(path), f"cannot write: {error.strerror or error}") from None


def _unrecorded_candidates(folder: Path, title: str, recorded: set[str], on_disk: set[str]) -> list[str]:
    """Slugs an existing page for this paper may have when the state does not know it (state file
    deleted, or the page made by `sitegen new`), so no duplicate page is made. Only names among
    ``on_disk`` (the folder's pages when the run began, casefolded as a file system may match them)
    are looked at: a first run asks the disk nothing."""
    plain = slugify(title)
    return [
        slug
        for slug in (plain, disambiguated(plain, title))
        if slug not in recorded and slug.casefold() in on_disk and (folder / f"{slug}.md").is_file()
    ]


def _free_slug(title: str, taken: set[str], arxiv: str | None = None) -> str:
    """The title's slug, or, when taken, one with a suffix from the arXiv id (else the title): two papers
    named alike get stable names whatever order they come in."""
    slug = slugify(title)
    if slug not in taken:
        return slug
    candidate = disambiguated(slug, arxiv or title)
    attempt = 1
    while candidate in taken:
        attempt += 1
        candidate = disambiguated(slug, f"{arxiv or title}\n{attempt}")
    return candidate

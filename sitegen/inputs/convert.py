"""`sitegen convert`: digests -> content/papers/<slug>.md, without ever destroying an edit.

The converter remembers, in ``content/.convert-state.json``, the title key and
hash of every page it wrote. A page whose bytes still hash to what was written is
the converter's to update; any other page belongs to a person and is left alone
(its new data is reported instead, unless ``--force``, which first saves it in
``.sitegen/backups/``). The state file is input like any other: an entry that is
not a page name with a record of that shape is ignored, with a warning.

A run is all or nothing (sitegen/content/journal.py): everything that changes is
written beside its target first and renamed into place after, so content/ is
either as it was or fully updated, also on a full disk or after kill -9.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from sitegen.config import Config
from sitegen.content.frontmatter import escape_markdown, parse_page, render_page
from sitegen.content.journal import Transaction, finish, locked, sha256, sync_folders
from sitegen.content.slugs import disambiguated, is_slug, slugify, title_key
from sitegen.content.tags import TagVocabulary, assign_tags, load_vocabulary
from sitegen.errors import BuildFailed, SitegenError, SourceError
from sitegen.fsutil import STATE_DIR, NotAFile, atomic_write, read_bytes, read_text, state_folder
from sitegen.inputs.daily_text import listing_date_from_name, parse_digest
from sitegen.model import DigestEntry, Loc, Notice, Paper

STATE_FILE = ".convert-state.json"
BACKUPS = "backups"
"""Folder of the state folder (.sitegen/) where --force saves an edited page before overwriting it."""
_URL = re.compile(r"https?://[^\s<>()\[\]{}\"'`]+")
_SHA256 = re.compile(r"[0-9a-f]{64}")

State = dict[str, dict[str, str]]


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


def convert(
    config: Config,
    digests: Sequence[Path] = (),
    listing_date: dt.date | None = None,
    force: bool = False,
) -> ConvertReport:
    """Convert digests (default: every seeds/*.txt); a digest with an error writes nothing.

    Digests found in the seeds folder may not be links out of the project; digests named
    here may be anywhere. A FIFO, device or socket is skipped with a warning.
    """
    report = ConvertReport()
    with locked(config, wait=False):
        content = config.path("content_dir")
        report.notices.extend(finish(content, [content, config.papers_dir]))
        paths = list(digests) or sorted(config.path("seeds_dir").glob("*.txt"))
        if not paths:
            raise SitegenError(f"no digests to convert: put .txt digests in {config.path('seeds_dir')}/ or name them")
        inside = None if digests else config.root
        entries: list[DigestEntry] = []
        for path in paths:
            try:
                text = read_text(path, inside=inside)
                digest = parse_digest(text, path, _listing_date(path, listing_date, config))
            except NotAFile as skipped:
                report.notices.append(Notice(skipped.loc, skipped.message))
                continue
            except SourceError as error:
                report.errors.append(error)
                continue
            entries.extend(digest.entries)
            report.notices.extend(digest.notices)
            report.digests.append(DigestSummary(path, len(digest.entries)))
        vocabulary = _vocabulary(config, report)
        papers = _merge(entries, report)
        _write_pages(config, papers, vocabulary, force, report)
    return report


def new_page(config: Config, title: str, date: dt.date) -> Path:
    """A hand-written page for a paper from no digest; never replaces an existing page."""
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
        paper = Paper(slug=slug, title=title, body="", date=date, tags=tags)
        _write(path, render_page(paper).encode("utf-8"))
    return path


def _listing_date(path: Path, given: dt.date | None, config: Config) -> dt.date | None:
    return given or listing_date_from_name(path) or config.listing_date_for(path.name)


def _vocabulary(config: Config, report: ConvertReport) -> TagVocabulary | None:
    path = config.path("tags_file")
    if not path.is_file():
        report.notices.append(Notice(Loc(path), "no tag vocabulary here; papers get no tags"))
        return None
    return load_vocabulary(path)


@dataclass(slots=True)
class _Merged:
    entry: DigestEntry
    sources: list[str]


def _merge(entries: Iterable[DigestEntry], report: ConvertReport) -> list[_Merged]:
    """One paper per title key, in order of first appearance, combining what each digest knew."""
    merged: dict[str, _Merged] = {}
    for entry in entries:
        key = title_key(entry.title)
        source = entry.loc.path.name
        if key not in merged:
            merged[key] = _Merged(entry, [source])
            continue
        kept = merged[key]
        report.notices.append(Notice(entry.loc, f"same paper as {kept.entry.loc}; merged into one page"))
        first = kept.entry
        kept.entry = replace(
            first,
            abstract=max(first.abstract, entry.abstract, key=len),
            date=first.date or entry.date,
            authors=_larger(first.authors, entry.authors),
            organisation=first.organisation or entry.organisation,
            comments=_larger(first.comments, entry.comments),
        )
        if source not in kept.sources:
            kept.sources.append(source)
    return list(merged.values())


def _larger(first: int | None, second: int | None) -> int | None:
    """Counts only grow (comments accumulate), so the larger of two listings is the newer."""
    return max((count for count in (first, second) if count is not None), default=None)


def _paper(merged: _Merged, slug: str, vocabulary: TagVocabulary | None) -> Paper:
    entry = merged.entry
    return Paper(
        slug=slug,
        title=entry.title,
        body=escape_markdown(entry.abstract),
        date=entry.date,
        authors=entry.authors,
        organisation=entry.organisation,
        comments=entry.comments,
        tags=assign_tags(vocabulary, entry.title, entry.abstract) if vocabulary else (),
        links=tuple(dict.fromkeys(url.rstrip(".,;:!?") for url in _URL.findall(entry.abstract))),
        sources=tuple(merged.sources),
    )


def _write_pages(
    config: Config, papers: list[_Merged], vocabulary: TagVocabulary | None, force: bool, report: ConvertReport
) -> None:
    folder = config.papers_dir
    state_path = config.path("content_dir") / STATE_FILE
    state, state_bytes = _read_state(state_path, config.root, report)
    slug_of_key = {record["key"]: slug for slug, record in state.items()}
    taken = {path.stem for path in folder.glob("*.md")} | set(state)
    changes: list[tuple[Path, bytes, bytes | None]] = []
    """Target, new bytes, current bytes: written together or not at all."""
    edited: list[tuple[Path, bytes]] = []
    """Pages edited by hand that --force overwrites: saved first."""
    for merged in papers:
        key = title_key(merged.entry.title)
        slug = slug_of_key.get(key) or _unrecorded_page(folder, merged.entry.title, key, state) or _free_slug(
            merged.entry.title, taken
        )
        taken.add(slug)
        paper = _paper(merged, slug, vocabulary)
        path = folder / f"{slug}.md"
        text = render_page(paper).encode("utf-8")
        try:
            current = _current_page(path, config.root)
        except SourceError as problem:
            report.kept.append(path)
            report.notices.append(Notice(problem.loc, f"{problem.message}; kept as is, not converted"))
            continue
        recorded = state.get(slug, {}).get("sha256")
        if current == text:
            report.unchanged.append(path)
        elif current is None or sha256(current) == recorded or force:
            (report.created if current is None else report.updated).append(path)
            if current is not None and sha256(current) != recorded:
                edited.append((path, current))
            changes.append((path, text, current))
        else:
            report.kept.append(path)
            report.notices.append(Notice(Loc(path), _edited_message(current, paper, path)))
            continue
        state[slug] = {"key": key, "sha256": sha256(text)}
    data = (json.dumps(state, indent=1, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")
    if state_bytes is not None and state_bytes != data or state_bytes is None and state:
        changes.append((state_path, data, state_bytes))
    _apply(config, changes, edited, report)


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


def _unrecorded_page(folder: Path, title: str, key: str, state: State) -> str | None:
    """The slug of an existing page for this paper that the state does not know of
    (state file deleted, or the page made by `sitegen new`), so no duplicate page is made."""
    plain = slugify(title)
    for slug in (plain, disambiguated(plain, title)):
        path = folder / f"{slug}.md"
        if slug in state or not path.is_file():
            continue
        try:
            page = parse_page(read_text(path), path)
        except (BuildFailed, SourceError):
            continue
        if title_key(page.title) == key:
            return slug
    return None


def _free_slug(title: str, taken: set[str]) -> str:
    slug = slugify(title)
    if slug not in taken:
        return slug
    candidate = disambiguated(slug, title)
    attempt = 1
    while candidate in taken:
        attempt += 1
        candidate = disambiguated(slug, f"{title}\n{attempt}")
    return candidate


def _edited_message(current: bytes, paper: Paper, path: Path) -> str:
    """Which fields the digest would change, so a person can copy them over by hand."""
    try:
        existing = parse_page(current.decode("utf-8"), path)
    except (BuildFailed, UnicodeDecodeError):
        return "edited by hand and no longer a valid page; kept as is (--force rewrites it)"
    names = ("title", "body", "date", "authors", "organisation", "comments", "tags", "links", "sources")
    changed = [name for name in names if getattr(existing, name) != getattr(paper, name)]
    detail = f"differs from the digest in {', '.join(changed)}" if changed else "same data as the digest"
    return f"edited by hand, kept as is; {detail} (--force overwrites the edit)"


def _read_state(path: Path, root: Path, report: ConvertReport) -> tuple[State, bytes | None]:
    """The converter state and its bytes (None when there is none); entries that are not a page name
    with a record of a title key and a sha256 are ignored, with one warning naming the file."""
    if not os.path.lexists(path):
        return {}, None
    data = read_bytes(path, inside=root)
    corrupt = "converter state is corrupt; delete it (edited pages then stay protected)"
    try:
        document = json.loads(data.decode("utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise SourceError(Loc(path), corrupt) from None
    if not isinstance(document, dict):
        raise SourceError(Loc(path), corrupt)
    state: State = {}
    bad: list[str] = []
    for slug, record in document.items():
        if not is_slug(slug):
            bad.append(f"{slug[:40]!a} is not a page name")
        elif not (
            isinstance(record, dict)
            and isinstance(record.get("key"), str)
            and isinstance(record.get("sha256"), str)
            and _SHA256.fullmatch(record["sha256"])
        ):
            bad.append(f"{slug!r} has no record of 'key' and 'sha256'")
        else:
            state[slug] = {"key": record["key"], "sha256": record["sha256"]}
    if bad:
        more = f" and {len(bad) - 1} more" if len(bad) > 1 else ""
        report.notices.append(
            Notice(Loc(path), f"ignored entries sitegen did not write ({bad[0]}{more}); they are dropped from the state")
        )
    return state, data

"""`sitegen convert`: digests -> content/papers/<slug>.md, without ever destroying an edit.

The converter remembers, in ``content/.convert-state.json``, the title key and
hash of every page it wrote. A page whose bytes still hash to what was written is
the converter's to update; any other page belongs to a person and is left alone
(its new data is reported instead, unless ``--force``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from sitegen.config import Config
from sitegen.content.frontmatter import escape_markdown, parse_page, render_page
from sitegen.content.slugs import disambiguated, slugify, title_key
from sitegen.content.tags import TagVocabulary, assign_tags, load_vocabulary
from sitegen.errors import BuildFailed, SitegenError, SourceError
from sitegen.fsutil import atomic_write, read_text
from sitegen.inputs.daily_text import listing_date_from_name, parse_digest
from sitegen.model import DigestEntry, Loc, Notice, Paper

STATE_FILE = ".convert-state.json"
_URL = re.compile(r"https?://[^\s<>()\[\]{}\"'`]+")


@dataclass(frozen=True, slots=True)
class DigestSummary:
    path: Path
    papers: int


@dataclass(slots=True)
class ConvertReport:
    """What a run did, for the command line to print."""

    digests: list[DigestSummary] = field(default_factory=list)
    created: list[Path] = field(default_factory=list)
    updated: list[Path] = field(default_factory=list)
    unchanged: list[Path] = field(default_factory=list)
    kept: list[Path] = field(default_factory=list)
    """Pages a person edited, whose new data was not written."""
    notices: list[Notice] = field(default_factory=list)
    errors: list[SourceError] = field(default_factory=list)


def convert(
    config: Config,
    digests: Sequence[Path] = (),
    listing_date: dt.date | None = None,
    force: bool = False,
) -> ConvertReport:
    """Convert digests (default: every seeds/*.txt); a digest with an error writes nothing."""
    report = ConvertReport()
    paths = list(digests) or sorted(config.path("seeds_dir").glob("*.txt"))
    if not paths:
        raise SitegenError(f"no digests to convert: put .txt digests in {config.path('seeds_dir')}/ or name them")
    entries: list[DigestEntry] = []
    for path in paths:
        try:
            digest = parse_digest(read_text(path), path, _listing_date(path, listing_date, config))
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
    if path.exists():
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
    state = _read_state(state_path)
    slug_of_key = {record["key"]: slug for slug, record in state.items()}
    taken = {path.stem for path in folder.glob("*.md")} | set(state)
    for merged in papers:
        key = title_key(merged.entry.title)
        slug = slug_of_key.get(key) or _unrecorded_page(folder, merged.entry.title, key, state) or _free_slug(
            merged.entry.title, taken
        )
        taken.add(slug)
        paper = _paper(merged, slug, vocabulary)
        path = folder / f"{slug}.md"
        text = render_page(paper).encode("utf-8")
        current = path.read_bytes() if path.is_file() else None
        recorded = state.get(slug, {}).get("sha256")
        if current == text:
            report.unchanged.append(path)
        elif current is None or _sha256(current) == recorded or force:
            (report.created if current is None else report.updated).append(path)
            _write(path, text)
        else:
            report.kept.append(path)
            report.notices.append(Notice(Loc(path), _edited_message(current, paper, path)))
            continue
        state[slug] = {"key": key, "sha256": _sha256(text)}
    data = (json.dumps(state, indent=1, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")
    if state_path.is_file() and state_path.read_bytes() != data or not state_path.is_file() and state:
        _write(state_path, data)


def _write(path: Path, data: bytes) -> None:
    """An atomic write whose failure (disk full, no permission) is one clear line, not a traceback."""
    try:
        atomic_write(path, data, durable=True)
    except OSError as error:
        raise SourceError(Loc(path), f"cannot write: {error.strerror or error}") from None


def _unrecorded_page(folder: Path, title: str, key: str, state: dict[str, dict[str, str]]) -> str | None:
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


def _read_state(path: Path) -> dict[str, dict[str, str]]:
    if not path.is_file():
        return {}
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError):
        raise SourceError(Loc(path), "converter state is corrupt; delete it (edited pages then stay protected)") from None
    if not isinstance(state, dict):
        raise SourceError(Loc(path), "converter state is corrupt; delete it (edited pages then stay protected)")
    return state


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()

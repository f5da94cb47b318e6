"""`sitegen build`: the I/O shell around load -> collect -> render + search -> write.

Everything is read and validated before the first byte is written; each file
goes into a spare copy of the site as soon as it is rendered, and the new site
replaces the old in one step (output.py), so a build that fails or is killed
leaves the previous site exactly as it was. Each build
leaves hints for the next in the project's state folder (state.py, cache.py),
never in the output: pages whose files did not change are not parsed again
(load.py), pages whose inputs did not change (fingerprint.py) are not rendered
again (rendering.py), and the search files are made again only when a paper changed
(search/files.py). A build with nothing to do knows it from its inputs alone
(shortcut.py).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sitegen.build.cache import (
    page_records,
    read_page_records,
    read_parsed_pages,
    read_related,
    read_related_terms,
    read_search_record,
    still_there,
    write_page_records,
    write_parsed_pages,
    write_related,
    write_search_record,
)
from sitegen.build.fingerprint import PaperDigests
from sitegen.build.load import read_pages
from sitegen.build.output import MARKER, Publication, Spare, WriteResult, check_output
from sitegen.build.rendering import Progress, render_site
from sitegen.build.session import BuildSession
from sitegen.build.shortcut import forget, inputs_key, notices_data, report_notices, unchanged_report
from sitegen.build.shortcut import record as record_build
from sitegen.build.state import build_state, locked
from sitegen.config import Config
from sitegen.content.journal import recover
from sitegen.errors import SourceError
from sitegen.model import Loc, Notice
from sitegen.search.files import SearchFiles, SearchSizes
from sitegen.search.related import find_related, with_related
from sitegen.site.collect import collect
from sitegen.site.publishing import robots_note, undated_notices


@dataclass(frozen=True, slots=True)
class BuildReport:
    papers: int
    tags: int
    result: WriteResult
    seconds: float
    output: Path
    search: SearchSizes
    notices: tuple[Notice, ...] = ()
    related_seconds: float = 0.0
    """Time spent finding related papers (sitegen/search/related.py): nothing when no paper changed."""
    notes: tuple[str, ...] = ()
    """Lines about where the site is published (``robots_note``), printed before the figures."""

    def summary(self) -> str:
        r, s = self.result, self.search
        reused = "" if s.rebuilt else ", unchanged"
        shards = s.shards
        whole = "" if s.lunr_json is None else f"; lunr.json {_kb(s.lunr_json[0])} ({_kb(s.lunr_json[1])} gzipped)"
        return "".join(f"{note}\n" for note in self.notes) + (
            f"built {self.papers} papers, {self.tags} tags into {self.output}: {len(r.written)} files written, "
            f"{len(r.unchanged)} unchanged, {len(r.removed)} removed in {self.seconds:.2f} s; "
            f"search index in {shards} shard{'' if shards == 1 else 's'}, {_kb(s.raw)} ({_kb(s.gzipped)} gzipped){reused}{whole}"
        )


def _kb(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MiB"
    return f"{size / 1024:.0f} KiB" if size >= 1024 else f"{size} B"


def check_folders(config: Config, folder: Path) -> None:
    """Refuse, before any work, an output folder that is not sitegen's to replace (``check_output``)
    and a missing content folder: a typo in content_dir must not publish an empty site. The
    preview calls it before it listens, so it never serves what a build would refuse."""
    check_output(config, folder)
    content = config.path("content_dir")
    if not content.is_dir():
        raise SourceError(Loc(content), "no content folder here; check --root and content_dir (a typo would publish an empty site)")


def build(
    config: Config,
    output: Path | None = None,
    drafts: bool = False,
    session: BuildSession | None = None,
    progress: Progress | None = None,
) -> BuildReport:
    """Build the site; ``progress(stage, done, total)``, when given, hears how far the long stages are
    (the command line draws it on a terminal; the build itself prints nothing)."""
    started = time.perf_counter()
    folder = output if output is not None else config.path("output_dir")
    check_folders(config, folder)
    recover(config)  # finish a convert that was interrupted, so no page is read half-converted
    state = build_state(config.root, folder)
    notices: list[Notice] = []
    with locked(state):
        key = inputs_key(config, folder, drafts) if session is None else ""
        kept = unchanged_report(state, key) if session is None else None
        if kept is not None and (same := _same_report(kept, config, folder, started)) is not None:
            return same
        forget(state)  # this build changes the output: until it records itself, no shortcut
        if session is not None:
            known, records, spare = session.caches(state, config.papers_dir, notices)
        else:
            known = read_parsed_pages(state, config.papers_dir, notices)
            records, spare = read_page_records(state, notices), Spare.of(state)
        generation = spare.generation
        spare.load()
        last = session.written if session is not None and spare.generation == generation else None
        lasting: list[Notice] = []
        papers, parsed = read_pages(config, known, notices, progress, lasting)
        site = collect([paper for paper in papers if drafts or not paper.draft], config)
        notices.extend(undated_notices(site.papers))
        lasting.extend(undated_notices(site.papers))
        paper_digests = session.papers if session is not None else PaperDigests()
        folder_text = str(folder)

        def intact(path: str, fingerprint: str | None) -> bool:
            return still_there(folder_text, path, records.get(path), fingerprint)

        texts = {page.paper.body: page.text for page in parsed.values()}
        worker = session.search_worker if session is not None else None
        previous_search = read_search_record(state, notices)
        previous_related = session.related if session is not None else read_related(state, notices)
        with SearchFiles(site, texts, previous_search, intact, paper_digests.digest, worker) as search:
            # Related papers, while the search worker (if any) makes the search files: paper pages show them.
            related_started = time.perf_counter()
            if progress is not None:
                progress("finding related papers", 0, 1)
            related = find_related(site, texts, previous_related, lambda: read_related_terms(state, notices), paper_digests.digest)
            site = with_related(site, related)
            related_seconds = time.perf_counter() - related_started
            html = {page.paper.body: page.html for page in parsed.values() if page.html is not None}
            publication = Publication(folder, spare, last)
            skips = len(notices)
            rendered = render_site(
                site, intact, paper_digests, notices, progress, texts, html, publication,
                session.templates if session is not None else None,
            )
            lasting.extend(notices[skips:])  # theme files skipped: on every build
            if progress is not None:
                progress("writing files", 0, 1)
            files = {**rendered.files, **search.files()}
            for path in sorted(files.keys() - rendered.files.keys()):
                publication.add(path, files[path])
            result = publication.finish()
            sizes, record = search.finish()
        notices.extend(spare.notices)
        spare.notices.clear()
        rendered.fingerprints.update(dict.fromkeys(sizes.files, search.key))
        write_search_record(state, record, previous_search)
        new_records = page_records(folder, rendered.fingerprints, records, result.written)
        if session is not None:
            session.related = related
            session.written = set(files)
            session.keep(parsed, new_records)
            session.papers.keep_used()
        else:
            write_page_records(state, new_records, records)
            write_parsed_pages(state, parsed, known)
            write_related(state, related, previous_related)
            kept_records = {path: (entry.size, entry.mtime_ns, entry.inode) for path, entry in new_records.items()}
            summary = {"papers": len(site.papers), "tags": len(site.tags), "search": sizes.files, "notices": notices_data(lasting)}
            record_build(state, key, files, kept_records, summary)
    note = robots_note(config.base_url)
    return BuildReport(
        len(site.papers), len(site.tags), result, time.perf_counter() - started, folder, sizes, tuple(notices), related_seconds,
        () if note is None else (note,),
    )


def _same_report(kept: Mapping[str, Any], config: Config, folder: Path, started: float) -> BuildReport | None:
    """The report of a build with nothing to do, from the last build's (shortcut.py); None if it does not read."""
    try:
        files = tuple(sorted(path for path in kept["files"] if path != MARKER))
        search = {str(path): (int(raw), int(gzipped)) for path, (raw, gzipped) in kept["search"].items()}
        notices = report_notices(kept)
        papers, tags = int(kept["papers"]), int(kept["tags"])
    except (ValueError, TypeError, KeyError, AttributeError):
        return None
    note = robots_note(config.base_url)
    return BuildReport(
        papers, tags, WriteResult((), files, ()), time.perf_counter() - started, folder, SearchSizes(search, rebuilt=False), notices,
        0.0, () if note is None else (note,),
    )

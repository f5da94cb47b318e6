"""`sitegen build`: the I/O shell around load -> collect -> plan -> render -> write.

Everything is read, validated and rendered in memory before the first byte is
written, so a build that fails leaves the previous site exactly as it was.
Each build leaves hints for the next in the output's cache folder (cache.py):
pages whose files did not change are not parsed again, pages whose inputs did
not change (fingerprint.py) are not rendered again, and the search index is
rebuilt only when a paper changed.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import multiprocessing
import os
import time
import traceback
from collections.abc import Callable, Collection, Iterator, Mapping
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import ExitStack
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import jinja2

from sitegen.cache import (
    OutputRecord,
    ParsedPage,
    page_records,
    read_page_records,
    read_parsed_pages,
    still_there,
    write_page_records,
    write_parsed_pages,
)
from sitegen.collect import URL_PLAN, Site, collect, paper_path
from sitegen.config import Config
from sitegen.errors import BuildFailed, SitegenError, SourceError
from sitegen.fingerprint import PageFingerprints, PaperDigests
from sitegen.frontmatter import parse_page
from sitegen.fsutil import read_text
from sitegen.model import Loc, Paper
from sitegen.output import WriteResult, check_owned, read_cache, write_cache, write_tree
from sitegen.pages import plan
from sitegen.render import environment, plain_text, render
from sitegen.search import SearchDocument, short_ref
from sitegen.search_shards import remembering_search_outputs, search_fingerprint, search_outputs, start_worker

SEARCH_CACHE = "search.json"


@dataclass(frozen=True, slots=True)
class SearchSizes:
    """The search files with their bytes, raw and gzipped, as a phone would download them."""

    files: dict[str, tuple[int, int]]
    """Path -> (bytes, gzipped bytes)."""
    rebuilt: bool

    @property
    def raw(self) -> int:
        return sum(raw for raw, _ in self.files.values())

    @property
    def gzipped(self) -> int:
        return sum(gzipped for _, gzipped in self.files.values())


@dataclass(frozen=True, slots=True)
class BuildReport:
    papers: int
    tags: int
    result: WriteResult
    seconds: float
    output: Path
    search: SearchSizes

    def summary(self) -> str:
        r, s = self.result, self.search
        reused = "" if s.rebuilt else ", unchanged"
        shards = len(s.files) - 1  # and the vocabulary
        return (
            f"built {self.papers} papers, {self.tags} tags into {self.output}: {len(r.written)} files written, "
            f"{len(r.unchanged)} unchanged, {len(r.removed)} removed in {self.seconds:.2f} s; "
            f"search index in {shards} shard{'' if shards == 1 else 's'}, {_kb(s.raw)} ({_kb(s.gzipped)} gzipped){reused}"
        )


def _kb(size: int) -> str:
    return f"{size / 1024:.0f} KiB" if size >= 1024 else f"{size} B"


def load_papers(config: Config, drafts: bool = False) -> list[Paper]:
    """Every page under content/papers, validated; all problems of all files reported together."""
    papers, _ = read_pages(config, {})
    return [paper for paper in papers if drafts or not paper.draft]


def read_pages(config: Config, known: Mapping[str, ParsedPage]) -> tuple[list[Paper], dict[str, ParsedPage]]:
    """Every page, drafts included; a page whose file is as ``known`` saw it is not parsed again."""
    folder_text = str(config.papers_dir)
    found: dict[str, tuple[os.stat_result | None, Paper | None, str]] = {}
    missing: list[str] = []
    for key in _page_names(config.papers_dir):
        where = os.path.join(folder_text, key)  # the key is the name, not the path: the cache gets published
        try:
            status: os.stat_result | None = os.stat(where)
        except OSError:
            status = None
        hit = known.get(key)
        if status is not None and hit is not None and (hit.size, hit.mtime_ns) == (status.st_size, status.st_mtime_ns):
            kept = hit.paper
            if str(kept.loc.path) != where:  # the pages folder moved since
                kept = replace(kept, loc=Loc(Path(where), kept.loc.line))
            found[key] = (status, kept, hit.text)
        else:
            found[key] = (status, None, "")
            missing.append(where)
    errors: list[SourceError] = []
    for where, (fresh, text, problems) in zip(missing, _parse_all(missing)):
        key = os.path.basename(where)
        found[key] = (found[key][0], fresh, text)
        errors.extend(problems)
    if errors:
        raise BuildFailed(errors)
    papers: list[Paper] = []
    parsed: dict[str, ParsedPage] = {}
    for key, (status, paper, text) in found.items():
        if paper is None:
            continue
        if status is not None:
            parsed[key] = ParsedPage(status.st_size, status.st_mtime_ns, paper, text)
        papers.append(paper)
    return papers, parsed


PARALLEL_PARSE_FROM = 2000
"""Pages to parse from which half of them are parsed in a second process (a first build of a large archive)."""


def _parse_all(paths: list[str]) -> list[tuple[Paper | None, str, list[SourceError]]]:
    """Each page parsed, with its plain text, or the problems found in it; in the order given."""
    if len(paths) < PARALLEL_PARSE_FROM:
        return _parse_pages(paths)
    half = len(paths) // 2
    try:
        with _worker_pool() as pool:
            later = pool.submit(_parse_pages, paths[half:])
            return _parse_pages(paths[:half]) + later.result()
    except (OSError, BrokenProcessPool):
        return _parse_pages(paths)


def _parse_pages(paths: list[str]) -> list[tuple[Paper | None, str, list[SourceError]]]:
    results: list[tuple[Paper | None, str, list[SourceError]]] = []
    for where in paths:
        path = Path(where)
        try:
            paper = parse_page(read_text(path), path)
        except BuildFailed as failure:
            results.append((None, "", list(failure.errors)))
        except SourceError as error:
            results.append((None, "", [error]))
        else:
            results.append((paper, plain_text(paper.body), []))
    return results


def _page_names(folder: Path) -> list[str]:
    """The `.md` file names in ``folder``, sorted (strings sort far faster than Paths)."""
    try:
        with os.scandir(folder) as scan:
            return sorted(entry.name for entry in scan if entry.name.endswith(".md") and not entry.name.startswith("."))
    except FileNotFoundError:
        return []


@dataclass(frozen=True, slots=True)
class RenderedSite:
    files: dict[str, bytes | None]
    """Output path -> bytes, or None for a page known to be unchanged on disk."""
    fingerprints: dict[str, str | None]


def render_site(
    site: Site,
    unchanged: Callable[[str, str | None], bool] = lambda path, fingerprint: False,
    papers: PaperDigests | None = None,
) -> RenderedSite:
    """Every output file in memory: pages from templates, then theme assets.

    ``unchanged(path, fingerprint)`` says whether the page already on disk was
    made from the same inputs; such pages are not rendered again. ``papers``
    carries paper digests over from an earlier build of the same session.
    """
    config = site.config
    folders = [config.path("templates_dir"), config.path("theme_dir") / "templates"]
    if not any(folder.is_dir() for folder in folders):
        raise SitegenError(
            f"no templates: neither {folders[1]} nor {folders[0]} is a folder; check theme_dir in [tool.sitegen]"
        )
    env = environment(folders)
    env.globals.update(URL_PLAN)
    fingerprints = PageFingerprints(env, site, papers)
    rendered = RenderedSite({}, {})
    for page in plan(site):
        try:
            fingerprint = fingerprints.of(page.template, page.path, page.context)
            rendered.fingerprints[page.path] = fingerprint
            if unchanged(page.path, fingerprint):
                rendered.files[page.path] = None
            else:
                rendered.files[page.path] = render(env, page.template, page.path, page.context)
        except jinja2.TemplateError as error:
            raise BuildFailed([_template_error(error, page.template)]) from None
    for relative, data in _static_files(config.path("theme_dir") / "static"):
        rendered.files[f"static/{relative}"] = data
    return rendered


class BuildSession:
    """What a process that builds again and again (the preview) keeps from one build to the next.

    The parsed pages and the records of written files stay in memory, so the
    build caches are neither read back nor rewritten on every save: they are
    written when the session closes (if it never does, the next build finds
    older records, which only cost it some parsing and rendering). The search
    files are made by one worker process that stays up and remembers each
    paper's terms and each shard's text (search_shards.SearchMemory), so a
    save tokenizes one paper and encodes one shard.
    """

    def __init__(self) -> None:
        self._folder: Path | None = None
        self._parsed: dict[str, ParsedPage] = {}
        self._parsed_on_disk: Mapping[str, ParsedPage] = {}
        self._records: dict[str, OutputRecord] = {}
        self._records_on_disk: Mapping[str, OutputRecord] = {}
        self._pool: ProcessPoolExecutor | None = None
        self.papers = PaperDigests()
        self.written: set[str] | None = None
        """The files of the last build into the current folder: `write_tree`'s ``last``."""

    def caches(self, folder: Path, papers_dir: Path) -> tuple[Mapping[str, ParsedPage], Mapping[str, OutputRecord]]:
        """The parsed pages and the output records of ``folder``: kept ones, else read from its cache."""
        if folder != self._folder:
            self.flush()
            self._folder = folder
            self.written = None
            self._parsed = self._parsed_on_disk = read_parsed_pages(folder, papers_dir)
            self._records = self._records_on_disk = read_page_records(folder)
        return self._parsed, self._records

    def keep(self, parsed: dict[str, ParsedPage], records: dict[str, OutputRecord]) -> None:
        self._parsed, self._records = parsed, records

    def flush(self) -> None:
        """Write the caches of the current folder where they changed since read."""
        if self._folder is not None:
            write_page_records(self._folder, self._records, self._records_on_disk)
            write_parsed_pages(self._folder, self._parsed, self._parsed_on_disk)
            self._parsed_on_disk, self._records_on_disk = self._parsed, self._records

    def search_pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = _worker_pool()
        return self._pool

    def drop_search_pool(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    def close(self) -> None:
        self.flush()
        self.drop_search_pool()


def build(
    config: Config, output: Path | None = None, drafts: bool = False, session: BuildSession | None = None
) -> BuildReport:
    started = time.perf_counter()
    folder = output if output is not None else config.path("output_dir")
    check_owned(folder)
    if session is not None:
        known, records = session.caches(folder, config.papers_dir)
    else:
        known, records = read_parsed_pages(folder, config.papers_dir), read_page_records(folder)
    papers, parsed = read_pages(config, known)
    site = collect([paper for paper in papers if drafts or not paper.draft], config)
    paper_digests = session.papers if session is not None else PaperDigests()
    key = _search_key(site, paper_digests)
    recorded = _recorded_search(folder)
    reusable = _search_sizes(recorded, key)
    if reusable is not None and not all(still_there(folder, path, records.get(path), key) for path in reusable.files):
        reusable = None
    with ExitStack() as stack:
        search: SearchSizes | Callable[[], dict[str, bytes]]
        if reusable is not None:
            search = reusable
        else:
            texts = {page.paper.body: page.text for page in parsed.values()}
            search = _start_search(search_documents(site, texts), config.search_shard_kib, stack, session)
        folder_text = str(folder)
        rendered = render_site(
            site,
            lambda path, fingerprint: still_there(folder_text, path, records.get(path), fingerprint),
            paper_digests,
        )
        last = session.written if session is not None else None
        result, sizes, digests = _write(folder, rendered.files, search, _gzipped_by_digest(recorded), stack, last)
    rendered.fingerprints.update(dict.fromkeys(sizes.files, key))
    if sizes.rebuilt:
        recorded = {"key": key, "files": sizes.files, "digests": digests}
    write_cache(folder, SEARCH_CACHE, json.dumps(recorded).encode())
    new_records = page_records(folder, rendered.fingerprints, records, result.written)
    if session is not None:
        session.written = set(rendered.files)
        session.keep(parsed, new_records)
        session.papers.keep_used()
    else:
        write_page_records(folder, new_records, records)
        write_parsed_pages(folder, parsed, known)
    return BuildReport(len(site.papers), len(site.tags), result, time.perf_counter() - started, folder, sizes)


def _write(
    folder: Path,
    files: dict[str, bytes | None],
    search: SearchSizes | Callable[[], dict[str, bytes]],
    known_gzipped: Mapping[str, int],
    stack: ExitStack,
    last: Collection[str] | None,
) -> tuple[WriteResult, SearchSizes, dict[str, str]]:
    """Write the site with its search files and their sha256 digests.

    Reused search files stay as they are. New ones have their gzipped sizes
    measured while the rest is written (zlib lets go of the GIL), unless the
    last build measured the same bytes (``known_gzipped``, by digest): an
    edit changes one shard of many.
    """
    if isinstance(search, SearchSizes):
        files.update(dict.fromkeys(search.files))
        return write_tree(folder, files, last), search, {}
    search_files = search()
    files.update(search_files)
    digests = {path: hashlib.sha256(data).hexdigest() for path, data in search_files.items()}
    gzipping = stack.enter_context(ThreadPoolExecutor(max_workers=2))
    gzipped = {
        path: known_gzipped[digests[path]] if digests[path] in known_gzipped else gzipping.submit(_gzipped, data)
        for path, data in search_files.items()
    }
    result = write_tree(folder, files, last)
    sizes = {
        path: (len(search_files[path]), size if isinstance(size, int) else size.result()) for path, size in gzipped.items()
    }
    return result, SearchSizes(sizes, rebuilt=True), digests


PARALLEL_SEARCH_FROM = 2000
"""Papers from which the index is built in a second process while pages render (2 cores: about
a third off a 10,000-paper build); below it, starting that process costs more than it saves."""


def _worker_pool() -> ProcessPoolExecutor:
    """One worker process, for search files or for parsing.

    spawn, not fork: forking a threaded process (the preview's) can deadlock.
    """
    return ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"), initializer=start_worker)


def _start_search(
    documents: list[SearchDocument], shard_kib: int, stack: ExitStack, session: BuildSession | None
) -> Callable[[], dict[str, bytes]]:
    """Start making the search files; the function returned waits for them.

    A session's worker is used whatever the size (it is already up, and
    remembers the last build's work). If the second process cannot start or
    dies (out of memory, killed), the files are made in this one: a build
    never fails for want of a process.
    """
    if session is not None or len(documents) >= PARALLEL_SEARCH_FROM:
        try:
            if session is not None:
                future = session.search_pool().submit(remembering_search_outputs, documents, shard_kib)
            else:
                future = stack.enter_context(_worker_pool()).submit(search_outputs, documents, shard_kib)
        except (OSError, BrokenProcessPool):
            if session is not None:
                session.drop_search_pool()
        else:

            def wait() -> dict[str, bytes]:
                try:
                    return future.result()
                except BrokenProcessPool:
                    if session is not None:
                        session.drop_search_pool()
                    return search_outputs(documents, shard_kib)

            return wait
    files = search_outputs(documents, shard_kib)
    return lambda: files


def search_documents(site: Site, texts: Mapping[str, str] | None = None) -> list[SearchDocument]:
    """One document per paper, referred to by its position (``short_ref``).

    ``texts`` maps Markdown bodies to their plain text where it is already known.
    """
    known = texts or {}
    return [
        SearchDocument(
            ref=short_ref(position),
            title=paper.title,
            url=paper_path(paper),
            date=paper.date.isoformat() if paper.date else None,
            tags=paper.tags,
            organisation=paper.organisation.name if paper.organisation else "",
            abstract=known[paper.body] if paper.body in known else plain_text(paper.body),
        )
        for position, paper in enumerate(site.papers)
    ]


def _search_key(site: Site, digests: PaperDigests) -> str:
    """Everything the search files are made from (and a little more), without making the documents."""
    hashed = hashlib.sha256(search_fingerprint([], site.config.search_shard_kib).encode("ascii"))
    for paper in site.papers:
        hashed.update(digests.digest(paper))
    return hashed.hexdigest()


def _recorded_search(folder: Path) -> dict[str, Any]:
    """What the last build recorded of its search files: key, sizes by path, digests by path."""
    try:
        recorded = json.loads(read_cache(folder, SEARCH_CACHE) or b"{}")
    except ValueError:
        return {}
    return recorded if isinstance(recorded, dict) else {}


def _search_sizes(recorded: Mapping[str, Any], key: str) -> SearchSizes | None:
    """The sizes recorded by the build that made the search files from the same documents."""
    try:
        if recorded.get("key") == key:
            files = {str(path): (int(raw), int(gzipped)) for path, (raw, gzipped) in recorded["files"].items()}
            return SearchSizes(files, rebuilt=False)
    except (ValueError, TypeError, KeyError, AttributeError):
        pass
    return None


def _gzipped_by_digest(recorded: Mapping[str, Any]) -> dict[str, int]:
    try:
        return {str(recorded["digests"][path]): int(sizes[1]) for path, sizes in recorded["files"].items()}
    except (ValueError, TypeError, KeyError, AttributeError, IndexError):
        return {}


def _gzipped(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=6, mtime=0))


def _static_files(folder: Path) -> Iterator[tuple[str, bytes]]:
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not path.name.startswith("."):
            yield path.relative_to(folder).as_posix(), path.read_bytes()


def _template_error(error: jinja2.TemplateError, template: str) -> SourceError:
    """Point at the template line: Jinja rewrites tracebacks to template files and lines."""
    if isinstance(error, jinja2.TemplateNotFound):
        return SourceError(Loc(Path(template)), f"template {error.name!r} not found in the theme or templates/")
    if isinstance(error, jinja2.TemplateSyntaxError):
        return SourceError(Loc(Path(error.filename or template), error.lineno), error.message or str(error))
    for frame in reversed(traceback.extract_tb(error.__traceback__)):
        if frame.filename.endswith((".html", ".xml", ".txt")):
            return SourceError(Loc(Path(frame.filename), frame.lineno), str(error))
    return SourceError(Loc(Path(template)), str(error))

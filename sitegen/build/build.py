"""`sitegen build`: the I/O shell around load -> collect -> render + search -> write.

Everything is read, validated and rendered in memory before the first byte is
written, and the new site replaces the old in one step (output.py), so a build
that fails or is killed leaves the previous site exactly as it was. Each build
leaves hints for the next in the project's state folder (state.py, cache.py),
never in the output: pages whose files did not change are not parsed again
(load.py), pages whose inputs did not change (fingerprint.py) are not rendered
again, and the search files are made again only when a paper changed
(search/files.py).
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import jinja2

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
from sitegen.build.fingerprint import PageFingerprints, PaperDigests
from sitegen.build.load import read_pages
from sitegen.build.output import Spare, WriteResult, check_output, publish
from sitegen.build.session import BuildSession
from sitegen.build.state import build_state, locked
from sitegen.config import Config
from sitegen.content.journal import recover
from sitegen.errors import BuildFailed, SitegenError, SourceError
from sitegen.fsutil import NotAFile, read_bytes
from sitegen.model import Loc, Notice
from sitegen.search.files import SearchFiles, SearchSizes
from sitegen.search.related import find_related, with_related
from sitegen.site.collect import Site, collect, url_plan
from sitegen.site.pages import plan
from sitegen.site.publishing import robots_note, undated_notices
from sitegen.site.render import environment, render

Progress = Callable[[str, int, int], None]
"""``progress(stage, done, total)``: how far a long stage is."""


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


@dataclass(frozen=True, slots=True)
class RenderedSite:
    files: dict[str, bytes | None]
    """Output path -> bytes, or None for a page known to be unchanged on disk."""
    fingerprints: dict[str, str | None]


def render_site(
    site: Site,
    unchanged: Callable[[str, str | None], bool] = lambda path, fingerprint: False,
    papers: PaperDigests | None = None,
    notices: list[Notice] | None = None,
    progress: Progress | None = None,
) -> RenderedSite:
    """Every output file in memory: pages from templates, then theme assets.

    ``unchanged(path, fingerprint)`` says whether the page already on disk was
    made from the same inputs; such pages are not rendered again. ``papers``
    carries paper digests over from an earlier build of the same session.
    """
    config = site.config
    folders = [config.path("templates_dir"), config.path("theme_dir") / "templates"]
    if not config.path("theme_dir").is_dir():
        raise SitegenError(
            f"{config.path('theme_dir')}: the theme folder (theme_dir) is not a folder; leave theme_dir out for the theme sitegen ships"
        )
    if not any(folder.is_dir() for folder in folders):
        raise SitegenError(
            f"no templates: neither {folders[1]} nor {folders[0]} is a folder; check theme_dir in [tool.sitegen]"
        )
    env = environment(folders)
    env.globals.update(url_plan(site))
    fingerprints = PageFingerprints(env, site, papers)
    rendered = RenderedSite({}, {})
    assets = config.path("theme_dir") / "static"
    static = dict(_static_files(assets, notices if notices is not None else []))
    pages = plan(site, _stylesheet(assets, static))
    for done, page in enumerate(pages):
        if progress is not None and done % 64 == 0:
            progress("rendering pages", done, len(pages))
        try:
            fingerprint = fingerprints.of(page.template, page.path, page.context)
            rendered.fingerprints[page.path] = fingerprint
            if unchanged(page.path, fingerprint):
                rendered.files[page.path] = None
            else:
                rendered.files[page.path] = render(env, page.template, page.path, page.context)
        except jinja2.TemplateError as error:
            raise BuildFailed([_template_error(error, page.template)]) from None
        except UnicodeDecodeError as error:
            raise BuildFailed([SourceError(Loc(Path(page.template)), f"a template it uses is not UTF-8 text: {error.reason}")]) from None
        except Exception as error:  # templates are user code: any error raised inside one is theirs to fix
            problem = _runtime_error(error)
            if problem is None:
                raise
            raise BuildFailed([problem]) from None
    for relative, data in static.items():
        rendered.files[f"static/{relative}"] = data
    return rendered


def _stylesheet(folder: Path, static: dict[str, bytes]) -> str:
    """The theme's style.css as text, for the 404 page to carry inline ("" when the theme has none)."""
    try:
        return static.get("style.css", b"").decode("utf-8")
    except UnicodeDecodeError as error:
        raise BuildFailed([SourceError(Loc(folder / "style.css"), f"not UTF-8 text ({error.reason}); the 404 page inlines it")]) from None


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
        if session is not None:
            known, records, spare = session.caches(state, config.papers_dir, notices)
        else:
            known = read_parsed_pages(state, config.papers_dir, notices)
            records, spare = read_page_records(state, notices), Spare.of(state)
        generation = spare.generation
        spare.load()
        last = session.written if session is not None and spare.generation == generation else None
        papers, parsed = read_pages(config, known, notices)
        site = collect([paper for paper in papers if drafts or not paper.draft], config)
        notices.extend(undated_notices(site.papers))
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
            rendered = render_site(site, intact, paper_digests, notices, progress)
            if progress is not None:
                progress("writing files", 0, 1)
            files = {**rendered.files, **search.files()}
            result = publish(folder, files, spare, last)
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
    note = robots_note(config.base_url)
    return BuildReport(
        len(site.papers), len(site.tags), result, time.perf_counter() - started, folder, sizes, tuple(notices), related_seconds,
        () if note is None else (note,),
    )


def _static_files(folder: Path, notices: list[Notice]) -> Iterator[tuple[str, bytes]]:
    """The theme's assets: regular files only, and no link leading out of the theme."""
    for path in sorted(folder.rglob("*")):
        if path.name.startswith(".") or path.is_dir():
            continue
        try:
            yield path.relative_to(folder).as_posix(), read_bytes(path, inside=folder)
        except NotAFile as skipped:
            notices.append(Notice(skipped.loc, skipped.message))


def _template_error(error: jinja2.TemplateError, template: str) -> SourceError:
    """Point at the template line: Jinja rewrites tracebacks to template files and lines."""
    if isinstance(error, jinja2.TemplateNotFound):
        return SourceError(Loc(Path(template)), f"template {error.name!r} not found in the theme or templates/")
    if isinstance(error, jinja2.TemplateSyntaxError):
        return SourceError(Loc(Path(error.filename or template), error.lineno), error.message or str(error))
    return _runtime_error(error) or SourceError(Loc(Path(template)), str(error))


def _runtime_error(error: Exception) -> SourceError | None:
    """The template line an error was raised on (Jinja rewrites tracebacks to template files and lines),
    or None when no template was running: then it is sitegen's bug, not the template's."""
    for frame in reversed(traceback.extract_tb(error.__traceback__)):
        if frame.filename.endswith((".html", ".xml", ".txt", ".bib", ".json")):
            detail = str(error) if isinstance(error, jinja2.TemplateError) else f"{error} ({type(error).__name__})"
            if isinstance(error, RecursionError):
                detail = "templates include or call each other without end (RecursionError)"
            return SourceError(Loc(Path(frame.filename), frame.lineno), detail)
    return None

"""`sitegen build`: the I/O shell around load -> collect -> render + search -> write.

Everything is read, validated and rendered in memory before the first byte is
written, so a build that fails leaves the previous site exactly as it was.
Each build leaves hints for the next in the output's cache folder (cache.py):
pages whose files did not change are not parsed again (load.py), pages whose
inputs did not change (fingerprint.py) are not rendered again, and the search
files are made again only when a paper changed (search/files.py).
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
    read_search_record,
    still_there,
    write_page_records,
    write_parsed_pages,
    write_search_record,
)
from sitegen.build.fingerprint import PageFingerprints, PaperDigests
from sitegen.build.load import read_pages
from sitegen.build.output import WriteResult, check_owned, write_tree
from sitegen.build.session import BuildSession
from sitegen.config import Config
from sitegen.errors import BuildFailed, SitegenError, SourceError
from sitegen.model import Loc
from sitegen.search.files import SearchFiles, SearchSizes
from sitegen.site.collect import URL_PLAN, Site, collect
from sitegen.site.pages import plan
from sitegen.site.render import environment, render


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
    folder_text = str(folder)

    def intact(path: str, fingerprint: str | None) -> bool:
        return still_there(folder_text, path, records.get(path), fingerprint)

    texts = {page.paper.body: page.text for page in parsed.values()}
    worker = session.search_worker if session is not None else None
    with SearchFiles(site, texts, read_search_record(folder), intact, paper_digests.digest, worker) as search:
        rendered = render_site(site, intact, paper_digests)
        files = {**rendered.files, **search.files()}
        result = write_tree(folder, files, session.written if session is not None else None)
        sizes, record = search.finish()
    rendered.fingerprints.update(dict.fromkeys(sizes.files, search.key))
    write_search_record(folder, record)
    new_records = page_records(folder, rendered.fingerprints, records, result.written)
    if session is not None:
        session.written = set(files)
        session.keep(parsed, new_records)
        session.papers.keep_used()
    else:
        write_page_records(folder, new_records, records)
        write_parsed_pages(folder, parsed, known)
    return BuildReport(len(site.papers), len(site.tags), result, time.perf_counter() - started, folder, sizes)


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

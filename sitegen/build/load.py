"""content/papers -> Papers: every page validated, all problems of all files reported together.

A page whose file has the size and modification time the parse cache saw is
not parsed again; a first build of a large archive parses half its pages in a
second process (a fork, parallel.py; a spawned one where this one cannot fork).
Only regular files are read: a FIFO, device or socket named ``*.md`` is skipped
with a warning, a link out of the project and a page over ``max_page_kib`` are
errors.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Mapping
from concurrent.futures.process import BrokenProcessPool
from dataclasses import replace
from pathlib import Path

from sitegen.build.cache import ParsedPage
from sitegen.build.parallel import can_fork, in_two
from sitegen.build.rendering import Progress
from sitegen.config import Config
from sitegen.content.frontmatter import parse_page
from sitegen.errors import BuildFailed, SourceError
from sitegen.fsutil import NotAFile, read_text
from sitegen.model import Loc, Notice, Paper
from sitegen.search.worker import worker_pool
from sitegen.site.render import rendered_markdown

PARALLEL_PARSE_FROM = 2000
"""Pages to parse from which half of them are parsed in a second process (a first build of a large archive)."""


def load_papers(config: Config, drafts: bool = False) -> list[Paper]:
    """Every page under content/papers, validated; all problems of all files reported together."""
    papers, _ = read_pages(config, {})
    return [paper for paper in papers if drafts or not paper.draft]


def read_pages(
    config: Config,
    known: Mapping[str, ParsedPage],
    notices: list[Notice] | None = None,
    progress: Progress | None = None,
    lasting: list[Notice] | None = None,
) -> tuple[list[Paper], dict[str, ParsedPage]]:
    """Every page, drafts included; a page whose file is as ``known`` saw it is not parsed again.
    ``progress("reading pages", done, total)`` is told how far the parsing is.

    Warnings (skipped special files, removed control characters) go to ``notices``; so do, on every
    build, those of TeX in an abstract shown as written (kept with the parsed page, so a page not
    parsed again still says them; each page's once, in page order, after the others). ``lasting``
    gets those a build that parses nothing again would give: the skipped files' and the TeX ones.
    """
    folder_text = str(config.papers_dir)
    found: dict[str, tuple[os.stat_result | None, Paper | None, str, tuple[tuple[int, str], ...], str | None]] = {}
    missing: list[str] = []
    for key in _page_names(config.papers_dir):
        where = os.path.join(folder_text, key)  # the key is the name, not the path: the cache gets published
        try:
            status: os.stat_result | None = os.stat(where)
        except OSError:
            status = None
        hit = known.get(key)
        if status is not None and not stat.S_ISREG(status.st_mode):
            hit = None
        if status is not None and hit is not None and (hit.size, hit.mtime_ns) == (status.st_size, status.st_mtime_ns):
            kept = hit.paper
            if str(kept.loc.path) != where:  # the pages folder moved since
                kept = replace(kept, loc=Loc(Path(where), kept.loc.line))
            found[key] = (status, kept, hit.text, hit.problems, hit.html)
        else:
            found[key] = (status, None, "", (), None)
            missing.append(where)
    errors: list[SourceError] = []
    warnings = notices if notices is not None else []
    limit, root = config.max_page_kib * 1024, config.root
    for where, (fresh, text, problems, said, tex, html) in zip(missing, _parse_all(missing, limit, root, progress)):
        key = os.path.basename(where)
        found[key] = (found[key][0], fresh, text, tex, html)
        errors.extend(problems)
        warnings.extend(said)
        if fresh is None and not problems and lasting is not None:  # a skipped file: skipped on every build
            lasting.extend(said)
    if errors:
        raise BuildFailed(errors)
    papers: list[Paper] = []
    parsed: dict[str, ParsedPage] = {}
    for key, (status, paper, text, tex, html) in found.items():
        if paper is None:
            continue
        if status is not None:
            parsed[key] = ParsedPage(status.st_size, status.st_mtime_ns, paper, text, tex, html)
        papers.append(paper)
        warnings.extend(Notice(Loc(paper.loc.path, line), message) for line, message in tex)
        if lasting is not None:
            lasting.extend(Notice(Loc(paper.loc.path, line), message) for line, message in tex)
    return papers, parsed


_Parsed = tuple[Paper | None, str, list[SourceError], list[Notice], tuple[tuple[int, str], ...], str | None]


def _parse_all(paths: list[str], limit: int, root: Path, progress: Progress | None = None) -> list[_Parsed]:
    """Each page parsed, with its plain text, or the problems found in it, and its warnings, the
    (file line, message) of TeX in its abstract shown as written and its HTML; in the order given."""
    parsed = _parse_spread(paths, limit, root, progress)
    if progress is not None:
        progress("reading pages", len(paths), len(paths))
    return parsed


def _parse_spread(paths: list[str], limit: int, root: Path, progress: Progress | None) -> list[_Parsed]:
    total = len(paths)
    if total < PARALLEL_PARSE_FROM:
        return _parse_pages(paths, limit, root, _ticks(progress, total, 1))
    if can_fork():  # a fork of this process: nothing to start or import, and the two halves balance themselves
        found: list[_Parsed | None] = [None] * total

        def keep(index: int, parsed: _Parsed) -> None:
            found[index] = parsed

        def tick(done: int) -> None:
            if progress is not None:
                progress("reading pages", done, total)

        in_two(range(total), lambda index: _parse_page(paths[index], limit, root), keep, lambda index, parsed: parsed, keep, tick)
        return [parsed for parsed in found if parsed is not None]
    half = total // 2
    try:
        with worker_pool() as pool:
            later = pool.submit(_parse_pages, paths[half:], limit, root)
            return _parse_pages(paths[:half], limit, root, _ticks(progress, total, 2)) + later.result()
    except (OSError, BrokenProcessPool):
        return _parse_pages(paths, limit, root, _ticks(progress, total, 1))


def _ticks(progress: Progress | None, total: int, scale: int) -> Callable[[int], None] | None:
    """``progress`` told of every 64th page parsed here; ``scale`` 2: the other process parses as many."""
    if progress is None:
        return None
    return lambda done: progress("reading pages", min(total, done * scale), total) if done % 64 == 0 else None


def _parse_pages(paths: list[str], limit: int, root: Path, tick: Callable[[int], None] | None = None) -> list[_Parsed]:
    results: list[_Parsed] = []
    for where in paths:
        if tick is not None:
            tick(len(results))
        results.append(_parse_page(where, limit, root))
    return results


def _parse_page(where: str, limit: int, root: Path) -> _Parsed:
    path = Path(where)
    notices: list[Notice] = []
    try:
        page = read_text(path, limit=limit, inside=root)
        paper = parse_page(page, path, notices)
    except NotAFile as skipped:
        return (None, "", [], [Notice(skipped.loc, skipped.message)], (), None)
    except BuildFailed as failure:
        return (None, "", list(failure.errors), notices, (), None)
    except SourceError as error:
        return (None, "", [error], notices, (), None)
    first = _body_line(page)
    markdown = rendered_markdown(paper.body)
    tex = tuple((first + line - 1, message) for line, message in markdown.problems)
    return (paper, markdown.text, [], notices, tex, str(markdown.html))


def _body_line(page: str) -> int:
    """The file line the abstract starts on: after the front matter's closing ``---`` and any blank lines
    (the page format's rule, frontmatter._split: the body is what follows, stripped)."""
    lines = page.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    closing = next((index for index in range(1, len(lines)) if lines[index].rstrip() == "---"), 0)
    line = closing + 1
    while line < len(lines) and not lines[line].strip():
        line += 1
    return line + 1


def _page_names(folder: Path) -> list[str]:
    """The `.md` file names in ``folder``, sorted (strings sort far faster than Paths)."""
    try:
        with os.scandir(folder) as scan:
            return sorted(entry.name for entry in scan if entry.name.endswith(".md") and not entry.name.startswith("."))
    except FileNotFoundError:
        return []

"""`sitegen build`: the I/O shell around load -> collect -> plan -> render -> write.

Everything is read, validated and rendered in memory before the first byte is
written, so a build that fails leaves the previous site exactly as it was.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import jinja2

from sitegen.collect import Site, collect
from sitegen.config import Config
from sitegen.errors import BuildFailed, SourceError
from sitegen.frontmatter import parse_page
from sitegen.fsutil import read_text
from sitegen.model import Loc, Paper
from sitegen.output import WriteResult, check_owned, write_tree
from sitegen.pages import plan
from sitegen.render import environment, render


@dataclass(frozen=True, slots=True)
class BuildReport:
    papers: int
    tags: int
    result: WriteResult
    seconds: float
    output: Path

    def summary(self) -> str:
        r = self.result
        return (
            f"built {self.papers} papers, {self.tags} tags into {self.output}: {len(r.written)} files written, "
            f"{len(r.unchanged)} unchanged, {len(r.removed)} removed in {self.seconds:.2f} s"
        )


def load_papers(config: Config, drafts: bool = False) -> list[Paper]:
    """Every page under content/papers, validated; all problems of all files reported together."""
    papers: list[Paper] = []
    errors: list[SourceError] = []
    for path in sorted(config.papers_dir.glob("*.md")):
        try:
            paper = parse_page(read_text(path), path)
        except BuildFailed as failure:
            errors.extend(failure.errors)
            continue
        except SourceError as error:
            errors.append(error)
            continue
        if drafts or not paper.draft:
            papers.append(paper)
    if errors:
        raise BuildFailed(errors)
    return papers


def render_site(site: Site) -> dict[str, bytes]:
    """Every output file in memory: pages from templates, then theme assets."""
    config = site.config
    env = environment([config.path("templates_dir"), config.path("theme_dir") / "templates"])
    files: dict[str, bytes] = {}
    for page in plan(site):
        try:
            files[page.path] = render(env, page.template, page.path, page.context)
        except jinja2.TemplateError as error:
            raise BuildFailed([_template_error(error, page.template)]) from None
    for relative, data in _static_files(config.path("theme_dir") / "static"):
        files[f"static/{relative}"] = data
    return files


def build(config: Config, output: Path | None = None, drafts: bool = False) -> BuildReport:
    started = time.perf_counter()
    folder = output if output is not None else config.path("output_dir")
    check_owned(folder)
    site = collect(load_papers(config, drafts), config)
    files = render_site(site)
    result = write_tree(folder, files)
    return BuildReport(len(site.papers), len(site.tags), result, time.perf_counter() - started, folder)


def _static_files(folder: Path) -> Iterator[tuple[str, bytes]]:
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not path.name.startswith("."):
            yield path.relative_to(folder).as_posix(), path.read_bytes()


def _template_error(error: jinja2.TemplateError, template: str) -> SourceError:
    """Point at the template line: Jinja rewrites tracebacks to template files and lines."""
    if isinstance(error, jinja2.TemplateSyntaxError):
        return SourceError(Loc(Path(error.filename or template), error.lineno), error.message or str(error))
    for frame in reversed(traceback.extract_tb(error.__traceback__)):
        if frame.filename.endswith((".html", ".xml", ".txt")):
            return SourceError(Loc(Path(frame.filename), frame.lineno), str(error))
    return SourceError(Loc(Path(template)), str(error))

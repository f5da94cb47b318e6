"""Every output file of a site in memory: its pages through the templates, then the theme's assets.

Template errors become `SourceError`s naming the template file and line, so a
broken theme reads like a broken page; a page whose inputs did not change
(fingerprint.py) is not rendered again.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import jinja2

from sitegen.build.fingerprint import PageFingerprints, PaperDigests
from sitegen.errors import BuildFailed, SitegenError, SourceError
from sitegen.fsutil import NotAFile, read_bytes
from sitegen.model import Loc, Notice
from sitegen.site.collect import Site, url_plan
from sitegen.site.pages import plan
from sitegen.site.render import environment, render

Progress = Callable[[str, int, int], None]
"""``progress(stage, done, total)``: how far a long stage is."""


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

"""Every output file of a site: its pages through the templates, then the theme's assets.

Template errors become `SourceError`s naming the template file and line, so a
broken theme reads like a broken page; a template the theme lacks (a copy made
before a sitegen that added it) is taken from the theme sitegen ships; a page whose inputs did not change
(fingerprint.py) is not rendered again. A large site's pages are rendered by
this process and a fork of it (parallel.py), each file handed to the
publication (output.py) as soon as it is made.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import jinja2

from sitegen.build.fingerprint import PageFingerprints, PaperDigests, TemplateMemory
from sitegen.build.output import Publication
from sitegen.build.parallel import can_fork, in_two
from sitegen.config import BUILTIN_THEME
from sitegen.errors import BuildFailed, SitegenError, SourceError
from sitegen.fsutil import NotAFile, read_bytes
from sitegen.model import Loc, Notice
from sitegen.site.collect import Site, url_plan
from sitegen.site.pages import Page, plan
from sitegen.site.render import environment, render

Progress = Callable[[str, int, int], None]
"""``progress(stage, done, total)``: how far a long stage is."""


@dataclass(frozen=True, slots=True)
class RenderedSite:
    files: dict[str, bytes | None]
    """Output path -> bytes, or None for a page known to be unchanged on disk (or handed to the publication)."""
    fingerprints: dict[str, str | None]


def render_site(
    site: Site,
    unchanged: Callable[[str, str | None], bool] = lambda path, fingerprint: False,
    papers: PaperDigests | None = None,
    notices: list[Notice] | None = None,
    progress: Progress | None = None,
    texts: Mapping[str, str] | None = None,
    html: Mapping[str, str] | None = None,
    publication: Publication | None = None,
    templates: TemplateMemory | None = None,
) -> RenderedSite:
    """Every output file: pages from templates, then theme assets.

    ``unchanged(path, fingerprint)`` says whether the page already on disk was
    made from the same inputs; such pages are not rendered again. ``papers``
    carries paper digests over from an earlier build of the same session.
    ``texts`` and ``html`` are the plain text and HTML of abstracts already
    parsed (by Markdown body), so none is parsed again. With a ``publication``,
    each file goes to it as soon as it is made (the result then holds None for
    every file), so the site is never in memory whole. ``templates`` is what a session keeps of the
    templates between builds.
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
    if (BUILTIN_THEME / "templates").resolve() != folders[1].resolve():
        folders.append(BUILTIN_THEME / "templates")  # a template newer than a copied theme: the shipped one
    env = environment(folders, texts, html, templates.bytecode if templates is not None else None)
    env.globals.update(url_plan(site))
    fingerprints = PageFingerprints(env, site, papers, templates.uses(folders) if templates is not None else None)
    rendered = RenderedSite({}, {})
    assets = config.path("theme_dir") / "static"
    static = dict(_static_files(assets, notices if notices is not None else []))
    pages = plan(site, _stylesheet(assets, static))

    def made(page: Page) -> tuple[str | None, bytes | None]:
        """The page's fingerprint, and its bytes unless the file on disk was made from the same inputs."""
        try:
            fingerprint = fingerprints.of(page.template, page.path, page.context)
            return fingerprint, None if unchanged(page.path, fingerprint) else render(env, page.template, page.path, page.context)
        except jinja2.TemplateError as error:
            raise BuildFailed([_template_error(error, page.template)]) from None
        except UnicodeDecodeError as error:
            raise BuildFailed([SourceError(Loc(Path(page.template)), f"a template it uses is not UTF-8 text: {error.reason}")]) from None
        except Exception as error:  # templates are user code: any error raised inside one is theirs to fix
            problem = _runtime_error(error)
            if problem is None:
                raise
            raise BuildFailed([problem]) from None

    total = len(pages)

    def tick(done: int) -> None:
        if progress is not None:
            progress("rendering pages", done, total)

    def keep(path: str, fingerprint: str | None, data: bytes | None) -> None:
        rendered.fingerprints[path] = fingerprint
        if publication is not None:
            publication.add(path, data)
            data = None
        rendered.files[path] = data

    if len(pages) >= PARALLEL_RENDER_FROM and can_fork():
        if publication is not None:
            publication.prepare()  # the fork writes its pages into the spare tree too
        shared = publication is not None and publication.shared
        # Listings first: the fork takes pages from the back, so the cards (rendered once) stay in this process.
        pages.sort(key=lambda page: "papers" not in page.context and "sections" not in page.context)
        in_two(
            pages,
            made,
            lambda page, done: keep(page.path, *done),
            lambda page, done: (done[0], publication.add(page.path, done[1])) if shared and publication else done,
            lambda page, done: _adopt(rendered, publication, page.path, done) if shared and publication else keep(page.path, *done),
            tick,
        )
    else:
        for done, page in enumerate(pages):
            if done % 64 == 0:
                tick(done)
            keep(page.path, *made(page))
    tick(total)
    for relative, data in static.items():
        keep(f"static/{relative}", None, data)
    return rendered


PARALLEL_RENDER_FROM = 2000
"""Pages from which rendering is spread over two processes (parallel.py): below it a fork costs more than it saves."""


def _adopt(rendered: RenderedSite, publication: Publication, path: str, done: tuple[str | None, bool]) -> None:
    """A page the fork rendered and added to the publication itself."""
    rendered.fingerprints[path], written = done
    rendered.files[path] = None
    publication.adopt(path, written)


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

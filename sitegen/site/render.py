"""Jinja2 and markdown-it set up safely, plus the helpers templates call.

Safe by default: every template autoescapes (HTML and XML alike), undefined
names fail loudly, raw HTML in Markdown is off and unsafe link schemes
(``javascript:``, ``vbscript:``, ``file:``, ``data:``) never become links.
"""

from __future__ import annotations

import datetime as dt
import types
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from jinja2.utils import internalcode
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict
from markupsafe import Markup, escape

from sitegen.site.identifiers import card_links, finding_links, reading_links
from sitegen.site.sharing import first_sentences
from sitegen.site.tex_markdown import PROBLEMS, math_text, tex_plugin
from sitegen.text import without_controls

_SAFE_SCHEMES = ("http:", "https:", "mailto:")


def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "typographer": False}).enable(["table", "strikethrough"]).use(tex_plugin)

    def validate_link(url: str) -> bool:
        lowered = url.strip().lower()
        return ":" not in lowered.split("/", 1)[0] or lowered.startswith(_SAFE_SCHEMES)

    md.validateLink = validate_link  # type: ignore[method-assign]  # markdown-it-py's documented hook
    md.add_render_rule("image", _image)
    md.add_render_rule("link_open", _link_open)
    return md


def _link_open(self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
    """A link that leaves the site opens nothing of this page to the other one: ``rel="noopener"``, as every
    link of the theme carries."""
    token = tokens[idx]
    if _is_remote(str(token.attrGet("href") or "")):
        token.attrSet("rel", "noopener")
    return self.renderToken(tokens, idx, options, env)


def _image(self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
    """A remote image becomes a link labelled with its alt text: the site loads nothing from other hosts
    (a tracking pixel in an abstract would report every reader). Images of the site itself stay images."""
    token = tokens[idx]
    source = str(token.attrGet("src") or "")
    if not _is_remote(source):
        return self.image(tokens, idx, options, env)
    label = self.renderInlineAsText(token.children or [], options, env) or source
    title = token.attrGet("title")
    hint = f' title="{escapeHtml(str(title))}"' if title else ""
    return f'<a class="remote-image" href="{escapeHtml(source)}" rel="noopener"{hint}>{escapeHtml(label)}</a>'


def _is_remote(url: str) -> bool:
    """An address on another host: with a scheme (``https:``) or protocol-relative (``//host/``)."""
    lowered = url.strip().lower()
    return lowered.startswith("//") or ":" in lowered.split("/", 1)[0]


MARKDOWN = _markdown()


@dataclass(frozen=True, slots=True)
class RenderedMarkdown:
    """One Markdown text rendered once: its HTML, its plain text and the TeX it could not read."""

    html: Markup
    text: str
    problems: tuple[tuple[int, str], ...]
    """(line, message) of each distinct problem, the line 1-based in the Markdown text (its first occurrence)."""


@lru_cache(maxsize=16384)
def rendered_markdown(text: str) -> RenderedMarkdown:
    """Markdown with its TeX read (tex_markdown.py): parsed once for the HTML, the plain text and the problems."""
    env: dict[str, Any] = {}
    tokens = MARKDOWN.parse(text, env)
    html = MARKDOWN.renderer.render(tokens, MARKDOWN.options, env)
    words: list[str] = []
    for block in tokens:
        if block.type == "inline" and block.children is not None:
            words.extend(
                child.content if child.type in _TEXT else math_text(child) if child.type == "math_inline" else " "
                for child in block.children
                if child.type in _SHOWN_AS_TEXT
            )
            words.append(" ")
    found: dict[str, tuple[int, int]] = {}
    for line, message in env.get(PROBLEMS, ()):
        first, count = found.get(message, (line, 0))
        found[message] = (first, count + 1)
    problems = tuple((first + 1, message if count == 1 else f"{message} ({count} times)") for message, (first, count) in found.items())
    return RenderedMarkdown(Markup(html), " ".join("".join(words).split()), problems)


_TEXT = ("text", "code_inline")
_SHOWN_AS_TEXT = ("text", "code_inline", "math_inline", "softbreak", "hardbreak")


def markdown_html(text: str) -> Markup:
    """Rendered Markdown; safe to insert because raw HTML is disabled (the MathML is generated, not the author's)."""
    return rendered_markdown(text).html


def plain_text(text: str) -> str:
    """Markdown -> the text a reader sees, for excerpts, feeds and the search index (formulas as readable text)."""
    return rendered_markdown(text).text


def markdown_problems(text: str) -> tuple[tuple[int, str], ...]:
    """What of the TeX in a Markdown text is shown as written, and why: (1-based line, message)."""
    return rendered_markdown(text).problems


def excerpt(text: str, limit: int = 280) -> str:
    """The first sentences of a plain text, cut at a word boundary."""
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit)
    return text[: cut if cut > 0 else limit].rstrip(" ,;:") + "…"


def relative_url(target: str, from_path: str) -> str:
    """A link from the page at ``from_path`` to the site path ``target``.

    Folders get an explicit ``index.html`` so the site also works from ``file://``.
    Plain string work on normalised site paths: templates call this hundreds of
    thousands of times in a large build, where posixpath.relpath was a third of it.
    """
    if target.startswith(("http://", "https://", "mailto:", "#")):
        return target
    target, hash_sign, fragment = target.partition("#")
    if target == "" or target.endswith("/"):
        target += "index.html"
    here = from_path.split("/")[:-1]
    there = target.split("/")
    common, limit = 0, min(len(here), len(there) - 1)
    while common < limit and here[common] == there[common]:
        common += 1
    return "../" * (len(here) - common) + "/".join(there[common:]) + hash_sign + fragment


class PageUrl:
    """``url()`` of one page: ``relative_url(target, page)``, with what its links share worked out once.

    Most links of a page lead into another top-level folder (a tag page links papers, months, other
    tags' pages only through ``tags/``), and such a link is the page's way up to the root, then the
    target: one concatenation instead of comparing paths, for the million links of a large site.
    """

    __slots__ = ("inside", "page", "up")

    def __init__(self, page: str) -> None:
        self.page = page
        here = page.split("/")[:-1]
        self.up = "../" * len(here)
        """The way from the page's folder up to the site root."""
        self.inside = here[0] + "/" if here else ""
        """The page's top-level folder; "" at the root, where every link is the target itself."""

    def __call__(self, target: str) -> str:
        if self.shortcut(target):
            return self.up + target + "index.html" if target == "" or target.endswith("/") else self.up + target
        return relative_url(target, self.page)

    def shortcut(self, target: str) -> bool:
        """True when the link is the way up plus ``target`` (and ``index.html`` for a folder)."""
        return (
            not (self.inside and target.startswith(self.inside))
            and "#" not in target
            and not target.startswith(_AS_IS)
        )


_AS_IS = ("http://", "https://", "mailto:")


def date_label(day: dt.date | None) -> str:
    return f"{day:%b} {day.day}, {day.year}" if day else "undated"


class _Context(jinja2.runtime.Context):
    """Jinja's context, calling a plain function (one that takes no context: ``url``, ``paper_path``...)
    straight away: Jinja's own ``call`` first looks for what to pass each callable, a few hundredths
    of a large build spent on a million calls."""

    @internalcode  # left out of the tracebacks Jinja rewrites to template lines, as its own call is
    def call(self, function: Any, /, *args: Any, **kwargs: Any) -> Any:
        if type(function) in _PLAIN and not hasattr(function, "jinja_pass_arg"):
            if kwargs:
                kwargs.pop("_loop_vars", None)
                kwargs.pop("_block_vars", None)
            try:
                return function(*args, **kwargs)
            except StopIteration:
                return self.environment.undefined("value was undefined because a callable raised a StopIteration exception")
        return super().call(function, *args, **kwargs)


_PLAIN = frozenset({types.FunctionType, types.BuiltinFunctionType, types.MethodType, PageUrl})


def environment(
    template_dirs: list[Path],
    texts: Mapping[str, str] | None = None,
    html: Mapping[str, str] | None = None,
    bytecode: jinja2.BytecodeCache | None = None,
) -> jinja2.Environment:
    """Templates from the first folder that has them: a project's templates/ before the theme's.

    ``texts`` and ``html`` map abstracts (Markdown) to their plain text and HTML where reading the
    pages already made them, so no abstract is parsed again to be shown; ``bytecode`` keeps compiled
    templates from one build to the next.
    """
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(path) for path in template_dirs if path.is_dir()]),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        bytecode_cache=bytecode,
    )
    env.context_class = _Context
    env.filters["date_label"] = date_label
    env.filters["excerpt"] = excerpt
    env.filters["sentences"] = first_sentences
    env.globals.update(reading_links=reading_links, finding_links=finding_links, card_links=card_links)
    known_texts, known_html = texts or {}, html or {}

    def markdown(paper: Any) -> Markup:
        found = known_html.get(paper.body)
        return Markup(found) if found is not None else markdown_html(paper.body)

    def plain(paper: Any) -> str:
        found = known_texts.get(paper.body)
        return found if found is not None else plain_text(paper.body)

    env.globals["markdown"] = markdown
    env.globals["plain"] = plain
    env.globals["card"] = Cards(env).card
    return env


_LINK = "\x00"
"""Stands for each link of a card rendered once for every page that shows it: no page holds the
character (sitegen/text.py removes it from what is read) and escaping leaves it as it is."""


@dataclass(frozen=True, slots=True)
class _Card:
    """A card rendered once: its text around each link, and each link's target."""

    texts: tuple[str, ...]
    targets: tuple[str, ...]
    tails: tuple[str | None, ...]
    """Each target escaped, with ``index.html`` for a folder: what follows a page's way up to the root
    (``PageUrl.shortcut``); None for a fragment or an address, never made relative."""

    def on(self, url: PageUrl) -> Markup:
        """The card as the page ``url`` is bound to shows it."""
        texts, up, inside = self.texts, url.up, url.inside
        parts = [texts[0]]
        for index, target in enumerate(self.targets):
            tail = self.tails[index]
            if tail is not None and not (inside and target.startswith(inside)):
                parts.append(up + tail)
            else:
                parts.append(escape(url(target)))
            parts.append(texts[index + 1])
        return Markup("".join(parts))


class Cards:
    """The ``card(paper, heading, url)`` global: each paper's card (the ``paper_card`` macro of ``_macros.html``)
    rendered once per heading level for the whole build, then only its links made relative for each page.

    A paper is on up to ten listings (the home pages, its tags', its organisation's, its year's and
    month's, most discussed), and rendering a card through its macros was most of a large build. The
    macro is rendered with a ``url()`` that notes each target and leaves a mark in its place; a card
    whose marks do not all reach the output (a template that computes with a link) is rendered for
    every page instead, as before.
    """

    def __init__(self, env: jinja2.Environment) -> None:
        self._env = env
        self._made: dict[tuple[int, int], tuple[Any, _Card | None]] = {}
        self._marked: list[str] = []
        self._macros: Any = None

    def _mark(self, target: str) -> str:
        self._marked.append(target)
        return _LINK

    def card(self, paper: Any, heading: int, url: Any) -> Markup:
        """The card of ``paper`` with its title at ``heading``, as the page ``url`` belongs to shows it."""
        key = (id(paper), heading)
        kept = self._made.get(key)
        if kept is None or kept[0] is not paper:
            kept = self._made[key] = (paper, self._render(paper, heading))
        made = kept[1]
        if made is None or not isinstance(url, PageUrl):
            macros: Any = self._env.get_template("_macros.html").make_module({"url": url})
            return Markup(macros.paper_card(paper, heading))
        return made.on(url)

    def _render(self, paper: Any, heading: int) -> _Card | None:
        if self._macros is None:
            self._macros = self._env.get_template("_macros.html").make_module({"url": self._mark})
        self._marked.clear()
        texts = str(self._macros.paper_card(paper, heading)).split(_LINK)
        targets = tuple(self._marked)
        if len(texts) != len(targets) + 1:
            return None
        tails = tuple(
            None if "#" in target or target.startswith(_AS_IS) else str(escape(target + "index.html" if target == "" or target.endswith("/") else target))
            for target in targets
        )
        return _Card(tuple(texts), targets, tails)


def render(env: jinja2.Environment, template: str, path: str, context: Mapping[str, Any]) -> bytes:
    """One output file; ``url`` is bound to its location so every link is relative."""
    text = env.get_template(template).render(context, url=PageUrl(path), page_path=path)
    if path.endswith(".xml"):  # inputs are cleaned on reading; a template could still bring a control character
        text = without_controls(text)
    return text.encode("utf-8")
